"""What an ``smtp`` check accepts: one mail server or a mail domain, the port, how TLS is
reached and the certificate's expiry thresholds.

The probe is in :mod:`freecost.probes.smtp`.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import AfterValidator, BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from freecost.checktypes.tcp import Host, Port
from freecost.checktypes.thresholds import Expiry
from freecost.probes.registry import CheckBase

SMTP_PORT = 25
SUBMISSIONS_PORT = 465

Mode = Literal["starttls", "implicit", "none"]


def _strict_bool(value: Any) -> Any:
    if value is None or isinstance(value, bool):
        return value
    raise PydanticCustomError(
        "starttls_bool",
        "starttls takes true or false here ('{value}' is not one); "
        "for implicit TLS write tls: implicit",
        {"value": str(value)[:40]},
    )


def _mail_domain(value: str) -> str:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return value
    raise PydanticCustomError(
        "smtp_domain",
        "domain takes a mail domain like example.com, not an address ('{value}'); "
        "for one server write host:",
        {"value": value},
    )


MailDomain = Annotated[Host, AfterValidator(_mail_domain)]


class Check(CheckBase):
    """A mail server (or each MX host of a domain) greets, offers STARTTLS and has a valid
    certificate."""

    type_name: ClassVar[str] = "smtp"
    clients: ClassVar[frozenset[str]] = frozenset({"resolver", "ssl"})
    type: Literal["smtp"]
    host: Host | None = Field(default=None, description="the mail server to check")
    domain: MailDomain | None = Field(
        default=None, description="a mail domain: each of its MX hosts is checked"
    )
    port: Port | None = Field(
        default=None, description="TCP port (default 25; 465 with tls: implicit)"
    )
    starttls: Annotated[bool | None, BeforeValidator(_strict_bool)] = Field(
        default=None,
        description="STARTTLS must be offered and succeed (default: yes, unless TLS is implicit)",
    )
    tls: Mode | None = Field(
        default=None,
        description="starttls, implicit (TLS from the first byte, port 465) or none",
    )
    expiry: Expiry = Field(default_factory=Expiry, description="certificate expiry thresholds")

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if (self.host is None) == (self.domain is None):
            raise PydanticCustomError(
                "smtp_target",
                "an smtp check needs either host (one mail server) or domain (its MX hosts)",
            )
        if self.starttls is True and self.tls in ("implicit", "none"):
            raise PydanticCustomError(
                "smtp_tls_conflict",
                "starttls: true contradicts tls: {tls}; write one of them",
                {"tls": self.tls},
            )
        if self.starttls is False and self.tls == "starttls":
            raise PydanticCustomError(
                "smtp_tls_conflict", "starttls: false contradicts tls: starttls; write one"
            )
        return self

    @property
    def mode(self) -> Mode:
        """How TLS is reached: as written, else implied by ``starttls`` or port 465."""
        if self.tls is not None:
            return self.tls
        if self.starttls is not None:
            return "starttls" if self.starttls else "none"
        return "implicit" if self.port == SUBMISSIONS_PORT else "starttls"

    @property
    def effective_port(self) -> int:
        if self.port is not None:
            return self.port
        return SUBMISSIONS_PORT if self.mode == "implicit" else SMTP_PORT

    def target(self) -> str | None:
        return self.host or self.domain
