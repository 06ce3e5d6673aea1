"""The ``form`` check against a real local contact site: CSRF tokens tied to the session
cookie, redirects after the POST, Contact Form 7's REST answers, CAPTCHAs, hostile pages and
every parameter rule's message."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import ssl
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme
from pydantic import ValidationError

from freecost.probes import form
from freecost.probes.canary import TOKEN_PREFIX
from freecost.probes.registry import check_types
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context, run_probe
from tests.servers.contact_form import (
    CF7_ID,
    ContactSite,
    Submission,
    build_app,
    contact_site,
)
from tests.servers.hostile import closed_port
from tests.servers.http import serve

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

# The session's Dovecot comes from this plugin, which pytest imports (and rewrites) itself.
pytest_plugins = ("tests.servers.dovecot",)

FIELDS = {"name": "Freecost Test", "email": "test@example.com", "message": "Hello {token}"}
CF7_FIELDS = {
    "your-name": "Freecost Test",
    "your-email": "test@example.com",
    "your-message": "Hello {token}",
}


@pytest.fixture(scope="module")
def server() -> Iterator[ContactSite]:
    with contact_site() as site:
        yield site


@pytest.fixture
def site(server: ContactSite) -> ContactSite:
    server.reset()
    return server


def probe(site: ContactSite, path: str, tmp_path: Path, **spec: Any) -> Outcome:
    spec.setdefault("fields", FIELDS)
    return run_probe(form, {"type": "form", "url": site.base + path, **spec}, tmp_path)


def check(**spec: Any) -> form.Check:
    base = {"id": "t", "type": "form", "url": "https://shop.example/contact", "fields": FIELDS}
    return form.Check.model_validate({**base, **spec})


# --- the happy path --------------------------------------------------------------------------


def test_a_submission_with_token_and_cookie_is_accepted(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/contact", tmp_path, success_text="Thanks!")
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary == "the form accepted the test submission (HTTP 200)"
    token = outcome.details["token"]
    assert token.startswith(TOKEN_PREFIX)
    [received] = site.submissions
    assert received.session_ok  # the CSRF token came back with its session's cookie
    assert received.get("message") == f"Hello {token}"
    assert received.get("name") == "Freecost Test"
    assert received.content_type == "application/x-www-form-urlencoded"


def test_the_form_s_own_values_go_along_as_a_browser_sends_them(
    site: ContactSite, tmp_path: Path
) -> None:
    probe(site, "/contact", tmp_path)
    [received] = site.submissions
    sent = dict(received.fields)
    assert sent["topic"] == "support"  # the selected option
    assert sent["terms"] == "agreed"  # a checked box
    assert sent["send"] == "1"  # the named submit button
    assert "newsletter" not in sent  # an unchecked box
    assert "ignored" not in sent  # a disabled field
    assert "q" not in sent  # the search form before it is not this form


def test_details_name_the_hidden_fields_but_never_their_values(
    site: ContactSite, tmp_path: Path
) -> None:
    outcome = probe(site, "/contact", tmp_path, success_text="Thanks!")
    details = outcome.details
    assert details["page_status"] == 200
    assert details["post_status"] == 200
    assert details["success_text"] == "Thanks!"
    assert details["form"]["id"] == "contact"
    assert details["form"]["hidden"] == ["csrf_token"]
    assert "message" in details["form"]["fields"]
    assert details["form"]["action"] == f"{site.base}/contact"
    assert (details["form"]["method"], details["form"]["encoding"]) == ("POST", "urlencoded")
    csrf = site.submissions[0].get("csrf_token")
    assert csrf
    shown = json.dumps(dict(details))
    assert csrf not in shown
    assert "Hello" not in shown  # field values are not repeated either


def test_the_token_is_added_to_the_message_when_no_field_names_it(
    site: ContactSite, tmp_path: Path
) -> None:
    fields = {"name": "Test", "message": "Please ignore"}
    outcome = probe(site, "/contact", tmp_path, fields=fields)
    assert outcome.status is Status.OK
    assert site.submissions[0].get("message") == f"Please ignore {outcome.details['token']}"


def test_every_run_has_its_own_token(site: ContactSite, tmp_path: Path) -> None:
    first = probe(site, "/contact", tmp_path)
    second = probe(site, "/contact", tmp_path)
    assert first.details["token"] != second.details["token"]


# --- redirects after the POST ----------------------------------------------------------------


def test_a_303_after_the_post_is_the_status_and_the_thanks_page_is_read(
    site: ContactSite, tmp_path: Path
) -> None:
    outcome = probe(site, "/prg", tmp_path, success_text="Thanks for your message")
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary == "the form accepted the test submission (HTTP 303)"
    assert outcome.details["post_status"] == 303
    assert outcome.details["location"] == f"{site.base}/thanks"
    assert outcome.details["after_status"] == 200


def test_a_303_without_success_text_is_not_followed(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/prg", tmp_path)
    assert outcome.status is Status.OK
    assert "after_status" not in outcome.details


def test_a_302_is_a_failure_by_default_with_a_hint(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/found", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary == (
        "the form answered HTTP 302 Found, expected 200, 201 or 303; "
        "if the site redirects after a submission, add 302 to expect_status"
    )
    assert probe(site, "/found", tmp_path, expect_status=[302]).status is Status.OK


# --- failures --------------------------------------------------------------------------------


def test_a_server_error_fails(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/broken", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary.startswith("the form answered HTTP 500 Internal Server Error")
    assert outcome.details["excerpt"] == "Contact Internal Server Error"


def test_missing_success_text_fails_and_shows_the_page(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/silent", tmp_path, success_text="Thanks!")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)
    assert outcome.summary == "the answer to the submission does not say 'Thanks!'"
    assert outcome.details["excerpt"] == "Contact Sorry, your message could not be sent."


def test_failure_text_fails(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/silent", tmp_path, failure_text="could not be sent")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)
    assert outcome.summary == "the answer to the submission says 'could not be sent'"


def test_a_stale_csrf_token_fails(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/stale", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary.startswith("the form answered HTTP 403 Forbidden")
    assert outcome.details["excerpt"] == "Contact Forbidden CSRF verification failed."
    [received] = site.submissions
    assert not received.session_ok


def test_an_unreachable_site_fails_at_connect(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/contact"
    outcome = run_probe(form, {"type": "form", "url": url, "fields": FIELDS}, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONNECT)
    assert outcome.summary.startswith("the form's page cannot be reached (127.0.0.1/contact)")
    assert outcome.details["token"].startswith(TOKEN_PREFIX)


def test_an_untrusted_certificate_fails_at_tls(tmp_path: Path) -> None:
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    site = ContactSite()
    with serve(build_app(site), ssl_context=server_context) as base:
        outcome = run_probe(
            form, {"type": "form", "url": f"{base}/contact", "fields": FIELDS}, tmp_path
        )
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.TLS)
    assert outcome.summary.startswith("the form's page: TLS failed: ")
    assert site.submissions == []


def test_a_missing_page_fails(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/gone", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary == "the form's page answered HTTP 404 Not Found"
    assert site.submissions == []


# --- choosing the form -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("choice", "summary"),
    [
        ({"form_id": "nope"}, "the page has no form with id 'nope'"),
        ({"form_id": "search"}, "the form has no field name, email and message"),
        ({"form_index": 0}, "the form has no field name, email and message"),
        ({"form_index": 7}, "the page has 2 forms, so none at index 7"),
        ({"fields": {"phone": "{token}"}}, "no form on the page has the fields phone"),
    ],
)
def test_a_form_that_is_not_there_fails_and_lists_the_forms(
    site: ContactSite, tmp_path: Path, choice: dict[str, Any], summary: str
) -> None:
    outcome = probe(site, "/contact", tmp_path, **choice)
    assert (outcome.status, outcome.layer, outcome.summary) == (Status.FAIL, Layer.CONTENT, summary)
    assert [found["id"] for found in outcome.details["forms"]] == ["search", "contact"]
    assert site.submissions == []


@pytest.mark.parametrize("choice", [{"form_id": "contact"}, {"form_index": 1}])
def test_a_form_picked_by_id_or_position(
    site: ContactSite, tmp_path: Path, choice: dict[str, Any]
) -> None:
    assert probe(site, "/contact", tmp_path, **choice).status is Status.OK


# --- CAPTCHAs --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "vendor"),
    [
        ("recaptcha", "reCAPTCHA"),
        ("hcaptcha", "hCaptcha"),
        ("turnstile", "Turnstile"),
        ("recaptcha-script", "reCAPTCHA"),
    ],
)
def test_a_captcha_is_an_error_and_nothing_is_sent(
    site: ContactSite, tmp_path: Path, kind: str, vendor: str
) -> None:
    outcome = probe(site, f"/captcha/{kind}", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.CONFIG)
    assert outcome.summary == (
        f"the form is protected by a CAPTCHA ({vendor}): freecost cannot submit it; "
        "test it by hand or ask the site builder for a test key"
    )
    assert outcome.details["captcha"] == vendor
    assert site.submissions == []


# --- Contact Form 7 --------------------------------------------------------------------------


def cf7(site: ContactSite, tmp_path: Path, **spec: Any) -> Outcome:
    spec.setdefault("cf7", {"id": CF7_ID})
    return probe(site, "/wp/contact", tmp_path, fields=CF7_FIELDS, **spec)


def test_cf7_mail_sent_is_ok_and_goes_multipart_to_the_rest_endpoint(
    site: ContactSite, tmp_path: Path
) -> None:
    outcome = cf7(site, tmp_path)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary == "the form accepted the test submission (Contact Form 7: mail_sent)"
    assert outcome.details["cf7_status"] == "mail_sent"
    endpoint = f"{site.base}/wp-json/contact-form-7/v1/contact-forms/{CF7_ID}/feedback"
    assert outcome.details["form"]["action"] == endpoint
    [received] = site.submissions
    assert received.content_type == "multipart/form-data"
    assert received.session_ok
    assert received.get("_wpcf7") == str(CF7_ID)
    assert received.get("_wpcf7_unit_tag") == f"wpcf7-f{CF7_ID}-p10-o1"
    assert received.get("your-message") == f"Hello {outcome.details['token']}"


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        (
            "mail_failed",
            "the site could not send the form's e-mail: its mailer failed ('There was an error "
            "trying to send your message. Please try again later.')",
        ),
        (
            "validation_failed",
            "the form refused the test submission as invalid: your-email ('One or more fields "
            "have an error. Please check and try again.')",
        ),
        (
            "spam",
            "the form filed the test as spam ('There was an error trying to send your message. "
            "Please try again later.')",
        ),
        (
            "aborted",
            "the form did not accept the test submission: aborted "
            "('Sending the message was aborted.')",
        ),
        ("odd_status", "the form did not accept the test submission: odd_status ('Odd answer')"),
    ],
)
def test_cf7_statuses_other_than_mail_sent_fail(
    site: ContactSite, tmp_path: Path, status: str, summary: str
) -> None:
    site.cf7_status = status
    outcome = cf7(site, tmp_path)
    assert (outcome.status, outcome.layer, outcome.summary) == (Status.FAIL, Layer.VENDOR, summary)
    assert outcome.details["cf7_status"] == status


def test_cf7_invalid_fields_are_in_the_details(site: ContactSite, tmp_path: Path) -> None:
    site.cf7_status = "validation_failed"
    outcome = cf7(site, tmp_path)
    assert outcome.details["invalid_fields"] == [
        {"field": "your-email", "message": "Please enter an email address."}
    ]


def test_cf7_urlencoded_through_action_is_refused_by_the_endpoint(
    site: ContactSite, tmp_path: Path
) -> None:
    # Without `cf7`, the same endpoint named in `action` gets what the form declares.
    endpoint = f"{site.base}/wp-json/contact-form-7/v1/contact-forms/{CF7_ID}/feedback"
    outcome = probe(site, "/wp/contact", tmp_path, fields=CF7_FIELDS, action=endpoint)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary.startswith("the form answered HTTP 415")
    multipart = probe(
        site, "/wp/contact", tmp_path, fields=CF7_FIELDS, action=endpoint, encoding="multipart"
    )
    assert multipart.status is Status.OK  # CF7's statuses are read even without `cf7`


def test_cf7_spam_through_action_is_still_read_as_cf7(site: ContactSite, tmp_path: Path) -> None:
    site.cf7_status = "spam"
    endpoint = f"{site.base}/wp-json/contact-form-7/v1/contact-forms/{CF7_ID}/feedback"
    outcome = probe(
        site, "/wp/contact", tmp_path, fields=CF7_FIELDS, action=endpoint, encoding="multipart"
    )
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)


def test_cf7_with_a_wrong_id_fails_on_the_endpoint_s_404(site: ContactSite, tmp_path: Path) -> None:
    outcome = cf7(site, tmp_path, cf7={"id": 999})
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert outcome.summary.startswith("the form answered HTTP 404 Not Found")


# --- hostile pages ---------------------------------------------------------------------------


def test_a_huge_page_is_read_only_up_to_the_cap(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/big/start", tmp_path)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.details["page_truncated"] is True


def test_a_form_beyond_the_cap_is_not_found_and_the_summary_says_why(
    site: ContactSite, tmp_path: Path
) -> None:
    outcome = probe(site, "/big/end", tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)
    assert outcome.summary == "the page has no form (only its first 2 MiB was read)"


def test_success_text_is_found_through_markup(site: ContactSite, tmp_path: Path) -> None:
    outcome = probe(site, "/hostile", tmp_path, success_text="Thanks! We'll be in touch.")
    assert outcome.status is Status.OK, outcome.summary


def test_markup_and_scripts_stay_out_of_what_a_person_reads(
    site: ContactSite, tmp_path: Path
) -> None:
    outcome = probe(site, "/hostile", tmp_path, success_text="<b>Sent</b>")
    assert outcome.status is Status.FAIL
    assert outcome.summary == "the answer to the submission does not say '<b>Sent</b>'"
    shown = outcome.details["excerpt"]
    assert shown == "Contact Thanks! We'll be in touch ."
    assert "<" not in shown
    assert "document.write" not in shown


def test_a_cf7_message_s_markup_stays_out_of_the_summary(site: ContactSite, tmp_path: Path) -> None:
    site.cf7_status = "odd_status"
    outcome = cf7(site, tmp_path)
    assert "<" not in outcome.summary
    assert "alert" not in outcome.summary
    assert outcome.details["cf7_message"] == "Odd answer"


# --- reading pages ---------------------------------------------------------------------------


def test_controls_outside_a_form_join_it_by_the_form_attribute() -> None:
    scan = form.scan_page(
        '<form id="f" action="/go"><input name="a" value="1"></form>'
        '<input form="f" name="b" value="2"><textarea form="f" name="c">\nthree</textarea>'
    )
    [found] = scan.forms
    assert [(c.name, c.value) for c in found.controls] == [("a", "1"), ("b", "2"), ("c", "three")]


def test_a_form_inside_a_form_is_ignored_like_browsers_do() -> None:
    scan = form.scan_page(
        '<form id="outer"><form id="inner"><input name="a"></form><input name="b"></form>'
    )
    assert [f.id for f in scan.forms] == ["outer"]
    assert scan.forms[0].names() == ["a"]  # the first </form> ends the outer form too


def test_a_select_without_a_selected_option_sends_the_first() -> None:
    scan = form.scan_page(
        '<form><select name="s"><option disabled>Pick</option><option>One</option>'
        '<option value="2">Two</option></select><select name="empty"></select></form>'
    )
    controls = {c.name: c for c in scan.forms[0].controls}
    assert (controls["s"].value, controls["s"].sent()) == ("One", True)
    assert controls["empty"].sent() is False


def test_a_get_form_sends_its_fields_in_the_query() -> None:
    scan = form.scan_page('<base href="/site/"><form action="find?old=1"><input name="q"></form>')
    spec = check(fields={"q": "{token}"})
    chosen = form.choose_form(spec, scan)
    assert isinstance(chosen, form.Form)
    sent = form.build_submission(spec, chosen, scan, "https://shop.example/contact", "tok")
    assert sent.method == "GET"
    assert sent.target() == "https://shop.example/site/find?q=tok"


@pytest.mark.parametrize(
    ("root", "endpoint"),
    [
        (None, "https://shop.example/wp-json/contact-form-7/v1/contact-forms/5/feedback"),
        (
            "https://shop.example/blog/wp-json/",
            "https://shop.example/blog/wp-json/contact-form-7/v1/contact-forms/5/feedback",
        ),
        (
            "https://shop.example/?rest_route=/",
            "https://shop.example/?rest_route=/contact-form-7/v1/contact-forms/5/feedback",
        ),
    ],
)
def test_the_cf7_endpoint_follows_the_rest_root_the_page_names(
    root: str | None, endpoint: str
) -> None:
    scan = form.Scan(forms=[], captcha=None, base=None, api_root=root)
    assert form.cf7_endpoint(scan, "https://shop.example/contact/", 5) == endpoint


# --- parameters ------------------------------------------------------------------------------


def test_the_type_is_registered() -> None:
    assert check_types()["form"] is form.Check


def test_defaults() -> None:
    parsed = check()
    assert parsed.expect_status == [200, 201, 303]
    assert parsed.encoding is None
    assert parsed.target() == "shop.example:443"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"fields": {"name": "Test"}},
            "put {token} in one of the fields so the message can be found",
        ),
        ({"fields": {}}, "fields needs at least one field"),
        ({"fields": {"message": "${SECRET}"}}, "field 'message' looks like a secret reference"),
        ({"fields": {"message": ["a"]}}, "field 'message' needs a text value"),
        ({"form_id": "a", "form_index": 0}, "give form_id or form_index, not both"),
        ({"cf7": {"id": 1}, "encoding": "urlencoded"}, "Contact Form 7's endpoint takes multipart"),
        ({"cf7": {"id": 0}}, "greater than or equal to 1"),
        ({"expect_status": []}, "expect_status needs at least one status"),
        ({"expect_status": [99]}, "'99' is not an HTTP status"),
        ({"url": "https://user:pw@shop.example/"}, "the URL holds a user name or password"),
        ({"encoding": "json"}, "'urlencoded' or 'multipart'"),
    ],
)
def test_parameter_errors_are_clear(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check(**spec)
    [error] = raised.value.errors()
    assert message in error["msg"]
    assert "pw@" not in error["msg"]


def test_numbers_in_fields_are_kept_as_text() -> None:
    assert check(fields={"phone": 5551234, "message": "hi"}).fields["phone"] == "5551234"


# --- the e-mail ------------------------------------------------------------------------------

PASSWORD = "canary-pass"


@pytest.fixture
def imap_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAP_PASSWORD", PASSWORD)


def mails_to(dovecot: Dovecot, **drop: Any) -> Callable[[Submission], None]:
    """What the site's mailer does with an accepted submission: deliver it to ``canary``."""

    def deliver(entry: Submission) -> None:
        body = f"New message from your contact form:\n\n{entry.get('message')}\n"
        drop.setdefault("sender", "wordpress@shop.example")
        dovecot.drop("canary", subject="Contact form: new message", body=body, **drop)

    return deliver


