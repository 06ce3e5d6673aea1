"""status.io: ``{api base}/1.0/status/{page_id}``.

Status codes and what they become: 100 operational (ok), 200 planned maintenance (warn),
300 degraded performance (warn), 400 partial service disruption (fail), 500 service
disruption (fail), 600 security event (fail). Any other code is unknown and so an error.

For the whole page the verdict is the worst of the overall code, every component and
container, warn for each active incident (its components' codes say how bad it is) and warn
for each active maintenance. For one component (matched by name): the worst code of the
component and its containers, fail while an active incident names it, warn while an active
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
    objects,
    optional_objects,
    plain,
    ref,
    required_text,
)
from freecost.probes.statuspages.fetch import Page

CODES = {
    "100": (Level.OK, "operational"),
    "200": (Level.WARN, "planned maintenance"),
    "300": (Level.WARN, "degraded performance"),
    "400": (Level.FAIL, "partial service disruption"),
    "500": (Level.FAIL, "service disruption"),
    "600": (Level.FAIL, "security event"),
}


async def read(page: Page) -> Reading:
    url = page.url(f"/1.0/status/{page.page_id}")
    return interpret(await page.json(url), page.component, page.root)


def interpret(document: Any, component: str | None, root: str) -> Reading:
    """The reading of one status document."""
    result = as_object(as_object(document, "the answer").get("result"), "result")
    overall = as_object(result.get("status_overall"), "status_overall")
    level, words = _code(overall)
    maintenance = result.get("maintenance")
    maintenance = {} if maintenance is None else as_object(maintenance, "maintenance")
    return judge(
        component,
        [_part(item) for item in objects(result.get("status"), "status")],
        [_event(item, root) for item in optional_objects(result, "incidents", "incidents")],
        [_event(item, root) for item in optional_objects(maintenance, "active", "maintenance")],
        (level, plain(overall.get("status"), 80) or words),
        None,
    )


def _code(item: dict[str, Any]) -> tuple[Level, str]:
    code = item.get("status_code")
    text = str(code) if isinstance(code, int) and not isinstance(code, bool) else code
    return classify(CODES, text, "status code")


def _part(item: dict[str, Any]) -> Part:
    containers = optional_objects(item, "containers", "containers")

    def state() -> tuple[Level, str]:
        states = [_code(item), *(_code(container) for container in containers)]
        return max(states, key=lambda pair: pair[0])

    return Part(
        name=required_text(item, "name", "a component"),
        refs=frozenset(ref("id", item.get("id")) | ref("name", item.get("name"))),
        state=state,
    )


def _event(item: dict[str, Any], root: str) -> Event:
    messages = item.get("messages")
    latest = messages[-1] if isinstance(messages, list) and messages else None
    incident = Incident(
        title=plain(item.get("name")) or "(untitled)",
        level=Level.WARN,
        status=plain(latest.get("state"), 40) if isinstance(latest, dict) else None,
        link=link(item.get("url"), root),
        started=plain(item.get("datetime_open") or item.get("datetime_planned_start"), 40),
    )
    refs: set[str] = set()
    for entry in optional_objects(item, "components_affected", "components_affected"):
        refs |= ref("id", entry.get("_id")) | ref("id", entry.get("id"))
        refs |= ref("name", entry.get("name"))
    # containers_affected is not read: a container (a region) is shared by many components.
    return Event(incident, frozenset(refs))
