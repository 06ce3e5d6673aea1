"""Google Workspace Status Dashboard: ``{root}/incidents.json`` and ``{root}/products.json``.

incidents.json is the whole history; an incident is active while its ``end`` is null. A
product is named by title (resolved through products.json) or by ``product_id``, and an
active incident affects it when ``currently_affected_products`` lists its id (or, when that
field is absent, ``affected_products``).

Mapping of ``status_impact``: SERVICE_OUTAGE is fail; SERVICE_INFORMATION is warn;
SERVICE_DISRUPTION is fail when the incident's ``severity`` is high and warn when it is low
or medium. A disruption covers anything from slowness for a few users to a partial outage;
Google's severity is the only sign of which, and a high-severity disruption is an outage
for the users it hits.
"""

from __future__ import annotations

from typing import Any

from freecost.probes.statuspages.common import (
    Incident,
    Level,
    PageError,
    Reading,
    as_list,
    as_object,
    classify,
    key,
    link,
    not_found,
    objects,
    plain,
    required_text,
    worst,
)
from freecost.probes.statuspages.fetch import Page

HISTORY_LIMIT = 20 * 1024 * 1024
"""incidents.json holds every incident since the dashboard began, so it gets a larger cap."""

IMPACT = {
    "SERVICE_OUTAGE": (Level.FAIL, "service outage"),
    "SERVICE_DISRUPTION": (Level.WARN, "service disruption"),
    "SERVICE_INFORMATION": (Level.WARN, "service information"),
}
SEVERITY = frozenset({"low", "medium", "high"})


async def read(page: Page) -> Reading:
    product: tuple[str, str] | None = None
    if page.component is not None or page.product_id is not None:
        products = await page.json(page.url("products.json"))
        product = resolve(products, page.component, page.product_id)
    history = await page.json(page.url("incidents.json"), HISTORY_LIMIT)
    return interpret(history, product, page.url(""))


def resolve(document: Any, title: str | None, product_id: str | None) -> tuple[str, str]:
    """The (id, title) of the product named by ``title`` or ``product_id``."""
    listed = objects(as_object(document, "products.json").get("products"), "products")
    pairs = [
        (required_text(item, "id", "a product"), required_text(item, "title", "a product"))
        for item in listed
    ]
    for ident, name in pairs:
        if (product_id is not None and ident == product_id) or (
            title is not None and key(name) == key(title)
        ):
            return ident, name
    wanted = product_id if product_id is not None else title
    labels = [f"{name} ({ident})" if product_id else name for ident, name in pairs]
    raise not_found("product", str(wanted), labels)


def interpret(document: Any, product: tuple[str, str] | None, root: str) -> Reading:
    """The reading of incidents.json for one product, or for every product."""
    active = [item for item in objects(document, "incidents.json") if _is_active(item)]
    count = len(active)
    page_status = f"{count} active incident{'s' if count != 1 else ''}" if count else "available"
    if product is not None:
        active = [item for item in active if product[0] in _products(item)]
    incidents = tuple(_incident(item, root) for item in active)
    level = worst(incident.level for incident in incidents)
    state = "no active incident"
    if incidents:
        state = max(incidents, key=lambda incident: incident.level).impact or "incident"
    return Reading(
        level=level,
        state=state,
        page_status=page_status,
        component=product[1] if product else None,
        incidents=incidents,
        extra={"product_id": product[0]} if product else {},
    )


def _is_active(item: dict[str, Any]) -> bool:
    if "end" not in item:
        raise PageError("unexpected answer: an incident has no 'end' field")
    return item["end"] is None


def _products(item: dict[str, Any]) -> set[str]:
    field = "currently_affected_products"
    listed = item.get(field)
    if listed is None:
        field = "affected_products"
        listed = item.get(field)
    ids = set()
    for entry in as_list(listed if listed is not None else [], field):
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            ids.add(entry["id"])
    return ids


def _incident(item: dict[str, Any], root: str) -> Incident:
    level, words = classify(IMPACT, item.get("status_impact"), "status_impact")
    severity = item.get("severity")
    if severity is not None and severity not in SEVERITY:
        raise PageError(
            f"the page reports an unknown severity '{plain(severity, 40)}'",
            unknown_value=plain(severity, 40),
        )
    if item.get("status_impact") == "SERVICE_DISRUPTION" and severity == "high":
        level = Level.FAIL
    update = item.get("most_recent_update")
    status = update.get("status") if isinstance(update, dict) else None
    return Incident(
        title=plain(item.get("external_desc")) or "(untitled)",
        level=level,
        status=plain(status, 40),
        impact=f"{words} ({severity})" if isinstance(severity, str) else words,
        link=link(item.get("uri"), root),
        started=plain(item.get("begin"), 40),
    )
