"""The statuspage check against fixture pages served by a real HTTP server on 127.0.0.1.

Each provider has a fixture per state (tests/fixtures/statuspages/<provider>-<state>.json),
built from the documented formats. One server serves them all under per-test prefixes, so a
test publishes the documents it needs and points the check's ``url`` at them.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import json
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from freecost.probes import statuspage
from freecost.probes.statuspages.common import plain
from freecost.probes.statuspages.fetch import MAX_BYTES
from freecost.probes.statuspages.google_workspace import HISTORY_LIMIT
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context
from tests.servers.http import serve

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "statuspages"
PROVIDERS = ["atlassian", "google-workspace", "slack", "statusio", "instatus", "betterstack"]
PAGE_ID = "5f1e0000000000000000beef"
PATHS = {
    "atlassian": "/api/v2/summary.json",
    "google-workspace": "/incidents.json",
    "slack": "/api/v2.0.0/current",
    "statusio": f"/1.0/status/{PAGE_ID}",
    "instatus": "/summary.json",
    "betterstack": "/index.json",
}
COMPONENT = {"google-workspace": "Google Voice", "slack": "Calls"}
OTHER = {"google-workspace": "Google Drive", "slack": "Search"}
TITLE = "Calls fail to connect"

Reply = bytes | Callable[[web.Request], Awaitable[web.StreamResponse]]


class Pages:
    """Documents published on the shared server, each set under its own path prefix."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.routes: dict[str, Reply] = {}
        self._serial = itertools.count()

    def publish(self, routes: dict[str, Reply]) -> str:
        prefix = f"/p{next(self._serial)}"
        self.routes.update({prefix + path: reply for path, reply in routes.items()})
        return self.base + prefix

    async def handle(self, request: web.Request) -> web.StreamResponse:
        reply = self.routes.get(request.path)
        if reply is None:
            return web.Response(status=404, text="not here")
        if isinstance(reply, bytes):
            return web.Response(body=reply, content_type="application/json")
        return await reply(request)


@pytest.fixture(scope="module")
def pages() -> Iterator[Pages]:
    app = web.Application()
    holder: list[Pages] = []

    async def handle(request: web.Request) -> web.StreamResponse:
        return await holder[0].handle(request)

    app.router.add_route("GET", "/{tail:.*}", handle)
    with serve(app) as base:
        holder.append(Pages(base))
        yield holder[0]


@pytest.fixture(scope="module")
def ca_bundle(tmp_path_factory: pytest.TempPathFactory) -> str:
    # A one-certificate trust store: loading it is much faster than the system store.
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return str(path)


def fixture(name: str) -> bytes:
    return (FIXTURES / f"{name}.json").read_bytes()


def publish(pages: Pages, provider: str, body: Reply) -> str:
    """Serve ``body`` where ``provider`` reads its page; returns the check's ``url``."""
    routes: dict[str, Reply] = {PATHS[provider]: body}
    if provider == "google-workspace":
        routes["/products.json"] = fixture("google-workspace-products")
    return pages.publish(routes)


def spec(provider: str, url: str, component: str | None = None, **more: Any) -> dict[str, Any]:
    result: dict[str, Any] = {"type": "statuspage", "provider": provider, "url": url, **more}
    if provider == "statusio":
        result["page_id"] = PAGE_ID
    if component is not None:
        result["component"] = component
    return result


def run(tmp_path: Path, ca_bundle: str, *specs: dict[str, Any]) -> list[Outcome]:
    """Run each check once in one context, bounded by a deadline."""
    checks = [statuspage.Check.model_validate({"id": "t", **item}) for item in specs]

    async def go() -> list[Outcome]:
        async with make_context(tmp_path, tls={"ca_bundle": ca_bundle}) as ctx:
            async with asyncio.timeout(20):
                return [await statuspage.probe(check, ctx) for check in checks]

    return asyncio.run(go())


def component(provider: str) -> str:
    return COMPONENT.get(provider, "Voice")


def other(provider: str) -> str:
    return OTHER.get(provider, "SMS")


