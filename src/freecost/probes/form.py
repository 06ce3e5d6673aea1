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

This module holds the path the check walks; its parameters are :mod:`freecost.checktypes.form`.
The parts it calls on live beside it: :mod:`~freecost.probes.formpage` (the page and the
submission), :mod:`~freecost.probes.cf7` (Contact Form 7), :mod:`~freecost.probes.formhttp`
(the exchange), :mod:`~freecost.probes.formreply` (the answer's words),
:mod:`~freecost.probes.formmail` (the e-mail) and :mod:`~freecost.probes.formwords` (what is
shown of names and URLs).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin

from freecost.checktypes.form import Check
from freecost.errors import SecretError
from freecost.probes.canary import text_token
from freecost.probes.cf7 import cf7_endpoint, judge_cf7, read_cf7
from freecost.probes.formhttp import (
    MAX_BODY,
    PARSE_IN_THREAD,
    Answer,
    Failed,
    exchange,
    open_client,
)
from freecost.probes.formmail import await_email
from freecost.probes.formpage import Form, Scan, build_submission, choose_form, scan_page
from freecost.probes.formreply import judge_text
from freecost.probes.formwords import shown_url
from freecost.probes.http import Hider, either, status_matches, status_phrase
from freecost.probes.httpbody import excerpt
from freecost.probes.mailbox import login_name
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

REDIRECTS = frozenset({301, 302, 303, 307, 308})
POLL_EVERY = 15.0
"""Seconds between inbox searches; tests pass a shorter pause."""


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
        return ctx.unreadable_trust(exc, **attempt.details)
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
