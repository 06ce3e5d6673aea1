"""Fetching a status page's JSON with a cap on what is read, decompressed and parsed.

Only gzip is asked for and decompressed here, chunk by chunk, so neither a huge body nor a
small compressed bomb can take more than the cap in memory. Library exceptions stop here:
everything that goes wrong becomes a :class:`FetchFailed` carrying the summary and layer the
probe reports. A status page that is down or unreadable is reported as ``error``: it says
nothing certain about the service it describes.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from freecost.results import Layer

if TYPE_CHECKING:
    import httpx

MAX_BYTES = 5 * 1024 * 1024
PARSE_IN_THREAD = 256 * 1024
"""Bodies larger than this are parsed off the event loop, so other checks keep running."""


class FetchFailed(Exception):
    """The page could not be read; ``summary`` is one line for a person."""

    def __init__(self, summary: str, layer: Layer, **details: Any) -> None:
        super().__init__(summary)
        self.summary = summary
        self.layer = layer
        self.details = details


@dataclass(frozen=True)
class Page:
    """One configured status page: where it is, what to look for, and how to fetch."""

    root: str
    client: httpx.AsyncClient
    component: str | None = None
    product_id: str | None = None
    page_id: str | None = None

    def url(self, path: str) -> str:
        """``path`` under the page's root (``/api/v2/summary.json``)."""
        return self.root.rstrip("/") + "/" + path.lstrip("/")

    async def json(self, url: str, limit: int = MAX_BYTES) -> Any:
        """The JSON document at ``url``, refusing bodies larger than ``limit`` bytes."""
        body = await _read(self.client, url, limit)
        if len(body) > PARSE_IN_THREAD:
            return await asyncio.to_thread(_parse, body, url)
        return _parse(body, url)


def _parse(body: bytes, url: str) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        # ValueError covers bad JSON, bad encodings and integers too long to convert.
        raise FetchFailed(
            f"the status page's answer is not valid JSON ({_where(url)})", Layer.CONTENT
        ) from None


async def _read(client: httpx.AsyncClient, url: str, limit: int) -> bytes:
    import httpx

    try:
        async with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as response:
            if response.status_code >= 400:
                raise FetchFailed(
                    f"the status page answered HTTP {response.status_code} ({_where(url)})",
                    Layer.HTTP,
                    http_status=response.status_code,
                )
            return await _capped_body(response, url, limit)
    except httpx.TimeoutException:
        raise FetchFailed(
            f"status page unreachable: no answer in time ({_where(url)})", Layer.TIMEOUT
        ) from None
    except httpx.TooManyRedirects:
        raise FetchFailed(
            f"the status page redirects too many times ({_where(url)})", Layer.HTTP
        ) from None
    except httpx.HTTPError as exc:
        layer = Layer.TLS if _is_tls(exc) else Layer.CONNECT
        reason = "TLS failed" if layer is Layer.TLS else type(exc).__name__
        raise FetchFailed(
            f"status page unreachable: {reason} ({_where(url)})", layer, reason=str(exc)[:200]
        ) from None


async def _capped_body(response: httpx.Response, url: str, limit: int) -> bytes:
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(url, limit)
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding not in ("identity", "gzip", "x-gzip", ""):
        raise FetchFailed(
            f"the status page used an encoding we did not ask for: {encoding[:30]}",
            Layer.CONTENT,
        )
    inflater = None if encoding in ("identity", "") else zlib.decompressobj(16 + zlib.MAX_WBITS)
    body = bytearray()
    async for chunk in response.aiter_raw():
        room = limit - len(body)
        if inflater is None:
            data = chunk
        else:
            try:
                data = inflater.decompress(chunk, room + 1)
            except zlib.error:
                raise FetchFailed(
                    f"the status page sent a corrupt compressed body ({_where(url)})",
                    Layer.CONTENT,
                ) from None
        if len(data) > room:
            raise _too_large(url, limit)
        body += data
    return bytes(body)


def _too_large(url: str, limit: int) -> FetchFailed:
    megabytes = limit / (1024 * 1024)
    return FetchFailed(
        f"the status page's answer is larger than {megabytes:g} MB ({_where(url)})",
        Layer.CONTENT,
        limit_bytes=limit,
    )


def _is_tls(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(5):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _where(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.hostname or '?'}{parts.path}"[:120]
