"""Recommendations: what to do about a dependency's findings, ranked by risk removed per effort.

Three kinds, in this order:

1. ``claim`` — a service credit that can still be claimed, soonest deadline first (money on
   the table, and the window closes).
2. ``quick`` and ``migration`` together, ranked by risk removed per unit of effort (low 1,
   medium 3, high 8): a quick action answers specific findings and removes their points; a
   migration moves to a service its pack names, and removes the contract risk the move would
   save (the dependency re-scored against the target's first plan) plus any lifecycle risk.
   It answers the contract part as a whole, so its ``addresses`` names only the lifecycle
   findings it ends.

Nothing here is advice without a reason: every recommendation says the risk it removes
(``risk_removed``, in the same points as the score) and the findings it answers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from freecost.durations import format_duration
from freecost.inventory import Dependency
from freecost.packs import Pack, Plan
from freecost.scoring.findings import Finding

Effort = Literal["low", "medium", "high"]
Kind = Literal["claim", "quick", "migration"]

EFFORT_COST: dict[Effort, int] = {"low": 1, "medium": 3, "high": 8}
_KIND_ORDER: dict[Kind, int] = {"claim": 0, "quick": 1, "migration": 2}

_CANARY_BY_CATEGORY = {
    "telephony": "voice-call",
    "email": "email-roundtrip",
    "website": "form",
}
_CANARY_BY_ASSET = {"phone-number": "voice-call", "email-address": "email-roundtrip"}
_DATA_CATEGORIES = frozenset({"crm", "files", "notes"})


@dataclass(frozen=True)
class Recommendation:
    """One thing to do, why, what it costs and how much risk it takes away."""

    dependency: str
    kind: Kind
    action: str
    why: str
    effort: Effort
    monthly_cost: float | None
    risk_removed: int
    addresses: tuple[str, ...]
    deadline: date | None = None

    @property
    def value(self) -> float:
        """Risk removed per unit of effort: the ranking key."""
        return self.risk_removed / EFFORT_COST[self.effort]

    def to_json(self) -> dict[str, Any]:
        return {
            "dependency": self.dependency,
            "kind": self.kind,
            "action": self.action,
            "why": self.why,
            "effort": self.effort,
            "monthly_cost": self.monthly_cost,
            "risk_removed": self.risk_removed,
            "addresses": list(self.addresses),
            "deadline": self.deadline.isoformat() if self.deadline else None,
        }


@dataclass(frozen=True)
class Claim:
    """A service credit that can still be claimed."""

    month: str
    credit: str
    claim_by: date


def rank(recommendations: Sequence[Recommendation]) -> list[Recommendation]:
    """Claims first by deadline, then the best risk removed per effort."""

    def key(r: Recommendation) -> tuple[Any, ...]:
        if r.kind == "claim":
            return (0, r.deadline or date.max, 0.0, r.action)
        return (1, date.max, -r.value, _KIND_ORDER[r.kind], -r.risk_removed, r.action)

    return sorted(recommendations, key=key)


def recommend(
    dependency: Dependency,
    pack: Pack | None,
    findings: Sequence[Finding],
    catalog: Mapping[str, Pack],
    claims: Sequence[Claim],
    contract_risk: Callable[[Dependency, Pack | None], int],
) -> list[Recommendation]:
    """Every recommendation for one dependency, ranked.

    ``findings`` carry risk points (see :mod:`freecost.scoring.risk`); ``contract_risk``
    scores the contract part of a dependency's risk, used to price a migration.
    """
    points: dict[str, int] = {}
    by_code: dict[str, list[Finding]] = {}
    for finding in findings:
        points[finding.code] = points.get(finding.code, 0) + finding.points
        by_code.setdefault(finding.code, []).append(finding)
    found: list[Recommendation] = [_claim(dependency, claim) for claim in claims]
    answered: set[str] = set()
    # Findings come most costly first, so a canary is met before the reachability it covers.
    for code in by_code:
        quick = _QUICK.get(code)
        if quick is None or code in answered:
            continue
        action, why, effort = quick(dependency, pack)
        codes = tuple(c for c in (code, *_ALSO.get(code, ())) if c in points and c not in answered)
        answered.update(codes)
        removed = sum(points[c] for c in codes)
        found.append(
            Recommendation(dependency.id, "quick", action, why, effort, None, removed, codes)
        )
    found.extend(_migrations(dependency, pack, points, catalog, contract_risk))
    return rank([r for r in found if r.kind == "claim" or r.risk_removed > 0])


def _claim(dependency: Dependency, claim: Claim) -> Recommendation:
    return Recommendation(
        dependency.id,
        "claim",
        f"Claim the service credit for {claim.month} from {dependency.name} "
        f"by {claim.claim_by.isoformat()}",
        f"Observed uptime in {claim.month} was below the promise; the contract owes "
        f"{claim.credit}.",
        "low",
        None,
        0,
        ("SLA_BREACHED",),
        claim.claim_by,
    )


QuickAction = Callable[[Dependency, Pack | None], tuple[str, str, Effort]]


def _personal_account(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    held = [a.value for a in dep.assets]
    what = f", with {', '.join(held)}" if held else ""
    return (
        f"Move {dep.name} to an account the business owns{what}",
        "A personal account leaves with the person and cannot be recovered by the business.",
        "medium",
    )


def _canary_kind(dep: Dependency, pack: Pack | None) -> str | None:
    """The canary that walks a customer's path through ``dep``, if its kind is known."""
    kind = _CANARY_BY_CATEGORY.get(pack.category) if pack is not None else None
    if kind is None:
        kinds = [_CANARY_BY_ASSET[a.kind] for a in dep.assets if a.kind in _CANARY_BY_ASSET]
        kind = kinds[0] if kinds else None
    return kind


