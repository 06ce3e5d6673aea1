"""Instatus: ``{root}/summary.json``.

``page.status`` is UP (ok), HASISSUES (warn) or UNDERMAINTENANCE (warn). Incident impacts
and component statuses share one scale: OPERATIONAL (ok), DEGRADEDPERFORMANCE and
UNDERMAINTENANCE (warn), PARTIALOUTAGE and MAJOROUTAGE (fail). For the whole page the
verdict is the worst of the page status, the components (when the summary lists them),
each active incident's impact (at least warn) and warn for each active maintenance. For one
component: its status, fail while an active incident names it, warn while an active
maintenance names it; a summary that lists no components cannot answer for one.
"""

from __future__ import annotations

from typing import Any

from freecost.probes.statuspages.common import (
    Event,
    Incident,
    Level,
    PageError,
    Part,
    Reading,
    as_object,
    classify,
    judge,
    link,
    optional_objects,
    plain,
    ref,
    required_text,
)
from freecost.probes.statuspages.fetch import Page

PATH = "/summary.json"

PAGE = {
    "UP": (Level.OK, "all systems operational"),
    "HASISSUES": (Level.WARN, "has issues"),
    "UNDERMAINTENANCE": (Level.WARN, "under maintenance"),
}
STATE = {
    "OPERATIONAL": (Level.OK, "operational"),
    "DEGRADEDPERFORMANCE": (Level.WARN, "degraded performance"),
    "UNDERMAINTENANCE": (Level.WARN, "under maintenance"),
    "PARTIALOUTAGE": (Level.FAIL, "partial outage"),
    "MAJOROUTAGE": (Level.FAIL, "major outage"),
}


async def read(page: Page) -> Reading:
    return interpret(await page.json(page.url(PATH)), page.component, page.root)


def interpret(document: Any, component: str | None, root: str) -> Reading:
    """The reading of one summary.json document."""
    summary = as_object(document, "the summary")
    about = as_object(summary.get("page"), "page")
    if component is not None and summary.get("components") is None:
        raise PageError(
            "this page's summary lists no components; leave out component to check the whole page"
        )
    incidents = optional_objects(summary, "activeIncidents", "activeIncidents")
    work = optional_objects(summary, "activeMaintenances", "activeMaintenances")
    return judge(
        component,
        [_part(item) for item in optional_objects(summary, "components", "components")],
        [_event(item, root) for item in incidents],
        [_event(item, root, maintenance=True) for item in work],
        classify(PAGE, about.get("status"), "page status"),
        plain(about.get("name"), 80),
    )


def _part(item: dict[str, Any]) -> Part:
    return Part(
        name=required_text(item, "name", "a component"),
        refs=frozenset(ref("id", item.get("id")) | ref("name", item.get("name"))),
        state=lambda: classify(STATE, item.get("status"), "component status"),
    )


def _event(item: dict[str, Any], root: str, *, maintenance: bool = False) -> Event:
    impact = item.get("impact")
    level = Level.WARN
    if impact is not None and not maintenance:
        level = max(Level.WARN, classify(STATE, impact, "incident impact")[0])
    incident = Incident(
        title=plain(item.get("name")) or "(untitled)",
        level=level,
        status=plain(item.get("status"), 40),
        impact=plain(impact, 40),
        link=link(item.get("url"), root),
        started=plain(item.get("started") or item.get("start"), 40),
    )
    refs: set[str] = set()
    for entry in optional_objects(item, "components", "an incident's components"):
        refs |= ref("id", entry.get("id")) | ref("name", entry.get("name"))
    return Event(incident, frozenset(refs))