def with_email(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path, path: str = "/contact", **expect: Any
) -> Outcome:
    imap = {
        "host": dovecot.host,
        "port": dovecot.port,
        "tls": "none",
        "username": "canary",
        "password": "${IMAP_PASSWORD}",
    }
    expect = {"imap": imap, "within": "1m", "warn_after": "30s", **expect}
    spec = {"type": "form", "url": site.base + path, "fields": FIELDS, "expect_email": expect}
    parsed = form.Check.model_validate({"id": "t", **spec})

    async def go() -> Outcome:
        async with make_context(tmp_path) as ctx, asyncio.timeout(30):
            return await form.submit(parsed, ctx, poll_every=0.05)

    return asyncio.run(go())


def stored_tokens(dovecot: Dovecot, folder: str = "INBOX") -> str:
    return "".join(message.as_string() for message in dovecot.messages("canary", folder))


@pytest.mark.usefixtures("imap_password")
def test_the_form_s_e_mail_in_the_inbox_is_ok_and_is_deleted(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path
) -> None:
    site.on_submission = mails_to(dovecot)
    outcome = with_email(site, dovecot, tmp_path, **{"from": "wordpress@"})
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary.startswith(
        "the form accepted the test submission and its e-mail arrived after "
    )
    email = outcome.details["email"]
    assert (email["folder"], email["junk"], email["deleted"]) == ("INBOX", False, True)
    assert email["sender"] == "wordpress@shop.example"
    assert email["inbox"] == f"{dovecot.host}:{dovecot.port}"
    assert outcome.details["post_status"] == 200  # the form's evidence stays
    assert outcome.details["token"] not in stored_tokens(dovecot)


