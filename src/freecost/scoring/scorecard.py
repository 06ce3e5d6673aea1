"""The scorecard: every part of the scoring put together, as ``freecost score`` shows it.

:func:`score` is pure: the inventory, its packs, the checks on each dependency and the
history (as data) go in; grades, findings and recommendations come out. Reading the history
from the store is :mod:`freecost.observed`'s job, so this can be tested with neither a
database nor a network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from freecost.durations import format_duration
from freecost.inventory import Dependency, Function, Inventory, LoadedInventory
from freecost.packs import Pack
from freecost.scoring.detection import (
    FACTOR,
    Detection,
    Watch,
    detection,
    function_end_to_end,
)
from freecost.scoring.graph import Graph, domain_failures, graph_of
from freecost.scoring.recommendations import Claim, Recommendation, rank, recommend
from freecost.scoring.reliability import DependencyHistory, Reliability, observed_reliability
from freecost.scoring.risk import (
    WEIGHTS,
    Component,
    FunctionRisk,
    Grade,
    Risk,
    dependency_risk,
    function_risk,
    grade,
    overall_risk,
)
from freecost.scoring.sla import Bar, Coverage, relying_functions, sla_coverage
from freecost.scoring.structure import FunctionCuts, Structure, function_cuts, reach, structure

SCHEMA_VERSION = 1
TOP_RECOMMENDATIONS = 10


@dataclass(frozen=True)
class DependencyScore:
    """Everything the scoring found about one dependency."""

    dependency: Dependency
    pack: Pack | None
    risk: Risk
    coverage: Coverage
    structure: Structure
    detection: Detection
    reliability: Reliability
    recommendations: list[Recommendation]
    when_it_breaks: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        dep = self.dependency
        return {
            "id": dep.id,
            "name": dep.name,
            "service": dep.service,
            "grade": self.risk.grade,
            "risk": self.risk.risk,
            "sla_coverage": self.coverage.score,
            "spof": self.structure.spof,
            "blast_radius": list(self.structure.blast_radius),
            "shared_fate": list(self.structure.shared_fate),
            "failure_domains": list(self.structure.failure_domains),
            "detection": self.detection.to_json(),
            "observed": self.reliability.to_json(),
            "findings": [f.to_json() for f in self.risk.findings],
            "recommendations": [r.to_json() for r in self.recommendations],
            "when_it_breaks": self.when_it_breaks,
        }


@dataclass(frozen=True)
class FunctionScore:
    """A function's cut sets, failure domains, canaries and risk."""

    function: Function
    cuts: FunctionCuts
    domain_failures: tuple[str, ...]
    end_to_end: tuple[str, ...]
    risk: FunctionRisk

    def to_json(self) -> dict[str, Any]:
        f = self.function
        return {
            "id": f.id,
            "name": f.name,
            "criticality": f.criticality,
            "rto": format_duration(f.rto),
            **self.cuts.to_json(),
            "failure_domains": list(self.domain_failures),
            "end_to_end": list(self.end_to_end),
            "risk": self.risk.risk,
            "grade": self.risk.grade,
            "driven_by": (
                {"dependency": self.risk.driven_by, "exposure": self.risk.exposure}
                if self.risk.driven_by
                else None
            ),
        }


@dataclass(frozen=True)
class Scorecard:
    """The whole business scored."""

    business: str
    risk: int
    grade: Grade
    dependencies: list[DependencyScore]
    functions: list[FunctionScore]
    recommendations: list[Recommendation]
    scored_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "business": self.business,
            "scored_at": self.scored_at.isoformat(),
            "overall": {"grade": self.grade, "risk": self.risk},
            "dependencies": [d.to_json() for d in self.dependencies],
            "functions": [f.to_json() for f in self.functions],
            "recommendations": [r.to_json() for r in self.recommendations],
        }


