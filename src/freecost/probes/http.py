"""The ``http`` check: a page or API answers with the expected status, content and speed.

This is the hot path of ``freecost check``, so it uses the shared aiohttp session
(``ctx.http``; see research/http-performance.md) rather than httpx. The caps are ours, not the
library's: redirects are followed here (so the count, loops and each hop are known), and the
body is read through :mod:`freecost.probes.httpbody` within ``max_body``, compressed or not.

A check stops at the first layer that fails, bottom up: a missing secret (error, local) →
dns → connect → tls → http (a broken answer, redirects, the status) → content → latency.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from freecost.checktypes.http import MIB, Check, JsonExpect, StatusSpec, parse_json_path, secret_in
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.httpbody import (
    ACCEPT_ENCODING,
    Body,
    charset_of,
    excerpt,
    plain,
    read_body,
    to_text,
)
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    import aiohttp
    from yarl import URL

    from freecost.probes.context import ProbeContext

# The check's parameters, the status type the form check shares and the JSON path reading
# the tests use, kept reachable here.
__all__ = ["Check", "StatusSpec", "parse_json_path", "probe"]

REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MISSING: Any = object()

_CERT_REASONS = {
    9: "the certificate is not valid yet",
    10: "the certificate has expired",
    18: "the certificate is self-signed",
    19: "the certificate chain ends in an untrusted self-signed certificate",
    20: "the certificate is signed by an authority this machine does not trust",
    21: "the certificate is signed by an authority this machine does not trust",
    23: "the certificate has been revoked",
    62: "the certificate is for another host name",
    64: "the certificate is for another IP address",
}
_SSL_REASONS = {
    "WRONG_VERSION_NUMBER": "the server does not speak TLS on this port",
    "UNSUPPORTED_PROTOCOL": "the server offers only TLS versions this machine refuses",
    "TLSV1_ALERT_PROTOCOL_VERSION": "no TLS version in common with the server",
    "SSLV3_ALERT_HANDSHAKE_FAILURE": "the server refused the TLS handshake",
}


# --- the exchange ----------------------------------------------------------------------------


class Hider:
    """Blanks out secret header values in outside text before a person sees it.

    A server may echo a request's headers in its body, an error page or a redirect, so
    anything taken from an answer passes through here first, before it is cut short.
    """

    def __init__(self, values: Iterable[str]) -> None:
        words = {word for value in values for word in (value, *value.split())}
        kept = {word for word in words if len(word) >= 8 or (word in values and len(word) >= 4)}
        variants = kept | {quote(word, safe="") for word in kept}
        self._needles = sorted(variants, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for needle in self._needles:
            text = text.replace(needle, "[secret]")
        return text


@dataclass(frozen=True)
class Answer:
    """The final response of a fetch, with the trip that led to it."""

    status: int
    url: str
    redirects: list[dict[str, Any]]
    headers_ms: float
    total_ms: float
    body: Body
    content_type: str | None
    location: str | None
    hide: Hider

    def details(self) -> dict[str, Any]:
        details: dict[str, Any] = {
            "status": self.status,
            "final_url": self.url,
            "redirects": self.redirects,
            "latency_ms": round(self.headers_ms, 1),
            "total_ms": round(self.total_ms, 1),
            "bytes_read": self.body.bytes_read,
            "truncated": self.body.truncated,
            "content_type": self.content_type,
        }
        if self.location is not None:
            details["location"] = self.location
        if self.body.decoded_bytes is not None:
            details["decoded_bytes"] = self.body.decoded_bytes
        return details

    def text(self) -> str:
        return to_text(self.body.data, charset_of(self.content_type))


class Trip:
    """One fetch across redirects: where it is, where it has been, what it sends."""

    def __init__(
        self, check: Check, url: URL, plain_headers: dict[str, str], secret_headers: dict[str, str]
    ) -> None:
        self.check = check
        self.method: str = check.method
        self.url = url
        self.data = check.body
        self.redirects: list[dict[str, Any]] = []
        self.started = time.perf_counter()
        self._chain: list[tuple[str, str]] = [(self.method, str(url))]
        self._origin = url.origin()
        self._plain = plain_headers
        self._secret = secret_headers
        self.hide = Hider(tuple(secret_headers.values()))

    @property
    def shown_url(self) -> str:
        return plain(self.hide(str(self.url)), 300)

    def headers(self) -> dict[str, str]:
        # Credentials go only to the origin they were written for, like curl and browsers.
        return {**self._plain, **self._secret} if self._secret else self._plain

    def follow(self, status: int, location: str | None) -> bool | Outcome:
        """Move to the next hop: True to go on, False when this answer is final, or a failure."""
        from yarl import URL

        if not self.check.follow_redirects or status not in REDIRECTS or location is None:
            return False
        shown = plain(self.hide(location))
        self.redirects.append({"status": status, "location": shown})
        try:
            target = self.url.join(URL(location)).with_fragment(None)
        except (ValueError, TypeError):
            return self._fail(f"HTTP {status} redirects to '{shown}', which is not a URL")
        if target.scheme not in ("http", "https") or not target.host:
            return self._fail(f"HTTP {status} redirects to '{shown}', which is not a web address")
        if (status == 303 and self.method != "HEAD") or (
            status in (301, 302) and self.method == "POST"
        ):
            self.method, self.data = "GET", None
        hop = (self.method, str(target))
        if hop in self._chain:
            return self._fail(f"redirect loop: {self._loop(hop)}")
        if len(self.redirects) > self.check.max_redirects:
            return self._fail(f"more than {self.check.max_redirects} redirects")
        if target.origin() != self._origin:
            self._secret = {}
        self._chain.append(hop)
        self.url = target
        return True

    def _loop(self, hop: tuple[str, str]) -> str:
        from yarl import URL

        urls = [URL(url) for _, url in self._chain[self._chain.index(hop) :]] + [URL(hop[1])]
        # Paths are enough while the loop stays on the site the check names.
        shown = [url.raw_path_qs if url.origin() == self._origin else str(url) for url in urls]
        return plain(self.hide(" → ".join(shown)), 300)

    def _fail(self, summary: str) -> Outcome:
        return Outcome.fail(summary, Layer.HTTP, url=self.shown_url, redirects=self.redirects)

    async def receive(self, response: aiohttp.ClientResponse) -> Answer:
        """Read the final response's body within the cap."""
        headers_ms = (time.perf_counter() - self.started) * 1000
        if self.method == "HEAD":
            body = Body(b"", 0, truncated=False)
        else:
            body = await read_body(
                response.content,
                self.check.max_body,
                response.headers.get("Content-Encoding"),
                keep=self.check.inspects_body(),
            )
        content_type = response.headers.get("Content-Type")
        location = response.headers.get("Location") if 300 <= response.status < 400 else None
        return Answer(
            status=response.status,
            url=self.shown_url,
            redirects=self.redirects,
            headers_ms=headers_ms,
            total_ms=(time.perf_counter() - self.started) * 1000,
            body=body,
            content_type=None if content_type is None else plain(self.hide(content_type), 100),
            location=None if location is None else plain(self.hide(location)),
            hide=self.hide,
        )


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Fetch the check's URL, follow redirects within limits, and judge the final answer."""
    from yarl import URL

    try:
        plain_headers, secret_headers = _resolve_headers(check, ctx)
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL)
    try:
        url = URL(check.url)
    except ValueError:
        return Outcome.error(f"'{plain(check.url)}' cannot be fetched", Layer.CONFIG)
    session = ctx.http  # first use builds it; that is set-up, not the vendor's latency
    trip = Trip(check, url, plain_headers, secret_headers)
    answer = await _fetch(trip, session)
    return answer if isinstance(answer, Outcome) else judge(check, answer)


