"""The history store: every check run, each check's state, incidents, notices and rollups.

    from freecost.store import History, database_path, rules_for

    rules = rules_for(loaded)
    with History.open(database_path(loaded, db_option, os.environ)) as history:
        due = due_checks(planned, history.last_observed(), now)
        recorded = history.record(run, rules, inventory=loaded.display)
        for change in recorded.changes: ...       # alert, then history.mark_notified(...)
        for incident in recorded.reminders: ...   # remind, then history.mark_notified(...)

Every method raises :class:`StoreError` (one line naming the file) when the database cannot
be opened, read or written; a ``sqlite3`` exception never escapes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from types import TracebackType

from freecost.results import CheckResult
from freecost.runner import CheckRun
from freecost.store import incidents as _incidents
from freecost.store import queries as _queries
from freecost.store import rollups as _rollups
from freecost.store.db import BUSY_TIMEOUT, DB_ENV, StoreError, database_path, describe
from freecost.store.db import open_connection as _open_connection
from freecost.store.incidents import Delivery, Incident, Notice, Notification
from freecost.store.ingest import Change, IngestCache, Recorded, record_run
from freecost.store.migrations import migrate
from freecost.store.queries import UptimeInputs
from freecost.store.rules import CheckKey, Policy, Rules, rules_for
from freecost.uptime import Interval

__all__ = [
    "DB_ENV",
    "Change",
    "CheckKey",
    "Delivery",
    "History",
    "Incident",
    "Notification",
    "Policy",
    "Recorded",
    "Rules",
    "StoreError",
    "UptimeInputs",
    "database_path",
    "rules_for",
]


class History:
    """An open history database. Use :meth:`open`; close it (or use ``with``) when done."""

    def __init__(self, conn: sqlite3.Connection, path: Path, busy_timeout: float) -> None:
        self.conn = conn
        self.path = path
        self._busy_timeout = busy_timeout
        self._cache = IngestCache()

    @classmethod
    def open(cls, path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> History:
        """Open (creating it if needed) and upgrade the database at ``path``."""
        conn = _open_connection(path, busy_timeout=busy_timeout)
        history = cls(conn, path, busy_timeout)
        try:
            with history._guard():
                migrate(conn, path)
        except BaseException:
            conn.close()
            raise
        return history

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> History:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def _guard(self) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(describe(self.path, exc, self._busy_timeout)) from None

    def record(
        self, run: CheckRun, rules: Rules, *, inventory: str, upkeep: bool = True
    ) -> Recorded:
        """Store ``run`` (one transaction); then, when an hour is due, roll up and prune."""
        with self._guard():
            recorded = record_run(self.conn, run, rules, inventory=inventory, cache=self._cache)
        if upkeep:
            self.upkeep(rules, run.finished_at)
        return recorded

    def upkeep(self, rules: Rules, now: datetime, *, force: bool = False) -> bool:
        """Roll up settled hours and apply retention, if an hour is due (or ``force``)."""
        with self._guard():
            if not (force or _rollups.rollup_due(self.conn, rules, now)):
                return False
            _rollups.roll_up(self.conn, rules, now)
            _rollups.prune(self.conn, rules, now)
        return True

    def mark_notified(
        self, incident_id: int, at: datetime, deliveries: Iterable[Delivery], *, notice: Notice
    ) -> None:
        """Record a notice's outcome per target; a delivered one resets the reminder clock."""
        with self._guard():
            _incidents.mark_notified(self.conn, incident_id, at, deliveries, notice=notice)

    def last_observed(self) -> dict[CheckKey, datetime]:
        with self._guard():
            return _queries.last_observed(self.conn)

    def results(
        self,
        *,
        check: CheckKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int | None = None,
    ) -> list[CheckResult]:
        with self._guard():
            return _queries.results(self.conn, check=check, start=start, end=end, limit=limit)

    def incidents(
        self,
        *,
        check: CheckKey | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        open_only: bool = False,
    ) -> list[Incident]:
        with self._guard():
            return _incidents.incidents(
                self.conn, check=check, start=start, end=end, open_only=open_only
            )

    def notifications(self, incident_id: int) -> list[Notification]:
        with self._guard():
            return _incidents.notifications(self.conn, incident_id)

    def uptime_inputs(
        self,
        check: CheckKey,
        start: datetime,
        end: datetime,
        *,
        timezone: str = "UTC",
        maintenance: Sequence[Interval] = (),
    ) -> UptimeInputs:
        with self._guard():
            return _queries.uptime_inputs(
                self.conn, check, start, end, timezone=timezone, maintenance=maintenance
            )

    def checks(self) -> list[CheckKey]:
        """Every check the database has results for, in name order."""
        with self._guard():
            return sorted(_rollups.check_rows(self.conn))
