"""Alerts: what they say (built from the example inventory and its packs), how they read, and
their delivery through apprise to a real webhook receiver and a real SMTP server on 127.0.0.1,
including notifiers that refuse, are absent, or never answer, and tokens that must not leak."""

from __future__ import annotations

import json
import logging
import re
import unicodedata
import warnings
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from freecost.alerts import (
    SEVERITY,
    Alert,
    HurtFunction,
    alert_for,
    due_reminder,
    render,
    send,
    target_of,
)
from freecost.alerts.alert import GENERIC_FIRST_STEPS, hurt_functions
from freecost.alerts.delivery import ERROR_LIMIT
from freecost.alerts.redact import scrub
from freecost.alerts.render import SUMMARY_LIMIT, plain, spoken
from freecost.inventory import Inventory, LoadedInventory, load_inventory
from freecost.results import Layer
from tests.servers.hostile import closed_port, never_answers, serve_raw
from tests.servers.smtp_sink import smtp_sink
from tests.servers.webhook import webhook_receiver

SINCE = datetime(2026, 3, 3, 15, 12, tzinfo=UTC)  # 09:12 in Chicago (CST)
NOW = SINCE + timedelta(hours=2, minutes=15)
HOSTILE = (
    "<script>alert(1)</script> \x1b[31mRED\x1b[0m\nSecond line\r\n"
    "\x1b]0;title\x07\u202eevil\u200b\x00 end"
)
TOKEN = "Tk9zQ3xVw7Lp2Rr"


@pytest.fixture(scope="module")
def loaded() -> LoadedInventory:
    return load_inventory(Path(__file__).resolve().parent.parent / "inventory.example.yaml")


def _opened(loaded: LoadedInventory, dependency: str = "google-voice", **changes: Any) -> Alert:
    fields: dict[str, Any] = {
        "dependency_id": dependency,
        "check_id": "vendor-status",
        "kind": "opened",
        "since": SINCE,
        "summary": "Google reports an outage of Google Voice",
        "layer": Layer.VENDOR,
        "now": NOW,
    }
    fields.update(changes)
    return alert_for(loaded, **fields)


# --- what an alert says ----------------------------------------------------------------------


def test_direct_function_steps_from_the_pack_and_alternatives(loaded: LoadedInventory) -> None:
    alert = _opened(loaded)
    assert alert.functions == (
        HurtFunction("phone-leads", "Prospects reach us by phone", "critical"),
    )
    pack = loaded.catalog.get("google-voice").when_it_breaks
    assert alert.first_steps == tuple(pack.first_steps)
    assert alert.support_url == pack.support_url
    assert alert.alternatives == ("The owner's mobile phone (printed on invoices)",)
    assert alert.lasted == timedelta(hours=2, minutes=15)
    assert alert.ended is None


def test_functions_through_other_dependencies_most_critical_first(
    loaded: LoadedInventory,
) -> None:
    alert = _opened(loaded, "google-account", check_id="login")
    assert alert.functions == (
        HurtFunction(
            "email",
            "Clients and prospects reach us by e-mail",
            "critical",
            ("Gmail on the personal account (business mail is forwarded here)",),
        ),
        HurtFunction(
            "phone-leads",
            "Prospects reach us by phone",
            "critical",
            ("Google Voice business number",),
        ),
        HurtFunction(
            "client-files",
            "We share proposals and deliverables with clients",
            "medium",
            ("Google Drive on the personal account",),
        ),
    )
    assert alert.first_steps == GENERIC_FIRST_STEPS  # no check pack names this dependency
    assert alert.support_url is None


def test_the_shortest_route_is_named(loaded: LoadedInventory) -> None:
    # web-enquiries needs the domain directly and also through the website.
    functions = {f.id: f for f in hurt_functions(loaded.inventory, "domain")}
    assert set(functions) == {"email", "web-enquiries"}
    assert functions["web-enquiries"].via == ()


def test_a_stand_in_hurts_no_function(loaded: LoadedInventory) -> None:
    alert = _opened(loaded, "mobile-line", check_id="ring")
    assert alert.functions == ()
    assert alert.stands_in_for == ("Google Voice business number",)
    body = render(alert, "Bailey WorkPlay", "UTC")[1]
    assert "- No business function lists it as needed." in body
    assert "- It is the stand-in for: Google Voice business number." in body


