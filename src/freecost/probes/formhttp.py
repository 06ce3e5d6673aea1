"""The ``form`` check's HTTP exchange: one client per run, one request and its answer at a time.

The check walks a customer's path (page, submission, the page after it), and each step needs
the same things: a fresh cookie jar, browser-like headers, a capped read of the answer, and a
failure that names the step and the layer it broke at. That is kept here, apart from what the
steps mean, so the probe reads as the path it walks.
"""

from __future__ import annotations

import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from freecost.probes.context import USER_AGENT
from freecost.probes.formwords import where
from freecost.probes.httpbody import ACCEPT_ENCODING, Body, charset_of, plain, read_body
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    import httpx

    from freecost.checktypes.form import Check
    from freecost.probes.context import ProbeContext

MAX_BODY = 2 * 1024 * 1024
"""The most read of any answer: a contact page or a form's reply is far smaller."""
PARSE_IN_THREAD = 256 * 1024
"""Pages larger than this are parsed off the event loop, so other checks keep running."""
MAX_REDIRECTS = 5
ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@dataclass(frozen=True)
class Answer:
    """One response, read within the cap."""

    status: int
    url: str
    content_type: str | None
    location: str | None
    body: Body

    def text(self) -> str:
        from freecost.probes.httpbody import to_text

        return to_text(self.body.data, charset_of(self.content_type))


class _RawStream:
    """httpx's raw byte iterator as the ``read``/``at_eof`` stream :func:`read_body` reads."""

    def __init__(self, response: httpx.Response) -> None:
        self._chunks = response.aiter_raw()
        self._pending = b""
        self._done = False

    async def read(self, n: int = -1) -> bytes:
        if not self._pending and not self._done:
            try:
                self._pending = await anext(self._chunks)
            except StopAsyncIteration:
                self._done = True
        size = len(self._pending) if n < 0 else n
        piece, self._pending = self._pending[:size], self._pending[size:]
        return piece

    def at_eof(self) -> bool:
        return self._done and not self._pending


class Failed(Exception):
    """A step could not be completed; carries the outcome the probe returns."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome


@asynccontextmanager
async def open_client(
    check: Check, ctx: ProbeContext, trust: ssl.SSLContext
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for this run only: its own cookie jar, browser-like headers, no redirects."""
    import httpx

    seconds = (check.timeout or ctx.settings.timeout).total_seconds()
    if check.expect_email is not None:
        # The exchange gets what the e-mail wait leaves of the deadline.
        seconds = max(1.0, seconds - check.expect_email.within.total_seconds())
    async with httpx.AsyncClient(
        verify=trust,
        headers={
            "User-Agent": USER_AGENT,
            "Accept": ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        follow_redirects=False,
        max_redirects=MAX_REDIRECTS,
        timeout=httpx.Timeout(seconds),
        trust_env=False,
    ) as client:
        yield client


async def exchange(
    client: httpx.AsyncClient,
    what: str,
    method: str,
    url: str,
    *,
    follow: bool,
    **request: Any,
) -> Answer:
    """Send one request (following redirects only when asked) and read its answer."""
    import httpx

    try:
        async with client.stream(method, url, follow_redirects=follow, **request) as response:
            body = await read_body(
                _RawStream(response),
                MAX_BODY,
                response.headers.get("Content-Encoding"),
                keep=True,
            )
            location = response.headers.get("Location") if response.is_redirect else None
            return Answer(
                response.status_code,
                str(response.url),
                response.headers.get("Content-Type"),
                location,
                body,
            )
    except httpx.TimeoutException:
        raise Failed(
            Outcome.fail(f"{what} did not answer in time ({where(url)})", Layer.TIMEOUT)
        ) from None
    except httpx.TooManyRedirects:
        raise Failed(
            Outcome.fail(f"{what} redirects too many times ({where(url)})", Layer.HTTP)
        ) from None
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise Failed(_network_failure(exc, what, url)) from None


def _network_failure(exc: Exception, what: str, url: str) -> Outcome:
    place = where(url)
    cause = _ssl_cause(exc)
    if cause is not None:
        reason = getattr(cause, "verify_message", None) or getattr(cause, "reason", None)
        shown = plain(str(reason or type(cause).__name__).replace("_", " ").lower(), 120)
        return Outcome.fail(f"{what}: TLS failed: {shown} ({place})", Layer.TLS)
    import httpx

    if isinstance(exc, httpx.ConnectError):
        return Outcome.fail(f"{what} cannot be reached ({place})", Layer.CONNECT)
    # Only the class name: a library's text about a request may carry the form's values.
    return Outcome.fail(f"{what} failed ({type(exc).__name__}, {place})", Layer.HTTP)


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: BaseException | None = exc
    for _ in range(6):
        if seen is None:
            return None
        if isinstance(seen, ssl.SSLError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
