"""docs/scoring.md works through the example inventory: its figures must be today's."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from freecost.inventory import load_inventory
from freecost.scoring.scorecard import score_loaded

ROOT = Path(__file__).resolve().parents[2]


def test_the_worked_example_quotes_what_freecost_computes() -> None:
    doc = (ROOT / "docs" / "scoring.md").read_text()
    card = score_loaded(
        load_inventory(ROOT / "inventory.example.yaml"), {}, datetime(2026, 11, 23, tzinfo=UTC)
    )
    voice = next(d for d in card.dependencies if d.dependency.id == "google-voice")
    assert f"### Google Voice: risk {voice.risk.risk}, grade {voice.risk.grade}" in doc
    assert f"SLA coverage is 100 - {100 - voice.coverage.score} = {voice.coverage.score}" in doc
    dealt = ", ".join(str(f.points) for f in voice.risk.findings[:-1])
    assert f"carry {dealt} and {voice.risk.findings[-1].points}: {voice.risk.risk}" in " ".join(
        doc.split()
    )
    for function in card.functions:
        single = ", ".join(function.cuts.single) or "none"
        row = (
            f"| {function.function.id} | {function.function.criticality} | {single} | "
            f"{function.risk.risk} | {function.risk.grade} |"
        )
        assert row in doc
    assert f"so risk {card.risk}, grade {card.grade}." in " ".join(doc.split())
