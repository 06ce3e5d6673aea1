"""What a ``mail-auth`` check accepts: a mail domain and the DKIM selectors it signs with.

The probe is in :mod:`freecost.probes.mailauth`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.checktypes.dns import DnsName
from freecost.probes.registry import CheckBase

_SELECTOR = re.compile(r"[A-Za-z0-9_-]{1,63}(\.[A-Za-z0-9_-]{1,63})*")


def _selectors(value: Any) -> Any:
    # `dkim_selectors: google` means a list of one, not a list of characters.
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return value
    for item in value:
        if not isinstance(item, str) or not _SELECTOR.fullmatch(item.strip()):
            raise PydanticCustomError(
                "dkim_selector",
                "'{value}' is not a DKIM selector: write the part before ._domainkey, "
                "like google or s1",
                {"value": str(item)[:64]},
            )
    return list(dict.fromkeys(item.strip().lower() for item in value))


class Check(CheckBase):
    """A mail domain's MX, SPF, DMARC, DKIM, MTA-STS and TLS-RPT records."""

    type_name: ClassVar[str] = "mail-auth"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver"})

    type: Literal["mail-auth"]
    domain: DnsName = Field(description="the mail domain, like example.com")
    dkim_selectors: Annotated[list[str], BeforeValidator(_selectors)] = Field(
        default_factory=list,
        description="DKIM selectors the domain signs with, like google (for google._domainkey)",
    )

    def target(self) -> str | None:
        return self.domain
