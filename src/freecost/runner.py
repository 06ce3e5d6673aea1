"""Runs checks: bounded concurrency overall and per host, a deadline per check that always
holds, retries with backoff, timing, and any exception turned into an ``error`` result.

The runner, not the probe, owns the deadline, the clock and the concurrency caps (as in
blackbox_exporter), so every probe stays small and no probe can stall a run.
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from freecost.durations import format_duration
from freecost.errors import FreecostError, SecretError
from freecost.probes.context import ProbeContext
from freecost.probes.registry import CheckBase, Probe, probe_for
from freecost.results import CheckResult, Layer, Outcome, Status
from freecost.vantage import Vantage, check_vantage

DEFAULT_PER_HOST = 10
BACKOFF_FIRST = 0.5
# A probe that ignores cancellation is abandoned after this grace, so the run still ends.
CANCEL_GRACE = 0.2


@dataclass(frozen=True)
class PlannedCheck:
    """One check to run, with the dependency it watches."""

    dependency: str
    check: CheckBase


@dataclass(frozen=True)
class CheckRun:
    """One run of checks: when, from where, and every result in plan order."""

    started_at: datetime
    finished_at: datetime
    vantage: Vantage
    results: tuple[CheckResult, ...]


OnResult = Callable[[CheckResult], None]


class Runner:
    """Runs planned checks against one ProbeContext."""

    def __init__(
        self,
        ctx: ProbeContext,
        *,
        concurrency: int | None = None,
        per_host: int = DEFAULT_PER_HOST,
        on_result: OnResult | None = None,
        lookup: Callable[[str], Probe] = probe_for,
    ) -> None:
        self.ctx = ctx
        self.lookup = lookup
        self.concurrency = concurrency or ctx.settings.concurrency
        self.per_host = per_host
        self.on_result = on_result
        self._global = asyncio.Semaphore(self.concurrency)
        self._hosts: defaultdict[str, asyncio.Semaphore] = defaultdict(
            lambda: asyncio.Semaphore(self.per_host)
        )
        self._abandoned: set[asyncio.Task[Outcome]] = set()

    async def run(self, planned: Sequence[PlannedCheck]) -> CheckRun:
        self.ctx.prepare(name for p in planned for name in p.check.clients)
        # A probe's module is imported on first lookup; do it before any check's clock starts.
        for type_name in sorted({p.check.type_name for p in planned}):
            self.lookup(type_name)
        started = self.ctx.now()
        needs_network = any(p.check.network for p in planned)
        control = self.ctx.settings.vantage.control if needs_network else []
        vantage = await check_vantage(control)
        tasks = [asyncio.create_task(self._one(p, vantage)) for p in planned]
        results = list(await asyncio.gather(*tasks))
        if vantage.checked and any(r.status is Status.FAIL for r in results):
            # Failures may mean our own network dropped during the run: ask again.
            again = await check_vantage(control)
            if not again.online:
                vantage = again
                results = [_blame_vantage(r, planned[i], again) for i, r in enumerate(results)]
        await self._drain_abandoned()
        return CheckRun(started, self.ctx.now(), vantage, tuple(results))

    async def _one(self, planned: PlannedCheck, vantage: Vantage) -> CheckResult:
        check = planned.check
        if check.network and not vantage.online:
            result = self._result(planned, Outcome.error(vantage.offline_summary()), None, 0)
        else:
            host = check.target()
            async with self._global:
                if host is None:
                    result = await self._timed(planned)
                else:
                    async with self._hosts[host]:
                        result = await self._timed(planned)
        if self.on_result is not None:
            self.on_result(result)
        return result

    async def _timed(self, planned: PlannedCheck) -> CheckResult:
        check = planned.check
        deadline = (check.timeout or self.ctx.settings.timeout).total_seconds()
        attempts = [0]
        task = asyncio.create_task(self._attempts(check, deadline, attempts))
        begun = time.perf_counter()
        done, _ = await asyncio.wait({task}, timeout=deadline)
        if task in done:
            outcome = task.result()
        else:
            task.cancel()
            done, _ = await asyncio.wait({task}, timeout=CANCEL_GRACE)
            if not done:
                self._abandoned.add(task)
            limit = format_duration(timedelta(seconds=deadline))
            outcome = Outcome.fail(f"no result within the {limit} deadline", Layer.TIMEOUT)
        elapsed_ms = (time.perf_counter() - begun) * 1000
        return self._result(planned, outcome, elapsed_ms, max(attempts[0], 1))

    async def _attempts(self, check: CheckBase, deadline: float, attempts: list[int]) -> Outcome:
        probe = self.lookup(check.type_name)
        start = time.monotonic()
        outcome = Outcome.error("not run")
        for attempt in range(check.retries + 1):
            attempts[0] = attempt + 1
            outcome = await _guarded(probe, check, self.ctx)
            if outcome.status is not Status.FAIL or attempt == check.retries:
                break
            pause = BACKOFF_FIRST * 2**attempt
            if time.monotonic() - start + pause >= deadline:
                break
            await asyncio.sleep(pause)
        return outcome

    def _result(
        self, planned: PlannedCheck, outcome: Outcome, elapsed_ms: float | None, attempts: int
    ) -> CheckResult:
        return CheckResult(
            dependency=planned.dependency,
            check=planned.check.id,
            type=planned.check.type_name,
            status=outcome.status,
            summary=outcome.summary,
            observed_at=self.ctx.now(),
            latency_ms=elapsed_ms,
            layer=outcome.layer,
            attempts=attempts,
            details=outcome.details,
        )

    async def _drain_abandoned(self) -> None:
        if self._abandoned:
            await asyncio.wait(self._abandoned, timeout=CANCEL_GRACE)


async def _guarded(probe: Probe, check: CheckBase, ctx: ProbeContext) -> Outcome:
    """Run a probe; whatever it raises becomes an ``error`` outcome a person can read."""
    try:
        outcome = await probe(check, ctx)
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL)
    except FreecostError as exc:
        return Outcome.error(str(exc), Layer.CONFIG)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a probe bug must not end the run; it is reported instead
        text = str(exc).splitlines()[0][:200] if str(exc) else ""
        return Outcome.error(
            f"the {check.type_name} check crashed: {type(exc).__name__}"
            + (f": {text}" if text else ""),
            Layer.CONFIG,
        )
    if not isinstance(outcome, Outcome):
        return Outcome.error(f"the {check.type_name} check returned no result", Layer.CONFIG)
    return outcome


def _blame_vantage(result: CheckResult, planned: PlannedCheck, vantage: Vantage) -> CheckResult:
    if result.status is not Status.FAIL or not planned.check.network:
        return result
    return replace(
        result,
        status=Status.ERROR,
        layer=Layer.LOCAL,
        summary=f"{vantage.offline_summary()} (the check said: {result.summary})",
    )


async def run_checks(
    planned: Sequence[PlannedCheck],
    ctx: ProbeContext,
    *,
    concurrency: int | None = None,
    per_host: int = DEFAULT_PER_HOST,
    on_result: OnResult | None = None,
    lookup: Callable[[str], Probe] = probe_for,
) -> CheckRun:
    """Run ``planned`` with ``ctx``; results come back in plan order."""
    runner = Runner(
        ctx, concurrency=concurrency, per_host=per_host, on_result=on_result, lookup=lookup
    )
    return await runner.run(planned)
