"""Readers of vendors' status pages, one module per provider, all normalised alike.

Each provider module has ``async def read(page: Page) -> Reading`` (fetching) built on a
pure ``interpret(document, ...)`` (reading). :mod:`.common` holds the normalised vocabulary
and :mod:`.fetch` the size-capped JSON fetch. Modules are imported only when a check of
that provider runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from freecost.probes.statuspages.common import Reading
    from freecost.probes.statuspages.fetch import Page


@dataclass(frozen=True)
class Provider:
    module: str
    default_url: str | None = None
    """Where the page is when the check gives no ``url``; None means ``url`` is required."""
    label: str | None = None
    """What to call the page when it does not name itself; None means its host's name."""


PROVIDERS: dict[str, Provider] = {
    "atlassian": Provider("atlassian"),
    "betterstack": Provider("betterstack"),
    "google-workspace": Provider(
        "google_workspace",
        "https://www.google.com/appsstatus/dashboard/",
        "Google Workspace status",
    ),
    "instatus": Provider("instatus"),
    "slack": Provider("slack", "https://slack-status.com", "Slack status"),
    "statusio": Provider("statusio", "https://api.status.io", "status.io page"),
}


def reader(provider: str) -> Callable[[Page], Awaitable[Reading]]:
    """The ``read`` function of a provider's module."""
    module = importlib.import_module(f"{__name__}.{PROVIDERS[provider].module}")
    read: Callable[[Page], Awaitable[Reading]] = module.read
    return read
