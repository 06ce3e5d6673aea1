"""The runner: caps, deadlines that hold, retries, exceptions as results, the vantage check."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar, Literal

import pytest

from freecost.errors import SecretError
from freecost.probes.registry import CheckBase, Probe
from freecost.results import CheckResult, Layer, Outcome, Status
from freecost.runner import PlannedCheck, run_checks
from tests.probes.helpers import make_context


class FakeCheck(CheckBase):
    type_name: ClassVar[str] = "fake"
    type: Literal["fake"] = "fake"
    host: str | None = None

    def target(self) -> str | None:
        return self.host


class LocalCheck(FakeCheck):
    network: ClassVar[bool] = False


Behaviour = Callable[[CheckBase], Awaitable[Outcome]]


def _run(
    tmp_path: Path,
    checks: list[CheckBase],
    behaviour: Behaviour,
    *,
    concurrency: int = 10,
    per_host: int = 10,
    control: list[str] | None = None,
    on_result: Callable[[CheckResult], None] | None = None,
) -> list[CheckResult]:
    async def probe(check: Any, ctx: Any) -> Outcome:
        return await behaviour(check)

    def lookup(type_name: str) -> Probe:
        return probe

    async def go() -> list[CheckResult]:
        ctx = make_context(tmp_path, timeout="1s", vantage={"control": control or []})
        planned = [PlannedCheck("dep", c) for c in checks]
        async with ctx:
            run = await run_checks(
                planned,
                ctx,
                concurrency=concurrency,
                per_host=per_host,
                on_result=on_result,
                lookup=lookup,
            )
        return list(run.results)

    return asyncio.run(go())


def _checks(n: int, **fields: Any) -> list[CheckBase]:
    return [FakeCheck(id=f"c{i}", **fields) for i in range(n)]


class InFlight:
    def __init__(self) -> None:
        self.now = 0
        self.most = 0

    async def __call__(self, check: CheckBase) -> Outcome:
        self.now += 1
        self.most = max(self.most, self.now)
        await asyncio.sleep(0.01)
        self.now -= 1
        return Outcome.ok("fine")


def test_global_concurrency_cap(tmp_path: Path) -> None:
    counter = InFlight()
    results = _run(tmp_path, _checks(30), counter, concurrency=4)
    assert counter.most == 4
    assert [r.check for r in results] == [f"c{i}" for i in range(30)]


def test_per_host_cap(tmp_path: Path) -> None:
    counter = InFlight()
    _run(tmp_path, _checks(20, host="one.example"), counter, concurrency=10, per_host=3)
    assert counter.most == 3


def test_deadline_holds_for_a_probe_that_never_returns(tmp_path: Path) -> None:
    async def forever(check: CheckBase) -> Outcome:
        await asyncio.sleep(3600)
        raise AssertionError("unreachable")

    (result,) = _run(tmp_path, _checks(1, timeout="200ms"), forever)
    assert result.status is Status.FAIL
    assert result.layer is Layer.TIMEOUT
    assert result.summary == "no result within the 200ms deadline"


def test_deadline_holds_for_a_probe_that_ignores_cancellation(tmp_path: Path) -> None:
    async def stubborn(check: CheckBase) -> Outcome:
        for _ in range(3):
            try:
                await asyncio.sleep(0.5)
            except asyncio.CancelledError:
                continue
        return Outcome.ok("too late")

    (result,) = _run(tmp_path, _checks(1, timeout="100ms"), stubborn)
    assert result.layer is Layer.TIMEOUT


def test_retries_with_backoff_until_success(tmp_path: Path) -> None:
    calls: list[int] = []

    async def flaky(check: CheckBase) -> Outcome:
        calls.append(1)
        if len(calls) < 2:
            return Outcome.fail("blip", Layer.CONNECT)
        return Outcome.ok("fine")

    (result,) = _run(tmp_path, _checks(1, retries=2, timeout="5s"), flaky)
    assert (result.status, result.attempts) == (Status.OK, 2)


def test_no_retry_without_retries(tmp_path: Path) -> None:
    async def failing(check: CheckBase) -> Outcome:
        return Outcome.fail("down", Layer.HTTP)

    (result,) = _run(tmp_path, _checks(1), failing)
    assert (result.status, result.attempts, result.summary) == (Status.FAIL, 1, "down")


def test_an_exception_becomes_a_readable_error(tmp_path: Path) -> None:
    async def crash(check: CheckBase) -> Outcome:
        raise KeyError("components")

    (result,) = _run(tmp_path, _checks(1), crash)
    assert result.status is Status.ERROR
    assert result.summary == "the fake check crashed: KeyError: 'components'"


def test_a_missing_secret_is_an_error_of_this_machine(tmp_path: Path) -> None:
    async def needs_secret(check: CheckBase) -> Outcome:
        raise SecretError("environment variable TOKEN is not set")

    (result,) = _run(tmp_path, _checks(1), needs_secret)
    assert (result.status, result.layer) == (Status.ERROR, Layer.LOCAL)
    assert result.summary == "environment variable TOKEN is not set"


def test_each_result_is_reported_as_it_finishes(tmp_path: Path) -> None:
    seen: list[str] = []

    async def ok(check: CheckBase) -> Outcome:
        return Outcome.ok("fine")

    _run(tmp_path, _checks(5), ok, on_result=lambda r: seen.append(r.check))
    assert sorted(seen) == [f"c{i}" for i in range(5)]


@pytest.fixture
def listening_port() -> Iterator[int]:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield server.getsockname()[1]


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def test_offline_vantage_turns_network_checks_into_errors(tmp_path: Path, closed_port: int) -> None:
    ran: list[str] = []

    async def record(check: CheckBase) -> Outcome:
        ran.append(check.id)
        return Outcome.ok("fine")

    checks: list[CheckBase] = [FakeCheck(id="web"), LocalCheck(id="backup")]
    results = _run(tmp_path, checks, record, control=[f"127.0.0.1:{closed_port}"])
    assert ran == ["backup"]
    assert results[0].status is Status.ERROR
    assert results[0].layer is Layer.LOCAL
    assert results[0].summary == (
        f"this machine's network is down (none of 127.0.0.1:{closed_port} answered); "
        "not the vendor's fault"
    )
    assert results[1].status is Status.OK


def test_online_vantage_lets_failures_stand(tmp_path: Path, listening_port: int) -> None:
    async def down(check: CheckBase) -> Outcome:
        return Outcome.fail("HTTP 503", Layer.HTTP)

    (result,) = _run(tmp_path, _checks(1), down, control=[f"127.0.0.1:{listening_port}"])
    assert (result.status, result.summary) == (Status.FAIL, "HTTP 503")
