"""The ``form`` check: a contact form accepts a test submission that carries this run's token.

It walks the customer's path: GET the page with a fresh cookie jar, find the form, keep its
hidden inputs (CSRF tokens, nonces, Contact Form 7's ``_wpcf7*`` fields), fill in the check's
fields with the token in them and submit. The answer is judged by its status (a redirect after
the POST counts as the status; it is followed only to look for ``success_text``), the site's
own words (``success_text``, ``failure_text``) and, for Contact Form 7's REST endpoint, the JSON
``status`` it answers. CF7's ``mail_sent`` only means the site handed the message to its
mailer; proving it arrived is the inbox's job.

With ``expect_email``, that job is done here: the e-mail the site sends for the submission is
awaited in the inbox, then the junk folder (:mod:`freecost.probes.mailbox`), found by the
token in its body, and deleted. In the inbox in time: ok; in the junk folder or later than
``warn_after``: warn; nothing within ``within``: fail at the delivery layer. The inbox's
secrets are read before anything is submitted, so a run that cannot look is never sent. The
check's ``timeout`` defaults to ``within`` plus a minute, since the runner's usual deadline is
seconds.

A CAPTCHA (reCAPTCHA, hCaptcha, Turnstile) exists to stop exactly this kind of automated
submission, so a page that shows one is reported as ``error`` and nothing is sent: the check
cannot decide, and the site is not at fault.

Field values are sent as written in the inventory and are never secrets: a contact form only
ever receives test data. Hidden values from the page are sent back but never reported.

This module holds the check's parameters and the path it walks; the parts it calls on live
beside it: :mod:`~freecost.probes.formpage` (the page and the submission),
:mod:`~freecost.probes.cf7` (Contact Form 7), :mod:`~freecost.probes.formhttp` (the exchange),
:mod:`~freecost.probes.formreply` (the answer's words), :mod:`~freecost.probes.formmail` (the
e-mail) and :mod:`~freecost.probes.formwords` (what is shown of names and URLs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urljoin, urlsplit

from pydantic import BeforeValidator, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from freecost.durations import format_duration, parse_duration
from freecost.errors import SecretError
from freecost.model import HttpUrl, Text
from freecost.probes.canary import text_token
from freecost.probes.cf7 import Cf7, cf7_endpoint, judge_cf7, read_cf7
from freecost.probes.formhttp import (
    MAX_BODY,
    PARSE_IN_THREAD,
    Answer,
    Failed,
    exchange,
    open_client,
)
from freecost.probes.formmail import WITHIN, ExpectEmail, await_email
from freecost.probes.formpage import MAX_FORMS, Form, Scan, build_submission, choose_form, scan_page
from freecost.probes.formreply import judge_text
from freecost.probes.formwords import shown_url
from freecost.probes.http import Hider, StatusSpec, either, status_matches, status_phrase
from freecost.probes.httpbody import excerpt, plain
from freecost.probes.mailbox import login_name
from freecost.probes.registry import CheckBase
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    import httpx

    from freecost.probes.context import ProbeContext

# Besides the check itself: the page scan's and Contact Form 7's entry points, kept reachable
# here for code that imports only the check's module.
__all__ = [
    "Check",
    "Form",
    "Scan",
    "build_submission",
    "cf7_endpoint",
    "choose_form",
    "probe",
    "scan_page",
    "submit",
]

TOKEN_PLACEHOLDER = "{token}"
REDIRECTS = frozenset({301, 302, 303, 307, 308})
MARGIN = timedelta(seconds=60)
"""Room on top of the e-mail wait for loading the page, submitting and the last search."""
POLL_EVERY = 15.0
"""Seconds between inbox searches; tests pass a shorter pause."""


# --- parameters ------------------------------------------------------------------------------


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
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
        except ValueError:
            raise PydanticCustomError(
                "url_port", "'{value}' has an invalid port", {"value": value[:200]}
            ) from None
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


# --- the probe -------------------------------------------------------------------------------


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Load the page, submit the form with a fresh token, judge the answer, and wait for the
    e-mail when ``expect_email`` asks for it."""
    return await submit(check, ctx)


@dataclass
class Attempt:
    """One run's token, its evidence so far, and when the form was sent."""

    token: str
    details: dict[str, Any]
    submitted_at: datetime | None = None


