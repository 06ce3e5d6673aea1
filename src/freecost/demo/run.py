"""``freecost demo`` from start to finish: a workspace, the simulated vendors, 30 days of
history, a real audit, and the lines to print.

The workspace (inventory, CA, server key, history database) is a fresh folder under the
output folder, removed at the end unless it is to be kept, so the demo writes nothing
outside the folder it is given. The telephony credentials are random fake values put in
this process's environment for the run only (the inventory names the variables, as a real
one does) and never printed.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from freecost.auditing import Done
from freecost.demo.scenario import BUSINESS, SID_ENV, TOKEN_ENV
from freecost.demo.servers import Endpoints
from freecost.errors import FreecostError

FORMATS = ("html", "md", "json")
DATABASE = ".freecost/history.sqlite3"


class DemoError(FreecostError):
    """The demo could not run (a port, a file, a server that would not start)."""


@dataclass(frozen=True)
class DemoRun:
    """What a demo run did: the audit, where the servers listened, and what to print."""

    done: Done
    endpoints: Endpoints
    seeded: int
    """Results written to the history before the audit."""
    workspace: Path | None
    """The kept workspace, or None when it was removed."""
    seconds: float
    lines: list[str]


@contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """Set environment variables for the block, then restore what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_demo(out: Path, *, keep: bool = False) -> DemoRun:
    """Run the whole demo; the report goes to ``out`` (``report.html``, ``.md``, ``.json``)."""
    started = time.perf_counter()
    try:
        out.mkdir(parents=True, exist_ok=True)
        workspace = Path(tempfile.mkdtemp(prefix="workspace-", dir=out))
    except OSError as exc:
        raise DemoError(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
    try:
        done, endpoints, seeded = _simulate(workspace, out)
    except OSError as exc:
        raise DemoError(f"the simulation could not run: {exc.strerror or exc}") from None
    finally:
        if not keep:
            shutil.rmtree(workspace, ignore_errors=True)
    seconds = time.perf_counter() - started
    kept = workspace if keep else None
    return DemoRun(done, endpoints, seeded, kept, seconds, _lines(done, kept, seconds))


def _simulate(workspace: Path, out: Path) -> tuple[Done, Endpoints, int]:
    from freecost.auditing import audit_one
    from freecost.demo.certs import make_certificates
    from freecost.demo.inventory import inventory_text
    from freecost.demo.scenario import DOMAIN, MAIL_HOST, WWW
    from freecost.demo.seed import seed_history
    from freecost.demo.servers import running
    from freecost.demo.zone import zone_text
    from freecost.inventory import load_inventory

    now = datetime.now(UTC)
    certificates = make_certificates(workspace, [WWW, MAIL_HOST, DOMAIN], BUSINESS)
    account, token = "AC" + secrets.token_hex(16), secrets.token_hex(16)
    with running(certificates, zone_text(), account, token, now) as endpoints:
        path = workspace / "inventory.yaml"
        path.write_text(inventory_text(endpoints, certificates.ca.name), encoding="utf-8")
        loaded = load_inventory(path)
        database = workspace / DATABASE
        seeded = seed_history(loaded, database, now)
        with environment({SID_ENV: account, TOKEN_ENV: token}):
            # The database is named, not left to $FREECOST_DB: the demo's history must never
            # land in a real one.
            done = audit_one(
                loaded,
                out=out,
                formats=FORMATS,
                compare=None,
                database=str(database),
                run_all=True,
            )
    return done, endpoints, seeded


def _lines(done: Done, kept: Path | None, seconds: float) -> list[str]:
    lines = [
        done.text,
        "",
        f"This was a simulation: {BUSINESS} and its vendors (website, DNS, mail server, "
        "status page, domain registry, telephony API) ran on 127.0.0.1 for "
        f"{seconds:.1f} s, with 30 days of made-up history. To audit your own business: "
        "`freecost init`, then `freecost audit`.",
    ]
    if kept is not None:
        lines.append(f"The demo's inventory, CA and history are kept in {kept}.")
    return lines
