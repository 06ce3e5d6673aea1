"""What the ``sms`` check accepts: the numbers, the provider, and optionally the inbox texts
are forwarded to. The probe is :mod:`freecost.probes.sms`."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal

from pydantic import Field

from freecost.checktypes.notification import TextNotification
from freecost.checktypes.telephony import TelephonyCheck, written

STATUS_WINDOW = timedelta(minutes=2)
"""How long the text's status is followed; carriers that confirm do so within seconds."""
NOTIFICATION_WITHIN = timedelta(minutes=15)


class Check(TelephonyCheck):
    """Texts a number with a token; optionally finds the forwarded text in an inbox."""

    type_name: ClassVar[str] = "sms"
    phases: ClassVar[str] = "following the text's status, then the wait for its e-mail copy"

    type: Literal["sms"]
    expect_notification: TextNotification | None = Field(
        default=None,
        description="the inbox texts are forwarded to, and how to recognise the forwarded text",
    )

    @classmethod
    def needed(cls, data: dict[str, Any]) -> timedelta:
        expect = data.get("expect_notification")
        if not isinstance(expect, dict):
            return STATUS_WINDOW
        return max(STATUS_WINDOW, written(expect, "within", NOTIFICATION_WITHIN))
