"""Structure: how much of the business stops when a dependency fails, and what fails with it.

Built on :mod:`freecost.scoring.graph`. For each dependency:

- the functions it is a single point of failure for (a cut set of size 1),
- the dependencies it fails in pairs with (cut sets of size 2: shared-fate pairs),
- its alternatives that share its fate (an account, vendor or domain in common),
- its blast radius (the functions that stop when it fails alone), and
- what it shares fate with: what it needs upstream, and what shares a failure domain.

Points lost, out of 100, scaled by the criticality of the functions concerned (critical 1.0,
high 0.8, medium 0.5, low 0.25), each carried by one finding:

=========================  ======  ==================================================
code                       points  when
=========================  ======  ==================================================
SINGLE_POINT_OF_FAILURE      60    a function stops when this dependency fails alone
SHARED_FATE                  25    a function stops when this and one other dependency
                                   fail together (and neither alone stops it)
HOLLOW_ALTERNATIVE           15    an alternative shares this dependency's account,
                                   vendor or domain, so it fails with it
=========================  ======  ==================================================
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from freecost.inventory import Criticality, Function, Inventory
from freecost.scoring.detection import FACTOR
from freecost.scoring.findings import Finding, Severity
from freecost.scoring.graph import Graph, blast_radius, cut_sets, hollow_alternatives
from freecost.scoring.sla import top_criticality

_SEVERITY: dict[Criticality, Severity] = {
    "critical": "critical",
    "high": "high",
    "medium": "medium",
    "low": "low",
}
_PAIR_SEVERITY: dict[Criticality, Severity] = {
    "critical": "medium",
    "high": "medium",
    "medium": "low",
    "low": "low",
}


@dataclass(frozen=True)
class FunctionCuts:
    """A function's minimal cut sets of size 1 and 2."""

    function: Function
    single: tuple[str, ...]
    pairs: tuple[tuple[str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "single_points_of_failure": list(self.single),
            "shared_fate_pairs": [list(pair) for pair in self.pairs],
        }


@dataclass(frozen=True)
class Structure:
    """A dependency's place in the graph, and the findings that explain every lost point."""

    score: int
    spof: bool
    blast_radius: tuple[str, ...]
    shared_fate: tuple[str, ...]
    failure_domains: tuple[str, ...]
    findings: list[Finding]


def function_cuts(inventory: Inventory, graph: Graph) -> dict[str, FunctionCuts]:
    """Every function's single points of failure and shared-fate pairs."""
    found = {}
    for function in inventory.functions:
        cuts = cut_sets(graph, function.needs, max_size=2)
        single = tuple(next(iter(c)) for c in cuts if len(c) == 1)
        pairs = tuple(_pair(graph, c) for c in cuts if len(c) == 2)
        found[function.id] = FunctionCuts(function, single, pairs)
    return found


def structure(
    inventory: Inventory, graph: Graph, cuts: Mapping[str, FunctionCuts]
) -> dict[str, Structure]:
    """The structural findings of every dependency."""
    needs = {f.id: tuple(f.needs) for f in inventory.functions}
    names = {d.id: d.name for d in inventory.dependencies}
    hollow = hollow_alternatives(graph)
    result = {}
    for dep in graph.dependencies:
        findings: list[Finding] = []
        single_for = [c.function for c in cuts.values() if dep in c.single]
        if single_for:
            top = top_criticality(single_for)
            findings.append(
                Finding(
                    "SINGLE_POINT_OF_FAILURE",
                    _SEVERITY[top],
                    f"When {names[dep]} fails, {_list(single_for)} stops: nothing stands in.",
                    "single point of failure for: " + ", ".join(f.id for f in single_for),
                    round(60 * FACTOR[top]),
                )
            )
        paired = [(c.function, pair) for c in cuts.values() for pair in c.pairs if dep in pair]
        if paired:
            top = top_criticality([f for f, _ in paired])
            evidence = "; ".join(f"{f.id}: {' + '.join(pair)}" for f, pair in paired)
            partners = sorted({d for _, pair in paired for d in pair if d != dep})
            findings.append(
                Finding(
                    "SHARED_FATE",
                    _PAIR_SEVERITY[top],
                    f"{names[dep]} failing together with {_either(partners, names)} stops "
                    f"{_list(_unique([f for f, _ in paired]))}.",
                    "shared-fate pairs: " + evidence,
                    round(25 * FACTOR[top]),
                )
            )
        own_hollow = [h for h in hollow if h.dependency == dep]
        if own_hollow:
            relying = [f for f in inventory.functions if dep in reach(graph, needs[f.id])]
            top = top_criticality(relying)
            evidence = "; ".join(f"{h.alternative} shares {h.domain}" for h in own_hollow)
            alternatives = sorted({h.alternative for h in own_hollow})
            findings.append(
                Finding(
                    "HOLLOW_ALTERNATIVE",
                    _PAIR_SEVERITY[top],
                    f"{_names(alternatives, names)} would fail together with {names[dep]}, "
                    "so it is no real alternative.",
                    evidence,
                    round(15 * FACTOR[top]),
                )
            )
        result[dep] = Structure(
            score=100 - sum(f.points for f in findings),
            spof=bool(single_for),
            blast_radius=tuple(blast_radius(graph, needs, dep)),
            shared_fate=_shared_fate(graph, dep),
            failure_domains=tuple(sorted(graph.domains_of(dep))),
            findings=findings,
        )
    return result


def _pair(graph: Graph, cut: frozenset[str]) -> tuple[str, str]:
    first, second = sorted(cut, key=graph.dependencies.index)
    return first, second


def _shared_fate(graph: Graph, dep: str) -> tuple[str, ...]:
    """What fails when ``dep`` does: what it needs upstream, and what shares a domain with it."""
    upstream = reach(graph, graph.needs[dep], alternatives=False)
    domains = graph.domains_of(dep)
    same_domain = {d for d in graph.dependencies if d != dep and graph.domains_of(d) & domains}
    return tuple(d for d in graph.dependencies if d in upstream | same_domain)


def reach(graph: Graph, roots: Sequence[str], *, alternatives: bool = True) -> set[str]:
    """``roots`` and what they need upstream, and (unless told not to) their alternatives."""
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(graph.needs[node])
            if alternatives:
                todo.extend(graph.alternatives_of(node))
    return seen


def _unique(functions: Sequence[Function]) -> list[Function]:
    """Each function once, in the order first met."""
    seen: dict[str, Function] = {}
    for function in functions:
        seen.setdefault(function.id, function)
    return list(seen.values())


def _list(functions: Sequence[Function]) -> str:
    return "; ".join(f'"{f.name}"' for f in functions)


def _names(ids: Sequence[str], names: Mapping[str, str]) -> str:
    return " and ".join(names[i] for i in ids)


def _either(ids: Sequence[str], names: Mapping[str, str]) -> str:
    if len(ids) == 1:
        return names[ids[0]]
    return "either " + " or ".join(names[i] for i in ids)