# (whole page, the watched component, another component) for each fixture.
EXPECTED = {
    ("atlassian", "ok"): ("ok", "ok", "ok"),
    ("atlassian", "warn"): ("warn", "warn", "ok"),
    ("atlassian", "fail"): ("fail", "fail", "ok"),
    ("atlassian", "incident"): ("warn", "fail", "ok"),
    ("atlassian", "maintenance"): ("warn", "warn", "ok"),
    ("google-workspace", "ok"): ("ok", "ok", "ok"),
    ("google-workspace", "warn"): ("warn", "warn", "ok"),
    ("google-workspace", "fail"): ("fail", "fail", "ok"),
    ("google-workspace", "incident"): ("fail", "fail", "ok"),
    ("google-workspace", "maintenance"): ("warn", "warn", "ok"),
    ("slack", "ok"): ("ok", "ok", "ok"),
    ("slack", "warn"): ("warn", "warn", "ok"),
    ("slack", "fail"): ("fail", "fail", "ok"),
    ("slack", "incident"): ("warn", "fail", "ok"),
    ("slack", "maintenance"): ("warn", "warn", "ok"),
    ("statusio", "ok"): ("ok", "ok", "ok"),
    ("statusio", "warn"): ("warn", "warn", "ok"),
    ("statusio", "fail"): ("fail", "fail", "ok"),
    ("statusio", "incident"): ("warn", "fail", "ok"),
    ("statusio", "maintenance"): ("warn", "warn", "ok"),
    ("instatus", "ok"): ("ok", "ok", "ok"),
    ("instatus", "warn"): ("warn", "warn", "ok"),
    ("instatus", "fail"): ("fail", "fail", "ok"),
    ("instatus", "incident"): ("fail", "fail", "ok"),
    ("instatus", "maintenance"): ("warn", "warn", "ok"),
    ("betterstack", "ok"): ("ok", "ok", "ok"),
    ("betterstack", "warn"): ("warn", "warn", "ok"),
    ("betterstack", "fail"): ("fail", "fail", "ok"),
    ("betterstack", "incident"): ("warn", "fail", "ok"),
    ("betterstack", "maintenance"): ("warn", "warn", "ok"),
}


@pytest.mark.parametrize(
    ("provider", "state"), list(EXPECTED), ids=[f"{p}-{s}" for p, s in EXPECTED]
)
def test_verdicts(pages: Pages, tmp_path: Path, ca_bundle: str, provider: str, state: str) -> None:
    url = publish(pages, provider, fixture(f"{provider}-{state}"))
    outcomes = run(
        tmp_path,
        ca_bundle,
        spec(provider, url),
        spec(provider, url, component(provider)),
        spec(provider, url, other(provider)),
    )
    assert tuple(o.status.value for o in outcomes) == EXPECTED[provider, state]
    for outcome in outcomes:
        assert outcome.layer == (None if outcome.status is Status.OK else Layer.VENDOR)
        assert outcome.details["provider"] == provider
        assert "\n" not in outcome.summary
        json.dumps(outcome.details)
    watched = outcomes[1]
    assert component(provider) in watched.summary
    assert watched.details["component"] == component(provider)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_incident_on_the_component_is_in_the_details(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, fixture(f"{provider}-incident"))
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url, component(provider)))
    assert outcome.status is Status.FAIL
    assert TITLE in outcome.summary
    [incident] = outcome.details["incidents"]
    assert incident["title"] == TITLE
    assert set(incident) == {"title", "status", "impact", "link", "started"}
    assert incident["started"].startswith("2026-11-23")
    assert incident["link"] is None or incident["link"].startswith(("https://", "http://"))
    assert outcome.details["incidents_total"] == 1


def test_atlassian_incident_details_exactly(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "atlassian", fixture("atlassian-fail"))
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url, "voice"))
    assert outcome.summary == (
        "Acme Voice status: Voice: partial outage; 1 active incident: Calls fail to connect"
    )
    assert outcome.details["component_status"] == "partial outage"
    assert outcome.details["page_status"] == "Partial System Outage"
    assert outcome.details["incidents"] == [
        {
            "title": TITLE,
            "status": "investigating",
            "impact": "major",
            "link": "https://stspg.io/abc123",
            "started": "2026-11-23T08:40:00.000Z",
        }
    ]


