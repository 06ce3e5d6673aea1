"""The Python API behind ``freecost check``: load an inventory, run its checks, get results.

from freecost.api import check
run = check("inventory.yaml", only=["google-voice"])
for result in run.results:
    print(result.dependency, result.check, result.status, result.summary)
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from freecost import __version__
from freecost.inventory import LoadedInventory, load_inventory
from freecost.plan import plan_checks
from freecost.probes.context import ProbeContext
from freecost.results import counts
from freecost.runner import CheckRun, OnResult, run_checks


async def check_async(
    loaded: LoadedInventory,
    *,
    only: Sequence[str] = (),
    concurrency: int | None = None,
    environ: Mapping[str, str] | None = None,
    on_result: OnResult | None = None,
) -> CheckRun:
    """Run the inventory's checks (all, or those ``only`` names) in the running loop."""
    planned = plan_checks(loaded, only)
    ctx = ProbeContext(
        settings=loaded.inventory.settings, base_dir=loaded.base_dir, environ=environ
    )
    async with ctx:
        return await run_checks(planned, ctx, concurrency=concurrency, on_result=on_result)


def check(
    inventory: str | Path | LoadedInventory,
    *,
    only: Sequence[str] = (),
    concurrency: int | None = None,
    environ: Mapping[str, str] | None = None,
) -> CheckRun:
    """Load ``inventory`` (a path or a loaded inventory) and run its checks."""
    loaded = (
        inventory if isinstance(inventory, LoadedInventory) else load_inventory(Path(inventory))
    )
    return asyncio.run(check_async(loaded, only=only, concurrency=concurrency, environ=environ))


def run_to_json(run: CheckRun, inventory_name: str) -> dict[str, Any]:
    """The ``check --json`` document (DESIGN.md contract)."""
    return {
        "version": __version__,
        "inventory": inventory_name,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat(),
        "vantage": run.vantage.to_json(),
        "results": [result.to_json() for result in run.results],
        "counts": counts(run.results),
    }
