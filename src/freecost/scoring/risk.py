"""Risk 0-100 and a grade A-F, for a dependency, a function and the business.

A dependency's risk adds up four parts, each a score the other modules explain finding by
finding (every lost point on one finding):

==========  ======  ===============================================  ====================
part        weight  lost points come from                            scaled by
==========  ======  ===============================================  ====================
contract      35    :mod:`~freecost.scoring.sla` (100 - coverage)    criticality factor
structure     25    :mod:`~freecost.scoring.structure`               (already in points)
detection     25    :mod:`~freecost.scoring.detection`               (already in points)
observed      15    :mod:`~freecost.scoring.reliability`             —
==========  ======  ===============================================  ====================

A finding worth ``p`` lost points in a part of weight ``w`` adds ``p * w / 100`` risk (times
the criticality factor of the functions relying on the dependency, for the contract: a
missing SLA matters less for a low function). The sum is rounded, and the whole points are
dealt out to the findings by largest remainder, so the findings' ``points`` add up to the
risk exactly. A discontinued service is at risk 100 whatever else is true
(``SERVICE_DISCONTINUED`` carries the rest); one whose end is announced adds up to 20
(``SERVICE_ENDING``).

A function is as weak as its weakest link: its risk is the highest *exposure x risk* among
the dependencies it runs on, where exposure is 1 for a single point of failure, 0.5 for a
member of a shared-fate pair and 0.25 for any other dependency on its path (one with an
alternative that stands in). The business's risk is the mean of its functions' risks,
weighted by criticality (critical 4, high 3, medium 2, low 1).

Grades split risk into fifths: A below 20, B below 40, C below 60, D below 80, F from 80.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

from freecost.inventory import Criticality, Function
from freecost.packs import Pack
from freecost.scoring.findings import Finding

Part = Literal["contract", "structure", "detection", "observed"]
Grade = Literal["A", "B", "C", "D", "F"]

WEIGHTS: dict[Part, int] = {"contract": 35, "structure": 25, "detection": 25, "observed": 15}
EXPOSURE = {"single": 1.0, "pair": 0.5, "covered": 0.25}
FUNCTION_WEIGHT: dict[Criticality, int] = {"critical": 4, "high": 3, "medium": 2, "low": 1}
ENDING_POINTS = 20
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}


def grade(risk: int) -> Grade:
    """The letter for a risk: fifths, A best."""
    if risk < 20:
        return "A"
    if risk < 40:
        return "B"
    if risk < 60:
        return "C"
    if risk < 80:
        return "D"
    return "F"


@dataclass(frozen=True)
class Component:
    """One part of a dependency's risk: its findings (in the part's own points) and scale."""

    part: Part
    findings: Sequence[Finding]
    factor: float = 1.0


@dataclass(frozen=True)
class Risk:
    """A dependency's risk, with findings whose ``points`` add up to it exactly."""

    risk: int
    grade: Grade
    findings: list[Finding]


def dependency_risk(components: Sequence[Component], pack: Pack | None) -> Risk:
    """Combine the parts' findings into one risk; see the module docstring for the method."""
    exact: list[tuple[Finding, float]] = []
    for component in components:
        scale = WEIGHTS[component.part] / 100 * component.factor
        exact.extend((finding, finding.points * scale) for finding in component.findings)
    total = round(sum(share for _, share in exact) + 1e-9)
    dealt = _deal(total, [share for _, share in exact])
    findings = [replace(f, points=p) for (f, _), p in zip(exact, dealt, strict=True)]
    lifecycle = _lifecycle(pack, total)
    if lifecycle is not None:
        findings.append(lifecycle)
        total += lifecycle.points
    findings.sort(key=lambda f: (-f.points, _SEVERITY_ORDER[f.severity], f.code))
    return Risk(total, grade(total), findings)


def _deal(total: int, shares: Sequence[float]) -> list[int]:
    """Whole points adding up to ``total``, as close to ``shares`` as largest remainder gets."""
    floors = [math.floor(s) for s in shares]
    left = total - sum(floors)
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i] - floors[i]), i))
    for i in order[: max(0, left)]:
        floors[i] += 1
    return floors


def _lifecycle(pack: Pack | None, risk: int) -> Finding | None:
    if pack is None or pack.lifecycle.status == "active":
        return None
    when = pack.lifecycle.discontinued
    source = pack.lifecycle.source or ""
    if pack.lifecycle.status == "discontinued":
        return Finding(
            "SERVICE_DISCONTINUED",
            "critical",
            f"{pack.name} was discontinued on {when}: it can stop working at any time and "
            "nobody will fix it.",
            f"lifecycle: discontinued {when} ({source})",
            100 - risk,
        )
    return Finding(
        "SERVICE_ENDING",
        "high",
        f"{pack.name} is to be discontinued on {when}: plan the move before then.",
        f"lifecycle: end announced for {when} ({source})",
        min(ENDING_POINTS, 100 - risk),
    )


@dataclass(frozen=True)
class FunctionRisk:
    """A function's risk and the dependency that sets it."""

    risk: int
    grade: Grade
    driven_by: str | None
    exposure: float


def function_risk(
    path: Sequence[str],
    single: Sequence[str],
    pairs: Sequence[Sequence[str]],
    risks: Mapping[str, int],
) -> FunctionRisk:
    """The weakest link among ``path`` (every dependency the function runs on)."""
    paired = {d for pair in pairs for d in pair}
    best: tuple[float, str | None, float] = (0.0, None, 0.0)
    for dep in path:
        if dep in single:
            exposure = EXPOSURE["single"]
        elif dep in paired:
            exposure = EXPOSURE["pair"]
        else:
            exposure = EXPOSURE["covered"]
        value = exposure * risks[dep]
        if value > best[0]:
            best = (value, dep, exposure)
    risk = round(best[0] + 1e-9)
    return FunctionRisk(risk, grade(risk), best[1], best[2])


def overall_risk(functions: Sequence[tuple[Function, int]]) -> int:
    """The business's risk: its functions' risks, weighted by criticality."""
    weights = sum(FUNCTION_WEIGHT[f.criticality] for f, _ in functions)
    if weights == 0:
        return 0
    total = sum(FUNCTION_WEIGHT[f.criticality] * risk for f, risk in functions)
    return round(total / weights + 1e-9)