def test_atlassian_group_covers_its_children(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    document = json.loads(fixture("atlassian-ok"))
    document["incidents"] = [
        {
            "name": "Carrier B drops calls",
            "status": "identified",
            "impact": "minor",
            "components": [{"id": "carr00000002", "name": "Carrier B"}],
        }
    ]
    url = publish(pages, "atlassian", json.dumps(document).encode())
    group, sibling = run(
        tmp_path, ca_bundle, spec("atlassian", url, "Carriers"), spec("atlassian", url, "Voice")
    )
    assert group.status is Status.FAIL
    assert sibling.status is Status.OK


def test_atlassian_future_maintenance_does_not_count(
    pages: Pages, tmp_path: Path, ca_bundle: str
) -> None:
    url = publish(pages, "atlassian", fixture("atlassian-ok"))
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url, "Voice"))
    assert outcome.status is Status.OK
    assert outcome.details["maintenances"] == []


def test_maintenance_is_listed(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "atlassian", fixture("atlassian-maintenance"))
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url, "Voice"))
    assert outcome.status is Status.WARN
    assert [m["title"] for m in outcome.details["maintenances"]] == ["Voice platform upgrade"]
    assert "maintenance in progress: Voice platform upgrade" in outcome.summary


def test_google_only_currently_affected_products_count(
    pages: Pages, tmp_path: Path, ca_bundle: str
) -> None:
    url = publish(pages, "google-workspace", fixture("google-workspace-incident"))
    drive, gmail = run(
        tmp_path,
        ca_bundle,
        spec("google-workspace", url, "Google Drive"),
        spec("google-workspace", url, "Gmail"),
    )
    assert drive.status is Status.OK
    assert drive.details["page_status"] == "2 active incidents"
    assert gmail.status is Status.WARN
    assert gmail.details["incidents"][0]["impact"] == ("service disruption (medium)")


def test_google_product_id_and_links(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "google-workspace", fixture("google-workspace-fail"))
    [outcome] = run(
        tmp_path, ca_bundle, spec("google-workspace", url, product_id="hUjp4xPMDUTaEVCCWkdm")
    )
    assert outcome.status is Status.FAIL
    assert outcome.details["component"] == "Google Voice"
    assert outcome.details["product_id"] == "hUjp4xPMDUTaEVCCWkdm"
    [incident] = outcome.details["incidents"]
    # Google's links are relative to the dashboard; they come back absolute.
    assert incident["link"] == f"{url}/incidents/inc00000000000000021"


def test_google_unknown_product_id_lists_ids(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "google-workspace", fixture("google-workspace-ok"))
    [outcome] = run(tmp_path, ca_bundle, spec("google-workspace", url, product_id="nope"))
    assert outcome.status is Status.ERROR
    assert "Google Voice (hUjp4xPMDUTaEVCCWkdm)" in outcome.summary


def test_google_default_url() -> None:
    check = statuspage.Check.model_validate(
        {"id": "t", "type": "statuspage", "provider": "google-workspace", "component": "Gmail"}
    )
    assert check.page_url() == "https://www.google.com/appsstatus/dashboard/"
    assert check.target() == "www.google.com"


def test_slack_cannot_verify_a_service_name(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "slack", fixture("slack-ok"))
    [outcome] = run(tmp_path, ca_bundle, spec("slack", url, "Callz"))
    assert outcome.status is Status.OK
    assert outcome.details["component_verified"] is False
    assert outcome.summary == "Slack status: Callz: no active incident"


def test_instatus_without_components_cannot_answer_for_one(
    pages: Pages, tmp_path: Path, ca_bundle: str
) -> None:
    document = json.loads(fixture("instatus-ok"))
    del document["components"]
    url = publish(pages, "instatus", json.dumps(document).encode())
    whole, one = run(tmp_path, ca_bundle, spec("instatus", url), spec("instatus", url, "Voice"))
    assert whole.status is Status.OK
    assert one.status is Status.ERROR
    assert "lists no components" in one.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_status_value_is_an_error(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, fixture(f"{provider}-unknown"))
    whole, one = run(
        tmp_path, ca_bundle, spec(provider, url), spec(provider, url, component(provider))
    )
    for outcome in (whole, one):
        assert outcome.status is Status.ERROR
        assert outcome.layer is Layer.CONTENT
        assert "unknown" in outcome.summary
        assert outcome.details["unknown_value"] in outcome.summary


