"""What a ``tcp`` check accepts: a host and a port. Also the host and port types that every
check connecting to a server shares.

The probe is in :mod:`freecost.probes.tcp`.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from freecost.probes.registry import CheckBase

_LABEL = r"(?!-)[a-z0-9_-]{1,63}(?<!-)"
_HOST_NAME = re.compile(rf"{_LABEL}(\.{_LABEL})*")


def _host(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("host_type", "expected a host name like mail.example.com")
    text = value.strip().lower().rstrip(".")
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    try:
        ascii_name = text.encode("idna").decode("ascii")
    except UnicodeError:
        ascii_name = ""
    if len(ascii_name) <= 253 and _HOST_NAME.fullmatch(ascii_name):
        return ascii_name
    raise PydanticCustomError(
        "host_format",
        "'{value}' is not a host name or IP address "
        "(write it like mail.example.com, without https:// or a port)",
        {"value": value[:100]},
    )


Host = Annotated[
    str,
    BeforeValidator(_host),
    WithJsonSchema({"type": "string", "examples": ["mail.example.com", "192.0.2.10"]}),
]
"""A host name (lower-cased, IDNA-encoded) or an IP address, without scheme or port."""

Port = Annotated[int, Field(ge=1, le=65535)]


class Check(CheckBase):
    """A port accepts TCP connections."""

    type_name: ClassVar[str] = "tcp"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver"})
    type: Literal["tcp"]
    host: Host = Field(description="host name or IP address to connect to")
    port: Port = Field(description="TCP port")

    def target(self) -> str | None:
        return self.host
