"""Start-up cost of the ``freecost`` command: median and minimum wall time of fresh processes.

Runs each command K times, each in a new process, and prints median and minimum wall time
against its target:

    freecost --version                           target <= 0.3 s
    freecost validate inventory.example.yaml     target <= 0.6 s

    python bench/startup.py                      # K=15, bytecode cached in a temporary folder
    python bench/startup.py -k 30 --no-bytecode-cache

The command is the ``freecost`` console script installed beside this Python (what ``pip
install`` puts on PATH), started directly, so a version manager's shell shim is not counted.
With ``PYTHONDONTWRITEBYTECODE`` set, an editable install compiles every module from source
on every run; an ordinary install ships compiled bytecode. By default the bench therefore
lets Python cache bytecode under a private temporary ``PYTHONPYCACHEPREFIX`` (nothing is
written into the source tree) and discards one warm-up run; ``--no-bytecode-cache`` measures
the environment exactly as it is.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Case:
    """One command to time and the wall time it should stay under."""

    label: str
    args: tuple[str, ...]
    target: float


CASES = (
    Case("freecost --version", ("--version",), 0.3),
    Case(
        "freecost validate inventory.example.yaml",
        ("validate", str(ROOT / "inventory.example.yaml")),
        0.6,
    ),
)


def freecost_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m freecost``."""
    script = Path(sysconfig.get_path("scripts")) / "freecost"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-m", "freecost"]


def time_once(command: list[str], env: dict[str, str]) -> float:
    """Wall seconds of one run; a failing command ends the bench, since its time means nothing."""
    started = time.perf_counter()
    child = subprocess.run(command, capture_output=True, env=env, cwd=ROOT, check=False)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        sys.exit(f"{' '.join(command)} exited {child.returncode}: {child.stderr.decode()[:500]}")
    return wall


def measure(command: list[str], runs: int, env: dict[str, str]) -> list[float]:
    """``runs`` wall times of ``command`` after one untimed warm-up (which fills the cache)."""
    time_once(command, env)
    return [time_once(command, env) for _ in range(runs)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-k", "--runs", type=int, default=15, help="timed runs per command")
    parser.add_argument(
        "--no-bytecode-cache",
        action="store_true",
        help="keep the environment's bytecode setting (may compile every module every run)",
    )
    args = parser.parse_args()

    base = freecost_command()
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(prefix="freecost-pyc-") as cache:
        if not args.no_bytecode_cache:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            env["PYTHONPYCACHEPREFIX"] = cache
        bytecode = (
            "compiled from source every run" if (env.get("PYTHONDONTWRITEBYTECODE")) else "cached"
        )
        print(f"command: {' '.join(base)}  runs={args.runs}  bytecode: {bytecode}")
        print(f"{'command':44} {'median':>8} {'min':>8} {'target':>8}  verdict")
        # The bare interpreter's start (with this machine's site-packages) is the floor under
        # every figure; it moves with the machine's load, so it is printed beside them.
        walls = measure([sys.executable, "-c", "pass"], args.runs, env)
        label = "python -c pass (the floor; no target)"
        print(f"{label:44} {statistics.median(walls):7.3f}s {min(walls):7.3f}s")
        failed = False
        for case in CASES:
            walls = measure([*base, *case.args], args.runs, env)
            median = statistics.median(walls)
            verdict = "ok" if median <= case.target else "OVER"
            failed = failed or median > case.target
            print(
                f"{case.label:44} {median:7.3f}s {min(walls):7.3f}s {case.target:7.2f}s  {verdict}"
            )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
