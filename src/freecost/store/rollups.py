"""Hourly and daily rollups, and the retention that keeps raw results bounded.

Each check has a cursor: time before ``rolled_until`` is in the rollups for good. Rolling up
feeds :mod:`freecost.uptime` the results from the cursor's anchor (the last result before
``rolled_until``, whose cover reaches past it) with the state before that result, and adds
the tallies of whole settled hours to hourly buckets (UTC) and to daily buckets (local days
of the business's timezone). Only settled time is rolled up: while a contrary streak is
pending, its results may yet be counted the other way.

Retention then deletes raw results older than ``retention``, except around incidents and
never those the cursor still needs, so every hour is counted before its raw results go.
"""

from __future__ import annotations

import bisect
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from freecost.maintenance import MaintenanceWindow, maintenance_intervals
from freecost.results import Status
from freecost.state import CheckState, advance
from freecost.store.db import from_ms, optional_time, to_ms, write_transaction
from freecost.store.rules import CheckKey, Rules
from freecost.uptime import Observation, Tally, settled_until, spans, tally

HOURLY, DAILY = 0, 1
"""Granularity codes in ``rollups``."""
HOUR_MS = 3_600_000
GRACE = timedelta(minutes=15)
"""Hours are rolled up this long after they end, so a slow or overlapping run is in them."""
STATUS_OF_CODE = {status.exit_code: status for status in Status}


@dataclass
class Cursor:
    """How far one check is rolled up, and what rolling up further starts from."""

    check_id: int
    rolled_until: int
    anchor_at: int
    state: CheckState
    """The state before the result at ``anchor_at``."""
    raw_since: int
    """Raw results are complete from here on (older ones only around incidents)."""


@dataclass(frozen=True)
class CheckRow:
    """A check as the ``checks`` table has it."""

    id: int
    key: CheckKey
    every: timedelta
    fail_after: int
    recover_after: int


def check_rows(conn: sqlite3.Connection) -> dict[CheckKey, CheckRow]:
    rows = conn.execute(
        "SELECT id, dependency, name, every_ms, fail_after, recover_after FROM checks"
    )
    return {
        CheckKey(dependency, name): CheckRow(
            ident, CheckKey(dependency, name), timedelta(milliseconds=every), fail, recover
        )
        for ident, dependency, name, every, fail, recover in rows
    }


def load_cursor(conn: sqlite3.Connection, check_id: int) -> Cursor | None:
    row = conn.execute(
        "SELECT rolled_until, anchor_at, down, since, streak, streak_since, raw_since "
        "FROM rollup_cursor WHERE check_id = ?",
        (check_id,),
    ).fetchone()
    if row is None:
        return None
    rolled, anchor, down, since, streak, streak_since, raw_since = row
    state = CheckState(bool(down), optional_time(since), streak, optional_time(streak_since))
    return Cursor(check_id, rolled, anchor, state, raw_since)


def _save_cursor(conn: sqlite3.Connection, cursor: Cursor) -> None:
    state = cursor.state
    conn.execute(
        "INSERT OR REPLACE INTO rollup_cursor (check_id, rolled_until, anchor_at, down, since, "
        "streak, streak_since, raw_since) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            cursor.check_id,
            cursor.rolled_until,
            cursor.anchor_at,
            int(state.down),
            None if state.since is None else to_ms(state.since),
            state.streak,
            None if state.streak_since is None else to_ms(state.streak_since),
            cursor.raw_since,
        ),
    )


def observations(
    conn: sqlite3.Connection,
    row: CheckRow,
    start_ms: int,
    end_ms: int | None = None,
    *,
    limit: int | None = None,
) -> list[Observation]:
    """The check's stored results from ``start_ms`` (to ``end_ms``), oldest first."""
    query = "SELECT observed_at, status FROM results WHERE check_id = ? AND observed_at >= ?"
    values: list[int] = [row.id, start_ms]
    if end_ms is not None:
        query += " AND observed_at < ?"
        values.append(end_ms)
    query += " ORDER BY observed_at"
    if limit is not None:
        query += " LIMIT ?"
        values.append(limit)
    return [
        Observation(from_ms(observed), STATUS_OF_CODE[status], row.every)
        for observed, status in conn.execute(query, values)
    ]


