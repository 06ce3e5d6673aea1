"""Throughput of ``freecost check`` over many HTTP checks against slow local servers.

Starts HTTP servers on several 127.0.0.x addresses (in a separate process, so the server's
CPU is not counted against freecost) that answer every request after a fixed delay, writes
an inventory of N http checks spread over them, runs ``freecost check --json`` as a child
process and prints wall time against the ideal ceil(N / concurrency) x delay, CPU time per
check and peak RSS.

    python bench/check_throughput.py                 # N=1000, delay 100 ms, concurrency 100
    python bench/check_throughput.py -n 200 --delay 0.05 --concurrency 50

Goal at the defaults: wall <= 1.3 x ideal, CPU <= 1 ms per check, peak RSS <= 150 MB.
Traffic goes only to 127.0.0.0/8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import multiprocessing
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n"


class DelayedHTTP(asyncio.Protocol):
    """Answers each request after ``delay`` seconds, closing when the client asks to.

    freecost keeps connections open; honouring HTTP/1.0 and ``Connection: close`` matters to
    the peers in ``compare.py``: ``check_http`` reads until the server closes, and would
    otherwise wait for its own timeout.
    """

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.buffer = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        loop = asyncio.get_running_loop()
        while b"\r\n\r\n" in self.buffer:
            head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
            lowered = head.lower()
            close = b"connection: close" in lowered or (
                lowered.split(b"\r\n", 1)[0].endswith(b"http/1.0")
                and b"connection: keep-alive" not in lowered
            )
            loop.call_later(self.delay, self._answer, close)

    def _answer(self, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        connection = b"close" if close else b"keep-alive"
        self.transport.write(RESPONSE + b"Connection: " + connection + b"\r\n\r\nhello world")
        if close:
            self.transport.close()


def serve(targets: list[tuple[str, int]], delay: float, ready: Any) -> None:
    """Listen on every target (run in its own process) until terminated."""

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for host, port in targets:
            await loop.create_server(lambda: DelayedHTTP(delay), host, port, backlog=1024)
        ready.set()
        await asyncio.Event().wait()

    asyncio.run(main())


def free_targets(hosts: int, ports_per_host: int) -> list[tuple[str, int]]:
    import socket

    targets = []
    for h in range(hosts):
        address = f"127.0.0.{h + 2}"
        for _ in range(ports_per_host):
            with socket.socket() as probe:
                probe.bind((address, 0))
                targets.append((address, probe.getsockname()[1]))
    return targets


def inventory(targets: list[tuple[str, int]], checks: int, concurrency: int) -> str:
    lines = [
        "version: 1",
        "business: {name: Benchmark}",
        f"settings: {{concurrency: {concurrency}, timeout: 30s, vantage: {{control: []}}}}",
        "functions:",
        "  - {id: web, name: Web, criticality: high, rto: 1d, needs: [site]}",
        "dependencies:",
        "  - id: site",
        "    name: Site",
        "    checks:",
    ]
    for i in range(checks):
        host, port = targets[i % len(targets)]
        lines.append(f"      - {{id: c{i}, type: http, url: 'http://{host}:{port}/p{i}'}}")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--checks", type=int, default=1000)
    parser.add_argument("--delay", type=float, default=0.1, help="server delay in seconds")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--hosts", type=int, default=10, help="127.0.0.x addresses")
    parser.add_argument("--ports", type=int, default=10, help="ports per address")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    targets = free_targets(args.hosts, args.ports)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(targets, args.delay, ready), daemon=True)
    server.start()
    if not ready.wait(30):
        sys.exit("servers did not start")
    ideal = math.ceil(args.checks / args.concurrency) * args.delay
    print(
        f"checks={args.checks} delay={args.delay * 1000:.0f}ms concurrency={args.concurrency} "
        f"targets={len(targets)} ideal={ideal:.2f}s cpus={os.cpu_count()}"
    )
    try:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "inventory.yaml"
            path.write_text(inventory(targets, args.checks, args.concurrency))
            # Start-up (interpreter, imports, one check) is measured apart, so the per-check
            # figure is the engine's cost; both are printed.
            single = Path(folder) / "single.yaml"
            single.write_text(inventory(targets, 1, args.concurrency))
            baseline = min(run_check(single)[1] for _ in range(3))
            print(f"start-up + 1 check: cpu={baseline:.2f}s")
            for run in range(1, args.runs + 1):
                measure(run, path, baseline, args.checks, ideal)
    finally:
        server.terminate()
        server.join(5)


def run_check(path: Path) -> tuple[float, float, float, dict[str, object], int, str]:
    """Run ``freecost check --json``: process wall, its CPU seconds, run wall, the JSON."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    child = subprocess.run(
        [sys.executable, "-m", "freecost", "check", "--json", str(path)],
        capture_output=True,
        check=False,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    document = json.loads(child.stdout) if child.stdout else {}
    run_wall = 0.0
    if document:
        from datetime import datetime

        run_wall = (
            datetime.fromisoformat(document["finished_at"])
            - datetime.fromisoformat(document["started_at"])
        ).total_seconds()
    return wall, cpu, run_wall, document, child.returncode, child.stderr.decode()[:500]


def measure(run: int, path: Path, baseline_cpu: float, checks: int, ideal: float) -> None:
    import resource

    wall, cpu, run_wall, document, code, err = run_check(path)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        f"run {run}: run_wall={run_wall:.2f}s ratio={run_wall / ideal:.2f}x "
        f"process_wall={wall:.2f}s ratio_with_startup={wall / ideal:.2f}x "
        f"cpu={cpu:.2f}s cpu/check={(cpu - baseline_cpu) / checks * 1000:.2f}ms "
        f"(with start-up {cpu / checks * 1000:.2f}ms) peak_rss={peak:.0f}MB "
        f"counts={document.get('counts')} exit={code}"
    )
    if err.strip():
        print(err, file=sys.stderr)


if __name__ == "__main__":
    main()
