"""Recording runs: results, state with fail_after/recover_after, incidents, reminders, notices."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from freecost.results import Layer, Status
from freecost.store import CheckKey, Delivery, History, Recorded, Rules
from tests.store.helpers import EVERY, SITE, START, result, rules, run_of

OK, FAIL, ERROR = Status.OK, Status.FAIL, Status.ERROR


@pytest.fixture
def history(tmp_path: Path) -> Iterator[History]:
    with History.open(tmp_path / "history.sqlite3") as opened:
        yield opened


def _feed(history: History, statuses: list[Status], policy: Rules | None = None) -> list[Recorded]:
    policy = policy or rules()
    return [
        history.record(run_of([result(s, START + i * EVERY)]), policy, inventory="inv.yaml")
        for i, s in enumerate(statuses)
    ]


def _changes(recorded: list[Recorded]) -> list[tuple[int, str]]:
    return [(i, c.kind) for i, r in enumerate(recorded) for c in r.changes]


def test_one_failure_is_a_blip_two_open_an_incident_dated_from_the_first(
    history: History,
) -> None:
    recorded = _feed(history, [OK, FAIL, OK, FAIL, FAIL, FAIL, OK])
    assert _changes(recorded) == [(4, "opened"), (6, "closed")]
    opened, closed = recorded[4].changes[0], recorded[6].changes[0]
    assert opened.since == START + 3 * EVERY
    assert opened.confirmed_at == START + 4 * EVERY
    assert (opened.layer, opened.first_summary) == (Layer.HTTP, "fail at 00:15")
    assert closed.duration == 3 * EVERY
    [incident] = history.incidents()
    assert (incident.started_at, incident.ended_at) == (START + 3 * EVERY, START + 6 * EVERY)
    assert (incident.first_summary, incident.last_summary) == ("fail at 00:15", "fail at 00:25")


def test_recover_after_and_fail_after_come_from_the_rules(history: History) -> None:
    policy = rules(fail_after=1, recover_after=3)
    recorded = _feed(history, [FAIL, OK, OK, FAIL, OK, OK, OK], policy)
    assert _changes(recorded) == [(0, "opened"), (6, "closed")]
    assert recorded[6].changes[0].at == START + 4 * EVERY


def test_error_results_never_open_an_incident(history: History) -> None:
    recorded = _feed(history, [OK, ERROR, ERROR, ERROR, FAIL, ERROR, OK])
    assert _changes(recorded) == []
    assert history.incidents() == []


def test_a_run_is_stored_whole_with_details_only_when_not_ok(history: History) -> None:
    other = CheckKey("mail", "mx")
    run = run_of([result(OK, START), result(FAIL, START, other)])
    history.record(run, rules(SITE, other), inventory="inv.yaml")
    stored = {r.check: r for r in history.results()}
    assert stored["home"].details == {}
    assert stored["mx"].details == {"status_code": 503}
    assert stored["mx"].latency_ms == 12.5
    assert history.last_observed() == {SITE: START, other: START}


def test_a_result_older_than_the_latest_does_not_move_the_state(history: History) -> None:
    _feed(history, [OK, OK])
    late = history.record(run_of([result(FAIL, START + EVERY / 2)]), rules(), inventory="x")
    again = history.record(run_of([result(FAIL, START + EVERY * 3 / 2)]), rules(), inventory="x")
    assert (late.stale, again.stale) == (1, 0)
    assert again.changes == ()  # one counted failure, not two
    assert len(history.results()) == 4


def test_reminders_are_due_every_remind_every_after_a_delivered_notice(
    history: History,
) -> None:
    policy = rules(remind_every=timedelta(minutes=12))
    recorded = _feed(history, [FAIL, FAIL, FAIL], policy)
    incident_id = recorded[1].changes[0].incident_id
    assert recorded[1].reminders == ()  # the opening alert is not a reminder
    assert [i.id for i in recorded[2].reminders] == [incident_id]  # no notice reached anyone
    history.mark_notified(
        incident_id,
        START + 2 * EVERY,
        [Delivery("ntfy://ntfy.sh/secret-topic-token", True)],
        notice="opened",
    )
    later = [
        history.record(run_of([result(FAIL, START + i * EVERY)]), policy, inventory="x")
        for i in (3, 4, 5)
    ]
    assert [len(r.reminders) for r in later] == [0, 0, 1]


def test_a_notice_that_reached_nobody_is_retried_and_no_url_is_stored(
    history: History,
) -> None:
    recorded = _feed(history, [FAIL, FAIL])
    incident_id = recorded[1].changes[0].incident_id
    history.mark_notified(
        incident_id,
        START,
        [Delivery("mailto", False, "could not post to https://hooks.example/T0KEN/abc: 500")],
        notice="opened",
    )
    [sent] = history.notifications(incident_id)
    assert (sent.target, sent.delivered) == ("mailto", False)
    assert sent.error == "could not post to https://… 500"
    assert "T0KEN" not in "".join(history.conn.iterdump())
    assert history.incidents()[0].last_notified_at is None


def test_checks_the_inventory_no_longer_has_get_no_reminders(history: History) -> None:
    _feed(history, [FAIL, FAIL])
    gone = history.record(run_of([result(FAIL, START + 2 * EVERY)]), Rules(), inventory="x")
    assert gone.reminders == ()


def test_two_connections_taking_turns_share_each_checks_state(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with History.open(path) as first, History.open(path) as second:
        turns = [first, second, first, second]
        recorded = [
            turns[i].record(run_of([result(s, START + i * EVERY)]), rules(), inventory="x")
            for i, s in enumerate([OK, FAIL, FAIL, OK])
        ]
    assert _changes(recorded) == [(2, "opened"), (3, "closed")]
