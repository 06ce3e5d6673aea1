"""What the ``voice-call`` and ``sms`` probes share at run time: the pacing of polls, and
reporting a provider's error and price.

Their parameters (the provider fields, the daily ``every``, the derived ``timeout``) are
:class:`~freecost.checktypes.telephony.TelephonyCheck`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from freecost.results import Outcome
from freecost.telephony.base import Backoff, TelephonyError


@dataclass(frozen=True)
class Pacing:
    """How often the provider and the mailbox are asked again; tests pass faster pacing."""

    status: Backoff = field(default_factory=Backoff)
    inbox_every: float = 15.0


PACING = Pacing()


def refused(exc: TelephonyError, **details: Any) -> Outcome:
    """The outcome of a provider error: its status, layer and evidence."""
    return Outcome(exc.status, exc.summary, exc.layer, {**details, **exc.details()})


def cost(price: str | None, unit: str | None) -> str:
    """The price as a person reads it: ``0.013 USD``, or ``unknown`` until it is settled.

    Twilio writes charges as negative amounts (``-0.01300``); the sign is dropped.
    """
    if price is None:
        return "unknown"
    amount = price.lstrip("-").strip()
    return f"{amount} {unit}" if unit else amount
