"""Real processes sharing one database: overlapping writers, and a writer killed mid-write."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from freecost.results import Status
from freecost.store import History
from tests.conftest import ROOT
from tests.store.helpers import START, result, rules, run_of

CHECKS = 100


def _writer(db: Path, name: str, runs: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "tests.store.writer", str(db), name, str(runs), str(CHECKS)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env=env,
    )


def _committed(lines: list[str]) -> set[int]:
    return {int(line.split()[1]) for line in lines if line.startswith("committed ")}


def _check_database(db: Path, committed: set[int]) -> None:
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        stored = dict(
            conn.execute(
                "SELECT runs.id, count(results.run_id) FROM runs "
                "LEFT JOIN results ON results.run_id = runs.id GROUP BY runs.id"
            ).fetchall()
        )
    finally:
        conn.close()
    assert committed <= stored.keys()
    # A run is stored whole or not at all.
    assert set(stored.values()) == {CHECKS}


def test_two_overlapping_writers_and_one_killed_mid_write(tmp_path: Path) -> None:
    db = tmp_path / "history.sqlite3"
    survivor = _writer(db, "survivor", 25)
    victim = _writer(db, "victim", 10_000)
    assert victim.stdout is not None
    seen: list[str] = []
    # Kill it while it writes: after a few commits, between two of them or inside one.
    while len(_committed(seen)) < 8:
        line = victim.stdout.readline()
        assert line, "the writer stopped before it was killed"
        seen.append(line)
    victim.send_signal(signal.SIGKILL)
    rest, _ = victim.communicate(timeout=30)
    survived, _ = survivor.communicate(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    assert survivor.returncode == 0
    committed = _committed(seen + rest.splitlines()) | _committed(survived.splitlines())
    assert len(_committed(survived.splitlines())) == 25
    _check_database(db, committed)
    with History.open(db) as history:  # and the next run carries on
        recorded = history.record(run_of([result(Status.OK, START)]), rules(), inventory="x")
    assert recorded.run_id > max(committed)


OPEN = (
    "import sys; from pathlib import Path; from freecost.store import History; "
    "History.open(Path(sys.argv[1]), busy_timeout=10).close()"
)


def test_processes_creating_the_database_at_once_all_get_in(tmp_path: Path) -> None:
    # Switching a new database to WAL can answer "locked" without waiting; every process
    # must still get in, as two overlapping cron runs on a first day would.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for round_ in range(4):
        db = tmp_path / f"fresh-{round_}.sqlite3"
        children = [
            subprocess.Popen(
                [sys.executable, "-c", OPEN, str(db)],
                stderr=subprocess.PIPE,
                text=True,
                env=env,
            )
            for _ in range(8)
        ]
        errors = [child.communicate(timeout=60)[1] for child in children]
        assert [child.returncode for child in children] == [0] * 8, errors
