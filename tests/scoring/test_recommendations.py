"""Recommendations: ranking, quick actions for each finding, claims and priced migrations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from freecost.inventory import Dependency
from freecost.packs import Catalog, Lifecycle, Pack, Plan, load_catalog
from freecost.scoring.findings import Finding
from freecost.scoring.recommendations import (
    Claim,
    Effort,
    Kind,
    Recommendation,
    rank,
    recommend,
)

PHONE = {"kind": "phone-number", "value": "+1 512 555 0100"}
MAILBOX = {"kind": "email-address", "value": "hello@shop.example"}
DOMAIN = {"kind": "domain", "value": "shop.example"}
SOURCE = "https://example.com/terms"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def dependency(**fields: Any) -> Dependency:
    return Dependency.model_validate({"id": "dep", "name": "The service", **fields})


def finding(code: str, points: int) -> Finding:
    return Finding(code, "medium", f"{code} message", f"{code} evidence", points)


def no_contract_risk(dependency: Dependency, pack: Pack | None) -> int:
    return 0


def quick(
    dep: Dependency, pack: Pack | None, *found: Finding, claims: list[Claim] | None = None
) -> list[Recommendation]:
    """``recommend`` with no catalog to migrate to, so only quick actions and claims remain."""
    return recommend(dep, pack, found, {}, claims or [], no_contract_risk)


def summary(found: list[Recommendation]) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(r.kind, r.effort, r.risk_removed, r.addresses) for r in found]


# Ranking --------------------------------------------------------------------------------------


def rec(
    action: str,
    kind: Kind = "quick",
    effort: Effort = "low",
    risk: int = 0,
    deadline: date | None = None,
) -> Recommendation:
    return Recommendation("dep", kind, action, "why", effort, None, risk, (), deadline)


def test_rank_claims_first_by_deadline_then_risk_removed_per_effort() -> None:
    found = [
        rec("migrate-high-16", "migration", "high", 16),  # 2 per unit of effort
        rec("quick-low-3", risk=3),  # 3
        rec("claim-late", "claim", deadline=date(2026, 5, 1)),
        rec("quick-medium-9", effort="medium", risk=9),  # 3, but removes more
        rec("migrate-low-3", "migration", risk=3),  # 3, but a migration
        rec("claim-soon", "claim", deadline=date(2026, 4, 1)),
        rec("quick-medium-2", effort="medium", risk=2),  # 0.67
    ]
    assert [r.action for r in rank(found)] == [
        "claim-soon",
        "claim-late",
        "quick-medium-9",
        "quick-low-3",
        "migrate-low-3",
        "migrate-high-16",
        "quick-medium-2",
    ]


def test_rank_breaks_a_full_tie_by_action() -> None:
    found = [rec("b", risk=5), rec("a", risk=5), rec("z", "claim"), rec("y", "claim")]
    assert [r.action for r in rank(found)] == ["y", "z", "a", "b"]


@pytest.mark.parametrize(("effort", "value"), [("low", 24.0), ("medium", 8.0), ("high", 3.0)])
def test_value_is_risk_removed_per_effort(effort: Effort, value: float) -> None:
    assert rec("x", effort=effort, risk=24).value == value


# Quick actions --------------------------------------------------------------------------------


def test_personal_account() -> None:
    dep = dependency(assets=[PHONE, MAILBOX])
    [found] = quick(dep, None, finding("PERSONAL_ACCOUNT", 4), finding("PERSONAL_ACCOUNT", 3))
    assert summary([found]) == [("quick", "medium", 7, ("PERSONAL_ACCOUNT",))]
    assert found.action == (
        "Move The service to an account the business owns, with +15125550100, hello@shop.example"
    )
    assert found.monthly_cost is None
    [bare] = quick(dependency(), None, finding("PERSONAL_ACCOUNT", 4))
    assert bare.action == "Move The service to an account the business owns"


@pytest.mark.parametrize(
    ("service", "assets", "action"),
    [
        ("google-voice", [], "Add a voice-call canary to The service"),
        ("gmail", [PHONE], "Add an email-roundtrip canary to The service"),
        ("squarespace", [], "Add a form canary to The service"),
        # No pack category says, so the asset does.
        (None, [MAILBOX, PHONE], "Add an email-roundtrip canary to The service"),
        ("zoho-crm", [PHONE], "Add a voice-call canary to The service"),
        (None, [DOMAIN], "Add an end-to-end canary to The service"),
    ],
)
def test_no_canary_also_answers_no_reachability(
    catalog: Catalog, service: str | None, assets: list[dict[str, str]], action: str
) -> None:
    pack = catalog.get(service) if service else None
    found = quick(
        dependency(service=service, assets=assets),
        pack,
        finding("NO_CANARY", 15),
        finding("NO_REACHABILITY", 6),
    )
    assert summary(found) == [("quick", "low", 21, ("NO_CANARY", "NO_REACHABILITY"))]
    assert found[0].action == action


def test_no_finding_is_answered_twice_whatever_the_order() -> None:
    found = quick(dependency(), None, finding("NO_REACHABILITY", 6), finding("NO_CANARY", 15))
    assert sum(r.risk_removed for r in found) == 21
    assert sorted(c for r in found for c in r.addresses) == ["NO_CANARY", "NO_REACHABILITY"]


def test_no_reachability_alone() -> None:
    [found] = quick(dependency(), None, finding("NO_REACHABILITY", 6))
    assert summary([found]) == [("quick", "low", 6, ("NO_REACHABILITY",))]
    assert found.action == "Add a reachability check (http, tls or dns) for The service"


@pytest.mark.parametrize(
    ("fields", "service", "action"),
    [
        ({}, "gmail", "Watch The service: add the gmail pack's default checks"),
        # The inventory chose its own checks, so the pack's defaults are not the answer.
        ({"checks": []}, "gmail", "Watch The service: add an email-roundtrip canary"),
        # A pack without default checks and without a canary for its category.
        (
            {},
            "evernote-free",
            "Watch The service: add a check that proves it answers (http, tcp "
            "or dns), or a canary through a service that needs it",
        ),
        ({"assets": [PHONE]}, None, "Watch The service: add a voice-call canary"),
        (
            {"assets": [DOMAIN]},
            None,
            "Watch The service: add a domain check and dns checks on its NS and MX records",
        ),
    ],
)
def test_not_watched(
    catalog: Catalog, fields: dict[str, Any], service: str | None, action: str
) -> None:
    pack = catalog.get(service) if service else None
    [found] = quick(dependency(service=service, **fields), pack, finding("NOT_WATCHED", 25))
    assert summary([found]) == [("quick", "low", 25, ("NOT_WATCHED",))]
    assert found.action == action


def test_no_vendor_status(catalog: Catalog) -> None:
    pack = catalog.get("gmail")
    assert pack.status_page is not None
    [found] = quick(dependency(service="gmail"), pack, finding("NO_VENDOR_STATUS", 4))
    assert summary([found]) == [("quick", "low", 4, ("NO_VENDOR_STATUS",))]
    assert found.action == (
        f"Read the vendor's status page for The service ({pack.status_page.provider} page at "
        f"{pack.status_page.url}): add a statuspage check"
    )


def test_no_expiry_watch() -> None:
    dep = dependency(assets=[DOMAIN, PHONE, {"kind": "domain", "value": "shop.example.org"}])
    [found] = quick(dep, None, finding("NO_EXPIRY_WATCH", 6))
    assert summary([found]) == [("quick", "low", 6, ("NO_EXPIRY_WATCH",))]
    assert found.action == (
        "Turn on registrar lock and auto-renew for shop.example, shop.example.org, "
        "and add a domain check"
    )


@pytest.mark.parametrize(
    ("service", "assets", "start", "effort"),
    [
        ("zoho-crm", [], "Export The service data weekly to storage outside its account", "low"),
        ("google-drive", [DOMAIN], "Export The service data weekly", "low"),
        ("namecheap", [], "Add a second DNS provider and a backup MX for the domain", "medium"),
        (None, [DOMAIN, PHONE], "Add a second DNS provider", "medium"),
        ("google-voice", [], "Keep a second number (a mobile or another provider)", "medium"),
        (None, [PHONE], "Keep a second number", "medium"),
        ("gmail", [], "Give e-mail a second path", "medium"),
        (None, [MAILBOX], "Give e-mail a second path", "medium"),
        ("slack-free", [], "Add an independent alternative for The service", "high"),
        (None, [], "Add an independent alternative for The service", "high"),
    ],
)
def test_single_point_of_failure_by_category(
    catalog: Catalog, service: str | None, assets: list[dict[str, str]], start: str, effort: str
) -> None:
    pack = catalog.get(service) if service else None
    dep = dependency(service=service, assets=assets)
    [found] = quick(dep, pack, finding("SINGLE_POINT_OF_FAILURE", 15))
    assert found.action.startswith(start)
    assert summary([found]) == [("quick", effort, 15, ("SINGLE_POINT_OF_FAILURE",))]


def test_hollow_alternative() -> None:
    [found] = quick(dependency(), None, finding("HOLLOW_ALTERNATIVE", 4))
    assert found.action == "Move the alternatives of The service to another account or vendor"
    assert (found.effort, found.risk_removed) == ("medium", 4)


def test_zero_risk_and_unknown_codes_give_no_quick_action() -> None:
    assert quick(dependency(), None, finding("NOT_WATCHED", 0), finding("NO_SLA", 9)) == []


def test_claims_are_kept_and_come_first() -> None:
    claims = [
        Claim("2026-03", "25% of the monthly fee", date(2026, 5, 15)),
        Claim("2026-02", "10% of the monthly fee", date(2026, 4, 15)),
    ]
    found = quick(dependency(), None, finding("NOT_WATCHED", 25), claims=claims)
    assert [(r.kind, r.deadline) for r in found] == [
        ("claim", date(2026, 4, 15)),
        ("claim", date(2026, 5, 15)),
        ("quick", None),
    ]
    first = found[0]
    assert first.action == "Claim the service credit for 2026-02 from The service by 2026-04-15"
    assert first.why == (
        "Observed uptime in 2026-02 was below the promise; the contract owes "
        "10% of the monthly fee."
    )
    assert (first.risk_removed, first.addresses, first.effort) == (0, ("SLA_BREACHED",), "low")
    assert first.to_json()["deadline"] == "2026-04-15"


def test_recommendations_are_ranked() -> None:
    found = quick(
        dependency(assets=[PHONE]),
        None,
        finding("SINGLE_POINT_OF_FAILURE", 15),  # medium effort: 5 a unit
        finding("PERSONAL_ACCOUNT", 6),  # medium: 2
        finding("NO_EXPIRY_WATCH", 6),  # low: 6
    )
    assert [r.addresses[0] for r in found] == [
        "NO_EXPIRY_WATCH",
        "SINGLE_POINT_OF_FAILURE",
        "PERSONAL_ACCOUNT",
    ]


def test_recommendation_json() -> None:
    found = Recommendation("dep", "migration", "Move", "Why.", "high", 12.5, 7, ("A", "B"))
    assert found.to_json() == {
        "dependency": "dep",
        "kind": "migration",
        "action": "Move",
        "why": "Why.",
        "effort": "high",
        "monthly_cost": 12.5,
        "risk_removed": 7,
        "addresses": ["A", "B"],
        "deadline": None,
    }


# Migrations -----------------------------------------------------------------------------------


class ContractRisk:
    """A contract risk per service, recording what it was asked to score."""

    def __init__(self, by_service: dict[str | None, int]) -> None:
        self.by_service = by_service
        self.asked: list[tuple[str, str | None, str | None]] = []

    def __call__(self, dependency: Dependency, pack: Pack | None) -> int:
        self.asked.append((dependency.id, dependency.service, dependency.plan))
        return self.by_service[dependency.service]


def migrations(
    found: list[Recommendation],
) -> list[tuple[str, str, float | None, int, tuple[str, ...]]]:
    return [
        (r.action, r.effort, r.monthly_cost, r.risk_removed, r.addresses)
        for r in found
        if r.kind == "migration"
    ]


def test_migrations_from_a_discontinued_service(catalog: Catalog) -> None:
    skype = catalog.get("skype")
    dep = dependency(service="skype", plan="free")
    risk = ContractRisk({"skype": 30, "microsoft-365": 10, "zoom-basic": 25, "twilio": 40})
    found = recommend(
        dep,
        skype,
        [finding("SERVICE_DISCONTINUED", 60), finding("NO_SLA", 10)],
        catalog.packs,
        [],
        risk,
    )
    # Ranked by risk removed per effort; the lifecycle's 60 comes with every active target.
    assert migrations(found) == [
        # (30 - 25) + 60 = 65 at low effort
        (
            "Move The service to Zoom (Basic, free) (Basic (free))",
            "low",
            0.0,
            65,
            ("SERVICE_DISCONTINUED",),
        ),
        # (30 - 10) + 60 = 80 at medium effort: 26.7 a unit
        (
            "Move The service to Microsoft 365 (business plans) "
            "(Business plans (Basic, Standard, Premium))",
            "medium",
            None,
            80,
            ("SERVICE_DISCONTINUED",),
        ),
        # The contract would get worse (never below 0 saved), but the move still ends it: 60.
        (
            "Move The service to Twilio (voice and messaging APIs) (Pay as you go)",
            "high",
            None,
            60,
            ("SERVICE_DISCONTINUED",),
        ),
    ]
    assert [r.kind for r in found] == ["migration"] * 3
    # Each target is scored on its first plan.
    assert risk.asked == [
        ("dep", "skype", "free"),
        ("dep", "microsoft-365", "business"),
        ("dep", "zoom-basic", "basic"),
        ("dep", "twilio", "pay-as-you-go"),
    ]
    zoom = next(t for t in skype.migration_targets if t.service == "zoom-basic")
    assert found[0].why.startswith(f"{zoom.why} Its terms: ")


def test_unknown_targets_are_skipped(catalog: Catalog) -> None:
    known = {k: v for k, v in catalog.packs.items() if k != "twilio"}
    risk = ContractRisk({"skype": 30, "microsoft-365": 10, "zoom-basic": 25})
    found = recommend(dependency(service="skype"), catalog.get("skype"), [], known, [], risk)
    assert [r.action.split(" to ")[1].split(" (")[0] for r in found] == ["Microsoft 365", "Zoom"]


def test_no_pack_no_migration() -> None:
    risk = ContractRisk({None: 35})
    assert recommend(dependency(), None, [finding("NO_SLA", 35)], {}, [], risk) == []
    assert risk.asked == []


def test_a_migration_that_saves_nothing_is_dropped(catalog: Catalog) -> None:
    # gmail's targets are active and gmail is active: nothing to save when the contract is as bad.
    risk = ContractRisk({"gmail": 20, "google-workspace": 20, "microsoft-365": 25})
    assert (
        recommend(dependency(service="gmail"), catalog.get("gmail"), [], catalog.packs, [], risk)
        == []
    )


def ended(pack: Pack) -> Pack:
    lifecycle = Lifecycle.model_validate(
        {
            "status": "discontinued",
            "discontinued": date(2025, 1, 1),
            "source": SOURCE,
            "checked": date(2026, 1, 5),
        }
    )
    return pack.model_copy(update={"lifecycle": lifecycle})


def test_lifecycle_points_only_when_the_target_is_active(catalog: Catalog) -> None:
    packs = {**catalog.packs, "zoom-basic": ended(catalog.get("zoom-basic"))}
    risk = ContractRisk({"skype": 30, "microsoft-365": 30, "zoom-basic": 20, "twilio": 30})
    found = recommend(
        dependency(service="skype"),
        catalog.get("skype"),
        [finding("SERVICE_DISCONTINUED", 60)],
        packs,
        [],
        risk,
    )
    by_target = {r.action.split(" to ")[1].split(" (")[0]: r for r in found}
    assert (by_target["Zoom"].risk_removed, by_target["Zoom"].addresses) == (10, ())
    assert (by_target["Microsoft 365"].risk_removed, by_target["Microsoft 365"].addresses) == (
        60,
        ("SERVICE_DISCONTINUED",),
    )


def test_migration_priced_from_the_first_plan(catalog: Catalog) -> None:
    zoom = catalog.get("zoom-basic")
    terms = zoom.plans[0].model_dump(mode="json")
    terms["monthly_cost"] = {"value": 12.5, "source": SOURCE, "checked": "2026-01-05"}
    terms["sla"]["uptime"] = {"value": 99.9, "source": SOURCE, "checked": "2026-01-05"}
    terms["sla"]["financially_backed"] = {"value": True, "source": SOURCE, "checked": "2026-01-05"}
    terms["support"]["response"] = {"value": "4h", "source": SOURCE, "checked": "2026-01-05"}
    second = {**terms, "id": "pro", "name": "Pro"}
    second["monthly_cost"] = {"value": 99.0, "source": SOURCE, "checked": "2026-01-05"}
    priced = zoom.model_copy(
        update={"plans": [Plan.model_validate(terms), Plan.model_validate(second)]}
    )
    skype = catalog.get("skype")
    target = next(t for t in skype.migration_targets if t.service == "zoom-basic")
    risk = ContractRisk({"skype": 30, "zoom-basic": 5})
    [found] = recommend(dependency(service="skype"), skype, [], {"zoom-basic": priced}, [], risk)
    assert (found.monthly_cost, found.risk_removed, found.addresses) == (12.5, 25, ())
    assert found.why == (
        f"{target.why} Its terms: 99.9% uptime with service credits; "
        "support response within 4h; 12.5 a month (per-account)."
    )
