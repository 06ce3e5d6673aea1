"""The ``http`` check against real local servers: status, content, JSON, latency, redirects,
secrets, encodings, TLS with throw-away certificates, and every parameter rule's message."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import json
import socket
import ssl
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import aiohttp
import hypothesis
import pytest
import trustme
from aiohttp import web
from aiohttp.abc import AbstractResolver, ResolveResult
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from freecost.inventory import Settings
from freecost.probes import http
from freecost.probes.context import ProbeContext
from freecost.results import Layer, Outcome, Status
from tests.servers.hostile import closed_port
from tests.servers.http import serve

PAGE = (
    "<html><head><title>Shop</title><style>body {color: red}</style>"
    "<script>var hidden = 1;</script></head>"
    "<body><h1>Welcome</h1><p>Open &amp; ready: order #1234</p></body></html>"
)
DOCUMENT = {"status": "ok", "items": [{"name": "first"}], "count": 1, "flag": True, "none": None}
SECRET = "Bearer s3cret-value"
NOT_JSON = {
    "words": "not json",
    "deep": "[" * 100_000,
    "huge-number": "1" * 5000,
    "cut-off": '{"status": "ok"',
}


@dataclass
class Site:
    """A local server and the requests it has seen."""

    base: str
    seen: list[dict[str, Any]] = field(default_factory=list)


def _app(seen: list[dict[str, Any]]) -> web.Application:
    async def record(request: web.Request) -> web.Response:
        seen.append(
            {
                "method": request.method,
                "path": request.path,
                "headers": dict(request.headers),
                "body": await request.text(),
            }
        )
        # Echoed back, as debugging endpoints and some error pages do.
        return web.json_response({"method": request.method, "headers": dict(request.headers)})

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status page")

    async def page(request: web.Request) -> web.Response:
        return web.Response(text=PAGE, content_type="text/html")

    async def document(request: web.Request) -> web.Response:
        return web.json_response(DOCUMENT)

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(0.15)
        return web.Response(text="slow but fine")

    async def redirect(request: web.Request) -> web.Response:
        code = int(request.query.get("code", "302"))
        return web.Response(status=code, headers={"Location": request.query["to"]})

    async def encoded(request: web.Request) -> web.Response:
        text = b"Welcome to the compressed shop"
        bodies = {
            "gzip": gzip.compress(text),
            "deflate": zlib.compress(text),
            "raw-deflate": zlib.compress(text, wbits=-zlib.MAX_WBITS),
            "br": b"\x0b\x0f\x80Welcome\x03",
            "corrupt": b"\x1f\x8b\x08\x00garbage-not-gzip",
        }
        coding = request.match_info["coding"]
        label = {"raw-deflate": "deflate", "corrupt": "gzip"}.get(coding, coding)
        return web.Response(body=bodies[coding], headers={"Content-Encoding": label})

    async def latin1(request: web.Request) -> web.Response:
        return web.Response(
            body="Bienvenue au café".encode("latin-1"),
            headers={"Content-Type": "text/plain; charset=iso-8859-1"},
        )

    async def text(request: web.Request) -> web.Response:
        body = NOT_JSON[request.match_info["name"]]
        return web.Response(text=body, content_type="application/json")

    app = web.Application()
    app.router.add_route("*", "/echo", record)
    app.router.add_get("/status/{code}", status)
    app.router.add_get("/page", page)
    app.router.add_get("/json", document)
    app.router.add_get("/text/{name}", text)
    app.router.add_get("/slow", slow)
    app.router.add_route("*", "/redirect", redirect)
    app.router.add_get("/encoded/{coding}", encoded)
    app.router.add_get("/latin1", latin1)
    return app


@pytest.fixture(scope="module")
def server() -> Iterator[Site]:
    site = Site("")
    with serve(_app(site.seen)) as base:
        site.base = base
        yield site


@pytest.fixture
def site(server: Site) -> Site:
    server.seen.clear()
    return server


def check(spec: Mapping[str, Any]) -> http.Check:
    return http.Check.model_validate({"id": "t", "type": "http", **spec})


@cache
def _system_trust() -> ssl.SSLContext:
    # Loading the system store costs ~50 ms; one copy serves every test that does not set its own.
    return ssl.create_default_context()


def probe(
    spec: Mapping[str, Any],
    tmp_path: Path,
    *,
    environ: Mapping[str, str] | None = None,
    resolver: AbstractResolver | None = None,
    **settings: Any,
) -> Outcome:
    """Run the probe once, with this environment and resolver when given."""

    async def go() -> Outcome:
        session = None
        if resolver is not None:
            session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(resolver=resolver))
        parsed = Settings.model_validate({"vantage": {"control": []}, **settings})
        trust = None if parsed.tls.ca_bundle else _system_trust()
        ctx = ProbeContext(
            settings=parsed, base_dir=tmp_path, environ=environ, _http=session, _ssl=trust
        )
        async with ctx, asyncio.timeout(10):
            return await http.probe(check(spec), ctx)

    return asyncio.run(go())


# --- status ----------------------------------------------------------------------------------


def test_ok_names_the_status_and_time_and_fills_the_details(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": f"{site.base}/page"}, tmp_path)
    assert outcome.status is Status.OK
    assert outcome.summary.startswith("HTTP 200 in ")
    assert outcome.summary.endswith(" ms")
    details = outcome.details
    assert details["status"] == 200
    assert details["final_url"] == f"{site.base}/page"
    assert details["redirects"] == []
    assert details["bytes_read"] == len(PAGE)
    assert details["truncated"] is False
    assert details["content_type"] == "text/html; charset=utf-8"
    assert 0 <= details["latency_ms"] <= details["total_ms"]
    json.dumps(dict(details))


@pytest.mark.parametrize(
    ("code", "expect", "status", "summary"),
    [
        (503, None, Status.FAIL, "HTTP 503 Service Unavailable, expected 200"),
        (204, [200, 204], Status.OK, "HTTP 204 in"),
        (201, ["2xx"], Status.OK, "HTTP 201 in"),
        (404, ["2xx", 301], Status.FAIL, "HTTP 404 Not Found, expected 2xx or 301"),
        (
            599,
            [200, 201, 202],
            Status.FAIL,
            "HTTP 599 (an unknown status), expected 200, 201 or 202",
        ),
    ],
)
def test_status_expectations(
    site: Site, tmp_path: Path, code: int, expect: list[Any] | None, status: Status, summary: str
) -> None:
    spec: dict[str, Any] = {"url": f"{site.base}/status/{code}"}
    if expect is not None:
        spec["expect_status"] = expect
    outcome = probe(spec, tmp_path)
    assert outcome.status is status
    assert outcome.summary.startswith(summary)
    assert outcome.layer is (None if status is Status.OK else Layer.HTTP)
    assert outcome.details["status"] == code


# --- content ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expectation", "summary"),
    [
        ({"contains": "Welcome"}, None),
        ({"contains": "Closed"}, "the page does not contain 'Closed'"),
        ({"not_contains": "maintenance"}, None),
        ({"not_contains": "Welcome"}, "the page contains 'Welcome'"),
        ({"regex": r"order #\d{4}"}, None),
        ({"regex": r"order #\d{5}"}, r"the page does not match /order #\d{5}/"),
        ({"contains": "Welcome", "not_contains": "Open"}, "the page contains 'Open'"),
    ],
)
def test_text_expectations(
    site: Site, tmp_path: Path, expectation: dict[str, str], summary: str | None
) -> None:
    outcome = probe({"url": f"{site.base}/page", **expectation}, tmp_path)
    if summary is None:
        assert outcome.status is Status.OK
    else:
        assert (outcome.status, outcome.layer, outcome.summary) == (
            Status.FAIL,
            Layer.CONTENT,
            summary,
        )


def test_content_failure_shows_the_page_as_plain_text(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": f"{site.base}/page", "contains": "Closed"}, tmp_path)
    assert outcome.details["excerpt"] == "Shop Welcome Open & ready: order #1234"


@pytest.mark.parametrize(
    ("expectation", "summary"),
    [
        ({"path": "$.status", "equals": "ok"}, None),
        ({"path": "$.status", "equals": "down"}, 'JSON $.status is "ok", expected "down"'),
        ({"path": "$.items[0].name", "equals": "first"}, None),
        ({"path": "$.items[-1]['name']", "equals": "first"}, None),
        ({"path": "$.items[1].name"}, "JSON $.items[1].name is missing"),
        ({"path": "$.items[0].name", "exists": True}, None),
        ({"path": "$.maintenance", "exists": False}, None),
        (
            {"path": "$.status", "exists": False},
            "JSON $.status is present, expected it to be absent",
        ),
        ({"path": "$.count", "equals": 1}, None),
        ({"path": "$.count", "equals": 1.0}, None),
        ({"path": "$.count", "equals": True}, "JSON $.count is 1, expected true"),
        ({"path": "$.flag", "equals": 1}, "JSON $.flag is true, expected 1"),
        ({"path": "$.count", "equals": "1"}, 'JSON $.count is 1, expected "1"'),
        ({"path": "$.none", "equals": None}, None),
        ({"path": "$.status", "equals": None}, 'JSON $.status is "ok", expected null'),
        ({"path": "$.items", "equals": [{"name": "first"}]}, None),
        ({"path": "$.status.deeper"}, "JSON $.status.deeper is missing"),
    ],
)
def test_json_expectations(
    site: Site, tmp_path: Path, expectation: dict[str, Any], summary: str | None
) -> None:
    outcome = probe({"url": f"{site.base}/json", "json": expectation}, tmp_path)
    if summary is None:
        assert outcome.status is Status.OK, outcome.summary
    else:
        assert (outcome.status, outcome.layer, outcome.summary) == (
            Status.FAIL,
            Layer.CONTENT,
            summary,
        )


@pytest.mark.parametrize("name", sorted(NOT_JSON))
def test_a_body_that_is_not_json_fails_content(site: Site, tmp_path: Path, name: str) -> None:
    spec = {"url": f"{site.base}/text/{name}", "json": {"path": "$.status", "equals": "ok"}}
    outcome = probe(spec, tmp_path)
    assert (outcome.status, outcome.layer, outcome.summary) == (
        Status.FAIL,
        Layer.CONTENT,
        "the answer is not JSON",
    )


# --- latency ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latency", "status", "ending"),
    [
        ({"warn": "50ms"}, Status.WARN, "slower than the 50ms warning"),
        ({"warn": "50ms", "fail": "100ms"}, Status.FAIL, "slower than the 100ms limit"),
        ({"fail": "50ms"}, Status.FAIL, "slower than the 50ms limit"),
        ({"warn": "1m", "fail": "2m"}, Status.OK, " ms"),
    ],
)
def test_latency_thresholds(
    site: Site, tmp_path: Path, latency: dict[str, str], status: Status, ending: str
) -> None:
    outcome = probe({"url": f"{site.base}/slow", "latency": latency}, tmp_path)
    assert outcome.status is status
    assert outcome.summary.startswith("HTTP 200 in ")
    assert outcome.summary.endswith(ending)
    assert outcome.layer is (None if status is Status.OK else Layer.HTTP)


def test_latency_is_judged_only_when_everything_else_passes(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/slow", "contains": "missing", "latency": {"warn": "50ms"}}
    outcome = probe(spec, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)


# --- methods ---------------------------------------------------------------------------------


def test_head_reads_no_body(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": f"{site.base}/echo", "method": "HEAD"}, tmp_path)
    assert outcome.status is Status.OK
    assert outcome.details["bytes_read"] == 0
    assert [seen["method"] for seen in site.seen] == ["HEAD"]


@pytest.mark.parametrize("method", ["POST", "PUT"])
def test_a_body_is_sent(site: Site, tmp_path: Path, method: str) -> None:
    spec = {"url": f"{site.base}/echo", "method": method.lower(), "body": '{"name": "test"}'}
    outcome = probe({**spec, "headers": {"Content-Type": "application/json"}}, tmp_path)
    assert outcome.status is Status.OK
    [seen] = site.seen
    assert (seen["method"], seen["body"]) == (method, '{"name": "test"}')
    assert seen["headers"]["Content-Type"] == "application/json"


def test_options_and_plain_headers_are_sent(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/echo", "method": "OPTIONS", "headers": {"X-Shop": "bailey"}}
    assert probe(spec, tmp_path).status is Status.OK
    [seen] = site.seen
    assert seen["method"] == "OPTIONS"
    assert seen["headers"]["X-Shop"] == "bailey"
    assert seen["headers"]["Accept-Encoding"] == "gzip, deflate"
    assert seen["headers"]["User-Agent"].startswith("freecost")


# --- redirects -------------------------------------------------------------------------------


def test_redirects_are_followed_and_recorded(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": f"{site.base}/redirect?to=/page", "contains": "Welcome"}, tmp_path)
    assert outcome.status is Status.OK
    assert outcome.details["final_url"] == f"{site.base}/page"
    assert outcome.details["redirects"] == [{"status": 302, "location": "/page"}]


def test_redirects_not_followed_are_the_answer(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/redirect?to=/page", "follow_redirects": False}
    outcome = probe(spec, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary == "HTTP 302 Found, expected 200"
    assert outcome.details["location"] == "/page"
    assert outcome.details["redirects"] == []
    assert probe({**spec, "expect_status": [302]}, tmp_path).status is Status.OK


@pytest.mark.parametrize(("code", "method"), [(303, "GET"), (302, "GET"), (307, "POST")])
def test_a_post_redirected(site: Site, tmp_path: Path, code: int, method: str) -> None:
    url = f"{site.base}/redirect?code={code}&to=/echo"
    assert probe({"url": url, "method": "POST", "body": "hello"}, tmp_path).status is Status.OK
    redirected = site.seen[-1]
    assert redirected["method"] == method
    assert redirected["body"] == ("hello" if method == "POST" else "")


@pytest.mark.parametrize(
    ("location", "summary"),
    [
        ("mailto:owner@example.com", "which is not a web address"),
        ("http://[::1", "which is not a URL"),
    ],
)
def test_a_redirect_to_nowhere_fails(
    site: Site, tmp_path: Path, location: str, summary: str
) -> None:
    from yarl import URL

    url = str(URL(f"{site.base}/redirect").with_query(to=location))
    outcome = probe({"url": url}, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary.startswith(f"HTTP 302 redirects to '{location}'")
    assert outcome.summary.endswith(summary)


# --- secrets ---------------------------------------------------------------------------------


def test_a_secret_header_is_sent_and_never_shown(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/echo", "headers": {"Authorization": "${API_TOKEN}"}}
    outcome = probe(spec, tmp_path, environ={"API_TOKEN": SECRET})
    assert outcome.status is Status.OK
    assert site.seen[0]["headers"]["Authorization"] == SECRET
    assert "s3cret" not in repr(outcome)


def test_a_secret_header_from_a_file(site: Site, tmp_path: Path) -> None:
    (tmp_path / "key.txt").write_text("k3y-value\n")
    spec = {"url": f"{site.base}/echo", "headers": {"X-Api-Key": "file:key.txt"}}
    outcome = probe(spec, tmp_path, environ={})
    assert outcome.status is Status.OK
    assert site.seen[0]["headers"]["X-Api-Key"] == "k3y-value"
    assert "k3y" not in repr(outcome)


def test_a_content_failure_does_not_show_the_secret(site: Site, tmp_path: Path) -> None:
    spec = {
        "url": f"{site.base}/echo",
        "headers": {"Authorization": "${API_TOKEN}"},
        "contains": "absent",
    }
    outcome = probe(spec, tmp_path, environ={"API_TOKEN": SECRET})
    assert outcome.layer is Layer.CONTENT
    assert '"Authorization": "[secret]"' in outcome.details["excerpt"]
    assert "s3cret" not in repr(outcome)
    spec = {
        "url": f"{site.base}/echo",
        "headers": {"Authorization": "${API_TOKEN}"},
        "json": {"path": "$.headers.Authorization", "equals": "Bearer other"},
    }
    outcome = probe(spec, tmp_path, environ={"API_TOKEN": SECRET})
    expected = 'JSON $.headers.Authorization is "[secret]", expected "Bearer other"'
    assert outcome.summary == expected


def test_a_missing_secret_is_an_error_naming_it(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/echo", "headers": {"Authorization": "${API_TOKEN}"}}
    outcome = probe(spec, tmp_path, environ={})
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == "header Authorization: environment variable API_TOKEN is not set"
    assert site.seen == []


def test_a_secret_with_a_line_break_is_an_error(site: Site, tmp_path: Path) -> None:
    spec = {"url": f"{site.base}/echo", "headers": {"Cookie": "${COOKIE}"}}
    outcome = probe(spec, tmp_path, environ={"COOKIE": "a=1\r\nX-Injected: yes"})
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == "header Cookie: environment variable COOKIE holds a line break"


def test_credentials_stay_with_their_origin(site: Site, tmp_path: Path) -> None:
    elsewhere: list[dict[str, Any]] = []
    with serve(_app(elsewhere)) as other:
        spec = {
            "url": f"{site.base}/redirect?to={other}/echo",
            "headers": {"Authorization": "${API_TOKEN}", "X-Shop": "bailey"},
        }
        outcome = probe(spec, tmp_path, environ={"API_TOKEN": SECRET})
    assert outcome.status is Status.OK
    [seen] = elsewhere
    assert "Authorization" not in seen["headers"]
    assert seen["headers"]["X-Shop"] == "bailey"


# --- encodings -------------------------------------------------------------------------------


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw-deflate"])
def test_compressed_bodies_are_read(site: Site, tmp_path: Path, coding: str) -> None:
    spec = {"url": f"{site.base}/encoded/{coding}", "contains": "compressed shop"}
    outcome = probe(spec, tmp_path)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.details["decoded_bytes"] == len("Welcome to the compressed shop")


@pytest.mark.parametrize(
    ("coding", "summary"),
    [
        ("br", "the body is encoded as 'br', which freecost cannot read"),
        ("corrupt", "the body is not valid gzip data"),
    ],
)
def test_bodies_that_cannot_be_decoded(
    site: Site, tmp_path: Path, coding: str, summary: str
) -> None:
    url = f"{site.base}/encoded/{coding}"
    outcome = probe({"url": url, "contains": "Welcome"}, tmp_path)
    assert (outcome.status, outcome.layer, outcome.summary) == (
        Status.FAIL,
        Layer.CONTENT,
        summary,
    )
    assert probe({"url": url}, tmp_path).status is Status.OK


def test_the_charset_is_honoured(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": f"{site.base}/latin1", "contains": "café"}, tmp_path)
    assert outcome.status is Status.OK


# --- below HTTP ------------------------------------------------------------------------------


class NoSuchHost(AbstractResolver):
    """A resolver that knows no names, as a real one does for a domain that lapsed."""

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    async def close(self) -> None:
        return None


def test_a_name_that_does_not_resolve_fails_dns(tmp_path: Path) -> None:
    outcome = probe({"url": "https://shop.example.test/"}, tmp_path, resolver=NoSuchHost())
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary == "shop.example.test is not found in DNS"
    assert outcome.details["reason"] == "name or service not known"


def test_a_refused_connection_fails_connect(tmp_path: Path) -> None:
    port = closed_port()
    outcome = probe({"url": f"http://127.0.0.1:{port}/"}, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONNECT)
    assert outcome.summary == f"cannot connect to 127.0.0.1:{port}: connection refused"


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _tls_server(cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(context)
    return context


def _tls_app() -> web.Application:
    async def hello(request: web.Request) -> web.Response:
        return web.Response(text="Welcome over TLS")

    app = web.Application()
    app.router.add_get("/", hello)
    return app


def test_https_with_a_trusted_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = _tls_server(ca.issue_cert("127.0.0.1"))
    with serve(_tls_app(), ssl_context=context) as base:
        spec = {"url": f"{base}/", "contains": "over TLS"}
        outcome = probe(spec, tmp_path, tls={"ca_bundle": "ca.pem"})
        untrusted = probe(spec, tmp_path)
    assert outcome.status is Status.OK
    assert (untrusted.status, untrusted.layer) == (Status.FAIL, Layer.TLS)
    assert untrusted.summary.endswith(
        "failed: the certificate is signed by an authority this machine does not trust"
    )


def _days(days: int) -> dt.datetime:
    return dt.datetime.now(dt.UTC) + dt.timedelta(days=days)


@pytest.mark.parametrize(
    ("host", "issue", "reason"),
    [
        ("127.0.0.1", {"not_before": _days(-30), "not_after": _days(-1)}, "has expired"),
        ("127.0.0.1", {"not_before": _days(5), "not_after": _days(30)}, "is not valid yet"),
        ("localhost", {}, "is for another host name"),
    ],
)
def test_https_certificate_problems_are_named(
    ca: trustme.CA, tmp_path: Path, host: str, issue: dict[str, Any], reason: str
) -> None:
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    context = _tls_server(ca.issue_cert("127.0.0.1", **issue))
    with serve(_tls_app(), ssl_context=context) as base:
        url = base.replace("127.0.0.1", host) + "/"
        outcome = probe({"url": url}, tmp_path, tls={"ca_bundle": "ca.pem"})
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.TLS)
    assert outcome.summary.endswith(f"failed: the certificate {reason}")


def test_https_with_a_self_signed_certificate(ca: trustme.CA, tmp_path: Path) -> None:
    # The CA's own certificate is self-signed: served as the leaf, it is what a
    # hand-made certificate on a forgotten box looks like.
    ca.cert_pem.write_to_path(str(tmp_path / "self.pem"))
    ca.private_key_pem.write_to_path(str(tmp_path / "self.key"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "self.pem", tmp_path / "self.key")
    with serve(_tls_app(), ssl_context=context) as base:
        outcome = probe({"url": f"{base}/"}, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.TLS)
    assert outcome.summary.endswith("failed: the certificate is self-signed")


def test_https_to_a_port_without_tls(site: Site, tmp_path: Path) -> None:
    outcome = probe({"url": site.base.replace("http:", "https:") + "/page"}, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.TLS)
    assert outcome.summary.endswith("failed: the server does not speak TLS on this port")


# --- parameters ------------------------------------------------------------------------------


def _message(spec: Mapping[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        check(spec)
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return str(errors[0]["msg"])


URL = "https://example.com/"
CREDENTIAL = (
    "header '{}' carries a credential, which must not be written in the inventory: "
    "name an environment variable as ${{NAME}} or a file as file:PATH"
)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"method": "FETCH"},
            "'FETCH' is not a method freecost sends: use GET, HEAD, POST, PUT or OPTIONS",
        ),
        ({"headers": {"Authorization": "Bearer abc123"}}, CREDENTIAL.format("Authorization")),
        ({"headers": {"Cookie": "session=abc123"}}, CREDENTIAL.format("Cookie")),
        ({"headers": {"X-Api-Key": "abc123"}}, CREDENTIAL.format("X-Api-Key")),
        ({"headers": {"X-Auth-Token": "abc123"}}, CREDENTIAL.format("X-Auth-Token")),
        ({"headers": {"Bad Name": "x"}}, "'Bad Name' is not a header name"),
        (
            {"headers": {"X-Shop": "a\r\nX-Evil: 1"}},
            "header 'X-Shop' has a line break in its value",
        ),
        ({"headers": {"Accept": "a", "accept": "b"}}, "header 'accept' is given twice"),
        ({"headers": {"X-Shop": ["a"]}}, "header 'X-Shop' needs a text value"),
        ({"headers": ["X-Shop: a"]}, "expected a mapping of header names to values"),
        ({"expect_status": []}, "expect_status needs at least one status, like [200]"),
        (
            {"expect_status": ["2xy"]},
            "'2xy' is not an HTTP status: write a code like 200 or a class like 2xx",
        ),
        (
            {"expect_status": [700]},
            "'700' is not an HTTP status: write a code like 200 or a class like 2xx",
        ),
        (
            {"expect_status": [True]},
            "'True' is not an HTTP status: write a code like 200 or a class like 2xx",
        ),
        (
            {"regex": "order (#"},
            "'order (#' is not a valid regular expression: "
            "missing ), unterminated subpattern at position 6",
        ),
        (
            {"json": {"path": "status"}},
            "'status' is not a JSON path freecost understands: write it like $.status, "
            "$.items[0].name or $['a key']",
        ),
        (
            {"json": {"path": "$.items[first]"}},
            "'$.items[first]' is not a JSON path freecost understands: write it like $.status, "
            "$.items[0].name or $['a key']",
        ),
        (
            {"json": {"path": "$.up", "equals": True, "exists": False}},
            "json: 'equals' and 'exists: false' contradict each other",
        ),
        ({"latency": {}}, "latency needs warn, fail or both"),
        (
            {"latency": {"warn": "3s", "fail": "1s"}},
            "latency warn (3s) must be shorter than fail (1s)",
        ),
        (
            {"latency": {"warn": 5}},
            "a duration needs a unit: write 5s, 5m, ... (90s, 5m, 4h, 1d, 2w)",
        ),
        ({"max_body": "lots"}, "'lots' is not a size: write bytes (1048576) or 512KiB, 1MiB"),
        ({"max_body": 0}, "max_body must be more than 0 bytes and at most 16MiB"),
        ({"max_body": "32MiB"}, "max_body must be more than 0 bytes and at most 16MiB"),
        (
            {"url": "https://owner:hunter2@example.com/"},
            "the URL holds a user name or password: send credentials in a header "
            "whose value is ${NAME} or file:PATH instead",
        ),
        ({"url": "https://example.com:99999/"}, "'https://example.com:99999/' has an invalid port"),
        (
            {"url": "ftp://example.com/"},
            "'ftp://example.com/' is not an http(s) URL (like https://example.com/)",
        ),
        (
            {"method": "HEAD", "contains": "Welcome"},
            "a HEAD request has no body to check: remove contains, not_contains, regex "
            "and json, or use GET",
        ),
    ],
)
def test_parameter_rules(spec: dict[str, Any], message: str) -> None:
    assert _message({"url": URL, **spec}) == message


def test_plain_secrets_are_never_repeated() -> None:
    for spec in (
        {"url": URL, "headers": {"Authorization": "Bearer hunter2"}},
        {"url": "https://owner:hunter2@example.com/"},
    ):
        with pytest.raises(ValidationError) as caught:
            check(spec)
        # What the loader prints (messages and their context); the input is never printed.
        shown = caught.value.errors(include_input=False, include_url=False)
        assert "hunter2" not in json.dumps(shown, default=str)


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({}, {"method": "GET", "expect_status": [200], "max_body": 1024 * 1024}),
        ({"method": "post"}, {"method": "POST"}),
        ({"expect_status": 204}, {"expect_status": [204]}),
        ({"expect_status": ["301", "2XX", 404]}, {"expect_status": [301, "2xx", 404]}),
        ({"max_body": "512KiB"}, {"max_body": 512 * 1024}),
        ({"max_body": "2MB"}, {"max_body": 2_000_000}),
        ({"max_body": 4096}, {"max_body": 4096}),
        ({"headers": {"Authorization": "${TOKEN}"}}, {"headers": {"Authorization": "${TOKEN}"}}),
        ({"headers": {"X-Count": 3}}, {"headers": {"X-Count": "3"}}),
    ],
)
def test_parameters_are_normalised(given: dict[str, Any], expected: dict[str, Any]) -> None:
    dumped = check({"url": URL, **given}).model_dump(mode="json")
    assert {key: dumped[key] for key in expected} == expected


def test_json_expectation_survives_a_round_trip() -> None:
    for spec in ({"path": "$.status"}, {"path": "$.status", "equals": None}):
        original = check({"url": URL, "json": spec})
        dumped = original.model_dump(mode="json")
        assert dumped["json"] == {"exists": None, **spec}
        assert check({key: dumped[key] for key in ("url", "json")}) == original


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("https://example.com/x", "example.com:443"),
        ("http://Example.com/x", "example.com:80"),
        ("http://127.0.0.1:8080/", "127.0.0.1:8080"),
        ("https://[::1]:8443/", "[::1]:8443"),
    ],
)
def test_target_is_host_and_port(url: str, target: str) -> None:
    assert check({"url": url}).target() == target


@hypothesis.settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_any_text_is_a_json_path_or_refused(text: str) -> None:
    try:
        steps = http.parse_json_path(text)
    except ValueError:
        return
    assert text.startswith("$")
    assert all(isinstance(step, str | int) for step in steps)


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@hypothesis.settings(max_examples=40, deadline=None)
@given(JSON_VALUES)
def test_a_json_value_equals_itself_after_a_round_trip(value: Any) -> None:
    assert http.same_json(json.loads(json.dumps(value)), value)


@hypothesis.settings(max_examples=40, deadline=None)
@given(st.lists(st.text(min_size=1).filter(lambda key: "'" not in key), max_size=5), JSON_VALUES)
def test_a_path_finds_what_was_put_there(keys: list[str], value: Any) -> None:
    document: Any = value
    for key in reversed(keys):
        document = {key: [document]}
    path = "$" + "".join(f"['{key}'][0]" for key in keys)
    assert http.same_json(http.json_at(document, http.parse_json_path(path)), value)
