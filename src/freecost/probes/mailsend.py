"""Sending one message through an SMTP server: the half every e-mail canary shares.

Not a check type of its own. A canary (``email-roundtrip``, ``form`` with ``expect_email``)
describes its server with :class:`~freecost.checktypes.mailservers.SmtpServer`, builds its
message with :func:`canary_message` and hands both to :func:`send`, which either returns what
the server accepted (:class:`Sent`) or raises :class:`~freecost.probes.tcp.Stop` carrying the
outcome the canary should report.

The connection goes the way every other check's does: the host name is looked up with
:func:`~freecost.probes.tcp.resolve` (so ``settings.dns`` applies and a missing name fails at
the ``dns`` layer), the socket is connected here, and aiosmtplib speaks SMTP over it with
``ctx.ssl_context()`` for TLS, checking the certificate against the configured host name.

``tls: none`` sends in the clear. It exists for a relay on this machine or a test server;
with a login it is refused unless the host is a loopback address, because the password
would cross the network readable by anyone on the path.

The password is read only when the message is sent, and never appears in an outcome, an
exception's text or a log line: any server text that is shown first has the password, and
the base64 forms a login sends it in, blanked out.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import TYPE_CHECKING, Any

# Defined with the other check parameters; kept reachable here for callers of send.
from freecost.checktypes.mailservers import SmtpServer as SmtpServer
from freecost.errors import SecretError
from freecost.probes.canary import TOKEN_HEADER
from freecost.probes.tcp import Stop, resolve, unreachable
from freecost.probes.tls import trusted_context
from freecost.probes.tlsinfo import explain_handshake, explain_untrusted, plain
from freecost.results import Layer, Outcome
from freecost.secrets import SecretRef

if TYPE_CHECKING:
    import asyncio

    import aiosmtplib

    from freecost.probes.context import ProbeContext

BUDGET_SHARE = 0.8
"""Share of the runner's default deadline a send may take when the caller names none, so
the failure is reported with its step before the runner cancels the check."""

REPLY_LIMIT = 160
_HIDDEN = "[hidden]"


@dataclass(frozen=True)
class Sent:
    """A message the server accepted for delivery."""

    message_id: str
    accepted_at: datetime
    server: str
    """``host:port`` of the server that accepted it."""
    tls: str
    """How the connection was protected: ``starttls``, ``implicit`` or ``none``."""
    reply: str = ""
    """The server's answer to the message (often with its queue id), shortened."""

    def details(self) -> dict[str, Any]:
        return {
            "message_id": self.message_id,
            "accepted_at": self.accepted_at.isoformat(),
            "server": self.server,
            "tls": self.tls,
            "reply": self.reply,
        }


def canary_message(
    sender: str, to: str, token: str, subject: str, body: str, now: datetime, domain: str
) -> EmailMessage:
    """A message that carries ``token`` three ways: in the Subject (appended unless already
    there), in the :data:`~freecost.probes.canary.TOKEN_HEADER` header and in the Message-ID
    ``<token@domain>``, so the receiving side can find it whichever one survives.

    ``now`` must be timezone-aware; it becomes the Date header.
    """
    if now.tzinfo is None:
        raise ValueError("the Date of a canary message needs a timezone-aware time")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject if token in subject else f"{subject} {token}".strip()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = f"<{token}@{domain}>"
    message[TOKEN_HEADER] = token
    # RFC 3834: vacation responders and mailing lists must not answer an automatic message.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


