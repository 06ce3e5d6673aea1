"""What the ``voice-call`` check accepts: the numbers, the provider, how long to ring and talk,
and optionally the inbox the voicemail notification arrives in. The probe is
:mod:`freecost.probes.voicecall`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from freecost.checktypes.notification import VoicemailNotification
from freecost.checktypes.telephony import TelephonyCheck, written
from freecost.durations import Duration

RING_TIMEOUT = timedelta(seconds=30)
TIME_LIMIT = timedelta(seconds=60)
NOTIFICATION_WITHIN = timedelta(minutes=15)
CALL_SLACK = timedelta(seconds=60)
"""Time for the provider to queue the call and to settle its final status."""


class Check(TelephonyCheck):
    """Calls a number and leaves a spoken code; optionally finds the voicemail e-mail."""

    type_name: ClassVar[str] = "voice-call"
    phases: ClassVar[str] = "ringing, the call, then the wait for the voicemail e-mail"

    type: Literal["voice-call"]
    ring_timeout: Duration = Field(
        default=RING_TIMEOUT, description="how long to let the number ring before giving up"
    )
    time_limit: Duration = Field(
        default=TIME_LIMIT, description="the longest the call may last once answered"
    )
    expect_notification: VoicemailNotification | None = Field(
        default=None,
        description="the inbox the voicemail notification arrives in, and how to recognise it",
    )

    @classmethod
    def needed(cls, data: dict[str, Any]) -> timedelta:
        call = (
            written(data, "ring_timeout", RING_TIMEOUT)
            + written(data, "time_limit", TIME_LIMIT)
            + CALL_SLACK
        )
        expect = data.get("expect_notification")
        if not isinstance(expect, dict):
            return call
        return max(call, written(expect, "within", NOTIFICATION_WITHIN))
