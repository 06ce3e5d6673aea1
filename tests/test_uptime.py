"""Uptime in time: spans, tallies, maintenance windows, periods, figures and combinations."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freecost.maintenance import MaintenanceWindow, maintenance_intervals
from freecost.results import Status
from freecost.state import CheckState
from freecost.uptime import (
    ACCOUNTING_POLICY,
    Incident,
    Interval,
    Observation,
    Period,
    Span,
    SpanKind,
    Tally,
    combine_all,
    combine_any,
    figures,
    function_spans,
    incidents,
    month,
    periods,
    settled_until,
    spans,
    tally,
)

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
OK, WARN, FAIL, ERROR = Status.OK, Status.WARN, Status.FAIL, Status.ERROR
FIVE = timedelta(minutes=5)


def at(minute: float) -> datetime:
    return T0 + timedelta(minutes=minute)


def mins(n: float) -> timedelta:
    return timedelta(minutes=n)


def observe(*timeline: tuple[float, Status], every: timedelta = FIVE) -> list[Observation]:
    return [Observation(at(minute), status, every) for minute, status in timeline]


def shape(timeline: Sequence[Span]) -> list[tuple[float, float, SpanKind]]:
    """Spans as (start minute, end minute, kind), for readable expectations."""
    return [((s.start - T0) / mins(1), (s.end - T0) / mins(1), s.kind) for s in timeline]


def build(*parts: tuple[float, float, SpanKind]) -> list[Span]:
    return [Span(at(start), at(end), kind) for start, end, kind in parts]


def window(**fields: Any) -> MaintenanceWindow:
    return MaintenanceWindow.model_validate(fields)


# --- spans -----------------------------------------------------------------------------


def test_each_result_covers_until_the_next() -> None:
    timeline = spans(observe((0, OK), (5, OK), (10, WARN)), fail_after=2, recover_after=1)
    assert shape(timeline) == [(0, 17.5, "up")]


def test_a_gap_beyond_one_and_a_half_every_is_not_observed() -> None:
    timeline = spans(
        observe((0, OK), (5, OK), (30, OK)), fail_after=2, recover_after=1, until=at(40)
    )
    assert shape(timeline) == [
        (0, 12.5, "up"),
        (12.5, 30, "unobserved"),
        (30, 37.5, "up"),
        (37.5, 40, "unobserved"),
    ]
    assert tally(timeline, at(0), at(40), []) == Tally(up=mins(20), unobserved=mins(20))


def test_until_cuts_the_last_cover_and_drops_later_results() -> None:
    timeline = spans(observe((0, OK), (5, FAIL)), fail_after=1, recover_after=1, until=at(3))
    assert shape(timeline) == [(0, 3, "up")]


def test_a_blip_counts_as_up() -> None:
    timeline = spans(observe((0, OK), (5, FAIL), (10, OK)), fail_after=2, recover_after=1)
    assert shape(timeline) == [(0, 17.5, "up")]


def test_a_confirmed_outage_counts_from_its_first_failure() -> None:
    timeline = spans(
        observe((0, OK), (5, FAIL), (10, FAIL), (15, FAIL), (20, OK)),
        fail_after=3,
        recover_after=1,
    )
    assert shape(timeline) == [(0, 5, "up"), (5, 20, "down"), (20, 27.5, "up")]


def test_recovery_needs_recover_after_successes_and_is_backdated() -> None:
    results = observe((0, FAIL), (5, OK), (10, FAIL), (15, OK), (20, OK), (25, OK))
    timeline = spans(results, fail_after=1, recover_after=2)
    assert shape(timeline) == [(0, 15, "down"), (15, 32.5, "up")]


def test_an_error_during_an_outage_is_not_observed_but_ends_nothing() -> None:
    results = observe((0, OK), (5, FAIL), (10, FAIL), (15, ERROR), (20, FAIL), (25, OK))
    timeline = spans(results, fail_after=2, recover_after=1, until=at(30))
    assert shape(timeline) == [
        (0, 5, "up"),
        (5, 15, "down"),
        (15, 20, "unobserved"),
        (20, 25, "down"),
        (25, 30, "up"),
    ]
    assert incidents(timeline, []) == [Incident(at(5), at(25), mins(20), restored=True)]
    found = figures(timeline, Period("test", at(0), at(30)), [])
    assert found.tally == Tally(up=mins(10), down=mins(15), unobserved=mins(5))
    assert found.incidents == 1
    assert found.mttr == found.longest_outage == mins(20)
    assert found.uptime_pct == pytest.approx(100 * 10 / 25)
    assert found.coverage_pct == pytest.approx(100 * 25 / 30)


def test_the_initial_state_carries_an_outage_over() -> None:
    before = CheckState(down=True, since=at(-60))
    timeline = spans(observe((0, OK), (5, OK)), fail_after=2, recover_after=2, initial=before)
    assert shape(timeline) == [(0, 12.5, "up")]
    timeline = spans(observe((0, OK), (5, FAIL)), fail_after=2, recover_after=2, initial=before)
    assert shape(timeline) == [(0, 12.5, "down")]


def test_results_are_taken_in_time_order() -> None:
    results = observe((10, FAIL), (0, OK), (5, FAIL))
    assert shape(spans(results, fail_after=2, recover_after=1)) == [(0, 5, "up"), (5, 17.5, "down")]


def test_observation_needs_an_aware_time_and_a_positive_every() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Observation(datetime(2026, 1, 1), OK, FIVE)
    with pytest.raises(ValueError, match="longer than zero"):
        Observation(T0, OK, timedelta(0))
    chicago = datetime(2026, 1, 1, 6, tzinfo=_zone("America/Chicago"))
    assert Observation(chicago, OK, FIVE).observed_at == datetime(2026, 1, 1, 12, tzinfo=UTC)


# --- settling --------------------------------------------------------------------------


def test_a_trailing_fail_streak_is_not_settled() -> None:
    results = observe((0, OK), (5, OK), (10, FAIL))
    assert settled_until(results, fail_after=2, recover_after=1, until=at(12)) == at(10)
    assert settled_until(results[:2], fail_after=2, recover_after=1, until=at(12)) == at(12)
    confirmed = [*results, *observe((15, FAIL))]
    assert settled_until(confirmed, fail_after=2, recover_after=1, until=at(17)) == at(17)


def test_a_trailing_recovery_streak_is_not_settled_and_errors_do_not_unsettle() -> None:
    results = observe((0, FAIL), (5, OK), (10, ERROR))
    assert settled_until(results, fail_after=1, recover_after=2, until=at(12)) == at(5)
    assert settled_until(results, fail_after=1, recover_after=1, until=at(12)) == at(12)


# --- tally -----------------------------------------------------------------------------


def test_tally_clips_and_counts_uncovered_time_as_not_observed() -> None:
    timeline = build((10, 20, "up"), (20, 25, "down"), (25, 30, "unobserved"))
    assert tally(timeline, at(0), at(40), []) == Tally(
        up=mins(10), down=mins(5), unobserved=mins(25)
    )
    assert tally(timeline, at(15), at(22), []) == Tally(up=mins(5), down=mins(2))
    assert tally(timeline, at(22), at(22), []) == Tally()


def test_maintenance_takes_whatever_time_it_overlaps() -> None:
    timeline = build((0, 10, "up"), (10, 30, "down"), (40, 50, "up"))
    windows = [(at(5), at(15)), (at(25), at(45)), (at(26), at(27))]
    assert tally(timeline, at(0), at(60), windows) == Tally(
        up=mins(10), down=mins(10), maintenance=mins(30), unobserved=mins(10)
    )


def test_overlapping_spans_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        tally(build((0, 10, "up"), (5, 15, "down")), at(0), at(20), [])


def test_tallies_add_up() -> None:
    total = Tally(mins(1), mins(2), mins(3), mins(4)) + Tally(mins(10), mins(20), mins(30))
    assert total == Tally(mins(11), mins(22), mins(33), mins(4))
    assert total.observed == mins(33)
    assert total.total == mins(70)


# --- maintenance overlapping an outage -------------------------------------------------


def test_maintenance_inside_an_outage_shortens_it() -> None:
    timeline = build((0, 10, "up"), (10, 40, "down"), (40, 60, "up"))
    windows = [(at(20), at(30))]
    found = figures(timeline, Period("test", at(0), at(60)), windows)
    assert found.tally == Tally(up=mins(30), down=mins(20), maintenance=mins(10))
    assert found.incidents == 1
    assert found.longest_outage == found.mttr == mins(20)
    assert found.coverage_pct == 100


def test_an_outage_inside_maintenance_is_no_incident() -> None:
    timeline = build((0, 10, "up"), (10, 20, "down"), (20, 60, "up"))
    found = figures(timeline, Period("test", at(0), at(60)), [(at(5), at(25))])
    assert found.incidents == 0
    assert found.mttr is None
    assert found.longest_outage is None
    assert found.uptime_pct == 100


def test_an_outage_that_outlasts_maintenance_starts_when_it_ends() -> None:
    timeline = build((0, 10, "up"), (10, 40, "down"), (40, 60, "up"))
    assert incidents(timeline, [(at(0), at(25))]) == [
        Incident(at(25), at(40), mins(15), restored=True)
    ]


# --- figures ---------------------------------------------------------------------------


def test_an_unended_incident_has_no_repair_time_but_is_the_longest() -> None:
    timeline = build((0, 10, "up"), (10, 15, "down"), (15, 30, "up"), (30, 60, "down"))
    found = figures(timeline, Period("test", at(0), at(60)), [])
    assert found.incidents == 2
    assert found.mttr == mins(5)
    assert found.longest_outage == mins(30)
    assert found.uptime_pct == pytest.approx(100 * 25 / 60)


def test_incidents_count_where_they_start_and_are_measured_whole() -> None:
    timeline = build((0, 50, "down"), (50, 60, "up"))
    assert figures(timeline, Period("first", at(0), at(30)), []).longest_outage == mins(50)
    assert figures(timeline, Period("later", at(30), at(60)), []).incidents == 0


def test_nothing_observed_has_no_uptime() -> None:
    found = figures([], Period("test", at(0), at(60)), [])
    assert found.uptime_pct is None
    assert found.coverage_pct == 0
    assert found.tally == Tally(unobserved=mins(60))
    all_maintenance = figures([], Period("test", at(0), at(60)), [(at(0), at(60))])
    assert all_maintenance.coverage_pct is None


# --- combinations ----------------------------------------------------------------------


def test_a_dependency_is_down_when_any_check_is() -> None:
    status_page = build((0, 30, "up"), (30, 40, "unobserved"), (40, 60, "up"))
    canary = build((0, 20, "up"), (20, 35, "down"), (35, 50, "unobserved"))
    assert shape(combine_all([status_page, canary])) == [
        (0, 20, "up"),
        (20, 35, "down"),
        (35, 40, "unobserved"),
        (40, 60, "up"),
    ]


def test_an_alternative_stands_in() -> None:
    voice = build((0, 20, "up"), (20, 40, "down"), (40, 60, "unobserved"))
    backup = build((0, 30, "down"), (30, 50, "up"))
    assert shape(combine_any([voice, backup])) == [
        (0, 20, "up"),
        (20, 30, "down"),
        (30, 50, "up"),
        (50, 60, "unobserved"),
    ]


def test_time_no_input_covers_stays_uncovered() -> None:
    combined = combine_all([build((0, 10, "up")), build((20, 30, "down"))])
    assert shape(combined) == [(0, 10, "up"), (20, 30, "down")]
    assert combine_all([]) == combine_any([[], []]) == []


def test_a_function_needs_every_dependency_or_an_alternative() -> None:
    timelines = {
        "voice": build((0, 20, "up"), (20, 40, "down"), (40, 60, "up")),
        "backup-line": build((0, 30, "down"), (30, 60, "up")),
        "google-account": build((0, 50, "up"), (50, 60, "down")),
    }
    needs = ["voice", "google-account"]
    with_backup = function_spans(needs, timelines, {"voice": ["backup-line"]})
    assert shape(with_backup) == [(0, 20, "up"), (20, 30, "down"), (30, 50, "up"), (50, 60, "down")]
    alone = function_spans(needs, timelines)
    assert shape(alone) == [(0, 20, "up"), (20, 40, "down"), (40, 50, "up"), (50, 60, "down")]
    assert shape(function_spans(["never-watched"], timelines)) == []


# --- maintenance windows ---------------------------------------------------------------


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def test_one_off_windows_are_in_the_business_timezone_unless_they_say() -> None:
    naive = window(**{"from": "2026-12-01 22:00", "to": "2026-12-02 02:00"})
    offset = window(**{"from": "2026-12-03 22:00+00:00", "to": "2026-12-03 23:00+00:00"})
    found = maintenance_intervals(
        [naive, offset], utc(2026, 12, 1), utc(2026, 12, 31), "America/Chicago"
    )
    assert found == [
        (utc(2026, 12, 2, 4), utc(2026, 12, 2, 8)),
        (utc(2026, 12, 3, 22), utc(2026, 12, 3, 23)),
    ]


def test_windows_outside_the_range_are_left_out_and_overlapping_ones_merged() -> None:
    windows = [
        window(**{"from": "2026-05-01 10:00", "to": "2026-05-01 12:00"}),
        window(**{"from": "2026-05-01 11:00", "to": "2026-05-01 13:00"}),
        window(**{"from": "2026-06-01 10:00", "to": "2026-06-01 12:00"}),
    ]
    found = maintenance_intervals(windows, utc(2026, 5, 1, 12), utc(2026, 5, 2), "UTC")
    assert found == [(utc(2026, 5, 1, 10), utc(2026, 5, 1, 13))]


def test_a_weekly_window_keeps_its_local_time_across_the_clock_change() -> None:
    sunday = window(weekly=["sun"], **{"from": "02:00", "to": "04:00"})
    found = maintenance_intervals([sunday], utc(2026, 3, 1), utc(2026, 3, 16), "America/Chicago")
    assert found == [
        (utc(2026, 3, 1, 8), utc(2026, 3, 1, 10)),  # CST, UTC-6
        # 8 March: 02:00 does not exist; read as 02:00 CST it is 03:00 CDT, so one hour.
        (utc(2026, 3, 8, 8), utc(2026, 3, 8, 9)),
        (utc(2026, 3, 15, 7), utc(2026, 3, 15, 9)),  # CDT, UTC-5
    ]


def test_a_weekly_window_in_the_repeated_hour_takes_its_first_occurrence() -> None:
    sunday = window(weekly=["sun"], **{"from": "01:00", "to": "03:00"})
    found = maintenance_intervals([sunday], utc(2026, 11, 1), utc(2026, 11, 2), "America/Chicago")
    # 01:00 happens twice on 1 November; the first is CDT (06:00 UTC). 03:00 is CST.
    assert found == [(utc(2026, 11, 1, 6), utc(2026, 11, 1, 9))]


def test_a_window_wholly_in_the_skipped_hour_has_no_occurrence() -> None:
    sunday = window(weekly=["sun"], **{"from": "01:00", "to": "02:00"})
    found = maintenance_intervals([sunday], utc(2026, 3, 28), utc(2026, 3, 31), "Europe/London")
    assert found == []


def test_a_weekly_window_runs_past_midnight_and_from_the_day_before() -> None:
    friday_night = window(weekly=["fri"], **{"from": "22:00", "to": "02:00"})
    # Friday 6 March 2026 22:00 IST is 16:30 UTC; the range starts inside the window.
    found = maintenance_intervals(
        [friday_night], utc(2026, 3, 6, 18), utc(2026, 3, 14), "Asia/Kolkata"
    )
    assert found == [
        (utc(2026, 3, 6, 16, 30), utc(2026, 3, 6, 20, 30)),
        (utc(2026, 3, 13, 16, 30), utc(2026, 3, 13, 20, 30)),
    ]


# --- periods ---------------------------------------------------------------------------


def _zone(name: str) -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


@pytest.mark.parametrize(
    ("tz", "year", "number", "start", "end", "hours"),
    [
        ("America/Chicago", 2026, 3, utc(2026, 3, 1, 6), utc(2026, 4, 1, 5), 743),
        ("America/Chicago", 2026, 11, utc(2026, 11, 1, 5), utc(2026, 12, 1, 6), 721),
        ("Europe/London", 2026, 3, utc(2026, 3, 1), utc(2026, 3, 31, 23), 743),
        ("Europe/London", 2026, 10, utc(2026, 9, 30, 23), utc(2026, 11, 1), 745),
        ("Asia/Kolkata", 2026, 2, utc(2026, 1, 31, 18, 30), utc(2026, 2, 28, 18, 30), 672),
        ("UTC", 2025, 12, utc(2025, 12, 1), utc(2026, 1, 1), 744),
    ],
)
def test_a_month_runs_from_local_midnight_to_local_midnight(
    tz: str, year: int, number: int, start: datetime, end: datetime, hours: int
) -> None:
    period = month(year, number, tz)
    assert period == Period(f"{year}-{number:02d}", start, end)
    assert period.length == timedelta(hours=hours)


def test_periods_end_now_and_months_follow_the_local_calendar() -> None:
    now = utc(2026, 3, 1, 3)  # 08:30 on 1 March in Kolkata, still 28 February in Chicago
    kolkata = {p.name: (p.start, p.end) for p in periods(now, "Asia/Kolkata")}
    assert kolkata == {
        "24h": (utc(2026, 2, 28, 3), now),
        "7d": (utc(2026, 2, 22, 3), now),
        "30d": (utc(2026, 1, 30, 3), now),
        "2026-03": (utc(2026, 2, 28, 18, 30), now),
        "2026-02": (utc(2026, 1, 31, 18, 30), utc(2026, 2, 28, 18, 30)),
    }
    chicago = [p.name for p in periods(now, "America/Chicago")]
    assert chicago == ["24h", "7d", "30d", "2026-02", "2026-01"]
    january = [p.name for p in periods(utc(2026, 1, 15), "Europe/London")]
    assert january[3:] == ["2026-01", "2025-12"]
    with pytest.raises(ValueError, match="timezone-aware"):
        periods(datetime(2026, 1, 1), "UTC")


def test_figures_for_a_month_with_a_clock_change() -> None:
    march = month(2026, 3, "America/Chicago")
    outage_start = datetime(2026, 3, 8, 1, 30, tzinfo=_zone("America/Chicago"))
    outage_end = datetime(2026, 3, 8, 3, 30, tzinfo=_zone("America/Chicago"))  # 1 hour later
    timeline = [
        Span(march.start, outage_start, "up"),
        Span(outage_start, outage_end, "down"),
        Span(outage_end, march.end, "up"),
    ]
    found = figures(timeline, march, [])
    assert found.tally == Tally(up=timedelta(hours=742), down=timedelta(hours=1))
    assert found.longest_outage == timedelta(hours=1)
    assert found.uptime_pct == pytest.approx(100 * 742 / 743)


def test_the_policy_states_every_rule() -> None:
    for words in (
        "time, not in samples",
        "one and a half times",
        "error",
        "coverage",
        "warn result counts as up",
        "fail_after",
        "recover_after",
        "maintenance",
        "business's timezone",
    ):
        assert words in ACCOUNTING_POLICY
    assert "\n" not in ACCOUNTING_POLICY


# --- properties ------------------------------------------------------------------------

KINDS: list[SpanKind] = ["up", "down", "unobserved"]


@st.composite
def timelines(draw: st.DrawFn) -> list[Span]:
    """Non-overlapping spans on whole minutes, with gaps, between minute 0 and about 300."""
    parts: list[Span] = []
    cursor = draw(st.integers(0, 20))
    for _ in range(draw(st.integers(0, 12))):
        length = draw(st.integers(1, 30))
        parts.append(Span(at(cursor), at(cursor + length), draw(st.sampled_from(KINDS))))
        cursor += length + draw(st.sampled_from([0, 0, 3]))
    return parts


windows_strategy = st.lists(
    st.tuples(st.integers(-20, 320), st.integers(1, 60)).map(lambda w: (at(w[0]), at(w[0] + w[1]))),
    max_size=4,
)


@given(
    timelines(), windows_strategy, st.integers(-30, 330), st.integers(0, 330), st.integers(0, 330)
)
def test_tallies_of_adjacent_periods_add_up_to_their_union(
    timeline: list[Span], windows: list[Interval], start: int, first: int, second: int
) -> None:
    middle, end = at(start + first), at(start + first + second)
    whole = tally(timeline, at(start), end, windows)
    assert whole.total == end - at(start)
    assert (
        tally(timeline, at(start), middle, windows) + tally(timeline, middle, end, windows) == whole
    )


@given(timelines(), windows_strategy, st.integers(-30, 330), st.integers(1, 330))
def test_figures_stay_in_bounds(
    timeline: list[Span], windows: list[Interval], start: int, length: int
) -> None:
    found = figures(timeline, Period("p", at(start), at(start + length)), windows)
    for pct in (found.uptime_pct, found.coverage_pct):
        assert pct is None or 0 <= pct <= 100
    assert found.uptime_pct is None or found.tally.observed > timedelta(0)
    for length_ in (found.mttr, found.longest_outage):
        assert length_ is None or length_ > timedelta(0)


@given(st.lists(timelines(), max_size=4))
def test_combinations_agree_with_their_inputs(inputs: list[list[Span]]) -> None:
    every, anyone = combine_all(inputs), combine_any(inputs)
    for combined in (every, anyone):
        assert all(a.end <= b.start for a, b in pairwise(combined))
    horizon = (at(-1), at(400))
    down_somewhere = sum((tally(t, *horizon, []).down for t in inputs), timedelta(0))
    assert tally(every, *horizon, []).down <= down_somewhere
    assert tally(every, *horizon, []).down >= max(
        (tally(t, *horizon, []).down for t in inputs), default=timedelta(0)
    )
    assert tally(anyone, *horizon, []).up >= max(
        (tally(t, *horizon, []).up for t in inputs), default=timedelta(0)
    )


results_strategy = st.lists(
    st.tuples(st.integers(1, 12), st.sampled_from(list(Status))), min_size=1, max_size=30
)


@given(results_strategy, st.integers(1, 3), st.integers(1, 3))
def test_settled_time_never_changes_when_more_results_come(
    steps: list[tuple[int, Status]], fail_after: int, recover_after: int
) -> None:
    minute, timed = 0, []
    for gap, status in steps:
        minute += gap
        timed.append((minute, status))
    results = observe(*timed)
    final = at(minute + 10)
    everything = spans(results, fail_after=fail_after, recover_after=recover_after, until=final)
    assert all(s.start < s.end for s in everything)
    assert all(a.end == b.start and a.kind != b.kind for a, b in pairwise(everything))
    for cut in range(1, len(results)):
        until = results[cut].observed_at
        known = results[:cut]
        settled = settled_until(
            known, fail_after=fail_after, recover_after=recover_after, until=until
        )
        so_far = spans(known, fail_after=fail_after, recover_after=recover_after, until=until)
        assert _clip(so_far, settled) == _clip(everything, settled)


def _clip(timeline: Sequence[Span], end: datetime) -> list[Span]:
    return [Span(s.start, min(s.end, end), s.kind) for s in timeline if s.start < end]
