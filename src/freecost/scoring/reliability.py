"""Observed reliability: did a dependency keep its promise, and was it up as much as needed?

:func:`observed_reliability` judges the calendar months :mod:`freecost.observed` gathered for
one dependency against two bars: the monthly uptime its contract promises (the dependency's
own ``sla.uptime`` beats its pack plan's), and the uptime the most critical function relying
on it needs (:data:`~freecost.scoring.sla.UPTIME_NEEDED`), whatever the contract says. The
score runs from 0 to 100; the points lost, out of 100:

==============  ======  ==============================================================
finding         points  when
==============  ======  ==============================================================
SLA_BREACHED      40    a month was up less than the promise; one finding per month,
                        newest first, 60 points at most in all (40, then 20, then 0)
BELOW_NEED        40    over the whole window, up less than the functions need
LOW_COVERAGE       0    less than 80% of the window was observed: the figures are
                        partial (how well a dependency is watched is scored elsewhere)
NO_HISTORY         0    nothing was observed at all
==============  ======  ==============================================================

Every point lost is carried by exactly one finding, and at most 100 are lost, so
``score + sum(finding.points) == 100`` always holds.

How the figures are counted. Uptime is up time over observed (up plus down) time; coverage
is observed time over the time that was not maintenance. Both are time-weighted: the whole
window is the sum of its months' tallies, not an average of monthly percentages. A month is
judged on its uptime rounded to 3 decimals, the figure the JSON shows, so a month shown at
the promise is never called a breach.

Sparse figures cannot prove a breach: a month observed less than half of the time cannot be
breached, and the whole window must be observed at least half of the time to be below need.
The month still running (month to date) is judged on the best it can still end at, as if
every remaining minute were watched and up: a breach is called only once it is certain.

Credits. The applying tier is the deepest one the judged uptime falls below (``below`` is
strict: 99.0 is not below 99.0). A credit can be claimed until the month's end plus the
plan's claim window; ``claim_by`` is the last day of that in the business's timezone. The
pack's credit terms and claim window belong to its plan, so they are used only when the
promise tested is the pack's (no override, or an override equal to the pack's promise):
a contract of the business's own may owe something else, and that is not guessed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from freecost.durations import format_duration
from freecost.inventory import Dependency, Function
from freecost.packs import CreditTier, Pack, Plan
from freecost.scoring.findings import Finding, Severity
from freecost.scoring.sla import UPTIME_NEEDED, Bar
from freecost.uptime import Tally

BREACH_POINTS = 40
BREACH_CAP = 60
BELOW_NEED_POINTS = 40
JUDGEABLE_COVERAGE = 50.0
"""Percent of a month (or of the window) that must be observed before a shortfall counts."""
TRUSTED_COVERAGE = 80.0
"""Below this percent of the window observed, the figures are flagged as partial."""

_BELOW_NEED_SEVERITY: dict[str, Severity] = {"critical": "high", "high": "medium"}


@dataclass(frozen=True)
class MonthRecord:
    """One calendar month (or the month so far) of one dependency, as observed."""

    name: str
    """The month, ``2026-10``."""
    start: datetime
    end: datetime
    """Exclusive; ``now`` for the month so far."""
    tally: Tally
    """The dependency's time over [start, end); it must cover the whole stretch."""
    check: str | None
    """The check the tally came from (``dependency/check``), None when there was none."""
    closes: datetime | None = None
    """When the calendar month ends, if later than ``end`` (the month so far)."""
    timezone: str = "UTC"
    """The business's timezone: a claim deadline's date is read in it."""

    def __post_init__(self) -> None:
        for moment in (self.start, self.end, self.closes):
            if moment is not None and moment.utcoffset() is None:
                raise ValueError("a month's start, end and close must be timezone-aware")
        if self.end < self.start:
            raise ValueError("a month cannot end before it starts")

    @property
    def complete(self) -> bool:
        return self.closes is None or self.closes <= self.end

    @property
    def month_end(self) -> datetime:
        """The end of the calendar month (equal to ``end`` when the month is complete)."""
        return self.end if self.closes is None else max(self.closes, self.end)


@dataclass(frozen=True)
class DependencyHistory:
    """A dependency's observed months, oldest first."""

    dependency: str
    months: tuple[MonthRecord, ...]


