"""The ``smtp`` check: a mail server greets, speaks ESMTP, and protects the connection with
a valid certificate. One server (``host:``) or every MX host of a domain (``domain:``).

Each server is walked through what a sending server does (RFC 5321, RFC 3207): connect,
the 220 greeting, EHLO (its extensions recorded), STARTTLS (it must be offered and the
handshake must succeed), EHLO again inside TLS, QUIT. With ``tls: implicit`` the handshake
comes first instead, as on the submission port 465 (RFC 8314); port 465 implies it when
neither ``tls`` nor ``starttls`` is given. ``starttls: false`` (or ``tls: none``) checks only
that the server greets and answers EHLO, and records whether STARTTLS is offered.

The certificate is judged as the ``tls`` check judges it (trust against ``ctx.ssl_context()``,
the host name, ``expiry`` thresholds), by the same code. A bad reply or a missing STARTTLS
fails at the ``protocol`` layer, a handshake or certificate problem at the ``tls`` layer.

With ``domain:`` the MX records are read with ``ctx.resolver`` and the hosts (at most
:data:`MAX_HOSTS`, in preference order) are checked at the same time, so one stalled host
cannot use up the others' time. The result is the worst host's; ``details.hosts`` has each.
Every host gets :data:`BUDGET_SHARE` of the deadline, so a server that never answers is
reported with the step it stalled at, before the runner cancels the check.
"""

from __future__ import annotations

import ssl
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from freecost.checktypes.smtp import Check
from freecost.probes import tls
from freecost.probes.context import NO_RESOLVER
from freecost.probes.tcp import CLOSE_GRACE, Stop, connected
from freecost.probes.tls import (
    # The SMTP reading and certificate judging of the tls check, shared rather than repeated.
    LINE_LIMIT,
    Handshake,
    ehlo_name,
    explain_untrusted_peer,
    judge,
    protocol_failure,
    smtp_reply,
    start_tls,
)
from freecost.probes.tlsinfo import Session, plain, read_session
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    import asyncio

    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.smtp; kept reachable here.
__all__ = ["Check", "probe"]

MAX_HOSTS = 10
MAX_EXTENSIONS = 40
BANNER_LIMIT = 120
BUDGET_SHARE = 0.8
MIN_HOST_BUDGET = 0.5
_RANK = {Status.OK: 0, Status.WARN: 1, Status.ERROR: 2, Status.FAIL: 3}


@dataclass
class _Progress:
    """How far one host got: the step it is at, and what it has shown so far."""

    step: str = "connecting"
    details: dict[str, Any] = field(default_factory=dict)


def _budget(check: Check, ctx: ProbeContext) -> float:
    # Each attempt shares the deadline; ending a little before it lets the probe say where
    # a server stalled instead of the runner reporting a bare timeout.
    deadline = (check.timeout or ctx.settings.timeout).total_seconds()
    return deadline * BUDGET_SHARE / (check.retries + 1)


def _seconds(budget: float) -> str:
    return f"{round(budget, 1):g} s"


def _tls_check(check: Check, host: str) -> tls.Check:
    """The ``tls`` check this host implies, so the certificate is judged exactly alike."""
    return tls.Check(
        id=check.id,
        type="tls",
        host=host,
        port=check.effective_port,
        starttls="smtp" if check.mode == "starttls" else None,
        expiry=check.expiry,
    )


async def _ehlo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> list[str]:
    """Send EHLO; the extensions the server lists (RFC 5321, section 4.1.1.1)."""
    writer.write(b"EHLO " + ehlo_name(writer) + b"\r\n")
    code, lines = await smtp_reply(reader)
    if code != 250:
        raise protocol_failure(f"the mail server refused EHLO with {code}: {lines[0]}")
    return [plain(line, BANNER_LIMIT) for line in lines[1 : MAX_EXTENSIONS + 1]]


def _offers(extensions: list[str], name: str) -> bool:
    return any(line.upper().split()[:1] == [name] for line in extensions)


