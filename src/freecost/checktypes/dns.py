"""What a ``dns`` check accepts: a name, a record type, what the records must hold and how
quickly they must come.

The probe, and how records are compared, is in :mod:`freecost.probes.dns`. A name is checked
with dnspython, which is imported only when a name is validated.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal, get_args

from pydantic import BeforeValidator, Field, field_validator
from pydantic_core import PydanticCustomError

from freecost.checktypes.thresholds import Latency
from freecost.model import Model, Text
from freecost.probes.registry import CheckBase

RecordType = Literal["A", "AAAA", "MX", "TXT", "CNAME", "NS", "CAA", "SOA"]
RECORD_TYPES: tuple[str, ...] = get_args(RecordType)


def _dns_name(value: Any) -> str:
    import dns.exception
    import dns.name

    if not isinstance(value, str):
        raise PydanticCustomError("dns_name_type", "expected a DNS name like example.com")
    text = value.strip().lower().removesuffix(".")
    reason = ""
    if not text:
        reason = "it is empty"
    elif any(c.isspace() or (c.isascii() and not (c.isalnum() or c in "-_.")) for c in text):
        reason = "write the bare name, like example.com"
    else:
        try:
            dns.name.from_text(text)
        except dns.name.EmptyLabel:
            reason = "it has an empty label (two dots in a row?)"
        except dns.name.LabelTooLong:
            reason = "a label is longer than 63 characters"
        except dns.name.NameTooLong:
            reason = "it is longer than 255 bytes"
        except (dns.exception.DNSException, UnicodeError):
            reason = "it is not a valid internationalised name"
    if reason:
        raise PydanticCustomError(
            "dns_name",
            "'{value}' is not a DNS name: {reason}",
            {"value": value[:100], "reason": reason},
        )
    return text


def _record_type(value: Any) -> Any:
    text = value.strip().upper() if isinstance(value, str) else value
    if text not in RECORD_TYPES:
        raise PydanticCustomError(
            "dns_record_type",
            "'{value}' is not a record type this check reads; use one of {known}",
            {"value": str(value)[:40], "known": ", ".join(RECORD_TYPES)},
        )
    return text


def _one_or_many(value: Any) -> Any:
    # `equals: mx1.example.com` means a list of one, not a list of characters.
    return [value] if isinstance(value, str) else value


DnsName = Annotated[str, BeforeValidator(_dns_name)]


class Expect(Model):
    """What the records must hold; every condition given must be met."""

    contains: Text | None = Field(default=None, description="some record contains this text")
    equals: Annotated[list[Text], BeforeValidator(_one_or_many)] | None = Field(
        default=None, description="the records are exactly these, in any order"
    )
    regex: str | None = Field(default=None, description="some record matches this (re.search)")
    count: int | None = Field(default=None, description="exactly this many records")

    @field_validator("equals")
    @classmethod
    def _equals_not_empty(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and not value:
            raise PydanticCustomError(
                "dns_equals_empty",
                "equals needs at least one record (a name without records fails anyway)",
            )
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise PydanticCustomError(
                    "dns_regex",
                    "'{value}' is not a regular expression: {reason}",
                    {"value": value[:100], "reason": str(exc)},
                ) from None
        return value

    @field_validator("count")
    @classmethod
    def _positive(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise PydanticCustomError(
                "dns_count",
                "count must be at least 1 (a name without records fails anyway)",
            )
        return value


class Check(CheckBase):
    """A name's records of one type, and what they must hold."""

    type_name: ClassVar[str] = "dns"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver"})

    type: Literal["dns"]
    name: DnsName = Field(description="the name to look up, like example.com")
    record: Annotated[RecordType, BeforeValidator(_record_type)] = Field(
        default="A", description="the record type: " + ", ".join(RECORD_TYPES)
    )
    expect: Expect = Field(default_factory=Expect, description="what the records must hold")
    latency: Latency | None = Field(default=None, description="limits on the answer's delay")

    def target(self) -> str | None:
        return self.name
