"""A configurable SMTP server on 127.0.0.1 (aiosmtpd) for the smtp check and the sender.

Like :mod:`tests.servers.smtp_sink` it runs in its own thread and event loop, on an
ephemeral port taken with the loop's ``create_server``. :func:`serve_smtp` chooses how it
behaves: plain, with STARTTLS, or TLS from the first byte (``implicit``); a login with
AUTH PLAIN and LOGIN checked against a users dict; recipients it refuses; or, instead of
SMTP, a greeting other than 220 or no greeting at all. It keeps every message it accepts
and every login it let in.

:func:`make_mail_certificates` writes a trusted CA bundle and server certificates, from
trustme, for the situations the tests need: valid, expired, expiring in 3 days, for another
host, and from a CA nobody trusts.
"""

from __future__ import annotations

import asyncio
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, Protocol

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.servers.smtp_sink import Mail
from tests.servers.tls_server import make_certificates


@dataclass(frozen=True)
class MailCertificates:
    """The trusted CA bundle and a key+chain PEM file per kind of server certificate."""

    bundle: Path
    valid: Path
    expired: Path
    expiring: Path
    wrong_host: Path
    untrusted: Path


def make_mail_certificates(directory: Path, *names: str) -> MailCertificates:
    """Certificates for ``names`` (default: localhost and 127.0.0.1) under ``directory``:
    those of :func:`tests.servers.tls_server.make_certificates`, in files named ``mail-*``."""
    made = make_certificates(directory, *names, prefix="mail-")
    return MailCertificates(
        bundle=made.bundle,
        valid=made.valid,
        expired=made.expired,
        expiring=made.expiring,
        wrong_host=made.wrong_host,
        untrusted=made.unknown_ca,
    )


def server_tls(chain: Path) -> ssl.SSLContext:
    """A server context presenting ``chain``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    return context


@dataclass
class MailServer:
    """A running server: its port, what it received, and who logged in."""

    port: int
    inbox: list[Mail] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)
    failed_logins: list[str] = field(default_factory=list)


class _Handler:
    def __init__(self, server: MailServer, refuse: frozenset[str]) -> None:
        self.server = server
        self.refuse = refuse

    async def handle_RCPT(
        self, smtp: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        content = envelope.original_content or b""
        parsed = message_from_bytes(content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.server.inbox.append(Mail(envelope.mail_from or "", tuple(envelope.rcpt_tos), parsed))
        return "250 2.0.0 OK queued as TEST1"


class Logins(Protocol):
    """Where a server writes down who logged in and who was refused."""

    logins: list[str]
    failed_logins: list[str]


class Authenticator:
    """AUTH PLAIN and LOGIN against ``users`` (name → password), noted on ``server``."""

    def __init__(self, server: Logins, users: dict[str, str]) -> None:
        self.server = server
        self.users = users

    def __call__(
        self, smtp: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        if self.users.get(user) == password:
            self.server.logins.append(user)
            return AuthResult(success=True)
        self.server.failed_logins.append(user)
        return AuthResult(success=False, handled=False)


def tracked_smtp(transports: set[asyncio.Transport]) -> type[SMTP]:
    """aiosmtpd's SMTP, noting each connection's transport so a stop can abort it."""

    class Tracked(SMTP):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            if isinstance(transport, asyncio.Transport):
                transports.add(transport)
            super().connection_made(transport)

    return Tracked


@contextmanager
def running(
    loop: asyncio.AbstractEventLoop,
    factory: Callable[[], asyncio.Protocol],
    *,
    transports: set[asyncio.Transport],
    tls: ssl.SSLContext | None,
    name: str,
) -> Iterator[int]:
    """Serve ``factory`` on an ephemeral 127.0.0.1 port from ``loop``, run in a thread of its
    own, until the block ends; yields the port. The stop aborts every connection in
    ``transports`` and cancels what is still running, so no test waits on a client."""
    holder: dict[str, asyncio.Server] = {}

    async def start() -> int:
        server = await loop.create_server(factory, "127.0.0.1", 0, ssl=tls)
        holder["server"] = server
        port: int = server.sockets[0].getsockname()[1]
        return port

    async def stop() -> None:
        server = holder["server"]
        server.close()
        for transport in list(transports):
            transport.abort()
        pending = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        await asyncio.sleep(0)  # the transports finish closing on the next turn
        await server.wait_closed()

    thread = threading.Thread(target=loop.run_forever, name=name, daemon=True)
    thread.start()
    port = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    try:
        yield port
    finally:
        try:
            asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()


class _Raw(asyncio.Protocol):
    """Not SMTP: says ``greeting`` (or nothing) and then only listens."""

    def __init__(self, greeting: bytes | None) -> None:
        self.greeting = greeting

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.greeting is not None:
            assert isinstance(transport, asyncio.WriteTransport)
            transport.write(self.greeting)


@contextmanager
def serve_smtp(
    *,
    tls: ssl.SSLContext | None = None,
    implicit: bool = False,
    users: dict[str, str] | None = None,
    refuse: frozenset[str] = frozenset(),
    greeting: bytes | None = None,
    silent: bool = False,
) -> Iterator[MailServer]:
    """Serve until the block ends; yields the running :class:`MailServer`.

    ``tls`` offers STARTTLS with that context, or with ``implicit`` speaks TLS from the
    first byte. ``users`` (name → password) turns on AUTH; a login needs TLS when STARTTLS
    is offered, as real submission servers insist. ``greeting`` (a raw line such as
    ``b"554 no service\\r\\n"``) or ``silent`` replace SMTP with a server that says that,
    or nothing, and then waits.
    """
    loop = asyncio.new_event_loop()
    mail = MailServer(port=0)
    transports: set[asyncio.Transport] = set()
    handler = _Handler(mail, frozenset(address.lower() for address in refuse))
    authenticator = Authenticator(mail, users) if users else None
    tracked = tracked_smtp(transports)

    def smtp() -> asyncio.Protocol:
        return tracked(
            handler,
            hostname="mail.test",
            tls_context=None if implicit else tls,
            authenticator=authenticator,
            # Over implicit TLS aiosmtpd does not know the connection is encrypted.
            auth_require_tls=tls is not None and not implicit,
            loop=loop,
        )

    def raw() -> asyncio.Protocol:
        protocol = _Raw(None if silent else greeting)
        original = protocol.connection_made

        def made(transport: asyncio.BaseTransport) -> None:
            if isinstance(transport, asyncio.Transport):
                transports.add(transport)
            original(transport)

        protocol.connection_made = made  # type: ignore[method-assign]
        return protocol

    factory = raw if (silent or greeting is not None) else smtp
    loop.set_exception_handler(_quiet_about_clients)
    with running(
        loop,
        factory,
        transports=transports,
        tls=tls if implicit else None,
        name="test-smtp-server",
    ) as port:
        mail.port = port
        yield mail


def _quiet_about_clients(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    # A client that refuses our certificate or hangs up mid-handshake is the point of a test.
    if not isinstance(context.get("exception"), OSError):
        loop.default_exception_handler(context)
