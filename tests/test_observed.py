"""Observed months from a real history: local calendar months, the worst check, empty months."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from freecost.inventory import LoadedInventory
from freecost.observed import calendar_months, dependency_histories
from freecost.results import CheckResult, Status
from freecost.scoring.reliability import MonthRecord, observed_reliability
from freecost.store import CheckKey, History, rules_for
from freecost.uptime import Tally
from tests.store.helpers import result, run_of

INVENTORY = """\
version: 1
business: {name: Corner Shop}
settings: {timezone: America/Chicago}
functions:
  - {id: orders, name: We take orders, criticality: high, rto: 4h, needs: [mail, web]}
dependencies:
  - id: mail
    name: Mail
    maintenance:
      - {from: "2026-10-03 02:00", to: "2026-10-03 04:00", note: mailbox move}
    checks:
      - {id: a, type: file-age, path: "a/*", every: 1h}
      - {id: b, type: file-age, path: "b/*", every: 1h}
  - id: web
    name: Website
    checks:
      - {id: home, type: file-age, path: "home/*", every: 1h}
      - {id: api, type: file-age, path: "api/*", every: 1h}
  - id: quiet
    name: Never checked yet
    checks:
      - {id: ping, type: file-age, path: "ping/*", every: 1h}
  - id: paper
    name: Paper files
"""
HOUR = timedelta(hours=1)
FIRST = datetime(2026, 9, 28, 5, 0, tzinfo=UTC)  # Sep 28, 00:00 in Chicago (CDT)
NOW = datetime(2026, 10, 3, 17, 0, tzinfo=UTC)  # Oct 3, 12:00 in Chicago
OCTOBER_STARTS = datetime(2026, 10, 1, 5, 0, tzinfo=UTC)  # local midnight
FAILING = {
    # a: two hours down in September and two in October.
    CheckKey("mail", "a"): {
        datetime(2026, 9, 29, 10, tzinfo=UTC),
        datetime(2026, 9, 29, 11, tzinfo=UTC),
        datetime(2026, 10, 2, 10, tzinfo=UTC),
        datetime(2026, 10, 2, 11, tzinfo=UTC),
    },
    # b: three hours down on the evening of Sep 30 in Chicago, Oct 1 in UTC.
    CheckKey("mail", "b"): {
        datetime(2026, 10, 1, 2, tzinfo=UTC),
        datetime(2026, 10, 1, 3, tzinfo=UTC),
        datetime(2026, 10, 1, 4, tzinfo=UTC),
    },
}
API_FROM = datetime(2026, 10, 2, 5, 0, tzinfo=UTC)  # the api check was added on Oct 2


def _results_at(at: datetime) -> list[CheckResult]:
    keys = [CheckKey("mail", "a"), CheckKey("mail", "b"), CheckKey("web", "home")]
    if at >= API_FROM:
        keys.append(CheckKey("web", "api"))
    return [
        result(Status.FAIL if at in FAILING.get(key, set()) else Status.OK, at, key) for key in keys
    ]


@pytest.fixture
def recorded(
    load_text: Callable[[str], LoadedInventory], tmp_path: Path
) -> tuple[LoadedInventory, Path]:
    loaded = load_text(INVENTORY)
    rules = rules_for(loaded)
    path = tmp_path / "history.db"
    with History.open(path) as history:
        at = FIRST
        while at < NOW:
            history.record(run_of(_results_at(at)), rules, inventory="inventory.yaml")
            at += HOUR
    return loaded, path


def test_months_are_local_and_the_worst_check_carries_each(
    recorded: tuple[LoadedInventory, Path],
) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        found = dependency_histories(loaded, history, NOW, months=3)
    mail = found["mail"].months
    # August had no result at all: left out, not shown as a month nobody watched.
    assert [m.name for m in mail] == ["2026-09", "2026-10"]
    september, october = mail
    # In Chicago, b's outage on the evening of Sep 30 belongs to September, where it is
    # longer than a's: b is the worst check. In October only a was down.
    assert september.check == "mail/b"
    assert september.tally == Tally(up=69 * HOUR, down=3 * HOUR, unobserved=648 * HOUR)
    assert (september.start, september.end) == (
        datetime(2026, 9, 1, 5, tzinfo=UTC),
        OCTOBER_STARTS,
    )
    assert september.complete
    assert september.timezone == "America/Chicago"
    assert october.check == "mail/a"
    # 60 hours so far: 2 down, 2 in the mailbox move (maintenance), 56 up.
    assert october.tally == Tally(up=56 * HOUR, down=2 * HOUR, maintenance=2 * HOUR)
    assert (october.start, october.end) == (OCTOBER_STARTS, NOW)
    assert october.closes == datetime(2026, 11, 1, 5, tzinfo=UTC)
    assert not october.complete


def test_a_tie_on_down_time_goes_to_the_check_that_watched_longest(
    recorded: tuple[LoadedInventory, Path],
) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        web = dependency_histories(loaded, history, NOW, months=3)["web"].months
    # Neither check was down; home watched all of October so far, api only from Oct 2, and
    # api had no result in September at all.
    assert [(m.name, m.check) for m in web] == [("2026-09", "web/home"), ("2026-10", "web/home")]
    assert web[1].tally == Tally(up=60 * HOUR)


def test_dependencies_without_checks_or_results_have_no_months(
    recorded: tuple[LoadedInventory, Path],
) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        found = dependency_histories(loaded, history, NOW)
    assert list(found) == ["mail", "web", "quiet", "paper"]
    assert found["quiet"].months == ()
    assert found["paper"].months == ()
    assert found["paper"].dependency == "paper"


def test_one_month_is_the_month_so_far(recorded: tuple[LoadedInventory, Path]) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        mail = dependency_histories(loaded, history, NOW, months=1)["mail"].months
    assert [(m.name, m.end) for m in mail] == [("2026-10", NOW)]


def test_the_months_feed_observed_reliability(recorded: tuple[LoadedInventory, Path]) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        mail = dependency_histories(loaded, history, NOW, months=3)["mail"]
    dependency = loaded.inventory.dependency("mail")
    found = observed_reliability(dependency, None, loaded.inventory.functions, mail, NOW)
    # 5 hours down in 130 observed (the worst check each month); most of September unwatched.
    assert found.uptime_pct == pytest.approx(100 * 125 / 130)
    assert [(f.code, f.points) for f in found.findings] == [("LOW_COVERAGE", 0)]
    assert found.score == 100


def test_calendar_months_cross_the_new_year_in_local_time() -> None:
    # 03:00 UTC on Jan 1 is still Dec 31 in Chicago.
    now = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
    assert [p.name for p in calendar_months(now, "America/Chicago", 3)] == [
        "2025-10",
        "2025-11",
        "2025-12",
    ]
    assert [p.name for p in calendar_months(now, "UTC", 2)] == ["2025-12", "2026-01"]


def test_bad_arguments_are_refused(recorded: tuple[LoadedInventory, Path]) -> None:
    loaded, path = recorded
    with History.open(path) as history:
        with pytest.raises(ValueError, match="aware"):
            dependency_histories(loaded, history, datetime(2026, 10, 3))
        with pytest.raises(ValueError, match="at least 1"):
            dependency_histories(loaded, history, NOW, months=0)


def test_month_records_refuse_naive_times() -> None:
    with pytest.raises(ValueError, match="aware"):
        MonthRecord("2026-10", datetime(2026, 10, 1), NOW, Tally(), None)
