"""The up/down state machine: blips, fail_after/recover_after, backdating, error results."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from freecost.results import Status
from freecost.state import CheckState, Transition, advance, is_failure

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
OK, WARN, FAIL, ERROR = Status.OK, Status.WARN, Status.FAIL, Status.ERROR
FRESH = CheckState()


def at(minute: int) -> datetime:
    return T0 + timedelta(minutes=minute)


def run(
    statuses: Sequence[Status],
    *,
    fail_after: int = 2,
    recover_after: int = 1,
    initial: CheckState = FRESH,
) -> tuple[CheckState, list[Transition]]:
    """Feed one result a minute from T0; the final state and every transition."""
    state, transitions = initial, []
    for minute, status in enumerate(statuses):
        state, transition = advance(
            state, status, at(minute), fail_after=fail_after, recover_after=recover_after
        )
        if transition is not None:
            transitions.append(transition)
    return state, transitions


def test_is_failure_of_each_status() -> None:
    assert [is_failure(s) for s in (OK, WARN, FAIL, ERROR)] == [False, False, True, None]


def test_a_blip_shorter_than_fail_after_opens_nothing() -> None:
    state, transitions = run([OK, FAIL, OK], fail_after=2)
    assert transitions == []
    assert state == CheckState(down=False, since=None, streak=0, streak_since=None)


def test_a_fail_streak_is_remembered_until_confirmed() -> None:
    state, transitions = run([OK, FAIL, FAIL], fail_after=3)
    assert transitions == []
    assert state == CheckState(down=False, streak=2, streak_since=at(1))


def test_fail_after_failures_open_an_incident_dated_from_the_first() -> None:
    state, transitions = run([OK, FAIL, FAIL, FAIL], fail_after=3)
    assert transitions == [Transition("opened", at=at(1), confirmed_at=at(3))]
    assert state == CheckState(down=True, since=at(1), streak=0, streak_since=None)


def test_fail_after_one_opens_at_once() -> None:
    _, transitions = run([OK, FAIL], fail_after=1)
    assert transitions == [Transition("opened", at=at(1), confirmed_at=at(1))]


def test_recover_after_successes_close_it_dated_from_the_first() -> None:
    state, transitions = run([FAIL, FAIL, OK, WARN], fail_after=2, recover_after=2)
    assert transitions == [
        Transition("opened", at=at(0), confirmed_at=at(1)),
        Transition("closed", at=at(2), confirmed_at=at(3)),
    ]
    assert state == CheckState(down=False, since=at(2))


def test_a_single_success_during_an_outage_is_a_blip_too() -> None:
    state, transitions = run([FAIL, FAIL, OK, FAIL, OK], fail_after=2, recover_after=2)
    assert [t.kind for t in transitions] == ["opened"]
    assert state == CheckState(down=True, since=at(0), streak=1, streak_since=at(4))


def test_warn_counts_as_a_success() -> None:
    _, transitions = run([FAIL, WARN, FAIL, WARN], fail_after=2)
    assert transitions == []
    _, transitions = run([FAIL, FAIL, WARN], fail_after=2, recover_after=1)
    assert [t.kind for t in transitions] == ["opened", "closed"]


def test_an_error_changes_nothing() -> None:
    for state in (
        CheckState(),
        CheckState(down=False, streak=1, streak_since=at(0)),
        CheckState(down=True, since=at(0)),
        CheckState(down=True, since=at(0), streak=1, streak_since=at(1)),
    ):
        assert advance(state, ERROR, at(5), fail_after=1, recover_after=1) == (state, None)


def test_errors_neither_open_nor_close_an_incident() -> None:
    _, transitions = run([ERROR] * 5, fail_after=1, recover_after=1)
    assert transitions == []
    state, transitions = run([FAIL, ERROR, ERROR, ERROR], fail_after=1, recover_after=1)
    assert [t.kind for t in transitions] == ["opened"]
    assert state.down


def test_an_error_inside_a_streak_neither_breaks_nor_extends_it() -> None:
    _, transitions = run([OK, FAIL, ERROR, FAIL], fail_after=2)
    assert transitions == [Transition("opened", at=at(1), confirmed_at=at(3))]
    state, transitions = run([OK, FAIL, ERROR, ERROR], fail_after=2)
    assert transitions == []
    assert state.streak == 1


@given(
    statuses=st.lists(st.sampled_from(list(Status)), max_size=40),
    fail_after=st.integers(1, 4),
    recover_after=st.integers(1, 4),
)
def test_transitions_need_their_full_streak(
    statuses: list[Status], fail_after: int, recover_after: int
) -> None:
    """An incident never opens without fail_after fails in a row (errors skipped), nor
    closes without recover_after successes; openings and closings alternate."""
    state = CheckState()
    decided: list[Status] = []  # results that counted, errors left out
    kinds: list[str] = []
    for minute, status in enumerate(statuses):
        state, transition = advance(
            state, status, at(minute), fail_after=fail_after, recover_after=recover_after
        )
        if status is not ERROR:
            decided.append(status)
        if transition is None:
            continue
        opened = transition.kind == "opened"
        needed = fail_after if opened else recover_after
        assert len(decided) >= needed
        assert all(is_failure(s) is opened for s in decided[-needed:])
        assert transition.confirmed_at == at(minute)
        assert transition.at <= transition.confirmed_at
        kinds.append(transition.kind)
    assert kinds == ["opened", "closed"] * (len(kinds) // 2) + ["opened"] * (len(kinds) % 2)
