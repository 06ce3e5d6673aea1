"""SLA coverage: exact results for the example business, overrides, and the 100-point ledger."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from freecost.inventory import Dependency, Function, LoadedInventory, load_inventory
from freecost.packs import Catalog
from freecost.scoring.findings import Finding
from freecost.scoring.sla import WEIGHTS, Coverage, relying_functions, sla_coverage

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory.example.yaml"
RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1, "info": 0}


@pytest.fixture(scope="module")
def example() -> LoadedInventory:
    return load_inventory(EXAMPLE)


def score_example(loaded: LoadedInventory, dependency_id: str) -> Coverage:
    dependency = loaded.inventory.dependency(dependency_id)
    pack = loaded.catalog.get(dependency.service) if dependency.service else None
    return sla_coverage(dependency, pack, relying_functions(loaded.inventory, dependency_id))


def codes(coverage: Coverage) -> list[tuple[str, str, int]]:
    return [(f.code, f.severity, f.points) for f in coverage.findings]


def dependency(**fields: Any) -> Dependency:
    return Dependency.model_validate({"id": "dep", "name": "The service", **fields})


def function(criticality: str = "critical", rto: str = "4h") -> Function:
    return Function.model_validate(
        {
            "id": "f",
            "name": "Customers reach us",
            "criticality": criticality,
            "rto": rto,
            "needs": ["dep"],
        }
    )


def assert_ledger(coverage: Coverage) -> None:
    """Every point lost is carried by a finding."""
    assert coverage.score + sum(f.points for f in coverage.findings) == 100


def test_weights_add_up_to_100() -> None:
    assert sum(WEIGHTS.values()) == 100


def test_google_voice_scores_low_on_a_personal_account(example: LoadedInventory) -> None:
    coverage = score_example(example, "google-voice")
    assert coverage.score == 10  # only data export (Takeout) earns points
    # The pack says the free service's SLA is unknown (none was found, none confirmed absent),
    # so it is FACT_UNKNOWN rather than NO_SLA: an unconfirmed absence is not guessed.
    assert codes(coverage) == [
        ("FACT_UNKNOWN", "medium", 30),
        ("FACT_UNKNOWN", "medium", 15),
        ("SUPPORT_SLOWER_THAN_RTO", "high", 20),
        ("NO_HUMAN_SUPPORT", "high", 10),
        ("ASSET_NOT_PORTABLE", "high", 10),
        ("PERSONAL_ACCOUNT", "high", 5),
    ]
    uptime = coverage.findings[0]
    assert "https://support.google.com/voice/answer/1065667" in uptime.evidence
    assert "uptime = unknown" in uptime.evidence
    assert "chris.bailey@gmail.com" in coverage.findings[-1].evidence


@pytest.mark.parametrize(
    ("dependency_id", "score", "expected"),
    [
        (
            "gmail",
            10,
            [
                "FACT_UNKNOWN",
                "FACT_UNKNOWN",
                "SUPPORT_SLOWER_THAN_RTO",
                "NO_HUMAN_SUPPORT",
                "ASSET_NOT_PORTABLE",
                "PERSONAL_ACCOUNT",
            ],
        ),
        ("crm", 25, ["FACT_UNKNOWN"] * 4),
        (
            "google-drive",
            20,
            [
                "FACT_UNKNOWN",
                "FACT_UNKNOWN",
                "SUPPORT_SLOWER_THAN_RTO",
                "NO_HUMAN_SUPPORT",
                "PERSONAL_ACCOUNT",
            ],
        ),
        ("google-account", 10, ["PERSONAL_ACCOUNT", "NO_PACK"]),
        ("domain", 10, ["PERSONAL_ACCOUNT", "NO_PACK"]),
        ("website", 15, ["NO_PACK"]),
        ("mobile-line", 10, ["PERSONAL_ACCOUNT", "NO_PACK"]),
        ("crm-export", 10, ["PERSONAL_ACCOUNT", "NO_PACK"]),
    ],
)
def test_example_business(
    example: LoadedInventory, dependency_id: str, score: int, expected: list[str]
) -> None:
    coverage = score_example(example, dependency_id)
    assert (coverage.score, [f.code for f in coverage.findings]) == (score, expected)
    assert_ledger(coverage)


def test_no_pack_scores_only_what_the_inventory_says(example: LoadedInventory) -> None:
    coverage = score_example(example, "domain")
    no_pack = coverage.findings[-1]
    # Its domain and address are marked portable in the inventory, so they still earn 10.
    assert (no_pack.code, no_pack.points) == ("NO_PACK", 85)
    assert no_pack.evidence == (
        "not assessed: the uptime commitment, service credits, the support response time, "
        "human support, data export"
    )


def test_relying_functions_follow_needs_and_alternatives(example: LoadedInventory) -> None:
    def ids(dependency_id: str) -> list[str]:
        return [f.id for f in relying_functions(example.inventory, dependency_id)]

    # Voice, Gmail, Drive and the CRM export all run on the personal Google account.
    assert ids("google-account") == ["phone-leads", "email", "customer-records", "client-files"]
    assert ids("mobile-line") == ["phone-leads"]
    assert ids("domain") == ["email", "web-enquiries"]


def workspace(catalog: Catalog, **sla: Any) -> Coverage:
    dep = dependency(
        service="google-workspace",
        plan="business",
        account={"owner": "business", "id": "admin@shop.example"},
        assets=[{"kind": "domain", "value": "shop.example", "portable": True}],
        sla=sla,
    )
    return sla_coverage(dep, catalog.get("google-workspace"), [function("critical", "4h")])


def test_google_workspace_scores_high(example: LoadedInventory) -> None:
    coverage = workspace(example.catalog)
    # 99.9% meets the critical bar and is financially backed; only support is unconfirmed.
    assert coverage.score == 70
    assert codes(coverage) == [("FACT_UNKNOWN", "medium", 20), ("FACT_UNKNOWN", "medium", 10)]


def test_the_business_contract_beats_the_pack(example: LoadedInventory) -> None:
    coverage = workspace(
        example.catalog, support_response="1h", human_support=True, source="order form 2026"
    )
    assert (coverage.score, coverage.findings) == (100, [])


@pytest.mark.parametrize(
    ("sla", "code"),
    [
        ({"uptime": "none"}, "NO_SLA"),
        ({"uptime": 99.5}, "SLA_BELOW_NEED"),
        ({"financially_backed": False}, "NO_CREDITS"),
        ({"support_response": "1d"}, "SUPPORT_SLOWER_THAN_RTO"),
        ({"human_support": False}, "NO_HUMAN_SUPPORT"),
        ({"data_export": False}, "NO_DATA_EXPORT"),
    ],
)
def test_each_confirmed_shortfall(example: LoadedInventory, sla: dict[str, Any], code: str) -> None:
    full = {"support_response": "1h", "human_support": True}
    coverage = workspace(example.catalog, **{**full, **sla, "source": "the contract"})
    [finding] = coverage.findings
    assert (finding.code, finding.severity) == (code, "high")
    assert finding.evidence.endswith("; the contract")
    assert_ledger(coverage)


def test_an_unknown_fact_is_less_severe_than_a_confirmed_none(example: LoadedInventory) -> None:
    voice = example.catalog.get("google-voice")
    unknown = sla_coverage(dependency(service="google-voice"), voice, [function()])
    none = sla_coverage(
        dependency(service="google-voice", sla={"uptime": "none"}), voice, [function()]
    )
    by_code = {f.code: f for f in unknown.findings + none.findings}
    assert RANK[by_code["FACT_UNKNOWN"].severity] < RANK[by_code["NO_SLA"].severity]


@pytest.mark.parametrize(
    ("criticality", "uptime", "lost"),
    [
        ("critical", 99.9, 0),
        ("critical", 99.5, 30),
        ("high", 99.5, 0),
        ("medium", 99.0, 0),
        ("medium", 98.0, 30),
        ("low", "none", 0),
    ],
)
def test_uptime_bar_follows_criticality(criticality: str, uptime: object, lost: int) -> None:
    dep = dependency(sla={"uptime": uptime}, account={"owner": "business", "id": "x"})
    coverage = sla_coverage(dep, None, [function(criticality)])
    no_pack = sum(
        WEIGHTS[p]
        for p in ("financially_backed", "support_response", "human_support", "data_export")
    )
    assert coverage.score == 100 - no_pack - lost


def test_the_most_critical_function_and_shortest_rto_set_the_bar() -> None:
    dep = dependency(sla={"uptime": 99.5, "support_response": "8h"})
    coverage = sla_coverage(
        dep, None, [function("high", "1d"), function("critical", "2d"), function("low", "4h")]
    )
    found = {f.code for f in coverage.findings}
    assert {"SLA_BELOW_NEED", "SUPPORT_SLOWER_THAN_RTO"} <= found


def test_asset_points_are_split_and_the_pack_answers_when_the_inventory_does_not(
    example: LoadedInventory,
) -> None:
    assets = [
        {"kind": "email-address", "value": "a@gmail.com"},  # the pack: not portable
        {"kind": "domain", "value": "shop.example"},  # the pack says nothing
        {"kind": "phone-number", "value": "+1 512 555 0100", "portable": True},
    ]
    coverage = sla_coverage(
        dependency(service="gmail", assets=assets), example.catalog.get("gmail"), []
    )
    asset_findings = [(f.code, f.points) for f in coverage.findings if f.points in (3, 4)]
    assert asset_findings == [("ASSET_NOT_PORTABLE", 4), ("FACT_UNKNOWN", 3)]
    assert_ledger(coverage)


def test_finding_json_follows_the_score_contract() -> None:
    finding = Finding("NO_SLA", "high", "No uptime promise.", "pack: uptime = none; https://x", 30)
    assert finding.to_json() == {
        "code": "NO_SLA",
        "severity": "high",
        "message": "No uptime promise.",
        "evidence": "pack: uptime = none; https://x",
        "points": 30,
    }


ASSET_VALUES = {
    "phone-number": "+1 512 555 0100",
    "domain": "shop.example",
    "email-address": "a@shop.example",
}


def _asset(kind: str, portable: bool | None) -> dict[str, Any]:
    return {"kind": kind, "value": ASSET_VALUES[kind], "portable": portable}


def _assets() -> st.SearchStrategy[list[dict[str, Any]]]:
    # Up to 13 assets, so some get a share of 0 of the 10 points and the split is tested.
    kinds = st.sampled_from(sorted(ASSET_VALUES))
    return st.lists(st.builds(_asset, kinds, st.sampled_from([None, True, False])), max_size=13)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    service=st.sampled_from([None, "google-voice", "gmail", "google-workspace", "zoho-crm"]),
    uptime=st.sampled_from([None, "none", 0.5, 98.0, 99.0, 99.5, 99.9, 100.0]),
    backed=st.sampled_from([None, True, False]),
    response=st.sampled_from([None, "30m", "4h", "3d"]),
    human=st.sampled_from([None, True, False]),
    export=st.sampled_from([None, True, False]),
    owner=st.sampled_from([None, "personal", "business"]),
    assets=_assets(),
    bars=st.lists(
        st.tuples(
            st.sampled_from(["critical", "high", "medium", "low"]),
            st.sampled_from(["1h", "4h", "1d", "1w"]),
        ),
        max_size=3,
    ),
)
def test_score_is_always_within_0_and_100_and_fully_explained(
    example: LoadedInventory,
    service: str | None,
    uptime: object,
    backed: bool | None,
    response: str | None,
    human: bool | None,
    export: bool | None,
    owner: str | None,
    assets: list[dict[str, Any]],
    bars: list[tuple[str, str]],
) -> None:
    sla = {
        "uptime": uptime,
        "financially_backed": backed,
        "support_response": response,
        "human_support": human,
        "data_export": export,
    }
    dep = dependency(
        service=service,
        sla={k: v for k, v in sla.items() if v is not None},
        assets=assets,
        **({"account": {"owner": owner, "id": "x"}} if owner else {}),
    )
    pack = example.catalog.get(service) if service else None
    coverage = sla_coverage(dep, pack, [function(c, r) for c, r in bars])
    assert 0 <= coverage.score <= 100
    assert all(f.points >= 0 for f in coverage.findings)
    assert_ledger(coverage)
    assert all(f.evidence and f.message for f in coverage.findings)
