"""What an alert says, as data: which check broke, what it hurts, since when, what to do first.

:func:`alert_for` builds an :class:`Alert` from the inventory alone (no clock, no network), so
the same incident always produces the same alert. The business functions it names are every
function that needs the failed dependency, directly or through the ``needs`` of other
dependencies: a dead Google account silences the Google Voice number that rests on it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Literal

from freecost.results import Layer

if TYPE_CHECKING:
    from freecost.inventory import Criticality, Dependency, Function, Inventory, LoadedInventory

AlertKind = Literal["opened", "closed", "reminder"]
Severity = Literal["info", "success", "warning", "failure"]
"""How a notification service colours a message (apprise's notification types)."""

SEVERITY: Mapping[AlertKind, Severity] = {
    "opened": "failure",
    "reminder": "warning",
    "closed": "success",
}

CRITICALITY_ORDER: Mapping[str, int] = {"critical": 0, "high": 1, "medium": 2, "low": 3}

GENERIC_FIRST_STEPS: tuple[str, ...] = (
    "Try it the way a customer would (call, write, open the page) and note what they see.",
    "Check the vendor's status page or admin console for an outage or a locked account.",
    "Tell the people who rely on it, and point customers at another way to reach you.",
)
"""What to do when the dependency has no check pack to say better."""


@dataclass(frozen=True)
class HurtFunction:
    """A business function that cannot work while the dependency is down."""

    id: str
    name: str
    criticality: Criticality
    via: tuple[str, ...] = ()
    """Names of the dependencies between the function and the failed one (empty: direct)."""


@dataclass(frozen=True)
class Alert:
    """One notification about one check of one dependency."""

    kind: AlertKind
    dependency: str
    dependency_name: str
    check: str
    functions: tuple[HurtFunction, ...]
    """Most critical first."""
    since: datetime
    """When the incident began (the first failure of the streak that confirmed it)."""
    at: datetime
    """When this alert was made."""
    summary: str
    """The last result's summary, as the probe wrote it (outside text: render it plainly)."""
    layer: Layer | None
    first_steps: tuple[str, ...]
    support_url: str | None = None
    stands_in_for: tuple[str, ...] = ()
    """Names of the dependencies this one is an alternative for."""
    alternatives: tuple[str, ...] = ()
    """Names of the dependencies that can take over while this one is down."""
    ended: datetime | None = None
    """For a closed incident: when it ended (the first success of the recovering streak)."""

    @property
    def lasted(self) -> timedelta:
        """How long the incident has lasted: until it ended, or until this alert."""
        return (self.ended or self.at) - self.since


def alert_for(
    loaded: LoadedInventory,
    dependency_id: str,
    check_id: str,
    kind: AlertKind,
    since: datetime,
    summary: str,
    layer: Layer | None,
    now: datetime,
    ended: datetime | None = None,
) -> Alert:
    """The alert for a state change (or a reminder) of one check; KeyError for an unknown id."""
    _require_aware(since=since, now=now, ended=ended)
    if kind == "closed" and ended is None:
        raise ValueError("a closed incident needs the time it ended")
    inventory = loaded.inventory
    dependency = inventory.dependency(dependency_id)
    steps, support_url = _first_steps(loaded, dependency)
    return Alert(
        kind=kind,
        dependency=dependency.id,
        dependency_name=dependency.name,
        check=check_id,
        functions=hurt_functions(inventory, dependency.id),
        since=since,
        at=now,
        summary=summary,
        layer=layer,
        first_steps=steps,
        support_url=support_url,
        stands_in_for=_names(
            inventory, (d.id for d in inventory.dependencies if dependency.id in d.alternatives)
        ),
        alternatives=_names(inventory, dependency.alternatives),
        ended=ended if kind == "closed" else None,
    )


def hurt_functions(inventory: Inventory, dependency_id: str) -> tuple[HurtFunction, ...]:
    """Every function that needs ``dependency_id``, directly or through other dependencies."""
    hurt = []
    for function in inventory.functions:
        path = _path_to(inventory, function, dependency_id)
        if path is not None:
            via = tuple(inventory.dependency(step).name for step in path[:-1])
            hurt.append(HurtFunction(function.id, function.name, function.criticality, via))
    return tuple(sorted(hurt, key=lambda f: (CRITICALITY_ORDER[f.criticality], f.name)))


def _path_to(inventory: Inventory, function: Function, target: str) -> list[str] | None:
    """The shortest chain of dependency ids from ``function`` down to ``target``, if any."""
    known = {d.id: d for d in inventory.dependencies}
    came_from: dict[str, str | None] = {}
    queue: deque[str] = deque()
    for start in function.needs:
        if start in known and start not in came_from:
            came_from[start] = None
            queue.append(start)
    while queue:
        current = queue.popleft()
        if current == target:
            return _unwind(came_from, current)
        for upstream in known[current].needs:
            # The visited check also stops a cycle in `needs` from looping forever.
            if upstream in known and upstream not in came_from:
                came_from[upstream] = current
                queue.append(upstream)
    return None


def _unwind(came_from: Mapping[str, str | None], last: str) -> list[str]:
    path = [last]
    previous = came_from[last]
    while previous is not None:
        path.append(previous)
        previous = came_from[previous]
    return path[::-1]


def _first_steps(
    loaded: LoadedInventory, dependency: Dependency
) -> tuple[tuple[str, ...], str | None]:
    service = dependency.service
    if service is None or service not in loaded.catalog:
        return GENERIC_FIRST_STEPS, None
    advice = loaded.catalog.get(service).when_it_breaks
    return tuple(advice.first_steps), advice.support_url


def _names(inventory: Inventory, ids: Iterable[str]) -> tuple[str, ...]:
    known = {d.id: d.name for d in inventory.dependencies}
    return tuple(known[i] for i in ids if i in known)


def _require_aware(**moments: datetime | None) -> None:
    for name, moment in moments.items():
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must be a timezone-aware datetime")


def due_reminder(
    last_notified_at: datetime | None, now: datetime, remind_every: timedelta | None
) -> bool:
    """Whether a check that is still down should be announced again now.

    ``remind_every`` None means never. With no notification recorded for this incident (alerts
    were configured after it opened), one is due at once: nobody has been told.
    """
    if remind_every is None:
        return False
    if last_notified_at is None:
        return True
    return now - last_notified_at >= remind_every
