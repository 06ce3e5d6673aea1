"""A real HTTP(S) server on 127.0.0.1 for tests, running in its own thread and event loop.

Probes under test run in the test's own loop (``asyncio.run``); keeping the server in a
separate thread means a probe that blocks or a server that stalls cannot deadlock the other.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web


@contextmanager
def serve(
    app: web.Application, *, host: str = "127.0.0.1", ssl_context: ssl.SSLContext | None = None
) -> Iterator[str]:
    """Serve ``app`` until the block ends; yields the base URL (``http://127.0.0.1:PORT``)."""
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        runner = web.AppRunner(app, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        site = web.TCPSite(runner, host, 0, ssl_context=ssl_context)
        await site.start()
        server = site._server
        assert isinstance(server, asyncio.base_events.Server)
        holder["port"] = server.sockets[0].getsockname()[1]
        holder["runner"] = runner
        ready.set()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="test-http-server", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("test HTTP server did not start")
    scheme = "https" if ssl_context else "http"
    try:
        yield f"{scheme}://{host}:{holder['port']}"
    finally:
        runner = holder["runner"]
        assert isinstance(runner, web.AppRunner)

        async def shutdown() -> None:
            await runner.cleanup()
            # Closed connections finish closing their sockets on a later turn of the loop;
            # stopping it first would leave them to the garbage collector, which then warns
            # about an unclosed transport in whatever test happens to be running.
            for _ in range(3):
                await asyncio.sleep(0)

        future = asyncio.run_coroutine_threadsafe(shutdown(), loop)
        try:
            future.result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
