"""Where the database lives, its migrations, and the one-line errors for unusable files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from freecost.inventory import LoadedInventory
from freecost.store import History, StoreError, database_path
from freecost.store.migrations import LATEST, MIGRATIONS, applied_versions, migrate
from tests.conftest import MINIMAL


def test_database_path_prefers_the_option_then_the_environment_then_settings(
    load_text: Callable[[str], LoadedInventory], tmp_path: Path
) -> None:
    loaded = load_text(MINIMAL + "settings: {database: data/h.db}\n")
    env = {"FREECOST_DB": "env.db"}
    assert database_path(loaded, "cli.db", env) == Path("cli.db")
    assert database_path(loaded, None, env) == Path("env.db")
    assert database_path(loaded, None, {}) == tmp_path / "data/h.db"


def test_the_default_database_sits_beside_the_inventory(
    load_text: Callable[[str], LoadedInventory], tmp_path: Path
) -> None:
    assert database_path(load_text(MINIMAL), None, {}) == tmp_path / ".freecost/history.sqlite3"


def test_migrations_are_recorded_once_and_the_folder_is_created(tmp_path: Path) -> None:
    path = tmp_path / "new" / "history.sqlite3"
    History.open(path).close()
    with History.open(path) as history:
        assert applied_versions(history.conn) == {m.version for m in MIGRATIONS}
        assert migrate(history.conn, path) == []
        mode = history.conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def _one_line(path: Path) -> str:
    with pytest.raises(StoreError) as caught:
        History.open(path).close()
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    return message


def test_a_file_that_is_not_a_database_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not SQLite at all, just some text " * 200)
    assert "is not a SQLite database" in _one_line(path)


def test_a_folder_in_the_way_is_one_line_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.mkdir()
    assert "is a folder" in _one_line(path)


def test_an_unwritable_place_is_one_line_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert "cannot create the history database's folder" in _one_line(blocker / "h.sqlite3")


def test_a_database_from_a_newer_freecost_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    History.open(path).close()
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'future', 0)", (LATEST + 1,))
    conn.commit()
    conn.close()
    assert f"newer freecost (schema {LATEST + 1}" in _one_line(path)
