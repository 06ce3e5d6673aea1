"""Report documents for the Markdown, status page and compare tests.

Built the way the command builds them: the example inventory, scored, with a synthetic
history (a month of daily figures, one long Google Voice incident whose summary is hostile
markup) and a few check results, at a fixed moment so the output is the same every run.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freecost.inventory import LoadedInventory, load_inventory
from freecost.report.data import build_report
from freecost.scoring.reliability import DependencyHistory, MonthRecord
from freecost.scoring.scorecard import score_loaded
from freecost.uptime import Tally

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory.example.yaml"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
HOSTILE_INCIDENT = "<script>alert('x')</script> no voicemail e-mail arrived within 15m"


def daily(loaded: LoadedInventory, now: datetime = NOW) -> dict[str, DependencyHistory]:
    """Thirty days per dependency; Google Voice is down most of each day for three weeks."""
    days = {}
    for dep in loaded.inventory.dependencies:
        records = []
        for back in range(30, 0, -1):
            start = (now - timedelta(days=back)).replace(hour=6, minute=0)
            down = (
                timedelta(hours=20)
                if dep.id == "google-voice" and 5 < back < 27
                else timedelta(minutes=(back * 7) % 40)
            )
            records.append(
                MonthRecord(
                    start.date().isoformat(),
                    start,
                    start + timedelta(days=1),
                    Tally(up=timedelta(days=1) - down, down=down),
                    f"{dep.id}/x",
                )
            )
        days[dep.id] = DependencyHistory(dep.id, tuple(records))
    return days


def view() -> dict[str, Any]:
    """``freecost history``'s view: Google Voice's uptime and its one incident."""
    return {
        "uptime": [
            {
                "kind": "dependency",
                "id": "google-voice",
                "name": "Google Voice",
                "periods": {
                    "24h": {"uptime_pct": 100.0, "coverage_pct": 99.0, "incidents": 0},
                    "7d": {"uptime_pct": 41.2, "coverage_pct": 100.0, "incidents": 1},
                    "30d": {"uptime_pct": 35.5, "coverage_pct": 98.0, "incidents": 1},
                },
            }
        ],
        "incidents": [
            {
                "check": "google-voice/voicemail",
                "started_at": "2026-10-28T14:00:00+00:00",
                "ended_at": "2026-11-18T09:00:00+00:00",
                "duration_s": 1796400.0,
                "open": False,
                "layer": "delivery",
                "first_summary": HOSTILE_INCIDENT,
                "last_summary": "no voicemail e-mail arrived within 15m",
            }
        ],
        "results": [],
    }


def result(
    dependency: str, check: str, status: str, summary: str, *, at: datetime = NOW, **extra: Any
) -> dict[str, Any]:
    """One check result as the store gives it."""
    return {
        "dependency": dependency,
        "check": check,
        "type": extra.pop("type", "http"),
        "status": status,
        "summary": summary,
        "observed_at": at.isoformat(),
        "latency_ms": extra.pop("latency_ms", 120.0),
        "details": extra,
    }


RESULTS = (
    result(
        "google-voice",
        "voicemail",
        "fail",
        "the call completed but no voicemail e-mail arrived within 15m <b>bold</b>",
        type="voice-call",
        latency_ms=812000.0,
    ),
    result(
        "gmail",
        "vendor-status",
        "ok",
        "Google says Gmail is operating normally",
        type="statuspage",
        latency_ms=310.0,
    ),
)


def build(
    loaded: LoadedInventory | None = None,
    *,
    results: Sequence[Mapping[str, Any]] = RESULTS,
    now: datetime = NOW,
) -> dict[str, Any]:
    """The report document for ``loaded`` (the example inventory by default)."""
    loaded = loaded or load_inventory(EXAMPLE)
    card = score_loaded(loaded, {}, now)
    return build_report(
        loaded,
        card,
        mode="audit",
        now=now,
        since=now - timedelta(days=30),
        view=view(),
        days=daily(loaded, now),
        results=results,
    )