@pytest.mark.usefixtures("imap_password")
def test_the_form_s_e_mail_in_the_junk_folder_warns(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path
) -> None:
    site.on_submission = mails_to(dovecot, folder="Junk")
    outcome = with_email(site, dovecot, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY)
    assert "but in the junk folder (Junk) where it may never be seen" in outcome.summary
    assert outcome.details["token"] not in stored_tokens(dovecot, "Junk")


@pytest.mark.usefixtures("imap_password")
def test_a_late_e_mail_warns(site: ContactSite, dovecot: Dovecot, tmp_path: Path) -> None:
    # The server's arrival time says five minutes after the submission.
    later = datetime.now(UTC) + timedelta(minutes=5)
    site.on_submission = mails_to(dovecot, received=later)
    outcome = with_email(site, dovecot, tmp_path, within="10m", warn_after="2m")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY)
    assert outcome.summary.startswith("the form's e-mail arrived, but only after ")
    assert outcome.details["email"]["latency_s"] > 120
    assert outcome.summary.endswith("(more than the 2m warning)")


@pytest.mark.usefixtures("imap_password")
@pytest.mark.parametrize("sender", [None, "someone-else@example.org"])
def test_no_e_mail_fails_at_delivery(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path, sender: str | None
) -> None:
    site.on_submission = mails_to(dovecot) if sender else None
    expect: dict[str, Any] = {"within": "1s", "warn_after": "500ms"}
    if sender:
        expect["from"] = sender
    outcome = with_email(site, dovecot, tmp_path, **expect)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DELIVERY)
    named = f" from {sender}" if sender else ""
    assert outcome.summary == (
        f"the form accepted the test submission, but no e-mail{named} with its token "
        "arrived within 1s"
    )


