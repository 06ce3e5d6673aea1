"""The report as data: everything the HTML, Markdown and status page show, in one document.

:func:`build_report` is pure. The command gathers its inputs (the scorecard, the history
view, the daily figures, the run's results, the logo's bytes) and every renderer reads only
this document, so the formats cannot disagree and ``--format json`` is the whole report.
Text in it comes from the outside world (vendors' status pages, servers' banners, the
inventory); it is kept as it came, and escaping is each renderer's job.

``schema_version`` changes when a field is renamed or removed; fields may be added.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from freecost import __version__
from freecost.durations import format_duration
from freecost.inventory import Dependency, Function, LoadedInventory
from freecost.packs import Fact, Pack
from freecost.scoring.detection import needs_closure
from freecost.scoring.recommendations import rank
from freecost.scoring.reliability import DependencyHistory
from freecost.scoring.scorecard import DependencyScore, Scorecard
from freecost.scoring.sla import RANK
from freecost.uptime import ACCOUNTING_POLICY

SCHEMA_VERSION = 1
TOP_ACTIONS = 5
Mode = Literal["audit", "report"]


@dataclass(frozen=True)
class Logo:
    """An image to embed in the report (never fetched: it travels inside the file)."""

    media_type: str
    data: bytes


def build_report(
    loaded: LoadedInventory,
    card: Scorecard,
    *,
    mode: Mode,
    now: datetime,
    since: datetime,
    view: Mapping[str, Any] | None,
    days: Mapping[str, DependencyHistory],
    results: Sequence[Mapping[str, Any]],
    logo: Logo | None = None,
) -> dict[str, Any]:
    """The whole report as JSON-ready data.

    ``view`` is ``freecost history``'s view over the period (None without a database),
    ``days`` the daily figures per dependency for the uptime charts, ``results`` the check
    results to list in the appendix (this run's for an audit, the latest stored for a report).
    """
    inventory = loaded.inventory
    settings = inventory.settings
    uptime = _uptime_rows(view)
    incidents = list(view["incidents"]) if view else []
    everything = rank([r for d in card.dependencies for r in d.recommendations])
    scored = {d.dependency.id: d for d in card.dependencies}
    dependencies = [
        _dependency(d, loaded, scored, uptime, days.get(d.dependency.id), incidents, results)
        for d in card.dependencies
    ]
    functions = [
        {**f.to_json(), "uptime": uptime.get(("function", f.function.id))} for f in card.functions
    ]
    report = settings.report
    return {
        "schema_version": SCHEMA_VERSION,
        "freecost_version": __version__,
        "mode": mode,
        "generated_at": now.isoformat(),
        "period": {
            "since": since.isoformat(),
            "until": now.isoformat(),
            "timezone": settings.timezone,
        },
        "business": {
            "name": inventory.business.name,
            "contact": inventory.business.contact,
        },
        "branding": {
            "prepared_by": report.prepared_by,
            "client_name": report.client_name or inventory.business.name,
            "logo": (
                {"media_type": logo.media_type, "data_base64": base64.b64encode(logo.data).decode()}
                if logo
                else None
            ),
        },
        "overall": {"grade": card.grade, "risk": card.risk},
        "summary": _summary(card, everything),
        "functions": functions,
        "dependencies": dependencies,
        "map": _map(loaded, card),
        "recommendations": [r.to_json() for r in everything],
        "incidents": incidents,
        "results": [dict(r) for r in results],
        "accounting_policy": ACCOUNTING_POLICY,
    }


def _uptime_rows(view: Mapping[str, Any] | None) -> dict[tuple[str, str], Any]:
    if not view:
        return {}
    return {(row["kind"], row["id"]): row["periods"] for row in view["uptime"]}


def _summary(card: Scorecard, everything: Sequence[Any]) -> dict[str, Any]:
    """The executive summary in plain words: the grade, what is weakest, what to do first."""
    worst = sorted(
        card.functions,
        key=lambda f: (-f.risk.risk, -RANK[f.function.criticality], f.function.id),
    )
    weakest = worst[0] if worst else None
    headline = f"Overall grade {card.grade} (risk {card.risk} out of 100; lower is better)."
    if weakest is not None and weakest.risk.driven_by:
        names = {d.dependency.id: d.dependency.name for d in card.dependencies}
        headline += (
            f" The most exposed part of the business is “{weakest.function.name}”"
            f" (grade {weakest.risk.grade}), which rests on {names[weakest.risk.driven_by]}."
        )
    spofs = sorted({d for f in card.functions for d in f.cuts.single})
    return {
        "headline": headline,
        "single_points_of_failure": spofs,
        "top_actions": [r.to_json() for r in everything[:TOP_ACTIONS]],
    }


def _dependency(
    scored: DependencyScore,
    loaded: LoadedInventory,
    everyone: Mapping[str, DependencyScore],
    uptime: Mapping[tuple[str, str], Any],
    days: DependencyHistory | None,
    incidents: Sequence[Mapping[str, Any]],
    results: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    dep, pack = scored.dependency, scored.pack
    own_results = [r for r in results if r.get("dependency") == dep.id]
    return {
        **scored.to_json(),
        "customer_impact": customer_impact(loaded, scored, everyone),
        "sla_facts": sla_facts(dep, pack),
        "failure_modes": ([m.model_dump(mode="json") for m in pack.failure_modes] if pack else []),
        "uptime": uptime.get(("dependency", dep.id)),
        "daily": [
            {
                "date": record.name,
                "uptime_pct": _pct(record.tally.up, record.tally.observed),
                "coverage_pct": _pct(
                    record.tally.observed, record.tally.total - record.tally.maintenance
                ),
                "check": record.check,
            }
            for record in (days.months if days else ())
        ],
        "incidents": [i for i in incidents if str(i["check"]).split("/", 1)[0] == dep.id],
        "checks": _latest(own_results),
    }


def customer_impact(
    loaded: LoadedInventory, scored: DependencyScore, everyone: Mapping[str, DependencyScore]
) -> list[dict[str, str]]:
    """What customers experience when this dependency fails, function by function."""
    inventory = loaded.inventory
    dep, pack = scored.dependency, scored.pack
    names = {d.id: d.name for d in inventory.dependencies}
    seen = (
        pack.failure_modes[0].what_customers_see
        if pack is not None and pack.failure_modes
        else None
    )
    found = []
    for function in inventory.functions:
        if dep.id not in needs_closure(inventory, function.needs):
            continue
        if function.id in scored.structure.blast_radius:
            text = f"“{function.name}” stops" + (f": {_lower_first(seen)}" if seen else ".")
        else:
            stand_ins = _stand_ins(inventory.dependencies, function, dep.id)
            text = (
                f"If it fails outright, “{function.name}” goes on through "
                f"{' or '.join(names[s] for s in stand_ins)}, once someone switches over."
                if stand_ins
                else f"“{function.name}” goes on, unless something it shares fate with "
                "fails at the same time."
            )
            if seen:
                # A silent failure never triggers the switch: the stand-in does not help.
                text += f" If it fails silently: {_lower_first(seen)}"
        found.append({"function": function.id, "text": text})
    return found


def _stand_ins(dependencies: Sequence[Dependency], function: Function, failed: str) -> list[str]:
    """Alternatives on the function's path that stand in for ``failed`` or what needs it."""
    by_id = {d.id: d for d in dependencies}
    result: list[str] = []
    for node in function.needs:
        for alternative in by_id[node].alternatives if node in by_id else ():
            if alternative not in result and alternative != failed:
                result.append(alternative)
    return result


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def sla_facts(dep: Dependency, pack: Pack | None) -> list[dict[str, Any]]:
    """The contract as the pack and the inventory state it, each fact with its source."""
    facts: list[dict[str, Any]] = []
    override = dep.sla
    if override.model_dump(exclude_none=True, exclude={"source"}):
        for label, value in (
            ("uptime %", override.uptime),
            ("financially backed", override.financially_backed),
            ("support response", override.support_response),
            ("human support", override.human_support),
            ("data export", override.data_export),
        ):
            if value is not None:
                facts.append(
                    {
                        "label": label,
                        "value": _shown(value),
                        "source": override.source or "the business's own contract",
                        "checked": None,
                        "note": "from the inventory",
                    }
                )
    if pack is None:
        return facts
    plan = pack.plan(dep.plan)

    def fact(label: str, item: Fact[Any] | None) -> None:
        if item is not None:
            facts.append(
                {
                    "label": label,
                    "value": _shown(item.value),
                    "source": item.source,
                    "checked": item.checked.isoformat(),
                    "note": item.note,
                }
            )

    fact(f"monthly cost ({plan.name})", plan.monthly_cost)
    fact("uptime %", plan.sla.uptime)
    fact("financially backed", plan.sla.financially_backed)
    fact("service credits", plan.sla.credits)
    fact("claim window", plan.sla.claim_window)
    fact("support channels", plan.support.channels)
    fact("support response", plan.support.response)
    fact("human support", plan.support.human)
    fact("data export", pack.data_export)
    fact("phone number portable", pack.portability.phone_number)
    fact("domain portable", pack.portability.domain)
    fact("e-mail address portable", pack.portability.email_address)
    return facts


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(
            f"below {v.below}%: {v.credit}" if hasattr(v, "below") else str(v) for v in value
        )
    if hasattr(value, "total_seconds"):
        return format_duration(value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _latest(results: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The newest result of each check, in check order."""
    latest: dict[str, Mapping[str, Any]] = {}
    for result in results:
        key = str(result["check"])
        if key not in latest or str(result["observed_at"]) > str(latest[key]["observed_at"]):
            latest[key] = result
    return [
        {
            "id": r["check"],
            "type": r.get("type"),
            "status": r["status"],
            "summary": r["summary"],
            "observed_at": r["observed_at"],
            "latency_ms": r.get("latency_ms"),
        }
        for r in latest.values()
    ]


def _map(loaded: LoadedInventory, card: Scorecard) -> dict[str, Any]:
    """Functions, dependencies and the edges between them, for the drawn map."""
    inventory = loaded.inventory
    spofs = {d for f in card.functions for d in f.cuts.single}
    grades = {d.dependency.id: d.risk.grade for d in card.dependencies}
    nodes = [
        {
            "id": f.function.id,
            "kind": "function",
            "label": f.function.name,
            "grade": f.risk.grade,
            "criticality": f.function.criticality,
        }
        for f in card.functions
    ] + [
        {
            "id": d.id,
            "kind": "dependency",
            "label": d.name,
            "grade": grades[d.id],
            "spof": d.id in spofs,
        }
        for d in inventory.dependencies
    ]
    edges = [
        {"from": f.id, "to": need, "kind": "needs"} for f in inventory.functions for need in f.needs
    ]
    for d in inventory.dependencies:
        edges += [{"from": d.id, "to": need, "kind": "needs"} for need in d.needs]
        edges += [{"from": d.id, "to": alt, "kind": "alternative"} for alt in d.alternatives]
    pairs = sorted({tuple(p) for f in card.functions for p in f.cuts.pairs})
    return {"nodes": nodes, "edges": edges, "shared_fate": [list(p) for p in pairs]}


def _pct(part: timedelta, whole: timedelta) -> float | None:
    if whole.total_seconds() <= 0:
        return None
    return round(100 * (part / whole), 3)
