"""Rollups agree with the uptime of raw results; retention keeps what it must."""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.maintenance import MaintenanceWindow
from freecost.results import Status
from freecost.store import History
from freecost.store.rollups import DAILY, HOURLY
from freecost.uptime import Observation, Tally, spans, tally
from tests.store.helpers import EVERY, SITE, result, rules, run_of

# A day with a clock change in Chicago (spring forward), starting at 20:00 UTC on Mar 7.
START = datetime(2026, 3, 7, 20, 3, 20, tzinfo=UTC)
STATUSES = st.sampled_from([Status.OK] * 4 + [Status.FAIL, Status.FAIL, Status.ERROR])
GAPS = st.sampled_from([EVERY] * 6 + [EVERY * 3, timedelta(minutes=2, seconds=7)])


def _direct(times: list[datetime], statuses: list[Status], start: datetime, end: datetime) -> Tally:
    seen = [Observation(t, s, EVERY) for t, s in zip(times, statuses, strict=True)]
    return tally(spans(seen, fail_after=2, recover_after=1), start, end, [])


def _record(history: History, times: list[datetime], statuses: list[Status], **kw: object) -> None:
    policy = rules(**kw)  # type: ignore[arg-type]
    for at, status in zip(times, statuses, strict=True):
        history.record(run_of([result(status, at)]), policy, inventory="x")


def _sum(history: History, granularity: int) -> Tally:
    total = Tally()
    for up, down, maint, unobserved in history.conn.execute(
        "SELECT up_ms, down_ms, maintenance_ms, unobserved_ms FROM rollups WHERE granularity = ?",
        (granularity,),
    ):
        ms = timedelta(milliseconds=1)
        total += Tally(up * ms, down * ms, maint * ms, unobserved * ms)
    return total


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(STATUSES, GAPS), min_size=5, max_size=120), st.integers(0, 3))
def test_rollups_and_uptime_inputs_equal_the_uptime_of_raw_results(
    steps: list[tuple[Status, timedelta]], cut: int
) -> None:
    times, at = [], START
    for _, gap in steps:
        times.append(at)
        at += gap
    statuses = [status for status, _ in steps]
    with tempfile.TemporaryDirectory() as folder, History.open(Path(folder) / "h.db") as history:
        _record(history, times, statuses, timezone="America/Chicago")
        history.upkeep(rules(timezone="America/Chicago"), at + timedelta(hours=2), force=True)
        first_hour = START.replace(minute=0, second=0)
        cursor = history.conn.execute("SELECT rolled_until FROM rollup_cursor").fetchone()
        rolled_until = (
            first_hour if cursor is None else datetime.fromtimestamp(cursor[0] / 1000, UTC)
        )
        hourly = _sum(history, HOURLY)
        assert hourly == _direct(times, statuses, first_hour, rolled_until)
        assert _sum(history, DAILY) == hourly
        # A period that cuts hours in two, partly rolled up and partly raw.
        start = START + timedelta(minutes=17 * cut)
        end = times[-1] + timedelta(minutes=3)
        inputs = history.uptime_inputs(SITE, start, end, timezone="America/Chicago")
        assert inputs.tally == _direct(times, statuses, start, end)
        assert inputs.estimated == timedelta(0)


def test_daily_rollups_start_at_local_midnight_and_hold_the_clock_change(tmp_path: Path) -> None:
    times = [START + i * EVERY for i in range(12 * 24 * 2)]
    with History.open(tmp_path / "h.db") as history:
        _record(history, times, [Status.OK] * len(times), timezone="America/Chicago")
        days = history.conn.execute(
            "SELECT bucket, up_ms + down_ms + maintenance_ms + unobserved_ms FROM rollups "
            "WHERE granularity = ? ORDER BY bucket",
            (DAILY,),
        ).fetchall()
    # Mar 8 in Chicago has 23 hours: 06:00 UTC (CST midnight) to 05:00 UTC on Mar 9.
    assert (int(datetime(2026, 3, 8, 6, tzinfo=UTC).timestamp()), 23 * 3_600_000) in days


def test_maintenance_counts_apart_in_rollups(tmp_path: Path) -> None:
    window = MaintenanceWindow.model_validate(
        {"from": "2026-03-08 02:00", "to": "2026-03-08 03:00"}
    )
    times = [START + i * EVERY for i in range(12 * 12)]
    policy = rules(maintenance={"website": [window]})
    with History.open(tmp_path / "h.db") as history:
        _record(history, times, [Status.FAIL] * len(times), maintenance={"website": [window]})
        history.upkeep(policy, times[-1] + timedelta(hours=1), force=True)
        assert _sum(history, HOURLY).maintenance == timedelta(hours=1)


def test_retention_keeps_recent_results_and_those_around_incidents(tmp_path: Path) -> None:
    day = timedelta(days=1)
    quiet = [START + i * timedelta(hours=1) for i in range(24 * 10)]
    statuses = [Status.OK] * len(quiet)
    statuses[100:103] = [Status.FAIL] * 3  # an incident on day 4
    policy = rules(every=timedelta(hours=1), retention=3 * day, incident_margin=day / 4)
    with History.open(tmp_path / "h.db") as history:
        for at, status in zip(quiet, statuses, strict=True):
            history.record(run_of([result(status, at)]), policy, inventory="x")
        kept = sorted(r.observed_at for r in history.results())
        incident = history.incidents()[0]
        inputs = history.uptime_inputs(SITE, START, quiet[-1])
    assert incident.ended_at == quiet[103]
    margin = (incident.started_at - day / 4, incident.ended_at + day / 4)
    around = [t for t in quiet if margin[0] <= t < margin[1]]
    recent = [t for t in quiet if t >= quiet[-1] - 3 * day]
    assert kept == sorted({*around, *recent})
    # The figures survive the raw results: the rollups hold them. The first, partial hour
    # has no raw results left, so its share is prorated from its hourly rollup.
    assert inputs.tally.down == timedelta(hours=3)
    assert inputs.tally.total == quiet[-1] - START
    assert inputs.estimated == timedelta(minutes=56, seconds=40)
