"""What a ``tls`` check accepts: the host and port, STARTTLS, expiry thresholds and the oldest
acceptable protocol version.

The probe is in :mod:`freecost.probes.tls`.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.checktypes.tcp import Host, Port
from freecost.checktypes.thresholds import Expiry
from freecost.probes.registry import CheckBase


def _starttls(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str) and value.strip().lower() in ("smtp", "imap"):
        return value.strip().lower()
    shown = str(value).lower() if isinstance(value, bool) else str(value)[:40]
    raise PydanticCustomError(
        "starttls",
        "'{value}' is not a STARTTLS protocol: use smtp or imap, "
        "or leave starttls out when the port speaks TLS from the start",
        {"value": shown},
    )


def _tls_version(value: Any) -> Any:
    spelled = str(value).strip()
    number = spelled.lower().removeprefix("tls").removeprefix("v")
    if number in ("1.2", "1.3"):
        return f"TLSv{number}"
    if number in ("1", "1.0", "1.1"):
        raise PydanticCustomError(
            "tls_version_old",
            "'{value}' is older than any version this tool connects with (TLSv1.2 and later): "
            "use TLSv1.2 or TLSv1.3",
            {"value": spelled[:40]},
        )
    raise PydanticCustomError(
        "tls_version",
        "'{value}' is not a TLS version: use TLSv1.2 or TLSv1.3",
        {"value": spelled[:40]},
    )


StartTls = Annotated[Literal["smtp", "imap"] | None, BeforeValidator(_starttls)]
TlsVersion = Annotated[Literal["TLSv1.2", "TLSv1.3"], BeforeValidator(_tls_version)]


class Check(CheckBase):
    """A certificate is valid for the host and far from expiry; the protocol is recent."""

    type_name: ClassVar[str] = "tls"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver", "ssl"})
    type: Literal["tls"]
    host: Host = Field(description="host name the certificate must be valid for")
    port: Port = Field(default=443, description="TCP port")
    starttls: StartTls = Field(
        default=None, description="smtp or imap to upgrade a plain connection; empty for TLS"
    )
    expiry: Expiry = Field(default_factory=Expiry, description="expiry thresholds")
    min_version: TlsVersion = Field(
        default="TLSv1.2", description="an older negotiated protocol is a warning"
    )

    def target(self) -> str | None:
        return self.host
