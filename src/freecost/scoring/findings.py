"""Findings: one shortfall a person can read, and the points it cost.

A finding is what ``score --json`` lists under a dependency (``code``, ``severity``,
``message``, ``evidence``); ``points`` is added so a reader can see where a score went.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["critical", "high", "medium", "low", "info"]


@dataclass(frozen=True)
class Finding:
    """A shortfall: a stable ``code``, how bad it is, what it means and what shows it."""

    code: str
    severity: Severity
    message: str
    evidence: str
    points: int = 0

    def to_json(self) -> dict[str, str | int]:
        """The finding as the ``score --json`` contract spells it, plus ``points``."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "evidence": self.evidence,
            "points": self.points,
        }
