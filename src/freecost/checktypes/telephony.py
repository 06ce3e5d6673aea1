"""What the ``voice-call`` and ``sms`` checks share: the provider fields and their deadline.

Both checks cost money on every run, so they are due once a day unless told otherwise
(``every`` defaults to ``1d``, which ``freecost schedule`` and the due logic read from the
check like any other ``every``).

Both also take longer than the runner's usual deadline: a call rings, speaks and hangs up,
and a notification e-mail can take minutes. When ``timeout`` is not written, each check
derives it from its own phases (:meth:`TelephonyCheck.needed`); a ``timeout`` that is
written must leave room for them.

Building the provider, pacing its polls and reporting its errors and prices is
:mod:`freecost.telephony.checks`.
"""

from __future__ import annotations

from abc import abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from freecost.durations import Duration, format_duration, parse_duration
from freecost.model import HttpUrl, PhoneNumber
from freecost.probes.registry import CheckBase
from freecost.secrets import Secret

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext
    from freecost.telephony.base import TelephonyProvider

DAILY = timedelta(days=1)
MARGIN = timedelta(seconds=60)
"""Room on top of a check's phases for API round trips and the last mailbox search."""


class TelephonyCheck(CheckBase):
    """A check that places a call or sends a text through a telephony provider."""

    clients: ClassVar[frozenset[str]] = frozenset({"api", "ssl"})

    every: Duration | None = Field(
        default=DAILY, description="how often the check is due (each run costs money)"
    )
    provider: Literal["twilio"] = Field(default="twilio", description="the telephony API")
    to: PhoneNumber = Field(description="the number under test, like +15128279000")
    from_: PhoneNumber = Field(
        alias="from", description="a number the provider account owns, to call or text from"
    )
    api_base: HttpUrl | None = Field(
        default=None, description="the provider's API address (default https://api.twilio.com)"
    )
    account: Secret = Field(description="the account id, as ${ENV} or file:PATH")
    token: Secret = Field(description="the account's auth token, as ${ENV} or file:PATH")

    @field_validator("retries")
    @classmethod
    def _no_retries(cls, value: int) -> int:
        # The runner's retries repeat the whole probe: here, another paid call or text.
        if value:
            raise PydanticCustomError(
                "canary_retries",
                "a retry would place another paid call or text: leave retries out, "
                "the next run tries again",
            )
        return value

    phases: ClassVar[str]
    """What a run waits for, in the words of the error about a short ``timeout``."""

    @classmethod
    @abstractmethod
    def needed(cls, data: dict[str, Any]) -> timedelta:
        """How long a run may take, from the fields as written (before validation)."""

    @model_validator(mode="before")
    @classmethod
    def _derived_timeout(cls, data: Any) -> Any:
        if isinstance(data, dict) and data.get("timeout") is None:
            return {**data, "timeout": cls.needed(data) + MARGIN}
        return data

    @model_validator(mode="after")
    def _timeout_fits(self) -> Self:
        needed = self.needed(self.model_dump(by_alias=True))
        if self.timeout is not None and self.timeout < needed:
            raise PydanticCustomError(
                "telephony_timeout",
                "timeout {timeout} is too short: this check can take {needed} ({phases}); "
                "leave timeout out to get that, or make it at least {needed}",
                {
                    "timeout": format_duration(self.timeout),
                    "needed": format_duration(needed + MARGIN),
                    "phases": self.phases,
                },
            )
        if self.to == self.from_:
            raise PydanticCustomError(
                "telephony_same_number",
                "to and from are the same number ({number}): call or text from another one",
                {"number": self.to},
            )
        return self

    def target(self) -> str | None:
        return urlsplit(self.api_base or "https://api.twilio.com").hostname

    def connect(self, ctx: ProbeContext) -> TelephonyProvider:
        """The provider, with the credentials read now (a missing one raises SecretError)."""
        from freecost.telephony import connect

        return connect(
            self.provider,
            ctx.api,
            account=ctx.secret(self.account),
            token=ctx.secret(self.token),
            api_base=self.api_base,
        )


def written(data: dict[str, Any], name: str, default: timedelta) -> timedelta:
    """A duration field as written, or ``default`` when it is absent or unreadable (the
    field's own validation reports that)."""
    value = data.get(name)
    if isinstance(value, timedelta):
        return value
    if isinstance(value, str):
        try:
            return parse_duration(value)
        except ValueError:
            return default
    return default
