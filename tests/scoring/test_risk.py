"""Risk: grades, a dependency's weighted findings, the weakest link and the business mean."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.inventory import Function
from freecost.packs import Catalog, Lifecycle, Pack, load_catalog
from freecost.scoring.findings import Finding, Severity
from freecost.scoring.risk import (
    WEIGHTS,
    Component,
    Part,
    dependency_risk,
    function_risk,
    grade,
    overall_risk,
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


def finding(code: str, points: int, severity: Severity = "medium") -> Finding:
    return Finding(code, severity, f"{code} message", f"{code} evidence", points)


def with_lifecycle(pack: Pack, status: str, when: date | None) -> Pack:
    """``pack`` as if its lifecycle said ``status``: no built-in pack is end-announced."""
    lifecycle = Lifecycle.model_validate(
        {
            "status": status,
            "discontinued": when,
            "source": "https://example.com/announcement",
            "checked": date(2026, 1, 5),
        }
    )
    return pack.model_copy(update={"lifecycle": lifecycle})


def function(criticality: str) -> Function:
    return Function.model_validate(
        {"id": "f", "name": "F", "criticality": criticality, "rto": "4h", "needs": ["d"]}
    )


# Grades ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "letter"),
    [
        (0, "A"),
        (19, "A"),
        (20, "B"),
        (39, "B"),
        (40, "C"),
        (59, "C"),
        (60, "D"),
        (79, "D"),
        (80, "F"),
        (100, "F"),
    ],
)
def test_grade_boundaries(risk: int, letter: str) -> None:
    assert grade(risk) == letter


# A dependency's risk --------------------------------------------------------------------------


def test_weights_add_up_to_100() -> None:
    assert sum(WEIGHTS.values()) == 100


@pytest.mark.parametrize(
    ("part", "factor", "expected"),
    [
        ("contract", 1.0, 35),
        ("contract", 0.5, 18),  # 17.5 rounds up, never to even
        ("contract", 0.25, 9),
        ("structure", 1.0, 25),
        ("detection", 1.0, 25),
        ("observed", 1.0, 15),
    ],
)
def test_a_full_part_weighs_its_weight(part: Part, factor: float, expected: int) -> None:
    result = dependency_risk([Component(part, [finding("X", 100)], factor)], None)
    assert result.risk == expected
    assert [f.points for f in result.findings] == [expected]


def test_findings_are_dealt_by_largest_remainder_and_sorted() -> None:
    # 30 * .35 = 10.5, 20 * .35 = 7, 10 * .25 = 2.5, 4 * .15 = 0.6: 20.6 rounds to 21.
    result = dependency_risk(
        [
            Component("contract", [finding("NO_SLA", 30, "high"), finding("NO_CREDITS", 20)]),
            Component("structure", [finding("SHARED_FATE", 10)]),
            Component("observed", [finding("SLOW", 4, "low")]),
        ],
        None,
    )
    assert (result.risk, result.grade) == (21, "B")
    assert [(f.code, f.points) for f in result.findings] == [
        ("NO_SLA", 11),
        ("NO_CREDITS", 7),
        ("SHARED_FATE", 2),
        ("SLOW", 1),
    ]


def test_equal_points_sort_by_severity_then_code() -> None:
    result = dependency_risk(
        [
            Component(
                "structure",
                [
                    finding("B_LOW", 4, "low"),
                    finding("Z_HIGH", 4, "high"),
                    finding("A_LOW", 4, "low"),
                ],
            )
        ],
        None,
    )
    assert [f.code for f in result.findings] == ["Z_HIGH", "A_LOW", "B_LOW"]
    assert result.risk == 3


def test_no_findings_no_risk(catalog: Catalog) -> None:
    result = dependency_risk([Component("contract", [])], catalog.get("gmail"))
    assert (result.risk, result.grade, result.findings) == (0, "A", [])


def test_a_discontinued_service_is_at_risk_100(catalog: Catalog) -> None:
    skype = catalog.get("skype")
    assert skype.lifecycle.status == "discontinued"
    result = dependency_risk([Component("contract", [finding("NO_SLA", 40)])], skype)
    assert result.risk == 100
    assert [(f.code, f.severity, f.points) for f in result.findings] == [
        ("SERVICE_DISCONTINUED", "critical", 86),
        ("NO_SLA", "medium", 14),
    ]
    lifecycle = result.findings[0]
    assert lifecycle.message.startswith(f"{skype.name} was discontinued on 2025-05-05:")
    assert lifecycle.evidence.startswith("lifecycle: discontinued 2025-05-05 (")


@pytest.mark.parametrize(("before", "added"), [(0, 20), (25, 20), (80, 20), (85, 15), (100, 0)])
def test_an_announced_end_adds_up_to_20(catalog: Catalog, before: int, added: int) -> None:
    pack = with_lifecycle(catalog.get("gmail"), "end-announced", date(2027, 3, 1))
    components = [
        Component("contract", [finding("C", min(before, 35) * 100 // 35)]),
        Component("structure", [finding("S", max(0, before - 35) * 4)]),
    ]
    baseline = dependency_risk(components, None).risk
    assert baseline == before
    result = dependency_risk(components, pack)
    assert result.risk == before + added <= 100
    ending = next(f for f in result.findings if f.code == "SERVICE_ENDING")
    assert (ending.severity, ending.points) == ("high", added)
    assert (
        ending.message
        == f"{pack.name} is to be discontinued on 2027-03-01: plan the move before then."
    )
    assert (
        ending.evidence
        == "lifecycle: end announced for 2027-03-01 (https://example.com/announcement)"
    )
    assert sum(f.points for f in result.findings) == result.risk


def test_an_active_service_adds_nothing(catalog: Catalog) -> None:
    result = dependency_risk(
        [Component("detection", [finding("NOT_WATCHED", 100)])], catalog.get("gmail")
    )
    assert [f.code for f in result.findings] == ["NOT_WATCHED"]
    assert result.risk == 25


PARTS: list[Part] = ["contract", "structure", "detection", "observed"]


@st.composite
def components(draw: st.DrawFn) -> list[Component]:
    """Up to four parts, each with up to six findings worth 0-100 points in all."""
    found = []
    for part in draw(st.lists(st.sampled_from(PARTS), max_size=4, unique=True)):
        budget = 100
        items = []
        for index in range(draw(st.integers(0, 6))):
            points = draw(st.integers(0, budget))
            budget -= points
            items.append(finding(f"{part.upper()}_{index}", points))
        factor = draw(st.sampled_from([1.0, 0.8, 0.5, 0.25]))
        found.append(Component(part, items, factor))
    return found


@settings(max_examples=300, deadline=None)
@given(parts=components(), status=st.sampled_from(["active", "end-announced", "discontinued"]))
def test_points_add_up_to_the_risk(catalog: Catalog, parts: list[Component], status: str) -> None:
    pack = with_lifecycle(
        catalog.get("gmail"), status, None if status == "active" else date(2027, 1, 1)
    )
    plain = dependency_risk(parts, None)
    result = dependency_risk(parts, pack)
    assert sum(f.points for f in result.findings) == result.risk
    assert sum(f.points for f in plain.findings) == plain.risk
    assert 0 <= plain.risk <= result.risk <= 100
    assert all(f.points >= 0 for f in result.findings)
    # Each finding's whole points are within one of its exact weighted share.
    shares = {
        f.code: f.points * WEIGHTS[c.part] / 100 * c.factor for c in parts for f in c.findings
    }
    for f in plain.findings:
        assert abs(f.points - shares[f.code]) < 1
    assert plain.risk == round(sum(shares.values()) + 1e-9)
    if status == "discontinued":
        assert result.risk == 100
    elif status == "end-announced":
        assert result.risk == min(100, plain.risk + 20)
    assert result.grade == grade(result.risk)


# A function's risk and the business's ---------------------------------------------------------


def test_function_risk_exposures() -> None:
    risks = {"spof": 40, "paired": 90, "covered": 100}
    result = function_risk(["spof", "paired", "covered"], ["spof"], [["paired", "x"]], risks)
    # 90 x 0.5 = 45 beats the single point of failure's 40 x 1.0 and 100 x 0.25 = 25.
    assert (result.risk, result.driven_by, result.exposure, result.grade) == (
        45,
        "paired",
        0.5,
        "C",
    )


@pytest.mark.parametrize(
    ("single", "pairs", "exposure", "expected"),
    [(["d"], [], 1.0, 70), ([], [["d", "e"]], 0.5, 35), ([], [], 0.25, 18)],
)
def test_each_exposure(
    single: list[str], pairs: list[list[str]], exposure: float, expected: int
) -> None:
    result = function_risk(["d", "e"], single, pairs, {"d": 70, "e": 0})
    assert (result.risk, result.driven_by, result.exposure) == (expected, "d", exposure)


def test_the_first_of_equal_links_drives_and_nothing_at_risk_drives_nothing() -> None:
    first = function_risk(["a", "b"], ["a", "b"], [], {"a": 50, "b": 50})
    assert first.driven_by == "a"
    calm = function_risk(["a", "b"], ["a"], [], {"a": 0, "b": 0})
    assert (calm.risk, calm.grade, calm.driven_by, calm.exposure) == (0, "A", None, 0.0)


@pytest.mark.parametrize(
    ("functions", "expected"),
    [
        ([], 0),
        ([("critical", 80)], 80),
        # (4 * 80 + 1 * 0) / 5 = 64
        ([("critical", 80), ("low", 0)], 64),
        # (3 * 50 + 2 * 20) / 5 = 38
        ([("high", 50), ("medium", 20)], 38),
        # (4 * 10 + 3 * 20 + 2 * 30 + 1 * 40) / 10 = 20
        ([("critical", 10), ("high", 20), ("medium", 30), ("low", 40)], 20),
        # (2 * 0 + 1 * 1) / 3 = 0.33; (1 * 1 + 1 * 0) / 2 = 0.5 rounds up
        ([("medium", 0), ("low", 1)], 0),
        ([("low", 1), ("low", 0)], 1),
    ],
)
def test_overall_risk_is_weighted_by_criticality(
    functions: list[tuple[str, int]], expected: int
) -> None:
    assert overall_risk([(function(c), risk) for c, risk in functions]) == expected


def test_components_default_to_factor_one() -> None:
    assert Component("observed", []).factor == 1.0
