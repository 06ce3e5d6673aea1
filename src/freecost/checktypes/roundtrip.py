"""What the ``email-roundtrip`` check accepts: the address under test, the server to send
through, its mailbox, and how long the message may take. The probe is
:mod:`freecost.probes.roundtrip`.

The check's ``timeout`` defaults to ``within`` plus a minute, since the runner's usual
deadline is seconds; a ``timeout`` written shorter than ``within`` is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar, Literal, Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from freecost.checktypes.mailservers import ImapServer, SmtpServer
from freecost.checktypes.telephony import written
from freecost.durations import Duration, format_duration
from freecost.model import EmailAddress
from freecost.probes.registry import CheckBase

WITHIN = timedelta(minutes=10)
WARN_AFTER = timedelta(minutes=2)
MARGIN = timedelta(seconds=60)
"""Room on top of ``within`` for logging in, sending, the last search and the clean-up."""


class Check(CheckBase):
    """Send a tagged message by SMTP and find it in the IMAP inbox."""

    type_name: ClassVar[str] = "email-roundtrip"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver", "ssl"})

    type: Literal["email-roundtrip"]
    to: EmailAddress = Field(
        description="the business address the test message goes to (imap: its mailbox)"
    )
    within: Duration = Field(default=WITHIN, description="how long the message may take at most")
    warn_after: Duration = Field(
        default=WARN_AFTER, description="a message slower than this arrives with a warning"
    )
    smtp: SmtpServer = Field(description="the server the test message is sent through")
    imap: ImapServer = Field(description="the mailbox of the address in to")

    @model_validator(mode="before")
    @classmethod
    def _derived_timeout(cls, data: Any) -> Any:
        # The runner's usual deadline (seconds) cannot hold a wait of minutes for the message.
        if isinstance(data, dict) and data.get("timeout") is None:
            return {**data, "timeout": written(data, "within", WITHIN) + MARGIN}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.warn_after >= self.within:
            raise PydanticCustomError(
                "roundtrip_order",
                "warn_after ({warn}) must be shorter than within ({within})",
                {"warn": format_duration(self.warn_after), "within": format_duration(self.within)},
            )
        if self.timeout is not None and self.timeout <= self.within:
            raise PydanticCustomError(
                "roundtrip_timeout",
                "timeout {timeout} is too short: the wait for the test message alone can take "
                "{within}; leave timeout out to get {needed}, or make it longer",
                {
                    "timeout": format_duration(self.timeout),
                    "within": format_duration(self.within),
                    "needed": format_duration(self.within + MARGIN),
                },
            )
        return self

    def target(self) -> str | None:
        # The IMAP session is held for the whole wait, and providers limit how many an
        # account may have open at once: that host is the one to spare.
        return self.imap.host
