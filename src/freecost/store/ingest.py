"""Recording a run: its results, each check's state, and the incidents state changes open or
close, all in one transaction, so a run is stored whole or not at all.

State follows :func:`freecost.state.advance`; ``error`` results never move it. When two runs
overlap, a result older than the check's latest recorded one is kept as history but does not
move the state, which has already seen later evidence.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from freecost.results import CheckResult, Layer, Status
from freecost.runner import CheckRun
from freecost.state import CheckState, Transition, advance
from freecost.store.db import from_ms, optional_time, to_ms, write_transaction
from freecost.store.incidents import (
    Incident,
    close_incident,
    due_reminders,
    layer_of,
    note_failure,
    open_incident,
)
from freecost.store.rules import CheckKey, Policy, Rules

MILLISECOND = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Change:
    """An incident opened or closed by this run's results."""

    kind: Literal["opened", "closed"]
    check: CheckKey
    incident_id: int
    since: datetime
    """When the incident began: its first failure."""
    at: datetime
    """When this change really happened: ``since`` when opened, the first success when closed."""
    confirmed_at: datetime
    """The result that completed the streak."""
    layer: Layer | None
    """Where the incident's first failure happened."""
    summary: str
    """The summary of the result that confirmed the change."""
    first_summary: str
    """The incident's first failure."""

    @property
    def duration(self) -> timedelta | None:
        """How long the incident lasted (closed changes only)."""
        return self.at - self.since if self.kind == "closed" else None


@dataclass(frozen=True)
class Recorded:
    """What recording one run produced."""

    run_id: int
    changes: tuple[Change, ...]
    reminders: tuple[Incident, ...]
    """Open incidents, not opened by this run, whose reminder is due."""
    stale: int = 0
    """Results older than their check's latest recorded one (overlapping runs)."""


@dataclass
class _Stored:
    """A check's state as kept in ``check_state``."""

    state: CheckState = field(default_factory=CheckState)
    streak_layer: str | None = None
    streak_summary: str | None = None
    incident_id: int | None = None
    last_observed_at: int | None = None


@dataclass
class IngestCache:
    """Checks and states as this connection last committed them.

    Valid while ``PRAGMA data_version`` is unchanged, that is while no other connection has
    committed since; a run then skips reading every check's state back.
    """

    version: int | None = None
    known: dict[CheckKey, tuple[int, tuple[Any, ...]]] = field(default_factory=dict)
    states: dict[int, _Stored] = field(default_factory=dict)


def record_run(
    conn: sqlite3.Connection,
    run: CheckRun,
    rules: Rules,
    *,
    inventory: str,
    cache: IngestCache | None = None,
) -> Recorded:
    """Store ``run`` and everything it changes, in one transaction."""
    cache = cache or IngestCache()
    try:
        with write_transaction(conn):
            version = conn.execute("PRAGMA data_version").fetchone()[0]
            if version != cache.version:
                cache.known, cache.states = _load_checks(conn), _load_states(conn)
            recorded = _record(conn, run, rules, inventory, cache)
    except BaseException:
        cache.version = None
        raise
    # Our own commits leave data_version as it was: the cache stays valid until another's.
    cache.version = version
    return recorded


def _record(
    conn: sqlite3.Connection, run: CheckRun, rules: Rules, inventory: str, cache: IngestCache
) -> Recorded:
    run_id = _insert_run(conn, run, inventory)
    entries = ((r, rules.policy(_key(r))) for r in run.results)
    ids = register_checks(conn, entries, cache.known)
    conn.executemany(
        "INSERT INTO results (check_id, observed_at, run_id, status, layer, latency_us, "
        "attempts, summary, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [_result_row(ids[_key(r)], run_id, r) for r in run.results],
    )
    changes: list[Change] = []
    stale = 0
    touched: dict[int, _Stored] = {}
    for result in sorted(run.results, key=lambda r: r.observed_at):
        key = _key(result)
        stored = touched[ids[key]] = cache.states.setdefault(ids[key], _Stored())
        observed = to_ms(result.observed_at)
        if stored.last_observed_at is not None and observed <= stored.last_observed_at:
            stale += 1
            continue
        stored.last_observed_at = observed
        change = _apply(conn, key, ids[key], stored, result, rules.policy(key))
        if change is not None:
            changes.append(change)
    _save_states(conn, touched)
    opened = {change.incident_id for change in changes if change.kind == "opened"}
    reminders = due_reminders(
        conn,
        now=run.finished_at,
        remind_every=rules.remind_every,
        checks=rules.policies.keys(),
        skip=opened,
    )
    return Recorded(run_id, tuple(changes), tuple(reminders), stale)


def _key(result: CheckResult) -> CheckKey:
    return CheckKey(result.dependency, result.check)


def _insert_run(conn: sqlite3.Connection, run: CheckRun, inventory: str) -> int:
    row = conn.execute(
        "INSERT INTO runs (inventory, started_at, finished_at, host, online) "
        "VALUES (?, ?, ?, ?, ?) RETURNING id",
        (
            inventory,
            to_ms(run.started_at),
            to_ms(run.finished_at),
            run.vantage.host,
            int(run.vantage.online),
        ),
    ).fetchone()
    return int(row[0])


def _load_checks(conn: sqlite3.Connection) -> dict[CheckKey, tuple[int, tuple[Any, ...]]]:
    return {
        CheckKey(dependency, name): (ident, (kind, every, fail_after, recover_after))
        for ident, dependency, name, kind, every, fail_after, recover_after in conn.execute(
            "SELECT id, dependency, name, type, every_ms, fail_after, recover_after FROM checks"
        )
    }


