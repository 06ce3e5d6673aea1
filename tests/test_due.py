"""``every:`` is honoured: only due checks run, with a little slack for cron's timing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from freecost.plan import due_checks
from freecost.probes.file_age import Check
from freecost.runner import PlannedCheck

NOW = datetime(2026, 11, 23, 12, 5, tzinfo=UTC)


def _planned(check_id: str, **fields: Any) -> PlannedCheck:
    check = Check.model_validate({"id": check_id, "type": "file-age", "path": "x", **fields})
    return PlannedCheck("crm", check)


def _due(last: dict[str, datetime], *planned: PlannedCheck) -> list[str]:
    seen = {("crm", check_id): at for check_id, at in last.items()}
    return [p.check.id for p in due_checks(planned, seen, NOW)]


def test_a_check_without_every_runs_every_time() -> None:
    assert _due({"a": NOW - timedelta(seconds=1)}, _planned("a")) == ["a"]


def test_a_check_never_run_is_due() -> None:
    assert _due({}, _planned("a", every="1d")) == ["a"]


def test_a_check_waits_for_its_every() -> None:
    checks = (_planned("daily", every="1d"), _planned("often", every="5m"))
    last = {"daily": NOW - timedelta(hours=3), "often": NOW - timedelta(minutes=6)}
    assert _due(last, *checks) == ["often"]


def test_a_run_a_few_seconds_late_last_time_still_counts_as_due() -> None:
    last = {"often": NOW - timedelta(minutes=4, seconds=57)}
    assert _due(last, _planned("often", every="5m")) == ["often"]


def test_the_slack_is_at_most_a_minute() -> None:
    last = {"daily": NOW - timedelta(hours=23, minutes=58)}
    assert _due(last, _planned("daily", every="1d")) == []
    last = {"daily": NOW - timedelta(hours=23, minutes=59, seconds=30)}
    assert _due(last, _planned("daily", every="1d")) == ["daily"]
