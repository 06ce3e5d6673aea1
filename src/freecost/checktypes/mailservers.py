"""The mail servers a canary names: the ``imap:`` block (a mailbox to read) and the ``smtp:``
block (a server to send through).

Shared by the ``imap``, ``email-roundtrip`` and ``form`` checks and by the notification
wait of ``voice-call`` and ``sms``. Talking to the servers is
:mod:`freecost.probes.mailbox` (IMAP) and :mod:`freecost.probes.mailsend` (SMTP).
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal, Self

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from freecost.checktypes.tcp import Host, Port
from freecost.model import EmailAddress, Model, Text
from freecost.secrets import Secret

ImapTls = Literal["implicit", "starttls", "none"]
IMAP_PORTS: dict[str, int] = {"implicit": 993, "starttls": 143, "none": 143}

SmtpTls = Literal["starttls", "implicit", "none"]
SMTP_PORTS: dict[str, int] = {"starttls": 587, "implicit": 465, "none": 25}
"""Submission with STARTTLS (RFC 6409), submission over TLS (RFC 8314), and plain SMTP."""

_LOOPBACK_NAMES = frozenset({"localhost"})


# --- the `imap:` block ---------------------------------------------------------------------


def _tls_mode(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in IMAP_PORTS:
        return value.strip().lower()
    shown = str(value).lower() if isinstance(value, bool) else str(value)[:40]
    raise PydanticCustomError(
        "imap_tls",
        "'{value}' is not a TLS mode: use implicit (TLS from the first byte, port 993), "
        "starttls (port 143, then STARTTLS) or none (no encryption)",
        {"value": shown},
    )


def _username(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError(
            "imap_username", "expected the login name, or ${NAME} to read it from the environment"
        )
    if any(char in value for char in "\r\n\0"):
        raise PydanticCustomError("imap_username_text", "the login name holds a line break")
    return value


class ImapServer(Model):
    """Where a mailbox lives and how to log in: the ``imap:`` block of a check."""

    host: Host = Field(description="IMAP server host name, like imap.gmail.com")
    port: Port | None = Field(
        default=None, description="TCP port; 993 with implicit TLS, 143 otherwise"
    )
    tls: Annotated[ImapTls, BeforeValidator(_tls_mode)] = Field(
        default="implicit", description="implicit, starttls or none"
    )
    username: Annotated[str, BeforeValidator(_username)] = Field(
        description="login name, or ${NAME} to read it from the environment"
    )
    password: Secret = Field(description="${NAME} or file:PATH holding the password")

    @property
    def effective_port(self) -> int:
        return self.port if self.port is not None else IMAP_PORTS[self.tls]


# --- the `smtp:` block ---------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SmtpServer(Model):
    """The ``smtp:`` block of a canary: where and how to hand a message over."""

    host: Host = Field(description="the SMTP server to send through, like smtp.example.com")
    port: Port | None = Field(
        default=None, description="TCP port (default 587 for starttls, 465 implicit, 25 none)"
    )
    tls: SmtpTls = Field(
        default="starttls",
        description="starttls, implicit (TLS from the first byte) or none (a local relay only)",
    )
    username: Text | None = Field(
        default=None,
        description="login name, written out or as ${ENV} or file:PATH; none: no login",
    )
    password: Secret | None = Field(
        default=None, description="the login's password, as ${ENV} or file:PATH"
    )
    sender: EmailAddress = Field(alias="from", description="the address the message is from")

    @model_validator(mode="after")
    def _login_is_whole_and_safe(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise PydanticCustomError(
                "smtp_login",
                "a login needs both username and password (leave both out for a server "
                "that takes mail without one)",
            )
        if self.password is not None and self.tls == "none" and not _is_loopback(self.host):
            raise PydanticCustomError(
                "smtp_login_in_clear",
                "tls: none would send the password unencrypted to {host}: use starttls or "
                "implicit (tls: none is for a relay on this machine)",
                {"host": self.host},
            )
        return self

    @property
    def effective_port(self) -> int:
        """The port given, else the usual one for the TLS mode."""
        return self.port if self.port is not None else SMTP_PORTS[self.tls]

    @property
    def address(self) -> str:
        """``host:port``, as summaries name the server."""
        shown = f"[{self.host}]" if ":" in self.host else self.host
        return f"{shown}:{self.effective_port}"