@dataclass(frozen=True)
class MonthVerdict:
    """One month judged against the promise."""

    name: str
    uptime_pct: float | None
    coverage_pct: float | None
    promised_pct: float | None
    """The plan's monthly uptime promise; None when there is none or it is unknown."""
    breached: bool
    """Up less than the promise, with enough of the month observed to tell."""
    credit: str | None
    """The text of the credit tier that applies, when the credit terms are known."""
    claim_by: date | None
    """The last day to claim: the month's end plus the claim window, when it is known."""
    claimable: bool
    """Breached, a credit applies, and the claim window is still open."""
    complete: bool = True
    """False for the month so far."""
    check: str | None = None
    """The check whose figures these are."""

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "complete": self.complete,
            "check": self.check,
            "uptime_pct": _round(self.uptime_pct),
            "coverage_pct": _round(self.coverage_pct),
            "promised_pct": self.promised_pct,
            "breached": self.breached,
            "credit": self.credit,
            "claim_by": self.claim_by.isoformat() if self.claim_by else None,
            "claimable": self.claimable,
        }


@dataclass(frozen=True)
class Reliability:
    """A dependency's observed reliability (0-100) and the findings for every lost point."""

    score: int
    findings: list[Finding]
    months: list[MonthVerdict]
    uptime_pct: float | None
    """Over all months together: up time over observed time."""
    coverage_pct: float | None
    """Over all months together: observed time over the time that was not maintenance."""

    def to_json(self) -> dict[str, Any]:
        return {
            "uptime_pct": _round(self.uptime_pct),
            "coverage_pct": _round(self.coverage_pct),
            "months": [month.to_json() for month in self.months],
            "claimable": [
                {
                    "month": month.name,
                    "credit": month.credit,
                    "claim_by": month.claim_by.isoformat() if month.claim_by else None,
                }
                for month in self.months
                if month.claimable
            ],
        }


@dataclass(frozen=True)
class _Terms:
    """What the contract promises and owes, resolved from the override and the pack."""

    promise: float | None
    shown: str
    """The promise as evidence quotes it: ``99.9% (pack google-workspace, plan business: URL)``."""
    credits: list[CreditTier] | None
    """None when the credit terms are unknown or do not belong to this promise."""
    owes_nothing: bool
    """The plan is confirmed to pay no credits."""
    claim_window: timedelta | None


