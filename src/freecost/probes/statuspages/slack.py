"""Slack: ``{root}/api/v2.0.0/current``.

``status`` is ``ok`` or ``active``; each active incident has a ``type`` (incident, outage,
maintenance, notice) and the ``services`` it touches. For the whole page an outage is fail
and anything else warn. For one service an incident or outage naming it is fail, and a
maintenance or notice naming it warn.

Slack's API names services only inside incidents; it has no list of them, so a service name
that Slack does not use cannot be told apart from one that is simply fine. The details say
so (``component_verified: false``).
"""

from __future__ import annotations

from typing import Any

from freecost.probes.statuspages.common import (
    Incident,
    Level,
    Reading,
    as_list,
    as_object,
    classify,
    key,
    link,
    optional_objects,
    plain,
    worst,
)
from freecost.probes.statuspages.fetch import Page

PATH = "/api/v2.0.0/current"

PAGE = {"ok": (Level.OK, "all services operating normally"), "active": (Level.WARN, "active")}
WHOLE_PAGE = {
    "outage": (Level.FAIL, "outage"),
    "incident": (Level.WARN, "incident"),
    "notice": (Level.WARN, "notice"),
    "maintenance": (Level.WARN, "maintenance"),
}
ONE_SERVICE = {
    "outage": (Level.FAIL, "outage"),
    "incident": (Level.FAIL, "incident"),
    "notice": (Level.WARN, "notice"),
    "maintenance": (Level.WARN, "maintenance"),
}


async def read(page: Page) -> Reading:
    return interpret(await page.json(page.url(PATH)), page.component, page.root)


def interpret(document: Any, component: str | None, root: str) -> Reading:
    """The reading of one ``current`` document."""
    current = as_object(document, "the answer")
    page_level, page_words = classify(PAGE, current.get("status"), "status")
    table = WHOLE_PAGE if component is None else ONE_SERVICE
    found: list[tuple[Incident, str]] = []
    for item in optional_objects(current, "active_incidents", "active_incidents"):
        if item.get("status") == "resolved":
            continue
        services = [
            key(s) for s in as_list(item.get("services", []), "services") if isinstance(s, str)
        ]
        if component is not None and key(component) not in services:
            continue
        level, kind = classify(table, item.get("type"), "incident type")
        found.append((_incident(item, level, kind, root), kind))
    incidents = tuple(event for event, kind in found if kind != "maintenance")
    maintenances = tuple(event for event, kind in found if kind == "maintenance")
    if component is None:
        level = worst([page_level, *(event.level for event, _ in found)])
        state = page_words if not found else max(found, key=lambda pair: pair[0].level)[1]
    else:
        level = worst(event.level for event, _ in found)
        state = max(found, key=lambda pair: pair[0].level)[1] if found else "no active incident"
    return Reading(
        level=level,
        state=state,
        page_status=page_words,
        component=plain(component, 80),
        incidents=incidents,
        maintenances=maintenances,
        extra={} if component is None else {"component_verified": False},
    )


def _incident(item: dict[str, Any], level: Level, kind: str, root: str) -> Incident:
    return Incident(
        title=plain(item.get("title")) or "(untitled)",
        level=level,
        status=plain(item.get("status"), 40),
        impact=kind,
        link=link(item.get("url"), root),
        started=plain(item.get("date_created"), 40),
    )
