"""What ``freecost history`` shows: uptime per check, dependency and function, incidents and
recent results, read from the store and computed by :mod:`freecost.uptime`.

A check's figures come from the store's rollups and raw results, so they hold for any
period. A dependency's or a function's figures combine its checks' timelines, which are
read from raw results: they are given only for periods the raw results still cover
(``settings.retention``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from freecost.inventory import Dependency, LoadedInventory
from freecost.maintenance import MaintenanceWindow, maintenance_intervals
from freecost.store import CheckKey, History, Incident, rules_for
from freecost.uptime import (
    ACCOUNTING_POLICY,
    Observation,
    Period,
    Span,
    combine_all,
    figures,
    function_spans,
    periods,
    spans,
)

RECENT_RESULTS = 50


@dataclass(frozen=True)
class Row:
    """Figures of one check, dependency or function, one entry per period (None: not known)."""

    kind: str
    id: str
    name: str
    figures: dict[str, dict[str, Any] | None]


def history_view(
    loaded: LoadedInventory,
    history: History,
    now: datetime,
    *,
    since: timedelta,
    dependency: str | None = None,
) -> dict[str, Any]:
    """The whole view as JSON-ready data (the text output is rendered from it)."""
    settings = loaded.inventory.settings
    tz = settings.timezone
    shown = periods(now, tz)
    oldest_raw = now - settings.retention
    dependencies = [
        d for d in loaded.inventory.dependencies if dependency is None or d.id == dependency
    ]
    rules = rules_for(loaded)
    earliest = min(p.start for p in shown)
    timelines: dict[str, list[Span]] = {}
    rows: list[Row] = []
    for dep in loaded.inventory.dependencies:
        windows = [*settings.maintenance, *dep.maintenance]
        maintenance = maintenance_intervals(windows, earliest - timedelta(days=1), now, tz)
        check_spans = []
        for _, check in ((d, c) for d, c in loaded.checks() if d.id == dep.id):
            key = CheckKey(dep.id, check.id)
            policy = rules.policy(key)
            observed = _observations(history, key, max(earliest, oldest_raw), now, policy.every)
            timeline = spans(
                observed,
                fail_after=policy.fail_after,
                recover_after=policy.recover_after,
                until=now,
            )
            check_spans.append(timeline)
            if dep in dependencies:
                rows.append(_check_row(history, key, check.id, shown, tz, windows, now))
        timelines[dep.id] = combine_all(check_spans) if check_spans else []
        if dep in dependencies:
            rows.append(
                _row(
                    "dependency",
                    dep.id,
                    dep.name,
                    timelines[dep.id],
                    shown,
                    maintenance,
                    oldest_raw,
                )
            )
    rows += _function_rows(loaded, timelines, dependencies, shown, oldest_raw, earliest, now)
    start = now - since
    incidents = [
        i for i in history.incidents(start=start, end=now) if _wanted(i.check, dependencies)
    ]
    recent = [
        r
        for r in history.results(start=start, end=now, limit=RECENT_RESULTS * 4)
        if dependency is None or r.dependency == dependency
    ][:RECENT_RESULTS]
    return {
        "business": loaded.inventory.business.name,
        "timezone": tz,
        "now": now.isoformat(),
        "since": start.isoformat(),
        "periods": [
            {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()} for p in shown
        ],
        "uptime": [
            {"kind": r.kind, "id": r.id, "name": r.name, "periods": r.figures} for r in rows
        ],
        "incidents": [_incident_json(i, now) for i in incidents],
        "results": [r.to_json() for r in recent],
        "accounting_policy": ACCOUNTING_POLICY,
    }


def _wanted(key: CheckKey, dependencies: Sequence[Dependency]) -> bool:
    return any(d.id == key.dependency for d in dependencies)


def _observations(
    history: History, key: CheckKey, start: datetime, end: datetime, every: timedelta
) -> list[Observation]:
    # One result before the window too: it covers the window's first minutes.
    results = history.results(check=key, start=start - every * 2, end=end)
    return [Observation(r.observed_at, r.status, every) for r in reversed(results)]


def _check_row(
    history: History,
    key: CheckKey,
    name: str,
    shown: Sequence[Period],
    tz: str,
    windows: Sequence[MaintenanceWindow],
    now: datetime,
) -> Row:
    values: dict[str, dict[str, Any] | None] = {}
    for period in shown:
        maintenance = maintenance_intervals(windows, period.start, period.end, tz)
        inputs = history.uptime_inputs(
            key, period.start, period.end, timezone=tz, maintenance=maintenance
        )
        started = [i for i in inputs.incidents if period.start <= i.started_at < period.end]
        lengths = [(i.ended_at or now) - i.started_at for i in started]
        ended = [i.ended_at - i.started_at for i in started if i.ended_at is not None]
        time = inputs.tally
        values[period.name] = {
            "uptime_pct": _pct(time.up, time.up + time.down),
            "coverage_pct": _pct(time.up + time.down, period.length - time.maintenance),
            "incidents": len(started),
            "mttr_s": (sum(ended, timedelta()) / len(ended)).total_seconds() if ended else None,
            "longest_outage_s": max(lengths).total_seconds() if lengths else None,
            "maintenance_s": time.maintenance.total_seconds(),
        }
    return Row("check", str(key), name, values)


def _row(
    kind: str,
    ident: str,
    name: str,
    timeline: Sequence[Span],
    shown: Sequence[Period],
    maintenance: Sequence[tuple[datetime, datetime]],
    oldest_raw: datetime,
) -> Row:
    values: dict[str, dict[str, Any] | None] = {}
    for period in shown:
        if period.start < oldest_raw:
            values[period.name] = None  # older than the raw results kept
            continue
        found = figures(timeline, period, maintenance)
        values[period.name] = {
            "uptime_pct": found.uptime_pct,
            "coverage_pct": found.coverage_pct,
            "incidents": found.incidents,
            "mttr_s": found.mttr.total_seconds() if found.mttr else None,
            "longest_outage_s": (
                found.longest_outage.total_seconds() if found.longest_outage else None
            ),
            "maintenance_s": found.tally.maintenance.total_seconds(),
        }
    return Row(kind, ident, name, values)


def _function_rows(
    loaded: LoadedInventory,
    timelines: dict[str, list[Span]],
    dependencies: Sequence[Dependency],
    shown: Sequence[Period],
    oldest_raw: datetime,
    earliest: datetime,
    now: datetime,
) -> list[Row]:
    settings = loaded.inventory.settings
    maintenance = maintenance_intervals(
        settings.maintenance, earliest - timedelta(days=1), now, settings.timezone
    )
    alternatives = {d.id: list(d.alternatives) for d in loaded.inventory.dependencies}
    wanted = {d.id for d in dependencies}
    rows = []
    for function in loaded.inventory.functions:
        if not wanted.intersection(function.needs):
            continue
        timeline = function_spans(function.needs, timelines, alternatives)
        rows.append(
            _row("function", function.id, function.name, timeline, shown, maintenance, oldest_raw)
        )
    return rows


def _pct(part: timedelta, whole: timedelta) -> float | None:
    if whole <= timedelta(0):
        return None
    return round(100 * part / whole, 3)


def _incident_json(incident: Incident, now: datetime) -> dict[str, Any]:
    end = incident.ended_at or now
    return {
        "check": str(incident.check),
        "started_at": incident.started_at.isoformat(),
        "ended_at": incident.ended_at.isoformat() if incident.ended_at else None,
        "duration_s": (end - incident.started_at).total_seconds(),
        "open": incident.open,
        "layer": incident.layer.value if incident.layer else None,
        "first_summary": incident.first_summary,
        "last_summary": incident.last_summary,
    }


def render_text(view: dict[str, Any], database: str) -> str:
    """The view for a person: an uptime table, the incidents, the latest results."""
    names = [p["name"] for p in view["periods"]]
    lines = [
        f"{view['business']}: history from {database} (times in {view['timezone']})",
        "",
        "uptime (coverage)".ljust(44) + "".join(n.rjust(18) for n in names),
    ]
    for row in view["uptime"]:
        label = f"{row['kind']} {row['id']}"[:43].ljust(44)
        lines.append(label + "".join(_cell(row["periods"][n]).rjust(18) for n in names))
    lines += ["", f"incidents since {view['since'][:16].replace('T', ' ')}"]
    if not view["incidents"]:
        lines.append("  none")
    for incident in view["incidents"]:
        state = "still open" if incident["open"] else "ended"
        lines.append(
            f"  {incident['check']}: {incident['started_at'][:16].replace('T', ' ')} UTC, "
            f"{_span(incident['duration_s'])}, {state}; {incident['first_summary']}"
        )
    lines += ["", "latest results"]
    if not view["results"]:
        lines.append("  none")
    for result in view["results"][:20]:
        lines.append(
            f"  {result['observed_at'][:19].replace('T', ' ')}  "
            f"{result['dependency']}/{result['check']}: {result['status']}: {result['summary']}"
        )
    lines += ["", "How these figures are counted: " + view["accounting_policy"]]
    return "\n".join(lines)


def _cell(values: dict[str, Any] | None) -> str:
    if values is None:
        return "(past retention)"
    uptime, coverage = values["uptime_pct"], values["coverage_pct"]
    if uptime is None:
        return "not observed"
    shown = f"{uptime:.2f}%"
    return shown if coverage is None else f"{shown} ({coverage:.0f}%)"


def _span(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min" if hours < 48 else f"{hours // 24} days {hours % 24} h"
