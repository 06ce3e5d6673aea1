"""The ``email-roundtrip`` check against real servers: an aiosmtpd relay (STARTTLS or TLS from
the first byte, with AUTH) that delivers into the session's Dovecot, searched over IMAP."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import ValidationError

from freecost.durations import format_duration
from freecost.inventory import Settings
from freecost.probes import roundtrip
from freecost.probes.canary import TOKEN_HEADER, TOKEN_PREFIX
from freecost.probes.context import ProbeContext
from freecost.probes.mailbox import Found
from freecost.probes.mailsend import Sent
from freecost.probes.registry import check_types
from freecost.results import Layer, Outcome, Status
from tests.servers.relay import Relay, Route, relay_tls, serve_relay

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

# The session's Dovecot comes from this plugin, which pytest imports (and rewrites) itself.
pytest_plugins = ("tests.servers.dovecot",)

USER = "owner"
TO = "owner@example.com"
SENDER = "canary@example.com"
SMTP_PASSWORD = "smtp-pass-7c1e9d"
IMAP_PASSWORD = "owner-pass"
ENV = {"SMTP_USER": SENDER, "SMTP_PASSWORD": SMTP_PASSWORD, "IMAP_PASSWORD": IMAP_PASSWORD}
SECRETS = (SMTP_PASSWORD, IMAP_PASSWORD)


@pytest.fixture(scope="module")
def starttls_relay(dovecot: Dovecot) -> Iterator[Relay]:
    tls = relay_tls(dovecot.ca)
    with serve_relay(dovecot, USER, users={SENDER: SMTP_PASSWORD}, tls=tls) as relay:
        yield relay


@pytest.fixture
def relay(starttls_relay: Relay) -> Relay:
    starttls_relay.reset()
    return starttls_relay


def spec(relay: Relay, dovecot: Dovecot, **fields: Any) -> dict[str, Any]:
    smtp = {
        "host": "127.0.0.1",
        "port": relay.port,
        "tls": "starttls",
        "username": "${SMTP_USER}",
        "password": "${SMTP_PASSWORD}",
        "from": SENDER,
        **fields.pop("smtp", {}),
    }
    imap = {
        "host": dovecot.host,
        "port": dovecot.tls_port,
        "tls": "implicit",
        "username": USER,
        "password": "${IMAP_PASSWORD}",
        **fields.pop("imap", {}),
    }
    base = {"id": "loop", "type": "email-roundtrip", "to": TO, "within": "5s"}
    return {**base, "warn_after": "2s", "smtp": smtp, "imap": imap, **fields}


def run(
    relay: Relay, dovecot: Dovecot, tmp_path: Path, env: dict[str, str] = ENV, **fields: Any
) -> Outcome:
    """One run of the check, searching every 50 ms; asserts no secret shows in the outcome."""
    check = roundtrip.Check.model_validate(spec(relay, dovecot, **fields))
    settings = Settings.model_validate(
        {"vantage": {"control": []}, "tls": {"ca_bundle": str(dovecot.ca_bundle)}}
    )

    async def go() -> Outcome:
        async with ProbeContext(settings=settings, base_dir=tmp_path, environ=env) as ctx:
            async with asyncio.timeout(30):
                return await roundtrip.round_trip(check, ctx, poll_every=0.05)

    outcome = asyncio.run(go())
    shown = outcome.summary + json.dumps(outcome.details, default=str)
    for secret in SECRETS:
        assert secret not in shown
    return outcome


def stored(dovecot: Dovecot, token: str, folder: str = "INBOX") -> int:
    """How many messages in ``folder`` still hold ``token``."""
    return sum(token in message.as_string() for message in dovecot.messages(USER, folder))


def forget(dovecot: Dovecot, marker: str) -> None:
    """Remove a test's own leftover messages, so later tests see a tidy mailbox."""
    for folder in ("INBOX", "Junk"):
        for sub in ("new", "cur"):
            for path in (dovecot.maildir(USER, folder) / sub).iterdir():
                if marker.encode() in path.read_bytes():
                    path.unlink()


# --- arriving --------------------------------------------------------------------------------


