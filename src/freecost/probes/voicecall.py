"""The ``voice-call`` check: a test call reaches the number, and its voicemail reaches the owner.

A run draws a fresh six-digit code, calls ``to`` through the telephony provider and, once
the answering machine's greeting has ended (the beep), speaks the code twice, digit by digit,
then hangs up. The call is followed to its end:

- ``completed``: the number answered (``ok``, unless a notification is expected);
- ``busy``, ``no-answer``, ``failed``, ``canceled``: ``fail`` at the ``delivery`` layer. The
  provider placed the call, and the number did not take it; that is the number's fault (or
  its carrier's), not the provider's. The provider's own trouble (it refused the request, it
  is down, the call never ends) is reported as the provider's: ``error`` for the check's own
  configuration, ``fail`` at the ``vendor`` layer otherwise (see
  :mod:`freecost.telephony.base`).

With ``expect_notification`` the inbox the voicemail service writes to is then searched for
its notification, which proves the message was kept where the owner looks. A voicemail box
that swallows messages still lets the call "complete"; only this step catches it.

Phases, and so the default deadline: ring (``ring_timeout``, 30 s), the call
(``time_limit``, 60 s), plus :data:`CALL_SLACK` for the provider's queue and the last status
to settle; the notification wait ends ``within`` after the call was placed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from freecost.checktypes.voicecall import CALL_SLACK, Check
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.canary import digit_token, spoken
from freecost.probes.notification import notified, transcript_has
from freecost.results import Layer, Outcome, Status
from freecost.telephony.base import CallState, CallStatus, TelephonyError, follow
from freecost.telephony.checks import PACING, Pacing, cost, refused

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.voicecall; kept reachable here.
__all__ = ["Check", "probe"]

ANSWERED_BY = {
    "human": "a person",
    "machine_start": "an answering machine",
    "machine_end_beep": "voicemail",
    "machine_end_silence": "voicemail",
    "machine_end_other": "voicemail",
    "fax": "a fax machine",
}
"""Twilio's answering-machine detection verdicts, in words; ``unknown`` is left unsaid."""

ENDED = {
    CallStatus.BUSY: "the line was busy: the test call was not taken",
    CallStatus.NO_ANSWER: "nothing answered the test call within {ring} (no voicemail picked up)",
    CallStatus.FAILED: "the test call could not be connected to the number",
    CallStatus.CANCELED: "the test call was canceled before it was answered",
}


def script(token: str) -> str:
    """What the call says: the code digit by digit, twice (a voicemail transcript or a
    listener may miss one)."""
    words = spoken(token)
    return f"freecost test. Code: {words}. Again: {words}."


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    return await call(check, ctx)


async def call(check: Check, ctx: ProbeContext, pacing: Pacing = PACING) -> Outcome:
    """Place the call, follow it to its end, then look for the notification."""
    token = digit_token()
    where: dict[str, Any] = {"provider": check.provider, "to": check.to, "from": check.from_}
    try:
        provider = check.connect(ctx)
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL, **where)
    placed_at = ctx.now()
    try:
        handle = await provider.place_call(
            check.to,
            check.from_,
            say=script(token),
            ring_timeout=check.ring_timeout.total_seconds(),
            time_limit=check.time_limit.total_seconds(),
        )
    except TelephonyError as exc:
        return refused(exc, **where)
    window = check.ring_timeout + check.time_limit + CALL_SLACK
    where |= {"call_id": handle.id, "token": token}
    try:
        followed = await follow(
            lambda: provider.call_status(handle),
            lambda state: state.status.terminal,
            within=window.total_seconds(),
            backoff=pacing.status,
        )
    except TelephonyError as exc:
        return refused(exc, **where)
    state = followed.state
    if state is None or not state.status.terminal:
        if followed.error is not None and state is None:
            return refused(followed.error, **where)
        seen = state.provider_status if state is not None else "unknown"
        return Outcome.fail(
            f"{provider.label} still reports the test call as '{seen}' after "
            f"{format_duration(window)}",
            Layer.VENDOR,
            **where,
            **_evidence(state),
        )
    details = {**where, **_evidence(state)}
    if state.status is not CallStatus.COMPLETED:
        ending = ENDED[state.status].format(ring=format_duration(check.ring_timeout))
        return Outcome.fail(ending, Layer.DELIVERY, **details)
    answered = _answered(check, state)
    if check.expect_notification is None:
        return Outcome.ok(answered, **details)
    verdict = await notified(
        ctx,
        check.expect_notification,
        what="voicemail",
        since=placed_at,
        carries=lambda text: transcript_has(text, token),
        poll_every=pacing.inbox_every,
        missing_token="the voicemail arrived but the transcript does not contain the code; "
        "transcripts miss on noisy audio",
    )
    summary = verdict.summary
    if verdict.status is Status.FAIL and state.answered_by == "human":
        summary += " (a person answered, so no voicemail was left)"
    return Outcome(
        verdict.status,
        f"{answered}; {summary}",
        verdict.layer,
        {**details, "notification": dict(verdict.details)},
    )


def _answered(check: Check, state: CallState) -> str:
    who = ANSWERED_BY.get(state.answered_by or "")
    by = f" by {who}" if who else ""
    lasted = f", {state.duration_s}s long" if state.duration_s is not None else ""
    return f"test call to {check.to} answered{by}{lasted}"


def _evidence(state: CallState | None) -> dict[str, Any]:
    if state is None:
        return {}
    return {
        "status": state.status.value,
        "provider_status": state.provider_status,
        "answered_by": state.answered_by,
        "duration_s": state.duration_s,
        "cost": cost(state.price, state.price_unit),
        "price": state.price,
        "price_unit": state.price_unit,
        "started_at": state.started_at,
        "ended_at": state.ended_at,
    }
