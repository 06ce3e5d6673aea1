"""Better Stack: ``{root}/index.json`` (JSON:API).

``data.attributes.aggregate_state`` and each resource's ``status`` share one scale:
operational (ok), degraded and maintenance (warn), downtime (fail). Resources are the
``included`` items of type ``status_page_resource``, named by ``public_name``; status
reports (``status_report`` items without ``ends_at``) are the active incidents, or
maintenances when their ``report_type`` is maintenance. For the whole page the verdict is the
worst of the aggregate state, every resource and every active report (at least warn). For
one resource: its status, fail while an active incident names it, warn while an active
maintenance names it.
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
    optional_objects,
    plain,
    ref,
    required_text,
)
from freecost.probes.statuspages.fetch import Page

PATH = "/index.json"

STATE = {
    "operational": (Level.OK, "operational"),
    "degraded": (Level.WARN, "degraded"),
    "maintenance": (Level.WARN, "maintenance"),
    "downtime": (Level.FAIL, "downtime"),
}


async def read(page: Page) -> Reading:
    return interpret(await page.json(page.url(PATH)), page.component, page.root)


def interpret(document: Any, component: str | None, root: str) -> Reading:
    """The reading of one index.json document."""
    top = as_object(document, "the answer")
    attributes = as_object(as_object(top.get("data"), "data").get("attributes"), "attributes")
    included = optional_objects(top, "included", "included")
    reports = [
        (_event(item, root), _planned(item))
        for item in included
        if item.get("type") == "status_report" and _active(item)
    ]
    return judge(
        component,
        [_part(item) for item in included if item.get("type") == "status_page_resource"],
        [event for event, planned in reports if not planned],
        [event for event, planned in reports if planned],
        classify(STATE, attributes.get("aggregate_state"), "aggregate state"),
        plain(attributes.get("company_name"), 80),
    )


def _attributes(item: dict[str, Any]) -> dict[str, Any]:
    return as_object(item.get("attributes"), f"the attributes of a {item.get('type')}")


def _part(item: dict[str, Any]) -> Part:
    attributes = _attributes(item)
    return Part(
        name=required_text(attributes, "public_name", "a resource"),
        refs=frozenset(ref("id", item.get("id"))),
        state=lambda: classify(STATE, attributes.get("status"), "resource status"),
    )


def _active(item: dict[str, Any]) -> bool:
    return _attributes(item).get("ends_at") is None


def _planned(item: dict[str, Any]) -> bool:
    return _attributes(item).get("report_type") == "maintenance"


def _event(item: dict[str, Any], root: str) -> Event:
    attributes = _attributes(item)
    state = attributes.get("aggregate_state")
    level = Level.WARN
    if state is not None and not _planned(item):
        level = max(Level.WARN, classify(STATE, state, "report state")[0])
    incident = Incident(
        title=plain(attributes.get("title")) or "(untitled)",
        level=level,
        status=plain(attributes.get("report_type"), 40),
        impact=plain(state, 40),
        link=link(attributes.get("url"), root),
        started=plain(attributes.get("starts_at"), 40),
    )
    affected = optional_objects(attributes, "affected_resources", "affected_resources")
    refs = set().union(*(ref("id", entry.get("status_page_resource_id")) for entry in affected))
    return Event(incident, frozenset(refs))