def test_a_message_in_the_inbox_is_ok_and_deleted(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    outcome = run(relay, dovecot, tmp_path)
    assert outcome.status is Status.OK, outcome.summary
    latency = outcome.details["latency_s"]
    assert outcome.summary == f"the test message reached {TO}'s inbox in {latency:.0f} s"
    token = outcome.details["token"]
    assert token.startswith(TOKEN_PREFIX)
    [message] = relay.accepted
    assert message[TOKEN_HEADER] == token
    assert token in message["Subject"]
    assert message["Message-ID"] == f"<{token}@example.com>"
    assert relay.logins == [SENDER]  # the user name came from ${SMTP_USER}
    details = outcome.details
    assert details["message_id"] == message["Message-ID"]
    assert (details["folder"], details["junk"], details["deleted"]) == ("INBOX", False, True)
    assert details["smtp_server"] == f"127.0.0.1:{relay.port}"
    assert details["imap_server"] == f"{dovecot.host}:{dovecot.tls_port}"
    assert datetime.fromisoformat(details["received_at"]).tzinfo is not None
    assert datetime.fromisoformat(details["accepted_at"]).tzinfo is not None
    assert "queued as RELAY1" in details["smtp_reply"]
    assert stored(dovecot, token) == 0


def test_a_message_that_shows_up_later_is_waited_for(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    relay.route = Route(delay=0.3)
    outcome = run(relay, dovecot, tmp_path)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.details["searches"] > 1
    assert stored(dovecot, outcome.details["token"]) == 0


def test_a_message_in_junk_warns_and_is_deleted_from_junk(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    relay.route = Route(folder="Junk")
    outcome = run(relay, dovecot, tmp_path)
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY)
    latency = outcome.details["latency_s"]
    assert outcome.summary == (
        f"the test message landed in Junk after {latency:.0f} s: customers' mail may be "
        "filtered too"
    )
    assert (outcome.details["folder"], outcome.details["junk"]) == ("Junk", True)
    assert outcome.details["deleted"] is True
    assert stored(dovecot, outcome.details["token"], "Junk") == 0


def test_a_message_slower_than_warn_after_warns_and_is_deleted(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    # The mail store says it filed the message three minutes after the relay accepted it.
    relay.route = Route(lag=timedelta(minutes=3))
    outcome = run(relay, dovecot, tmp_path, within="10m", warn_after="2m")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DELIVERY)
    latency = outcome.details["latency_s"]
    assert latency > 120
    took = format_duration(timedelta(seconds=latency))
    assert outcome.summary == (
        f"the test message reached {TO}'s inbox, but only after {took} (more than the 2m warning)"
    )
    assert outcome.details["deleted"] is True
    assert stored(dovecot, outcome.details["token"]) == 0


def test_a_lost_message_fails_at_delivery(relay: Relay, dovecot: Dovecot, tmp_path: Path) -> None:
    relay.route = Route(deliver=False)
    outcome = run(relay, dovecot, tmp_path, within="1s", warn_after="500ms")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DELIVERY)
    accepted = datetime.fromisoformat(outcome.details["accepted_at"]).astimezone(UTC)
    assert outcome.summary == (
        f"no test message arrived within 1s (sent {accepted:%H:%M:%S} UTC via "
        f"127.0.0.1:{relay.port})"
    )
    assert len(relay.accepted) == 1
    assert outcome.details["searches"] >= 1
    assert "deleted" not in outcome.details


def test_another_run_s_message_is_never_matched(
    relay: Relay, dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = "freecost-0123456789abcdef"
    monkeypatch.setattr(roundtrip, "text_token", lambda: token)
    marker = "an-older-run"
    # An older run's message, and one whose token header only contains this run's token
    # (IMAP's HEADER search matches it): neither is this run's message.
    dovecot.drop(USER, subject=f"freecost test message {marker}", headers={TOKEN_HEADER: "x"})
    dovecot.drop(
        USER, subject=f"freecost test message {token} {marker}", headers={TOKEN_HEADER: token + "0"}
    )
    relay.route = Route(deliver=False)
    try:
        outcome = run(relay, dovecot, tmp_path, within="1s", warn_after="500ms")
        assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DELIVERY)
        assert stored(dovecot, marker) == 2  # nobody else's message is deleted
    finally:
        forget(dovecot, marker)


@pytest.mark.parametrize(("smtp_tls", "imap_tls"), [("implicit", "starttls"), ("none", "none")])
def test_other_tls_modes_work_alike(
    dovecot: Dovecot, tmp_path: Path, smtp_tls: str, imap_tls: str
) -> None:
    tls = None if smtp_tls == "none" else relay_tls(dovecot.ca)
    users = {SENDER: SMTP_PASSWORD}
    with serve_relay(dovecot, USER, users=users, tls=tls, implicit=tls is not None) as relay:
        outcome = run(
            relay,
            dovecot,
            tmp_path,
            smtp={"tls": smtp_tls},
            imap={"tls": imap_tls, "port": dovecot.port},
        )
    assert outcome.status is Status.OK, outcome.summary
    assert relay.logins == [SENDER]
    assert stored(dovecot, outcome.details["token"]) == 0


# --- not sending -----------------------------------------------------------------------------


def test_a_wrong_smtp_password_fails_without_waiting(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    env = {**ENV, "SMTP_PASSWORD": "wrong-smtp-pass"}
    outcome = run(relay, dovecot, tmp_path, env=env)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.PROTOCOL)
    assert outcome.summary == (
        f"the test message could not be sent: the SMTP server refused the login for {SENDER}"
    )
    assert set(relay.failed_logins) == {SENDER}  # aiosmtplib tries PLAIN, then LOGIN
    assert relay.connections == 1
    assert relay.accepted == []
    assert "searches" not in outcome.details
    assert outcome.details["smtp"]["step"] == "logging in"
    assert "wrong-smtp-pass" not in outcome.summary + json.dumps(outcome.details)


def test_a_refused_imap_login_fails_and_sends_nothing(
    relay: Relay, dovecot: Dovecot, tmp_path: Path
) -> None:
    env = {**ENV, "IMAP_PASSWORD": "wrong-imap-pass"}
    outcome = run(relay, dovecot, tmp_path, env=env)
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.PROTOCOL)
    assert outcome.summary == (
        "the mailbox cannot be checked, so no test message was sent: "
        f"the IMAP server refused the login for {USER}"
    )
    assert relay.connections == 0
    assert relay.accepted == []
    assert "wrong-imap-pass" not in outcome.summary + json.dumps(outcome.details)


