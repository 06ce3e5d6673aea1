"""An SMTP server on 127.0.0.1 (aiosmtpd) that accepts every message and keeps it.

It runs in its own thread and event loop, like :func:`tests.servers.http.serve`, on an
ephemeral port: aiosmtpd's ``Controller`` wants a fixed port, so the server is started with
the event loop's ``create_server`` instead.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Mail:
    """One message as it arrived: the envelope and the parsed message."""

    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage


class _Keeper:
    def __init__(self, inbox: list[Mail]) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        sender = envelope.mail_from or ""
        self.inbox.append(Mail(sender, tuple(envelope.rcpt_tos), parsed))
        return "250 OK"


@contextmanager
def smtp_sink() -> Iterator[tuple[int, list[Mail]]]:
    """Serve SMTP until the block ends; yields the port and the messages received."""
    inbox: list[Mail] = []
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, object] = {}

    async def start() -> None:
        server = await loop.create_server(
            lambda: SMTP(_Keeper(inbox), hostname="127.0.0.1"), "127.0.0.1", 0
        )
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        ready.set()

    async def stop() -> None:
        server = holder["server"]
        assert isinstance(server, asyncio.Server)
        server.close()
        await server.wait_closed()

    thread = threading.Thread(target=loop.run_forever, name="test-smtp-server", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop)
    if not ready.wait(10):
        raise RuntimeError("test SMTP server did not start")
    port = holder["port"]
    assert isinstance(port, int)
    try:
        yield port, inbox
    finally:
        try:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
