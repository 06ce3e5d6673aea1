"""Helpers for probe tests: a context pointed at local servers, and one-call probe runs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from types import ModuleType
from typing import Any

from freecost.inventory import Settings
from freecost.probes.context import ProbeContext
from freecost.results import Outcome


def make_context(base_dir: Path, **settings: Any) -> ProbeContext:
    """A context whose vantage check is off and whose settings are ``settings``."""
    settings.setdefault("vantage", {"control": []})
    return ProbeContext(settings=Settings.model_validate(settings), base_dir=base_dir)


def run_probe(
    module: ModuleType,
    spec: dict[str, Any],
    base_dir: Path,
    *,
    deadline: float = 10.0,
    **settings: Any,
) -> Outcome:
    """Validate ``spec`` with the module's Check model and run its probe once.

    ``deadline`` stands in for the runner's deadline, so a hanging probe fails the test
    instead of hanging it.
    """
    check = module.Check.model_validate({"id": "t", **spec})

    async def go() -> Outcome:
        async with make_context(base_dir, **settings) as ctx:
            async with asyncio.timeout(deadline):
                outcome: Outcome = await module.probe(check, ctx)
                return outcome

    return asyncio.run(go())
