"""What a ``statuspage`` check accepts: the provider, the page, and the component to watch.

The probe is in :mod:`freecost.probes.statuspage`; the readers of each provider's page are in
:mod:`freecost.probes.statuspages`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, WithJsonSchema, model_validator
from pydantic_core import PydanticCustomError

from freecost.model import HttpUrl, Text
from freecost.probes.registry import CheckBase

_PAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


@dataclass(frozen=True)
class Provider:
    module: str
    default_url: str | None = None
    """Where the page is when the check gives no ``url``; None means ``url`` is required."""
    label: str | None = None
    """What to call the page when it does not name itself; None means its host's name."""


PROVIDERS: dict[str, Provider] = {
    "atlassian": Provider("atlassian"),
    "betterstack": Provider("betterstack"),
    "google-workspace": Provider(
        "google_workspace",
        "https://www.google.com/appsstatus/dashboard/",
        "Google Workspace status",
    ),
    "instatus": Provider("instatus"),
    "slack": Provider("slack", "https://slack-status.com", "Slack status"),
    "statusio": Provider("statusio", "https://api.status.io", "status.io page"),
}


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
