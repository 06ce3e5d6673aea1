"""What to put in cron or systemd so ``freecost check`` runs on its own.

The job runs as often as the most frequent check (the shortest ``every``); ``check`` then
runs only the checks that are due, so a daily test call is not placed every five minutes.
Cron gets a lock (``flock -n``) so a slow run is never overlapped by the next one, and a log
file; a systemd oneshot service cannot overlap itself, so the timer needs no lock.
"""

from __future__ import annotations

import re
import shlex
import sys
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from freecost.durations import format_duration
from freecost.inventory import LoadedInventory

DEFAULT_INTERVAL = timedelta(minutes=5)
"""How often to run when no check says ``every``."""
STATE_FOLDER = ".freecost"


@dataclass(frozen=True)
class Job:
    """Everything a scheduler needs to run the checks of one inventory."""

    name: str
    description: str
    interval: timedelta
    command: list[str]
    workdir: Path
    lock: Path
    log: Path


def job_for(loaded: LoadedInventory, python: str | None = None) -> Job:
    """The job for ``loaded``: absolute paths only, since cron starts in the home folder."""
    inventory = loaded.path.resolve()
    workdir = inventory.parent
    state = workdir / STATE_FOLDER
    command = [python or sys.executable, "-m", "freecost", "check", str(inventory)]
    slug = re.sub(r"[^a-z0-9]+", "-", loaded.inventory.business.name.lower()).strip("-")
    return Job(
        name=f"freecost-{slug or 'checks'}",
        description=f"freecost checks for {loaded.inventory.business.name}",
        interval=interval_of(loaded),
        command=command,
        workdir=workdir,
        lock=state / "check.lock",
        log=state / "check.log",
    )


def interval_of(loaded: LoadedInventory) -> timedelta:
    """The shortest ``every`` of any check, at least a minute (cron's finest step)."""
    everies = [check.every for _, check in loaded.checks() if check.every is not None]
    shortest = min(everies, default=DEFAULT_INTERVAL)
    return max(shortest, timedelta(minutes=1))


def cron_schedule(interval: timedelta) -> str:
    """The five cron time fields closest to ``interval`` without running less often."""
    minutes = int(interval.total_seconds() // 60)
    if minutes < 60:
        # */N restarts at each full hour; rounding N down to a divisor of 60 keeps the gaps
        # even, at the price of running slightly more often than asked.
        step = max(d for d in (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30) if d <= minutes)
        return "* * * * *" if step == 1 else f"*/{step} * * * *"
    hours = minutes // 60
    if hours < 24:
        step = max(d for d in (1, 2, 3, 4, 6, 8, 12) if d <= hours)
        return "0 * * * *" if step == 1 else f"0 */{step} * * *"
    return "0 6 * * *"


def crontab_line(job: Job) -> str:
    """One crontab line: change folder, take the lock or skip this turn, append to the log."""
    run = " ".join(
        [
            "cd",
            shlex.quote(str(job.workdir)),
            "&&",
            "mkdir -p",
            shlex.quote(str(job.lock.parent)),
            "&&",
            "flock -n",
            shlex.quote(str(job.lock)),
            *(shlex.quote(part) for part in job.command),
            ">>",
            shlex.quote(str(job.log)),
            "2>&1",
        ]
    )
    # cron turns an unescaped % into a line break.
    return f"{cron_schedule(job.interval)} {run.replace('%', chr(92) + '%')}"


def cron_text(job: Job) -> str:
    every = format_duration(job.interval)
    return "\n".join(
        [
            f"# {job.description}: every {every} (the shortest `every` of its checks).",
            "# Install with `crontab -e` and paste the line below. flock skips a run while the",
            "# previous one still holds the lock; the output goes to the log file.",
            crontab_line(job),
        ]
    )


def systemd_units(job: Job) -> dict[str, str]:
    """A oneshot service and the timer that starts it, by file name."""
    seconds = int(job.interval.total_seconds())
    service = "\n".join(
        [
            "[Unit]",
            f"Description={job.description}",
            "Wants=network-online.target",
            "After=network-online.target",
            "",
            "[Service]",
            "Type=oneshot",
            # A path setting: taken whole (spaces and all), only % specifiers are expanded.
            f"WorkingDirectory={str(job.workdir).replace('%', '%%')}",
            "ExecStart=" + " ".join(_systemd_quote(part) for part in job.command),
            "",
        ]
    )
    timer = "\n".join(
        [
            "[Unit]",
            f"Description=Run {job.description} every {format_duration(job.interval)}",
            "",
            "[Timer]",
            "OnBootSec=2min",
            f"OnUnitActiveSec={seconds}s",
            "AccuracySec=30s",
            "",
            "[Install]",
            "WantedBy=timers.target",
            "",
        ]
    )
    return {f"{job.name}.service": service, f"{job.name}.timer": timer}


def systemd_text(job: Job) -> str:
    units = systemd_units(job)
    lines = [
        f"# {job.description}: a oneshot service and a timer every "
        f"{format_duration(job.interval)}.",
        "# Save each file under ~/.config/systemd/user/ (or /etc/systemd/system/), then:",
        f"#   systemctl --user daemon-reload && systemctl --user enable --now {job.name}.timer",
        "# A oneshot service never runs twice at once, so no lock is needed; the output goes",
        f"# to the journal (journalctl --user -u {job.name}).",
    ]
    for name, text in units.items():
        lines += ["", f"### {name}", text.rstrip("\n")]
    return "\n".join(lines)


def _systemd_quote(word: str) -> str:
    # systemd splits ExecStart= on spaces and expands % specifiers and $VARIABLES.
    escaped = word.replace("%", "%%").replace("$", "$$")
    if re.search(r'[\s"\\\']', escaped):
        return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return escaped