@pytest.mark.parametrize("provider", PROVIDERS)
def test_malformed_json_is_an_error(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, fixture("malformed"))
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.CONTENT
    assert "not valid JSON" in outcome.summary


SHAPES = [
    (provider, body)
    for provider in PROVIDERS
    for body in (b"[]", b'{"unexpected": true}', b"null", b'"ok"', b"[1]")
    # An empty list is a valid (empty) incident history for Google.
    if not (provider == "google-workspace" and body == b"[]")
]


@pytest.mark.parametrize(("provider", "body"), SHAPES)
def test_unexpected_shape_is_an_error(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str, body: bytes
) -> None:
    url = publish(pages, provider, body)
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url))
    assert outcome.status is Status.ERROR
    assert "unexpected answer" in outcome.summary


@pytest.mark.parametrize("provider", [p for p in PROVIDERS if p != "slack"])
def test_missing_component_lists_real_names(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, fixture(f"{provider}-ok"))
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url, "Fax"))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.CONFIG
    assert "'Fax'" in outcome.summary
    real = component(provider)
    assert real in outcome.summary
    assert real in outcome.details["known_components"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_hostile_text_comes_back_plain_and_truncated(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, fixture(f"{provider}-hostile"))
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url, component(provider)))
    assert outcome.status is Status.FAIL
    [incident] = outcome.details["incidents"]
    title = incident["title"]
    assert title.startswith("<script>alert(1)</script> Calls [31m fail A")
    assert len(title) == 200
    assert title.endswith("…")
    assert not any(ch in title for ch in "\x1b\n\u202e")
    assert incident["link"] is None  # javascript: is not a link
    assert "<script>alert(1)</script>" in outcome.summary
    assert len(outcome.summary) <= 300


def endless(request: web.Request) -> Awaitable[web.StreamResponse]:
    async def go() -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "application/json"})
        await response.prepare(request)
        chunk = b"[" + b" " * 65535
        # Bounded, so a probe that never stops reading fails the test instead of hanging it.
        for _ in range((HISTORY_LIMIT * 3) // len(chunk)):
            try:
                await response.write(chunk)
            except ConnectionError:
                break
        return response

    return go()


@pytest.mark.parametrize("provider", PROVIDERS)
def test_oversized_body_is_an_error(
    pages: Pages, tmp_path: Path, ca_bundle: str, provider: str
) -> None:
    url = publish(pages, provider, endless)
    [outcome] = run(tmp_path, ca_bundle, spec(provider, url))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.CONTENT
    assert "larger than" in outcome.summary
    assert outcome.details["limit_bytes"] in (MAX_BYTES, HISTORY_LIMIT)


def test_declared_oversized_body_is_refused_unread(
    pages: Pages, tmp_path: Path, ca_bundle: str
) -> None:
    async def huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": str(MAX_BYTES + 1)})
        await response.prepare(request)
        await response.write(b"{")
        return response

    url = publish(pages, "atlassian", huge)
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.ERROR
    assert "larger than 5 MB" in outcome.summary


def gzipped(body: bytes) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def reply(request: web.Request) -> web.StreamResponse:
        assert request.headers["Accept-Encoding"] == "gzip"
        return web.Response(
            body=gzip.compress(body, compresslevel=1),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )

    return reply


def test_gzip_body_is_read(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "atlassian", gzipped(fixture("atlassian-fail")))
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url, "Voice"))
    assert outcome.status is Status.FAIL


def test_gzip_bomb_is_capped(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "atlassian", gzipped(b" " * (MAX_BYTES + 1)))
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.ERROR
    assert "larger than 5 MB" in outcome.summary


