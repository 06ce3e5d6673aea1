"""Maintenance windows: time that counts apart from uptime and downtime.

A window is one-off (``{from: 2026-12-01 22:00, to: 2026-12-02 02:00}``) or weekly
(``{weekly: [sun], from: "02:00", to: "04:00"}``). Times without an offset are in the
business's timezone (``settings.timezone``), so a weekly window stays at 02:00 local time
across daylight-saving changes. A weekly window whose ``to`` is not after ``from`` runs
past midnight into the next day.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Annotated, Any, Literal, Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from freecost.model import Model, Text

Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _timezone(value: Any) -> Any:
    if isinstance(value, str) and value.strip():
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            pass
        else:
            return value.strip()
    raise PydanticCustomError(
        "timezone",
        "'{value}' is not a timezone: write an IANA name like Europe/London or America/Chicago",
        {"value": str(value)[:60]},
    )


TimeZoneName = Annotated[
    str,
    BeforeValidator(_timezone),
    WithJsonSchema({"type": "string", "description": "an IANA timezone, like America/Chicago"}),
]


def _clock(value: Any) -> Any:
    # YAML 1.1 reads an unquoted 02:00 as the base-60 number 120; pydantic would then take
    # it as 120 seconds. Refuse numbers rather than guess.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise PydanticCustomError(
            "maintenance_time_quoted",
            "write times in quotes, like '02:00' or '2026-12-01 22:00' "
            "(unquoted, YAML reads 02:00 as a number)",
        )
    return value


When = Annotated[datetime | time, BeforeValidator(_clock)]


class MaintenanceWindow(Model):
    """Planned work: results inside it count neither as up nor as down."""

    note: Text | None = Field(default=None, description="what the work is, for the report")
    weekly: list[Weekday] | None = Field(
        default=None, min_length=1, description="days a weekly window starts on (mon ... sun)"
    )
    start: When = Field(
        alias="from", description="when it starts: a date and time, or a time of day if weekly"
    )
    end: When = Field(
        alias="to", description="when it ends: a date and time, or a time of day if weekly"
    )

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.weekly is not None:
            if isinstance(self.start, datetime) or isinstance(self.end, datetime):
                raise PydanticCustomError(
                    "maintenance_weekly_times",
                    "a weekly window takes times of day: from: '02:00', to: '04:00'",
                )
            return self
        if not (isinstance(self.start, datetime) and isinstance(self.end, datetime)):
            raise PydanticCustomError(
                "maintenance_one_off_times",
                "a one-off window takes a date and time (from: 2026-12-01 22:00); "
                "for a time of day every week, add weekly: [sun]",
            )
        if self.end <= self.start:
            raise PydanticCustomError(
                "maintenance_order", "the window must end ('to') after it starts ('from')"
            )
        return self

    def length(self) -> timedelta:
        """How long each occurrence lasts (a weekly window may run past midnight)."""
        if isinstance(self.start, datetime) and isinstance(self.end, datetime):
            return self.end - self.start
        assert isinstance(self.start, time)
        assert isinstance(self.end, time)
        day = datetime(2000, 1, 3)  # any date: only the times of day matter here
        begins, ends = datetime.combine(day, self.start), datetime.combine(day, self.end)
        return ends - begins if ends > begins else ends + timedelta(days=1) - begins
