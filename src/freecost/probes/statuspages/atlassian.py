"""Atlassian Statuspage: ``{root}/api/v2/summary.json``.

The page's ``status.indicator`` is a blend the vendor computes, so the verdict for the whole
page is the worst of the indicator, every component, every unresolved incident (by impact:
none and minor warn, major and critical fail) and every maintenance in progress (warn). For
one component (matched by name; a group also stands for its children): the component's own
status, fail while an unresolved incident names it, warn while a maintenance in progress
names it. Incidents name components in ``components`` or in their updates'
``affected_components``.
"""

from __future__ import annotations

from typing import Any

from freecost.probes.statuspages.common import (
    Event,
    Incident,
    Level,
    Part,
    Reading,
    as_object,
    classify,
    judge,
    link,
    objects,
    optional_objects,
    plain,
    ref,
    required_text,
)
from freecost.probes.statuspages.fetch import Page

PATH = "/api/v2/summary.json"

COMPONENT = {
    "operational": (Level.OK, "operational"),
    "degraded_performance": (Level.WARN, "degraded performance"),
    "partial_outage": (Level.FAIL, "partial outage"),
    "major_outage": (Level.FAIL, "major outage"),
    "under_maintenance": (Level.WARN, "under maintenance"),
}
INDICATOR = {
    "none": (Level.OK, "no issues"),
    "minor": (Level.WARN, "minor issues"),
    "major": (Level.FAIL, "major issues"),
    "critical": (Level.FAIL, "critical issues"),
    "maintenance": (Level.WARN, "maintenance"),
}
IMPACT = {
    "none": (Level.WARN, "none"),
    "minor": (Level.WARN, "minor"),
    "major": (Level.FAIL, "major"),
    "critical": (Level.FAIL, "critical"),
    "maintenance": (Level.WARN, "maintenance"),
}
NOT_ACTIVE = frozenset({"resolved", "postmortem", "completed", "scheduled"})


async def read(page: Page) -> Reading:
    return interpret(await page.json(page.url(PATH)), page.component, page.root)


def interpret(document: Any, component: str | None, root: str) -> Reading:
    """The reading of one summary.json document."""
    summary = as_object(document, "the summary")
    status = as_object(summary.get("status"), "status")
    level, words = classify(INDICATOR, status.get("indicator"), "indicator")
    page = summary.get("page")
    return judge(
        component,
        [_part(item) for item in objects(summary.get("components"), "components")],
        _events(summary, "incidents", root),
        _events(summary, "scheduled_maintenances", root, maintenance=True),
        (level, plain(status.get("description")) or words),
        plain(page.get("name"), 80) if isinstance(page, dict) else None,
    )


def _part(item: dict[str, Any]) -> Part:
    refs = ref("id", item.get("id")) | ref("name", item.get("name"))
    children = item.get("components")
    for child in children if isinstance(children, list) else []:
        refs |= ref("id", child)
    return Part(
        name=required_text(item, "name", "a component"),
        refs=frozenset(refs),
        state=lambda: classify(COMPONENT, item.get("status"), "component status"),
    )


def _events(
    summary: dict[str, Any], field: str, root: str, *, maintenance: bool = False
) -> list[Event]:
    """Unresolved incidents (or maintenances in progress) and the components they name."""
    found = []
    for item in optional_objects(summary, field, field):
        status = item.get("status")
        if isinstance(status, str) and status in NOT_ACTIVE:
            continue
        level = Level.WARN
        if not maintenance:
            level = classify(IMPACT, item.get("impact") or "none", "incident impact")[0]
        incident = Incident(
            title=plain(item.get("name")) or "(untitled)",
            level=level,
            status=plain(status, 40),
            impact=plain(item.get("impact"), 40),
            link=link(item.get("shortlink"), root),
            started=plain(item.get("started_at") or item.get("created_at"), 40),
        )
        found.append(Event(incident, frozenset(_named(item))))
    return found


def _named(item: dict[str, Any]) -> set[str]:
    refs: set[str] = set()
    listed = item.get("components")
    for entry in objects(listed, "an incident's components") if listed is not None else []:
        refs |= ref("id", entry.get("id")) | ref("name", entry.get("name"))
    for update in optional_objects(item, "incident_updates", "incident_updates"):
        affected = optional_objects(update, "affected_components", "affected_components")
        for entry in affected:
            refs |= ref("id", entry.get("code")) | ref("name", entry.get("name"))
    return refs
