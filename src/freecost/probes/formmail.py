"""The ``form`` check's ``expect_email``: waiting for the site's e-mail and judging its arrival.

A form that answers "thanks" has only handed the message to its mailer; this part looks in
the inbox (then the junk folder) for the e-mail carrying the run's token, deletes it, and says
how it arrived. It works on the mailbox, not on the site, so it is kept apart from the HTTP
side of the check. The ``expect_email:`` block is :class:`~freecost.checktypes.form.ExpectEmail`.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from freecost.checktypes.form import ExpectEmail
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.httpbody import plain
from freecost.probes.mailbox import Found, open_mailbox, wait_for
from freecost.probes.notification import CLOCK_SKEW
from freecost.probes.tcp import Stop
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext


async def await_email(
    ctx: ProbeContext,
    expect: ExpectEmail,
    token: str,
    since: datetime,
    details: dict[str, Any],
    poll_every: float,
) -> Outcome:
    """Wait for the e-mail carrying ``token`` (inbox, then junk folder) and delete it once
    found. Inbox in time: ok; junk folder or later than ``warn_after``: warn; nothing: fail."""
    imap = expect.imap
    where = {"inbox": f"{plain(imap.host, 120)}:{imap.effective_port}"}
    query: dict[str, Any] = {"text": token, "since": since - CLOCK_SKEW}
    if expect.sender is not None:
        query["sender"] = expect.sender
    try:
        async with open_mailbox(ctx, imap) as mailbox:
            found = await wait_for(mailbox, expect.within, timedelta(seconds=poll_every), **query)
            deleted = False
            if found is not None:
                # The result stands whether or not the clean-up works.
                with suppress(Stop):
                    await mailbox.delete(found)
                    deleted = True
    except SecretError as exc:
        summary = f"the inbox for the form's e-mail cannot be checked: {exc}"
        return Outcome.error(summary, Layer.LOCAL, **details, email=where)
    except Stop as stop:
        failed = stop.outcome
        summary = (
            "the form accepted the test submission, but the inbox for its e-mail cannot be "
            f"checked: {failed.summary}"
        )
        email = {**where, **failed.details}
        return Outcome(failed.status, summary, failed.layer, {**details, "email": email})
    if found is None:
        sender = f" from {plain(expect.sender, 80)}" if expect.sender else ""
        summary = (
            f"the form accepted the test submission, but no e-mail{sender} with its token "
            f"arrived within {format_duration(expect.within)}"
        )
        return Outcome.fail(summary, Layer.DELIVERY, **details, email=where)
    return judge_email(found, expect, since, details, {**where, "deleted": deleted})


def judge_email(
    found: Found,
    expect: ExpectEmail,
    since: datetime,
    details: dict[str, Any],
    where: dict[str, Any],
) -> Outcome:
    """The e-mail arrived: where, and how long after the submission."""
    arrived = found.received_at or found.sent_at
    # Whole seconds: the server's arrival time has no finer grain.
    latency = (
        None
        if arrived is None
        else max(timedelta(0), timedelta(seconds=round((arrived - since).total_seconds())))
    )
    email = {
        **where,
        "folder": plain(found.folder, 60),
        "junk": found.junk,
        "sender": plain(found.sender, 120),
        "subject": plain(found.subject, 160),
        "received_at": found.received_at.isoformat() if found.received_at else None,
        "latency_s": None if latency is None else latency.total_seconds(),
    }
    took = "" if latency is None else f" after {format_duration(latency)}"
    if found.junk:
        summary = (
            f"the form's e-mail arrived{took}, but in the junk folder "
            f"({plain(found.folder, 60)}) where it may never be seen"
        )
        return Outcome.warn(summary, Layer.DELIVERY, **details, email=email)
    if latency is not None and latency > expect.warn_after:
        summary = (
            f"the form's e-mail arrived, but only{took} "
            f"(more than the {format_duration(expect.warn_after)} warning)"
        )
        return Outcome.warn(summary, Layer.DELIVERY, **details, email=email)
    summary = f"the form accepted the test submission and its e-mail arrived{took}"
    return Outcome.ok(summary, **details, email=email)
