"""Report documents for the HTML tests, built the way the command builds them.

The example inventory is scored with no stored results, then given thirty days of synthetic
history (Google Voice's voicemail mostly down for three weeks), one incident and two check
results, so every part of the report has something to show.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from freecost.inventory import LoadedInventory, load_inventory
from freecost.report.data import Logo, build_report
from freecost.scoring.reliability import DependencyHistory, MonthRecord
from freecost.scoring.scorecard import score_loaded
from freecost.uptime import Tally

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory.example.yaml"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
DAYS = 30

SCRIPT = "<script>alert(1)</script>"
BREAKOUT = '"><img src=x onerror=alert(1)>'
JS_URL = "javascript:alert(1)"
HOSTILE = (SCRIPT, BREAKOUT, JS_URL)

DocumentFactory = Callable[..., dict[str, Any]]


def _days(loaded: LoadedInventory) -> dict[str, DependencyHistory]:
    days = {}
    for dep in loaded.inventory.dependencies:
        records = []
        for back in range(DAYS, 0, -1):
            start = (NOW - timedelta(days=back)).replace(hour=6, minute=0)
            if dep.id == "google-voice" and 5 < back < 27:
                down = timedelta(hours=20)
            else:
                down = timedelta(minutes=(back * 7) % 40)
            tally = Tally(up=timedelta(days=1) - down, down=down)
            records.append(
                MonthRecord(
                    start.date().isoformat(),
                    start,
                    start + timedelta(days=1),
                    tally,
                    f"{dep.id}/voicemail",
                )
            )
        days[dep.id] = DependencyHistory(dep.id, tuple(records))
    return days


def _view() -> dict[str, Any]:
    periods = {
        "24h": {"uptime_pct": 100.0, "coverage_pct": 99.0, "incidents": 0},
        "7d": {"uptime_pct": 41.2, "coverage_pct": 100.0, "incidents": 1},
        "30d": {"uptime_pct": 35.5, "coverage_pct": 98.0, "incidents": 1},
    }
    incident = {
        "check": "google-voice/voicemail",
        "started_at": "2026-10-28T14:00:00+00:00",
        "ended_at": "2026-11-18T09:00:00+00:00",
        "duration_s": 1796400.0,
        "open": False,
        "layer": "delivery",
        "first_summary": "no voicemail e-mail arrived within 15m",
        "last_summary": "no voicemail e-mail arrived within 15m",
    }
    row = {"kind": "dependency", "id": "google-voice", "name": "Google Voice", "periods": periods}
    return {"uptime": [row], "incidents": [incident], "results": []}


def _results() -> list[dict[str, Any]]:
    return [
        {
            "dependency": "google-voice",
            "check": "voicemail",
            "type": "voice-call",
            "status": "fail",
            "summary": "the call completed but no voicemail e-mail arrived within 15m",
            "observed_at": NOW.isoformat(),
            "latency_ms": 812000.0,
            "details": {},
        },
        {
            "dependency": "gmail",
            "check": "vendor-status",
            "type": "statuspage",
            "status": "ok",
            "summary": "Google says Gmail is operating normally",
            "observed_at": NOW.isoformat(),
            "latency_ms": 310.0,
            "details": {},
        },
    ]


@pytest.fixture(scope="session")
def example_loaded() -> LoadedInventory:
    return load_inventory(EXAMPLE)


@pytest.fixture(scope="session")
def make_document(example_loaded: LoadedInventory) -> DocumentFactory:
    """Build a fresh document from the example; ``logo`` is embedded as the command would."""

    def make(logo: Logo | None = None) -> dict[str, Any]:
        card = score_loaded(example_loaded, {}, NOW)
        return build_report(
            example_loaded,
            card,
            mode="audit",
            now=NOW,
            since=NOW - timedelta(days=DAYS),
            view=_view(),
            days=_days(example_loaded),
            results=_results(),
            logo=logo,
        )

    return make


@pytest.fixture(scope="session")
def example_document(make_document: DocumentFactory) -> dict[str, Any]:
    return make_document()


@pytest.fixture(scope="session")
def hostile_document(example_document: dict[str, Any]) -> dict[str, Any]:
    """The example with attacker-chosen text everywhere outside text reaches the report."""
    doc = copy.deepcopy(example_document)
    mixed = " ".join(HOSTILE)
    doc["business"]["name"] = mixed
    doc["business"]["contact"] = BREAKOUT
    doc["branding"]["client_name"] = mixed
    doc["branding"]["prepared_by"] = BREAKOUT
    doc["summary"]["headline"] = SCRIPT
    for incident in doc["incidents"]:
        incident["first_summary"] = mixed
        incident["last_summary"] = BREAKOUT
    for result in doc["results"]:
        result["summary"] = mixed
        result["check"] = BREAKOUT
    voice = next(d for d in doc["dependencies"] if d["id"] == "google-voice")
    voice["name"] = mixed
    for incident in voice["incidents"]:
        incident["first_summary"] = mixed
    for check in voice["checks"]:
        check["summary"] = mixed
    for finding in voice["findings"]:
        finding["message"] = mixed
        finding["evidence"] = BREAKOUT
    voice["sla_facts"][0]["source"] = JS_URL
    voice["sla_facts"][1]["source"] = f"https://example.com/{BREAKOUT}"
    voice["sla_facts"][2]["source"] = " JavaScript:alert(1)"
    voice["when_it_breaks"]["support_url"] = JS_URL
    voice["when_it_breaks"]["first_steps"] = [SCRIPT]
    voice["customer_impact"][0]["text"] = mixed
    for node in doc["map"]["nodes"]:
        if node["id"] == "google-voice":
            node["label"] = mixed
    for day in voice["daily"]:
        day["date"] = BREAKOUT
    doc["recommendations"][0]["action"] = SCRIPT
    doc["summary"]["top_actions"][0]["why"] = BREAKOUT
    doc["accounting_policy"] = SCRIPT
    return doc
