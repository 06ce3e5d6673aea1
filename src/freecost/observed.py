"""What each dependency was observed doing, month by month: the input to observed reliability.

:func:`dependency_histories` reads, for every dependency, one tally per calendar month of the
business's timezone (``settings.timezone``), the last month only up to now. Each check's
month comes from :meth:`History.uptime_inputs`, so a year costs a few rollup queries per
check, and maintenance windows (the settings' and the dependency's) count apart as they do
in ``freecost history``.

How a month of a dependency is counted: it is the tally of its worst check that month, the
one with the most down time. Outages that different checks saw at different times are not
added together, so the down time quoted is a lower bound on the dependency's: it was down
at least that long. When checks tie on down time, the one observed longest is taken (its
figure rests on the most evidence, and a check added late in the month cannot hide one
that watched all of it); a full tie goes to the check whose id sorts first.

A month that no check observed at all (before the first result, or while nothing ran) is
left out, so a new install does not show a year of time nobody watched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from freecost.inventory import Dependency, LoadedInventory
from freecost.maintenance import maintenance_intervals
from freecost.scoring.reliability import DependencyHistory, MonthRecord
from freecost.store import CheckKey, History
from freecost.uptime import Period, Tally, month

DEFAULT_MONTHS = 12


def dependency_histories(
    loaded: LoadedInventory, history: History, now: datetime, months: int = DEFAULT_MONTHS
) -> dict[str, DependencyHistory]:
    """Every dependency's observed months, oldest first, for the ``months`` up to ``now``.

    A dependency without checks, or whose checks have no results in the window, maps to a
    history with no months.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if months < 1:
        raise ValueError("months must be at least 1")
    tz = loaded.inventory.settings.timezone
    calendar = calendar_months(now, tz, months)
    return {
        dependency.id: DependencyHistory(
            dependency.id, _months(loaded, history, dependency, calendar, now)
        )
        for dependency in loaded.inventory.dependencies
    }


def dependency_days(
    loaded: LoadedInventory, history: History, now: datetime, days: int = 30
) -> dict[str, DependencyHistory]:
    """Like :func:`dependency_histories`, one record per local calendar day (the last one
    up to ``now``): what a report's uptime chart draws."""
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    if days < 1:
        raise ValueError("days must be at least 1")
    tz = loaded.inventory.settings.timezone
    calendar = calendar_days(now, tz, days)
    return {
        dependency.id: DependencyHistory(
            dependency.id, _months(loaded, history, dependency, calendar, now)
        )
        for dependency in loaded.inventory.dependencies
    }


def calendar_days(now: datetime, tz: str, count: int) -> list[Period]:
    """The ``count`` calendar days in ``tz`` up to ``now``, oldest first, named by date."""
    zone = ZoneInfo(tz)
    today = now.astimezone(zone).date()
    found = []
    for back in range(count - 1, -1, -1):
        day = today - timedelta(days=back)
        # fold=0: a midnight skipped or repeated by a clock change reads with the old offset.
        start = datetime(day.year, day.month, day.day, tzinfo=zone, fold=0).astimezone(UTC)
        after = day + timedelta(days=1)
        end = datetime(after.year, after.month, after.day, tzinfo=zone, fold=0).astimezone(UTC)
        found.append(Period(day.isoformat(), start, end))
    return found


def calendar_months(now: datetime, tz: str, count: int) -> list[Period]:
    """The ``count`` calendar months in ``tz`` up to ``now``, oldest first, whole periods."""
    local = now.astimezone(ZoneInfo(tz))
    index = local.year * 12 + local.month - 1
    return [month(i // 12, i % 12 + 1, tz) for i in range(index - count + 1, index + 1)]


def _months(
    loaded: LoadedInventory,
    history: History,
    dependency: Dependency,
    calendar: list[Period],
    now: datetime,
) -> tuple[MonthRecord, ...]:
    settings = loaded.inventory.settings
    tz = settings.timezone
    windows = [*settings.maintenance, *dependency.maintenance]
    keys = sorted(CheckKey(dependency.id, check.id) for check in loaded.checks_of(dependency))
    records = []
    for period in calendar:
        end = min(period.end, now)
        if end <= period.start:
            continue
        maintenance = maintenance_intervals(windows, period.start, end, tz)
        tallies = [
            (
                key,
                history.uptime_inputs(
                    key, period.start, end, timezone=tz, maintenance=maintenance
                ).tally,
            )
            for key in keys
        ]
        worst = _worst(tallies)
        if worst is None:
            continue
        key, time = worst
        records.append(
            MonthRecord(
                name=period.name,
                start=period.start,
                end=end,
                tally=time,
                check=str(key),
                closes=period.end if period.end > end else None,
                timezone=tz,
            )
        )
    return tuple(records)


def _worst(tallies: list[tuple[CheckKey, Tally]]) -> tuple[CheckKey, Tally] | None:
    """The check with the most down time, then the most observed time; None if none observed.

    ``tallies`` are in check order, and ``max`` keeps the first of equals.
    """
    seen = [(key, time) for key, time in tallies if time.observed.total_seconds() > 0]
    if not seen:
        return None
    return max(seen, key=lambda item: (item[1].down, item[1].observed))
