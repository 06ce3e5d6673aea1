"""SLA coverage: does a dependency's contract cover what the business's functions need?

:func:`sla_coverage` scores one dependency from 0 to 100. The most critical function that
relies on it sets the bar, and the shortest RTO among those functions sets the support bar.
The points, out of 100:

==========================  ======  ====================================================
part                        points  full points when
==========================  ======  ====================================================
uptime commitment             30    the SLA promises at least 99.9 (critical), 99.5 (high)
                                    or 99.0 (medium) percent a month; a low function, or
                                    none at all, needs no commitment
financially backed            15    missing the promise earns credits
support response              20    the promised response is no longer than the RTO
human support                 10    a person at the vendor can be reached
data export                   10    the data can be exported
identity assets portable      10    every number, domain and address can move (split
                                    evenly between the assets; none listed: full points)
business-owned account         5    the account belongs to the business, not a person
==========================  ======  ====================================================

The dependency's own ``sla:`` block (its contract) beats the pack, and an asset's own
``portable`` beats the pack's portability fact. Every point lost is carried by exactly one
finding, so ``score + sum(finding.points) == 100`` always holds:

- a confirmed shortfall: ``NO_SLA``, ``SLA_BELOW_NEED``, ``NO_CREDITS``,
  ``SUPPORT_SLOWER_THAN_RTO``, ``NO_HUMAN_SUPPORT``, ``NO_DATA_EXPORT``,
  ``ASSET_NOT_PORTABLE``, ``PERSONAL_ACCOUNT``;
- a fact nobody confirmed (``unknown``): ``FACT_UNKNOWN``, one severity lower, because an
  unconfirmed promise may exist but cannot be counted on;
- no pack for the service: one ``NO_PACK`` finding carrying every part the inventory itself
  does not answer.

Severity follows the bar: a confirmed shortfall is ``high`` for a critical function,
``medium`` for high, ``low`` for medium and low.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Generic, Literal, TypeVar

from freecost.durations import format_duration
from freecost.inventory import Asset, Criticality, Dependency, Function, Inventory
from freecost.packs import Fact, Pack, Plan
from freecost.scoring.findings import Finding, Severity

T = TypeVar("T")

Part = Literal[
    "uptime",
    "financially_backed",
    "support_response",
    "human_support",
    "data_export",
    "identity_assets",
    "account",
]

WEIGHTS: dict[Part, int] = {
    "uptime": 30,
    "financially_backed": 15,
    "support_response": 20,
    "human_support": 10,
    "data_export": 10,
    "identity_assets": 10,
    "account": 5,
}

UPTIME_NEEDED: dict[Criticality, float | None] = {
    "critical": 99.9,
    "high": 99.5,
    "medium": 99.0,
    "low": None,
}

RANK: dict[Criticality, int] = {"critical": 3, "high": 2, "medium": 1, "low": 0}


def top_criticality(functions: Sequence[Function]) -> Criticality:
    """The most critical of ``functions``; ``low`` when there are none."""
    if not functions:
        return "low"
    return max((f.criticality for f in functions), key=RANK.__getitem__)


_CONFIRMED: dict[Criticality, Severity] = {
    "critical": "high",
    "high": "medium",
    "medium": "low",
    "low": "low",
}
_LOWER: dict[Severity, Severity] = {
    "critical": "high",
    "high": "medium",
    "medium": "low",
    "low": "info",
    "info": "info",
}
_ASSET_LABEL = {
    "phone-number": "phone number",
    "domain": "domain",
    "email-address": "e-mail address",
}


@dataclass(frozen=True)
class Coverage:
    """A dependency's SLA coverage (0-100) and the findings that explain every lost point."""

    score: int
    findings: list[Finding]


