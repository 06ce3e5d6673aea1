"""What the store needs to know of the inventory: each check's rules and the settings.

The store does not read inventories; :func:`rules_for` takes what it needs from a loaded one,
and benchmarks and tests build :class:`Rules` directly.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from freecost.inventory import LoadedInventory
    from freecost.maintenance import MaintenanceWindow

DEFAULT_EVERY = timedelta(minutes=5)
INCIDENT_MARGIN = timedelta(hours=1)
"""Raw results this long before an incident's start and after its end outlive retention."""


class CheckKey(NamedTuple):
    """A check's identity across runs: its dependency's id and its own."""

    dependency: str
    check: str

    def __str__(self) -> str:
        return f"{self.dependency}/{self.check}"


@dataclass(frozen=True)
class Policy:
    """How one check's results turn into state and uptime."""

    fail_after: int = 2
    recover_after: int = 1
    every: timedelta = DEFAULT_EVERY
    """How often the check runs: a result covers up to 1.5 times this (see uptime)."""


@dataclass(frozen=True)
class Rules:
    """The inventory's rules for history: per-check policies and the settings that apply."""

    policies: Mapping[CheckKey, Policy] = field(default_factory=dict)
    """The checks the inventory has now; others are history only (no reminders, no rollups)."""
    remind_every: timedelta | None = timedelta(days=1)
    retention: timedelta = timedelta(days=30)
    timezone: str = "UTC"
    maintenance: Mapping[str, Sequence[MaintenanceWindow]] = field(default_factory=dict)
    """Maintenance windows by dependency id, the settings' windows included in each."""
    incident_margin: timedelta = INCIDENT_MARGIN

    def policy(self, key: CheckKey) -> Policy:
        """The check's policy; a check the inventory no longer has gets the defaults."""
        return self.policies.get(key, Policy())


def rules_for(loaded: LoadedInventory) -> Rules:
    """The rules of ``loaded``: a check's own fail_after/recover_after/every over settings'.

    A check without ``every`` runs as often as the job, which runs as often as the most
    frequent check (see :mod:`freecost.schedule`).
    """
    from freecost.schedule import interval_of

    settings = loaded.inventory.settings
    job_every = interval_of(loaded)
    policies = {
        CheckKey(dependency.id, check.id): Policy(
            fail_after=check.fail_after or settings.fail_after,
            recover_after=check.recover_after or settings.recover_after,
            every=check.every or job_every,
        )
        for dependency, check in loaded.checks()
    }
    maintenance = {
        dependency.id: (*settings.maintenance, *dependency.maintenance)
        for dependency in loaded.inventory.dependencies
    }
    return Rules(
        policies=policies,
        remind_every=settings.remind_every,
        retention=settings.retention,
        timezone=settings.timezone,
        maintenance=maintenance,
    )
