"""The scorecard: the `score --json` contract, the ledger of points, and the parts working together.

Pure: inventories, packs, checks and history go in as data; no database, no network.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from freecost.inventory import Inventory, LoadedInventory, load_inventory
from freecost.packs import load_catalog
from freecost.scoring.detection import Watch
from freecost.scoring.reliability import DependencyHistory, MonthRecord
from freecost.scoring.risk import FUNCTION_WEIGHT, grade
from freecost.scoring.scorecard import score, score_loaded
from freecost.uptime import Tally

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory.example.yaml"
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def example() -> LoadedInventory:
    return load_inventory(EXAMPLE)


@pytest.fixture(scope="module")
def card(example: LoadedInventory) -> dict[str, Any]:
    return score_loaded(example, {}, NOW).to_json()


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def test_the_json_has_every_field_of_the_contract(card: dict[str, Any]) -> None:
    assert set(card) >= {"business", "overall", "dependencies", "functions"}
    assert card["business"] == "Bailey WorkPlay"
    assert set(card["overall"]) >= {"grade", "risk"}
    for dep in card["dependencies"]:
        assert set(dep) >= {
            "id",
            "grade",
            "risk",
            "sla_coverage",
            "spof",
            "blast_radius",
            "shared_fate",
            "detection",
            "findings",
            "recommendations",
        }
        assert set(dep["detection"]) >= {"layers", "end_to_end"}
        for finding in dep["findings"]:
            assert set(finding) >= {"code", "severity", "message", "evidence"}
        for rec in dep["recommendations"]:
            assert set(rec) >= {"action", "why", "effort", "monthly_cost"}
    for function in card["functions"]:
        assert set(function) >= {
            "id",
            "criticality",
            "rto",
            "single_points_of_failure",
            "shared_fate_pairs",
            "risk",
        }
    json.dumps(card)  # plain JSON types only


def test_every_point_of_risk_is_carried_by_a_finding(card: dict[str, Any]) -> None:
    for dep in card["dependencies"]:
        assert sum(f["points"] for f in dep["findings"]) == dep["risk"], dep["id"]
        assert dep["grade"] == grade(dep["risk"])
        assert 0 <= dep["risk"] <= 100


def test_function_risk_is_its_weakest_link(card: dict[str, Any]) -> None:
    deps = by_id(card["dependencies"])
    for function in card["functions"]:
        driven = function["driven_by"]
        assert driven is not None
        expected = round(driven["exposure"] * deps[driven["dependency"]]["risk"] + 1e-9)
        assert function["risk"] == expected
        assert function["grade"] == grade(function["risk"])


def test_overall_risk_is_the_criticality_weighted_mean(
    card: dict[str, Any], example: LoadedInventory
) -> None:
    weights = {f.id: FUNCTION_WEIGHT[f.criticality] for f in example.inventory.functions}
    total = sum(weights[f["id"]] * f["risk"] for f in card["functions"])
    assert card["overall"]["risk"] == round(total / sum(weights.values()) + 1e-9)
    assert card["overall"]["grade"] == grade(card["overall"]["risk"])


def test_the_example_business_graph(card: dict[str, Any]) -> None:
    functions = by_id(card["functions"])
    # Mail needs Gmail, the domain and (through Gmail) the personal Google account.
    assert functions["email"]["single_points_of_failure"] == ["google-account", "gmail", "domain"]
    assert functions["email"]["rto"] == "4h"
    # The mobile line stands in for Google Voice, so neither alone stops phone calls.
    assert functions["phone-leads"]["single_points_of_failure"] == []
    assert ["google-voice", "mobile-line"] in functions["phone-leads"]["shared_fate_pairs"]
    deps = by_id(card["dependencies"])
    assert deps["google-account"]["spof"] is True
    assert deps["google-account"]["blast_radius"] == ["email", "client-files"]
    assert deps["google-voice"]["spof"] is False
    assert "google-account" in deps["google-voice"]["shared_fate"]


def test_detection_of_the_example(card: dict[str, Any]) -> None:
    deps = by_id(card["dependencies"])
    voice = deps["google-voice"]["detection"]
    assert voice["layers"] == ["status-page", "end-to-end"]
    assert voice["end_to_end_via"] == ["google-voice/voicemail"]
    # The mail round trip walks through the domain's MX and the Google account too.
    assert deps["domain"]["detection"]["end_to_end_via"] == [
        "gmail/mail-loop",
        "website/contact-form",
    ]
    assert deps["google-account"]["detection"]["end_to_end"] is True
    assert deps["domain"]["detection"]["layers"] == ["reachability", "configuration"]
    for dep in ("google-voice", "gmail", "domain", "website"):
        assert "NO_CANARY" not in {f["code"] for f in deps[dep]["findings"]}, dep
    # The stand-in line is watched by nothing at all.
    assert "NOT_WATCHED" in {f["code"] for f in deps["mobile-line"]["findings"]}


def test_a_canary_removes_the_blind_spot_and_lowers_the_risk(example: LoadedInventory) -> None:
    inventory = example.inventory
    watches = {
        d.id: [Watch(c.id, c.type) for c in example.checks_of(d) if c.type != "voice-call"]
        for d in inventory.dependencies
    }
    before = score(inventory, example.catalog.packs, watches, {}, NOW)
    watches["google-voice"] = [*watches["google-voice"], Watch("voicemail", "voice-call")]
    after = score(inventory, example.catalog.packs, watches, {}, NOW)
    old = {d.dependency.id: d for d in before.dependencies}
    new = {d.dependency.id: d for d in after.dependencies}
    assert old["google-voice"].detection.end_to_end is False
    assert "NO_CANARY" in {f.code for f in old["google-voice"].risk.findings}
    assert new["google-voice"].detection.end_to_end is True
    assert "NO_CANARY" not in {f.code for f in new["google-voice"].risk.findings}
    # The recommendation it answered is gone, and what it promised is what was removed.
    promised = next(r for r in old["google-voice"].recommendations if "canary" in r.action)
    assert old["google-voice"].risk.risk - new["google-voice"].risk.risk == promised.risk_removed
    assert not any("canary" in r.action for r in new["google-voice"].recommendations)


def test_a_canary_covers_what_its_path_needs_upstream(example: LoadedInventory) -> None:
    inventory = example.inventory
    watches: dict[str, list[Watch]] = {d.id: [] for d in inventory.dependencies}
    alone = score(inventory, example.catalog.packs, watches, {}, NOW)
    watches["google-voice"] = [Watch("voicemail", "voice-call")]
    walked = score(inventory, example.catalog.packs, watches, {}, NOW)
    codes = {d.dependency.id: {f.code for f in d.risk.findings} for d in alone.dependencies}
    after = {d.dependency.id: {f.code for f in d.risk.findings} for d in walked.dependencies}
    # Voice needs the Google account: a test call through Voice proves the account works.
    assert "NOT_WATCHED" in codes["google-account"]
    assert "NOT_WATCHED" not in after["google-account"]


def test_recommendations_are_ranked_across_the_business(card: dict[str, Any]) -> None:
    top = card["recommendations"]
    assert 0 < len(top) <= 10
    costs = {"low": 1, "medium": 3, "high": 8}
    values = [r["risk_removed"] / costs[r["effort"]] for r in top if r["kind"] != "claim"]
    assert values == sorted(values, reverse=True)
    assert {r["kind"] for r in top} <= {"claim", "quick", "migration"}


def test_migrations_carry_the_target_pack_terms(card: dict[str, Any]) -> None:
    voice = by_id(card["dependencies"])["google-voice"]
    moves = [r for r in voice["recommendations"] if r["kind"] == "migration"]
    assert any("Google Workspace" in r["action"] for r in moves)
    for move in moves:
        assert "Its terms:" in move["why"]
        assert move["effort"] in {"low", "medium", "high"}


def test_when_it_breaks_names_the_support_route_and_the_stand_in(card: dict[str, Any]) -> None:
    voice = by_id(card["dependencies"])["google-voice"]["when_it_breaks"]
    assert voice["support_url"] == "https://support.google.com/voice/"
    assert voice["expected_response"] == "none promised"
    assert voice["alternatives"] == ["mobile-line"]
    assert voice["first_steps"][0].startswith("Switch customers to The owner's mobile phone")
    account = by_id(card["dependencies"])["google-account"]["when_it_breaks"]
    assert account["support_url"] is None


WORKSPACE = {
    "version": 1,
    "business": {"name": "Corner Office"},
    "functions": [
        {
            "id": "mail",
            "name": "Clients e-mail us",
            "criticality": "critical",
            "rto": "4h",
            "needs": ["workspace"],
        },
    ],
    "dependencies": [
        {
            "id": "workspace",
            "name": "Google Workspace mail",
            "service": "google-workspace",
            "account": {"owner": "business", "id": "admin@corner.example"},
        },
    ],
}


def _month(name: str, start: datetime, end: datetime, down: timedelta) -> MonthRecord:
    length = end - start
    return MonthRecord(name, start, end, Tally(up=length - down, down=down), "workspace/status")


def test_a_breached_month_is_a_credit_to_claim_first() -> None:
    inventory = Inventory.model_validate(WORKSPACE)
    catalog = load_catalog().packs
    october = _month(
        "2026-10",
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
        timedelta(hours=12),  # 98.4% up: below the 99.9% promise
    )
    history = {"workspace": DependencyHistory("workspace", (october,))}
    watches = {"workspace": [Watch("status", "statuspage")]}
    card = score(inventory, catalog, watches, history, NOW)
    dep = card.dependencies[0]
    assert [m.breached for m in dep.reliability.months] == [True]
    assert "SLA_BREACHED" in {f.code for f in dep.risk.findings}
    first = card.recommendations[0]
    assert first.kind == "claim"
    assert first.deadline == date(2026, 11, 30)  # Workspace: claim within 30 days
    assert "2026-10" in first.action
    clean = score(inventory, catalog, watches, {}, NOW).dependencies[0]
    assert dep.risk.risk > clean.risk.risk


def test_the_score_is_the_same_every_time(example: LoadedInventory) -> None:
    first = score_loaded(example, {}, NOW).to_json()
    assert score_loaded(example, {}, NOW).to_json() == first
