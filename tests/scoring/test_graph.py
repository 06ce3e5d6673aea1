"""The dependency graph: cut sets, failure domains, hollow alternatives and blast radius."""

from __future__ import annotations

from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.inventory import LoadedInventory, load_inventory
from freecost.scoring.graph import (
    Graph,
    HollowAlternative,
    blast_radius,
    cut_sets,
    domain_failures,
    function_needs,
    graph_of,
    hollow_alternatives,
    vendor_from_catalog,
    works,
)


def sets(*groups: str) -> list[frozenset[str]]:
    """``sets("a", "b c")`` is ``[{a}, {b, c}]``: cut sets written compactly."""
    return [frozenset(group.split()) for group in groups]


@pytest.fixture(scope="module")
def example() -> LoadedInventory:
    return load_inventory(Path(__file__).resolve().parents[2] / "inventory.example.yaml")


@pytest.fixture(scope="module")
def example_graph(example: LoadedInventory) -> Graph:
    return graph_of(example.inventory, vendor_from_catalog(example))


# The example business -------------------------------------------------------------------------


def test_example_graph_labels_account_vendor_and_domain(example_graph: Graph) -> None:
    assert example_graph.needs["google-voice"] == ("google-account",)
    assert example_graph.alternatives_of("google-voice") == ("mobile-line",)
    assert example_graph.domains_of("google-voice") == {
        "account:chris.bailey@gmail.com",
        "vendor:google",
    }
    # The pack names the vendor when the inventory does not.
    assert example_graph.domains_of("crm") == {
        "account:hello@baileyworkplay.example",
        "vendor:zoho",
    }
    assert example_graph.domains_of("domain") == {
        "account:chris.bailey@gmail.com",
        "vendor:budget-registrar",
        "domain:baileyworkplay.example",
    }


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        # The mobile line backs up Google Voice, so only pairs stop the phone.
        ("phone-leads", sets("google-account mobile-line", "google-voice mobile-line")),
        ("email", sets("google-account", "gmail", "domain")),
        ("web-enquiries", sets("domain", "website")),
        ("customer-records", sets("google-account crm", "crm crm-export")),
        ("client-files", sets("google-account", "google-drive")),
    ],
)
def test_example_cut_sets(
    example: LoadedInventory, example_graph: Graph, function: str, expected: list[frozenset[str]]
) -> None:
    needs = example.inventory.function(function).needs
    assert cut_sets(example_graph, needs) == expected


def test_example_works(example_graph: Graph) -> None:
    assert works(example_graph, ["google-voice"], frozenset({"google-voice"}))
    assert not works(example_graph, ["google-voice"], frozenset({"google-voice", "mobile-line"}))
    assert works(example_graph, ["gmail", "domain"], frozenset({"website", "crm"}))


@pytest.mark.parametrize(
    ("dependency", "expected"),
    [
        ("google-account", ["email", "client-files"]),
        ("domain", ["email", "web-enquiries"]),
        ("google-voice", []),
        ("mobile-line", []),
        ("crm", []),
        ("google-drive", ["client-files"]),
    ],
)
def test_example_blast_radius(
    example: LoadedInventory, example_graph: Graph, dependency: str, expected: list[str]
) -> None:
    functions = function_needs(example.inventory)
    assert blast_radius(example_graph, functions, dependency) == expected


def test_example_has_no_hollow_alternatives_or_domain_failures(
    example: LoadedInventory, example_graph: Graph
) -> None:
    assert hollow_alternatives(example_graph) == []
    for needs in function_needs(example.inventory).values():
        assert domain_failures(example_graph, needs) == []


def test_a_backup_on_the_same_account_is_no_backup(
    load_text: Callable[[str], LoadedInventory],
) -> None:
    loaded = load_text(
        """\
version: 1
business: {name: Test Shop}
functions:
  - {id: phone-leads, name: Callers reach us, criticality: critical, rto: 4h, needs: [voice]}
dependencies:
  - id: voice
    name: Google Voice
    service: google-voice
    account: {owner: personal, id: chris@gmail.com}
    alternatives: [voice-backup]
  - id: voice-backup
    name: A second number on the same login
    vendor: another-carrier
    account: {owner: personal, id: Chris@Gmail.com}
"""
    )
    graph = graph_of(loaded.inventory, vendor_from_catalog(loaded))
    assert cut_sets(graph, ["voice"]) == sets("voice voice-backup")
    assert hollow_alternatives(graph) == [
        HollowAlternative("voice", "voice-backup", "account:chris@gmail.com")
    ]
    assert domain_failures(graph, ["voice"]) == ["account:chris@gmail.com"]


def test_a_shared_upstream_makes_an_alternative_hollow() -> None:
    # The CRM export kept in Drive backs up a CRM that signs in with the same Google account.
    graph = Graph(
        needs={"crm": ("login",), "export": ("login",), "login": ()},
        alternatives={"crm": ("export",)},
        domains={"login": frozenset({"account:a@example.com"}), "crm": frozenset({"vendor:x"})},
    )
    assert hollow_alternatives(graph) == [
        HollowAlternative("crm", "export", "account:a@example.com")
    ]
    assert cut_sets(graph, ["crm"]) == sets("login", "crm export")
    # The login alone already stops the CRM: that is a single point of failure, not a domain.
    assert domain_failures(graph, ["crm"]) == []