def observed_reliability(
    dependency: Dependency,
    pack: Pack | None,
    functions: Sequence[Function],
    history: DependencyHistory | None,
    now: datetime,
) -> Reliability:
    """Judge ``history`` against ``dependency``'s promise and what ``functions`` need.

    ``pack`` is the dependency's service pack (None: none); ``functions`` are those relying
    on it; ``now`` decides which claim windows are still open and must be timezone-aware.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    bar = Bar.of(functions)
    terms = _terms(dependency, pack)
    records = history.months if history is not None else ()
    verdicts = [_verdict(record, terms, now) for record in records]
    total = sum((record.tally for record in records), Tally())
    uptime, coverage = _uptime(total), _coverage(total)
    findings: list[Finding] = []
    breaches = [
        (record, verdict)
        for record, verdict in zip(records, verdicts, strict=True)
        if verdict.breached
    ]
    budget = BREACH_CAP
    for record, verdict in reversed(breaches):
        points = min(BREACH_POINTS, budget)
        budget -= points
        findings.append(_breach(dependency, bar, record, verdict, terms, points, now))
    if uptime is None:
        findings.append(_no_history(dependency, history))
    else:
        below = _below_need(dependency, bar, records, total)
        if below is not None:
            findings.append(below)
        if coverage is not None and coverage < TRUSTED_COVERAGE:
            findings.append(_low_coverage(dependency, records, total))
    findings = _capped(findings)
    lost = sum(finding.points for finding in findings)
    return Reliability(100 - lost, findings, verdicts, uptime, coverage)


def _plan(dependency: Dependency, pack: Pack | None) -> Plan | None:
    if pack is None:
        return None
    try:
        return pack.plan(dependency.plan)
    except KeyError:
        # A plan the pack does not list: none of the pack's facts can be said to apply.
        return None


def _terms(dependency: Dependency, pack: Pack | None) -> _Terms:
    plan = _plan(dependency, pack)
    pack_promise = plan.sla.uptime.value if plan is not None else None
    own = dependency.sla.uptime
    if own is not None:
        where = dependency.sla.source or "the inventory's sla: block"
        value: float | Literal["none", "unknown"] | None = own
        shown = f"{_promise_text(own)} (contract: {where})"
    elif plan is not None and pack is not None:
        value = pack_promise
        source = f": {plan.sla.uptime.source}" if plan.sla.uptime.source else ""
        shown = f"{_promise_text(pack_promise)} (pack {pack.service}, plan {plan.id}{source})"
    else:
        value, shown = None, "not known (no pack, no sla: block)"
    promise = value if isinstance(value, int | float) else None
    if plan is None or (own is not None and own != pack_promise):
        return _Terms(promise, shown, None, False, None)
    credits, window = plan.sla.credits, plan.sla.claim_window
    backed = plan.sla.financially_backed.value
    return _Terms(
        promise,
        shown,
        credits.value if credits is not None and credits.value != "unknown" else None,
        backed is False,
        window.value if window is not None and window.value != "unknown" else None,
    )


def _promise_text(value: float | str | None) -> str:
    if isinstance(value, int | float):
        return f"{_num(value)}%"
    return "none" if value == "none" else "unknown"


def _verdict(record: MonthRecord, terms: _Terms, now: datetime) -> MonthVerdict:
    uptime, coverage = _uptime(record.tally), _coverage(record.tally)
    judged = _judged(record)
    breached = (
        terms.promise is not None
        and judged is not None
        and coverage is not None
        and coverage >= JUDGEABLE_COVERAGE
        and round(judged, 3) < terms.promise
    )
    credit = _credit(terms.credits, judged) if breached and judged is not None else None
    deadline = _deadline(record, terms.claim_window)
    claim_by = _last_day(deadline, record.timezone) if deadline is not None else None
    claimable = breached and credit is not None and deadline is not None and now < deadline
    return MonthVerdict(
        name=record.name,
        uptime_pct=uptime,
        coverage_pct=coverage,
        promised_pct=terms.promise,
        breached=breached,
        credit=credit,
        claim_by=claim_by,
        claimable=claimable,
        complete=record.complete,
        check=record.check,
    )


def _judged(record: MonthRecord) -> float | None:
    """The uptime a month is judged on: for the month so far, the best it can still end at."""
    time = record.tally
    if record.complete:
        return _uptime(time)
    remaining = record.month_end - record.end
    return _pct(time.up + remaining, time.observed + remaining)


def _credit(tiers: list[CreditTier] | None, uptime: float) -> str | None:
    if tiers is None:
        return None
    applying = [tier for tier in tiers if round(uptime, 3) < tier.below]
    return min(applying, key=lambda tier: tier.below).credit if applying else None


def _deadline(record: MonthRecord, window: timedelta | None) -> datetime | None:
    """The month's end plus the claim window, counted in local days (a day is a day)."""
    if window is None:
        return None
    local = record.month_end.astimezone(ZoneInfo(record.timezone))
    # Adding to a local time keeps the wall clock, so 30 days after local midnight is local
    # midnight again, across a clock change.
    return (local + window).astimezone(UTC)


def _last_day(deadline: datetime, timezone: str) -> date:
    """The last local day before ``deadline`` (a deadline at midnight ends the day before)."""
    return (deadline - timedelta(microseconds=1)).astimezone(ZoneInfo(timezone)).date()


def _breach(
    dependency: Dependency,
    bar: Bar,
    record: MonthRecord,
    verdict: MonthVerdict,
    terms: _Terms,
    points: int,
    now: datetime,
) -> Finding:
    uptime, coverage = verdict.uptime_pct, verdict.coverage_pct
    # A breach needs observed time and a promise.
    assert uptime is not None
    assert coverage is not None
    assert terms.promise is not None
    promised = f"{_num(terms.promise)}%"
    if record.complete:
        said = (
            f"{dependency.name} was up {_num(uptime)}% of the time watched in {record.name}, "
            f"below the {promised} it promises"
        )
        evidence = f"{record.name}: {_num(uptime)}% up over {_num(coverage, 1)}% of the month"
    else:
        best = _judged(record) or 0.0
        said = (
            f"{dependency.name} has been down so long in {record.name} that the month cannot "
            f"end above the {promised} it promises (at best {_num(best)}%)"
        )
        evidence = (
            f"{record.name} to {_local(record.end, record.timezone)}: {_num(uptime)}% up over "
            f"{_num(coverage, 1)}% of the month so far; at best {_num(best)}% by its end"
        )
    down = format_duration(_minutes(record.tally.down))
    evidence += f"; down {down} seen by {record.check or 'no check'}; promise {terms.shown}"
    return Finding(
        "SLA_BREACHED",
        "high" if bar.criticality == "critical" else "medium",
        f"{said}; {_claim(verdict, terms, _deadline(record, terms.claim_window), now)}",
        evidence,
        points,
    )


