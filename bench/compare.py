"""freecost beside two established probers: the same N slow HTTP targets, the same concurrency.

Serves N HTTP paths on loopback that answer after a fixed delay (the servers of
``check_throughput.py``, in their own process so their CPU counts against nobody), then
probes every one of them with each tool, C at a time:

- freecost: ``freecost check --all --json`` on a generated inventory of N http checks;
- Prometheus blackbox_exporter: the exporter runs with an ``http_2xx`` module on a free
  loopback port and a small driver sends it N ``/probe?target=...&module=http_2xx``
  requests, C in flight; the exporter's CPU and peak RSS come from ``/proc/<pid>``, the
  driver's are reported on their own row;
- the Nagios plugin ``check_curl`` (or ``check_http``): N processes, C at a time, the way a
  scheduler runs plugins; CPU is the children's total and memory the largest child's.

    python bench/compare.py                    # N=500, delay 100 ms, C=50, 3 runs each
    python bench/compare.py -n 1000 --concurrency 100 --runs 5

Prints the machine, the tools' versions, one line per run and a table of medians with
freecost's figure divided by each peer's. A missing peer is skipped with the command that
installs it. Traffic goes only to 127.0.0.0/8. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import platform
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from check_throughput import free_targets, inventory, serve

NAGIOS_DIR = Path("/usr/lib/nagios/plugins")
GNU_TIME = "/usr/bin/time"
NAGIOS_PLUGINS = ("check_curl", "check_http")
EXPORTER = "prometheus-blackbox-exporter"
INSTALL = {
    "blackbox_exporter": "apt-get install prometheus-blackbox-exporter",
    "nagios": "apt-get install monitoring-plugins-basic",
}
EXPORTER_CONFIG = """\
modules:
  http_2xx:
    prober: http
    timeout: 30s
    http:
      preferred_ip_protocol: ip4
"""


@dataclass(frozen=True)
class Cost:
    """What one tool spent on one run: wall seconds, CPU seconds, peak RSS in MB."""

    wall: float
    cpu: float
    rss_mb: float
    ok: int


@dataclass(frozen=True)
class Setup:
    """The shared parameters of every run."""

    urls: list[str]
    concurrency: int
    folder: Path
    targets: list[tuple[str, int]]


# ---------------------------------------------------------------- workers (child processes)
# Each tool runs under a worker process of its own, so RUSAGE_CHILDREN in that worker covers
# exactly the tool's processes and nothing the bench did before.


def _children_cost(started: float) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {
        "wall": time.perf_counter() - started,
        "cpu": usage.ru_utime + usage.ru_stime,
        "rss_mb": usage.ru_maxrss / 1024,
    }


def _self_cost() -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"cpu": usage.ru_utime + usage.ru_stime, "rss_mb": usage.ru_maxrss / 1024}


def worker_freecost(spec: dict[str, Any]) -> dict[str, Any]:
    """Run ``freecost check --all --json`` once; count the checks that came back ok."""
    started = time.perf_counter()
    child = subprocess.run(spec["command"], capture_output=True, check=False)
    cost = _children_cost(started)
    document = json.loads(child.stdout) if child.stdout.strip() else {}
    counts = document.get("counts", {})
    return {**cost, "ok": int(counts.get("ok", 0)), "error": child.stderr.decode()[-300:]}


def worker_nagios(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the plugin once per URL, ``concurrency`` processes at a time.

    CPU is the children's total. Their ``ru_maxrss`` would count the forking Python
    process's memory before ``exec``, so the plugin's own peak is taken apart, from GNU
    ``time`` around three single runs, when ``/usr/bin/time`` exists.
    """
    plugin = spec["plugin"]

    def command(url: str) -> list[str]:
        host_port, _, path = url.removeprefix("http://").partition("/")
        host, _, port = host_port.partition(":")
        return [plugin, "-H", host, "-I", host, "-p", port, "-u", f"/{path}", "-t", "30"]

    def one(url: str) -> int:
        return subprocess.run(command(url), capture_output=True, check=False).returncode

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=spec["concurrency"]) as pool:
        codes = list(pool.map(one, spec["urls"]))
    cost = _children_cost(started)
    if Path(GNU_TIME).is_file():
        peaks = []
        for url in spec["urls"][:3]:
            timed = subprocess.run(
                [GNU_TIME, "-f", "%M", *command(url)], capture_output=True, check=False
            )
            peaks.append(int(timed.stderr.decode().split()[-1]) / 1024)
        cost["rss_mb"] = max(peaks)
    return {**cost, "ok": codes.count(0), "driver": _self_cost()}


def worker_driver(spec: dict[str, Any]) -> dict[str, Any]:
    """Ask the exporter to probe every URL, ``concurrency`` requests in flight."""
    import aiohttp

    async def drive() -> int:
        connector = aiohttp.TCPConnector(limit=spec["concurrency"])
        timeout = aiohttp.ClientTimeout(total=60)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

            async def one(url: str) -> bool:
                params = {"target": url, "module": "http_2xx"}
                async with session.get(spec["exporter"], params=params) as response:
                    return "\nprobe_success 1" in await response.text()

            return sum(await asyncio.gather(*(one(url) for url in spec["urls"])))

    started = time.perf_counter()
    ok = asyncio.run(drive())
    return {"wall": time.perf_counter() - started, "ok": ok, "driver": _self_cost()}


