"""Which checks to run: every check of the inventory, narrowed by ``--only`` and by ``every``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta

from freecost.errors import FreecostError
from freecost.inventory import LoadedInventory
from freecost.packs import did_you_mean
from freecost.runner import PlannedCheck


class SelectionError(FreecostError):
    """``--only`` names a dependency or check the inventory does not have."""


def plan_checks(loaded: LoadedInventory, only: Sequence[str] = ()) -> list[PlannedCheck]:
    """The checks to run, in inventory order; ``only`` holds ``DEP`` or ``DEP/CHECK`` items."""
    planned = [PlannedCheck(dependency.id, check) for dependency, check in loaded.checks()]
    if not only:
        return planned
    wanted: list[PlannedCheck] = []
    for selector in only:
        dependency, _, check = selector.partition("/")
        matches = [
            p for p in planned if p.dependency == dependency and (not check or p.check.id == check)
        ]
        if not matches:
            raise SelectionError(_no_match(loaded, dependency, check, planned))
        wanted.extend(m for m in matches if m not in wanted)
    return [p for p in planned if p in wanted]


def _no_match(
    loaded: LoadedInventory, dependency: str, check: str, planned: list[PlannedCheck]
) -> str:
    ids = [d.id for d in loaded.inventory.dependencies]
    if dependency not in ids:
        return f"--only: no dependency '{dependency}'{did_you_mean(dependency, ids)}"
    checks = [p.check.id for p in planned if p.dependency == dependency]
    if not checks:
        return f"--only: dependency '{dependency}' has no checks"
    return (
        f"--only: dependency '{dependency}' has no check '{check}'{did_you_mean(check, checks)}; "
        f"its checks: {', '.join(checks)}"
    )


EARLY = timedelta(seconds=60)
"""How early a check may run and still count as due (at most 10% of its ``every``)."""


def due_checks(
    planned: Sequence[PlannedCheck],
    last_observed: Mapping[tuple[str, str], datetime],
    now: datetime,
) -> list[PlannedCheck]:
    """The checks whose ``every`` has passed since they last ran (never run: due).

    cron starts the job on the minute but a run takes a few seconds, so a check last seen
    at 12:00:03 is due at 12:05:00 too; without the tolerance it would wait for 12:10.
    """
    due = []
    for item in planned:
        every = item.check.every
        last = last_observed.get((item.dependency, item.check.id))
        if every is None or last is None or now - last >= every - min(every / 10, EARLY):
            due.append(item)
    return due
