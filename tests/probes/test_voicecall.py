"""The ``voice-call`` check: a fake Twilio API (respx) and, for the voicemail e-mail, the
session's real Dovecot on 127.0.0.1 (see tests/servers/dovecot.py)."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import ValidationError

from freecost.plan import due_checks
from freecost.probes import voicecall
from freecost.probes.registry import check_types
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context
from tests.telephony.fake import ENVIRONMENT, FAST, SID, TOKEN, fake_twilio, provider_fields

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

pytest_plugins = ("tests.servers.dovecot",)

RINGING = [{"status": "queued"}, {"status": "ringing"}, {"status": "in-progress"}]
COMPLETED = {
    "status": "completed",
    "duration": "14",
    "answered_by": "machine_end_beep",
    "price": None,
    "price_unit": "USD",
}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**ENVIRONMENT, "TEST_IMAP_PASSWORD": "owner-pass"}.items():
        monkeypatch.setenv(name, value)


def place(base: Path, **spec: Any) -> Outcome:
    check = voicecall.Check.model_validate(
        {"id": "t", "type": "voice-call", **provider_fields(), **spec}
    )

    async def go() -> Outcome:
        async with make_context(base) as ctx, asyncio.timeout(30):
            return await voicecall.call(check, ctx, FAST)

    return asyncio.run(go())


def everything(outcome: Outcome) -> str:
    return outcome.summary + repr(outcome) + json.dumps(dict(outcome.details), default=str)


def inbox(server: Dovecot, sender: str, **extra: Any) -> dict[str, Any]:
    """An expect_notification block for user ``owner`` of the test Dovecot."""
    imap = {
        "host": server.host,
        "port": server.port,
        "tls": "none",
        "username": "owner",
        "password": "${TEST_IMAP_PASSWORD}",
    }
    return {"imap": imap, "from": sender, "within": "1s", **extra}


def unique_sender() -> str:
    # The session's Dovecot is shared: each test's notifications come from a sender of its own.
    return f"voice-noreply-{secrets.token_hex(4)}@google.com"


# --- the model ---


def test_the_type_is_registered_and_due_daily() -> None:
    model = check_types()["voice-call"]
    assert model is voicecall.Check
    check = model.model_validate({"id": "t", "type": "voice-call", **provider_fields()})
    assert check.every == timedelta(days=1)
    assert check.target() == "twilio.test"
    assert check.from_ == "+15005550006"


def test_the_default_deadline_covers_the_call_and_the_wait() -> None:
    plain = voicecall.Check.model_validate(
        {"id": "t", "type": "voice-call", **provider_fields(), "time_limit": "2m"}
    )
    assert plain.timeout == timedelta(seconds=30 + 120 + 60 + 60)
    waiting = voicecall.Check.model_validate(
        {
            "id": "t",
            "type": "voice-call",
            **provider_fields(),
            "expect_notification": {
                "imap": {"host": "imap.example.com", "username": "u", "password": "${P}"},
                "within": "20m",
            },
        }
    )
    assert waiting.timeout == timedelta(minutes=21)
    assert waiting.expect_notification is not None
    assert waiting.expect_notification.sender == "voice-noreply@google.com"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"timeout": "1m"}, "timeout 1m is too short: this check can take 3m30s"),
        ({"to": "5128279000"}, "has no country code"),
        ({"to": "+15005550006"}, "to and from are the same number (+15005550006)"),
        ({"provider": "telnyx"}, "Input should be 'twilio'"),
        ({"token": "plain-text-token"}, "a secret must not be written in the inventory"),
        ({"retries": 1}, "a retry would place another paid call or text"),
    ],
)
def test_invalid_checks_say_why(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        voicecall.Check.model_validate(
            {"id": "t", "type": "voice-call", **provider_fields(), **change}
        )
    assert message in str(caught.value)


def test_a_check_run_today_is_not_due_again_until_tomorrow() -> None:
    from datetime import UTC, datetime

    from freecost.runner import PlannedCheck

    check = voicecall.Check.model_validate({"id": "t", "type": "voice-call", **provider_fields()})
    planned = [PlannedCheck(dependency="voice", check=check)]
    now = datetime(2024, 5, 1, 12, tzinfo=UTC)
    assert due_checks(planned, {("voice", "t"): now - timedelta(hours=5)}, now) == []
    assert due_checks(planned, {("voice", "t"): now - timedelta(hours=24)}, now) == planned


# --- the call ---


def test_an_answered_call_is_ok_and_speaks_the_code_twice(tmp_path: Path) -> None:
    with fake_twilio([*RINGING, COMPLETED]) as fake:
        outcome = place(tmp_path)
    assert outcome.status is Status.OK, outcome
    assert outcome.summary == "test call to +15128279000 answered by voicemail, 14s long"
    token = fake.spoken_token()
    assert outcome.details["token"] == token
    spoken = " ".join(token)
    assert fake.created[-1]["Twiml"] == (
        '<Response><Pause length="1"/><Say>freecost test. '
        f"Code: {spoken}. Again: {spoken}.</Say><Hangup/></Response>"
    )
    assert fake.created[-1]["MachineDetection"] == "DetectMessageEnd"
    assert (fake.created[-1]["Timeout"], fake.created[-1]["TimeLimit"]) == ("30", "60")
    assert fake.polls == 4
    details = outcome.details
    assert details["cost"] == "unknown"
    assert details["duration_s"] == 14
    assert details["call_id"] == "CA1"


def test_the_cost_is_shown_once_settled(tmp_path: Path) -> None:
    with fake_twilio([{**COMPLETED, "price": "-0.01300"}]):
        outcome = place(tmp_path)
    assert outcome.details["cost"] == "0.01300 USD"


@pytest.mark.parametrize(
    ("status", "summary"),
    [
        ("busy", "the line was busy: the test call was not taken"),
        ("no-answer", "nothing answered the test call within 30s (no voicemail picked up)"),
        ("failed", "the test call could not be connected to the number"),
        ("canceled", "the test call was canceled before it was answered"),
    ],
)
def test_a_call_that_is_not_taken_fails_at_delivery(
    tmp_path: Path, status: str, summary: str
) -> None:
    with fake_twilio([{"status": "queued"}, {"status": "ringing"}, {"status": status}]):
        outcome = place(tmp_path)
    assert (outcome.status, outcome.layer, outcome.summary) == (
        Status.FAIL,
        Layer.DELIVERY,
        summary,
    )
    assert outcome.details["provider_status"] == status


def test_refused_credentials_are_an_error(tmp_path: Path) -> None:
    body = {"code": 20003, "message": "Authenticate", "more_info": "x", "status": 401}
    with fake_twilio([], create=httpx.Response(401, json=body)):
        outcome = place(tmp_path)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.CONFIG)
    assert outcome.summary == "Twilio refused the credentials (20003)"
    assert outcome.details["code"] == 20003


def test_twilio_down_is_a_vendor_failure(tmp_path: Path) -> None:
    with fake_twilio([], create=httpx.Response(502, text="Bad Gateway")):
        outcome = place(tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)
    assert outcome.summary == "Twilio failed (HTTP 502)"


def test_a_missing_secret_is_a_local_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TEST_TWILIO_TOKEN")
    with fake_twilio([COMPLETED]) as fake:
        outcome = place(tmp_path)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == "environment variable TEST_TWILIO_TOKEN is not set"
    assert fake.created == []


# --- the voicemail e-mail ---


def test_the_voicemail_with_the_code_is_ok_and_deleted(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()

    def voicemail(created: dict[str, str]) -> None:
        token = fake.spoken_token()
        transcript = f"Freecost test. Code {token[:3]}-{token[3:]}. Again {' '.join(token)}."
        dovecot.drop(
            "owner",
            subject="New voicemail from (512) 827-9000 at 3:18 PM",
            sender=f"Google Voice <{sender}>",
            body=f"{transcript}\nPlay message\n",
        )

    with fake_twilio([*RINGING, COMPLETED], on_final=voicemail) as fake:
        outcome = place(tmp_path, expect_notification=inbox(dovecot, sender, within="10s"))
    assert outcome.status is Status.OK, outcome
    assert outcome.summary.startswith(
        "test call to +15128279000 answered by voicemail, 14s long; "
        "the voicemail notification arrived"
    )
    assert outcome.summary.endswith("with the code")
    notification = outcome.details["notification"]
    assert notification["found"]["subject"].startswith("New voicemail from")
    assert notification["deleted"] is True
    left = [m for m in dovecot.messages("owner") if sender in str(m["From"])]
    assert left == []


def test_a_voicemail_without_the_code_warns(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()

    def garbled(created: dict[str, str]) -> None:
        dovecot.drop("owner", subject="New voicemail", sender=sender, body="(inaudible)\n")

    with fake_twilio([COMPLETED], on_final=garbled):
        outcome = place(tmp_path, expect_notification=inbox(dovecot, sender))
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY), outcome
    assert outcome.summary.endswith(
        "the voicemail arrived but the transcript does not contain the code; "
        "transcripts miss on noisy audio"
    )
    assert len(outcome.details["notification"]["others"]) == 1
    kept = [m for m in dovecot.messages("owner") if sender in str(m["From"])]
    assert len(kept) == 1  # not ours for certain, so never deleted


def test_a_voicemail_in_the_junk_folder_warns(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()

    def junk(created: dict[str, str]) -> None:
        body = f"Code {fake.spoken_token()}"
        dovecot.drop("owner", subject="New voicemail", sender=sender, body=body, folder="Junk")

    with fake_twilio([COMPLETED], on_final=junk) as fake:
        outcome = place(tmp_path, expect_notification=inbox(dovecot, sender, within="10s"))
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY), outcome
    assert "but in the junk folder (Junk)" in outcome.summary


def test_a_completed_call_without_a_voicemail_fails(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()
    with fake_twilio([{**COMPLETED, "answered_by": "human"}]):
        outcome = place(tmp_path, expect_notification=inbox(dovecot, sender))
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DELIVERY), outcome
    assert outcome.summary == (
        "test call to +15128279000 answered by a person, 14s long; "
        f"no voicemail notification from {sender} arrived within 1s "
        "(a person answered, so no voicemail was left)"
    )
    assert outcome.details["notification"]["searches"] >= 1


def test_an_inbox_that_refuses_the_login_is_reported(dovecot: Dovecot, tmp_path: Path) -> None:
    expect = inbox(dovecot, unique_sender())
    expect["imap"]["username"] = "canary"  # with the owner's password
    with fake_twilio([COMPLETED]):
        outcome = place(tmp_path, expect_notification=expect)
    assert outcome.status is Status.FAIL
    assert "the inbox for the voicemail notification cannot be checked" in outcome.summary
    assert "owner-pass" not in everything(outcome)


def test_no_secret_appears_in_any_outcome(dovecot: Dovecot, tmp_path: Path) -> None:
    error = {"code": 20003, "message": "Authenticate", "more_info": "x", "status": 401}
    outcomes = []
    for create in (httpx.Response(401, json=error), httpx.Response(500), None):
        with fake_twilio([*RINGING, COMPLETED], create=create):
            outcomes.append(place(tmp_path, expect_notification=inbox(dovecot, unique_sender())))
    for outcome in outcomes:
        shown = everything(outcome)
        for secret in (TOKEN, SID, "owner-pass"):
            assert secret not in shown
