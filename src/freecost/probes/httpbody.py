"""Reading an HTTP body within a cap: bytes off the wire, inflated bytes, text for people.

A server can send an endless body, or a small gzip stream that inflates to gigabytes. Both caps
hold here, in our code: at most ``limit`` bytes are read from the wire and at most ``limit``
bytes come out of the decompressor, so one check holds about ``2 x max_body`` of memory
whatever the server sends. Brotli is not offered: the ``brotli`` package is not a dependency,
and only its newest releases can cap the output of one decompression call.
"""

from __future__ import annotations

import html
import re
import zlib
from dataclasses import dataclass
from typing import Protocol

READ_SIZE = 64 * 1024
ACCEPT_ENCODING = "gzip, deflate"
"""The codings :class:`Inflater` reads; sent as Accept-Encoding unless a check sets its own."""

EXCERPT_CHARS = 200
_EXCERPT_SOURCE = 64 * 1024  # visible text comes early; bounded work on a hostile page
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")
_RAW_TEXT_END = {
    "script": re.compile(r"</script", re.IGNORECASE),
    "style": re.compile(r"</style", re.IGNORECASE),
}


class ByteStream(Protocol):
    """What the reader needs of a response body (aiohttp's ``StreamReader`` has it)."""

    async def read(self, n: int = -1) -> bytes: ...

    def at_eof(self) -> bool: ...


class BodyError(Exception):
    """The body cannot be read as the server labelled it (corrupt or unknown coding)."""


@dataclass(frozen=True)
class Body:
    """What was read: the (inflated) bytes kept, and how much came off the wire."""

    data: bytes
    bytes_read: int
    truncated: bool
    decoded_bytes: int | None = None
    """Bytes out of the decompressor, when the body was compressed and kept."""
    error: str | None = None
    """Why the body could not be decoded (an unknown coding, corrupt compressed data)."""


class Inflater:
    """A gzip or deflate decoder whose total output never exceeds ``limit`` bytes."""

    def __init__(self, coding: str, limit: int) -> None:
        self._coding = coding
        self._room = limit
        self._head = b""
        self._decoder: zlib._Decompress | None = None

    @property
    def capped(self) -> bool:
        """The cap was reached while the compressed stream still had more to give."""
        return self._room <= 0 and not (self._decoder is not None and self._decoder.eof)

    def feed(self, chunk: bytes) -> bytes:
        """Inflate ``chunk``; raises BodyError when the data is not what the label says."""
        if self._decoder is None:
            # A raw-deflate sniff needs two bytes; a dripping server may send one at a time.
            self._head += chunk
            if len(self._head) < 2:
                return b""
            chunk, self._head = self._head, b""
            self._decoder = zlib.decompressobj(self._wbits(chunk))
        return self._inflate(chunk)

    def _wbits(self, head: bytes) -> int:
        if self._coding == "gzip":
            return 16 + zlib.MAX_WBITS
        # RFC 9110 says deflate is zlib-wrapped, but some servers send raw deflate.
        if head[0] & 0x0F == 8 and int.from_bytes(head[:2], "big") % 31 == 0:
            return zlib.MAX_WBITS
        return -zlib.MAX_WBITS

    def _inflate(self, chunk: bytes) -> bytes:
        assert self._decoder is not None
        out: list[bytes] = []
        while chunk and self._room > 0:
            try:
                # max_length bounds this call's output: the whole point against a bomb.
                piece = self._decoder.decompress(chunk, self._room)
            except zlib.error:
                raise BodyError(f"the body is not valid {self._coding} data") from None
            self._room -= len(piece)
            out.append(piece)
            chunk = self._decoder.unconsumed_tail
            if self._decoder.eof:
                chunk = self._next_member()
        return b"".join(out)

    def _next_member(self) -> bytes:
        # gzip allows several members back to back; anything after raw deflate is junk.
        assert self._decoder is not None
        rest = self._decoder.unused_data
        if self._coding == "gzip" and rest:
            self._decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
            return rest
        return b""


def coding_of(content_encoding: str | None) -> str | None:
    """The one coding to undo (``gzip`` or ``deflate``), or None for a plain body."""
    name = (content_encoding or "").strip().lower()
    if name in ("", "identity"):
        return None
    if name in ("gzip", "x-gzip"):
        return "gzip"
    if name == "deflate":
        return "deflate"
    raise BodyError(f"the body is encoded as '{plain(name, 40)}', which freecost cannot read")


async def read_body(
    stream: ByteStream, limit: int, content_encoding: str | None, *, keep: bool
) -> Body:
    """Read at most ``limit`` bytes; keep (and inflate, within ``limit``) only when asked.

    A body that cannot be decoded is still read, to measure it, and carries the reason in
    ``error``.
    """
    error: str | None = None
    coding: str | None = None
    if keep:
        try:
            coding = coding_of(content_encoding)
        except BodyError as exc:
            error, keep = str(exc), False
    inflater = Inflater(coding, limit) if coding else None
    kept: list[bytes] = []
    read = 0
    while read < limit:
        chunk = await stream.read(min(READ_SIZE, limit - read))
        if not chunk:
            break
        read += len(chunk)
        if inflater is None:
            if keep:
                kept.append(chunk)
            continue
        try:
            kept.append(inflater.feed(chunk))
        except BodyError as exc:
            return Body(b"", read, truncated=False, error=str(exc))
        if inflater.capped:
            data = b"".join(kept)
            return Body(data, read, truncated=True, decoded_bytes=len(data))
    data = b"".join(kept)
    truncated = read >= limit and not stream.at_eof()
    return Body(data, read, truncated, len(data) if inflater else None, error)


def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type header, if any."""
    for param in (content_type or "").split(";")[1:]:
        key, _, value = param.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def to_text(data: bytes, charset: str | None) -> str:
    """Decode with the server's charset (UTF-8 when absent or unknown); bad bytes become U+FFFD."""
    try:
        return data.decode(charset or "utf-8", errors="replace")
    except (LookupError, UnicodeError, TypeError):
        # An unknown name, or a codec that is not text-to-bytes (rot13, hex, undefined).
        return data.decode("utf-8", errors="replace")


def plain(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Outside text made safe for one line: no control characters, whitespace collapsed."""
    flat = " ".join(_CONTROL.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def excerpt(text: str, content_type: str | None) -> str:
    """The start of a body as a person would read it: HTML tags, scripts and styles removed."""
    head = text[:_EXCERPT_SOURCE]
    if _looks_like_markup(content_type, head):
        head = html.unescape(visible_text(head))
    return plain(head)


def _looks_like_markup(content_type: str | None, text: str) -> bool:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind:
        return kind.endswith(("html", "xml"))
    return text.lstrip()[:1] == "<"


def visible_text(markup: str) -> str:
    # A linear scan with str.find: a regex over tags can go quadratic on a page full of '<'.
    out: list[str] = []
    pos = 0
    while pos < len(markup):
        start = markup.find("<", pos)
        if start < 0:
            out.append(markup[pos:])
            break
        out.append(markup[pos:start])
        end = markup.find(">", start)
        if end < 0:
            break
        out.append(" ")
        pos = end + 1
        name = markup[start + 1 : end].split(maxsplit=1)
        closer = _RAW_TEXT_END.get(name[0].lower()) if name else None
        if closer is not None:
            found = closer.search(markup, pos)
            pos = found.start() if found else len(markup)
    return "".join(out)
