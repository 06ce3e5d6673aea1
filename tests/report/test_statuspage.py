"""The public status page: states from the latest checks, alternatives, and nothing internal."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import pytest

from freecost.report.statuspage import FunctionStatus, function_statuses, render_status_page
from tests.report.documents import NOW, build, result

PHONE = "Prospects reach us by phone"
EMAIL = "Clients and prospects reach us by e-mail"
WEB = "Prospects find us and send enquiries through the website"
RECORDS = "We look up client history, quotes and open requests"
FILES = "We share proposals and deliverables with clients"
MOBILE = "The owner's mobile phone (printed on invoices)"
EXPORT = "Weekly CSV export of the CRM, kept in Google Drive"


def states(document: dict[str, Any]) -> dict[str, FunctionStatus]:
    return {s.name: s for s in function_statuses(document)}


def test_the_example_states_and_alternatives() -> None:
    found = states(build())
    # The voicemail canary failed: phone is in trouble, and the mobile line is named instead.
    assert found[PHONE] == FunctionStatus(PHONE, "trouble", (MOBILE,))
    assert found[EMAIL].state == "working"
    assert found[EMAIL].alternatives == ()
    # Nothing on these paths has a result: nobody can say.
    assert found[WEB].state == "unknown"
    assert found[FILES].state == "unknown"
    assert found[RECORDS] == FunctionStatus(RECORDS, "unknown", (EXPORT,))


@pytest.mark.parametrize(
    ("status", "state"),
    [("ok", "working"), ("warn", "working"), ("fail", "trouble"), ("error", "unknown")],
)
def test_each_check_status_maps_to_a_state(status: str, state: str) -> None:
    document = build(results=[result("website", "home-page", status, "whatever")])
    assert states(document)[WEB].state == state


def test_an_error_is_never_shown_as_trouble() -> None:
    document = build(results=[result("website", "home-page", "error", "no network here")])
    page = render_status_page(document)
    assert "Having trouble" not in page
    assert "Unknown" in page


def test_trouble_beats_success_on_the_same_path() -> None:
    document = build(
        results=[
            result("website", "home-page", "ok", "fine"),
            result("domain", "nameservers", "fail", "no answer"),
        ]
    )
    found = states(document)
    assert found[WEB].state == "trouble"
    assert found[EMAIL].state == "trouble"


def test_what_a_dependency_needs_is_on_the_path() -> None:
    # Google Voice needs the Google account: its failure reaches the phone function too, and
    # the mobile line (which does not need it) is still named as what to use instead.
    document = build(results=[result("google-account", "login", "fail", "locked")])
    found = states(document)
    assert found[PHONE] == FunctionStatus(PHONE, "trouble", (MOBILE,))
    assert found[FILES].state == "trouble"


def test_an_alternative_in_trouble_is_not_offered() -> None:
    document = build(
        results=[
            result("google-voice", "voicemail", "fail", "no e-mail"),
            result("mobile-line", "call", "fail", "no answer"),
        ]
    )
    assert states(document)[PHONE] == FunctionStatus(PHONE, "trouble", ())


def test_a_stale_result_says_nothing_about_now() -> None:
    old = NOW - timedelta(days=3)
    document = build(results=[result("website", "home-page", "fail", "down", at=old)])
    assert states(document)[WEB].state == "unknown"
    assert function_statuses(document, max_age=timedelta(days=4))[2].state == "trouble"


def test_the_page_names_states_alternatives_and_the_update_time() -> None:
    page = render_status_page(build())
    assert "Having trouble" in page
    assert "Use instead: The owner&#39;s mobile phone (printed on invoices)" in page
    assert "Contact: owner@baileyworkplay.example" in page
    # 15:00 UTC is 09:00 in Chicago in November.
    assert "Last updated 23 November 2026, 09:00 (America/Chicago)." in page


def test_the_page_is_self_contained_and_has_no_script() -> None:
    page = render_status_page(build())
    assert "Content-Security-Policy" in page
    assert "default-src 'none'" in page
    for forbidden in ("<script", "<link", "<img", "src=", "url(", "http://", "https://", "@import"):
        assert forbidden not in page, forbidden


class _Text(HTMLParser):
    """The text a visitor sees, without the stylesheet and the head."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        self.skip += tag in ("style", "head")

    def handle_endtag(self, tag: str) -> None:
        self.skip -= tag in ("style", "head")

    def handle_data(self, data: str) -> None:
        if not self.skip and data.strip():
            self.parts.append(data.strip())


def test_nothing_internal_leaks() -> None:
    document = build()
    page = render_status_page(document)
    internal = {
        "google-voice",
        "voicemail",
        "vendor-status",
        "chris.bailey@gmail.com",
        "carrier-account",
        "imap.gmail.com",
        "www.baileyworkplay.example",
        "delivery",
        "grade",
        "risk",
    }
    for dep in document["dependencies"]:
        internal |= {f["code"] for f in dep["findings"]}
        internal |= {c["summary"] for c in dep["checks"]}
        internal |= {i["first_summary"] for i in dep["incidents"]}
        internal |= {f["message"] for f in dep["findings"]}
    internal |= {r["summary"] for r in document["results"]}
    for text in internal:
        assert text.lower() not in page.lower(), text


def test_every_visible_word_is_the_owners_or_the_pages_own() -> None:
    document = build()
    parser = _Text()
    parser.feed(render_status_page(document))
    visible = " ".join(parser.parts)
    allowed = [s.name for s in function_statuses(document)]
    allowed += [MOBILE, EXPORT, document["business"]["name"], document["business"]["contact"]]
    allowed += [
        "How to reach us right now",
        "Some ways to reach us are having trouble; where there is another way, it is named below.",
        "Having trouble",
        "Working",
        "Unknown",
        "Use instead:",
        "If it does not work for you, use:",
        "Contact:",
        "Last updated 23 November 2026, 09:00 (America/Chicago).",
    ]
    for text in sorted(allowed, key=len, reverse=True):
        visible = visible.replace(text, " ")
    assert re.fullmatch(r"[\s,]*", visible), visible


def test_hostile_names_are_escaped() -> None:
    document = build()
    hostile = copy.deepcopy(document)
    hostile["functions"][0]["name"] = "<script>alert(1)</script>"
    hostile["functions"][1]["name"] = '"><img src=x onerror=alert(1)>'
    hostile["business"]["name"] = "</title><script>alert(2)</script>"
    hostile["dependencies"][2]["name"] = "<b>mobile</b>"
    page = render_status_page(hostile)
    assert "<script" not in page
    assert "<img" not in page
    assert "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&lt;b&gt;mobile&lt;/b&gt;" in page
    assert page.count("</title>") == 1


def test_a_business_without_functions_is_unknown_not_fine() -> None:
    document = build()
    document["functions"] = []
    page = render_status_page(document)
    assert "We cannot confirm every way to reach us right now." in page