def _resolve_headers(check: Check, ctx: ProbeContext) -> tuple[dict[str, str], dict[str, str]]:
    plain_headers: dict[str, str] = {}
    secret_headers: dict[str, str] = {}
    for name, value in check.headers.items():
        ref = secret_in(value)
        if ref is None:
            plain_headers[name] = value
            continue
        try:
            resolved = ctx.secret(ref)
        except SecretError as exc:
            raise SecretError(f"header {name}: {exc}") from None
        if any(char in resolved for char in "\r\n\0"):
            raise SecretError(f"header {name}: {ref.describe()} holds a line break")
        secret_headers[name] = resolved
    if not any(name.lower() == "accept-encoding" for name in check.headers):
        plain_headers["Accept-Encoding"] = ACCEPT_ENCODING
    return plain_headers, secret_headers


async def _fetch(trip: Trip, session: aiohttp.ClientSession) -> Answer | Outcome:
    import aiohttp

    try:
        while True:
            async with session.request(
                trip.method,
                trip.url,
                headers=trip.headers(),
                data=trip.data,
                allow_redirects=False,
            ) as response:
                step = trip.follow(response.status, response.headers.get("Location"))
                if isinstance(step, Outcome):
                    return step
                if not step:
                    return await trip.receive(response)
    except (aiohttp.ClientError, OSError, TimeoutError) as exc:
        # TimeoutError here is aiohttp's own; the runner's deadline arrives as cancellation.
        return network_failure(exc, trip)


