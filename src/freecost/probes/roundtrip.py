"""The ``email-roundtrip`` check: a message sent by SMTP reaches the business's inbox, not its
junk folder, within ``within``.

One run goes in this order, so that a run which cannot finish sends nothing:

1. every secret (both logins) is read: a missing one is an ``error``, and no mail is sent;
2. the mailbox is logged in to (:func:`~freecost.probes.mailbox.open_mailbox`): a mailbox
   that cannot be read is reported without anyone being mailed;
3. a message carrying a fresh token in its Subject, its ``X-Freecost-Token`` header and its
   Message-ID is handed to the SMTP server (:func:`~freecost.probes.mailsend.send`);
4. the inbox, then the junk folder, is searched for that header with this run's token until
   ``within`` has passed; a match counts only when the header holds exactly the token, since
   IMAP's ``HEADER`` search matches substrings;
5. every copy found is deleted, whatever the verdict.

In the inbox in time: ``ok``. In the junk folder, or later than ``warn_after``: ``warn``.
Nothing within ``within``: ``fail`` at the ``delivery`` layer.

Latency is read from the message's own timestamps, never from when a search happened to
run: the arrived copy's INTERNALDATE (when the receiving mail store filed it) minus the
moment the SMTP server accepted the message (its reply to the message, on this machine's
clock). The acceptance is used rather than the Date header because the Date is written
before connecting: it would add this machine's connection, TLS handshake and login to the
provider's delivery time. When the store gives no INTERNALDATE, the topmost ``Received``
header (which the receiving server adds on arrival) stands in. The two clocks differ by
their skew, which the latency carries; INTERNALDATE has whole seconds, so the latency is
rounded to seconds and never shown below zero. ``received_at`` and ``accepted_at`` are both
in the details, so the arithmetic can be checked.

The check's ``timeout`` defaults to ``within`` plus a minute, since the runner's usual
deadline is seconds; a ``timeout`` written shorter than ``within`` is refused (the parameters
are :mod:`freecost.checktypes.roundtrip`).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from freecost.checktypes.mailservers import ImapServer
from freecost.checktypes.roundtrip import Check
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.canary import TOKEN_HEADER, text_token
from freecost.probes.mailbox import Found, Mailbox, login_name, open_mailbox
from freecost.probes.mailsend import Sent, canary_message, send
from freecost.probes.tcp import Stop
from freecost.probes.tlsinfo import plain
from freecost.results import Layer, Outcome
from freecost.secrets import SecretRef

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.roundtrip; kept reachable here.
__all__ = ["Check", "probe"]

POLL_EVERY = 15.0
"""Seconds between mailbox searches; tests pass a shorter pause."""
SUBJECT = "freecost test message"
BODY = (
    "This is an automatic test message from freecost. It checks that mail sent to this "
    "address arrives in its inbox, and it is deleted as soon as it is found.\n"
    "Please ignore it.\n"
)


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Send the test message and wait for it in the inbox."""
    return await round_trip(check, ctx)


@dataclass(frozen=True)
class Arrival:
    """What the wait found: every copy carrying the token (inbox first), and how many
    searches it took."""

    copies: tuple[Found, ...]
    searches: int


async def round_trip(check: Check, ctx: ProbeContext, *, poll_every: float = POLL_EVERY) -> Outcome:
    """The probe, with the pause between mailbox searches as a parameter."""
    token = text_token()
    details: dict[str, Any] = {
        "to": check.to,
        "token": token,
        "smtp_server": check.smtp.address,
        "imap_server": _imap_address(check.imap),
        "within": format_duration(check.within),
        "warn_after": format_duration(check.warn_after),
    }
    try:
        read_secrets(ctx, check)
    except SecretError as exc:
        summary = f"the round trip cannot run, so no test message was sent: {exc}"
        return Outcome.error(summary, Layer.LOCAL, **details)
    sent: Sent | None = None
    try:
        async with open_mailbox(ctx, check.imap) as mailbox:
            try:
                sent = await send(ctx, check.smtp, _message(check, token, ctx.now()))
            except Stop as stop:
                return _not_sent(stop.outcome, details)
            details |= {
                "message_id": sent.message_id,
                "accepted_at": sent.accepted_at.isoformat(),
                "smtp_reply": sent.reply,
            }
            arrival = await wait_for_token(mailbox, token, check.within, poll_every)
            deleted = await _delete(mailbox, arrival.copies)
    except SecretError as exc:
        summary = f"the round trip cannot run, so no test message was sent: {exc}"
        return Outcome.error(summary, Layer.LOCAL, **details)
    except Stop as stop:
        return _mailbox_failed(stop.outcome, sent, details)
    return judge(check, sent, arrival, deleted, details)


def read_secrets(ctx: ProbeContext, check: Check) -> None:
    """Read both logins now; raises SecretError naming the first that cannot be read."""
    login_name(ctx, check.imap)
    ctx.secret(check.imap.password)
    smtp = check.smtp
    if smtp.password is not None:
        ctx.secret(smtp.password)
    if smtp.username is not None:
        try:
            reference = SecretRef.parse(smtp.username)
        except ValueError:
            return  # written out, as user names usually are
        ctx.secret(reference)


