"""Reading the history: when checks last ran, recent results, and uptime inputs for a period.

:func:`uptime_inputs` is what makes a year's figures cheap: whole local days come from daily
rollups, other whole hours from hourly ones, and only the parts of the period that are not
rolled up yet (or that cut an hour in two) are read from raw results.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from freecost.results import CheckResult
from freecost.state import CheckState
from freecost.store.db import from_ms, to_ms
from freecost.store.incidents import Incident, incidents, layer_of
from freecost.store.rollups import (
    DAILY,
    HOUR_MS,
    HOURLY,
    STATUS_OF_CODE,
    CheckRow,
    Cursor,
    check_rows,
    day_starts,
    load_cursor,
    observations,
    tally_of_row,
)
from freecost.store.rules import CheckKey
from freecost.uptime import COVER_FACTOR, Interval, Observation, Span, Tally, spans, tally


def last_observed(conn: sqlite3.Connection) -> dict[CheckKey, datetime]:
    """When each check last produced a result (for ``every:``: which checks are due)."""
    rows = conn.execute(
        "SELECT c.dependency, c.name, s.last_observed_at "
        "FROM check_state s JOIN checks c ON c.id = s.check_id"
    )
    return {CheckKey(dependency, name): from_ms(last) for dependency, name, last in rows}


def results(
    conn: sqlite3.Connection,
    *,
    check: CheckKey | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    limit: int | None = None,
) -> list[CheckResult]:
    """Stored results in [start, end), newest first (only ``limit`` of them if given)."""
    where: list[str] = ["1"]
    values: list[object] = []
    if check is not None:
        where.append("c.dependency = ? AND c.name = ?")
        values.extend(check)
    if start is not None:
        where.append("r.observed_at >= ?")
        values.append(to_ms(start))
    if end is not None:
        where.append("r.observed_at < ?")
        values.append(to_ms(end))
    query = (
        "SELECT c.dependency, c.name, c.type, r.status, r.summary, r.observed_at, "
        "r.latency_us, r.layer, r.attempts, r.details FROM results r "
        f"JOIN checks c ON c.id = r.check_id WHERE {' AND '.join(where)} "
        "ORDER BY r.observed_at DESC, c.dependency, c.name"
    )
    if limit is not None:
        query += f" LIMIT {int(limit)}"
    return [
        CheckResult(
            dependency=dependency,
            check=name,
            type=kind,
            status=STATUS_OF_CODE[status],
            summary=summary,
            observed_at=from_ms(observed),
            latency_ms=None if latency is None else latency / 1000,
            layer=layer_of(layer),
            attempts=attempts or 1,
            details=json.loads(details) if details else {},
        )
        for (
            dependency,
            name,
            kind,
            status,
            summary,
            observed,
            latency,
            layer,
            attempts,
            details,
        ) in conn.execute(query, values)
    ]


@dataclass(frozen=True)
class UptimeInputs:
    """What the figures of one check over [start, end) are computed from."""

    check: CheckKey
    start: datetime
    end: datetime
    tally: Tally
    """Time up, down, in maintenance and not observed over the whole period."""
    spans: tuple[Span, ...]
    """The timeline read from raw results, for the parts of the period not rolled up."""
    incidents: tuple[Incident, ...]
    """Incidents that overlap the period (incidents are never pruned)."""
    estimated: timedelta = timedelta(0)
    """Time whose tally was prorated from its hour, its raw results being past retention."""


def uptime_inputs(
    conn: sqlite3.Connection,
    check: CheckKey,
    start: datetime,
    end: datetime,
    *,
    timezone: str = "UTC",
    maintenance: Sequence[Interval] = (),
) -> UptimeInputs:
    """The tally, raw timeline and incidents of ``check`` over [start, end).

    ``timezone`` must be the one the rollups were made in (``settings.timezone``) for daily
    rollups to be used; otherwise hourly ones are. ``maintenance`` applies to the time read
    from raw results; rolled-up time already counted the windows of its day.
    """
    row = check_rows(conn).get(check)
    everything = Tally(unobserved=end - start)
    if row is None or end <= start:
        return UptimeInputs(check, start, end, everything if end > start else Tally(), (), ())
    reader = _Reader(conn, row, load_cursor(conn, row.id), ZoneInfo(timezone), maintenance)
    low, high = to_ms(start), to_ms(end)
    split = min(max(reader.rolled_until, low), high)
    total = reader.rolled(low, split) + reader.raw(split, high)
    found = incidents(conn, check=check, start=start, end=end)
    return UptimeInputs(
        check, start, end, total, tuple(reader.timeline), tuple(found), reader.estimated
    )


class _Reader:
    """Reads one check's tallies from rollups and raw results."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        row: CheckRow,
        cursor: Cursor | None,
        zone: ZoneInfo,
        maintenance: Sequence[Interval],
    ) -> None:
        self.conn, self.row, self.cursor, self.zone = conn, row, cursor, zone
        self.maintenance = maintenance
        self.rolled_until = cursor.rolled_until if cursor else 0
        self.timeline: list[Span] = []
        self.estimated = timedelta(0)

    def raw(self, low: int, high: int) -> Tally:
        """[low, high) from raw results, after the rolled-up time."""
        if high <= low:
            return Tally()
        anchor = self.cursor.anchor_at if self.cursor else 0
        state = self.cursor.state if self.cursor else CheckState()
        return self._tally_raw(low, high, observations(self.conn, self.row, anchor), state)

    def rolled(self, low: int, high: int) -> Tally:
        """[low, high) inside the rolled-up time: days, then hours, then partial hours."""
        if high <= low:
            return Tally()
        first_hour, last_hour = -(-low // HOUR_MS) * HOUR_MS, high - high % HOUR_MS
        if first_hour >= last_hour:
            return self._partial(low, high)
        total = self._partial(low, first_hour) + self._partial(last_hour, high)
        for begin, finish, is_day in self._whole(first_hour, last_hour):
            total += self._buckets(DAILY if is_day else HOURLY, begin, finish)
        return total

    def _whole(self, low: int, high: int) -> list[tuple[int, int, bool]]:
        """[low, high) (whole hours) as whole local days that have a daily row, and the rest."""
        midnights = [m for m in day_starts(low - 1, high + 1, self.zone) if m % HOUR_MS == 0]
        days = list(pairwise(midnights))
        stored = self._daily_buckets(days[0][0], days[-1][1]) if days else set()
        parts: list[tuple[int, int, bool]] = []
        position = low
        for begin, finish in days:
            if begin // 1000 not in stored:
                continue
            if begin > position:
                parts.append((position, begin, False))
            if parts and parts[-1][2] and parts[-1][1] == begin:
                # Consecutive days are summed in one query: a year is one range, not 365.
                parts[-1] = (parts[-1][0], finish, True)
            else:
                parts.append((begin, finish, True))
            position = finish
        if position < high:
            parts.append((position, high, False))
        return parts

    def _daily_buckets(self, low: int, high: int) -> set[int]:
        rows = self.conn.execute(
            "SELECT bucket FROM rollups WHERE check_id = ? AND granularity = ? "
            "AND bucket >= ? AND bucket < ?",
            (self.row.id, DAILY, low // 1000, high // 1000),
        )
        return {bucket for (bucket,) in rows}

    def _buckets(self, granularity: int, low: int, high: int) -> Tally:
        """The sum of the buckets starting in [low, high); time without one is unobserved."""
        row = self.conn.execute(
            "SELECT coalesce(sum(up_ms), 0), coalesce(sum(down_ms), 0), "
            "coalesce(sum(maintenance_ms), 0), coalesce(sum(unobserved_ms), 0) FROM rollups "
            "WHERE check_id = ? AND granularity = ? AND bucket >= ? AND bucket < ?",
            (self.row.id, granularity, low // 1000, high // 1000),
        ).fetchone()
        found = tally_of_row(*row)
        return found + Tally(unobserved=timedelta(milliseconds=high - low) - found.total)

    def _partial(self, low: int, high: int) -> Tally:
        """Part of one rolled-up hour: from raw results if kept, else prorated from the hour."""
        if high <= low:
            return Tally()
        if self.cursor is not None and low >= self.cursor.raw_since:
            return self._edge_from_raw(low, high)
        hour = low - low % HOUR_MS
        whole = self._buckets(HOURLY, hour, hour + HOUR_MS)
        share = (high - low) / HOUR_MS
        self.estimated += timedelta(milliseconds=high - low)
        return Tally(
            whole.up * share,
            whole.down * share,
            whole.maintenance * share,
            whole.unobserved * share,
        )

    def _edge_from_raw(self, low: int, high: int) -> Tally:
        reach = int(self.row.every * COVER_FACTOR // timedelta(milliseconds=1))
        # The results just after the edge settle a streak that began inside it.
        after = max(self.row.fail_after, self.row.recover_after)
        seen = observations(self.conn, self.row, low - reach, high)
        seen += observations(self.conn, self.row, high, limit=after)
        initial = self._state_at(seen[0].observed_at) if seen else CheckState()
        return self._tally_raw(low, high, seen, initial)

    def _state_at(self, moment: datetime) -> CheckState:
        """The confirmed state just before ``moment``, from the incidents (no streak kept)."""
        for item in incidents(self.conn, check=self.row.key, start=moment, end=moment):
            return CheckState(down=True, since=item.started_at)
        return CheckState()

    def _tally_raw(
        self, low: int, high: int, seen: Sequence[Observation], initial: CheckState
    ) -> Tally:
        timeline = spans(
            seen,
            fail_after=self.row.fail_after,
            recover_after=self.row.recover_after,
            initial=initial,
        )
        begin, finish = from_ms(low), from_ms(high)
        self.timeline.extend(
            Span(max(span.start, begin), min(span.end, finish), span.kind)
            for span in timeline
            if span.end > begin and span.start < finish
        )
        return tally(timeline, begin, finish, self.maintenance)
