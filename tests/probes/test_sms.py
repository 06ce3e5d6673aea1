"""The ``sms`` check: a fake Twilio API (respx) and, for the forwarded text, the session's
real Dovecot on 127.0.0.1 (see tests/servers/dovecot.py)."""

from __future__ import annotations

import asyncio
import json
import secrets
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from freecost.probes import sms
from freecost.probes.registry import check_types
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context
from tests.telephony.fake import ENVIRONMENT, FAST, SID, TOKEN, fake_twilio, provider_fields

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

pytest_plugins = ("tests.servers.dovecot",)

SENDING = [{"status": "queued"}, {"status": "sending"}, {"status": "sent"}]
DELIVERED = {"status": "delivered", "price": "-0.00790", "price_unit": "USD", "num_segments": "1"}


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**ENVIRONMENT, "TEST_IMAP_PASSWORD": "owner-pass"}.items():
        monkeypatch.setenv(name, value)


def send(base: Path, window: timedelta = sms.STATUS_WINDOW, **spec: Any) -> Outcome:
    check = sms.Check.model_validate({"id": "t", "type": "sms", **provider_fields(), **spec})

    async def go() -> Outcome:
        async with make_context(base) as ctx, asyncio.timeout(30):
            return await sms.text(check, ctx, FAST, window)

    return asyncio.run(go())


def inbox(server: Dovecot, sender: str, **extra: Any) -> dict[str, Any]:
    imap = {
        "host": server.host,
        "port": server.port,
        "tls": "none",
        "username": "owner",
        "password": "${TEST_IMAP_PASSWORD}",
    }
    return {"imap": imap, "from": sender, "within": "1s", **extra}


def unique_sender() -> str:
    return f"15128279000.15005550006.{secrets.token_hex(4)}@txt.voice.google.com"


def test_the_type_is_registered_and_due_daily() -> None:
    check = check_types()["sms"].model_validate({"id": "t", "type": "sms", **provider_fields()})
    assert isinstance(check, sms.Check)
    assert check.every == timedelta(days=1)
    assert check.timeout == timedelta(minutes=3)


def test_a_delivered_text_is_ok_with_its_cost(tmp_path: Path) -> None:
    with fake_twilio([*SENDING, DELIVERED]) as fake:
        outcome = send(tmp_path)
    assert outcome.status is Status.OK, outcome
    assert outcome.summary == "test text to +15128279000 delivered"
    token = outcome.details["token"]
    assert token.startswith("freecost-")
    assert fake.created[-1]["Body"] == f"freecost test {token}: please ignore"
    assert outcome.details["cost"] == "0.00790 USD"
    assert outcome.details["segments"] == 1


@pytest.mark.parametrize(
    ("status", "layer", "word"),
    [("undelivered", Layer.DELIVERY, "undelivered"), ("failed", Layer.VENDOR, "failed")],
)
def test_an_undelivered_text_fails_with_the_error_code(
    tmp_path: Path, status: str, layer: Layer, word: str
) -> None:
    final = {"status": status, "error_code": 30003, "error_message": "Unreachable handset"}
    with fake_twilio([*SENDING, final]):
        outcome = send(tmp_path)
    assert (outcome.status, outcome.layer) == (Status.FAIL, layer)
    assert outcome.summary == (
        f"the test text to +15128279000 was not delivered (Twilio: {word}): "
        "error 30003 (Unreachable handset)"
    )
    assert outcome.details["error_code"] == 30003


def test_a_text_the_carrier_never_confirms_warns(tmp_path: Path) -> None:
    with fake_twilio(SENDING):
        outcome = send(tmp_path, timedelta(milliseconds=50))
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY)
    assert outcome.summary == (
        "test text to +15128279000 sent, but the carrier did not confirm delivery within 50ms"
    )


def test_a_text_still_queued_fails_at_the_vendor(tmp_path: Path) -> None:
    with fake_twilio([{"status": "queued"}]):
        outcome = send(tmp_path, timedelta(milliseconds=50))
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)
    assert outcome.summary == "Twilio still had the test text 'queued' after 50ms"


def test_a_refused_number_is_an_error(tmp_path: Path) -> None:
    body = {"code": 21614, "message": "'To' number is not a valid mobile number", "status": 400}
    with fake_twilio([], create=httpx.Response(400, json=body)):
        outcome = send(tmp_path)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.CONFIG)
    assert outcome.summary == (
        "Twilio refused the text: 'To' number is not a valid mobile number (21614, HTTP 400)"
    )


def test_the_forwarded_text_with_the_token_is_ok(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()

    def forwarded(created: dict[str, str]) -> None:
        dovecot.drop(
            "owner",
            subject="New text message from (512) 827-9000",
            sender=sender,
            body=f"{created['Body'].upper()}\nYOUR ACCOUNT\n",
        )

    with fake_twilio([*SENDING, DELIVERED], on_final=forwarded):
        outcome = send(tmp_path, expect_notification=inbox(dovecot, sender, within="10s"))
    assert outcome.status is Status.OK, outcome
    assert outcome.summary.startswith(
        "test text to +15128279000 delivered; the text notification arrived"
    )


def test_another_text_without_the_token_warns(dovecot: Dovecot, tmp_path: Path) -> None:
    sender = unique_sender()

    def other(created: dict[str, str]) -> None:
        dovecot.drop("owner", subject="New text message", sender=sender, body="call me\n")

    with fake_twilio([DELIVERED], on_final=other):
        outcome = send(tmp_path, expect_notification=inbox(dovecot, sender))
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY), outcome
    assert outcome.summary.endswith(
        "a forwarded text arrived, but not the test text with its token"
    )


def test_a_delivered_text_that_never_reaches_the_inbox_fails(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    sender = unique_sender()
    with fake_twilio([DELIVERED]):
        outcome = send(tmp_path, expect_notification=inbox(dovecot, sender))
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DELIVERY), outcome
    assert outcome.summary == (
        f"test text to +15128279000 delivered; no text notification from {sender} arrived within 1s"
    )


def test_no_secret_appears_in_any_outcome(dovecot: Dovecot, tmp_path: Path) -> None:
    error = {"code": 20003, "message": "Authenticate", "status": 401}
    for create in (httpx.Response(401, json=error), httpx.Response(503), None):
        with fake_twilio([DELIVERED], create=create):
            outcome = send(tmp_path, expect_notification=inbox(dovecot, unique_sender()))
        shown = outcome.summary + repr(outcome) + json.dumps(dict(outcome.details), default=str)
        for secret in (TOKEN, SID, "owner-pass"):
            assert secret not in shown