def _imap_address(server: ImapServer) -> str:
    shown = f"[{server.host}]" if ":" in server.host else server.host
    return f"{shown}:{server.effective_port}"


def _message(check: Check, token: str, now: datetime) -> EmailMessage:
    domain = check.smtp.sender.rsplit("@", 1)[-1]
    return canary_message(check.smtp.sender, check.to, token, SUBJECT, BODY, now, domain)


async def wait_for_token(
    mailbox: Mailbox, token: str, within: timedelta, poll_every: float
) -> Arrival:
    """Search every ``poll_every`` seconds until a message whose token header is exactly
    ``token`` turns up (inbox, then junk folder) or ``within`` has passed.

    :func:`~freecost.probes.mailbox.wait_for` is not used: it returns the first substring
    match, and a message whose header merely contains the token must not end the wait.
    """
    loop = asyncio.get_running_loop()
    ends = loop.time() + within.total_seconds()
    searches = 0
    while True:
        searches += 1
        found = await mailbox.search(header=(TOKEN_HEADER, token))
        copies = tuple(item for item in found if carries(item, token))
        if copies:
            return Arrival(copies, searches)
        left = ends - loop.time()
        if left <= 0:
            return Arrival((), searches)
        await asyncio.sleep(min(poll_every, left))


def carries(found: Found, token: str) -> bool:
    """Whether ``found`` is this run's message: its token header is the token, no more."""
    return found.headers.get(TOKEN_HEADER.lower(), "").strip() == token


async def _delete(mailbox: Mailbox, copies: tuple[Found, ...]) -> bool:
    """Delete every copy; whether all of them went. The verdict stands either way."""
    deleted = True
    for copy in copies:
        try:
            await mailbox.delete(copy)
        except Stop:
            deleted = False
    return deleted


def arrived_at(found: Found) -> datetime | None:
    """When the receiving side stored ``found``: INTERNALDATE, else the topmost Received."""
    if found.received_at is not None:
        return found.received_at
    stamp = found.headers.get("received", "").rpartition(";")[2].strip()
    if not stamp:
        return None
    try:
        when = parsedate_to_datetime(stamp)
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def latency(found: Found, sent: Sent) -> timedelta | None:
    """Arrival minus acceptance, in whole seconds, never below zero (see the module text)."""
    arrived = arrived_at(found)
    if arrived is None:
        return None
    seconds = round((arrived - sent.accepted_at).total_seconds())
    return timedelta(seconds=max(0, seconds))


def _span(value: timedelta) -> str:
    seconds = round(value.total_seconds())
    return f"{seconds} s" if seconds < 60 else format_duration(timedelta(seconds=seconds))


def judge(
    check: Check, sent: Sent, arrival: Arrival, deleted: bool, details: dict[str, Any]
) -> Outcome:
    """Inbox in time: ok; junk folder or slower than ``warn_after``: warn; nothing: fail."""
    details["searches"] = arrival.searches
    if not arrival.copies:
        at = sent.accepted_at.astimezone(UTC).strftime("%H:%M:%S UTC")
        summary = (
            f"no test message arrived within {format_duration(check.within)} "
            f"(sent {at} via {sent.server})"
        )
        return Outcome.fail(summary, Layer.DELIVERY, **details)
    found = arrival.copies[0]  # the inbox's copy when there is one
    took = latency(found, sent)
    arrived = arrived_at(found)
    details |= {
        "folder": plain(found.folder, 60),
        "junk": found.junk,
        "received_at": arrived.isoformat() if arrived is not None else None,
        "latency_s": took.total_seconds() if took is not None else None,
        "deleted": deleted,
    }
    if len(arrival.copies) > 1:
        details["copies"] = [plain(copy.folder, 60) for copy in arrival.copies]
    if found.junk:
        after = f" after {_span(took)}" if took is not None else ""
        summary = (
            f"the test message landed in {plain(found.folder, 60)}{after}: customers' mail "
            "may be filtered too"
        )
        return Outcome.warn(summary, Layer.DELIVERY, **details)
    if took is None:
        summary = f"the test message reached {check.to}'s inbox (when is not known)"
        return Outcome.ok(summary, **details)
    if took > check.warn_after:
        summary = (
            f"the test message reached {check.to}'s inbox, but only after {_span(took)} "
            f"(more than the {format_duration(check.warn_after)} warning)"
        )
        return Outcome.warn(summary, Layer.DELIVERY, **details)
    return Outcome.ok(f"the test message reached {check.to}'s inbox in {_span(took)}", **details)


def _not_sent(failed: Outcome, details: dict[str, Any]) -> Outcome:
    summary = f"the test message could not be sent: {failed.summary}"
    return Outcome(failed.status, summary, failed.layer, {**details, "smtp": dict(failed.details)})


def _mailbox_failed(failed: Outcome, sent: Sent | None, details: dict[str, Any]) -> Outcome:
    if sent is None:
        summary = f"the mailbox cannot be checked, so no test message was sent: {failed.summary}"
    else:
        summary = (
            f"the test message was sent via {sent.server}, but the mailbox cannot be "
            f"searched: {failed.summary}"
        )
    return Outcome(failed.status, summary, failed.layer, {**details, "imap": dict(failed.details)})