def test_alternatives_backing_up_each_other_do_not_vouch_for_themselves() -> None:
    graph = Graph(needs={"a": (), "b": ()}, alternatives={"a": ("b",), "b": ("a",)})
    assert works(graph, ["a"], frozenset({"a"}))
    assert not works(graph, ["a"], frozenset({"a", "b"}))
    assert cut_sets(graph, ["a"]) == sets("a b")


def test_cut_sets_up_to_three() -> None:
    graph = Graph(needs={"a": (), "b": (), "c": ()}, alternatives={"a": ("b", "c")})
    assert cut_sets(graph, ["a"]) == []
    assert cut_sets(graph, ["a"], max_size=3) == sets("a b c")


@pytest.mark.parametrize(
    ("graph", "message"),
    [
        (lambda: Graph(needs={"a": ("b",)}), "needs of 'a' names unknown dependency 'b'"),
        (
            lambda: Graph(needs={"a": ()}, alternatives={"a": ("c",)}),
            "alternatives of 'a' names unknown dependency 'c'",
        ),
        (
            lambda: Graph(needs={"a": ()}, domains={"z": frozenset()}),
            "domains name unknown dependency 'z'",
        ),
        (lambda: works(Graph(needs={"a": ()}), ["q"], frozenset()), "unknown dependency 'q'"),
        (
            lambda: blast_radius(Graph(needs={"a": ()}), {"f": ("a",)}, "q"),
            "unknown dependency 'q'",
        ),
    ],
)
def test_unknown_ids_are_refused(graph: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}$"):
        graph()


# Random graphs --------------------------------------------------------------------------------

LABELS = ("account:a", "account:b", "vendor:x", "vendor:y")
# No deadline: a slow CI machine must not turn a correct example into a failure.
PROPERTY = settings(max_examples=150, deadline=None)


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Graph, tuple[str, ...]]:
    """A random graph and a function's needs. Needs point at earlier nodes only (the inventory
    refuses cycles in needs); alternatives may point anywhere, cycles included."""
    size = draw(st.integers(min_value=1, max_value=8))
    nodes = [f"d{i}" for i in range(size)]
    needs: dict[str, tuple[str, ...]] = {}
    alternatives: dict[str, tuple[str, ...]] = {}
    domains: dict[str, frozenset[str]] = {}
    for index, node in enumerate(nodes):
        earlier = nodes[:index]
        needs[node] = (
            tuple(draw(st.lists(st.sampled_from(earlier), unique=True))) if earlier else ()
        )
        if size > 1:
            others = [n for n in nodes if n != node]
            alternatives[node] = tuple(
                draw(st.lists(st.sampled_from(others), max_size=2, unique=True))
            )
        domains[node] = frozenset(draw(st.sets(st.sampled_from(LABELS), max_size=2)))
    function = tuple(draw(st.lists(st.sampled_from(nodes), min_size=1, max_size=3, unique=True)))
    return Graph(needs=needs, alternatives=alternatives, domains=domains), function


@PROPERTY
@given(graphs())
def test_every_cut_set_cuts_and_is_minimal(case: tuple[Graph, tuple[str, ...]]) -> None:
    graph, needs = case
    found = cut_sets(graph, needs)
    assert works(graph, needs, frozenset())
    for cut in found:
        assert not works(graph, needs, cut)
        # Minimal: bringing back any one member makes the function work again.
        for member in cut:
            assert works(graph, needs, cut - {member})
    for first, second in combinations(found, 2):
        assert not first <= second
        assert not second <= first


@PROPERTY
@given(graphs())
def test_every_small_failure_contains_a_reported_cut_set(
    case: tuple[Graph, tuple[str, ...]],
) -> None:
    graph, needs = case
    found = cut_sets(graph, needs)
    for size in (1, 2):
        for combination in combinations(graph.dependencies, size):
            failed = frozenset(combination)
            if not works(graph, needs, failed):
                assert any(cut <= failed for cut in found)


@PROPERTY
@given(graphs(), st.data())
def test_an_independent_alternative_removes_the_spof(
    case: tuple[Graph, tuple[str, ...]], data: st.DataObject
) -> None:
    graph, needs = case
    spofs = cut_sets(graph, needs, max_size=1)
    if not spofs:
        return
    (spof,) = data.draw(st.sampled_from(spofs))
    backed_up = Graph(
        needs={**graph.needs, "spare": ()},
        alternatives={**graph.alternatives, spof: (*graph.alternatives_of(spof), "spare")},
        domains=graph.domains,
    )
    before = cut_sets(graph, needs)
    after = cut_sets(backed_up, needs)
    assert frozenset({spof}) not in after
    # The spare only ever helps: whatever stops the function now stopped it before.
    assert all(any(old <= cut for old in before) for cut in after if "spare" not in cut)


@PROPERTY
@given(graphs())
def test_blast_radius_agrees_with_single_points_of_failure(
    case: tuple[Graph, tuple[str, ...]],
) -> None:
    graph, needs = case
    spofs = cut_sets(graph, needs, max_size=1)
    for node in graph.dependencies:
        hit = blast_radius(graph, {"f": needs}, node) == ["f"]
        assert hit == (frozenset({node}) in spofs)


@PROPERTY
@given(graphs())
def test_domain_failures_stop_the_function_with_no_single_culprit(
    case: tuple[Graph, tuple[str, ...]],
) -> None:
    graph, needs = case
    for label in domain_failures(graph, needs):
        members = frozenset(n for n in graph.dependencies if label in graph.domains_of(n))
        assert not works(graph, needs, members)
        assert all(works(graph, needs, frozenset({m})) for m in members)
