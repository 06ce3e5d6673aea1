"""A child process that records runs into one database until it is done or killed.

Run as ``python -m tests.store.writer DB NAME RUNS CHECKS``: it prints ``committed RUN_ID``
after each run is committed, so the parent knows exactly what must survive.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path

from freecost.results import Status
from freecost.store import CheckKey, History
from tests.store.helpers import START, result, rules, run_of


def main(path: str, name: str, runs: int, checks: int) -> None:
    keys = [CheckKey(name, f"check-{index}") for index in range(checks)]
    policy = rules(*keys)
    with History.open(Path(path), busy_timeout=20) as history:
        for number in range(runs):
            at = START + timedelta(minutes=5 * number)
            status = Status.FAIL if number % 7 in (3, 4) else Status.OK
            batch = [
                result(status, at + timedelta(milliseconds=i), key) for i, key in enumerate(keys)
            ]
            recorded = history.record(run_of(batch), policy, inventory=name)
            print(f"committed {recorded.run_id}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