@dataclass(frozen=True)
class Bar:
    """What the contract must meet: set by the functions that rely on the dependency."""

    criticality: Criticality
    rto: timedelta | None
    functions: tuple[str, ...]

    @classmethod
    def of(cls, functions: Sequence[Function]) -> Bar:
        if not functions:
            return cls("low", None, ())
        top = max(functions, key=lambda f: RANK[f.criticality])
        return cls(
            top.criticality,
            min(f.rto for f in functions),
            tuple(f.name for f in functions),
        )

    @property
    def who(self) -> str:
        """The functions, in the business's words, for messages."""
        return "; ".join(self.functions) if self.functions else "no function"


@dataclass(frozen=True)
class Said(Generic[T]):
    """One resolved statement: its value (or ``unknown``) and the quote that shows it."""

    value: T | Literal["unknown"]
    evidence: str

    @property
    def known(self) -> bool:
        return self.value != "unknown"


def sla_coverage(dependency: Dependency, pack: Pack | None, functions: list[Function]) -> Coverage:
    """Score how well ``dependency``'s contract covers ``functions`` (those relying on it).

    ``pack`` is the dependency's service pack, or None when it has none; then only what the
    inventory itself says (its ``sla:`` block, assets, account) can earn points.
    """
    bar = Bar.of(functions)
    plan = pack.plan(dependency.plan) if pack is not None else None
    scorer = _Scorer(dependency, bar)
    scorer.uptime(_uptime(dependency, plan))
    scorer.financially_backed(_financially_backed(dependency, plan))
    scorer.support_response(_support_response(dependency, plan))
    scorer.human_support(_human_support(dependency, plan))
    scorer.data_export(_data_export(dependency, pack))
    scorer.identity_assets(pack)
    scorer.account()
    return scorer.coverage()


def relying_functions(inventory: Inventory, dependency_id: str) -> list[Function]:
    """The functions that rely on ``dependency_id``: directly, upstream or as a fallback.

    An alternative counts: while it stands in, the function runs on its contract.
    """
    upstream = {d.id: [*d.needs, *d.alternatives] for d in inventory.dependencies}
    relying = []
    for function in inventory.functions:
        seen: set[str] = set()
        stack = list(function.needs)
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(upstream.get(current, []))
        if dependency_id in seen:
            relying.append(function)
    return relying