def register_checks(
    conn: sqlite3.Connection,
    entries: Iterable[tuple[CheckResult, Policy]],
    known: dict[CheckKey, tuple[int, tuple[Any, ...]]],
) -> dict[CheckKey, int]:
    """The ids of the checks of ``entries``, adding new ones and updating changed rules.

    ``known`` (from the ``checks`` table) is kept up to date.
    """
    ids: dict[CheckKey, int] = {}
    for result, policy in entries:
        key = _key(result)
        rules = (result.type, policy.every // MILLISECOND, policy.fail_after, policy.recover_after)
        if key in known:
            ident, stored = known[key]
            if stored != rules:
                conn.execute(
                    "UPDATE checks SET type = ?, every_ms = ?, fail_after = ?, recover_after = ? "
                    "WHERE id = ?",
                    (*rules, ident),
                )
        else:
            row = conn.execute(
                "INSERT INTO checks (dependency, name, type, every_ms, fail_after, recover_after) "
                "VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (*key, *rules),
            ).fetchone()
            ident = int(row[0])
        known[key] = (ident, rules)
        ids[key] = ident
    return ids


def _result_row(check_id: int, run_id: int, result: CheckResult) -> tuple[Any, ...]:
    keep_details = result.status is not Status.OK and bool(result.details)
    return (
        check_id,
        to_ms(result.observed_at),
        run_id,
        result.status.exit_code,
        None if result.layer is None else result.layer.value,
        None if result.latency_ms is None else round(result.latency_ms * 1000),
        None if result.attempts == 1 else result.attempts,
        result.summary,
        json.dumps(dict(result.details), default=str, separators=(",", ":"))
        if keep_details
        else None,
    )


_STATE_COLUMNS = (
    "check_id, down, since, streak, streak_since, streak_layer, streak_summary, incident_id, "
    "last_observed_at"
)


def _load_states(conn: sqlite3.Connection) -> dict[int, _Stored]:
    states = {}
    for row in conn.execute(f"SELECT {_STATE_COLUMNS} FROM check_state"):
        ident, down, since, streak, streak_since, layer, summary, incident_id, last = row
        state = CheckState(bool(down), optional_time(since), streak, optional_time(streak_since))
        states[ident] = _Stored(state, layer, summary, incident_id, last)
    return states


def _save_states(conn: sqlite3.Connection, states: Mapping[int, _Stored]) -> None:
    conn.executemany(
        f"INSERT OR REPLACE INTO check_state ({_STATE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                ident,
                int(stored.state.down),
                _ms_or_none(stored.state.since),
                stored.state.streak,
                _ms_or_none(stored.state.streak_since),
                stored.streak_layer,
                stored.streak_summary,
                stored.incident_id,
                stored.last_observed_at,
            )
            for ident, stored in states.items()
        ],
    )


def _ms_or_none(moment: datetime | None) -> int | None:
    return None if moment is None else to_ms(moment)


def _apply(
    conn: sqlite3.Connection,
    key: CheckKey,
    check_id: int,
    stored: _Stored,
    result: CheckResult,
    policy: Policy,
) -> Change | None:
    """Advance one check's state by one result; the incident change it caused, if any."""
    before = stored.state
    state, transition = advance(
        before,
        result.status,
        # At the stored precision, so an incident's times equal its results' stored times.
        from_ms(to_ms(result.observed_at)),
        fail_after=policy.fail_after,
        recover_after=policy.recover_after,
    )
    # The first result of a contrary streak is what an incident it confirms will open with.
    first_layer, first_summary = (
        (stored.streak_layer, stored.streak_summary or result.summary)
        if before.streak
        else (_layer(result), result.summary)
    )
    stored.state = state
    stored.streak_layer, stored.streak_summary = (
        (first_layer, first_summary) if state.streak else (None, None)
    )
    if transition is None:
        if state.down and result.status is Status.FAIL and stored.incident_id is not None:
            note_failure(conn, stored.incident_id, result.summary)
        return None
    return _change(conn, key, check_id, stored, result, transition, (first_layer, first_summary))


def _change(
    conn: sqlite3.Connection,
    key: CheckKey,
    check_id: int,
    stored: _Stored,
    result: CheckResult,
    transition: Transition,
    first: tuple[str | None, str],
) -> Change | None:
    if transition.kind == "opened":
        layer, first_summary = first
        stored.incident_id = open_incident(
            conn,
            check_id,
            started_at=to_ms(transition.at),
            opened_at=to_ms(transition.confirmed_at),
            layer=layer,
            first_summary=first_summary,
            last_summary=result.summary,
        )
        return Change(
            "opened",
            key,
            stored.incident_id,
            transition.at,
            transition.at,
            transition.confirmed_at,
            layer_of(layer),
            result.summary,
            first_summary,
        )
    incident_id, stored.incident_id = stored.incident_id, None
    if incident_id is None:
        return None  # down with no incident open: a database edited by hand; nothing to close
    close_incident(
        conn,
        incident_id,
        ended_at=to_ms(transition.at),
        closed_at=to_ms(transition.confirmed_at),
    )
    row = conn.execute(
        "SELECT started_at, layer, first_summary FROM incidents WHERE id = ?", (incident_id,)
    ).fetchone()
    return Change(
        "closed",
        key,
        incident_id,
        from_ms(row[0]),
        transition.at,
        transition.confirmed_at,
        layer_of(row[1]),
        result.summary,
        row[2],
    )


def _layer(result: CheckResult) -> str | None:
    return None if result.layer is None else result.layer.value