def test_unrequested_encoding_is_an_error(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    async def brotli(request: web.Request) -> web.StreamResponse:
        return web.Response(body=b"\x00\x01", headers={"Content-Encoding": "br"})

    url = publish(pages, "atlassian", brotli)
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.ERROR
    assert "encoding we did not ask for: br" in outcome.summary


def test_deeply_nested_json_is_an_error(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    url = publish(pages, "atlassian", b"[" * 200_000 + b"]" * 200_000)
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.ERROR
    assert "not valid JSON" in outcome.summary


@pytest.mark.parametrize("code", [404, 500, 503])
def test_http_error_from_the_page_is_an_error(
    pages: Pages, tmp_path: Path, ca_bundle: str, code: int
) -> None:
    async def broken(request: web.Request) -> web.StreamResponse:
        return web.Response(status=code, text="<html>down</html>")

    url = publish(pages, "atlassian", broken)
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.HTTP
    assert outcome.details["http_status"] == code
    assert f"HTTP {code}" in outcome.summary
    assert outcome.summary.endswith("; check the url") == (code == 404)


def test_redirect_is_followed(pages: Pages, tmp_path: Path, ca_bundle: str) -> None:
    target = publish(pages, "atlassian", fixture("atlassian-ok"))

    async def moved(request: web.Request) -> web.StreamResponse:
        raise web.HTTPFound(target + PATHS["atlassian"])

    url = publish(pages, "atlassian", moved)
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", url))
    assert outcome.status is Status.OK
    assert outcome.summary == "Acme Voice status: All Systems Operational"


def test_unreachable_page_is_an_error(tmp_path: Path, ca_bundle: str) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    [outcome] = run(tmp_path, ca_bundle, spec("atlassian", f"http://127.0.0.1:{port}"))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.CONNECT
    assert outcome.summary.startswith("status page unreachable")


def validation_message(**fields: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        statuspage.Check.model_validate({"id": "t", "type": "statuspage", **fields})
    [error] = caught.value.errors()
    return str(error["msg"])


def test_unknown_provider_lists_the_known_ones() -> None:
    assert validation_message(provider="atlasian", url="https://status.example.com") == (
        "unknown status-page provider 'atlasian' (did you mean 'atlassian'?); known providers: "
        "atlassian, betterstack, google-workspace, instatus, slack, statusio"
    )


def test_statusio_needs_a_page_id() -> None:
    assert validation_message(provider="statusio") == (
        "provider statusio needs page_id: the id in the page's API address "
        "(https://api.status.io/1.0/status/<page_id>)"
    )


def test_statusio_page_id_must_be_an_id() -> None:
    assert validation_message(provider="statusio", page_id="../../x") == (
        "'../../x' is not a status.io page id (letters and digits, like 55957a99e800baa4470002da)"
    )


def test_statusio_defaults_to_the_public_api() -> None:
    check = statuspage.Check.model_validate(
        {"id": "t", "type": "statuspage", "provider": "statusio", "page_id": PAGE_ID}
    )
    assert check.page_url() == "https://api.status.io"


@pytest.mark.parametrize("provider", ["atlassian", "instatus", "betterstack"])
def test_pages_without_a_default_need_a_url(provider: str) -> None:
    assert validation_message(provider=provider) == (
        f"provider {provider} needs url: the status page's address (like https://status.vendor.com)"
    )


def test_page_id_only_for_statusio() -> None:
    assert validation_message(provider="slack", page_id="abc") == (
        "page_id is only used with provider statusio"
    )


def test_product_id_only_for_google() -> None:
    assert validation_message(provider="slack", product_id="abc") == (
        "product_id is only used with provider google-workspace"
    )


def test_product_id_or_component_not_both() -> None:
    message = validation_message(provider="google-workspace", component="Gmail", product_id="x")
    assert message == "give component (the product's title) or product_id, not both"


def test_url_must_be_http() -> None:
    assert validation_message(provider="atlassian", url="ftp://status.example.com") == (
        "'ftp://status.example.com' is not an http(s) URL (like https://example.com/)"
    )


@given(st.text(max_size=400))
def test_plain_text_is_one_bounded_line(text: str) -> None:
    result = plain(text)
    if result is not None:
        assert len(result) <= 200
        assert result == result.strip()
        assert not any(ch in result for ch in "\n\r\t\x00\x1b\u202e")