class _Scorer:
    """Collects findings part by part; the score is 100 minus the points they carry."""

    def __init__(self, dependency: Dependency, bar: Bar) -> None:
        self.dependency = dependency
        self.bar = bar
        self.findings: list[Finding] = []
        self.unassessed: list[tuple[str, int]] = []

    @property
    def confirmed(self) -> Severity:
        return _CONFIRMED[self.bar.criticality]

    def coverage(self) -> Coverage:
        if self.unassessed:
            self.findings.append(
                Finding(
                    "NO_PACK",
                    _LOWER[self.confirmed],
                    f"{self.dependency.name}: freecost has no pack for this service, so its "
                    "contract could not be checked; add a pack or an `sla:` block.",
                    "not assessed: " + ", ".join(label for label, _ in self.unassessed),
                    sum(points for _, points in self.unassessed),
                )
            )
        lost = sum(finding.points for finding in self.findings)
        return Coverage(100 - lost, self.findings)

    def lose(self, code: str, severity: Severity, message: str, evidence: str, points: int) -> None:
        self.findings.append(Finding(code, severity, message, evidence, points))

    def unknown(self, what: str, evidence: str, points: int) -> None:
        self.lose(
            "FACT_UNKNOWN",
            _LOWER[self.confirmed],
            f"{self.dependency.name}: nobody could confirm {what}, so {self.bar.who} "
            "cannot count on it.",
            evidence,
            points,
        )

    def resolved(self, said: Said[T] | None, label: str, points: int) -> T | None:
        """The known value, or None after recording why it earns nothing."""
        if said is None:
            self.unassessed.append((label, points))
            return None
        if not said.known:
            self.unknown(label, said.evidence, points)
            return None
        return said.value  # type: ignore[return-value]

    def uptime(self, said: Said[float | Literal["none"]] | None) -> None:
        points = WEIGHTS["uptime"]
        needed = UPTIME_NEEDED[self.bar.criticality]
        if needed is None:
            # Nothing relying on it needs a promise, so the lack of one costs nothing.
            return
        value = self.resolved(said, "the uptime commitment", points)
        if value is None or said is None:
            return
        name, who = self.dependency.name, self.bar.who
        if value == "none":
            self.lose(
                "NO_SLA",
                self.confirmed,
                f"{name} promises no uptime, yet {who} needs {needed}% ({self.bar.criticality}).",
                said.evidence,
                points,
            )
        elif value < needed:
            self.lose(
                "SLA_BELOW_NEED",
                self.confirmed,
                f"{name} promises {value}% uptime; {who} needs {needed}% ({self.bar.criticality}).",
                said.evidence,
                points,
            )

    def financially_backed(self, said: Said[bool] | None) -> None:
        points = WEIGHTS["financially_backed"]
        if self.resolved(said, "service credits", points) is False and said is not None:
            self.lose(
                "NO_CREDITS",
                self.confirmed,
                f"{self.dependency.name} owes nothing when it is down: no service credits.",
                said.evidence,
                points,
            )

    def support_response(self, said: Said[timedelta | Literal["none"]] | None) -> None:
        points = WEIGHTS["support_response"]
        value = self.resolved(said, "the support response time", points)
        if value is None or said is None:
            return
        rto = self.bar.rto
        if value == "none":
            within = f" within the {format_duration(rto)} RTO" if rto is not None else ""
            self.lose(
                "SUPPORT_SLOWER_THAN_RTO",
                self.confirmed,
                f"{self.dependency.name} promises no support response, so nobody is "
                f"bound to help{within} of {self.bar.who}.",
                said.evidence,
                points,
            )
        elif rto is not None and value > rto:
            self.lose(
                "SUPPORT_SLOWER_THAN_RTO",
                self.confirmed,
                f"{self.dependency.name} promises a response in {format_duration(value)}, "
                f"longer than the {format_duration(rto)} RTO of {self.bar.who}.",
                said.evidence,
                points,
            )

    def human_support(self, said: Said[bool] | None) -> None:
        points = WEIGHTS["human_support"]
        if self.resolved(said, "human support", points) is False and said is not None:
            self.lose(
                "NO_HUMAN_SUPPORT",
                self.confirmed,
                f"{self.dependency.name} offers no person to talk to when it breaks.",
                said.evidence,
                points,
            )

    def data_export(self, said: Said[bool] | None) -> None:
        points = WEIGHTS["data_export"]
        if self.resolved(said, "data export", points) is False and said is not None:
            self.lose(
                "NO_DATA_EXPORT",
                self.confirmed,
                f"{self.dependency.name} gives no way to export the business's data.",
                said.evidence,
                points,
            )

    def identity_assets(self, pack: Pack | None) -> None:
        assets = self.dependency.assets
        for asset, points in zip(
            assets, _split(WEIGHTS["identity_assets"], len(assets)), strict=True
        ):
            label = f"whether the {_ASSET_LABEL[asset.kind]} {asset.value} can move"
            said = _portable(asset, pack)
            if self.resolved(said, label, points) is False and said is not None:
                self.lose(
                    "ASSET_NOT_PORTABLE",
                    self.confirmed,
                    f"The {_ASSET_LABEL[asset.kind]} {asset.value} cannot leave "
                    f"{self.dependency.name}; customers who know it are lost with the service.",
                    said.evidence,
                    points,
                )

    def account(self) -> None:
        points = WEIGHTS["account"]
        account = self.dependency.account
        if account is None:
            self.lose(
                "FACT_UNKNOWN",
                _LOWER[self.confirmed],
                f"{self.dependency.name}: whose account it is was not recorded.",
                "inventory: no `account:` on this dependency",
                points,
            )
        elif account.owner == "personal":
            self.lose(
                "PERSONAL_ACCOUNT",
                self.confirmed,
                f"{self.dependency.name} is held by a personal account ({account.id}); it "
                "leaves with the person, and the business cannot recover it alone.",
                f"inventory: account {{owner: personal, id: {account.id}}}",
                points,
            )


