"""Sending a canary message with :mod:`freecost.probes.mailsend` to aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import socket
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freecost.inventory import Settings
from freecost.probes import mailsend
from freecost.probes.canary import TOKEN_HEADER, text_token
from freecost.probes.context import ProbeContext
from freecost.probes.tcp import Stop
from freecost.results import Layer, Outcome, Status
from tests.servers.smtp_server import (
    MailCertificates,
    make_mail_certificates,
    serve_smtp,
    server_tls,
)

PASSWORD = "correct-horse-battery-staple"
USERS = {"canary@example.com": PASSWORD}
NOW = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> MailCertificates:
    return make_mail_certificates(tmp_path_factory.mktemp("mail-certificates"))


def server(port: int, **fields: Any) -> mailsend.SmtpServer:
    spec = {"host": "127.0.0.1", "port": port, "from": "canary@example.com", **fields}
    return mailsend.SmtpServer.model_validate(spec)


def login(**fields: Any) -> dict[str, Any]:
    return {"username": "canary@example.com", "password": "${SMTP_PASSWORD}", **fields}


def message(token: str, to: str = "owner@example.com") -> Any:
    return mailsend.canary_message(
        "canary@example.com", to, token, "freecost canary", "Please ignore.", NOW, "example.com"
    )


def deliver(
    certs: MailCertificates,
    base: Path,
    smtp: mailsend.SmtpServer,
    mail: Any,
    *,
    environ: dict[str, str] | None = None,
    timeout: float | None = None,
) -> mailsend.Sent | Outcome:
    """Send once; the Sent, or the outcome of the Stop it raised."""
    settings = Settings.model_validate(
        {"vantage": {"control": []}, "tls": {"ca_bundle": str(certs.bundle)}}
    )
    env = {"SMTP_PASSWORD": PASSWORD} if environ is None else environ

    async def go() -> mailsend.Sent | Outcome:
        async with ProbeContext(settings=settings, base_dir=base, environ=env) as ctx:
            async with asyncio.timeout(10):
                try:
                    return await mailsend.send(ctx, smtp, mail, timeout=timeout)
                except Stop as stop:
                    caught = stop
        # The exception's own text is the summary: nothing more, so no secret either.
        assert str(caught) == caught.outcome.summary
        return caught.outcome

    return asyncio.run(go())


def sent(result: mailsend.Sent | Outcome) -> mailsend.Sent:
    assert isinstance(result, mailsend.Sent), result
    return result


def stopped(result: mailsend.Sent | Outcome) -> Outcome:
    assert isinstance(result, Outcome), result
    return result


# --- the message ---


def test_the_canary_message_carries_its_token_three_ways() -> None:
    token = text_token()
    mail = message(token)
    assert mail["Subject"] == f"freecost canary {token}"
    assert mail[TOKEN_HEADER] == token
    assert mail["Message-ID"] == f"<{token}@example.com>"
    assert parsedate_to_datetime(mail["Date"]) == NOW
    assert mail["From"] == "canary@example.com"
    assert mail["To"] == "owner@example.com"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail.get_content().strip() == "Please ignore."


def test_a_subject_that_already_holds_the_token_is_kept() -> None:
    mail = mailsend.canary_message(
        "a@example.com", "b@example.com", "freecost-1", "check freecost-1", "", NOW, "example.com"
    )
    assert mail["Subject"] == "check freecost-1"


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        mailsend.canary_message(
            "a@x.example", "b@x.example", "t", "s", "b", datetime(2026, 1, 1), "x"
        )


# --- sending ---


def test_starttls_and_login_deliver_the_message(certs: MailCertificates, tmp_path: Path) -> None:
    token = text_token()
    with serve_smtp(tls=server_tls(certs.valid), users=USERS) as mail_server:
        smtp = server(mail_server.port, **login())
        result = sent(deliver(certs, tmp_path, smtp, message(token)))
    assert mail_server.logins == ["canary@example.com"]
    [arrived] = mail_server.inbox
    assert arrived.sender == "canary@example.com"
    assert arrived.recipients == ("owner@example.com",)
    assert token in arrived.message["Subject"]
    assert arrived.message[TOKEN_HEADER] == token
    assert arrived.message["Message-ID"] == f"<{token}@example.com>"
    assert result.message_id == f"<{token}@example.com>"
    assert result.server == f"127.0.0.1:{mail_server.port}"
    assert result.tls == "starttls"
    assert "queued as TEST1" in result.reply
    assert result.accepted_at.tzinfo is not None
    assert result.details()["message_id"] == result.message_id


def test_a_wrong_password_fails_without_showing_it(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(tls=server_tls(certs.valid), users=USERS) as mail_server:
        smtp = server(mail_server.port, **login())
        wrong = "not-the-password-123"
        outcome = stopped(
            deliver(certs, tmp_path, smtp, message(text_token()), environ={"SMTP_PASSWORD": wrong})
        )
    # Each login method the server offers is tried (PLAIN, then LOGIN), and each refused.
    assert set(mail_server.failed_logins) == {"canary@example.com"}
    assert not mail_server.inbox
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == "the SMTP server refused the login for canary@example.com"
    assert outcome.details["reply"].startswith("535")
    assert wrong not in repr(outcome)
    assert PASSWORD not in repr(outcome)
    assert wrong not in repr(smtp)


def test_the_hider_blanks_the_password_and_its_login_forms() -> None:
    hide = mailsend._Hider("user", "pw-secret")
    echoed = "bad pw-secret cHctc2VjcmV0 AHVzZXIAcHctc2VjcmV0 end"
    assert hide(echoed) == "bad [hidden] [hidden] [hidden] end"


def test_a_missing_password_is_an_error_of_this_machine(
    certs: MailCertificates, tmp_path: Path
) -> None:
    smtp = server(1, **login())  # never contacted: the secret is read first
    outcome = stopped(deliver(certs, tmp_path, smtp, message(text_token()), environ={}))
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == "SMTP login: environment variable SMTP_PASSWORD is not set"


def test_a_username_may_be_read_from_the_environment(
    certs: MailCertificates, tmp_path: Path
) -> None:
    env = {"SMTP_PASSWORD": PASSWORD, "SMTP_USER": "canary@example.com"}
    with serve_smtp(tls=server_tls(certs.valid), users=USERS) as mail_server:
        smtp = server(mail_server.port, **login(username="${SMTP_USER}"))
        sent(deliver(certs, tmp_path, smtp, message(text_token()), environ=env))
    assert mail_server.logins == ["canary@example.com"]


def test_plain_mode_delivers_to_a_local_relay(certs: MailCertificates, tmp_path: Path) -> None:
    token = text_token()
    with serve_smtp() as mail_server:
        result = sent(
            deliver(certs, tmp_path, server(mail_server.port, tls="none"), message(token))
        )
    assert result.tls == "none"
    assert mail_server.inbox[0].message[TOKEN_HEADER] == token


def test_implicit_tls_with_login_delivers(certs: MailCertificates, tmp_path: Path) -> None:
    token = text_token()
    with serve_smtp(tls=server_tls(certs.valid), implicit=True, users=USERS) as mail_server:
        smtp = server(mail_server.port, tls="implicit", **login())
        result = sent(deliver(certs, tmp_path, smtp, message(token)))
    assert result.tls == "implicit"
    assert mail_server.logins == ["canary@example.com"]
    assert mail_server.inbox[0].message["Message-ID"] == f"<{token}@example.com>"


def test_a_refused_recipient_fails_at_the_protocol_layer(
    certs: MailCertificates, tmp_path: Path
) -> None:
    refused = frozenset({"gone@example.com"})
    with serve_smtp(tls=server_tls(certs.valid), refuse=refused) as mail_server:
        smtp = server(mail_server.port)
        outcome = stopped(
            deliver(certs, tmp_path, smtp, message(text_token(), to="gone@example.com"))
        )
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == "the SMTP server refused the recipient gone@example.com"
    assert outcome.details["reply"].startswith("550 5.1.1")


def test_starttls_not_offered_fails(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp() as mail_server:
        outcome = stopped(deliver(certs, tmp_path, server(mail_server.port), message("t")))
    assert outcome.layer is Layer.PROTOCOL
    assert (
        outcome.summary == f"the SMTP server 127.0.0.1:{mail_server.port} does not offer STARTTLS"
    )


@pytest.mark.parametrize("implicit", [False, True])
def test_an_untrusted_certificate_fails_at_the_tls_layer(
    certs: MailCertificates, tmp_path: Path, implicit: bool
) -> None:
    tls = "implicit" if implicit else "starttls"
    with serve_smtp(tls=server_tls(certs.untrusted), implicit=implicit) as mail_server:
        smtp = server(mail_server.port, tls=tls)
        outcome = stopped(deliver(certs, tmp_path, smtp, message("t")))
    assert not mail_server.inbox
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert "certificate is not trusted" in outcome.summary


def test_a_greeting_other_than_220_fails(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(greeting=b"554 5.3.2 go away\r\n") as mail_server:
        outcome = stopped(deliver(certs, tmp_path, server(mail_server.port), message("t")))
    assert outcome.layer is Layer.PROTOCOL
    assert "greeted with 554 instead of 220" in outcome.summary
    assert outcome.details["reply"] == "554 5.3.2 go away"


def test_a_silent_server_times_out_with_the_step(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(silent=True) as mail_server:
        outcome = stopped(
            deliver(certs, tmp_path, server(mail_server.port), message("t"), timeout=0.5)
        )
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TIMEOUT
    assert "(while waiting for the greeting)" in outcome.summary


def test_a_closed_port_fails_at_the_connect_layer(certs: MailCertificates, tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        port = listener.getsockname()[1]
    outcome = stopped(deliver(certs, tmp_path, server(port), message("t")))
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT
    assert outcome.details["server"] == f"127.0.0.1:{port}"


# --- the model ---


def test_ports_default_by_tls_mode() -> None:
    spec = {"host": "smtp.example.com", "from": "a@example.com"}
    ports = {
        mode: mailsend.SmtpServer.model_validate({**spec, "tls": mode}).effective_port
        for mode in ("starttls", "implicit", "none")
    }
    assert ports == {"starttls": 587, "implicit": 465, "none": 25}
    assert mailsend.SmtpServer.model_validate(spec).sender == "a@example.com"


@pytest.mark.parametrize(
    ("fields", "text"),
    [
        ({"username": "a@example.com"}, "needs both username and password"),
        ({"password": "${P}"}, "needs both username and password"),
        ({"username": "a", "password": "hunter2"}, "must not be written in the inventory"),
        (
            {"host": "smtp.example.com", "tls": "none", "username": "a", "password": "${P}"},
            "would send the password unencrypted",
        ),
        ({"from": "not an address"}, "is not an e-mail address"),
    ],
)
def test_invalid_servers_are_explained(fields: dict[str, Any], text: str) -> None:
    spec = {"host": "smtp.example.com", "from": "a@example.com", **fields}
    with pytest.raises(ValidationError) as caught:
        mailsend.SmtpServer.model_validate(spec)
    assert text in str(caught.value)


def test_a_login_in_the_clear_is_allowed_to_this_machine() -> None:
    spec = {"host": "127.0.0.1", "from": "a@example.com", "tls": "none"}
    assert mailsend.SmtpServer.model_validate({**spec, "username": "a", "password": "${P}"})
