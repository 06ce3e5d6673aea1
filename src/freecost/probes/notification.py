"""Waiting for the e-mail a voicemail or text service sends its owner: the last step of the
``voice-call`` and ``sms`` checks (``expect_notification:``).

A call that "completed" proves only that something answered. The owner learns of a message
from the notification e-mail (Google Voice sends one per voicemail, with the transcript, and
can forward texts by e-mail), so that e-mail is what this step looks for: from the
configured sender, arrived since the call or text was placed, and carrying the run's token.

Three results, reported separately:

- the notification carries the token → ``ok`` (``warn`` if it landed in the junk folder,
  where the owner may never look);
- notifications from the sender arrived, none with the token → ``warn``: something arrived,
  but it cannot be told apart from a real caller's message (a voicemail transcript misses
  digits on noisy audio);
- nothing arrived → ``fail`` at the ``delivery`` layer: the message was swallowed.

An inbox that cannot be read keeps the outcome of :func:`~freecost.probes.mailbox.open_mailbox`
(a ``fail`` at the layer that broke; a missing password is ``error``). The notification that
carries the token is deleted afterwards unless ``delete: false``; others are never touched.

The ``expect_notification:`` block itself is :mod:`freecost.checktypes.notification`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from freecost.checktypes.notification import Notification
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.mailbox import Found, open_mailbox
from freecost.probes.tcp import Stop
from freecost.probes.tlsinfo import plain
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

CLOCK_SKEW = timedelta(minutes=2)
"""How far the mail server's clock may run behind ours: the arrival time is its clock."""

_NUMBER_WORDS = {
    word: str(digit)
    for digit, word in enumerate(
        ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
    )
}
_NUMBER_WORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.IGNORECASE)
_DIGIT_RUN = re.compile(r"\d(?:[\s,.\-–]*\d)*")


def transcript_has(text: str, token: str) -> bool:
    """Whether a voicemail transcript holds the spoken digit ``token``.

    Transcripts write spoken digits many ways (``4 8 1 5 2 9``, ``481-529``, ``48, 15, 29``,
    ``four eight ...``), so digit words become digits and every run of digits with spaces
    or punctuation between them is read as one number.
    """
    digits = _NUMBER_WORD.sub(lambda word: _NUMBER_WORDS[word.group(1).lower()], text)
    return any(token in re.sub(r"\D", "", run) for run in _DIGIT_RUN.findall(digits))


def text_has(text: str, token: str) -> bool:
    """Whether a forwarded text holds the text ``token`` (case aside)."""
    return token.lower() in text.lower()


@dataclass(frozen=True)
class Heard:
    """What the wait found: the notification with the token, and the others."""

    match: Found | None
    others: tuple[Found, ...]
    searches: int
    deleted: bool = False


async def notified(
    ctx: ProbeContext,
    expect: Notification,
    *,
    what: str,
    since: datetime,
    carries: Callable[[str], bool],
    poll_every: float,
    missing_token: str,
) -> Outcome:
    """Wait until ``expect.within`` after ``since`` for the notification of ``what`` (a
    ``voicemail``, a ``text``) whose subject or body ``carries`` the token, and judge it.
    ``missing_token`` is the summary when only notifications without the token arrived."""
    where = {"inbox": f"{expect.imap.host}:{expect.imap.effective_port}", "from": expect.sender}
    try:
        heard = await listen(ctx, expect, since=since, carries=carries, poll_every=poll_every)
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL, **where)
    except Stop as stop:
        found = stop.outcome
        summary = f"the inbox for the {what} notification cannot be checked: {found.summary}"
        return Outcome(found.status, summary, found.layer, {**where, **found.details})
    return judge(heard, expect, what=what, since=since, missing_token=missing_token, **where)


async def listen(
    ctx: ProbeContext,
    expect: Notification,
    *,
    since: datetime,
    carries: Callable[[str], bool],
    poll_every: float,
) -> Heard:
    """Search the inbox (and its junk folder) until a notification carries the token or the
    window ``since`` + ``within`` ends. Raises Stop when the inbox cannot be read."""
    loop = asyncio.get_running_loop()
    ends = loop.time() + (since + expect.within - ctx.now()).total_seconds()
    searches = 0
    async with open_mailbox(ctx, expect.imap) as mailbox:
        while True:
            searches += 1
            found = await mailbox.search(
                sender=expect.sender, subject=expect.subject_contains, since=since - CLOCK_SKEW
            )
            match = next((f for f in found if carries(f"{f.subject}\n{f.text}")), None)
            if match is not None:
                others = tuple(f for f in found if f is not match)
                deleted = False
                if expect.delete:
                    # The result stands whether or not the clean-up works.
                    with suppress(Stop):
                        await mailbox.delete(match)
                        deleted = True
                return Heard(match, others, searches, deleted)
            left = ends - loop.time()
            if left <= 0:
                return Heard(None, tuple(found), searches)
            await asyncio.sleep(min(poll_every, left))


def judge(
    heard: Heard,
    expect: Notification,
    *,
    what: str,
    since: datetime,
    missing_token: str,
    **where: Any,
) -> Outcome:
    """The outcome of a wait: ok, warn (junk folder; no token) or fail (nothing)."""
    details: dict[str, Any] = {
        **where,
        "within": format_duration(expect.within),
        "searches": heard.searches,
        "others": [_describe(found, since) for found in heard.others[:5]],
    }
    match = heard.match
    if match is not None:
        details |= {"found": _describe(match, since), "deleted": heard.deleted}
        after = _latency(match, since)
        took = f" after {format_duration(after)}" if after is not None else ""
        if match.junk:
            return Outcome.warn(
                f"the {what} notification arrived{took}, but in the junk folder "
                f"({plain(match.folder, 60)}) where it may never be seen",
                Layer.DELIVERY,
                **details,
            )
        return Outcome.ok(f"the {what} notification arrived{took} with the code", **details)
    if heard.others:
        return Outcome.warn(missing_token, Layer.DELIVERY, **details)
    return Outcome(
        Status.FAIL,
        f"no {what} notification from {plain(expect.sender, 80)} arrived within "
        f"{format_duration(expect.within)}",
        Layer.DELIVERY,
        details,
    )


def _latency(found: Found, since: datetime) -> timedelta | None:
    arrived = found.received_at or found.sent_at
    if arrived is None:
        return None
    # Whole seconds: the server's arrival time has no finer grain.
    return max(timedelta(0), timedelta(seconds=round((arrived - since).total_seconds())))


def _describe(found: Found, since: datetime) -> dict[str, Any]:
    latency = _latency(found, since)
    return {
        "folder": plain(found.folder, 60),
        "junk": found.junk,
        "sender": plain(found.sender, 120),
        "subject": plain(found.subject, 160),
        "received_at": found.received_at.isoformat() if found.received_at else None,
        "latency_s": latency.total_seconds() if latency is not None else None,
    }