def _split(total: int, parts: int) -> list[int]:
    """``total`` in ``parts`` whole shares that add up exactly (the first ones take the rest)."""
    if parts == 0:
        return []
    share, rest = divmod(total, parts)
    return [share + (1 if index < rest else 0) for index in range(parts)]


def _from_fact(label: str, fact: Fact[T], show: Callable[[T], str] = str) -> Said[T]:
    value = fact.value
    shown = "unknown" if value == "unknown" else show(value)
    source = fact.source or "no source"
    note = f" ({fact.note.strip()})" if fact.note else ""
    return Said(
        value, f"pack: {label} = {shown}; {source}, checked {fact.checked.isoformat()}{note}"
    )


def _from_override(dependency: Dependency, label: str, value: T, shown: str) -> Said[T]:
    where = dependency.sla.source or "the inventory's sla: block"
    return Said(value, f"contract: {label} = {shown}; {where}")


def _percent(value: float | Literal["none"]) -> str:
    return value if value == "none" else f"{value}%"


def _response(value: timedelta | Literal["none"]) -> str:
    return format_duration(value) if isinstance(value, timedelta) else value


def _yes_no(value: bool) -> str:
    return "yes" if value else "no"


def _uptime(dependency: Dependency, plan: Plan | None) -> Said[float | Literal["none"]] | None:
    own = dependency.sla.uptime
    if own is not None:
        return _from_override(dependency, "uptime", own, _percent(own))
    return _from_fact("uptime", plan.sla.uptime, _percent) if plan else None


def _financially_backed(dependency: Dependency, plan: Plan | None) -> Said[bool] | None:
    own = dependency.sla.financially_backed
    if own is not None:
        return _from_override(dependency, "financially backed", own, _yes_no(own))
    fact = plan.sla.financially_backed if plan else None
    return _from_fact("financially backed", fact, _yes_no) if fact else None


def _support_response(
    dependency: Dependency, plan: Plan | None
) -> Said[timedelta | Literal["none"]] | None:
    own = dependency.sla.support_response
    if own is not None:
        return _from_override(dependency, "support response", own, format_duration(own))
    return _from_fact("support response", plan.support.response, _response) if plan else None


def _human_support(dependency: Dependency, plan: Plan | None) -> Said[bool] | None:
    own = dependency.sla.human_support
    if own is not None:
        return _from_override(dependency, "human support", own, _yes_no(own))
    return _from_fact("human support", plan.support.human, _yes_no) if plan else None


def _data_export(dependency: Dependency, pack: Pack | None) -> Said[bool] | None:
    own = dependency.sla.data_export
    if own is not None:
        return _from_override(dependency, "data export", own, _yes_no(own))
    return _from_fact("data export", pack.data_export, _yes_no) if pack else None


def _portable(asset: Asset, pack: Pack | None) -> Said[bool] | None:
    label = f"{asset.kind} {asset.value} portable"
    if asset.portable is not None:
        return Said(asset.portable, f"inventory: {label} = {_yes_no(asset.portable)}")
    if pack is None:
        return None
    facts: dict[str, Fact[bool] | None] = {
        "phone-number": pack.portability.phone_number,
        "domain": pack.portability.domain,
        "email-address": pack.portability.email_address,
    }
    fact = facts[asset.kind]
    if fact is None:
        return Said("unknown", f"pack {pack.service}: says nothing about moving a {asset.kind}")
    return _from_fact(label, fact, _yes_no)
