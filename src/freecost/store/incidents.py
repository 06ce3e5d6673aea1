"""Incidents: opened and closed by state changes, reminded while open, and the notices sent.

An incident runs from a check's first failure of a confirmed streak to the first success of
the streak that ended it. Notification targets are stored as text a person can read
(``ntfy``, ``mailto``), never as URLs: a notification URL carries its token.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Set
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from freecost.results import Layer
from freecost.store.db import from_ms, optional_time, to_ms, write_transaction
from freecost.store.rules import CheckKey

Notice = Literal["opened", "reminder", "closed"]
_URL = re.compile(r"\b([a-z][a-z0-9+.-]*)://\S+", re.IGNORECASE)


@dataclass(frozen=True)
class Incident:
    """A stretch of confirmed failure of one check."""

    id: int
    check: CheckKey
    started_at: datetime
    """The first failure of the streak that confirmed it."""
    opened_at: datetime
    """When freecost could tell (the result that completed the streak)."""
    ended_at: datetime | None
    """The first success of the streak that ended it; None while open."""
    closed_at: datetime | None
    layer: Layer | None
    """Where the first failure happened (dns, connect, tls, http, ...)."""
    first_summary: str
    last_summary: str
    """The latest failure's summary."""
    last_notified_at: datetime | None

    @property
    def open(self) -> bool:
        return self.ended_at is None

    def duration(self, now: datetime) -> timedelta:
        """How long it lasted, or has lasted so far."""
        return (self.ended_at or now) - self.started_at


@dataclass(frozen=True)
class Delivery:
    """The outcome of sending one notice to one target."""

    target: str
    """The target as a person names it (``ntfy``, ``mailto``); a URL is cut to its scheme."""
    delivered: bool
    error: str | None = None


def layer_of(text: str | None) -> Layer | None:
    """The stored layer; one this version does not know reads as unknown."""
    if text is None:
        return None
    try:
        return Layer(text)
    except ValueError:
        return None


def without_urls(text: str) -> str:
    """``text`` with every URL cut to its scheme, so no token reaches the database."""
    return _URL.sub(lambda match: f"{match.group(1)}://…", text)


_COLUMNS = """i.id, c.dependency, c.name, i.started_at, i.opened_at, i.ended_at, i.closed_at,
    i.layer, i.first_summary, i.last_summary, i.last_notified_at"""


def _incident(row: tuple[Any, ...]) -> Incident:
    (ident, dependency, name, started, opened, ended, closed, layer, first, last, notified) = row
    return Incident(
        id=ident,
        check=CheckKey(dependency, name),
        started_at=from_ms(started),
        opened_at=from_ms(opened),
        ended_at=optional_time(ended),
        closed_at=optional_time(closed),
        layer=layer_of(layer),
        first_summary=first,
        last_summary=last,
        last_notified_at=optional_time(notified),
    )


def open_incident(
    conn: sqlite3.Connection,
    check_id: int,
    *,
    started_at: int,
    opened_at: int,
    layer: str | None,
    first_summary: str,
    last_summary: str,
) -> int:
    """Record a new incident; return its id. Times in epoch milliseconds."""
    row = conn.execute(
        "INSERT INTO incidents (check_id, started_at, opened_at, layer, first_summary, "
        "last_summary) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
        (check_id, started_at, opened_at, layer, first_summary, last_summary),
    ).fetchone()
    return int(row[0])


def close_incident(
    conn: sqlite3.Connection, incident_id: int, *, ended_at: int, closed_at: int
) -> None:
    conn.execute(
        "UPDATE incidents SET ended_at = ?, closed_at = ? WHERE id = ?",
        (ended_at, closed_at, incident_id),
    )


def note_failure(conn: sqlite3.Connection, incident_id: int, summary: str) -> None:
    """Another failure while the incident is open: it becomes the last summary."""
    conn.execute("UPDATE incidents SET last_summary = ? WHERE id = ?", (summary, incident_id))


