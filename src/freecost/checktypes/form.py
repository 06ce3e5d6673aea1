"""What the ``form`` check accepts: the page, the fields to fill in, how to pick the form and
judge the answer, and optionally the inbox its e-mail must reach. The probe is
:mod:`freecost.probes.form`.

The check's ``timeout`` defaults to ``expect_email``'s ``within`` plus a minute, since the
runner's usual deadline is seconds; field values are sent exactly as written, so a value that
looks like a secret reference is refused.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from freecost.checktypes.http import StatusSpec
from freecost.checktypes.mailservers import ImapServer
from freecost.checktypes.notification import Sender
from freecost.durations import Duration, format_duration, parse_duration
from freecost.model import HttpUrl, Model, Text
from freecost.probes.registry import CheckBase

TOKEN_PLACEHOLDER = "{token}"
MARGIN = timedelta(seconds=60)
"""Room on top of the e-mail wait for loading the page, submitting and the last search."""
WITHIN = timedelta(minutes=10)
WARN_AFTER = timedelta(minutes=2)
MAX_FORMS = 100
"""The page scan keeps at most this many forms, so ``form_index`` stops one below it."""


class Cf7(Model):
    """A WordPress Contact Form 7 form, submitted to its REST endpoint as the site's script does."""

    id: int = Field(ge=1, description="the form's id (the number in its [contact-form-7] code)")


class ExpectEmail(Model):
    """The inbox the form's e-mail must reach, and how soon."""

    imap: ImapServer = Field(description="the inbox the form's e-mail arrives in")
    within: Duration = Field(default=WITHIN, description="how long the e-mail may take at most")
    warn_after: Duration = Field(
        default=WARN_AFTER, description="an e-mail slower than this arrives with a warning"
    )
    sender: Sender | None = Field(
        default=None, alias="from", description="the e-mail's sender, or part of it"
    )

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.warn_after >= self.within:
            raise PydanticCustomError(
                "form_email_order",
                "warn_after ({warn}) must be shorter than within ({within})",
                {"warn": format_duration(self.warn_after), "within": format_duration(self.within)},
            )
        return self


def _fields(value: Any) -> Any:
    if not isinstance(value, dict) or not value:
        raise PydanticCustomError(
            "form_fields", "fields needs at least one field, like {name: Test, message: Hello}"
        )
    fields: dict[str, str] = {}
    for name, raw in value.items():
        if not isinstance(name, str) or not name.strip():
            raise PydanticCustomError("form_field_name", "a field name must be non-empty text")
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            raw = str(raw)
        if not isinstance(raw, str):
            raise PydanticCustomError(
                "form_field_value", "field '{name}' needs a text value", {"name": name[:60]}
            )
        if raw.strip().startswith("${") and raw.strip().endswith("}"):
            raise PydanticCustomError(
                "form_field_secret",
                "field '{name}' looks like a secret reference: form fields are sent exactly "
                "as written, so put only test data in them",
                {"name": name[:60]},
            )
        fields[name.strip()] = raw
    return fields


def _statuses(value: Any) -> Any:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PydanticCustomError(
            "form_status_empty", "expect_status needs at least one status, like [200, 303]"
        )
    return items


def _written_within(expect: Any) -> timedelta | None:
    """``within`` of an ``expect_email`` block as written, or None when it is unreadable."""
    if not isinstance(expect, dict):
        return None
    raw = expect.get("within", WITHIN)
    if isinstance(raw, timedelta):
        return raw
    try:
        return parse_duration(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


class Check(CheckBase):
    """Submit a contact form with a test message and judge the site's answer."""

    type_name: ClassVar[str] = "form"
    clients: ClassVar[frozenset[str]] = frozenset({"ssl"})

    type: Literal["form"]
    url: HttpUrl = Field(description="the page that shows the form")
    fields: Annotated[dict[str, str], BeforeValidator(_fields)] = Field(
        description="the fields to fill in, by name; {token} in a value is replaced by the "
        "run's token (else it is added to the field named message); sent as written, never "
        "secrets"
    )
    form_id: Text | None = Field(
        default=None, min_length=1, description="the form's id attribute, to pick the form"
    )
    form_index: int | None = Field(
        default=None, ge=0, le=MAX_FORMS - 1, description="the form's position (0 = first)"
    )
    action: HttpUrl | None = Field(
        default=None, description="where to send the form instead of its own action"
    )
    encoding: Literal["urlencoded", "multipart"] | None = Field(
        default=None,
        description="how the fields are sent; default: as the form declares (urlencoded "
        "unless it says multipart), multipart for cf7",
    )
    expect_status: Annotated[list[StatusSpec], BeforeValidator(_statuses)] = Field(
        default_factory=lambda: list[int | str]([200, 201, 303]),
        description="acceptable statuses of the submission; a redirect is not followed first",
    )
    success_text: Text | None = Field(
        default=None, min_length=1, description="text the answer must contain"
    )
    failure_text: Text | None = Field(
        default=None, min_length=1, description="text meaning the submission failed"
    )
    cf7: Cf7 | None = Field(
        default=None, description="a Contact Form 7 form: submitted to its REST endpoint"
    )
    expect_email: ExpectEmail | None = Field(
        default=None,
        description="wait for the form's e-mail (it carries the token) in this inbox; the "
        "check's timeout defaults to within + 1m",
    )

    @model_validator(mode="before")
    @classmethod
    def _derived_timeout(cls, data: Any) -> Any:
        # The runner's usual deadline (seconds) cannot hold a wait of minutes for the e-mail.
        if isinstance(data, dict) and data.get("timeout") is None and data.get("expect_email"):
            within = _written_within(data["expect_email"])
            if within is not None:
                return {**data, "timeout": within + MARGIN}
        return data

    @field_validator("url", "action")
    @classmethod
    def _no_credentials(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.username is not None or parts.password is not None:
            raise PydanticCustomError(
                "url_credentials", "the URL holds a user name or password: a form needs neither"
            )
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        has_token = any(TOKEN_PLACEHOLDER in value for value in self.fields.values())
        if not has_token and "message" not in self.fields:
            raise PydanticCustomError(
                "form_token",
                "put {token} in one of the fields so the message can be found",
            )
        if self.form_id is not None and self.form_index is not None:
            raise PydanticCustomError("form_pick_twice", "give form_id or form_index, not both")
        expect = self.expect_email
        if expect is not None and self.timeout is not None and self.timeout <= expect.within:
            raise PydanticCustomError(
                "form_timeout",
                "timeout {timeout} is too short: the wait for the e-mail alone can take "
                "{within}; leave timeout out to get {needed}, or make it longer",
                {
                    "timeout": format_duration(self.timeout),
                    "within": format_duration(expect.within),
                    "needed": format_duration(expect.within + MARGIN),
                },
            )
        if self.cf7 is not None and self.encoding == "urlencoded":
            raise PydanticCustomError(
                "form_cf7_encoding",
                "Contact Form 7's endpoint takes multipart only: remove encoding or set it "
                "to multipart",
            )
        return self

    def filled(self, token: str) -> dict[str, str]:
        """The fields with the token in place."""
        if any(TOKEN_PLACEHOLDER in value for value in self.fields.values()):
            return {
                name: value.replace(TOKEN_PLACEHOLDER, token) for name, value in self.fields.items()
            }
        message = self.fields["message"]
        return {**self.fields, "message": f"{message} {token}" if message else token}

    def target(self) -> str | None:
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        port = parts.port or (443 if parts.scheme == "https" else 80)
        return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
