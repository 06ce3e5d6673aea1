"""Maintenance windows: time that counts apart from uptime and downtime.

A window is one-off (``{from: 2026-12-01 22:00, to: 2026-12-02 02:00}``) or weekly
(``{weekly: [sun], from: "02:00", to: "04:00"}``). Times without an offset are in the
business's timezone (``settings.timezone``), so a weekly window stays at 02:00 local time
across daylight-saving changes. A weekly window whose ``to`` is not after ``from`` runs
past midnight into the next day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time, timedelta
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


def maintenance_intervals(
    windows: Iterable[MaintenanceWindow], start: datetime, end: datetime, tz: str
) -> list[tuple[datetime, datetime]]:
    """Every occurrence of ``windows`` that overlaps [start, end), in UTC, merged.

    Occurrences that overlap or touch are joined first, then returned whole (not cut at
    ``start`` or ``end``), so an outage that runs past the end of a period still sees the
    maintenance around it. ``start`` and ``end`` must be timezone-aware.
    """
    # Only reports and history need this; validating an inventory should not import uptime.
    from freecost.uptime import merge_intervals

    zone = ZoneInfo(tz)
    merged = merge_intervals(
        occurrence for window in windows for occurrence in _occurrences(window, start, end, zone)
    )
    return [(begins, ends) for begins, ends in merged if begins < end and ends > start]


def _occurrences(
    window: MaintenanceWindow, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    if window.weekly is None:
        return [_once(window, zone)]
    return _weekly(window, start, end, zone)


def _once(window: MaintenanceWindow, zone: ZoneInfo) -> tuple[datetime, datetime]:
    assert isinstance(window.start, datetime)
    assert isinstance(window.end, datetime)
    return _utc(window.start, zone), _utc(window.end, zone)


def _weekly(
    window: MaintenanceWindow, start: datetime, end: datetime, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    assert isinstance(window.start, time)
    assert isinstance(window.end, time)
    assert window.weekly is not None
    days = {WEEKDAYS.index(day) for day in window.weekly}
    overnight = window.end <= window.start
    # A day's window can start the evening before ``start`` and end after it; one day of
    # margin on each side is enough since an occurrence never lasts more than 24 hours.
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date() + timedelta(days=1)
    occurrences: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        if day.weekday() in days:
            ends_on = day + timedelta(days=1) if overnight else day
            begins = _utc(datetime.combine(day, window.start), zone)
            ends = _utc(datetime.combine(ends_on, window.end), zone)
            if ends > begins:
                occurrences.append((begins, ends))
        day += timedelta(days=1)
    return occurrences


def _utc(moment: datetime, zone: ZoneInfo) -> datetime:
    """``moment`` in UTC; without an offset it is a wall-clock time in ``zone``.

    On the day clocks change, a wall-clock time can happen twice (autumn) or not at all
    (spring). fold=0 settles both without an error: a repeated time is its first occurrence,
    a skipped time is read with the offset in force before the change, so a 02:00 window on
    the spring day in America/Chicago starts at 03:00 CDT, the moment 02:00 CST would be.
    """
    if moment.utcoffset() is not None:
        return moment.astimezone(UTC)
    return moment.replace(tzinfo=zone, fold=0).astimezone(UTC)
