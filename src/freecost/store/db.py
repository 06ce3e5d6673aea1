"""Where the history database lives, how it is opened, and the one error it raises.

The database is SQLite in WAL mode: readers never wait for the cron job that writes, a
writer waits (``busy_timeout``) rather than fails while another process commits, and a
process killed mid-write leaves the last committed state intact. Every write is one
transaction begun with ``BEGIN IMMEDIATE``, so two processes never interleave inside one.
Times are stored as UTC epoch milliseconds; a naive datetime is refused, since guessing its
timezone would shift every figure by hours.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from freecost.errors import FreecostError, one_line

if TYPE_CHECKING:
    from freecost.inventory import LoadedInventory

DB_ENV = "FREECOST_DB"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MILLISECOND = timedelta(milliseconds=1)
BUSY_TIMEOUT = 30.0
"""Seconds a writer waits for another process's transaction before giving up."""

# sqlite3's messages, as a person would want them said (the first match wins).
_REASONS = (
    ("file is not a database", "is not a SQLite database (damaged, or another kind of file)"),
    ("malformed", "is damaged (SQLite says: database disk image is malformed)"),
    ("locked", "is locked by another process (waited {timeout:g}s)"),
    ("busy", "is locked by another process (waited {timeout:g}s)"),
    ("readonly", "cannot be written (read-only file or folder)"),
    ("full", "cannot be written: the disk is full"),
    ("unable to open", "cannot be opened (no such folder, or no permission)"),
    ("disk i/o", "cannot be read or written (disk I/O error)"),
)


class StoreError(FreecostError):
    """The history database cannot be opened, read or written; the message names the file."""


def database_path(
    loaded: LoadedInventory, cli_value: str | None, environ: Mapping[str, str] | None = None
) -> Path:
    """The database to use: ``--db``, else ``$FREECOST_DB``, else ``settings.database``.

    The first two are taken as written (relative to the working folder, like any path typed
    on a command line); the setting is relative to the inventory, so cron finds the same file
    whatever folder it starts in.
    """
    env = os.environ if environ is None else environ
    if cli_value:
        return Path(cli_value).expanduser()
    if env.get(DB_ENV):
        return Path(env[DB_ENV]).expanduser()
    return loaded.base_dir / loaded.inventory.settings.database


def describe(path: Path, exc: BaseException, timeout: float = BUSY_TIMEOUT) -> str:
    """One line naming the database and what is wrong with it."""
    text = str(exc)
    lowered = text.lower()
    for needle, reason in _REASONS:
        if needle in lowered:
            return f"{one_line(str(path))}: the history database {reason.format(timeout=timeout)}"
    return f"{one_line(str(path))}: the history database cannot be used: {one_line(text)}"


def open_connection(path: Path, *, busy_timeout: float = BUSY_TIMEOUT) -> sqlite3.Connection:
    """A connection to ``path`` (created if missing) in WAL mode; no schema is touched."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise StoreError(
            f"{one_line(str(path))}: cannot create the history database's folder: {reason}"
        ) from None
    if path.is_dir():
        raise StoreError(f"{one_line(str(path))}: the history database is a folder, not a file")
    conn: sqlite3.Connection | None = None
    try:
        # isolation_level=None: transactions are begun explicitly, never implicitly.
        conn = sqlite3.connect(path, timeout=busy_timeout, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout * 1000)}")
        _use_wal(conn, busy_timeout)
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        raise StoreError(describe(path, exc, busy_timeout)) from None
    return conn


def _use_wal(conn: sqlite3.Connection, busy_timeout: float) -> None:
    """Switch to WAL, waiting up to ``busy_timeout`` for another process doing the same.

    When two processes open a new database at once, the switch can answer "locked" at once
    instead of going through the busy handler; it is retried here, so the second run waits
    as it would for any other lock.
    """
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


@contextmanager
def write_transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction: the write lock is taken at once, so it cannot deadlock."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.rollback()
        raise
    conn.execute("COMMIT")


def to_ms(moment: datetime) -> int:
    """``moment`` as UTC epoch milliseconds (sub-millisecond part dropped); it must be aware."""
    if moment.utcoffset() is None:
        raise ValueError(f"a naive datetime cannot be stored: {moment.isoformat()}")
    return (moment - EPOCH) // MILLISECOND


def from_ms(value: int) -> datetime:
    """UTC epoch milliseconds as an aware datetime in UTC."""
    return EPOCH + value * MILLISECOND


def optional_time(value: int | None) -> datetime | None:
    """A nullable stored time as an aware datetime, or None."""
    return None if value is None else from_ms(value)
