"""The ``imap`` check against a real Dovecot on 127.0.0.1 (see tests/servers/dovecot.py).

Dovecot's certificate comes from a throw-away CA handed to the probe through
``settings.tls.ca_bundle``; passwords come from the environment, as in an inventory.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import trustme
from pydantic import ValidationError

from freecost.probes import imap
from freecost.probes.registry import check_types
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import run_probe

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

# The session's Dovecot comes from this plugin, which pytest imports (and rewrites) itself.
pytest_plugins = ("tests.servers.dovecot",)

PASSWORD = "canary-pass"


@pytest.fixture(autouse=True)
def password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IMAP_PASSWORD", PASSWORD)


def check(server: Dovecot, base: Path, *, ca_bundle: Path | None = None, **spec: Any) -> Outcome:
    """Run an imap check as user ``canary`` against the test Dovecot, trusting its CA."""
    spec.setdefault("tls", "implicit")
    spec.setdefault("port", server.tls_port if spec["tls"] == "implicit" else server.port)
    full = {
        "type": "imap",
        "host": server.host,
        "username": "canary",
        "password": "${IMAP_PASSWORD}",
        **spec,
    }
    return run_probe(imap, full, base, tls={"ca_bundle": str(ca_bundle or server.ca_bundle)})


def everything(outcome: Outcome) -> str:
    return outcome.summary + json.dumps(dict(outcome.details), default=str)


# --- logging in ---


def test_implicit_tls_logs_in_and_counts_the_inbox(dovecot: Dovecot, tmp_path: Path) -> None:
    before = len(dovecot.messages("canary"))
    outcome = check(dovecot, tmp_path)
    assert outcome.status is Status.OK, outcome
    assert outcome.summary.startswith("canary logged in over TLS; INBOX holds ")
    details = outcome.details
    assert details["tls"] == "implicit"
    assert details["tls_version"] in ("TLSv1.2", "TLSv1.3")
    assert details["port"] == dovecot.tls_port
    assert details["messages"] == before
    for timing in ("connect_ms", "tls_ms", "login_ms", "select_ms", "total_ms"):
        assert isinstance(details[timing], float)


def test_starttls_logs_in(dovecot: Dovecot, tmp_path: Path) -> None:
    outcome = check(dovecot, tmp_path, tls="starttls")
    assert outcome.status is Status.OK, outcome
    assert "logged in over STARTTLS" in outcome.summary
    assert outcome.details["tls_version"] in ("TLSv1.2", "TLSv1.3")


def test_plain_imap_logs_in_and_says_it_is_unencrypted(dovecot: Dovecot, tmp_path: Path) -> None:
    outcome = check(dovecot, tmp_path, tls="none")
    assert outcome.status is Status.OK, outcome
    assert "logged in without encryption" in outcome.summary
    assert "tls_ms" not in outcome.details


def test_the_message_count_follows_the_inbox(dovecot: Dovecot, tmp_path: Path) -> None:
    dovecot.drop("owner", subject="one")
    dovecot.drop("owner", subject="two")
    count = len(dovecot.messages("owner"))
    outcome = check(dovecot, tmp_path, username="owner", password="${OWNER_PASSWORD}")
    assert outcome.status is Status.ERROR  # the variable is not set yet
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OWNER_PASSWORD", dovecot.users["owner"])
        outcome = check(dovecot, tmp_path, username="owner", password="${OWNER_PASSWORD}")
    assert outcome.status is Status.OK, outcome
    assert outcome.details["messages"] == count
    assert f"INBOX holds {count} messages" in outcome.summary


def test_the_user_name_may_come_from_the_environment(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAP_USER", "canary")
    outcome = check(dovecot, tmp_path, username="${IMAP_USER}")
    assert outcome.status is Status.OK, outcome
    assert outcome.summary.startswith("canary logged in")


# --- failures ---


def test_a_wrong_password_fails_at_the_protocol_and_is_never_shown(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = "Wrong-Password-7319"
    monkeypatch.setenv("IMAP_PASSWORD", wrong)
    outcome = check(dovecot, tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == "the IMAP server refused the login for canary"
    assert "AUTHENTICATIONFAILED" in outcome.details["reply"]
    assert wrong not in everything(outcome)
    assert PASSWORD not in everything(outcome)


def test_a_missing_password_is_an_error_naming_the_variable(
    dovecot: Dovecot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IMAP_PASSWORD")
    outcome = check(dovecot, tmp_path)
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == "environment variable IMAP_PASSWORD is not set"


def test_a_password_file_works(dovecot: Dovecot, tmp_path: Path) -> None:
    (tmp_path / "imap-password").write_text(PASSWORD + "\n")
    outcome = check(dovecot, tmp_path, password="file:imap-password")
    assert outcome.status is Status.OK, outcome


def test_a_certificate_from_an_unknown_authority_fails_at_tls(
    dovecot: Dovecot, tmp_path: Path
) -> None:
    stranger = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(stranger))
    for mode in ("implicit", "starttls"):
        outcome = check(dovecot, tmp_path, ca_bundle=stranger, tls=mode)
        assert outcome.status is Status.FAIL, mode
        assert outcome.layer is Layer.TLS
        assert outcome.summary.startswith("certificate is not trusted"), outcome.summary
        assert "login_ms" not in outcome.details


def test_tls_on_a_plain_port_fails_at_tls(dovecot: Dovecot, tmp_path: Path) -> None:
    outcome = check(dovecot, tmp_path, tls="implicit", port=dovecot.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.details["port"] == dovecot.port


def test_a_closed_port_fails_at_connect(dovecot: Dovecot, tmp_path: Path) -> None:
    with socket.socket() as spare:
        spare.bind(("127.0.0.1", 0))
        port = spare.getsockname()[1]
    outcome = check(dovecot, tmp_path, tls="none", port=port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT
    assert outcome.summary == f"127.0.0.1 refused the connection on port {port}"


def test_an_unknown_host_fails_at_dns(dovecot: Dovecot, tmp_path: Path) -> None:
    outcome = check(dovecot, tmp_path, host="no-such-host.invalid")
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS


# --- the check's parameters ---


def test_imap_is_a_registered_check_type() -> None:
    assert check_types()["imap"] is imap.Check


def test_default_ports_follow_the_tls_mode() -> None:
    base = {"id": "box", "type": "imap", "host": "IMAP.Example.com", "username": "me"}
    implicit = imap.Check.model_validate({**base, "password": "${P}"})
    assert (implicit.host, implicit.effective_port, implicit.target()) == (
        "imap.example.com",
        993,
        "imap.example.com",
    )
    starttls = imap.Check.model_validate({**base, "password": "${P}", "tls": "STARTTLS"})
    assert (starttls.tls, starttls.effective_port) == ("starttls", 143)


def test_a_written_password_is_refused_without_repeating_it() -> None:
    with pytest.raises(ValidationError) as caught:
        imap.Check.model_validate(
            {"id": "box", "type": "imap", "host": "h", "username": "me", "password": "hunter22"}
        )
    messages = [error["msg"] for error in caught.value.errors()]
    assert messages == [
        "a secret must not be written in the inventory: name an environment variable "
        "as ${NAME} or a file as file:PATH"
    ]


@pytest.mark.parametrize("mode", [True, "ssl", "tls"])
def test_an_unknown_tls_mode_names_the_choices(mode: object) -> None:
    with pytest.raises(ValidationError) as caught:
        imap.Check.model_validate(
            {
                "id": "box",
                "type": "imap",
                "host": "h",
                "username": "me",
                "password": "${P}",
                "tls": mode,
            }
        )
    (error,) = caught.value.errors()
    assert error["loc"] == ("tls",)
    assert "use implicit (TLS from the first byte, port 993), starttls" in error["msg"]
