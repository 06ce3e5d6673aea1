"""History at scale: a year of 100 checks every 5 minutes (about 10.5 M results).

Every run goes through the store's own API (``History.record``: one transaction per run,
state, incidents, hourly rollups and retention as in production), with simulated outages,
blips and offline runs. Prints the database size, the ingest rate and the time to compute
one-year uptime inputs for every check. Goals: <= 200 MB on disk; one-year figures for all
100 checks in <= 1 s.

    python bench/history_scale.py                 # the full year (several minutes)
    python bench/history_scale.py --days 7        # a quick look
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from freecost.results import CheckResult, Layer, Status
from freecost.runner import CheckRun
from freecost.store import CheckKey, History, Policy, Rules
from freecost.vantage import Vantage

START = datetime(2025, 1, 1, tzinfo=UTC)
EVERY = timedelta(minutes=5)
OUTAGE_ODDS = 1 / 3000  # per result: about one outage a check every ten days
BLIP_ODDS = 1 / 800
OFFLINE_ODDS = 1 / 1000  # per run: this machine's network is down


class Simulation:
    """Deterministic results for ``checks`` checks: mostly ok, with outages and blips."""

    def __init__(self, checks: int, seed: int = 7) -> None:
        self.random = random.Random(seed)
        self.keys = [CheckKey(f"dependency-{i // 4}", f"check-{i % 4}") for i in range(checks)]
        self.outage_left = dict.fromkeys(self.keys, 0)

    def run(self, at: datetime) -> CheckRun:
        offline = self.random.random() < OFFLINE_ODDS
        results = tuple(
            self._result(key, at + timedelta(milliseconds=20 * index), offline)
            for index, key in enumerate(self.keys)
        )
        return CheckRun(
            started_at=at,
            finished_at=at + timedelta(seconds=3),
            vantage=Vantage(host="bench", online=not offline, checked=True),
            results=results,
        )

    def _result(self, key: CheckKey, at: datetime, offline: bool) -> CheckResult:
        latency = self.random.uniform(20, 400)
        if offline:
            status, layer, summary = Status.ERROR, Layer.LOCAL, "this machine's network is down"
        elif self._failing(key):
            status, layer, summary = Status.FAIL, Layer.HTTP, "HTTP 503 Service Unavailable"
        else:
            status, layer, summary = Status.OK, None, f"HTTP 200 in {latency:.0f} ms"
        return CheckResult(
            dependency=key.dependency,
            check=key.check,
            type="http",
            status=status,
            summary=summary,
            observed_at=at,
            latency_ms=latency,
            layer=layer,
            details={"status_code": 503} if status is Status.FAIL else {},
        )

    def _failing(self, key: CheckKey) -> bool:
        if self.outage_left[key] > 0:
            self.outage_left[key] -= 1
            return True
        roll = self.random.random()
        if roll < OUTAGE_ODDS:
            self.outage_left[key] = self.random.randint(2, 36)
            return True
        return roll < OUTAGE_ODDS + BLIP_ODDS


def run_times(days: float) -> Iterator[datetime]:
    at, end = START, START + timedelta(days=days)
    while at < end:
        yield at
        at += EVERY


def size_of(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checks", type=int, default=100)
    parser.add_argument("--days", type=float, default=365)
    parser.add_argument("--db", type=Path, help="database file (default: a temporary one)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = options.db or Path(folder) / "history.sqlite3"
        return bench(path, options.checks, options.days)


def bench(path: Path, checks: int, days: float) -> int:
    simulation = Simulation(checks)
    rules = Rules(
        policies=dict.fromkeys(simulation.keys, Policy(every=EVERY)),
        timezone="America/Chicago",
    )
    count = 0
    began = time.perf_counter()
    with History.open(path) as history:
        for at in run_times(days):
            run = simulation.run(at)
            history.record(run, rules, inventory="bench.yaml")
            count += len(run.results)
            if count % (checks * 12 * 24 * 30) == 0:
                elapsed = time.perf_counter() - began
                print(f"  {at:%Y-%m-%d}: {count:,} results, {count / elapsed:,.0f}/s", flush=True)
        ingest = time.perf_counter() - began
        history.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        end = at + EVERY
        figures_began = time.perf_counter()
        inputs = [
            history.uptime_inputs(key, end - timedelta(days=days), end, timezone=rules.timezone)
            for key in simulation.keys
        ]
        figures = time.perf_counter() - figures_began
        raw = history.conn.execute("SELECT count(*) FROM results").fetchone()[0]
        incidents = len(history.incidents())
    uptime = [100 * i.tally.up / i.tally.observed for i in inputs if i.tally.observed]
    print(f"results ingested:   {count:,} ({days:g} days, {checks} checks every 5 minutes)")
    print(f"ingest:             {ingest:.1f} s, {count / ingest:,.0f} results/s")
    print(f"database size:      {size_of(path) / 1e6:.1f} MB (goal <= 200 MB)")
    print(f"raw results kept:   {raw:,}; incidents: {incidents:,}")
    print(f"uptime, all checks: {figures * 1000:.0f} ms (goal <= 1000 ms)")
    print(f"uptime range:       {min(uptime):.3f}% .. {max(uptime):.3f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