# --- judging ---------------------------------------------------------------------------------


def judge(check: Check, answer: Answer) -> Outcome:
    """Status, then content, then latency: the first expectation not met decides."""
    details = answer.details()
    if not any(status_matches(answer.status, spec) for spec in check.expect_status):
        summary = f"HTTP {answer.status} {status_phrase(answer.status)}, expected "
        return Outcome.fail(summary + either(check.expect_status), Layer.HTTP, **details)
    if check.inspects_body():
        problem, text = content_problem(check, answer)
        if problem is not None:
            shown = excerpt(answer.hide(text), answer.content_type)
            return Outcome.fail(problem, Layer.CONTENT, **details, excerpt=shown)
    took = f"HTTP {answer.status} in {_ms(answer.total_ms)}"
    over = (
        check.latency.exceeded(timedelta(milliseconds=answer.total_ms)) if check.latency else None
    )
    if over is not None:
        level, limit = over
        if level == "fail":
            summary = f"{took}, slower than the {format_duration(limit)} limit"
            return Outcome.fail(summary, Layer.HTTP, **details)
        summary = f"{took}, slower than the {format_duration(limit)} warning"
        return Outcome.warn(summary, Layer.HTTP, **details)
    return Outcome.ok(took, **details)


def content_problem(check: Check, answer: Answer) -> tuple[str | None, str]:
    """The first content expectation not met (or None), and the text it was judged on."""
    if answer.body.error is not None:
        return answer.body.error, ""
    text = answer.text()
    where = f" (in the first {_bytes(len(answer.body.data))} read)" if answer.body.truncated else ""
    if check.contains is not None and check.contains not in text:
        return f"the page does not contain '{plain(check.contains, 80)}'{where}", text
    if check.not_contains is not None and check.not_contains in text:
        return f"the page contains '{plain(check.not_contains, 80)}'{where}", text
    if check.regex is not None and re.search(check.regex, text) is None:
        return f"the page does not match /{plain(check.regex, 80)}/{where}", text
    if check.json_expect is not None:
        problem = _json_problem(check.json_expect, text, answer.hide)
        return (None if problem is None else problem + where), text
    return None, text


def _json_problem(expect: JsonExpect, text: str, hide: Hider) -> str | None:
    try:
        document = json.loads(text.removeprefix("\ufeff"))
    except (ValueError, RecursionError):
        return "the answer is not JSON"
    path = plain(expect.path, 80)
    found = json_at(document, parse_json_path(expect.path))
    if found is _MISSING:
        return None if expect.exists is False else f"JSON {path} is missing"
    if expect.exists is False:
        return f"JSON {path} is present, expected it to be absent"
    if "equals" in expect.model_fields_set and not same_json(found, expect.equals):
        return f"JSON {path} is {_show(found, hide)}, expected {_show(expect.equals, hide)}"
    return None


def json_at(document: Any, steps: tuple[str | int, ...]) -> Any:
    """The value at ``steps`` in a parsed JSON document, or a private 'missing' marker."""
    node = document
    for step in steps:
        node = _child(node, step)
        if node is _MISSING:
            break
    return node


def _child(node: Any, step: str | int) -> Any:
    if isinstance(step, int):
        present = isinstance(node, list) and -len(node) <= step < len(node)
    else:
        present = isinstance(node, dict) and step in node
    return node[step] if present else _MISSING


def same_json(found: Any, expected: Any) -> bool:
    """JSON equality: ``true`` is not ``1`` and ``"1"`` is not ``1``, as in JSON itself."""
    if isinstance(found, bool) or isinstance(expected, bool):
        return type(found) is type(expected) and found == expected
    if isinstance(found, int | float) and isinstance(expected, int | float):
        return found == expected
    if isinstance(found, list) and isinstance(expected, list):
        pairs = zip(found, expected, strict=False)
        return len(found) == len(expected) and all(same_json(a, b) for a, b in pairs)
    if isinstance(found, dict) and isinstance(expected, dict):
        return found.keys() == expected.keys() and all(
            same_json(found[key], expected[key]) for key in found
        )
    return type(found) is type(expected) and bool(found == expected)


def _show(value: Any, hide: Hider) -> str:
    return plain(hide(json.dumps(value, ensure_ascii=False, default=str)), 60)


