"""The schema, as ordered migrations recorded in ``schema_migrations``.

A migration is applied once, inside the same ``BEGIN IMMEDIATE`` transaction that records
it, so two processes upgrading one file at once cannot both apply it: the second waits for
the first's lock, then finds the migration recorded. Add a migration at the end; never edit
one that has shipped.

Rows are kept small, since a year of five-minute checks is millions of them: times are
integer epoch milliseconds (UTC), a status is its Nagios exit code (0 ok, 1 warn, 2 fail,
3 error), latency is integer microseconds, and details are kept only for results that are
not ok.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from freecost.errors import one_line
from freecost.store.db import StoreError, write_transaction


@dataclass(frozen=True)
class Migration:
    """One step of the schema."""

    version: int
    name: str
    statements: tuple[str, ...]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "runs, checks and their results",
        (
            """CREATE TABLE runs (
                id INTEGER PRIMARY KEY,
                inventory TEXT NOT NULL,
                started_at INTEGER NOT NULL,
                finished_at INTEGER NOT NULL,
                host TEXT NOT NULL,
                online INTEGER NOT NULL
            ) STRICT""",
            # "check" is an SQL keyword, so a check's id in the inventory is stored as `name`.
            """CREATE TABLE checks (
                id INTEGER PRIMARY KEY,
                dependency TEXT NOT NULL,
                name TEXT NOT NULL,
                type TEXT NOT NULL,
                every_ms INTEGER NOT NULL,
                fail_after INTEGER NOT NULL,
                recover_after INTEGER NOT NULL,
                UNIQUE (dependency, name)
            ) STRICT""",
            """CREATE TABLE results (
                check_id INTEGER NOT NULL REFERENCES checks (id),
                observed_at INTEGER NOT NULL,
                run_id INTEGER NOT NULL REFERENCES runs (id),
                status INTEGER NOT NULL,
                layer TEXT,
                latency_us INTEGER,
                attempts INTEGER,
                summary TEXT NOT NULL,
                details TEXT,
                PRIMARY KEY (check_id, observed_at, run_id)
            ) STRICT, WITHOUT ROWID""",
            "CREATE INDEX results_by_run ON results (run_id)",
        ),
    ),
    Migration(
        2,
        "check state and incidents",
        (
            """CREATE TABLE incidents (
                id INTEGER PRIMARY KEY,
                check_id INTEGER NOT NULL REFERENCES checks (id),
                started_at INTEGER NOT NULL,
                opened_at INTEGER NOT NULL,
                ended_at INTEGER,
                closed_at INTEGER,
                layer TEXT,
                first_summary TEXT NOT NULL,
                last_summary TEXT NOT NULL,
                last_notified_at INTEGER
            ) STRICT""",
            "CREATE INDEX incidents_by_check ON incidents (check_id, started_at)",
            "CREATE INDEX open_incidents ON incidents (check_id) WHERE ended_at IS NULL",
            """CREATE TABLE check_state (
                check_id INTEGER PRIMARY KEY REFERENCES checks (id),
                down INTEGER NOT NULL,
                since INTEGER,
                streak INTEGER NOT NULL,
                streak_since INTEGER,
                streak_layer TEXT,
                streak_summary TEXT,
                incident_id INTEGER REFERENCES incidents (id),
                last_observed_at INTEGER NOT NULL
            ) STRICT""",
        ),
    ),
    Migration(
        3,
        "notifications sent about incidents",
        (
            """CREATE TABLE notifications (
                id INTEGER PRIMARY KEY,
                incident_id INTEGER NOT NULL REFERENCES incidents (id),
                notice TEXT NOT NULL,
                sent_at INTEGER NOT NULL,
                target TEXT NOT NULL,
                delivered INTEGER NOT NULL,
                error TEXT
            ) STRICT""",
            "CREATE INDEX notifications_by_incident ON notifications (incident_id)",
        ),
    ),
    Migration(
        4,
        "hourly and daily rollups",
        (
            """CREATE TABLE rollups (
                check_id INTEGER NOT NULL REFERENCES checks (id),
                granularity INTEGER NOT NULL,
                bucket INTEGER NOT NULL,
                up_ms INTEGER NOT NULL,
                down_ms INTEGER NOT NULL,
                maintenance_ms INTEGER NOT NULL,
                unobserved_ms INTEGER NOT NULL,
                samples INTEGER NOT NULL,
                PRIMARY KEY (check_id, granularity, bucket)
            ) STRICT, WITHOUT ROWID""",
            """CREATE TABLE rollup_cursor (
                check_id INTEGER PRIMARY KEY REFERENCES checks (id),
                rolled_until INTEGER NOT NULL,
                anchor_at INTEGER NOT NULL,
                down INTEGER NOT NULL,
                since INTEGER,
                streak INTEGER NOT NULL,
                streak_since INTEGER,
                raw_since INTEGER NOT NULL
            ) STRICT""",
        ),
    ),
)
LATEST = MIGRATIONS[-1].version

_RECORD_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
) STRICT"""


def applied_versions(conn: sqlite3.Connection) -> set[int]:
    """The migrations recorded in the database (none for a new file)."""
    exists = conn.execute(
        "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'"
    ).fetchone()
    if exists is None:
        return set()
    return {version for (version,) in conn.execute("SELECT version FROM schema_migrations")}


def migrate(conn: sqlite3.Connection, path: Path) -> list[int]:
    """Apply the migrations ``conn`` lacks, in order; return the versions applied."""
    wanted = {migration.version for migration in MIGRATIONS}
    if applied_versions(conn) == wanted:
        return []
    done: list[int] = []
    with write_transaction(conn):
        conn.execute(_RECORD_TABLE)
        applied = applied_versions(conn)
        _refuse_newer(applied, path)
        for migration in MIGRATIONS:
            if migration.version in applied:
                continue
            for statement in migration.statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, int(time.time())),
            )
            done.append(migration.version)
    return done


def _refuse_newer(applied: set[int], path: Path) -> None:
    unknown = sorted(applied - {migration.version for migration in MIGRATIONS})
    if unknown:
        raise StoreError(
            f"{one_line(str(path))}: the history database was written by a newer freecost "
            f"(schema {unknown[-1]}; this one knows up to {LATEST}); upgrade freecost"
        )
