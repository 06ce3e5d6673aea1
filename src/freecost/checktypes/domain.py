"""What a ``domain`` check accepts: the registered domain name and its expiry thresholds.

The probe is in :mod:`freecost.probes.domain`.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.checktypes.thresholds import Expiry
from freecost.durations import Duration
from freecost.probes.registry import CheckBase

TEXT_LIMIT = 200
_LABEL = re.compile(r"[a-z0-9-]{1,63}")
_EXAMPLE = "write it like example.com"


# The RDAP client cleans a registry's text with this too, so both read alike in a summary.
def plain(value: object, limit: int = TEXT_LIMIT) -> str:
    """Outside text made safe for a summary: no control characters, one line, bounded."""
    text = "".join(
        " " if unicodedata.category(char).startswith("C") else char for char in str(value)
    )
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def normalise_domain(value: Any) -> str:
    """A domain name in lower-case ASCII (IDNA 2008), without a trailing dot."""
    if not isinstance(value, str):
        raise PydanticCustomError("domain_type", "expected a domain name like example.com")
    name, reason = _ascii_name(value.strip())
    reason = reason or _shape_problem(name)
    if reason:
        raise PydanticCustomError(
            "domain_format",
            "'{value}' is not a domain name: {reason} ({example})",
            {"value": plain(value, 100), "reason": reason, "example": _EXAMPLE},
        )
    return name


def _ascii_name(text: str) -> tuple[str, str | None]:
    """The name lower-cased and IDNA-encoded, or a reason it cannot be."""
    if "://" in text or "/" in text:
        return text, "write the domain only, without https:// or a path"
    if "@" in text:
        return text, "write the domain only, without the part before the @"
    if any(char.isspace() for char in text):
        return text, "it contains a space"
    name = text.lower().removesuffix(".")
    if name.isascii():
        return name, None
    import idna

    try:
        return idna.encode(name, uts46=True).decode("ascii"), None
    except idna.IDNAError as exc:
        return name, f"it is not a valid international name ({plain(exc, 100)})"


def _shape_problem(name: str) -> str | None:
    labels = name.split(".")
    if "" in labels:
        return "it has an empty part (two dots in a row, or a dot at the start)"
    if len(labels) < 2:
        return "it needs a name and an ending, like example.com"
    if len(name) > 253:
        return "it is longer than 253 characters"
    for label in labels:
        if not _LABEL.fullmatch(label):
            return f"'{label[:63]}' may hold only letters, digits and hyphens, up to 63 of them"
        if label.startswith("-") or label.endswith("-"):
            return f"'{label}' starts or ends with a hyphen"
    if labels[-1].isdigit():
        return "it is an IP address, not a domain name"
    return None


DomainName = Annotated[str, BeforeValidator(normalise_domain)]


class RegistrationExpiry(Expiry):
    """How long before the registration ends the check warns, then fails."""

    warn: Duration = Field(default=timedelta(days=30), description="warn this long before expiry")
    fail: Duration = Field(default=timedelta(days=7), description="fail this long before expiry")


class Check(CheckBase):
    """A registered domain, looked up at its registry by RDAP."""

    type_name: ClassVar[str] = "domain"
    clients: ClassVar[frozenset[str]] = frozenset({"api"})

    type: Literal["domain"]
    name: DomainName = Field(
        description="the registered domain, like example.com (not a host such as www.example.com)"
    )
    expiry: RegistrationExpiry = Field(
        default=RegistrationExpiry(), description="thresholds before the expiry date"
    )
