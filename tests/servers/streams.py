"""``asyncio.start_server`` that remembers every connection, so a test server can close all.

Python 3.11's ``Server.close`` leaves accepted connections open, and a connection accepted
just before a test ends may not have reached its handler yet, so the handler's own cleanup
never runs. Left open, its socket is collected later, during some other test, as an
"unclosed transport" warning. Recording each transport when the connection is made, before
any handler runs, lets the server close every one of them.
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Awaitable, Callable
from typing import Any

ClientHandler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


class TrackedServer:
    """A stream server and the transports of every connection it accepted."""

    def __init__(self) -> None:
        self.server: asyncio.Server | None = None
        self.transports: set[asyncio.BaseTransport] = set()

    async def start(
        self,
        handler: ClientHandler,
        host: str | None = "127.0.0.1",
        port: int = 0,
        *,
        sock: socket.socket | None = None,
        ssl_context: ssl.SSLContext | None = None,
    ) -> asyncio.Server:
        loop = asyncio.get_running_loop()
        transports = self.transports

        class Protocol(asyncio.StreamReaderProtocol):
            def connection_made(self, transport: asyncio.BaseTransport) -> None:
                transports.add(transport)
                super().connection_made(transport)

        def factory() -> Protocol:
            reader = asyncio.StreamReader(loop=loop)
            return Protocol(reader, handler, loop=loop)

        kwargs: dict[str, Any] = {"ssl": ssl_context}
        if sock is not None:
            self.server = await loop.create_server(factory, sock=sock, **kwargs)
        else:
            self.server = await loop.create_server(factory, host, port, **kwargs)
        return self.server

    def close_all(self) -> None:
        """Stop listening and drop every connection still open."""
        if self.server is not None:
            self.server.close()
        for transport in self.transports:
            if not transport.is_closing():
                transport.abort()  # type: ignore[attr-defined]
