"""Observed reliability: breaches, credits and claim windows, the need, and the 100-point ledger."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from freecost.inventory import Dependency, Function
from freecost.packs import Pack, load_catalog
from freecost.scoring.reliability import (
    DependencyHistory,
    MonthRecord,
    Reliability,
    observed_reliability,
)
from freecost.uptime import Tally, month

CATALOG = load_catalog()
WORKSPACE = CATALOG.get("google-workspace")  # 99.9%; 3/7/15 days of service; 30-day window
MICROSOFT = CATALOG.get("microsoft-365")  # 99.9%; credits known; claim window unknown
CLOUDFLARE = CATALOG.get("cloudflare-free")  # confirmed: no uptime promise
VOICE = CATALOG.get("google-voice")  # the promise is unknown
HOUR = timedelta(hours=1)
CHICAGO = "America/Chicago"
# 2026-10 in Chicago is 744 hours (the clocks change on Nov 1, after the month).
OCTOBER_HOURS = 744
IN_WINDOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def dependency(service: str | None = "google-workspace", **fields: Any) -> Dependency:
    data = {"id": "mail", "name": "Mail", "service": service, "plan": "business", **fields}
    return Dependency.model_validate(data)


def function(criticality: str = "medium") -> Function:
    return Function.model_validate(
        {"id": "f", "name": "Customers e-mail us", "criticality": criticality, "rto": "4h"}
        | {"needs": ["mail"]}
    )


def record(
    year: int,
    number: int,
    *,
    down: float = 0.0,
    unobserved: float = 0.0,
    maintenance: float = 0.0,
    tz: str = CHICAGO,
    until: datetime | None = None,
) -> MonthRecord:
    """A month (hours given), up for the rest; ``until`` cuts it short as the month so far."""
    period = month(year, number, tz)
    end = until or period.end
    rest = (end - period.start) - (down + unobserved + maintenance) * HOUR
    return MonthRecord(
        name=period.name,
        start=period.start,
        end=end,
        tally=Tally(rest, down * HOUR, maintenance * HOUR, unobserved * HOUR),
        check="mail/status",
        closes=period.end if until else None,
        timezone=tz,
    )


def judge(
    *records: MonthRecord,
    pack: Pack | None = WORKSPACE,
    dep: Dependency | None = None,
    criticality: str = "medium",
    now: datetime = IN_WINDOW,
) -> Reliability:
    history = DependencyHistory("mail", records)
    found = observed_reliability(dep or dependency(), pack, [function(criticality)], history, now)
    assert found.score + sum(f.points for f in found.findings) == 100
    return found


def codes(found: Reliability) -> list[tuple[str, str, int]]:
    return [(f.code, f.severity, f.points) for f in found.findings]


def without_credits(pack: Pack) -> Pack:
    plan = pack.plans[0]
    sla = plan.sla.model_copy(update={"credits": None})
    return pack.model_copy(update={"plans": [plan.model_copy(update={"sla": sla})]})


def test_a_month_above_the_promise_costs_nothing() -> None:
    found = judge(record(2026, 10, down=0.25), criticality="critical")
    assert (found.score, found.findings) == (100, [])
    verdict = found.months[0]
    assert not verdict.breached
    assert verdict.promised_pct == 99.9
    assert verdict.uptime_pct == pytest.approx(100 * (1 - 0.25 / OCTOBER_HOURS))
    assert verdict.coverage_pct == 100


def test_a_breach_inside_the_claim_window_is_claimable() -> None:
    found = judge(record(2026, 10, down=2))
    assert codes(found) == [("SLA_BREACHED", "medium", 40)]
    verdict = found.months[0]
    assert (verdict.breached, verdict.credit, verdict.claimable) == (
        True,
        "3 days of service",
        True,
    )
    # October ends at local midnight on Nov 1; 30 days later is midnight on Dec 1, so the
    # last day to claim is Nov 30.
    assert verdict.claim_by == date(2026, 11, 30)
    finding = found.findings[0]
    assert "3 days of service" in finding.message
    assert "claim by 2026-11-30" in finding.message
    assert finding.evidence.startswith("2026-10: 99.731% up over 100% of the month")
    assert (
        "promise 99.9% (pack google-workspace, plan business: "
        "https://workspace.google.com/terms/sla.html)" in finding.evidence
    )
    assert "down 2h" in finding.evidence
    assert found.to_json()["claimable"] == [
        {"month": "2026-10", "credit": "3 days of service", "claim_by": "2026-11-30"}
    ]


def test_the_claim_deadline_is_a_local_day_across_the_clock_change() -> None:
    # 05:30 UTC on Dec 1 is 23:30 on Nov 30 in Chicago (CST): still inside the window,
    # although 30 days of 24 hours after 05:00 UTC on Nov 1 (CDT midnight) has passed.
    found = judge(record(2026, 10, down=2), now=datetime(2026, 12, 1, 5, 30, tzinfo=UTC))
    assert found.months[0].claimable
    late = judge(record(2026, 10, down=2), now=datetime(2026, 12, 1, 6, 0, tzinfo=UTC))
    assert not late.months[0].claimable


def test_a_breach_past_the_claim_window_is_not_claimable() -> None:
    found = judge(record(2026, 10, down=2), now=datetime(2026, 12, 5, tzinfo=UTC))
    verdict = found.months[0]
    assert (verdict.breached, verdict.claimable, verdict.claim_by) == (
        True,
        False,
        date(2026, 11, 30),
    )
    assert verdict.credit == "3 days of service"
    assert "claim window passed on 2026-11-30" in found.findings[0].message
    assert found.to_json()["claimable"] == []


def test_the_deepest_tier_below_the_uptime_applies() -> None:
    assert judge(record(2026, 10, down=10)).months[0].credit == "7 days of service"
    assert judge(record(2026, 10, down=40)).months[0].credit == "15 days of service"


def test_credits_unknown_still_breach_but_owe_nothing_known() -> None:
    found = judge(record(2026, 10, down=2), pack=without_credits(WORKSPACE))
    verdict = found.months[0]
    assert (verdict.breached, verdict.credit, verdict.claimable) == (True, None, False)
    assert verdict.claim_by == date(2026, 11, 30)
    assert codes(found) == [("SLA_BREACHED", "medium", 40)]
    assert "not known" in found.findings[0].message


def test_an_unknown_claim_window_gives_no_date() -> None:
    found = judge(record(2026, 10, down=2), pack=MICROSOFT)
    verdict = found.months[0]
    assert verdict.credit == "25% of the service's monthly fee"
    assert (verdict.claim_by, verdict.claimable) == (None, False)
    assert "claim window unknown" in found.findings[0].message


@pytest.mark.parametrize(
    ("pack", "plan"),
    [(CLOUDFLARE, "free"), (VOICE, "free"), (WORKSPACE, "enterprise"), (None, "x")],
)
def test_no_known_promise_cannot_be_breached_but_the_need_still_counts(
    pack: Pack | None, plan: str
) -> None:
    # 'none', 'unknown', a plan the pack does not list, and no pack at all.
    found = judge(record(2026, 10, down=2), pack=pack, dep=dependency(plan=plan))
    verdict = found.months[0]
    assert (verdict.promised_pct, verdict.breached) == (None, False)
    assert found.findings == []  # a medium function needs 99.0%, and 99.73% is above it
    critical = judge(
        record(2026, 10, down=2), pack=pack, dep=dependency(plan=plan), criticality="critical"
    )
    assert codes(critical) == [("BELOW_NEED", "high", 40)]
    below = critical.findings[0]
    assert "needs 99.9% (critical)" in below.message
    assert "2026-10: 99.731% up over 100% of the time" in below.evidence


def test_below_need_severity_follows_the_bar() -> None:
    assert codes(judge(record(2026, 10, down=20), criticality="high"))[-1] == (
        "BELOW_NEED",
        "medium",
        40,
    )
    assert codes(judge(record(2026, 10, down=20), criticality="medium"))[-1] == (
        "BELOW_NEED",
        "low",
        40,
    )
    # A low function needs no uptime: no finding, however bad the month.
    assert [f.code for f in judge(record(2026, 10, down=200), criticality="low").findings] == [
        "SLA_BREACHED"
    ]


def test_a_critical_bar_breach_is_high_and_both_findings_can_add_up() -> None:
    found = judge(record(2026, 10, down=2), criticality="critical")
    assert codes(found) == [("SLA_BREACHED", "high", 40), ("BELOW_NEED", "high", 40)]
    assert found.score == 20


def test_a_sparsely_watched_month_cannot_be_breached() -> None:
    # 2 hours down in 298 observed: 99.33% up, but only 40% of the month was watched.
    found = judge(record(2026, 10, down=2, unobserved=446), criticality="critical")
    verdict = found.months[0]
    assert verdict.coverage_pct == pytest.approx(100 * 298 / OCTOBER_HOURS)
    assert not verdict.breached
    # The window is as sparse as its one month: it cannot prove the need unmet either.
    assert codes(found) == [("LOW_COVERAGE", "low", 0)]
    assert found.score == 100
    assert "40.1% of 2026-10" in found.findings[0].message


def test_maintenance_is_neither_up_down_nor_unwatched() -> None:
    found = judge(record(2026, 10, down=1, maintenance=44, unobserved=70))
    verdict = found.months[0]
    assert verdict.uptime_pct == pytest.approx(100 * (1 - 1 / 630))
    assert verdict.coverage_pct == pytest.approx(100 * 630 / 700)


def test_the_contract_override_beats_the_pack() -> None:
    # 99.731%: below the pack's 99.9%, above a contract's 99.5%.
    lenient = dependency(sla={"uptime": 99.5, "source": "our contract, 2026"})
    assert not judge(record(2026, 10, down=2), dep=lenient).months[0].breached
    # 99.95%: above the pack's promise, below a contract's 99.99%. The pack's credit terms
    # belong to its own promise, so what this contract owes is not known.
    strict = dependency(sla={"uptime": 99.99, "source": "our contract, 2026"})
    found = judge(record(2026, 10, down=0.372), dep=strict)
    verdict = found.months[0]
    assert (verdict.promised_pct, verdict.breached, verdict.credit) == (99.99, True, None)
    assert "contract: our contract, 2026" in found.findings[0].evidence
    # An override equal to the pack's promise is the same contract: its credits apply.
    same = dependency(sla={"uptime": 99.9})
    assert judge(record(2026, 10, down=2), dep=same).months[0].credit == "3 days of service"


def test_breaches_are_listed_newest_first_and_capped_at_60() -> None:
    months = [record(2026, n, down=5) for n in (7, 8, 9, 10)]
    found = judge(*months, now=datetime(2026, 11, 2, tzinfo=UTC))
    assert [(f.code, f.points) for f in found.findings] == [
        ("SLA_BREACHED", 40),
        ("SLA_BREACHED", 20),
        ("SLA_BREACHED", 0),
        ("SLA_BREACHED", 0),
    ]
    assert [f.evidence[:7] for f in found.findings] == ["2026-10", "2026-09", "2026-08", "2026-07"]
    # Each window closes 30 days after its month: by Nov 2 only October's is still open.
    assert [m.claimable for m in found.months] == [False, False, False, True]
    assert [m.claim_by for m in found.months] == [
        date(2026, 8, 30),
        date(2026, 9, 30),
        date(2026, 10, 30),
        date(2026, 11, 30),
    ]
    assert "claim window passed on 2026-08-30" in found.findings[-1].message


def test_the_month_so_far_breaches_only_once_it_cannot_recover() -> None:
    now = datetime(2026, 11, 10, 6, 0, tzinfo=UTC)  # Nov 10, 00:00 in Chicago
    # Half an hour down in 9 days: 99.77% so far, but the month can still end at 99.93%.
    hopeful = judge(record(2026, 11, down=0.5, until=now), now=now)
    assert not hopeful.months[0].breached
    assert not hopeful.months[0].complete
    assert hopeful.findings == []
    # Two hours down: even if up for the rest of the month, it ends at 99.72%.
    certain = judge(record(2026, 11, down=2, until=now), now=now)
    verdict = certain.months[0]
    assert (verdict.breached, verdict.credit, verdict.claimable) == (
        True,
        "3 days of service",
        True,
    )
    assert verdict.claim_by == date(2026, 12, 30)
    assert "cannot end above the 99.9%" in certain.findings[0].message
    assert certain.findings[0].evidence.startswith("2026-11 to 2026-11-10 00:00: 99.078% up")


def test_whole_window_figures_are_time_weighted() -> None:
    found = judge(record(2026, 9, down=10), record(2026, 10, unobserved=544))
    # September: 710 of 720 hours up; October: 200 hours up, 544 not watched.
    assert found.uptime_pct == pytest.approx(100 * 910 / 920)
    assert found.coverage_pct == pytest.approx(100 * 920 / 1464)
    data = found.to_json()
    assert data["uptime_pct"] == round(100 * 910 / 920, 3)
    assert [m["name"] for m in data["months"]] == ["2026-09", "2026-10"]
    assert data["months"][1]["check"] == "mail/status"


@pytest.mark.parametrize(
    "history",
    [
        None,
        DependencyHistory("mail", ()),
        DependencyHistory("mail", (record(2026, 10, unobserved=OCTOBER_HOURS),)),
    ],
)
def test_no_history_is_information_not_risk(history: DependencyHistory | None) -> None:
    found = observed_reliability(
        dependency(), WORKSPACE, [function("critical")], history, IN_WINDOW
    )
    assert codes(found) == [("NO_HISTORY", "info", 0)]
    assert (found.score, found.uptime_pct) == (100, None)


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        observed_reliability(dependency(), WORKSPACE, [], None, datetime(2026, 11, 1))


HOURS = st.floats(min_value=0, max_value=250, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    months=st.lists(st.tuples(HOURS, HOURS, HOURS), max_size=6),
    criticality=st.sampled_from(["critical", "high", "medium", "low"]),
    pack=st.sampled_from([WORKSPACE, MICROSOFT, CLOUDFLARE, VOICE, None]),
    uptime=st.sampled_from([None, 99.0, 99.9, 99.99, "none"]),
    days_after=st.integers(min_value=0, max_value=400),
)
def test_every_lost_point_is_carried_by_a_finding(
    months: list[tuple[float, float, float]],
    criticality: str,
    pack: Pack | None,
    uptime: float | str | None,
    days_after: int,
) -> None:
    records = [
        record(2025, number + 1, down=down, unobserved=unobserved, maintenance=maintenance)
        for number, (down, unobserved, maintenance) in enumerate(months)
    ]
    plan = pack.plans[0].id if pack else None
    dep = dependency(service=pack.service if pack else None, plan=plan, sla={"uptime": uptime})
    now = datetime(2025, 7, 1, tzinfo=UTC) + timedelta(days=days_after)
    found = judge(*records, pack=pack, dep=dep, criticality=criticality, now=now)
    assert 0 <= found.score <= 100
    assert sum(f.points for f in found.findings if f.code == "SLA_BREACHED") <= 60
    assert len(found.months) == len(records)
    for verdict in found.months:
        assert not verdict.claimable or (verdict.breached and verdict.credit is not None)