def rollup_due(conn: sqlite3.Connection, rules: Rules, now: datetime) -> bool:
    """Whether some check of ``rules`` has an hour to roll up (cheap; run before each run)."""
    horizon = to_ms(now - GRACE)
    rows = conn.execute(
        "SELECT c.dependency, c.name, r.rolled_until, EXISTS "
        "(SELECT 1 FROM results WHERE check_id = c.id) "
        "FROM checks c LEFT JOIN rollup_cursor r ON r.check_id = c.id"
    )
    for dependency, name, rolled_until, has_results in rows:
        if CheckKey(dependency, name) not in rules.policies:
            continue
        if rolled_until is None and has_results:
            return True
        if rolled_until is not None and rolled_until + HOUR_MS <= horizon:
            return True
    return False


def roll_up(conn: sqlite3.Connection, rules: Rules, now: datetime) -> int:
    """Roll up every settled hour of the checks of ``rules``; return the hours added."""
    zone = ZoneInfo(rules.timezone)
    added = 0
    with write_transaction(conn):
        for key, row in check_rows(conn).items():
            if key in rules.policies:
                windows = rules.maintenance.get(key.dependency, ())
                added += _roll_up_check(conn, row, now, zone, windows, rules.timezone)
    return added


def _roll_up_check(
    conn: sqlite3.Connection,
    row: CheckRow,
    now: datetime,
    zone: ZoneInfo,
    windows: Sequence[MaintenanceWindow],
    tz: str,
) -> int:
    cursor = load_cursor(conn, row.id) or _first_cursor(conn, row.id)
    if cursor is None:
        return 0
    seen = observations(conn, row, cursor.anchor_at)
    rules = {"fail_after": row.fail_after, "recover_after": row.recover_after}
    settled = settled_until(seen, **rules, initial=cursor.state, until=now)
    target = _floor_hour(to_ms(min(settled, now - GRACE)))
    if target <= cursor.rolled_until:
        return 0
    timeline = spans(seen, **rules, initial=cursor.state, until=now)
    start, end = from_ms(cursor.rolled_until), from_ms(target)
    maintenance = maintenance_intervals(windows, start, end, tz) if windows else []
    times = [to_ms(observation.observed_at) for observation in seen]
    buckets: dict[tuple[int, int], tuple[Tally, int]] = {}
    for low, high in _pieces(cursor.rolled_until, target, zone):
        piece = tally(timeline, from_ms(low), from_ms(high), maintenance)
        samples = bisect.bisect_left(times, high) - bisect.bisect_left(times, low)
        for bucket in ((HOURLY, _floor_hour(low) // 1000), (DAILY, _day_start(low, zone) // 1000)):
            before, count = buckets.get(bucket, (Tally(), 0))
            buckets[bucket] = (before + piece, count + samples)
    _add_buckets(conn, row.id, buckets)
    hours = (target - cursor.rolled_until) // HOUR_MS
    _advance_cursor(cursor, seen, times, target, row)
    _save_cursor(conn, cursor)
    return hours


def _first_cursor(conn: sqlite3.Connection, check_id: int) -> Cursor | None:
    row = conn.execute(
        "SELECT min(observed_at) FROM results WHERE check_id = ?", (check_id,)
    ).fetchone()
    if row[0] is None:
        return None
    return Cursor(check_id, _floor_hour(row[0]), row[0], CheckState(), 0)


def _advance_cursor(
    cursor: Cursor, seen: Sequence[Observation], times: Sequence[int], target: int, row: CheckRow
) -> None:
    """Move the anchor to the last result before ``target``, folding the state up to it."""
    last = bisect.bisect_left(times, target) - 1
    state = cursor.state
    for observation in seen[: max(last, 0)]:
        state, _ = advance(
            state,
            observation.status,
            observation.observed_at,
            fail_after=row.fail_after,
            recover_after=row.recover_after,
        )
    if last >= 0:
        cursor.anchor_at, cursor.state = times[last], state
    cursor.rolled_until = target


def _add_buckets(
    conn: sqlite3.Connection, check_id: int, buckets: dict[tuple[int, int], tuple[Tally, int]]
) -> None:
    conn.executemany(
        "INSERT INTO rollups (check_id, granularity, bucket, up_ms, down_ms, maintenance_ms, "
        "unobserved_ms, samples) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (check_id, granularity, bucket) DO UPDATE SET "
        "up_ms = up_ms + excluded.up_ms, down_ms = down_ms + excluded.down_ms, "
        "maintenance_ms = maintenance_ms + excluded.maintenance_ms, "
        "unobserved_ms = unobserved_ms + excluded.unobserved_ms, "
        "samples = samples + excluded.samples",
        [
            (check_id, granularity, bucket, *_millis(piece), samples)
            for (granularity, bucket), (piece, samples) in buckets.items()
        ],
    )


def _millis(piece: Tally) -> tuple[int, int, int, int]:
    unit = timedelta(milliseconds=1)
    return (
        piece.up // unit,
        piece.down // unit,
        piece.maintenance // unit,
        piece.unobserved // unit,
    )


def tally_of_row(up: int, down: int, maintenance: int, unobserved: int) -> Tally:
    return Tally(
        timedelta(milliseconds=up),
        timedelta(milliseconds=down),
        timedelta(milliseconds=maintenance),
        timedelta(milliseconds=unobserved),
    )


def _floor_hour(moment_ms: int) -> int:
    return moment_ms - moment_ms % HOUR_MS


def _day_start(moment_ms: int, zone: ZoneInfo) -> int:
    """Local midnight (in ``zone``) of the day ``moment_ms`` falls in, as epoch ms."""
    local = from_ms(moment_ms).astimezone(zone)
    return to_ms(datetime.combine(local.date(), time(0), tzinfo=zone))


def day_starts(start_ms: int, end_ms: int, zone: ZoneInfo) -> list[int]:
    """Local midnights in (start_ms, end_ms), as epoch ms."""
    found: list[int] = []
    day = from_ms(start_ms).astimezone(zone).date() + timedelta(days=1)
    while True:
        midnight = to_ms(datetime.combine(day, time(0), tzinfo=zone))
        if midnight >= end_ms:
            return found
        if midnight > start_ms:
            found.append(midnight)
        day += timedelta(days=1)


def _pieces(start_ms: int, end_ms: int, zone: ZoneInfo) -> list[tuple[int, int]]:
    """[start, end) cut at every hour and every local midnight (which may not be on an hour)."""
    first_hour = _floor_hour(start_ms) + HOUR_MS
    cuts = set(range(first_hour, end_ms, HOUR_MS)) | set(day_starts(start_ms, end_ms, zone))
    edges = [start_ms, *sorted(cuts), end_ms]
    return list(pairwise(edges))


def prune(conn: sqlite3.Connection, rules: Rules, now: datetime) -> int:
    """Delete raw results past retention (not around incidents, not un-rolled); return how many."""
    cutoff = to_ms(now - rules.retention)
    margin = rules.incident_margin // timedelta(milliseconds=1)
    deleted = 0
    with write_transaction(conn):
        for row in check_rows(conn).values():
            cursor = load_cursor(conn, row.id)
            if cursor is None:
                continue
            limit = min(cutoff, cursor.anchor_at)
            if limit <= cursor.raw_since:
                continue
            deleted += conn.execute(
                "DELETE FROM results WHERE check_id = :check AND observed_at >= :since "
                "AND observed_at < :limit AND NOT EXISTS (SELECT 1 FROM incidents i "
                "WHERE i.check_id = :check AND results.observed_at >= i.started_at - :margin "
                "AND (i.ended_at IS NULL OR results.observed_at < i.ended_at + :margin))",
                {"check": row.id, "since": cursor.raw_since, "limit": limit, "margin": margin},
            ).rowcount
            cursor.raw_since = limit
            _save_cursor(conn, cursor)
        conn.execute(
            "DELETE FROM runs WHERE finished_at < ? AND NOT EXISTS "
            "(SELECT 1 FROM results WHERE results.run_id = runs.id)",
            (cutoff,),
        )
    return deleted