def _claim(verdict: MonthVerdict, terms: _Terms, deadline: datetime | None, now: datetime) -> str:
    """What the business can claim for a breached month, in its words."""
    if verdict.claim_by is None or deadline is None:
        window = "claim window unknown"
    elif now < deadline:
        window = f"claim by {verdict.claim_by.isoformat()}"
    else:
        window = f"claim window passed on {verdict.claim_by.isoformat()}"
    if verdict.credit is not None:
        owed = "owed is" if verdict.claimable or deadline is None else "was"
        return f"the credit {owed} {verdict.credit}: {window}."
    if terms.owes_nothing:
        return "the plan pays no service credits."
    if terms.credits is not None:
        return "no credit tier applies at that level."
    return f"what credit is owed, if any, is not known; {window}."


def _below_need(
    dependency: Dependency, bar: Bar, records: Sequence[MonthRecord], total: Tally
) -> Finding | None:
    needed = UPTIME_NEEDED[bar.criticality]
    uptime, coverage = _uptime(total), _coverage(total)
    if needed is None or uptime is None or coverage is None:
        return None
    if coverage < JUDGEABLE_COVERAGE or round(uptime, 3) >= needed:
        return None
    window = _window(records)
    return Finding(
        "BELOW_NEED",
        _BELOW_NEED_SEVERITY.get(bar.criticality, "low"),
        f"{dependency.name} was up {_num(uptime)}% of the time watched in {window}; "
        f"{bar.who} needs {_num(needed)}% ({bar.criticality}).",
        f"{window}: {_num(uptime)}% up over {_num(coverage, 1)}% of the time, down "
        f"{format_duration(_minutes(total.down))} (the worst check each month); "
        f"need {_num(needed)}% ({bar.criticality}: {bar.who})",
        BELOW_NEED_POINTS,
    )


def _low_coverage(dependency: Dependency, records: Sequence[MonthRecord], total: Tally) -> Finding:
    coverage = _coverage(total) or 0.0
    window = _window(records)
    return Finding(
        "LOW_COVERAGE",
        "low",
        f"Only {_num(coverage, 1)}% of {window} was watched for {dependency.name}, so its "
        "uptime figures are partial.",
        f"{window}: {format_duration(_minutes(total.observed))} observed of "
        f"{format_duration(_minutes(total.total - total.maintenance))} outside maintenance",
        0,
    )


def _no_history(dependency: Dependency, history: DependencyHistory | None) -> Finding:
    if history is None or not history.months:
        evidence = "history: no month with a recorded result"
    else:
        evidence = f"history: {_window(history.months)} recorded, none of it observed up or down"
    return Finding(
        "NO_HISTORY",
        "info",
        f"{dependency.name} has no observed uptime yet, so its real reliability is unknown.",
        evidence,
        0,
    )


def _capped(findings: list[Finding]) -> list[Finding]:
    """The findings with at most 100 points lost in all, later findings giving way."""
    budget, capped = 100, []
    for finding in findings:
        points = min(finding.points, budget)
        budget -= points
        capped.append(
            finding
            if points == finding.points
            else Finding(finding.code, finding.severity, finding.message, finding.evidence, points)
        )
    return capped


def _local(moment: datetime, timezone: str) -> str:
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M")


def _window(records: Sequence[MonthRecord]) -> str:
    if not records:
        return "no month"
    first, last = records[0].name, records[-1].name
    return first if first == last else f"{first} to {last}"


def _uptime(time: Tally) -> float | None:
    return _pct(time.up, time.observed)


def _coverage(time: Tally) -> float | None:
    return _pct(time.observed, time.total - time.maintenance)


def _pct(part: timedelta, whole: timedelta) -> float | None:
    if whole <= timedelta(0):
        return None
    return 100 * (part / whole)


def _minutes(value: timedelta) -> timedelta:
    """``value`` to the nearest minute, for evidence a person reads."""
    return timedelta(minutes=round(value / timedelta(minutes=1)))


def _num(value: float, places: int = 3) -> str:
    """A percentage with at most ``places`` decimals and no trailing zeros: 99.21, 99.9."""
    text = f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