WORKERS = {"freecost": worker_freecost, "nagios": worker_nagios, "driver": worker_driver}


def run_worker(kind: str, spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Run one worker in a fresh Python process and return what it reported."""
    spec_file = folder / f"{kind}.json"
    spec_file.write_text(json.dumps(spec))
    child = subprocess.run(
        [sys.executable, __file__, "--worker", kind, str(spec_file)],
        capture_output=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(child.stdout)
    return result


# ---------------------------------------------------------------------------- the tools


def freecost_command() -> list[str]:
    """The console script beside this interpreter, else ``python -m freecost``."""
    import sysconfig

    script = Path(sysconfig.get_path("scripts")) / "freecost"
    return [str(script)] if script.is_file() else [sys.executable, "-m", "freecost"]


def run_freecost(setup: Setup, checks: int | None = None) -> Cost:
    """One ``freecost check --all`` over ``checks`` of the URLs (all of them by default)."""
    count = len(setup.urls) if checks is None else checks
    path = setup.folder / f"inventory-{count}.yaml"
    if not path.exists():
        path.write_text(inventory(setup.targets, count, setup.concurrency))
    database = setup.folder / "history.sqlite3"
    database.unlink(missing_ok=True)
    command = [*freecost_command(), "check", "--all", "--json", "--db", str(database), str(path)]
    report = run_worker("freecost", {"command": command}, setup.folder)
    if report["ok"] != count and report["error"].strip():
        print(report["error"], file=sys.stderr)
    return Cost(report["wall"], report["cpu"], report["rss_mb"], report["ok"])


def nagios_plugin() -> Path | None:
    for name in NAGIOS_PLUGINS:
        if (NAGIOS_DIR / name).is_file():
            return NAGIOS_DIR / name
    return None


def run_nagios(setup: Setup, plugin: Path) -> tuple[Cost, Cost]:
    spec = {"plugin": str(plugin), "urls": setup.urls, "concurrency": setup.concurrency}
    report = run_worker("nagios", spec, setup.folder)
    driver = report["driver"]
    return (
        Cost(report["wall"], report["cpu"], report["rss_mb"], report["ok"]),
        Cost(report["wall"], driver["cpu"], driver["rss_mb"], report["ok"]),
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def proc_cost(pid: int) -> tuple[float, float]:
    """CPU seconds (user + system) and peak RSS in MB of a live process, from /proc."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat.rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    cpu = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime: fields 14 and 15
    peak_kb = 0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            peak_kb = int(line.split()[1])
    return cpu, peak_kb / 1024


def wait_listening(port: int, process: subprocess.Popen[bytes], limit: float = 15) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if process.poll() is not None:
            sys.exit(f"{EXPORTER} exited at start: {process.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    sys.exit(f"{EXPORTER} did not listen on 127.0.0.1:{port}")


def run_blackbox(setup: Setup, exporter: str) -> tuple[Cost, Cost]:
    """A fresh exporter per run, so its peak RSS belongs to this run alone.

    The exporter's CPU is counted from its start, like freecost's, which includes start-up;
    its wall time is the driver's, since an exporter is a long-running service.
    """
    config = setup.folder / "blackbox.yml"
    config.write_text(EXPORTER_CONFIG)
    port = free_port()
    process = subprocess.Popen(
        [exporter, f"--config.file={config}", f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_listening(port, process)
        spec = {
            "exporter": f"http://127.0.0.1:{port}/probe",
            "urls": setup.urls,
            "concurrency": setup.concurrency,
        }
        report = run_worker("driver", spec, setup.folder)
        cpu, peak = proc_cost(process.pid)
    finally:
        process.terminate()
        process.wait(10)
        if process.stderr is not None:
            process.stderr.close()
    driver = report["driver"]
    return (
        Cost(report["wall"], cpu, peak, report["ok"]),
        Cost(report["wall"], driver["cpu"], driver["rss_mb"], report["ok"]),
    )


# --------------------------------------------------------------------------- reporting


def first_line(command: list[str]) -> str:
    try:
        child = subprocess.run(command, capture_output=True, check=False, timeout=10)
    except OSError:
        return "not found"
    text = (child.stdout or child.stderr).decode().strip()
    return text.splitlines()[0] if text else "unknown"


def machine(plugin: Path | None, exporter: str | None) -> list[str]:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    os_name = platform.system()
    release = Path("/etc/os-release")
    if release.exists():
        for line in release.read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = line.split("=", 1)[1].strip('"')
    return [
        f"machine: {model}, {os.cpu_count()} cores, {os_name}, Linux {platform.release()}",
        f"python: {platform.python_version()}",
        f"freecost: {first_line([*freecost_command(), '--version'])}",
        f"blackbox_exporter: {first_line([exporter, '--version']) if exporter else 'missing'}",
        f"nagios plugin: {first_line([str(plugin), '-V']) if plugin else 'missing'}",
    ]


def median_cost(costs: list[Cost]) -> Cost:
    return Cost(
        statistics.median(c.wall for c in costs),
        statistics.median(c.cpu for c in costs),
        statistics.median(c.rss_mb for c in costs),
        min(c.ok for c in costs),
    )


def table(rows: dict[str, Cost], checks: int) -> list[str]:
    """Medians, and freecost's figure divided by each peer's (below 1: freecost spends less)."""
    ours = rows["freecost"]
    lines = [
        f"{'tool':34} {'wall s':>7} {'CPU s':>7} {'CPU ms/chk':>10} {'peak MB':>8} {'ok':>5}"
        f"  {'freecost/peer: wall':>19} {'CPU':>6} {'mem':>6}",
    ]
    for name, cost in rows.items():
        ratios = ""
        if name != "freecost" and not name.endswith("(driver)"):
            ratios = (
                f"  {ours.wall / cost.wall:19.2f} {ours.cpu / cost.cpu:6.2f} "
                f"{ours.rss_mb / cost.rss_mb:6.2f}"
            )
        lines.append(
            f"{name:34} {cost.wall:7.2f} {cost.cpu:7.2f} {cost.cpu / checks * 1000:10.2f} "
            f"{cost.rss_mb:8.0f} {cost.ok:5d}{ratios}"
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--checks", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.1, help="server delay in seconds")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--hosts", type=int, default=10, help="127.0.0.x addresses")
    parser.add_argument("--ports", type=int, default=10, help="ports per address")
    parser.add_argument("--runs", type=int, default=3, help="runs per tool; medians reported")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        kind, spec_file = args.worker
        print(json.dumps(WORKERS[kind](json.loads(Path(spec_file).read_text()))))
        return

    plugin = nagios_plugin()
    exporter = shutil.which(EXPORTER)
    cache = tempfile.TemporaryDirectory(prefix="freecost-pyc-")
    # An installed freecost runs from compiled bytecode; an editable install under
    # PYTHONDONTWRITEBYTECODE would compile every module on every run. Cache it privately.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["PYTHONPYCACHEPREFIX"] = cache.name
    print("\n".join(machine(plugin, exporter)))
    if exporter is None:
        print(f"skipping blackbox_exporter: not installed ({INSTALL['blackbox_exporter']})")
    if plugin is None:
        print(f"skipping Nagios plugin: none of {NAGIOS_PLUGINS} ({INSTALL['nagios']})")

    targets = free_targets(args.hosts, args.ports)
    urls = [
        f"http://{host}:{port}/p{i}"
        for i, (host, port) in ((i, targets[i % len(targets)]) for i in range(args.checks))
    ]
    ideal = -(-args.checks // args.concurrency) * args.delay
    print(
        f"checks={args.checks} delay={args.delay * 1000:.0f}ms concurrency={args.concurrency} "
        f"targets={len(targets)} ideal wall={ideal:.2f}s runs={args.runs}"
    )
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(targets, args.delay, ready), daemon=True)
    server.start()
    if not ready.wait(30):
        sys.exit("servers did not start")
    results: dict[str, list[Cost]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="freecost-compare-") as folder:
            setup = Setup(urls, args.concurrency, Path(folder), targets)
            # freecost's figures include its start-up (interpreter, imports, inventory);
            # the same command over one check shows how much of them that is.
            run_freecost(setup, 1)  # fills the bytecode cache
            startup = median_cost([run_freecost(setup, 1) for _ in range(3)])
            print(
                f"freecost start-up (one check): wall={startup.wall:.2f}s "
                f"cpu={startup.cpu:.2f}s peak={startup.rss_mb:.0f}MB"
            )
            for run in range(1, args.runs + 1):
                measured = {"freecost": run_freecost(setup)}
                if exporter is not None:
                    measured["blackbox_exporter"], measured["blackbox (driver)"] = run_blackbox(
                        setup, exporter
                    )
                if plugin is not None:
                    measured[f"{plugin.name} x N"], measured[f"{plugin.name} (driver)"] = (
                        run_nagios(setup, plugin)
                    )
                for name, cost in measured.items():
                    results.setdefault(name, []).append(cost)
                    print(
                        f"run {run} {name:22} wall={cost.wall:.2f}s cpu={cost.cpu:.2f}s "
                        f"peak={cost.rss_mb:.0f}MB ok={cost.ok}/{args.checks}"
                    )
    finally:
        server.terminate()
        server.join(5)
        cache.cleanup()
    medians = {k: median_cost(v) for k, v in results.items()}
    ours = medians["freecost"]
    engine = Cost(ours.wall - startup.wall, ours.cpu - startup.cpu, ours.rss_mb, ours.ok)
    print()
    print("\n".join(table(medians, args.checks)))
    print(
        f"{'freecost less its start-up':34} {engine.wall:7.2f} {engine.cpu:7.2f} "
        f"{engine.cpu / args.checks * 1000:10.2f}"
    )


if __name__ == "__main__":
    main()
