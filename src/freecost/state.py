"""Whether a check is up or down, with hysteresis: the rule alerts and uptime share.

One failed result is a blip; ``fail_after`` failures in a row make the check *down*, and the
incident is dated from the first of them. ``recover_after`` successes in a row make it *up*
again, dated from the first of those. ``warn`` counts as a success (the service works,
slowly). ``error`` means freecost could not tell (this machine was offline, a secret was
missing): it neither extends nor breaks a streak, so it never opens or closes an incident.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from freecost.results import Status


@dataclass(frozen=True)
class CheckState:
    """What is known of one check after the results so far."""

    down: bool = False
    """The confirmed state: True once ``fail_after`` failures came in a row."""
    since: datetime | None = None
    """When the confirmed state began (the incident's start while down)."""
    streak: int = 0
    """Results in a row that contradict the confirmed state (not yet enough to flip it)."""
    streak_since: datetime | None = None
    """When the contradicting streak began: the flip is dated from here."""


@dataclass(frozen=True)
class Transition:
    """A change of confirmed state: an incident opens, or it closes."""

    kind: Literal["opened", "closed"]
    at: datetime
    """When it really began: the first result of the streak that confirmed it."""
    confirmed_at: datetime
    """When freecost could tell: the result that completed the streak."""


def is_failure(status: Status) -> bool | None:
    """True for fail, False for ok and warn, None for error (no evidence either way)."""
    if status is Status.ERROR:
        return None
    return status is Status.FAIL


def advance(
    state: CheckState,
    status: Status,
    observed_at: datetime,
    *,
    fail_after: int,
    recover_after: int,
) -> tuple[CheckState, Transition | None]:
    """The state after one more result, and the transition it caused, if any."""
    failed = is_failure(status)
    if failed is None:
        return state, None
    if failed == state.down:
        # The result agrees with the confirmed state: any contrary streak is over. Most
        # results land here, so the unchanged state is returned as it is.
        return (replace(state, streak=0, streak_since=None) if state.streak else state), None
    streak = state.streak + 1
    began = state.streak_since or observed_at
    needed = recover_after if state.down else fail_after
    if streak < needed:
        return replace(state, streak=streak, streak_since=began), None
    flipped = CheckState(down=not state.down, since=began)
    kind: Literal["opened", "closed"] = "opened" if flipped.down else "closed"
    return flipped, Transition(kind, began, observed_at)