class _Hider:
    """Blanks out a password, and the base64 forms logins carry it in, from server text."""

    def __init__(self, username: str | None, password: str | None) -> None:
        needles: list[str] = []
        if password:
            needles.append(password)
            needles.append(base64.b64encode(password.encode()).decode("ascii"))
            if username is not None:
                blob = f"\0{username}\0{password}".encode()
                needles.append(base64.b64encode(blob).decode("ascii"))
        # Longest first, so a blob containing the password is hidden whole.
        self._needles = sorted(needles, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for needle in self._needles:
            text = text.replace(needle, _HIDDEN)
        return text


@dataclass
class _Attempt:
    """One send in progress: what it is doing now, for a failure's summary."""

    server: SmtpServer
    username: str | None
    hide: _Hider
    budget: float
    now: datetime
    step: str = "connecting"
    transports: list[asyncio.Transport] = field(default_factory=list)
    """Every transport the connection had (plain, then TLS), to drop them all at the end."""

    def reply(self, code: int, message: str) -> str:
        return plain(self.hide(f"{code} {message}".strip()), REPLY_LIMIT)

    def stop(self, summary: str, layer: Layer, **details: Any) -> Stop:
        found = {"server": self.server.address, "tls": self.server.tls, "step": self.step}
        return Stop(Outcome.fail(plain(self.hide(summary)), layer, **found, **details))


def _seconds(budget: float) -> str:
    return f"{round(budget, 1):g} s"


def _resolve_login(ctx: ProbeContext, server: SmtpServer) -> tuple[str | None, str | None]:
    """The username (written out, or read from where it is named) and the password."""
    if server.username is None or server.password is None:
        return None, None
    try:
        username = server.username
        with contextlib.suppress(ValueError):  # written out, as usernames usually are
            username = ctx.secret(SecretRef.parse(username))
        password = ctx.secret(server.password)
    except SecretError as exc:
        raise Stop(Outcome.error(f"SMTP login: {exc}", Layer.LOCAL)) from None
    return username, password


async def _open_socket(ctx: ProbeContext, host: str, port: int) -> socket.socket:
    """A socket connected to the first address of ``host`` that accepts (as tcp.connect)."""
    import asyncio

    loop = asyncio.get_running_loop()
    addresses = await resolve(ctx, host)
    error: OSError | None = None
    for address in addresses:
        family = socket.AF_INET6 if ":" in address else socket.AF_INET
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, (address, port))
        except OSError as exc:
            sock.close()
            error = exc
            continue
        except BaseException:
            sock.close()
            raise
        return sock
    raise Stop(unreachable(host, port, addresses, error))


def _ehlo_name(sock: socket.socket) -> str:
    # An address literal is always a valid EHLO argument, and needs no DNS lookup.
    address = str(sock.getsockname()[0])
    return f"[IPv6:{address}]" if ":" in address else f"[{address}]"


async def send(
    ctx: ProbeContext, server: SmtpServer, message: EmailMessage, *, timeout: float | None = None
) -> Sent:
    """Hand ``message`` to ``server`` (envelope sender: ``server.sender``; recipients: the
    message's To/Cc/Bcc) and return what the server accepted.

    ``timeout`` is the seconds the whole exchange may take; by default a share of the
    runner's default deadline. Raises :class:`Stop` with the outcome on every failure:
    ``dns``/``connect``/``tls``/``protocol``/``timeout`` layers for the server's side, an
    ``error`` at the ``local`` layer for a missing secret or unreadable trust store.
    """
    import asyncio

    username, password = _resolve_login(ctx, server)
    context = None if server.tls == "none" else trusted_context(ctx)
    budget = timeout if timeout is not None else ctx.settings.timeout.total_seconds() * BUDGET_SHARE
    attempt = _Attempt(server, username, _Hider(username, password), budget, ctx.now())
    try:
        async with asyncio.timeout(budget) as timer:
            return await _converse(ctx, attempt, context, message, password)
    except TimeoutError:
        if not timer.expired():
            raise
        raise attempt.stop(
            f"the SMTP server {server.address} did not finish within {_seconds(budget)} "
            f"(while {attempt.step})",
            Layer.TIMEOUT,
        ) from None


async def _converse(
    ctx: ProbeContext,
    attempt: _Attempt,
    context: ssl.SSLContext | None,
    message: EmailMessage,
    password: str | None,
) -> Sent:
    import aiosmtplib

    server = attempt.server
    try:
        sock = await _open_socket(ctx, server.host, server.effective_port)
    except Stop as stop:
        raise stop.adding({"server": server.address, "tls": server.tls}) from None
    client = aiosmtplib.SMTP(
        hostname=server.host,  # with a socket given, only the name TLS must match
        sock=sock,
        use_tls=server.tls == "implicit",
        start_tls=False,
        tls_context=context,
        timeout=attempt.budget,
        local_hostname=_ehlo_name(sock),
    )
    try:
        reply = await _exchange(client, attempt, message, password)
        sent = Sent(
            message_id=str(message.get("Message-ID", "")),
            accepted_at=ctx.now(),
            server=server.address,
            tls=server.tls,
            reply=reply,
        )
        attempt.step = "saying goodbye"
        # The message was accepted; how the server says goodbye changes nothing.
        with contextlib.suppress(aiosmtplib.SMTPException):
            await client.quit()
        return sent
    except aiosmtplib.SMTPException as exc:
        raise _explain(exc, attempt) from None
    except ssl.SSLError as exc:
        raise _explain_tls(exc, attempt) from None
    finally:
        client.close()
        # A TLS transport closes politely over several turns of the event loop, which may
        # end first (and warn of an unclosed socket); the goodbye was said, so drop it now.
        for transport in attempt.transports:
            transport.abort()
        sock.close()