def test_a_cycle_in_needs_ends(loaded: LoadedInventory) -> None:
    # The loader refuses cycles; the walk must still end on a model built without it.
    data = loaded.inventory.model_dump(mode="json")
    for dependency in data["dependencies"]:
        if dependency["id"] == "google-account":
            dependency["needs"] = ["google-voice"]
    cyclic = Inventory.model_validate(data)
    assert [f.id for f in hurt_functions(cyclic, "google-account")] == [
        "email",
        "phone-leads",
        "client-files",
    ]


def test_closed_alert_lasts_until_it_ended(loaded: LoadedInventory) -> None:
    ended = SINCE + timedelta(hours=2, minutes=15)
    alert = _opened(loaded, kind="closed", now=ended + timedelta(minutes=5), ended=ended)
    assert alert.lasted == timedelta(hours=2, minutes=15)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"since": datetime(2026, 3, 3, 9, 12)}, ValueError, "since must be a timezone-aware"),
        ({"now": datetime(2026, 3, 3, 9, 12)}, ValueError, "now must be a timezone-aware"),
        ({"kind": "closed"}, ValueError, "a closed incident needs the time it ended"),
        ({"dependency_id": "nope"}, KeyError, "nope"),
    ],
)
def test_alert_for_refuses(
    loaded: LoadedInventory, changes: dict[str, Any], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        _opened(loaded, **changes)


# --- how it reads ----------------------------------------------------------------------------


def test_rendered_opened_alert(loaded: LoadedInventory) -> None:
    title, body = render(_opened(loaded), "Bailey WorkPlay", "America/Chicago")
    assert title == (
        "DOWN: Google Voice business number (google-voice/vendor-status) "
        "— Prospects reach us by phone"
    )
    lines = body.splitlines()
    assert lines[:9] == [
        "Bailey WorkPlay: Google Voice business number is down.",
        "",
        "What broke: check google-voice/vendor-status — the vendor reports a problem.",
        "Last result: Google reports an outage of Google Voice",
        "Since: Tue 03 Mar 2026 09:12 CST (for 2 h 15 min)",
        "",
        "Who it hurts:",
        "- Prospects reach us by phone (critical)",
        "Can take over: The owner's mobile phone (printed on invoices)",
    ]
    steps = lines[lines.index("What to do first:") + 1 :]
    assert steps[0] == "1. Call the number from another phone and listen to what a customer hears."
    assert steps[3].startswith("4. Ask in the Google Voice help community")
    assert steps[-1] == "Help: https://support.google.com/voice/"


def test_rendered_reminder_and_route(loaded: LoadedInventory) -> None:
    alert = _opened(loaded, "google-account", check_id="login", kind="reminder")
    title, body = render(alert, "Bailey WorkPlay", "UTC")
    assert title == (
        "STILL DOWN: The owner's personal Google account (google-account/login) "
        "— Clients and prospects reach us by e-mail (+2 more)"
    )
    assert "Bailey WorkPlay: The owner's personal Google account is still down." in body
    assert "- Prospects reach us by phone (critical), through Google Voice business number" in body
    assert f"1. {GENERIC_FIRST_STEPS[0]}" in body


def test_rendered_closed_alert(loaded: LoadedInventory) -> None:
    ended = SINCE + timedelta(days=1, hours=3)
    alert = _opened(loaded, kind="closed", ended=ended, now=ended, summary="200 OK")
    title, body = render(alert, "Bailey WorkPlay", "America/Chicago")
    assert title.startswith("RECOVERED: Google Voice business number (google-voice/vendor-status)")
    assert "Bailey WorkPlay: Google Voice business number is working again." in body
    assert "Down from Tue 03 Mar 2026 09:12 CST to Wed 04 Mar 2026 12:12 CST (1 d 3 h)." in body
    assert "What to do first" not in body


def test_local_time_follows_daylight_saving(loaded: LoadedInventory) -> None:
    summer = datetime(2026, 7, 1, 15, 12, tzinfo=UTC)
    alert = _opened(loaded, since=summer, now=summer + timedelta(seconds=40))
    body = render(alert, "Bailey WorkPlay", "America/Chicago")[1]
    assert "Since: Wed 01 Jul 2026 10:12 CDT (for 40 s)" in body


def test_hostile_summary_is_rendered_plainly(loaded: LoadedInventory) -> None:
    alert = _opened(loaded, summary=HOSTILE * 100)
    title, body = render(alert, "Bailey\nWorkPlay\x1b[2J", "UTC")
    clean = render(_opened(loaded), "Bailey WorkPlay", "UTC")[1]
    assert len(body.splitlines()) == len(clean.splitlines())
    (summary,) = [line for line in body.splitlines() if line.startswith("Last result: ")]
    assert summary.startswith("Last result: <script>alert(1)</script> RED Second line evil end")
    assert len(summary) <= len("Last result: ") + SUMMARY_LIMIT
    assert body.startswith("Bailey WorkPlay: ")
    for text in (title, body):
        assert not any(unicodedata.category(c)[0] == "C" for c in text.replace("\n", "")), repr(
            text
        )


@given(st.text(), st.integers(min_value=1, max_value=500))
def test_plain_is_one_capped_line_without_control_characters(text: str, limit: int) -> None:
    flat = plain(text, limit)
    assert len(flat) <= limit
    assert flat == flat.strip()
    assert not any(unicodedata.category(c)[0] == "C" or (c.isspace() and c != " ") for c in flat)


@pytest.mark.parametrize(
    ("duration", "words"),
    [
        (timedelta(seconds=-5), "0 s"),
        (timedelta(seconds=45), "45 s"),
        (timedelta(minutes=12, seconds=59), "12 min"),
        (timedelta(hours=2), "2 h"),
        (timedelta(hours=2, minutes=15), "2 h 15 min"),
        (timedelta(days=3), "3 d"),
        (timedelta(days=3, hours=4, minutes=59), "3 d 4 h"),
    ],
)
def test_spoken_durations(duration: timedelta, words: str) -> None:
    assert spoken(duration) == words


@pytest.mark.parametrize(
    ("last", "now", "every", "due"),
    [
        (NOW, NOW + timedelta(days=2), None, False),
        (None, NOW, None, False),
        (None, NOW, timedelta(days=1), True),
        (NOW, NOW + timedelta(hours=23, minutes=59), timedelta(days=1), False),
        (NOW, NOW + timedelta(days=1), timedelta(days=1), True),
        (NOW, NOW - timedelta(hours=1), timedelta(minutes=5), False),  # the clock went back
    ],
)
def test_due_reminder(
    last: datetime | None, now: datetime, every: timedelta | None, due: bool
) -> None:
    assert due_reminder(last, now, every) is due


# --- delivery --------------------------------------------------------------------------------


def test_json_webhook_receives_title_and_body(loaded: LoadedInventory) -> None:
    title, body = render(_opened(loaded), "Bailey WorkPlay", "America/Chicago")
    with webhook_receiver() as (base, received):
        url = base.replace("http://", "json://") + "/hook/alerts"
        deliveries = send((title, body), [url], timeout=5, severity=SEVERITY["opened"])
    assert [(d.target, d.ok, d.error) for d in deliveries] == [("json://127.0.0.1", True, None)]
    (request,) = received
    assert (request.method, request.path) == ("POST", "/hook/alerts")
    payload = json.loads(request.body)
    assert payload["title"] == title
    assert payload["message"] == body
    assert payload["type"] == "failure"
    assert "Since: Tue 03 Mar 2026 09:12 CST (for 2 h 15 min)" in payload["message"]
    assert "- Prospects reach us by phone (critical)" in payload["message"]


def test_form_webhook_and_several_urls_at_once(loaded: LoadedInventory) -> None:
    title, body = render(_opened(loaded, kind="closed", ended=NOW), "Bailey WorkPlay", "UTC")
    with webhook_receiver() as (base, received):
        port = base.rpartition(":")[2]
        urls = [f"form://127.0.0.1:{port}/hook/form", f"json://127.0.0.1:{port}/hook/json"]
        deliveries = send((title, body), urls, timeout=5, severity=SEVERITY["closed"])
    assert [d.ok for d in deliveries] == [True, True]
    form = next(r for r in received if r.path == "/hook/form")
    fields = parse_qs(form.body.decode())
    assert fields["title"] == [title]
    assert fields["message"] == [body]
    assert fields["type"] == ["success"]


def test_email_arrives_with_the_subject(loaded: LoadedInventory) -> None:
    title, body = render(_opened(loaded, summary=HOSTILE), "Bailey WorkPlay", "UTC")
    with smtp_sink() as (port, inbox):
        url = (
            f"mailto://127.0.0.1:{port}?from=alerts@baileyworkplay.example"
            "&to=owner@baileyworkplay.example&mode=insecure"
        )
        deliveries = send((title, body), [url], timeout=5)
    assert [(d.target, d.ok) for d in deliveries] == [("mailto://127.0.0.1", True)]
    (mail,) = inbox
    assert mail.recipients == ("owner@baileyworkplay.example",)
    assert mail.message["Subject"] == title
    parts = list(mail.message.walk())
    text = next(p for p in parts if p.get_content_type() == "text/plain").get_content()
    assert "Last result: <script>alert(1)</script> RED Second line" in text
    for html in (p for p in parts if p.get_content_type() == "text/html"):
        assert "<script>" not in html.get_content()  # a plain-text body, escaped if made HTML


def test_failing_notifiers_are_results_not_exceptions(loaded: LoadedInventory) -> None:
    message = render(_opened(loaded), "Bailey WorkPlay", "UTC")
    closed = closed_port()
    with webhook_receiver() as (base, received):
        urls = [
            f"json://127.0.0.1:{closed}/hook/x",
            base.replace("http://", "json://") + "/broken/x",
            "bogus://nowhere.example/x",
            "not a url at all",
            "",
        ]
        deliveries = send(message, urls, timeout=5)
    assert [d.target for d in deliveries] == [
        "json://127.0.0.1",
        "json://127.0.0.1",
        "bogus://nowhere.example",
        "(not a notification URL)",
        "(not a notification URL)",
    ]
    assert not any(d.ok for d in deliveries)
    refused, broken, bogus, words, empty = (d.error or "" for d in deliveries)
    assert refused.startswith("the service did not accept the message: ")
    assert "connection error" in refused.lower()
    assert broken.startswith("the service did not accept the message: ")
    assert "500" in broken
    assert len(received) == 1  # the receiver that answered 500 did get the request
    for error in (bogus, words, empty):
        assert error.startswith("not a notification URL apprise understands")
    for delivery in deliveries:
        assert delivery.error is not None
        assert len(delivery.error) <= ERROR_LIMIT
        assert delivery.error == plain(delivery.error, ERROR_LIMIT)


def test_a_notifier_that_never_answers_is_cut_at_the_deadline(loaded: LoadedInventory) -> None:
    message = render(_opened(loaded), "Bailey WorkPlay", "UTC")
    with serve_raw(never_answers) as silent, webhook_receiver() as (base, received):
        urls = [
            silent.replace("http://", "json://") + "/hook",
            base.replace("http://", "json://") + "/hook/ok",
        ]
        deliveries = send(message, urls, timeout=1.5)
    assert [(d.ok, d.error) for d in deliveries] == [
        (False, "no answer within 1.5 s"),
        (True, None),
    ]
    assert len(received) == 1


def test_no_token_reaches_a_delivery_or_a_log(
    loaded: LoadedInventory, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("apprise").setLevel(logging.DEBUG)
    message = render(_opened(loaded), "Bailey WorkPlay", "UTC")
    closed = closed_port()
    with webhook_receiver() as (base, received):
        port = base.rpartition(":")[2]
        urls = [
            f"json://alerts:{TOKEN}@127.0.0.1:{port}/broken/{TOKEN}?token={TOKEN}",
            f"json://127.0.0.1:{closed}/hook/{TOKEN}",
            f"mailto://alerts:{TOKEN}@127.0.0.1:{closed}?from=a@example.com&mode=insecure",
            f"bogus://{TOKEN}@nowhere.example/{TOKEN}",
            f"{TOKEN} is not a url",
            f"bogus://{TOKEN}",
        ]
        try:
            deliveries = send(message, urls, timeout=5)
        finally:
            logging.getLogger("apprise").setLevel(logging.NOTSET)
    assert received  # the 500 receiver saw the token: it was really used
    assert TOKEN in received[0].path
    assert [d.target for d in deliveries][-2:] == ["(not a notification URL)", "bogus://…"]
    # The receiver's own access log names the path it was sent; everything else is ours.
    logged = [r.getMessage() for r in caplog.records if not r.name.startswith("aiohttp")]
    seen = repr(deliveries) + "\n".join(logged) + "".join(capfd.readouterr())
    assert TOKEN.lower() not in seen.lower()
    assert all(not d.ok and d.error for d in deliveries)


@pytest.fixture
def leaky_notifier() -> Iterator[str]:
    """A notifier plugin that logs its whole URL and token, as a careless plugin might."""
    with warnings.catch_warnings():
        # Registering a plugin loads apprise's own, and some import deprecated modules.
        warnings.simplefilter("ignore", DeprecationWarning)
        from apprise.decorators import notify
        from apprise.manager_plugins import NotificationManager

        def leak(body: str, title: str, notify_type: str, meta: dict[str, Any], **_: Any) -> bool:
            logging.getLogger("apprise").warning("cannot post to %s", meta["url"])
            logging.getLogger("apprise").error("password %s refused", meta["password"])
            logging.getLogger("urllib3.connectionpool").debug("POST %s", meta["fullpath"])
            return False

        notify(on="leaky")(leak)  # type: ignore[no-untyped-call]

    yield "leaky"
    NotificationManager().remove("leaky")  # type: ignore[no-untyped-call]


def test_a_leaky_plugin_is_scrubbed(
    leaky_notifier: str, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    url = f"{leaky_notifier}://ops:{TOKEN}@alerts.example.com/v1/{TOKEN[::-1]}?key=s3cr3tvalue"
    (delivery,) = send(("title", "body"), [url], timeout=5)
    assert delivery.target == "leaky://alerts.example.com"
    assert not delivery.ok
    error = delivery.error or ""
    assert error.startswith("the service did not accept the message: cannot post to [hidden]")
    assert "password [hidden] refused" in error
    assert "Failed to send" in error
    seen = error + caplog.text + "".join(capfd.readouterr())
    for secret in (TOKEN, TOKEN[::-1], "s3cr3tvalue"):
        assert secret.lower() not in seen.lower()


@pytest.mark.parametrize(
    ("url", "target"),
    [
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1"),
        ("mailtos://user:pass@smtp.example.com:465?to=a@b.c", "mailtos://smtp.example.com"),
        ("JSON://LOCALHOST/x", "json://localhost"),
        ("json://[::1]:8080/x", "json://::1"),
        ("pover://userkey@apptoken", "pover://…"),
        ("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ", "slack://…"),
        ("discord://4174216298/JHMHI8qBe7bk2ZwO5U711o3dV_js", "discord://…"),
        ("://nothing", "(not a notification URL)"),
        ("no scheme", "(not a notification URL)"),
    ],
)
def test_target_names_scheme_and_host_only(url: str, target: str) -> None:
    assert target_of(url) == target


def test_scrub_hides_every_part_of_the_url() -> None:
    url = f"mailto://ab:{TOKEN}@smtp.example.com/{TOKEN[:6]}?to=x@example.com&key={TOKEN[3:9]}"
    text = (
        f"failed for {url}; user ab rejected; about {TOKEN}; at smtp.example.com; "
        f"{TOKEN[:6]} and {TOKEN[3:9]}"
    )
    scrubbed = scrub(text, url)
    assert scrubbed == (
        "failed for [hidden]; user [hidden] rejected; about [hidden]; at smtp.example.com; "
        "[hidden] and [hidden]"
    )
    assert re.search("ab", scrubbed)  # the short password is hidden only where it stands alone