@pytest.mark.parametrize("missing", ["SMTP_PASSWORD", "SMTP_USER", "IMAP_PASSWORD"])
def test_a_missing_secret_is_an_error_and_sends_nothing(
    relay: Relay, dovecot: Dovecot, tmp_path: Path, missing: str
) -> None:
    env = {name: value for name, value in ENV.items() if name != missing}
    outcome = run(relay, dovecot, tmp_path, env=env)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == (
        "the round trip cannot run, so no test message was sent: "
        f"environment variable {missing} is not set"
    )
    assert relay.connections == 0


# --- latency ---------------------------------------------------------------------------------

ACCEPTED = datetime(2026, 5, 4, 14, 3, 12, 600000, tzinfo=UTC)


def found(internaldate: datetime | None, **headers: str) -> Found:
    return Found(
        folder="INBOX",
        junk=False,
        uid="1",
        received_at=internaldate,
        sent_at=ACCEPTED - timedelta(seconds=30),
        sender=SENDER,
        subject="freecost test message",
        text="",
        headers=headers,
    )


def test_latency_is_arrival_minus_acceptance_in_whole_seconds() -> None:
    sent = Sent("<t@example.com>", ACCEPTED, "smtp.example.com:587", "starttls")
    # INTERNALDATE has whole seconds: 14:03:16 is 3.4 s after 14:03:12.6.
    filed = datetime(2026, 5, 4, 14, 3, 16, tzinfo=UTC)
    assert roundtrip.latency(found(filed), sent) == timedelta(seconds=3)
    # That rounding (or the store's clock) may put the arrival before the acceptance.
    assert roundtrip.latency(found(ACCEPTED - timedelta(seconds=2)), sent) == timedelta(0)


def test_without_internaldate_the_topmost_received_header_is_the_arrival() -> None:
    sent = Sent("<t@example.com>", ACCEPTED, "smtp.example.com:587", "starttls")
    received = "from relay by mx.example.com; Mon, 04 May 2026 14:03:40 +0000"
    assert roundtrip.latency(found(None, received=received), sent) == timedelta(seconds=27)
    assert roundtrip.latency(found(None), sent) is None
    assert roundtrip.latency(found(None, received="from relay; not a date"), sent) is None


def test_only_an_exact_token_header_is_this_run_s() -> None:
    assert roundtrip.carries(found(None, **{"x-freecost-token": " freecost-1 "}), "freecost-1")
    assert not roundtrip.carries(found(None, **{"x-freecost-token": "freecost-12"}), "freecost-1")
    assert not roundtrip.carries(found(None), "freecost-1")


# --- parameters ------------------------------------------------------------------------------

SMTP = {"host": "smtp.example.com", "username": SENDER, "password": "${P}", "from": SENDER}
IMAP = {"host": "imap.example.com", "username": "owner", "password": "${Q}"}


def check(**fields: Any) -> roundtrip.Check:
    base = {"id": "loop", "type": "email-roundtrip", "to": TO, "smtp": SMTP, "imap": IMAP}
    return roundtrip.Check.model_validate({**base, **fields})


def test_the_type_is_registered() -> None:
    assert check_types()["email-roundtrip"] is roundtrip.Check


def test_defaults() -> None:
    parsed = check()
    assert (parsed.within, parsed.warn_after) == (timedelta(minutes=10), timedelta(minutes=2))
    assert parsed.timeout == timedelta(minutes=11)  # the wait, plus room to send and clean up
    assert parsed.smtp.tls == "starttls"
    assert parsed.smtp.effective_port == 587
    assert parsed.imap.effective_port == 993
    assert parsed.target() == "imap.example.com"
    assert check(within="5m").timeout == timedelta(minutes=6)
    assert check(timeout="15m").timeout == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (
            {"timeout": "5m"},
            "timeout 5m is too short: the wait for the test message alone can take 10m; "
            "leave timeout out to get 11m, or make it longer",
        ),
        ({"warn_after": "10m"}, "warn_after (10m) must be shorter than within (10m)"),
        ({"to": "owner"}, "'owner' is not an e-mail address"),
        ({"smtp": {**SMTP, "password": "hunter2"}}, "a secret must not be written"),
        ({"imap": {**IMAP, "password": "hunter2"}}, "a secret must not be written"),
        ({"smtp": {**SMTP, "tls": "none"}}, "tls: none would send the password unencrypted"),
        ({"within": "soon"}, "'soon' is not a duration"),
    ],
)
def test_parameter_errors_are_clear(fields: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        check(**fields)
    [error] = raised.value.errors()
    assert message in error["msg"]
    assert "hunter2" not in error["msg"]
