"""An SMTP server on 127.0.0.1 that delivers what it accepts into the test Dovecot's Maildir.

It stands in for a mail provider between submission and the inbox: aiosmtpd takes the
message (with STARTTLS, TLS from the first byte, or in the clear; with AUTH PLAIN/LOGIN
against a users dict) and its handler drops the raw message into one Dovecot user's
Maildir with :meth:`tests.servers.dovecot.Dovecot.drop_raw`. A :class:`Route` decides what
happens to each accepted message: which folder it lands in (``INBOX`` or ``Junk``), whether
its arrival time (the INTERNALDATE Dovecot reports) is stamped later than the acceptance,
whether it appears only after a real pause, or whether it is lost.

Like :mod:`tests.servers.smtp_server` it runs in a thread with its own event loop, on an
ephemeral port taken with ``create_server``. It counts connections, so a test can show
that a probe never even connected.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING

from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.servers.smtp_server import Authenticator, running, tracked_smtp

if TYPE_CHECKING:
    import trustme

    from tests.servers.dovecot import Dovecot


@dataclass
class Route:
    """What becomes of each accepted message."""

    folder: str = "INBOX"
    """``INBOX`` or ``Junk``."""
    lag: timedelta = timedelta(0)
    """How much later than the acceptance its arrival time is stamped."""
    delay: float = 0.0
    """Seconds before it appears in the Maildir at all."""
    deliver: bool = True
    """False: accepted, then lost."""


@dataclass
class Relay:
    """A running relay: its port, its route, and what it saw."""

    port: int
    route: Route = field(default_factory=Route)
    accepted: list[EmailMessage] = field(default_factory=list)
    connections: int = 0
    logins: list[str] = field(default_factory=list)
    failed_logins: list[str] = field(default_factory=list)

    def reset(self) -> None:
        self.route = Route()
        self.accepted.clear()
        self.connections = 0
        self.logins.clear()
        self.failed_logins.clear()


def relay_tls(ca: trustme.CA) -> ssl.SSLContext:
    """A server context with a certificate for 127.0.0.1 and localhost issued by ``ca`` (the
    test Dovecot's, so one CA bundle lets a probe trust both servers)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


class _Deliverer:
    def __init__(self, relay: Relay, dovecot: Dovecot, user: str) -> None:
        self.relay = relay
        self.dovecot = dovecot
        self.user = user

    async def handle_DATA(self, smtp: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        parsed = message_from_bytes(raw, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.relay.accepted.append(parsed)
        route = self.relay.route
        if route.deliver:
            stamp = datetime.now(UTC) + route.lag if route.lag else None

            def deliver() -> None:
                self.dovecot.drop_raw(self.user, raw, folder=route.folder, received=stamp)

            if route.delay > 0:
                asyncio.get_running_loop().call_later(route.delay, deliver)
            else:
                deliver()
        return "250 2.0.0 OK queued as RELAY1"


@contextmanager
def serve_relay(
    dovecot: Dovecot,
    user: str,
    *,
    users: dict[str, str],
    tls: ssl.SSLContext | None = None,
    implicit: bool = False,
) -> Iterator[Relay]:
    """Relay into ``user``'s mailbox until the block ends; yields the running :class:`Relay`.

    ``tls`` offers STARTTLS with that context (and then a login needs it), or with
    ``implicit`` speaks TLS from the first byte; without it the relay is plain.
    """
    loop = asyncio.new_event_loop()
    relay = Relay(port=0)
    transports: set[asyncio.Transport] = set()
    handler = _Deliverer(relay, dovecot, user)
    authenticator = Authenticator(relay, users)
    tracked = tracked_smtp(transports)

    def smtp() -> asyncio.Protocol:
        # Called once per TCP connection (STARTTLS calls connection_made a second time).
        relay.connections += 1
        return tracked(
            handler,
            hostname="relay.test",
            tls_context=None if implicit else tls,
            authenticator=authenticator,
            # Over implicit TLS aiosmtpd does not know the connection is encrypted.
            auth_require_tls=tls is not None and not implicit,
            loop=loop,
        )

    with running(
        loop,
        smtp,
        transports=transports,
        tls=tls if implicit else None,
        name="test-smtp-relay",
    ) as port:
        relay.port = port
        yield relay
