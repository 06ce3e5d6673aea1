"""Readers of vendors' status pages, one module per provider, all normalised alike.

Each provider module has ``async def read(page: Page) -> Reading`` (fetching) built on a
pure ``interpret(document, ...)`` (reading). :mod:`.common` holds the normalised vocabulary
and :mod:`.fetch` the size-capped JSON fetch. Modules are imported only when a check of
that provider runs. The table of providers is in :mod:`freecost.checktypes.statuspage`, since
validating a check needs it.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from freecost.checktypes.statuspage import PROVIDERS, Provider

if TYPE_CHECKING:
    from freecost.probes.statuspages.common import Reading
    from freecost.probes.statuspages.fetch import Page

# The table of providers is part of the check's parameters; kept reachable here.
__all__ = ["PROVIDERS", "Provider", "reader"]


def reader(provider: str) -> Callable[[Page], Awaitable[Reading]]:
    """The ``read`` function of a provider's module."""
    module = importlib.import_module(f"{__name__}.{PROVIDERS[provider].module}")
    read: Callable[[Page], Awaitable[Reading]] = module.read
    return read
