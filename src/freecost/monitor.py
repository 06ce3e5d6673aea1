"""One monitoring pass, as cron runs it: the due checks run, the results are stored, and
every change of state (and every reminder that is due) is sent to the notification URLs.

A notifier that fails never fails the pass: its outcome is recorded with the incident and
returned, so the command can show it. A notification URL whose secret is missing is a
failed delivery naming the variable, not an error of the whole run.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from freecost.errors import SecretError
from freecost.inventory import LoadedInventory
from freecost.plan import due_checks, plan_checks
from freecost.probes.context import ProbeContext
from freecost.runner import CheckRun, OnResult, PlannedCheck, run_checks
from freecost.store import Change, History, Incident, database_path, rules_for
from freecost.store import Delivery as StoredDelivery

if TYPE_CHECKING:
    from freecost.alerts import Alert, Delivery

OnPlanned = Callable[[int], None]
"""Told how many checks will run, before they start (for a progress bar)."""

NOTIFY_TIMEOUT = 20.0
"""Seconds all notifiers of one notice share; a hung one is abandoned after this."""


@dataclass(frozen=True)
class Notice:
    """What became of one alert: its kind, the check, and one delivery per URL."""

    kind: str
    check: str
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class Pass:
    """What one pass did."""

    run: CheckRun
    database: Path
    changes: tuple[Change, ...]
    notices: tuple[Notice, ...]
    not_due: int
    """Checks skipped because their ``every`` has not passed."""


def monitor(
    loaded: LoadedInventory,
    *,
    only: Sequence[str] = (),
    run_all: bool = False,
    database: str | None = None,
    concurrency: int | None = None,
    environ: Mapping[str, str] | None = None,
    on_result: OnResult | None = None,
    planned_hook: OnPlanned | None = None,
) -> Pass:
    """Run the due checks (all with ``run_all``; those named with ``only``), store, alert."""
    environ = os.environ if environ is None else environ
    path = database_path(loaded, database, environ)
    with History.open(path) as history:
        planned = plan_checks(loaded, only)
        wanted = planned
        if not (run_all or only):
            now = datetime.now().astimezone()
            seen = {(key.dependency, key.check): at for key, at in history.last_observed().items()}
            wanted = due_checks(planned, seen, now)
        if planned_hook is not None:
            planned_hook(len(wanted))
        run = asyncio.run(_run(loaded, wanted, concurrency, environ, on_result))
        if not run.results:
            return Pass(run, path, (), (), len(planned))
        recorded = history.record(run, rules_for(loaded), inventory=loaded.display)
        notices = _notify(loaded, history, recorded.changes, recorded.reminders, run, environ)
    return Pass(run, path, recorded.changes, tuple(notices), len(planned) - len(wanted))


async def _run(
    loaded: LoadedInventory,
    planned: Sequence[PlannedCheck],
    concurrency: int | None,
    environ: Mapping[str, str],
    on_result: OnResult | None,
) -> CheckRun:
    settings = loaded.inventory.settings
    async with ProbeContext(settings=settings, base_dir=loaded.base_dir, environ=environ) as ctx:
        return await run_checks(planned, ctx, concurrency=concurrency, on_result=on_result)


def _notify(
    loaded: LoadedInventory,
    history: History,
    changes: Sequence[Change],
    reminders: Sequence[Incident],
    run: CheckRun,
    environ: Mapping[str, str],
) -> list[Notice]:
    if not loaded.inventory.settings.notify:
        return []
    urls, missing = _notify_urls(loaded, environ)
    notices = []
    for incident_id, alert in _alerts(loaded, changes, reminders, run.finished_at):
        deliveries = _send(loaded, alert, urls) + missing
        history.mark_notified(
            incident_id,
            run.finished_at,
            [StoredDelivery(d.target, d.ok, d.error) for d in deliveries],
            notice=alert.kind,
        )
        notices.append(Notice(alert.kind, f"{alert.dependency}/{alert.check}", tuple(deliveries)))
    return notices


def _alerts(
    loaded: LoadedInventory,
    changes: Sequence[Change],
    reminders: Sequence[Incident],
    now: datetime,
) -> list[tuple[int, Alert]]:
    from freecost.alerts import alert_for

    known = {d.id for d in loaded.inventory.dependencies} - _under_maintenance(loaded, now)
    found = []
    for change in changes:
        if change.check.dependency in known:
            ended = change.at if change.kind == "closed" else None
            alert = alert_for(
                loaded,
                change.check.dependency,
                change.check.check,
                change.kind,
                since=change.since,
                summary=change.summary,
                layer=change.layer,
                now=now,
                ended=ended,
            )
            found.append((change.incident_id, alert))
    for incident in reminders:
        if incident.check.dependency in known:
            alert = alert_for(
                loaded,
                incident.check.dependency,
                incident.check.check,
                "reminder",
                since=incident.started_at,
                summary=incident.last_summary,
                layer=incident.layer,
                now=now,
            )
            found.append((incident.id, alert))
    return found


def _under_maintenance(loaded: LoadedInventory, now: datetime) -> set[str]:
    """Dependencies inside a maintenance window at ``now``: their alerts wait.

    The incident is still recorded. An incident nobody was told about is due for a
    reminder at once, so if the dependency is still down when the window ends, the next run
    says so; one that ends inside the window is never announced.
    """
    from freecost.maintenance import maintenance_intervals

    settings = loaded.inventory.settings
    moment = now + timedelta(microseconds=1)
    quiet = set()
    for dependency in loaded.inventory.dependencies:
        windows = [*settings.maintenance, *dependency.maintenance]
        if windows and any(
            start <= now < end
            for start, end in maintenance_intervals(windows, now, moment, settings.timezone)
        ):
            quiet.add(dependency.id)
    return quiet


def _notify_urls(
    loaded: LoadedInventory, environ: Mapping[str, str]
) -> tuple[list[str], list[Delivery]]:
    """The URLs that resolve, and a failed delivery for each that does not (named, no value)."""
    from freecost.alerts import Delivery

    urls, missing = [], []
    for ref in loaded.inventory.settings.notify:
        try:
            urls.append(ref.resolve(loaded.base_dir, environ))
        except SecretError as exc:
            missing.append(Delivery(target=str(ref), ok=False, error=str(exc)))
    return urls, missing


def _send(loaded: LoadedInventory, alert: Alert, urls: list[str]) -> list[Delivery]:
    from freecost.alerts import SEVERITY, render, send

    if not urls:
        return []
    settings = loaded.inventory.settings
    message = render(alert, loaded.inventory.business.name, settings.timezone)
    return send(message, urls, timeout=NOTIFY_TIMEOUT, severity=SEVERITY[alert.kind])