def status_matches(status: int, spec: int | str) -> bool:
    """Whether ``status`` is ``spec``: a code (404) or a class written like ``2xx``."""
    return status == spec if isinstance(spec, int) else status // 100 == int(spec[0])


def status_phrase(status: int) -> str:
    """The reason phrase of a status code, for summaries."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "(an unknown status)"


def either(specs: list[int | str]) -> str:
    """``200, 201 or 303``: expected statuses in words."""
    words = [str(spec) for spec in specs]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _bytes(count: int) -> str:
    """A size as people read it: 1 MiB, 512 KiB, 900 bytes."""
    for unit, size in (("MiB", MIB), ("KiB", 1024)):
        if count >= size:
            return f"{count / size:.3g} {unit}"
    return f"{count} bytes"


def _ms(millis: float) -> str:
    return f"{millis:.0f} ms" if millis < 1000 else f"{millis / 1000:.1f} s"


# --- failures below HTTP ---------------------------------------------------------------------


def network_failure(exc: BaseException, trip: Trip) -> Outcome:
    """Translate an aiohttp or socket exception into the layer that failed, in plain words."""
    import aiohttp

    host = trip.url.host or "the server"
    where = f"{host}:{trip.url.port}"
    details: dict[str, Any] = {"url": trip.shown_url, "redirects": trip.redirects}
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        reason = _os_reason(exc.os_error)
        return Outcome.fail(f"{host} is not found in DNS", Layer.DNS, reason=reason, **details)
    if isinstance(exc, aiohttp.ClientConnectorCertificateError):
        reason = _certificate_reason(exc.certificate_error)
        return Outcome.fail(f"TLS to {where} failed: {reason}", Layer.TLS, **details)
    if isinstance(exc, aiohttp.ClientSSLError):
        reason = _ssl_reason(exc.os_error)
        return Outcome.fail(f"TLS to {where} failed: {reason}", Layer.TLS, **details)
    if isinstance(exc, aiohttp.ClientConnectorError):
        reason = _os_reason(exc.os_error)
        return Outcome.fail(f"cannot connect to {where}: {reason}", Layer.CONNECT, **details)
    return _failure_after_connect(exc, host, where, details, trip.hide)


def _failure_after_connect(
    exc: BaseException, host: str, where: str, details: dict[str, Any], hide: Hider
) -> Outcome:
    import aiohttp

    if isinstance(exc, aiohttp.ServerDisconnectedError):
        summary = f"{host} closed the connection without a complete answer"
        return Outcome.fail(summary, Layer.HTTP, **details)
    if isinstance(exc, aiohttp.ClientPayloadError):
        return Outcome.fail(
            f"the answer from {host} is cut off or malformed",
            Layer.HTTP,
            reason=plain(hide(str(exc))),
            **details,
        )
    if isinstance(exc, aiohttp.ClientResponseError):
        summary = f"{host} sent an answer that is not valid HTTP: {plain(hide(exc.message), 120)}"
        return Outcome.fail(summary, Layer.HTTP, **details)
    if isinstance(exc, TimeoutError):
        return Outcome.fail(f"{host} did not answer in time", Layer.TIMEOUT, **details)
    if isinstance(exc, OSError):
        reason = _os_reason(exc)
        return Outcome.fail(f"the connection to {where} failed: {reason}", Layer.CONNECT, **details)
    # Only the class name: an unknown exception's text might carry a request header.
    summary = f"the request to {host} failed ({type(exc).__name__})"
    return Outcome.fail(summary, Layer.HTTP, **details)


def _os_reason(error: OSError) -> str:
    import socket

    if isinstance(error, socket.gaierror) or not error.errno or error.errno < 0:
        text = error.strerror or type(error).__name__
    else:
        text = os.strerror(error.errno)
    text = plain(text, 120)
    return text[:1].lower() + text[1:]


def _certificate_reason(error: Exception) -> str:
    code = getattr(error, "verify_code", None)
    if code in _CERT_REASONS:
        return _CERT_REASONS[code]
    message = getattr(error, "verify_message", None) or str(error)
    return plain(f"the certificate is not accepted: {message}", 160)


def _ssl_reason(error: OSError) -> str:
    reason = getattr(error, "reason", None)
    if isinstance(reason, str) and reason in _SSL_REASONS:
        return _SSL_REASONS[reason]
    text = reason if isinstance(reason, str) else str(error) or type(error).__name__
    return plain(text.replace("_", " ").lower(), 120)