def score(
    inventory: Inventory,
    catalog: Mapping[str, Pack],
    watches: Mapping[str, Sequence[Watch]],
    histories: Mapping[str, DependencyHistory],
    now: datetime,
) -> Scorecard:
    """Score ``inventory``: see :mod:`freecost.scoring.risk` for how the parts add up."""
    packs = {d.id: catalog.get(d.service) if d.service else None for d in inventory.dependencies}
    graph = _graph(inventory, packs)
    relying = {d.id: relying_functions(inventory, d.id) for d in inventory.dependencies}
    cuts = function_cuts(inventory, graph)
    shapes = structure(inventory, graph, cuts)
    seen = detection(inventory, watches, packs, relying)

    def contract_risk(dependency: Dependency, pack: Pack | None) -> int:
        functions = relying[dependency.id]
        lost = 100 - sla_coverage(dependency, pack, functions).score
        factor = FACTOR[Bar.of(functions).criticality]
        return round(lost * WEIGHTS["contract"] / 100 * factor + 1e-9)

    scored = []
    for dep in inventory.dependencies:
        pack, functions = packs[dep.id], relying[dep.id]
        coverage = sla_coverage(dep, pack, functions)
        observed = observed_reliability(dep, pack, functions, histories.get(dep.id), now)
        risk = dependency_risk(
            [
                Component("contract", coverage.findings, FACTOR[Bar.of(functions).criticality]),
                Component("structure", shapes[dep.id].findings),
                Component("detection", seen[dep.id].findings),
                Component("observed", observed.findings),
            ],
            pack,
        )
        claims = [
            Claim(m.name, m.credit, m.claim_by)
            for m in observed.months
            if m.claimable and m.credit is not None and m.claim_by is not None
        ]
        scored.append(
            DependencyScore(
                dep,
                pack,
                risk,
                coverage,
                shapes[dep.id],
                seen[dep.id],
                observed,
                recommend(dep, pack, risk.findings, catalog, claims, contract_risk),
                _when_it_breaks(dep, pack, inventory),
            )
        )
    risks = {d.dependency.id: d.risk.risk for d in scored}
    function_scores = [
        FunctionScore(
            f,
            cuts[f.id],
            tuple(domain_failures(graph, f.needs)),
            tuple(function_end_to_end(inventory, watches, f)),
            function_risk(
                [d for d in graph.dependencies if d in reach(graph, f.needs)],
                cuts[f.id].single,
                cuts[f.id].pairs,
                risks,
            ),
        )
        for f in inventory.functions
    ]
    overall = overall_risk([(f.function, f.risk.risk) for f in function_scores])
    everything = rank([r for d in scored for r in d.recommendations])
    return Scorecard(
        inventory.business.name,
        overall,
        grade(overall),
        scored,
        function_scores,
        everything[:TOP_RECOMMENDATIONS],
        now,
    )


def score_loaded(
    loaded: LoadedInventory, histories: Mapping[str, DependencyHistory], now: datetime
) -> Scorecard:
    """:func:`score` for a loaded inventory: its catalog and its checks (own or the pack's)."""
    watches = {
        dep.id: [Watch(c.id, c.type) for c in loaded.checks_of(dep)]
        for dep in loaded.inventory.dependencies
    }
    return score(loaded.inventory, loaded.catalog.packs, watches, histories, now)


def _graph(inventory: Inventory, packs: Mapping[str, Pack | None]) -> Graph:
    def vendor_of(dependency: Dependency) -> str | None:
        pack = packs[dependency.id]
        return pack.vendor if pack is not None else dependency.vendor

    return graph_of(inventory, vendor_of)


def _when_it_breaks(dep: Dependency, pack: Pack | None, inventory: Inventory) -> dict[str, Any]:
    """What to do first, who to call and what answer to expect."""
    names = {d.id: d.name for d in inventory.dependencies}
    stand_ins = [names[a] for a in dep.alternatives]
    steps: list[str] = []
    if stand_ins:
        steps.append("Switch customers to " + " or ".join(stand_ins) + " until it is back.")
    if pack is None:
        steps.append(
            "Check the provider's own status page and account notices, then contact its "
            "support; freecost has no pack with this service's support route."
        )
        return {
            "first_steps": steps,
            "support_url": None,
            "support_channels": None,
            "expected_response": None,
            "alternatives": list(dep.alternatives),
        }
    plan = pack.plan(dep.plan)
    channels = plan.support.channels.value
    response = plan.support.response.value
    return {
        "first_steps": steps + list(pack.when_it_breaks.first_steps),
        "support_url": pack.when_it_breaks.support_url,
        "support_channels": channels if channels != "unknown" else None,
        "expected_response": (
            "unknown"
            if response == "unknown"
            else "none promised"
            if response == "none"
            else format_duration(response)
        ),
        "alternatives": list(dep.alternatives),
    }


__all__ = [
    "DependencyScore",
    "FunctionScore",
    "Scorecard",
    "score",
    "score_loaded",
]
