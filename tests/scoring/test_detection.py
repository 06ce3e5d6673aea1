"""Detection coverage: layers, inbound channels, canaries on a path, and the 100-point ledger."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.inventory import Dependency, Inventory
from freecost.packs import Catalog, Pack, load_catalog
from freecost.scoring.detection import (
    FACTOR,
    LAYER_OF_TYPE,
    Detection,
    Watch,
    detection,
    function_end_to_end,
    is_inbound,
    needs_closure,
)
from freecost.scoring.sla import relying_functions

PHONE = {"kind": "phone-number", "value": "+1 512 555 0100"}
MAILBOX = {"kind": "email-address", "value": "hello@shop.example"}
DOMAIN = {"kind": "domain", "value": "shop.example"}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def inventory(functions: list[dict[str, Any]], dependencies: list[dict[str, Any]]) -> Inventory:
    """An inventory from compact dicts: a function needs ``needs``, a dependency is named by id."""
    return Inventory.model_validate(
        {
            "version": 1,
            "business": {"name": "Test Shop"},
            "functions": [
                {"name": f"Function {f['id']}", "criticality": "critical", "rto": "4h", **f}
                for f in functions
            ],
            "dependencies": [{"name": f"Service {d['id']}", **d} for d in dependencies],
        }
    )


def detect(
    inv: Inventory,
    watches: dict[str, list[Watch]] | None = None,
    packs: dict[str, Pack | None] | None = None,
) -> dict[str, Detection]:
    relying = {d.id: relying_functions(inv, d.id) for d in inv.dependencies}
    return detection(inv, watches or {}, packs or {}, relying)


def one(
    criticality: str = "critical",
    watches: list[Watch] | None = None,
    pack: Pack | None = None,
    **fields: Any,
) -> Detection:
    """Detection of a lone dependency ``dep`` that one function of ``criticality`` needs."""
    inv = inventory(
        [{"id": "f", "criticality": criticality, "needs": ["dep"]}], [{"id": "dep", **fields}]
    )
    return detect(inv, {"dep": watches or []}, {"dep": pack})["dep"]


def ledger(found: Detection) -> list[tuple[str, str, int]]:
    return [(f.code, f.severity, f.points) for f in found.findings]


HTTP = Watch("home", "http")
STATUS = Watch("vendor", "statuspage")
FRESH = Watch("fresh", "file-age")


# Layers and inbound channels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("check_type", "layer"),
    [
        ("http", "reachability"),
        ("tcp", "reachability"),
        ("tls", "reachability"),
        ("dns", "reachability"),
        ("smtp", "reachability"),
        ("imap", "reachability"),
        ("command", "reachability"),
        ("domain", "configuration"),
        ("mail-auth", "configuration"),
        ("statuspage", "status-page"),
        ("email-roundtrip", "end-to-end"),
        ("form", "end-to-end"),
        ("voice-call", "end-to-end"),
        ("sms", "end-to-end"),
        ("file-age", "backup"),
        ("no-such-type", None),
    ],
)
def test_layer_of_each_check_type(check_type: str, layer: str | None) -> None:
    assert Watch("c", check_type).layer == layer


def test_every_layer_has_a_check_type() -> None:
    assert set(LAYER_OF_TYPE.values()) == {
        "reachability",
        "configuration",
        "status-page",
        "end-to-end",
        "backup",
    }


@pytest.mark.parametrize(
    ("fields", "service", "expected"),
    [
        # What the inventory says beats the pack, both ways.
        ({"inbound": False}, "gmail", False),
        ({"inbound": True}, "zoho-crm", True),
        ({"inbound": False, "assets": [PHONE]}, None, False),
        # Else the pack says so.
        ({}, "gmail", True),
        ({}, "google-voice", True),
        ({}, "zoho-crm", False),
        # Else a phone number or an e-mail address customers use makes it a channel.
        ({"assets": [PHONE]}, None, True),
        ({"assets": [MAILBOX]}, "google-drive", True),
        # A domain alone is what the channels run on, not a channel.
        ({"assets": [DOMAIN]}, None, False),
        ({}, None, False),
    ],
)
def test_is_inbound(
    catalog: Catalog, fields: dict[str, Any], service: str | None, expected: bool
) -> None:
    dep = Dependency.model_validate({"id": "dep", "name": "The service", **fields})
    pack = catalog.get(service) if service else None
    assert is_inbound(dep, pack) is expected


# NOT_WATCHED ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criticality", "severity", "points"),
    [("critical", "high", 100), ("high", "medium", 80), ("medium", "low", 50), ("low", "low", 25)],
)
def test_not_watched(criticality: str, severity: str, points: int) -> None:
    found = one(criticality)
    assert ledger(found) == [("NOT_WATCHED", severity, points)]
    assert found.score == 100 - points
    assert (found.layers, found.end_to_end, found.end_to_end_via) == ((), False, ())
    [finding] = found.findings
    assert finding.message == (
        "Nothing watches Service dep: when it fails, the business hears it from a customer."
    )
    assert finding.evidence == "no checks on it and no end-to-end canary through it"


def test_not_watched_stops_there() -> None:
    # Nothing watches it, so the finer findings (canary, status page, expiry) would repeat it.
    found = one("critical", assets=[PHONE, DOMAIN])
    assert [f.code for f in found.findings] == ["NOT_WATCHED"]


def test_a_dependency_no_function_relies_on_counts_as_low() -> None:
    inv = inventory([{"id": "f", "needs": ["used"]}], [{"id": "used"}, {"id": "spare"}])
    found = detect(inv, {"used": [HTTP]})
    assert ledger(found["spare"]) == [("NOT_WATCHED", "low", round(100 * FACTOR["low"]))]
    assert found["used"].findings == []


# Canaries walk a function's path --------------------------------------------------------------

PATH_FUNCTIONS: list[dict[str, Any]] = [
    {"id": "enquiries", "needs": ["site"]},
    {"id": "records", "needs": ["crm"]},
]
PATH_DEPENDENCIES: list[dict[str, Any]] = [
    {"id": "dns"},
    {"id": "domain", "needs": ["dns"]},
    {"id": "site", "needs": ["domain"], "alternatives": ["backup"]},
    {"id": "backup"},
    {"id": "crm"},
]


def test_a_canary_covers_everything_its_function_needs_upstream() -> None:
    inv = inventory(PATH_FUNCTIONS, PATH_DEPENDENCIES)
    found = detect(inv, {"site": [Watch("contact-form", "form")], "crm": [HTTP]})
    for dep in ("site", "domain", "dns"):
        assert found[dep].end_to_end, dep
        assert found[dep].end_to_end_via == ("site/contact-form",)
        assert found[dep].findings == [], dep
    # Only the site is watched itself: the canary is its layer, not the others'.
    assert found["site"].layers == ("end-to-end",)
    assert found["dns"].layers == ()


def test_a_canary_upstream_covers_the_dependencies_that_need_it() -> None:
    inv = inventory(PATH_FUNCTIONS, PATH_DEPENDENCIES)
    found = detect(inv, {"dns": [Watch("roundtrip", "email-roundtrip")]})
    assert found["site"].end_to_end_via == ("dns/roundtrip",)
    assert found["site"].findings == []


def test_a_canary_does_not_cover_an_alternative_or_another_function() -> None:
    inv = inventory(PATH_FUNCTIONS, PATH_DEPENDENCIES)
    found = detect(inv, {"site": [Watch("contact-form", "form")]})
    # The backup stands in for the site, but the canary walks the site, not the backup.
    assert [f.code for f in found["backup"].findings] == ["NOT_WATCHED"]
    assert not found["backup"].end_to_end
    assert [f.code for f in found["crm"].findings] == ["NOT_WATCHED"]


def test_canaries_on_a_shared_dependency_are_listed_sorted() -> None:
    inv = inventory(
        [{"id": "a", "needs": ["web"]}, {"id": "b", "needs": ["mail"]}],
        [{"id": "dns"}, {"id": "web", "needs": ["dns"]}, {"id": "mail", "needs": ["dns"]}],
    )
    watches = {"web": [Watch("z-form", "form")], "mail": [Watch("a-trip", "email-roundtrip")]}
    found = detect(inv, watches)
    assert found["dns"].end_to_end_via == ("mail/a-trip", "web/z-form")
    assert found["web"].end_to_end_via == ("web/z-form",)
    assert function_end_to_end(inv, watches, inv.function("b")) == ["mail/a-trip"]


def test_needs_closure_follows_needs_not_alternatives() -> None:
    inv = inventory(PATH_FUNCTIONS, PATH_DEPENDENCIES)
    assert needs_closure(inv, ["site"]) == {"site", "domain", "dns"}
    assert needs_closure(inv, []) == set()


# NO_CANARY ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("criticality", "severity", "points"), [("critical", "high", 60), ("high", "medium", 48)]
)
def test_no_canary_on_an_inbound_channel(criticality: str, severity: str, points: int) -> None:
    found = one(criticality, [HTTP], assets=[PHONE])
    assert ledger(found) == [("NO_CANARY", severity, points)]
    assert found.score == 100 - points
    assert found.inbound
    [finding] = found.findings
    assert finding.evidence == "inbound channel for: Function f; watched by: home (http)"
    assert finding.message.startswith("Customers reach the business through Service dep,")


@pytest.mark.parametrize("criticality", ["medium", "low"])
def test_no_canary_only_for_critical_and_high_functions(criticality: str) -> None:
    assert one(criticality, [HTTP], assets=[PHONE]).findings == []


def test_no_canary_only_for_inbound_channels() -> None:
    assert one("critical", [HTTP], inbound=False, assets=[PHONE]).findings == []
    assert one("critical", [HTTP]).findings == []


def test_a_canary_answers_no_canary() -> None:
    found = one("critical", [HTTP, Watch("ring", "voice-call")], assets=[PHONE])
    assert found.findings == []
    assert found.end_to_end_via == ("dep/ring",)
    assert found.layers == ("reachability", "end-to-end")


def test_no_canary_names_every_function_on_the_path() -> None:
    inv = inventory(
        [
            {"id": "calls", "name": "Callers reach us", "criticality": "high", "needs": ["voice"]},
            {
                "id": "texts",
                "name": "Texts reach us",
                "criticality": "critical",
                "needs": ["voice"],
            },
        ],
        [{"id": "voice", "assets": [PHONE]}],
    )
    [finding] = detect(inv, {"voice": [HTTP]})["voice"].findings
    assert (finding.severity, finding.points) == ("high", 60)
    assert finding.evidence.startswith("inbound channel for: Callers reach us; Texts reach us;")


# NO_REACHABILITY, NO_VENDOR_STATUS, NO_EXPIRY_WATCH ---------------------------------------------


@pytest.mark.parametrize(
    ("criticality", "points"), [("critical", 25), ("high", 20), ("medium", 12), ("low", 6)]
)
def test_no_reachability(criticality: str, points: int) -> None:
    found = one(criticality, [FRESH])
    assert ledger(found) == [("NO_REACHABILITY", "low", points)]
    assert found.findings[0].message == (
        "No check tests whether Service dep answers from here; only backup watches it."
    )
    assert found.findings[0].evidence == "watched by: fresh (file-age)"


@pytest.mark.parametrize("watch", [HTTP, Watch("records", "dns"), Watch("expiry", "domain")])
def test_reachability_or_configuration_answers_no_reachability(watch: Watch) -> None:
    assert one("critical", [watch]).findings == []


def test_no_reachability_is_skipped_when_a_canary_covers_it() -> None:
    inv = inventory(
        [{"id": "f", "needs": ["web"]}], [{"id": "store"}, {"id": "web", "needs": ["store"]}]
    )
    alone = detect(inv, {"store": [FRESH], "web": [HTTP]})
    assert [f.code for f in alone["store"].findings] == ["NO_REACHABILITY"]
    covered = detect(inv, {"store": [FRESH], "web": [Watch("contact", "form")]})
    assert covered["store"].findings == []


def test_no_vendor_status_when_the_pack_has_a_page_nobody_reads(catalog: Catalog) -> None:
    pack = catalog.get("google-drive")
    assert pack.status_page is not None
    found = one("high", [HTTP], pack=pack, service="google-drive")
    assert ledger(found) == [("NO_VENDOR_STATUS", "low", 12)]
    assert found.findings[0].evidence == f"status page: {pack.status_page.url}"
    assert one("high", [HTTP, STATUS], pack=pack, service="google-drive").findings == []


def test_no_vendor_status_needs_a_status_page(catalog: Catalog) -> None:
    pack = catalog.get("zoho-crm")
    assert pack.status_page is None
    assert one("critical", [HTTP], pack=pack, service="zoho-crm").findings == []


@pytest.mark.parametrize(
    ("criticality", "severity", "points"),
    [("critical", "high", 25), ("high", "medium", 20), ("medium", "low", 12), ("low", "low", 6)],
)
def test_no_expiry_watch_for_a_domain(criticality: str, severity: str, points: int) -> None:
    found = one(criticality, [Watch("mx", "dns")], assets=[DOMAIN])
    assert ledger(found) == [("NO_EXPIRY_WATCH", severity, points)]
    assert found.findings[0].evidence == "domain assets: shop.example"


def test_a_domain_check_answers_no_expiry_watch() -> None:
    assert one("critical", [Watch("expiry", "domain")], assets=[DOMAIN]).findings == []
    # Another configuration check does not watch the registration.
    found = one("critical", [Watch("spf", "mail-auth")], assets=[DOMAIN])
    assert [f.code for f in found.findings] == ["NO_EXPIRY_WATCH"]


# The ledger -----------------------------------------------------------------------------------


def test_the_cap_comes_off_the_last_findings(catalog: Catalog) -> None:
    # 60 + 25 + 15 + 25 = 125: the last finding gives up its 25.
    found = one("critical", [FRESH], pack=catalog.get("gmail"), service="gmail", assets=[DOMAIN])
    assert ledger(found) == [
        ("NO_CANARY", "high", 60),
        ("NO_REACHABILITY", "low", 25),
        ("NO_VENDOR_STATUS", "low", 15),
        ("NO_EXPIRY_WATCH", "high", 0),
    ]
    assert found.score == 0


def test_detection_json() -> None:
    found = one("critical", [HTTP, Watch("ring", "voice-call")], assets=[PHONE])
    assert found.to_json() == {
        "layers": ["reachability", "end-to-end"],
        "end_to_end": True,
        "end_to_end_via": ["dep/ring"],
        "inbound": True,
    }


def test_an_alternatives_own_canary_covers_it() -> None:
    inv = inventory(
        [{"id": "calls", "needs": ["voice"]}],
        [{"id": "voice", "alternatives": ["mobile"]}, {"id": "mobile", "assets": [PHONE]}],
    )
    found = detect(inv, {"voice": [HTTP], "mobile": [Watch("ring", "voice-call")]})
    assert found["mobile"].end_to_end_via == ("mobile/ring",)
    assert found["mobile"].findings == []


TYPES = sorted(LAYER_OF_TYPE)
PROPERTY_DEPENDENCIES: list[dict[str, Any]] = [
    {"id": "registrar", "assets": [DOMAIN]},
    {"id": "mail", "service": "gmail", "needs": ["registrar"], "alternatives": ["mobile"]},
    {"id": "mobile", "assets": [PHONE]},
    {"id": "files", "service": "google-drive"},
    {"id": "crm", "service": "zoho-crm", "inbound": True},
]


@settings(max_examples=200, deadline=None)
@given(
    criticalities=st.tuples(*[st.sampled_from(sorted(FACTOR))] * 3),
    watched=st.dictionaries(
        st.sampled_from([d["id"] for d in PROPERTY_DEPENDENCIES]),
        st.lists(st.sampled_from(TYPES), max_size=4),
    ),
)
def test_every_lost_point_is_carried_by_a_finding(
    catalog: Catalog, criticalities: tuple[str, str, str], watched: dict[str, list[str]]
) -> None:
    inv = inventory(
        [
            {"id": "email", "criticality": criticalities[0], "needs": ["mail"]},
            {"id": "files", "criticality": criticalities[1], "needs": ["files"]},
            {"id": "records", "criticality": criticalities[2], "needs": ["crm", "files"]},
        ],
        PROPERTY_DEPENDENCIES,
    )
    watches = {
        dep: [Watch(f"c{i}", kind) for i, kind in enumerate(kinds)]
        for dep, kinds in watched.items()
    }
    packs = {d.id: catalog.get(d.service) if d.service else None for d in inv.dependencies}
    for dep, found in detect(inv, watches, packs).items():
        points = [f.points for f in found.findings]
        assert found.score + sum(points) == 100, dep
        assert 0 <= found.score <= 100
        assert all(p >= 0 for p in points)
        assert found.end_to_end == bool(found.end_to_end_via)
        codes = [f.code for f in found.findings]
        assert len(codes) == len(set(codes))
        blind = not watches.get(dep) and not found.end_to_end
        assert (codes == ["NOT_WATCHED"]) is blind
