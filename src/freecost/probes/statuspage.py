"""The ``statuspage`` check: what the vendor admits on its own status page.

Supported pages: Atlassian Statuspage, Google Workspace, Slack, status.io, Instatus and
Better Stack (readers in :mod:`freecost.probes.statuspages`). Every page is normalised to
ok (operational, nothing active), warn (degraded, minor, maintenance), fail (partial or
major outage, or an active incident on the component) and error (the page cannot be read or
says something the reader does not know). A status page that is down is ``error``, not
``fail``: the page is not the service, and its silence proves nothing either way.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from freecost.model import HttpUrl, Text
from freecost.probes.registry import CheckBase
from freecost.probes.statuspages import PROVIDERS
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext
    from freecost.probes.statuspages.common import Reading

LISTED_INCIDENTS = 10
_PAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _provider(value: Any) -> Any:
    from freecost.packs import did_you_mean

    if isinstance(value, str) and value in PROVIDERS:
        return value
    shown = str(value)[:40]
    raise PydanticCustomError(
        "statuspage_provider",
        "unknown status-page provider '{value}'{hint}; known providers: {known}",
        {"value": shown, "hint": did_you_mean(shown, PROVIDERS), "known": ", ".join(PROVIDERS)},
    )


def _page_id(value: Any) -> Any:
    if isinstance(value, str) and _PAGE_ID.fullmatch(value.strip()):
        return value.strip()
    raise PydanticCustomError(
        "statuspage_page_id",
        "'{value}' is not a status.io page id (letters and digits, like 55957a99e800baa4470002da)",
        {"value": str(value)[:64]},
    )


ProviderName = Annotated[
    str, BeforeValidator(_provider), WithJsonSchema({"type": "string", "enum": list(PROVIDERS)})
]
PageId = Annotated[
    str,
    BeforeValidator(_page_id),
    WithJsonSchema({"type": "string", "pattern": "^[A-Za-z0-9_-]{1,64}$"}),
]


class Check(CheckBase):
    """Reads a vendor's status page, for the whole page or one component."""

    type_name: ClassVar[str] = "statuspage"
    clients: ClassVar[frozenset[str]] = frozenset({"api"})

    type: Literal["statuspage"]
    provider: ProviderName = Field(description="which kind of status page: " + ", ".join(PROVIDERS))
    url: HttpUrl | None = Field(
        default=None,
        description="the status page's root (https://status.vendor.com); for statusio the API "
        "base (default https://api.status.io); Google Workspace and Slack have defaults",
    )
    component: Text | None = Field(
        default=None,
        min_length=1,
        description="the component (for google-workspace: the product) to watch; "
        "without it the whole page counts",
    )
    product_id: Text | None = Field(
        default=None, min_length=1, description="google-workspace only: the product's id"
    )
    page_id: PageId | None = Field(default=None, description="statusio only: the page's id")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.url is None and PROVIDERS[self.provider].default_url is None:
            raise PydanticCustomError(
                "statuspage_url",
                "provider {provider} needs url: the status page's address "
                "(like https://status.vendor.com)",
                {"provider": self.provider},
            )
        if self.provider == "statusio" and self.page_id is None:
            raise PydanticCustomError(
                "statuspage_page_id_missing",
                "provider statusio needs page_id: the id in the page's API address "
                "(https://api.status.io/1.0/status/<page_id>)",
            )
        if self.page_id is not None and self.provider != "statusio":
            raise PydanticCustomError(
                "statuspage_page_id_unused", "page_id is only used with provider statusio"
            )
        if self.product_id is not None and self.provider != "google-workspace":
            raise PydanticCustomError(
                "statuspage_product_unused",
                "product_id is only used with provider google-workspace",
            )
        if self.product_id is not None and self.component is not None:
            raise PydanticCustomError(
                "statuspage_product_twice",
                "give component (the product's title) or product_id, not both",
            )
        return self

    def page_url(self) -> str:
        """The page's root: ``url``, or the provider's default."""
        default = PROVIDERS[self.provider].default_url
        return self.url if self.url is not None else str(default)

    def target(self) -> str | None:
        return urlsplit(self.page_url()).hostname


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
