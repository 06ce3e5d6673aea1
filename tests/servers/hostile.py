"""HTTP endpoints on 127.0.0.1 that misbehave on purpose, to prove the probes' limits.

Two kinds. What HTTP itself can express (an endless body, a gzip bomb, a redirect loop, bytes
that are not UTF-8) is an aiohttp.web app served by :func:`tests.servers.http.serve`. What a
well-behaved server library refuses to do (never answer, drip a byte a second, send headers
forever, break chunked encoding, reset the connection) is a raw asyncio socket server,
:func:`serve_raw`, running in its own thread and loop like ``serve``.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import threading
import zlib
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager, suppress

from aiohttp import web

from tests.servers.streams import TrackedServer

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
MIB = 1024 * 1024


# --- raw socket servers ----------------------------------------------------------------------


@contextmanager
def serve_raw(handler: Handler) -> Iterator[str]:
    """Run ``handler`` for each connection until the block ends; yields ``http://127.0.0.1:PORT``.

    On exit every connection is cancelled and closed, so a handler may loop forever.
    """
    loop = asyncio.new_event_loop()
    tasks: set[asyncio.Task[None]] = set()
    tracked = TrackedServer()
    holder: dict[str, object] = {}
    ready = threading.Event()

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        tasks.add(task)
        try:
            await handler(reader, writer)
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            tasks.discard(task)
            writer.close()
            with suppress(ConnectionError, asyncio.CancelledError):
                await writer.wait_closed()

    async def start() -> None:
        server = await tracked.start(connection)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    async def stop() -> None:
        server = holder["server"]
        assert isinstance(server, asyncio.Server)
        server.close()
        for task in list(tasks):
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        tracked.close_all()
        await asyncio.sleep(0)  # the transports finish closing on the next turn
        await server.wait_closed()

    thread = threading.Thread(target=loop.run_forever, name="test-raw-server", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    if not ready.wait(10):
        raise RuntimeError("raw test server did not start")
    try:
        yield f"http://127.0.0.1:{holder['port']}"
    finally:
        try:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


async def read_request(reader: asyncio.StreamReader) -> bytes:
    """The request line and headers (the probes under test send no body to these servers)."""
    return await reader.readuntil(b"\r\n\r\n")


async def never_answers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Accepts the connection, reads the request, and then says nothing, ever."""
    await read_request(reader)
    await asyncio.Event().wait()


def drip(payload: bytes, interval: float = 1.0) -> Handler:
    """Sends ``payload`` one byte every ``interval`` seconds, from the very first byte."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        for byte in payload:
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(interval)
        await asyncio.Event().wait()

    return handler


def drip_body(interval: float = 1.0) -> Handler:
    """Sends its headers at once, then a body one byte every ``interval`` seconds, forever."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        while True:
            writer.write(b".")
            await writer.drain()
            await asyncio.sleep(interval)

    return handler


async def endless_headers(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """A status line, then header lines as fast as the client takes them, never a blank line."""
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\n")
    number = 0
    while True:
        number += 1
        writer.write(b"X-Filler-%d: %s\r\n" % (number, b"a" * 100))
        await writer.drain()


async def bad_chunking(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Announces chunked encoding, then sends a chunk size that is not hexadecimal."""
    await read_request(reader)
    writer.write(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"zz\r\nWelcome\r\n0\r\n\r\n"
    )
    await writer.drain()
    await asyncio.Event().wait()


async def reset(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Reads the request and drops the connection with a TCP reset instead of answering."""
    await read_request(reader)
    sock = writer.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def short_body(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Promises a thousand bytes, sends a few, and hangs up."""
    await read_request(reader)
    writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nWelcome")
    await writer.drain()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


# --- aiohttp.web endpoints -------------------------------------------------------------------


def gzip_bomb(size: int, block: int = MIB) -> Iterator[bytes]:
    """``size`` zero bytes as one valid gzip stream, produced in a fraction of the time.

    After a full flush a deflate stream depends only on what follows, so one block of zeros
    compresses to the same bytes every time: compress it once and repeat it. The trailer's
    CRC is computed only if a client reads that far.
    """
    if size % block or size < 2 * block:
        raise ValueError("size must be a multiple of block, at least two blocks")
    zeros = bytes(block)
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    yield compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    repeated = compressor.compress(zeros) + compressor.flush(zlib.Z_FULL_FLUSH)
    for _ in range(size // block - 1):
        yield repeated
    crc = 0
    for _ in range(size // block):
        crc = zlib.crc32(zeros, crc)
    yield compressor.flush()[:-8] + struct.pack("<II", crc, size & 0xFFFFFFFF)


def hostile_app(*, bomb_size: int = 1024 * MIB) -> web.Application:
    """Endless body, gzip bomb, redirect loop and chain, and a body that is not valid UTF-8."""
    app = web.Application()
    app.router.add_get("/endless", _endless)
    app.router.add_get("/bomb", _bomb(bomb_size))
    app.router.add_get("/loop/{name}", _loop)
    app.router.add_get("/chain/{n}", _chain)
    app.router.add_get("/bad-utf8", _bad_utf8)
    return app


async def _endless(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/plain"})
    await response.prepare(request)
    block = b"Welcome " * 8192
    with suppress(ConnectionError):
        while True:
            await response.write(block)
    return response


def _bomb(size: int) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def handler(request: web.Request) -> web.StreamResponse:
        headers = {"Content-Type": "text/plain", "Content-Encoding": "gzip"}
        response = web.StreamResponse(headers=headers)
        await response.prepare(request)
        with suppress(ConnectionError):
            for part in gzip_bomb(size):
                await response.write(part)
            await response.write_eof()
        return response

    return handler


async def _loop(request: web.Request) -> web.Response:
    other = "b" if request.match_info["name"] == "a" else "a"
    raise web.HTTPFound(f"/loop/{other}")


async def _chain(request: web.Request) -> web.Response:
    raise web.HTTPFound(f"/chain/{int(request.match_info['n']) + 1}")


BAD_UTF8 = b"<html><body>caf\xe9 \xff\xfe Welcome \xc3\x28 to the shop</body></html>"


async def _bad_utf8(request: web.Request) -> web.Response:
    return web.Response(body=BAD_UTF8, headers={"Content-Type": "text/html; charset=utf-8"})