def _remember(client: aiosmtplib.SMTP, attempt: _Attempt) -> None:
    import asyncio

    if isinstance(client.transport, asyncio.Transport):
        attempt.transports.append(client.transport)


async def _exchange(
    client: aiosmtplib.SMTP, attempt: _Attempt, message: EmailMessage, password: str | None
) -> str:
    """Greeting, STARTTLS, login and the message itself; the server's answer to it."""
    server = attempt.server
    attempt.step = "the TLS handshake" if server.tls == "implicit" else "waiting for the greeting"
    await client.connect()
    _remember(client, attempt)
    if server.tls == "starttls":
        attempt.step = "EHLO"
        await client.ehlo()
        if not client.supports_extension("starttls"):
            raise attempt.stop(
                f"the SMTP server {server.address} does not offer STARTTLS", Layer.PROTOCOL
            )
        attempt.step = "STARTTLS"
        await client.starttls()
        _remember(client, attempt)
    if attempt.username is not None and password is not None:
        attempt.step = "logging in"
        await client.login(attempt.username, password)
    attempt.step = "sending the message"
    try:
        _, reply = await client.send_message(message, sender=server.sender)
    except ValueError as exc:
        # The message itself is wrong (no recipient): the canary's doing, not the server's.
        raise Stop(
            Outcome.error(plain(f"the message cannot be sent: {exc}"), Layer.CONFIG)
        ) from None
    return plain(attempt.hide(reply), REPLY_LIMIT)


def _explain(exc: aiosmtplib.SMTPException, attempt: _Attempt) -> Stop:
    """A failure of aiosmtplib, in words, at the layer it belongs to."""
    import aiosmtplib

    address = attempt.server.address
    cause = exc.__cause__
    if isinstance(cause, ssl.SSLError):
        return _explain_tls(cause, attempt)
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return attempt.stop(
            f"the SMTP server {address} did not answer within {_seconds(attempt.budget)} "
            f"(while {attempt.step})",
            Layer.TIMEOUT,
        )
    if isinstance(exc, aiosmtplib.SMTPConnectResponseError):
        return attempt.stop(
            f"the SMTP server {address} greeted with {exc.code} instead of 220",
            Layer.PROTOCOL,
            reply=attempt.reply(exc.code, exc.message),
        )
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return attempt.stop(
            f"the SMTP server refused the login for {attempt.username}",
            Layer.PROTOCOL,
            reply=attempt.reply(exc.code, exc.message),
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return attempt.stop(
            f"the SMTP server refused the sender {exc.sender}",
            Layer.PROTOCOL,
            reply=attempt.reply(exc.code, exc.message),
        )
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients
        names = ", ".join(r.recipient for r in refused)
        first = refused[0] if refused else None
        reply = attempt.reply(first.code, first.message) if first else ""
        return attempt.stop(
            f"the SMTP server refused the recipient {names}", Layer.PROTOCOL, reply=reply
        )
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return attempt.stop(
            f"the SMTP server {address} answered {exc.code} while {attempt.step}",
            Layer.PROTOCOL,
            reply=attempt.reply(exc.code, exc.message),
        )
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected | aiosmtplib.SMTPConnectError):
        layer = Layer.TLS if attempt.step in ("STARTTLS", "the TLS handshake") else Layer.PROTOCOL
        return attempt.stop(
            f"the SMTP server {address} closed the connection while {attempt.step}", layer
        )
    if attempt.step == "logging in":
        # aiosmtplib's words for "no AUTH offered" or "no method we both speak".
        return attempt.stop(
            f"the SMTP server {address} offers no login this tool can use: {exc.message}",
            Layer.PROTOCOL,
        )
    return attempt.stop(
        f"the SMTP exchange with {address} failed while {attempt.step}: {exc.message}",
        Layer.PROTOCOL,
    )


def _explain_tls(exc: ssl.SSLError, attempt: _Attempt) -> Stop:
    if isinstance(exc, ssl.SSLCertVerificationError):
        summary = explain_untrusted(exc, attempt.server.host, None, attempt.now)
        return attempt.stop(
            f"{attempt.server.address}: {summary}",
            Layer.TLS,
            verify_message=plain(str(exc.verify_message)),
        )
    return attempt.stop(f"{attempt.server.address}: {explain_handshake(exc)}", Layer.TLS)
