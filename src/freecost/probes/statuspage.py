"""The ``statuspage`` check: what the vendor admits on its own status page.

Supported pages: Atlassian Statuspage, Google Workspace, Slack, status.io, Instatus and
Better Stack (readers in :mod:`freecost.probes.statuspages`). Every page is normalised to
ok (operational, nothing active), warn (degraded, minor, maintenance), fail (partial or
major outage, or an active incident on the component) and error (the page cannot be read or
says something the reader does not know). A status page that is down is ``error``, not
``fail``: the page is not the service, and its silence proves nothing either way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from freecost.checktypes.statuspage import PROVIDERS, Check
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext
    from freecost.probes.statuspages.common import Reading

# The check's parameters are defined in freecost.checktypes.statuspage; kept reachable here.
__all__ = ["Check", "probe"]

LISTED_INCIDENTS = 10


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Fetch and read the page; the page's own trouble is ``error``, never ``fail``."""
    from freecost.probes.statuspages import reader
    from freecost.probes.statuspages.common import ComponentNotFound, PageError, plain
    from freecost.probes.statuspages.fetch import FetchFailed, Page

    page = Page(
        root=check.page_url(),
        client=ctx.api,
        component=check.component,
        product_id=check.product_id,
        page_id=check.page_id,
    )
    where = {"provider": check.provider, "page": page.root}
    try:
        reading = await reader(check.provider)(page)
    except FetchFailed as exc:
        summary = exc.summary
        if exc.details.get("http_status") in (404, 410):
            summary += "; check the url" + (" and page_id" if check.page_id else "")
        return Outcome.error(summary, exc.layer, **where, **exc.details)
    except PageError as exc:
        layer = Layer.CONFIG if isinstance(exc, ComponentNotFound) else Layer.CONTENT
        summary = plain(f"{_label(check, None)}: {exc.message}", 300) or exc.message
        return Outcome.error(summary, layer, **where, **exc.details)
    return _outcome(check, reading, where)


def _outcome(check: Check, reading: Reading, where: dict[str, Any]) -> Outcome:
    from freecost.probes.statuspages.common import Level, describe, plain

    subject = reading.component or check.component or ""
    line = describe(subject, reading.state, reading.incidents, reading.maintenances)
    summary = plain(f"{_label(check, reading)}: {line}", 300) or line
    details: dict[str, Any] = {
        **where,
        "page_status": reading.page_status,
        "component": reading.component,
        "component_status": reading.state if reading.component else None,
        "incidents": [event.to_json() for event in reading.incidents[:LISTED_INCIDENTS]],
        "incidents_total": len(reading.incidents),
        "maintenances": [event.to_json() for event in reading.maintenances[:LISTED_INCIDENTS]],
        **reading.extra,
    }
    status = {Level.OK: Status.OK, Level.WARN: Status.WARN, Level.FAIL: Status.FAIL}[reading.level]
    layer = None if status is Status.OK else Layer.VENDOR
    return Outcome(status, summary, layer, details)


def _label(check: Check, reading: Reading | None) -> str:
    """Whose status page this is: its own name, the provider's, else its host."""
    if reading is not None and reading.page_name:
        return f"{reading.page_name} status"
    label = PROVIDERS[check.provider].label
    return label or urlsplit(check.page_url()).hostname or check.provider
