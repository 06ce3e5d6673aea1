"""Hostile HTTP endpoints cannot hurt a run: memory stays bounded and every deadline holds.

Each case runs the real ``http`` probe through the real runner against a real server on
127.0.0.1 (see :mod:`tests.servers.hostile`). Memory is measured with tracemalloc around one
probe, so the figure counts what the probe keeps, not the test server's buffers.
"""

from __future__ import annotations

import asyncio
import json
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from freecost.probes import http
from freecost.results import CheckResult, Layer, Status
from freecost.runner import PlannedCheck, run_checks
from tests.probes.helpers import make_context, run_probe
from tests.servers import hostile
from tests.servers.http import serve

MIB = 1024 * 1024
GIB = 1024 * MIB


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    with serve(hostile.hostile_app(bomb_size=GIB)) as base:
        yield base


def run_one(spec: dict[str, Any], tmp_path: Path, timeout: str = "1s") -> CheckResult:
    """One http check through the runner, with its deadline; a hang fails the test instead."""
    check = http.Check.model_validate({"id": "hostile", "type": "http", "timeout": timeout, **spec})

    async def go() -> CheckResult:
        async with make_context(tmp_path) as ctx:
            # Far beyond the check's own deadline: reaching it means the deadline did not hold.
            async with asyncio.timeout(30):
                run = await run_checks([PlannedCheck("site", check)], ctx, concurrency=1)
        (result,) = run.results
        return result

    return asyncio.run(go())


def peak_memory(spec: dict[str, Any], tmp_path: Path) -> tuple[int, Any]:
    """The most memory Python held while the probe ran, and its outcome."""
    tracemalloc.start()
    try:
        outcome = run_probe(http, {"type": "http", **spec}, tmp_path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak, outcome


# --- bodies ----------------------------------------------------------------------------------


def test_an_endless_body_is_read_up_to_max_body(site: str, tmp_path: Path) -> None:
    result = run_one({"url": f"{site}/endless", "contains": "Welcome"}, tmp_path)
    assert result.status is Status.OK
    assert result.details["bytes_read"] == MIB
    assert result.details["truncated"] is True


def test_an_endless_body_is_judged_on_what_was_read(site: str, tmp_path: Path) -> None:
    result = run_one({"url": f"{site}/endless", "contains": "Goodbye"}, tmp_path)
    assert result.status is Status.FAIL
    assert result.layer is Layer.CONTENT
    assert result.summary == "the page does not contain 'Goodbye' (in the first 1 MiB read)"


def test_an_endless_body_holds_bounded_memory(site: str, tmp_path: Path) -> None:
    peak, outcome = peak_memory(
        {"url": f"{site}/endless", "contains": "Goodbye", "max_body": "256KiB"}, tmp_path
    )
    assert outcome.status is Status.FAIL
    # The body kept is 256 KiB; the reader may hold it twice while joining chunks.
    assert peak < 4 * MIB, f"peak {peak} bytes"


def test_a_gzip_bomb_inflates_no_further_than_max_body(site: str, tmp_path: Path) -> None:
    result = run_one({"url": f"{site}/bomb", "contains": "Welcome"}, tmp_path)
    assert result.status is Status.FAIL
    assert result.layer is Layer.CONTENT
    assert result.summary == "the page does not contain 'Welcome' (in the first 1 MiB read)"
    assert result.details["decoded_bytes"] == MIB
    assert result.details["bytes_read"] < 64 * 1024  # a gigabyte was on offer, compressed


def test_a_gzip_bomb_holds_bounded_memory(site: str, tmp_path: Path) -> None:
    peak, outcome = peak_memory(
        {"url": f"{site}/bomb", "contains": "Welcome", "max_body": "256KiB"}, tmp_path
    )
    assert outcome.details["decoded_bytes"] == 256 * 1024
    assert peak < 4 * MIB, f"peak {peak} bytes"


def test_a_body_that_is_not_utf8_is_read_with_replacement_characters(
    site: str, tmp_path: Path
) -> None:
    found = run_one({"url": f"{site}/bad-utf8", "contains": "Welcome"}, tmp_path)
    assert found.status is Status.OK
    missing = run_one({"url": f"{site}/bad-utf8", "contains": "Goodbye"}, tmp_path)
    assert missing.status is Status.FAIL
    excerpt = missing.details["excerpt"]
    assert excerpt == "caf\ufffd \ufffd\ufffd Welcome \ufffd( to the shop"
    json.dumps(missing.to_json(), ensure_ascii=False).encode("utf-8")


# --- redirects -------------------------------------------------------------------------------


def test_a_redirect_loop_is_named(site: str, tmp_path: Path) -> None:
    result = run_one({"url": f"{site}/loop/a"}, tmp_path)
    assert result.status is Status.FAIL
    assert result.layer is Layer.HTTP
    assert result.summary == "redirect loop: /loop/a → /loop/b → /loop/a"


def test_an_endless_redirect_chain_stops_at_the_limit(site: str, tmp_path: Path) -> None:
    result = run_one({"url": f"{site}/chain/0", "max_redirects": 3}, tmp_path)
    assert result.status is Status.FAIL
    assert result.summary == "more than 3 redirects"
    # The three allowed, and the one too many that ended the trip.
    assert len(result.details["redirects"]) == 4


# --- servers that do not play fair -----------------------------------------------------------


@pytest.mark.parametrize(
    "handler",
    [
        pytest.param(hostile.never_answers, id="never-answers"),
        pytest.param(hostile.drip(b"HTTP/1.1 200 OK\r\n\r\nWelcome"), id="drips-headers"),
        pytest.param(hostile.drip_body(), id="drips-body"),
    ],
)
def test_a_server_that_stalls_meets_the_deadline(handler: hostile.Handler, tmp_path: Path) -> None:
    with hostile.serve_raw(handler) as base:
        result = run_one({"url": f"{base}/", "contains": "Welcome"}, tmp_path, timeout="1s")
    assert result.status is Status.FAIL
    assert result.layer is Layer.TIMEOUT
    assert result.summary == "no result within the 1s deadline"


@pytest.mark.parametrize(
    ("handler", "layer", "summary"),
    [
        pytest.param(
            hostile.endless_headers,
            Layer.HTTP,
            "sent an answer that is not valid HTTP: Too many headers received",
            id="endless-headers",
        ),
        pytest.param(
            hostile.bad_chunking,
            Layer.HTTP,
            "sent an answer that is not valid HTTP: Invalid character in chunk size",
            id="bad-chunking",
        ),
        pytest.param(hostile.reset, Layer.CONNECT, "failed: connection reset by peer", id="reset"),
        pytest.param(hostile.short_body, Layer.HTTP, "is cut off or malformed", id="short-body"),
    ],
)
def test_a_broken_answer_is_a_named_failure(
    handler: hostile.Handler, layer: Layer, summary: str, tmp_path: Path
) -> None:
    with hostile.serve_raw(handler) as base:
        result = run_one({"url": f"{base}/", "contains": "Welcome"}, tmp_path)
    assert result.status is Status.FAIL
    assert result.layer is layer
    assert summary in result.summary