def _canary(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    kind = _canary_kind(dep, pack)
    return (
        f"Add {_a(kind)} canary to {dep.name}",
        "Only a real test message proves customers' calls, e-mails or forms arrive; a silent "
        "failure otherwise lasts until a customer complains.",
        "low",
    )


def _watch(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    kind = _canary_kind(dep, pack)
    if pack is not None and pack.default_checks and dep.checks is None:
        how = f"the {pack.service} pack's default checks"
    elif kind is not None:
        how = f"{_a(kind)} canary"
    elif any(a.kind == "domain" for a in dep.assets):
        how = "a domain check and dns checks on its NS and MX records"
    else:
        how = (
            "a check that proves it answers (http, tcp or dns), or a canary through a "
            "service that needs it"
        )
    return (
        f"Watch {dep.name}: add {how}",
        "Nothing notices when it fails; the first to know is a customer.",
        "low",
    )


def _a(kind: str | None) -> str:
    if kind is None:
        return "an end-to-end"
    return f"an {kind}" if kind[0] in "aeiou" else f"a {kind}"


def _reachability(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    return (
        f"Add a reachability check (http, tls or dns) for {dep.name}",
        "A vendor's status page lags and misses local faults; a probe from here sees them.",
        "low",
    )


def _vendor_status(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    page = pack.status_page if pack is not None else None
    where = f" ({page.provider} page at {page.url})" if page is not None else ""
    return (
        f"Read the vendor's status page for {dep.name}{where}: add a statuspage check",
        "The vendor's own admission of an incident explains a failure in minutes.",
        "low",
    )


def _expiry(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    domains = ", ".join(a.value for a in dep.assets if a.kind == "domain")
    return (
        f"Turn on registrar lock and auto-renew for {domains}, and add a domain check",
        "An expired or transferred domain takes the website and every e-mail address with it.",
        "low",
    )


def _spof(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    category = pack.category if pack is not None else None
    kinds = {a.kind for a in dep.assets}
    if category in _DATA_CATEGORIES:
        return (
            f"Export {dep.name} data weekly to storage outside its account, watch the export "
            "with a file-age check, and list it as an alternative",
            "With a fresh export, the business can still look up its records when the "
            "service is down or the account is lost.",
            "low",
        )
    if category in ("dns", "domain") or "domain" in kinds:
        return (
            f"Add a second DNS provider and a backup MX for the domain {dep.name} holds",
            "One provider's outage then no longer stops the website and e-mail.",
            "medium",
        )
    if category == "telephony" or "phone-number" in kinds:
        return (
            f"Keep a second number (a mobile or another provider) as an alternative to "
            f"{dep.name}, and forward to it when it fails",
            "Callers then still reach someone while the service is down.",
            "medium",
        )
    if category == "email" or "email-address" in kinds:
        return (
            f"Give e-mail a second path: a backup MX or a forward to a mailbox outside {dep.name}",
            "Mail then still arrives somewhere the business reads while the service is down.",
            "medium",
        )
    return (
        f"Add an independent alternative for {dep.name} (another vendor, another account)",
        "Nothing stands in when it fails.",
        "high",
    )


def _hollow(dep: Dependency, pack: Pack | None) -> tuple[str, str, Effort]:
    return (
        f"Move the alternatives of {dep.name} to another account or vendor",
        "An alternative that shares the account, vendor or domain fails at the same moment.",
        "medium",
    )


_QUICK: dict[str, QuickAction] = {
    "PERSONAL_ACCOUNT": _personal_account,
    "NO_CANARY": _canary,
    "NOT_WATCHED": _watch,
    "NO_REACHABILITY": _reachability,
    "NO_VENDOR_STATUS": _vendor_status,
    "NO_EXPIRY_WATCH": _expiry,
    "SINGLE_POINT_OF_FAILURE": _spof,
    "HOLLOW_ALTERNATIVE": _hollow,
}

# A canary also tests that the service answers, so it answers that finding too.
_ALSO: dict[str, tuple[str, ...]] = {"NO_CANARY": ("NO_REACHABILITY",)}


def _migrations(
    dependency: Dependency,
    pack: Pack | None,
    points: Mapping[str, int],
    catalog: Mapping[str, Pack],
    contract_risk: Callable[[Dependency, Pack | None], int],
) -> list[Recommendation]:
    if pack is None:
        return []
    now = contract_risk(dependency, pack)
    ending = tuple(c for c in ("SERVICE_DISCONTINUED", "SERVICE_ENDING") if c in points)
    lifecycle = sum(points[c] for c in ending)
    found = []
    for target in pack.migration_targets:
        to = catalog.get(target.service)
        if to is None:
            continue
        plan = to.plans[0]
        moved = dependency.model_copy(update={"service": to.service, "plan": plan.id})
        saved = max(0, now - contract_risk(moved, to))
        addresses: tuple[str, ...] = ()
        if to.lifecycle.status == "active":
            saved += lifecycle
            addresses = ending
        found.append(
            Recommendation(
                dependency.id,
                "migration",
                f"Move {dependency.name} to {to.name} ({plan.name})",
                f"{target.why} {_terms(plan)}",
                target.effort,
                _cost(plan),
                saved,
                addresses,
            )
        )
    return found


def _cost(plan: Plan) -> float | None:
    value = plan.monthly_cost.value
    return None if value == "unknown" else float(value)


def _terms(plan: Plan) -> str:
    """The target plan's promise in a few words, from its sourced facts."""
    uptime = plan.sla.uptime.value
    sla = (
        "no uptime promise"
        if uptime == "none"
        else "uptime promise unknown"
        if uptime == "unknown"
        else f"{uptime}% uptime"
    )
    credits = plan.sla.financially_backed.value
    if credits is True:
        sla += " with service credits"
    response = plan.support.response.value
    support = (
        "support response unknown"
        if response == "unknown"
        else "no promised support response"
        if response == "none"
        else f"support response within {format_duration(response)}"
    )
    cost = plan.monthly_cost.value
    price = "cost unknown" if cost == "unknown" else f"{cost:g} a month ({plan.cost_basis})"
    return f"Its terms: {sla}; {support}; {price}."