@pytest.mark.usefixtures("imap_password")
def test_a_failed_submission_does_not_wait_for_e_mail(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path
) -> None:
    outcome = with_email(site, dovecot, tmp_path, "/broken")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.HTTP)
    assert "email" not in outcome.details


def test_a_missing_inbox_password_is_an_error_and_nothing_is_sent(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAP_PASSWORD", raising=False)
    outcome = with_email(site, dovecot, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == (
        "the inbox for the form's e-mail cannot be checked: "
        "environment variable IMAP_PASSWORD is not set"
    )
    assert site.submissions == []


@pytest.mark.usefixtures("imap_password")
def test_an_unreachable_inbox_keeps_the_inbox_s_failure(
    site: ContactSite, dovecot: Dovecot, tmp_path: Path
) -> None:
    closed = dataclasses.replace(dovecot, port=closed_port())
    outcome = with_email(site, closed, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONNECT)
    assert outcome.summary.startswith(
        "the form accepted the test submission, but the inbox for its e-mail cannot be checked: "
    )
    assert outcome.details["post_status"] == 200


def test_expect_email_sets_a_timeout_that_holds_the_wait() -> None:
    imap = {"host": "imap.example.com", "username": "me", "password": "${P}"}
    parsed = check(expect_email={"imap": imap, "within": "5m"})
    assert parsed.timeout == timedelta(minutes=6)
    assert check(expect_email={"imap": imap}).timeout == timedelta(minutes=11)
    assert check(expect_email={"imap": imap}, timeout="15m").timeout == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"timeout": "5m"},
            "timeout 5m is too short: the wait for the e-mail alone can take 10m; "
            "leave timeout out to get 11m, or make it longer",
        ),
        ({"warn_after": "10m"}, "warn_after (10m) must be shorter than within (10m)"),
        ({"from": ""}, "expected the sender's address"),
        ({"imap": {"host": "imap.example.com", "username": "me", "password": "plain"}}, "secret"),
    ],
)
def test_expect_email_errors_are_clear(spec: dict[str, Any], message: str) -> None:
    imap = {"host": "imap.example.com", "username": "me", "password": "${P}"}
    timeout = spec.pop("timeout", None)
    extra = {"timeout": timeout} if timeout else {}
    with pytest.raises(ValidationError) as raised:
        check(expect_email={"imap": imap, **spec}, **extra)
    [error] = raised.value.errors()
    assert message in error["msg"]