async def submit(check: Check, ctx: ProbeContext, *, poll_every: float = POLL_EVERY) -> Outcome:
    """The probe, with the pause between inbox searches as a parameter."""
    token = text_token()
    attempt = Attempt(token, {"token": token, "page_url": shown_url(check.url)})
    expect = check.expect_email
    if expect is not None:
        # A submission nobody can look for is not sent: read the inbox's secrets first.
        try:
            login_name(ctx, expect.imap)
            ctx.secret(expect.imap.password)
        except SecretError as exc:
            summary = f"the inbox for the form's e-mail cannot be checked: {exc}"
            return Outcome.error(summary, Layer.LOCAL, **attempt.details)
    try:
        trust = ctx.ssl_context()
    except OSError as exc:
        bundle = ctx.settings.tls.ca_bundle
        summary = plain(
            f"cannot load the trusted certificates from {bundle or 'the system'}: {exc}"
        )
        return Outcome.error(summary, Layer.LOCAL, **attempt.details)
    try:
        async with open_client(check, ctx, trust) as client:
            outcome = await _run(check, client, attempt, ctx)
    except Failed as failed:
        found = failed.outcome
        return Outcome(
            found.status, found.summary, found.layer, {**attempt.details, **found.details}
        )
    if expect is None or outcome.status is not Status.OK or attempt.submitted_at is None:
        return outcome
    return await await_email(
        ctx, expect, token, attempt.submitted_at, dict(outcome.details), poll_every
    )


async def _run(
    check: Check, client: httpx.AsyncClient, attempt: Attempt, ctx: ProbeContext
) -> Outcome:
    token, details = attempt.token, attempt.details
    page = await exchange(client, "the form's page", "GET", check.url, follow=True)
    details["page_status"] = page.status
    details["page_url"] = shown_url(page.url)
    if page.body.truncated:
        details["page_truncated"] = True
    if not 200 <= page.status < 300:
        summary = f"the form's page answered HTTP {page.status} {status_phrase(page.status)}"
        return Outcome.fail(summary, Layer.HTTP, **details)
    text = page.text()
    scan = (
        await asyncio.to_thread(scan_page, text) if len(text) > PARSE_IN_THREAD else scan_page(text)
    )
    if scan.captcha is not None:
        summary = (
            f"the form is protected by a CAPTCHA ({scan.captcha}): freecost cannot submit it; "
            "test it by hand or ask the site builder for a test key"
        )
        return Outcome.error(summary, Layer.CONFIG, captcha=scan.captcha, **details)
    chosen = choose_form(check, scan)
    if isinstance(chosen, str):
        if page.body.truncated:
            chosen += f" (only its first {MAX_BODY // (1024 * 1024)} MiB was read)"
        details["forms"] = [form.describe() for form in scan.forms[:10]]
        return Outcome.fail(chosen, Layer.CONTENT, **details)
    submission = build_submission(check, chosen, scan, page.url, token)
    details["form"] = {
        **chosen.describe(),
        "action": shown_url(submission.url),
        "method": submission.method,
        "encoding": submission.encoding,
    }
    # Hidden values and cookies are the session's secrets of a sort: keep them out of anything
    # shown, should the site echo them back.
    hide = Hider(tuple(control.value for control in chosen.controls if control.kind == "hidden"))
    attempt.submitted_at = ctx.now()
    answer = await exchange(
        client,
        "the form's submission",
        submission.method,
        submission.target(),
        follow=False,
        **submission.request(page.url),
    )
    return await _judge(check, client, answer, hide, details)


async def _judge(
    check: Check,
    client: httpx.AsyncClient,
    answer: Answer,
    hide: Hider,
    details: dict[str, Any],
) -> Outcome:
    details["post_status"] = answer.status
    if answer.location is not None:
        details["location"] = shown_url(urljoin(answer.url, answer.location))
    if not any(status_matches(answer.status, spec) for spec in check.expect_status):
        summary = (
            f"the form answered HTTP {answer.status} {status_phrase(answer.status)}, expected "
            + either(check.expect_status)
        )
        if answer.status in REDIRECTS:
            summary += (
                f"; if the site redirects after a submission, add {answer.status} to expect_status"
            )
        else:
            details["excerpt"] = excerpt(hide(answer.text()), answer.content_type)
        return Outcome.fail(summary, Layer.HTTP, **details)
    reading = read_cf7(answer, hide, expected=check.cf7 is not None)
    if reading is not None:
        verdict = judge_cf7(reading, details)
        if verdict is not None:
            return verdict
    shown = answer
    if answer.location is not None and (check.success_text or check.failure_text):
        # The site's words are on the page it redirects to (post, redirect, get).
        shown = await exchange(
            client,
            "the page after the submission",
            "GET",
            urljoin(answer.url, answer.location),
            follow=True,
        )
        details["after_status"] = shown.status
    problem = await judge_text(check, shown, hide, details)
    if problem is not None:
        return problem
    if reading is not None:
        return Outcome.ok(
            f"the form accepted the test submission (Contact Form 7: {reading.status})", **details
        )
    return Outcome.ok(f"the form accepted the test submission (HTTP {answer.status})", **details)