async def _quit(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    import asyncio

    writer.write(b"QUIT\r\n")
    try:
        async with asyncio.timeout(CLOSE_GRACE):
            await smtp_reply(reader)
    except (TimeoutError, Stop):
        pass  # how the server says goodbye is not part of the result


async def _converse(
    check: Check,
    ctx: ProbeContext,
    host: str,
    trusted: ssl.SSLContext | None,
    progress: _Progress,
) -> Session | None:
    """Walk one server through the SMTP steps; the TLS session, if TLS was checked."""
    mode = check.mode
    session: Session | None = None
    async with connected(ctx, host, check.effective_port, limit=LINE_LIMIT) as connection:
        progress.details.update(connection.details())
        reader, writer = connection.reader, connection.writer
        if mode == "implicit":
            assert trusted is not None
            progress.step = "the TLS handshake"
            await start_tls(writer, trusted, host)
            session = read_session(writer.get_extra_info("ssl_object"))
        progress.step = "waiting for the greeting"
        code, lines = await smtp_reply(reader)
        progress.details["greeting"] = plain(f"{code} {lines[0]}", BANNER_LIMIT)
        if code != 220:
            raise protocol_failure(f"the mail server greeted with {code}: {lines[0]}")
        progress.step = "EHLO"
        extensions = await _ehlo(reader, writer)
        progress.details["extensions"] = extensions
        if mode == "starttls":
            assert trusted is not None
            if not _offers(extensions, "STARTTLS"):
                raise protocol_failure("the mail server does not offer STARTTLS")
            progress.step = "STARTTLS"
            writer.write(b"STARTTLS\r\n")
            code, lines = await smtp_reply(reader)
            if code != 220:
                raise protocol_failure(f"the mail server refused STARTTLS with {code}: {lines[0]}")
            progress.step = "the TLS handshake"
            await start_tls(writer, trusted, host)
            session = read_session(writer.get_extra_info("ssl_object"))
            progress.step = "EHLO after STARTTLS"
            progress.details["extensions_after_tls"] = await _ehlo(reader, writer)
        elif mode == "none":
            progress.details["starttls_offered"] = _offers(extensions, "STARTTLS")
        progress.step = "QUIT"
        await _quit(reader, writer)
    return session


def _for_host(outcome: Outcome, host: str, port: int, details: dict[str, Any]) -> Outcome:
    return replace(
        outcome,
        summary=f"{host}: {outcome.summary}",
        details={"host": host, "port": port, **details, **outcome.details},
    )


async def _check_host(
    check: Check, ctx: ProbeContext, host: str, trusted: ssl.SSLContext | None, budget: float
) -> Outcome:
    """One server's outcome, never an exception."""
    import asyncio

    port = check.effective_port
    progress = _Progress()
    try:
        async with asyncio.timeout(budget) as timer:
            try:
                session = await _converse(check, ctx, host, trusted, progress)
            except ssl.SSLCertVerificationError as exc:
                # A second, unverified handshake reads the certificate to say what is wrong.
                untrusted = await explain_untrusted_peer(_tls_check(check, host), ctx, exc)
                return _for_host(untrusted, host, port, progress.details)
    except TimeoutError:
        if not timer.expired():
            raise
        waited = Outcome.fail(
            f"no answer within {_seconds(budget)} (while {progress.step})", Layer.TIMEOUT
        )
        return _for_host(waited, host, port, progress.details)
    except Stop as stop:
        return _for_host(stop.outcome, host, port, progress.details)
    if session is None:
        offered = "offered" if progress.details.get("starttls_offered") else "not offered"
        answered = Outcome.ok(f"greets and answers EHLO; STARTTLS {offered}, not checked")
        return _for_host(answered, host, port, progress.details)
    judged = judge(_tls_check(check, host), Handshake(session, {}), ctx.now())
    if check.mode == "starttls" and judged.status is Status.OK:
        judged = replace(judged, summary=f"STARTTLS, {judged.summary}")
    return _for_host(judged, host, port, {**progress.details, "tls": check.mode})


async def _mx_hosts(check: Check, ctx: ProbeContext, budget: float) -> list[tuple[int, str]]:
    """The domain's MX hosts in preference order; raises :class:`Stop` when there are none."""
    import dns.exception
    import dns.name
    import dns.resolver

    domain = check.domain
    assert domain is not None
    try:
        answer = await ctx.resolver.resolve(
            dns.name.from_text(domain), "MX", search=False, lifetime=budget
        )
    except dns.resolver.NoResolverConfiguration:
        raise Stop(Outcome.error(NO_RESOLVER)) from None
    except dns.resolver.NXDOMAIN:
        raise Stop(Outcome.fail(f"{domain} does not exist in DNS", Layer.DNS)) from None
    except dns.resolver.NoAnswer:
        raise Stop(Outcome.fail(f"{domain} has no MX records", Layer.DNS)) from None
    except dns.exception.Timeout:
        raise Stop(
            Outcome.fail(f"no DNS answer within {_seconds(budget)} for {domain} MX", Layer.TIMEOUT)
        ) from None
    except dns.exception.DNSException as exc:
        raise Stop(
            Outcome.fail(plain(f"the MX lookup of {domain} failed: {exc}"), Layer.DNS)
        ) from None
    found = sorted(
        {(int(r.preference), r.exchange.to_text(omit_final_dot=True).lower()) for r in answer}
    )
    if any(name in ("", ".") for _, name in found):
        # RFC 7505: a single MX of "." says the domain accepts no mail at all.
        raise Stop(Outcome.fail(f"{domain} publishes a null MX: it accepts no mail", Layer.DNS))
    return found


def _worst(outcomes: list[Outcome]) -> Outcome:
    def days_left(outcome: Outcome) -> float:
        value = outcome.details.get("days_left")
        return float(value) if isinstance(value, int) else float("inf")

    # Worst status first; among equals the certificate nearest expiry, then MX order.
    return min(outcomes, key=lambda o: (-_RANK[o.status], days_left(o)))


def _summarise(domain: str, mx: list[str], outcomes: list[Outcome], skipped: int) -> Outcome:
    worst = _worst(outcomes)
    count = len(outcomes)
    if count == 1:
        summary = worst.summary
    elif worst.status is Status.OK:
        summary = f"all {count} MX hosts of {domain} pass; {worst.summary}"
    else:
        bad = sum(1 for o in outcomes if o.status is not Status.OK)
        summary = f"{worst.summary} ({bad} of {count} MX hosts of {domain} with problems)"
    hosts = [
        {
            "status": o.status.value,
            "summary": o.summary,
            "layer": None if o.layer is None else o.layer.value,
            **o.details,
        }
        for o in outcomes
    ]
    details: dict[str, Any] = {"domain": domain, "mx": mx, "hosts": hosts}
    if skipped:
        details["hosts_not_checked"] = skipped
    return Outcome(worst.status, summary, worst.layer, details)


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Check the host, or every MX host of the domain at once; the worst result counts."""
    import asyncio

    trusted: ssl.SSLContext | None = None
    if check.mode != "none":
        try:
            trusted = ctx.ssl_context()
        except OSError as exc:
            return ctx.unreadable_trust(exc)
    budget = _budget(check, ctx)
    started = time.monotonic()
    if check.host is not None:
        return await _check_host(check, ctx, check.host, trusted, budget)
    assert check.domain is not None
    try:
        async with asyncio.timeout(budget):
            found = await _mx_hosts(check, ctx, budget)
    except TimeoutError:
        return Outcome.fail(
            f"no DNS answer within {_seconds(budget)} for {check.domain} MX", Layer.TIMEOUT
        )
    except Stop as stop:
        return replace(stop.outcome, details={"domain": check.domain, **stop.outcome.details})
    hosts = list(dict.fromkeys(name for _, name in found))
    checked = hosts[:MAX_HOSTS]
    # The hosts share what the MX lookup left of the budget.
    left = max(budget - (time.monotonic() - started), MIN_HOST_BUDGET)
    outcomes = await asyncio.gather(
        *(_check_host(check, ctx, host, trusted, left) for host in checked)
    )
    mx = [f"{preference} {name}" for preference, name in found]
    return _summarise(check.domain, mx, list(outcomes), len(hosts) - len(checked))
