"""Runs and rules built in memory, so store tests need no network and no inventory file."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from freecost.results import CheckResult, Layer, Status
from freecost.runner import CheckRun
from freecost.store import CheckKey, Policy, Rules
from freecost.vantage import Vantage

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)
EVERY = timedelta(minutes=5)
SITE = CheckKey("website", "home")


def result(
    status: Status,
    at: datetime,
    key: CheckKey = SITE,
    summary: str | None = None,
    layer: Layer | None = None,
) -> CheckResult:
    """One result of ``key``: a failure gets the http layer unless told otherwise."""
    if layer is None and status is not Status.OK:
        layer = Layer.LOCAL if status is Status.ERROR else Layer.HTTP
    return CheckResult(
        dependency=key.dependency,
        check=key.check,
        type="http",
        status=status,
        summary=summary or f"{status.value} at {at:%H:%M}",
        observed_at=at,
        latency_ms=12.5,
        layer=layer,
        details={"status_code": 503} if status is Status.FAIL else {},
    )


def run_of(results: Iterable[CheckResult], online: bool = True) -> CheckRun:
    found = tuple(results)
    times = [r.observed_at for r in found] or [START]
    return CheckRun(
        started_at=min(times) - timedelta(seconds=1),
        finished_at=max(times),
        vantage=Vantage(host="test-host", online=online, checked=True),
        results=found,
    )


def rules(
    *keys: CheckKey,
    fail_after: int = 2,
    recover_after: int = 1,
    every: timedelta = EVERY,
    **settings: object,
) -> Rules:
    policy = Policy(fail_after=fail_after, recover_after=recover_after, every=every)
    return Rules(policies=dict.fromkeys(keys or (SITE,), policy), **settings)  # type: ignore[arg-type]
