"""The ``sms`` check: a test text reaches the number, and its forwarded copy reaches the owner.

A run draws a fresh token, texts ``freecost test <token>: please ignore`` to ``to`` through
the telephony provider and follows the message for up to :data:`STATUS_WINDOW`:

- ``delivered``: the carrier confirmed it (``ok``, unless a notification is expected);
- ``undelivered``: the carrier could not deliver it → ``fail`` at the ``delivery`` layer,
  with the provider's error code and message;
- ``failed``: the provider could not send it at all → ``fail`` at the ``vendor`` layer, with
  the error code and message;
- still ``sent`` when the window ends: many carriers never confirm delivery, so this is a
  ``warn`` ("the carrier did not confirm delivery"), not a failure;
- still queued at the provider when the window ends → ``fail`` at the ``vendor`` layer.

With ``expect_notification`` the inbox the text is forwarded to is then searched for it (see
:mod:`freecost.probes.notification`); a forwarded text that carries the token proves
delivery even when the carrier never confirmed it. Errors talking to the provider are
reported as in :mod:`freecost.telephony.base`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from freecost.checktypes.sms import STATUS_WINDOW, Check
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.canary import text_token
from freecost.probes.notification import notified, text_has
from freecost.probes.tlsinfo import plain
from freecost.results import Layer, Outcome
from freecost.telephony.base import MessageState, MessageStatus, TelephonyError, follow
from freecost.telephony.checks import PACING, Pacing, cost, refused

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

# The check's parameters (and how long a status is followed) are defined in
# freecost.checktypes.sms; kept reachable here.
__all__ = ["STATUS_WINDOW", "Check", "probe"]


def message(token: str) -> str:
    """The text sent: the token, and a word for whoever reads it by hand."""
    return f"freecost test {token}: please ignore"


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    return await text(check, ctx)


async def text(
    check: Check,
    ctx: ProbeContext,
    pacing: Pacing = PACING,
    window: timedelta = STATUS_WINDOW,
) -> Outcome:
    """Send the text, follow its status for ``window``, then look for the forwarded copy."""
    token = text_token()
    where: dict[str, Any] = {"provider": check.provider, "to": check.to, "from": check.from_}
    try:
        provider = check.connect(ctx)
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL, **where)
    sent_at = ctx.now()
    try:
        handle = await provider.send_text(check.to, check.from_, message(token))
    except TelephonyError as exc:
        return refused(exc, **where)
    where |= {"message_id": handle.id, "token": token}
    try:
        followed = await follow(
            lambda: provider.message_status(handle),
            lambda state: state.status.terminal,
            within=window.total_seconds(),
            backoff=pacing.status,
        )
    except TelephonyError as exc:
        return refused(exc, **where)
    state = followed.state
    if state is None:
        assert followed.error is not None  # no state means the last read failed
        return refused(followed.error, **where)
    details = {**where, **_evidence(state)}
    label, waited = provider.label, format_duration(window)
    if state.status is MessageStatus.PENDING:
        return Outcome.fail(
            f"{label} still had the test text '{state.provider_status}' after {waited}",
            Layer.VENDOR,
            **details,
        )
    if state.status in (MessageStatus.UNDELIVERED, MessageStatus.FAILED):
        layer = Layer.DELIVERY if state.status is MessageStatus.UNDELIVERED else Layer.VENDOR
        return Outcome.fail(_not_delivered(label, check.to, state), layer, **details)
    if state.status is MessageStatus.DELIVERED:
        said = f"test text to {check.to} delivered"
    elif state.status is MessageStatus.SENT:
        said = f"test text to {check.to} sent, but the carrier did not confirm delivery"
    else:
        said = f"{label} reports the test text to {check.to} as '{state.provider_status}'"
    if check.expect_notification is None:
        if state.status is MessageStatus.DELIVERED:
            return Outcome.ok(said, **details)
        layer = Layer.DELIVERY if state.status is MessageStatus.SENT else Layer.VENDOR
        return Outcome.warn(f"{said} within {waited}", layer, **details)
    verdict = await notified(
        ctx,
        check.expect_notification,
        what="text",
        since=sent_at,
        carries=lambda body: text_has(body, token),
        poll_every=pacing.inbox_every,
        missing_token="a forwarded text arrived, but not the test text with its token",
    )
    return Outcome(
        verdict.status,
        f"{said}; {verdict.summary}",
        verdict.layer,
        {**details, "notification": dict(verdict.details)},
    )


def _not_delivered(label: str, to: str, state: MessageState) -> str:
    reason = ""
    if state.error_code is not None:
        reason = f": error {plain(str(state.error_code), 20)}"
        if state.error_message:
            reason += f" ({plain(state.error_message, 160)})"
    elif state.error_message:
        reason = f": {plain(state.error_message, 160)}"
    word = "undelivered" if state.status is MessageStatus.UNDELIVERED else "failed"
    return f"the test text to {to} was not delivered ({label}: {word}){reason}"


def _evidence(state: MessageState) -> dict[str, Any]:
    return {
        "status": state.status.value,
        "provider_status": state.provider_status,
        "error_code": state.error_code,
        "error_message": state.error_message,
        "segments": state.segments,
        "cost": cost(state.price, state.price_unit),
        "price": state.price,
        "price_unit": state.price_unit,
    }
