"""The ``tls`` check: the certificate is trusted, names the host, is not about to expire,
and the protocol is recent enough. Directly (HTTPS and the like) or after STARTTLS (SMTP, IMAP).

The handshake verifies against ``ctx.ssl_context()``, the trust every other check uses. When
verification fails, OpenSSL hands back no certificate, so a second handshake without
verification fetches it: the owner then reads "certificate expired 3 days ago" or "not valid
for shop.example.com: it names www.example.com" instead of an OpenSSL error code. The second
connection costs nothing on the healthy path, where one handshake tells everything.

Every line read from a STARTTLS server is capped at :data:`LINE_LIMIT` bytes and every reply
at :data:`REPLY_LINES` lines, so a hostile or broken server cannot make the probe read forever.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from freecost.checktypes.tls import Check
from freecost.probes.tcp import Connection, Stop, connected
from freecost.probes.tlsinfo import (
    Session,
    describe_expiry,
    explain_handshake,
    explain_untrusted,
    plain,
    read_session,
    version_below,
)
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    import asyncio

    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.tls; kept reachable here.
__all__ = ["Check", "probe"]

LINE_LIMIT = 8192
REPLY_LINES = 100


@dataclass(frozen=True)
class Handshake:
    """A completed handshake: the session, and how the connection went."""

    session: Session
    details: dict[str, Any]


def trusted_context(ctx: ProbeContext) -> ssl.SSLContext:
    """The run's verifying TLS context; a trust store that cannot be read stops the probe
    with an ``error`` (this machine's problem, not the server's)."""
    try:
        return ctx.ssl_context()
    except OSError as exc:
        raise Stop(ctx.unreadable_trust(exc)) from None


def protocol_failure(summary: str) -> Stop:
    return Stop(Outcome.fail(plain(summary), Layer.PROTOCOL))


async def read_line(reader: asyncio.StreamReader) -> str:
    import asyncio

    try:
        raw = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        raise protocol_failure(
            f"the server sent a line longer than {LINE_LIMIT} bytes before TLS started"
        ) from None
    except asyncio.IncompleteReadError:
        raise protocol_failure("the server closed the connection before TLS started") from None
    except OSError as exc:
        raise protocol_failure(f"the connection broke before TLS started: {exc}") from None
    return raw.decode("utf-8", "replace").rstrip("\r\n")


async def smtp_reply(reader: asyncio.StreamReader) -> tuple[int, list[str]]:
    """One SMTP reply: its code and the text of each line (RFC 5321, section 4.2)."""
    lines: list[str] = []
    for _ in range(REPLY_LINES):
        line = await read_line(reader)
        code, separator = line[:3], line[3:4]
        if not code.isdigit() or separator not in ("", " ", "-"):
            raise protocol_failure(f"the server does not speak SMTP: it said '{line}'")
        lines.append(line[4:])
        if separator != "-":
            return int(code), lines
    raise protocol_failure(f"the mail server sent a reply longer than {REPLY_LINES} lines")


def ehlo_name(writer: asyncio.StreamWriter) -> bytes:
    # An address literal is always a valid EHLO argument, and needs no DNS lookup.
    address = str(writer.get_extra_info("sockname")[0])
    literal = f"[IPv6:{address}]" if ":" in address else f"[{address}]"
    return literal.encode("ascii")


async def _smtp_starttls(connection: Connection) -> None:
    reader, writer = connection.reader, connection.writer
    code, lines = await smtp_reply(reader)
    if code != 220:
        raise protocol_failure(f"the mail server greeted with {code}: {lines[0]}")
    writer.write(b"EHLO " + ehlo_name(writer) + b"\r\n")
    code, lines = await smtp_reply(reader)
    if code != 250:
        raise protocol_failure(f"the mail server refused EHLO with {code}: {lines[0]}")
    if not any(line.split()[:1] == ["STARTTLS"] for line in (x.upper() for x in lines[1:])):
        raise protocol_failure("the mail server does not offer STARTTLS")
    writer.write(b"STARTTLS\r\n")
    code, lines = await smtp_reply(reader)
    if code != 220:
        raise protocol_failure(f"the mail server refused STARTTLS with {code}: {lines[0]}")


async def imap_starttls(connection: Connection) -> None:
    reader, writer = connection.reader, connection.writer
    greeting = await read_line(reader)
    if not greeting.upper().startswith("* OK"):
        raise protocol_failure(f"the IMAP server did not greet with OK: it said '{greeting}'")
    writer.write(b"a1 STARTTLS\r\n")
    for _ in range(REPLY_LINES):
        line = await read_line(reader)
        if line.startswith("a1 "):
            break
    else:
        raise protocol_failure("the IMAP server did not answer STARTTLS")
    status = line[3:].split(" ", 1)[0].upper()
    if status in ("BAD", "NO"):
        raise protocol_failure(f"the IMAP server does not offer STARTTLS: it said '{line}'")
    if status != "OK":
        raise protocol_failure(f"the IMAP server answered STARTTLS with '{line}'")


_NEGOTIATE: dict[str, Callable[[Connection], Awaitable[None]]] = {
    "smtp": _smtp_starttls,
    "imap": imap_starttls,
}
_GOODBYE = {"smtp": b"QUIT\r\n", "imap": b"a2 LOGOUT\r\n"}


async def start_tls(writer: asyncio.StreamWriter, context: ssl.SSLContext, host: str) -> None:
    try:
        await writer.start_tls(context, server_hostname=host)
    except ssl.SSLCertVerificationError:
        raise
    except ssl.SSLError as exc:
        raise Stop(Outcome.fail(explain_handshake(exc), Layer.TLS)) from None
    except OSError:
        raise Stop(
            Outcome.fail("the server closed the connection during the TLS handshake", Layer.TLS)
        ) from None


async def handshake(
    ctx: ProbeContext,
    host: str,
    port: int,
    context: ssl.SSLContext,
    *,
    starttls: str | None = None,
) -> Handshake:
    """Connect, negotiate STARTTLS if asked (``smtp`` or ``imap``), and complete a TLS
    handshake with ``context``, checking the certificate against ``host``.

    Raises :class:`Stop` for a failure that is the result, and lets
    ``ssl.SSLCertVerificationError`` through for the caller to explain.
    """
    async with connected(ctx, host, port, limit=LINE_LIMIT) as connection:
        try:
            if starttls is not None:
                await _NEGOTIATE[starttls](connection)
            started = time.perf_counter()
            await start_tls(connection.writer, context, host)
        except Stop as stop:
            raise stop.adding({**connection.details(), "starttls": starttls}) from None
        handshake_ms = round((time.perf_counter() - started) * 1000, 1)
        session = read_session(connection.writer.get_extra_info("ssl_object"))
        if starttls is not None:
            connection.writer.write(_GOODBYE[starttls])
    details = {**connection.details(), "handshake_ms": handshake_ms, "starttls": starttls}
    return Handshake(session, details)


def _unverified_context() -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def judge(check: Check, result: Handshake, now: datetime) -> Outcome:
    session = result.session
    details = {**result.details, **session.details(now)}
    certificate = session.certificate
    if certificate is None:
        return Outcome.warn(
            plain(f"the certificate is trusted but could not be read: {session.unreadable}"),
            Layer.TLS,
            **details,
        )
    expiry = f"certificate {describe_expiry(certificate.not_after, now)}"
    remaining = certificate.remaining(now)
    problems: list[tuple[Status, str]] = []
    if certificate.not_before > now:
        start = certificate.not_before.date().isoformat()
        problems.append((Status.FAIL, f"certificate is not valid until {start}"))
    elif remaining <= check.expiry.fail:
        problems.append((Status.FAIL, expiry))
    elif remaining <= check.expiry.warn:
        problems.append((Status.WARN, expiry))
    if version_below(session.version, check.min_version):
        problems.append(
            (Status.WARN, f"the server uses {session.version}, older than {check.min_version}")
        )
    if not problems:
        issuer = plain(certificate.issuer_label, 60)
        return Outcome.ok(f"{expiry}, issued by {issuer}; {session.version}", **details)
    status = Status.FAIL if any(s is Status.FAIL for s, _ in problems) else Status.WARN
    return Outcome(status, "; ".join(text for _, text in problems), Layer.TLS, details)


async def explain_untrusted_peer(
    check: Check, ctx: ProbeContext, error: ssl.SSLCertVerificationError
) -> Outcome:
    now = ctx.now()
    details: dict[str, Any] = {
        "verify_code": error.verify_code,
        "verify_message": plain(str(error.verify_message)),
    }
    try:
        second = await handshake(
            ctx, check.host, check.port, _unverified_context(), starttls=check.starttls
        )
    except Stop:
        # The server would not talk a second time: the verification error alone must do.
        return Outcome.fail(explain_untrusted(error, check.host, None, now), Layer.TLS, **details)
    certificate = second.session.certificate
    details = {**second.details, **second.session.details(now), **details}
    summary = explain_untrusted(error, check.host, certificate, now)
    return Outcome.fail(summary, Layer.TLS, **details)


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """One verified handshake; a second, unverified one only to explain a failed verification."""
    try:
        trusted = ctx.ssl_context()
    except OSError as exc:
        return ctx.unreadable_trust(exc)
    try:
        result = await handshake(ctx, check.host, check.port, trusted, starttls=check.starttls)
    except Stop as stop:
        return stop.outcome
    except ssl.SSLCertVerificationError as exc:
        return await explain_untrusted_peer(check, ctx, exc)
    return judge(check, result, ctx.now())
