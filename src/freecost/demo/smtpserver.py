"""A mail server that does what the ``smtp`` check walks through, and no more.

It greets with 220, answers EHLO listing STARTTLS, upgrades the connection with the demo's
certificate, answers EHLO again inside TLS and says goodbye to QUIT. Any other command is
refused with 502: the demo never delivers mail (there is no inbox to deliver it to).
"""

from __future__ import annotations

import asyncio
import socket
import ssl
from dataclasses import dataclass, field

LINE_LIMIT = 4096
IDLE = 30.0
"""Seconds a client may stay silent before the server hangs up, as real servers do."""


@dataclass
class SmtpServer:
    """A running server; :meth:`close` stops it and drops its connections."""

    hostname: str
    context: ssl.SSLContext
    port: int = 0
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def _session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        secure = False
        try:
            writer.write(f"220 {self.hostname} ESMTP ready\r\n".encode())
            while True:
                line = await asyncio.wait_for(reader.readline(), IDLE)
                if not line:
                    break
                verb = line.decode("ascii", "replace").strip().split(" ", 1)[0].upper()
                if verb in ("EHLO", "HELO"):
                    offers = [] if secure else ["STARTTLS"]
                    lines = [self.hostname, "PIPELINING", "8BITMIME", *offers]
                    body = "".join(f"250-{item}\r\n" for item in lines[:-1])
                    writer.write(f"{body}250 {lines[-1]}\r\n".encode())
                elif verb == "STARTTLS" and not secure:
                    writer.write(b"220 2.0.0 ready to start TLS\r\n")
                    await writer.drain()
                    await writer.start_tls(self.context)
                    secure = True
                elif verb == "NOOP":
                    writer.write(b"250 2.0.0 OK\r\n")
                elif verb == "QUIT":
                    writer.write(b"221 2.0.0 bye\r\n")
                    await writer.drain()
                    break
                else:
                    writer.write(b"502 5.5.1 not accepted by this simulated server\r\n")
                await writer.drain()
        except (TimeoutError, ConnectionError, ssl.SSLError, ValueError, OSError):
            pass  # a client that goes away mid-conversation ends only its own session
        finally:
            self._writers.discard(writer)
            writer.close()

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()


async def start_smtp(hostname: str, context: ssl.SSLContext) -> SmtpServer:
    """Listen on a free port of 127.0.0.1 on the running loop."""
    server = SmtpServer(hostname, context)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    server.port = sock.getsockname()[1]
    server._server = await asyncio.start_server(server._session, sock=sock, limit=LINE_LIMIT)
    return server