def incident(conn: sqlite3.Connection, incident_id: int) -> Incident | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM incidents i JOIN checks c ON c.id = i.check_id WHERE i.id = ?",
        (incident_id,),
    ).fetchone()
    return None if row is None else _incident(row)


def incidents(
    conn: sqlite3.Connection,
    *,
    check: CheckKey | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    open_only: bool = False,
) -> list[Incident]:
    """Incidents overlapping [start, end) (either may be open-ended), oldest first."""
    where: list[str] = ["1"]
    values: list[object] = []
    if check is not None:
        where.append("c.dependency = ? AND c.name = ?")
        values.extend(check)
    if start is not None:
        where.append("(i.ended_at IS NULL OR i.ended_at > ?)")
        values.append(to_ms(start))
    if end is not None:
        where.append("i.started_at < ?")
        values.append(to_ms(end))
    if open_only:
        where.append("i.ended_at IS NULL")
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM incidents i JOIN checks c ON c.id = i.check_id "
        f"WHERE {' AND '.join(where)} ORDER BY i.started_at, i.id",
        values,
    )
    return [_incident(row) for row in rows]


def due_reminders(
    conn: sqlite3.Connection,
    *,
    now: datetime,
    remind_every: timedelta | None,
    checks: Set[CheckKey],
    skip: Set[int] = frozenset(),
) -> list[Incident]:
    """Open incidents of ``checks`` whose last notice is ``remind_every`` old (or never sent).

    An incident no notice reached yet is due at once: its opening alert failed, so the next
    run tries again.
    """
    if remind_every is None:
        return []
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM incidents i JOIN checks c ON c.id = i.check_id "
        "WHERE i.ended_at IS NULL AND (i.last_notified_at IS NULL OR i.last_notified_at <= ?) "
        "ORDER BY i.started_at, i.id",
        (to_ms(now - remind_every),),
    )
    found = (_incident(row) for row in rows)
    return [item for item in found if item.check in checks and item.id not in skip]


def mark_notified(
    conn: sqlite3.Connection,
    incident_id: int,
    at: datetime,
    deliveries: Iterable[Delivery],
    *,
    notice: Notice,
) -> None:
    """Record what became of a notice about an incident.

    ``last_notified_at`` moves only when some target got the notice, so a notice that
    reached nobody is due again at the next run.
    """
    sent = list(deliveries)
    with write_transaction(conn):
        if conn.execute("SELECT 1 FROM incidents WHERE id = ?", (incident_id,)).fetchone() is None:
            raise ValueError(f"no incident {incident_id}")
        conn.executemany(
            "INSERT INTO notifications (incident_id, notice, sent_at, target, delivered, error) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    incident_id,
                    notice,
                    to_ms(at),
                    without_urls(item.target),
                    int(item.delivered),
                    None if item.error is None else without_urls(item.error),
                )
                for item in sent
            ],
        )
        if any(item.delivered for item in sent):
            conn.execute(
                "UPDATE incidents SET last_notified_at = max(coalesce(last_notified_at, 0), ?) "
                "WHERE id = ?",
                (to_ms(at), incident_id),
            )


@dataclass(frozen=True)
class Notification:
    """One notice sent (or tried) about an incident."""

    incident_id: int
    notice: Notice
    sent_at: datetime
    target: str
    delivered: bool
    error: str | None


def notifications(conn: sqlite3.Connection, incident_id: int) -> list[Notification]:
    """The notices sent about one incident, oldest first."""
    rows = conn.execute(
        "SELECT notice, sent_at, target, delivered, error FROM notifications "
        "WHERE incident_id = ? ORDER BY sent_at, id",
        (incident_id,),
    )
    return [
        Notification(incident_id, notice, from_ms(sent), target, bool(delivered), error)
        for notice, sent, target, delivered, error in rows
    ]
