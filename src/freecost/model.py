"""Field types shared by the inventory and the check packs, each with a message a person reads.

Validators raise ``PydanticCustomError`` with the final wording, so the loader can print the
message as it is. None of them echoes the value of a field that may hold a secret.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, WithJsonSchema
from pydantic_core import PydanticCustomError

ID_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
_ID = re.compile(ID_PATTERN)


class Model(BaseModel):
    """Base of every inventory and pack model: immutable, and unknown keys are errors."""

    # Dumps use the names people write (`from:`), so a dumped model validates again.
    model_config = ConfigDict(
        extra="forbid", frozen=True, str_strip_whitespace=True, serialize_by_alias=True
    )


def _text(value: Any) -> Any:
    # YAML turns `name: 2024` into a number; for free text, take what the person wrote.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _identifier(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("id_type", "expected an id like phone-leads")
    if not _ID.fullmatch(value):
        raise PydanticCustomError(
            "id_format",
            "'{value}' is not a valid id: use lower-case letters, digits and hyphens, "
            "starting with a letter or digit (like phone-leads)",
            {"value": value[:64]},
        )
    return value


Identifier = Annotated[
    str,
    BeforeValidator(_identifier),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN}),
]
"""An id that names a function, dependency, check, plan or service."""

Text = Annotated[str, BeforeValidator(_text)]
"""Free text; numbers written where text was meant are kept as written."""


# Addresses made only of these parts are ones email_validator accepts, changing nothing but
# the domain's case (tests/test_email_addresses.py holds it to that). They skip importing it,
# which compiles large Unicode patterns and costs about 40 ms on every command that loads an
# inventory; anything else (international, quoted, unusual) goes to email_validator itself.
_PLAIN_LOCAL = re.compile(r"[A-Za-z0-9_+-]{1,64}(?:\.[A-Za-z0-9_+-]{1,63})*")
_PLAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
_SPECIAL_USE = frozenset({"arpa", "invalid", "local", "localhost", "onion", "test"})


def plain_address(value: str) -> str | None:
    """``value`` normalised the way email_validator would, if it is a plain ASCII address;
    else None (the caller then asks email_validator)."""
    local, at, domain = value.rpartition("@")
    if not at or len(value) > 254 or len(local) > 64 or not _PLAIN_LOCAL.fullmatch(local):
        return None
    domain = domain.lower()
    labels = domain.split(".")
    if len(labels) < 2 or len(domain) > 253 or labels[-1] in _SPECIAL_USE:
        return None
    for label in labels:
        if not _PLAIN_LABEL.fullmatch(label) or label[2:4] == "--":
            return None
    if not labels[-1][-1].isalpha():
        return None
    return f"{local}@{domain}"


def _email(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("email_type", "expected an e-mail address")
    plain = plain_address(value)
    if plain is not None:
        return plain
    from email_validator import EmailNotValidError, validate_email

    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise PydanticCustomError(
            "email_format",
            "'{value}' is not an e-mail address: {reason}",
            {"value": value[:254], "reason": str(exc).rstrip(".")},
        ) from None


EmailAddress = Annotated[
    str,
    BeforeValidator(_email),
    WithJsonSchema({"type": "string", "format": "email"}),
]


def normalise_phone(value: Any) -> str:
    """A phone number in E.164 (``+15128279000``); spaces, dots, dashes and brackets allowed."""
    import phonenumbers

    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str):
        raise PydanticCustomError("phone_type", "expected a phone number like +15128279000")
    hint = "write it in international form (E.164), like +15128279000"
    if not text.strip().startswith("+"):
        raise PydanticCustomError(
            "phone_format", "'{value}' has no country code: {hint}", {"value": text, "hint": hint}
        )
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        raise PydanticCustomError(
            "phone_format", "'{value}' is not a phone number: {hint}", {"value": text, "hint": hint}
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


PhoneNumber = Annotated[
    str,
    BeforeValidator(normalise_phone),
    WithJsonSchema({"type": "string", "pattern": r"^\+[1-9][0-9]{6,14}$"}),
]


def _http_url(value: Any) -> str:
    if not isinstance(value, str):
        raise PydanticCustomError("url_type", "expected a URL like https://example.com/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or " " in value:
        raise PydanticCustomError(
            "url_format",
            "'{value}' is not an http(s) URL (like https://example.com/)",
            {"value": value[:200]},
        )
    try:
        parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
    except ValueError:
        raise PydanticCustomError(
            "url_port", "'{value}' has an invalid port", {"value": value[:200]}
        ) from None
    return value


HttpUrl = Annotated[
    str,
    BeforeValidator(_http_url),
    WithJsonSchema({"type": "string", "format": "uri", "pattern": "^https?://"}),
]
"""An http or https URL, kept exactly as written (no trailing slash added)."""


def _host_port(value: Any) -> str:
    if isinstance(value, str):
        host, sep, port = value.rpartition(":")
        host = host.strip("[]")
        if sep and host and re.fullmatch("[0-9]{1,5}", port) and 0 < int(port) < 65536:
            return value
    raise PydanticCustomError(
        "host_port", "'{value}' is not host:port (like 1.1.1.1:53)", {"value": str(value)[:100]}
    )


HostPort = Annotated[str, AfterValidator(_host_port)]
