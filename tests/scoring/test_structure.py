"""Structure: single points of failure, shared-fate pairs, hollow alternatives, blast radius."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from freecost.inventory import Dependency, Inventory, LoadedInventory, load_inventory
from freecost.scoring.graph import Graph, graph_of, vendor_from_catalog
from freecost.scoring.structure import FunctionCuts, Structure, function_cuts, structure

EXAMPLE = Path(__file__).resolve().parents[2] / "inventory.example.yaml"


def inventory(functions: list[dict[str, Any]], dependencies: list[dict[str, Any]]) -> Inventory:
    """An inventory from compact dicts; names are derived from ids."""
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


def vendor(dependency: Dependency) -> str | None:
    return dependency.vendor


def analyse(inv: Inventory) -> tuple[Graph, dict[str, FunctionCuts], dict[str, Structure]]:
    graph = graph_of(inv, vendor)
    cuts = function_cuts(inv, graph)
    return graph, cuts, structure(inv, graph, cuts)


def ledger(found: Structure) -> list[tuple[str, str, int]]:
    return [(f.code, f.severity, f.points) for f in found.findings]


# Points and severities by criticality ---------------------------------------------------------


@pytest.mark.parametrize(
    ("criticality", "severity", "points"),
    [
        ("critical", "critical", 60),
        ("high", "high", 48),
        ("medium", "medium", 30),
        ("low", "low", 15),
    ],
)
def test_single_point_of_failure(criticality: str, severity: str, points: int) -> None:
    inv = inventory(
        [{"id": "f", "name": "Calls", "criticality": criticality, "needs": ["a"]}], [{"id": "a"}]
    )
    _, _, found = analyse(inv)
    assert ledger(found["a"]) == [("SINGLE_POINT_OF_FAILURE", severity, points)]
    assert found["a"].score == 100 - points
    assert found["a"].spof
    assert found["a"].blast_radius == ("f",)
    [finding] = found["a"].findings
    assert finding.message == 'When Service a fails, "Calls" stops: nothing stands in.'
    assert finding.evidence == "single point of failure for: f"


def test_the_most_critical_function_sets_the_spof_points() -> None:
    inv = inventory(
        [
            {"id": "files", "name": "Files", "criticality": "low", "needs": ["a"]},
            {"id": "web", "name": "Web", "criticality": "high", "needs": ["a"]},
        ],
        [{"id": "a"}],
    )
    [finding] = analyse(inv)[2]["a"].findings
    assert (finding.severity, finding.points) == ("high", 48)
    assert finding.evidence == "single point of failure for: files, web"
    assert finding.message == 'When Service a fails, "Files"; "Web" stops: nothing stands in.'


@pytest.mark.parametrize(
    ("criticality", "severity", "points"),
    [("critical", "medium", 25), ("high", "medium", 20), ("medium", "low", 12), ("low", "low", 6)],
)
def test_shared_fate(criticality: str, severity: str, points: int) -> None:
    inv = inventory(
        [{"id": "f", "name": "Calls", "criticality": criticality, "needs": ["a"]}],
        [{"id": "a", "alternatives": ["b"]}, {"id": "b"}],
    )
    _, cuts, found = analyse(inv)
    assert cuts["f"].single == ()
    assert cuts["f"].pairs == (("a", "b"),)
    for dep, partner in (("a", "b"), ("b", "a")):
        assert ledger(found[dep]) == [("SHARED_FATE", severity, points)]
        assert not found[dep].spof
        assert found[dep].blast_radius == ()
        [finding] = found[dep].findings
        assert (
            finding.message
            == f'Service {dep} failing together with Service {partner} stops "Calls".'
        )
        assert finding.evidence == "shared-fate pairs: f: a + b"


def test_shared_fate_with_several_partners() -> None:
    inv = inventory(
        [{"id": "f", "name": "Calls", "needs": ["a"]}],
        [{"id": "login"}, {"id": "a", "needs": ["login"], "alternatives": ["c"]}, {"id": "c"}],
    )
    _, cuts, found = analyse(inv)
    assert cuts["f"].pairs == (("login", "c"), ("a", "c"))
    [finding] = found["c"].findings
    assert finding.message == (
        'Service c failing together with either Service a or Service login stops "Calls".'
    )
    assert finding.evidence == "shared-fate pairs: f: login + c; f: a + c"


@pytest.mark.parametrize(
    ("criticality", "severity", "points"),
    [("critical", "medium", 15), ("high", "medium", 12), ("medium", "low", 8), ("low", "low", 4)],
)
def test_hollow_alternative(criticality: str, severity: str, points: int) -> None:
    login = {"owner": "personal", "id": "chris@gmail.com"}
    inv = inventory(
        [{"id": "f", "criticality": criticality, "needs": ["a"]}],
        [
            {"id": "a", "account": login, "alternatives": ["b"]},
            {"id": "b", "account": {**login, "id": "Chris@Gmail.com"}},
        ],
    )
    found = analyse(inv)[2]
    assert [f.code for f in found["a"].findings] == ["SHARED_FATE", "HOLLOW_ALTERNATIVE"]
    hollow = found["a"].findings[1]
    assert (hollow.severity, hollow.points) == (severity, points)
    assert hollow.evidence == "b shares account:chris@gmail.com"
    assert hollow.message == (
        "Service b would fail together with Service a, so it is no real alternative."
    )
    # The backup backs up nothing itself, so only the primary carries the finding.
    assert [f.code for f in found["b"].findings] == ["SHARED_FATE"]
    assert found["a"].failure_domains == ("account:chris@gmail.com",)


def test_every_finding_together() -> None:
    # a is a SPOF for one (its backup b runs on a, so it is hollow too) and in a pair for two.
    inv = inventory(
        [{"id": "one", "needs": ["a"]}, {"id": "two", "needs": ["x"]}],
        [
            {"id": "a", "vendor": "acme", "alternatives": ["b"]},
            {"id": "b", "needs": ["a"]},
            {"id": "x", "alternatives": ["a"]},
        ],
    )
    found = analyse(inv)[2]
    assert ledger(found["a"]) == [
        ("SINGLE_POINT_OF_FAILURE", "critical", 60),
        ("SHARED_FATE", "medium", 25),
        ("HOLLOW_ALTERNATIVE", "medium", 15),
    ]
    assert found["a"].findings[2].evidence == "b shares vendor:acme"
    assert found["a"].score == 0
    assert found["a"].blast_radius == ("one",)


# Blast radius, shared fate and cut sets --------------------------------------------------------


def test_blast_radius_lists_the_functions_in_inventory_order() -> None:
    inv = inventory(
        [
            {"id": "web", "needs": ["site"]},
            {"id": "phone", "needs": ["voice"]},
            {"id": "mail", "needs": ["mailbox"]},
        ],
        [
            {"id": "dns"},
            {"id": "site", "needs": ["dns"]},
            {"id": "mailbox", "needs": ["dns"]},
            {"id": "voice"},
        ],
    )
    found = analyse(inv)[2]
    assert found["dns"].blast_radius == ("web", "mail")
    assert found["voice"].blast_radius == ("phone",)


def test_shared_fate_is_upstream_and_same_domain_in_graph_order() -> None:
    inv = inventory(
        [{"id": "f", "needs": ["app"]}],
        [
            {"id": "other", "vendor": "acme"},
            {"id": "app", "vendor": "acme", "needs": ["login"]},
            {"id": "unrelated", "vendor": "elsewhere"},
            {"id": "login", "needs": ["root"]},
            {"id": "root"},
            {"id": "downstream", "needs": ["app"]},
        ],
    )
    found = analyse(inv)[2]
    # What app needs (transitively) and what shares its vendor; not what needs app.
    assert found["app"].shared_fate == ("other", "login", "root")
    assert found["root"].shared_fate == ()
    # Only its own failure domains are compared, not those of what it needs.
    assert found["downstream"].shared_fate == ("app", "login", "root")


def test_function_cuts_order() -> None:
    inv = inventory(
        [{"id": "f", "needs": ["z", "m"]}],
        [
            {"id": "a"},
            {"id": "m", "alternatives": ["b"]},
            {"id": "b"},
            {"id": "z", "needs": ["a"]},
        ],
    )
    cuts = analyse(inv)[1]["f"]
    # Singles by graph order, not by the order the function names them.
    assert cuts.single == ("a", "z")
    assert cuts.pairs == (("m", "b"),)
    assert cuts.to_json() == {
        "single_points_of_failure": ["a", "z"],
        "shared_fate_pairs": [["m", "b"]],
    }


def test_an_independent_alternative_removes_the_spof_finding() -> None:
    functions = [{"id": "f", "needs": ["voice"]}]
    before = analyse(inventory(functions, [{"id": "voice", "vendor": "google"}]))[2]
    assert [f.code for f in before["voice"].findings] == ["SINGLE_POINT_OF_FAILURE"]
    after = analyse(
        inventory(
            functions,
            [
                {"id": "voice", "vendor": "google", "alternatives": ["mobile"]},
                {"id": "mobile", "vendor": "carrier"},
            ],
        )
    )[2]
    assert [f.code for f in after["voice"].findings] == ["SHARED_FATE"]
    assert not after["voice"].spof
    assert after["voice"].score == 75


# The example business -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def example() -> LoadedInventory:
    return load_inventory(EXAMPLE)


@pytest.mark.parametrize(
    ("dependency", "score", "spof", "blast", "codes"),
    [
        (
            "google-account",
            15,
            True,
            ("email", "client-files"),
            ["SINGLE_POINT_OF_FAILURE", "SHARED_FATE"],
        ),
        ("google-voice", 75, False, (), ["SHARED_FATE"]),
        ("mobile-line", 75, False, (), ["SHARED_FATE"]),
        ("domain", 40, True, ("email", "web-enquiries"), ["SINGLE_POINT_OF_FAILURE"]),
        ("website", 52, True, ("web-enquiries",), ["SINGLE_POINT_OF_FAILURE"]),
        ("crm", 80, False, (), ["SHARED_FATE"]),
        ("google-drive", 70, True, ("client-files",), ["SINGLE_POINT_OF_FAILURE"]),
    ],
)
def test_example_business(
    example: LoadedInventory,
    dependency: str,
    score: int,
    spof: bool,
    blast: tuple[str, ...],
    codes: list[str],
) -> None:
    graph = graph_of(example.inventory, vendor_from_catalog(example))
    found = structure(example.inventory, graph, function_cuts(example.inventory, graph))
    shape = found[dependency]
    assert (shape.score, shape.spof, shape.blast_radius) == (score, spof, blast)
    assert [f.code for f in shape.findings] == codes
    assert shape.score + sum(f.points for f in shape.findings) == 100
