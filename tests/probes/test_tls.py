"""The ``tls`` check against real TLS, SMTP and IMAP servers on 127.0.0.1.

Certificates come from a throw-away CA whose bundle is handed to the probe through
``settings.tls.ca_bundle``; the system trust store never sees it.
"""

from __future__ import annotations

import json
import re
import socket
import ssl
import threading
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from freecost.probes import tls, tlsinfo
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import run_probe
from tests.servers.tls_server import (
    Certificates,
    idle,
    imap,
    make_certificates,
    not_tls,
    sends,
    serve,
    serve_blocking_tls,
    server_context,
    smtp,
    stalled,
)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certificates"))


def check(certs: Certificates, base: Path, port: int, **spec: Any) -> Outcome:
    """Run a tls check against 127.0.0.1:port, trusting the test CA."""
    spec.setdefault("host", "127.0.0.1")
    return run_probe(
        tls, {"type": "tls", "port": port, **spec}, base, tls={"ca_bundle": str(certs.bundle)}
    )


def serving(chain: Path, **options: Any) -> Any:
    """A TLS server that presents ``chain`` and then waits for the probe to leave."""
    return serve(idle, ssl_context=server_context(chain, **options))


def date_of(outcome: Outcome) -> str:
    return str(outcome.details["not_after"])[:10]


# --- the certificate, over TLS from the first byte ---


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_valid_certificate_is_ok_and_described(
    certs: Certificates, tmp_path: Path, host: str
) -> None:
    with serving(certs.valid) as port:
        outcome = check(certs, tmp_path, port, host=host)
    assert outcome.status is Status.OK
    assert outcome.layer is None
    assert outcome.summary == (
        f"certificate expires in 90 days ({date_of(outcome)}), issued by trustme v{_trustme()}; "
        "TLSv1.3"
    )
    details = outcome.details
    assert details["days_left"] == 90
    assert details["names"] == ["localhost", "127.0.0.1"]
    assert details["version"] == "TLSv1.3"
    assert isinstance(details["cipher"], str)
    assert details["cipher"]
    assert "trustme" in details["issuer"]
    assert details["subject"].startswith("OU=Testing cert")
    assert details["address"] == "127.0.0.1"
    assert details["port"] == port
    assert details["starttls"] is None
    assert isinstance(details["handshake_ms"], float)
    json.dumps(details)


def _trustme() -> str:
    """trustme names its test CA after its own version."""
    return version("trustme")


def test_the_system_store_does_not_trust_the_test_ca(certs: Certificates, tmp_path: Path) -> None:
    with serving(certs.valid) as port:
        outcome = run_probe(tls, {"type": "tls", "host": "127.0.0.1", "port": port}, tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary.startswith(
        f"certificate is not trusted: its issuer (trustme v{_trustme()}) is not a known authority"
    )


def test_expiring_within_the_fail_threshold_fails(certs: Certificates, tmp_path: Path) -> None:
    with serving(certs.expiring) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == f"certificate expires in 3 days ({date_of(outcome)})"
    assert outcome.details["days_left"] == 3


@pytest.mark.parametrize(
    ("expiry", "status"),
    [({"warn": "21d", "fail": "2d"}, Status.WARN), ({"warn": "2d", "fail": "1d"}, Status.OK)],
)
def test_expiry_thresholds_are_the_checks_own(
    certs: Certificates, tmp_path: Path, expiry: dict[str, str], status: Status
) -> None:
    with serving(certs.expiring) as port:
        outcome = check(certs, tmp_path, port, expiry=expiry)
    assert outcome.status is status
    assert outcome.summary.startswith(f"certificate expires in 3 days ({date_of(outcome)})")


def test_an_expired_certificate_fails_counting_days_ago(
    certs: Certificates, tmp_path: Path
) -> None:
    with serving(certs.expired) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == f"certificate expired 3 days ago ({date_of(outcome)})"
    assert outcome.details["days_left"] == -3
    assert outcome.details["verify_code"] == 10
    assert outcome.details["names"] == ["localhost", "127.0.0.1"]


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1"])
def test_a_certificate_for_another_host_fails_naming_both(
    certs: Certificates, tmp_path: Path, host: str
) -> None:
    with serving(certs.wrong_host) as port:
        outcome = check(certs, tmp_path, port, host=host)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == f"certificate is not valid for {host}: it names other.example"
    assert outcome.details["days_left"] >= 365


def test_a_self_signed_certificate_fails(certs: Certificates, tmp_path: Path) -> None:
    with serving(certs.self_signed) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == "certificate is self-signed: no trusted authority vouches for it"
    assert outcome.details["subject"] == "CN=localhost"
    assert outcome.details["issuer"] == "CN=localhost"
    assert outcome.details["days_left"] == 89


def test_a_certificate_from_an_unknown_ca_fails_naming_the_issuer(
    certs: Certificates, tmp_path: Path
) -> None:
    with serving(certs.unknown_ca) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        f"certificate is not trusted: its issuer (trustme v{_trustme()}) is not a known "
        "authority, or the server does not send its intermediate certificate"
    )
    assert outcome.details["verify_code"] == 20


# --- the protocol ---


def test_a_protocol_older_than_min_version_warns(certs: Certificates, tmp_path: Path) -> None:
    with serving(certs.valid, maximum_version=ssl.TLSVersion.TLSv1_2) as port:
        strict = check(certs, tmp_path, port, min_version="TLSv1.3")
        default = check(certs, tmp_path, port)
    assert strict.status is Status.WARN
    assert strict.layer is Layer.TLS
    assert strict.summary == "the server uses TLSv1.2, older than TLSv1.3"
    assert strict.details["version"] == "TLSv1.2"
    assert default.status is Status.OK


def test_warnings_and_failures_are_told_together(certs: Certificates, tmp_path: Path) -> None:
    with serving(certs.expiring, maximum_version=ssl.TLSVersion.TLSv1_2) as port:
        outcome = check(certs, tmp_path, port, min_version="TLSv1.3")
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        f"certificate expires in 3 days ({date_of(outcome)}); "
        "the server uses TLSv1.2, older than TLSv1.3"
    )


def test_a_server_offering_only_outdated_tls_fails(certs: Certificates, tmp_path: Path) -> None:
    context = server_context(certs.valid, maximum_version=ssl.TLSVersion.TLSv1_1)
    with serve_blocking_tls(context) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == "the server offers only TLS versions older than TLSv1.2"
    assert outcome.details["port"] == port


def test_a_plain_text_server_on_a_tls_port_fails(certs: Certificates, tmp_path: Path) -> None:
    with serve(not_tls) as port:
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == "the server did not answer in TLS (is this the right port?)"


def test_a_refused_connection_fails_at_connect(certs: Certificates, tmp_path: Path) -> None:
    with socket.socket() as bound_not_listening:
        bound_not_listening.bind(("127.0.0.1", 0))
        port = bound_not_listening.getsockname()[1]
        outcome = check(certs, tmp_path, port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT
    assert outcome.summary == f"127.0.0.1 refused the connection on port {port}"


def test_a_missing_ca_bundle_is_this_machines_error(tmp_path: Path) -> None:
    outcome = run_probe(
        tls, {"type": "tls", "host": "127.0.0.1"}, tmp_path, tls={"ca_bundle": "missing.pem"}
    )
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary.startswith("cannot load the trusted certificates from missing.pem: ")


def test_a_stalled_handshake_is_cut_by_the_deadline_and_hung_up(
    certs: Certificates, tmp_path: Path
) -> None:
    hung_up = threading.Event()
    with serve(stalled(hung_up)) as port:
        with pytest.raises(TimeoutError):
            check_with_deadline(certs, tmp_path, port)
        assert hung_up.wait(10), "the probe left the connection open after its deadline"


def check_with_deadline(certs: Certificates, base: Path, port: int) -> Outcome:
    return run_probe(
        tls,
        {"type": "tls", "host": "127.0.0.1", "port": port},
        base,
        deadline=2,
        tls={"ca_bundle": str(certs.bundle)},
    )


# --- STARTTLS ---


@pytest.mark.parametrize(("protocol", "server"), [("smtp", smtp), ("imap", imap)])
def test_starttls_reaches_the_certificate(
    certs: Certificates, tmp_path: Path, protocol: str, server: Any
) -> None:
    with serve(server(server_context(certs.valid))) as port:
        outcome = check(certs, tmp_path, port, starttls=protocol)
    assert outcome.status is Status.OK
    assert outcome.summary.startswith("certificate expires in 90 days")
    assert outcome.details["starttls"] == protocol


@pytest.mark.parametrize(
    ("protocol", "server", "summary"),
    [
        ("smtp", smtp, "the mail server does not offer STARTTLS"),
        (
            "imap",
            imap,
            "the IMAP server does not offer STARTTLS: it said 'a1 BAD unknown command'",
        ),
    ],
)
def test_starttls_not_offered_fails_at_the_protocol(
    certs: Certificates, tmp_path: Path, protocol: str, server: Any, summary: str
) -> None:
    with serve(server(server_context(certs.valid), offer_starttls=False)) as port:
        outcome = check(certs, tmp_path, port, starttls=protocol)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == summary
    assert outcome.details["port"] == port
    assert outcome.details["starttls"] == protocol


def test_starttls_explains_an_untrusted_certificate(certs: Certificates, tmp_path: Path) -> None:
    with serve(smtp(server_context(certs.self_signed))) as port:
        outcome = check(certs, tmp_path, port, starttls="smtp")
    assert outcome.status is Status.FAIL
    assert outcome.summary == "certificate is self-signed: no trusted authority vouches for it"
    assert outcome.details["starttls"] == "smtp"
    assert outcome.details["names"] == ["localhost", "127.0.0.1"]


def test_starttls_judges_expiry_like_direct_tls(certs: Certificates, tmp_path: Path) -> None:
    with serve(imap(server_context(certs.expiring))) as port:
        outcome = check(certs, tmp_path, port, starttls="imap")
    assert outcome.status is Status.FAIL
    assert outcome.summary == f"certificate expires in 3 days ({date_of(outcome)})"


@pytest.mark.parametrize(
    ("protocol", "greeting", "summary"),
    [
        ("smtp", b"554 no service here\r\n", "the mail server greeted with 554: no service here"),
        (
            "smtp",
            b"HTTP/1.1 400 Bad Request\r\n",
            "the server does not speak SMTP: it said 'HTTP/1.1 400 Bad Request'",
        ),
        (
            "smtp",
            b"220 " + b"x" * 100_000,
            "the server sent a line longer than 8192 bytes before TLS started",
        ),
        ("smtp", b"220-hello\r\n" * 150, "the mail server sent a reply longer than 100 lines"),
        (
            "imap",
            b"* BYE too many connections\r\n",
            "the IMAP server did not greet with OK: it said '* BYE too many connections'",
        ),
        ("imap", b"* OK ready\r\n" + b"* x\r\n" * 150, "the IMAP server did not answer STARTTLS"),
    ],
    ids=["smtp-refuses", "not-smtp", "endless-line", "endless-reply", "imap-bye", "imap-chatter"],
)
def test_a_hostile_or_broken_starttls_server_fails_quickly(
    certs: Certificates, tmp_path: Path, protocol: str, greeting: bytes, summary: str
) -> None:
    with serve(sends(greeting)) as port:
        outcome = check(certs, tmp_path, port, starttls=protocol)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == summary


def test_text_from_the_server_is_made_printable() -> None:
    assert tlsinfo.plain("a\x1b[31mb\r\n") == "a?[31mb??"
    assert tlsinfo.plain("x" * 300) == "x" * 199 + "…"


# --- parameters ---


def model_error(**spec: Any) -> tuple[tuple[int | str, ...], str]:
    """The location and message of the one error in a tls check written as ``spec``."""
    with pytest.raises(ValidationError) as caught:
        tls.Check.model_validate({"id": "cert", "type": "tls", "host": "example.com", **spec})
    errors = caught.value.errors()
    assert len(errors) == 1
    return errors[0]["loc"], errors[0]["msg"]


def test_defaults_are_the_documented_ones() -> None:
    check = tls.Check.model_validate({"id": "cert", "type": "tls", "host": "Example.COM."})
    assert check.host == "example.com"
    assert check.port == 443
    assert check.starttls is None
    assert check.expiry.warn == timedelta(days=21)
    assert check.expiry.fail == timedelta(days=7)
    assert check.min_version == "TLSv1.2"
    assert check.target() == "example.com"


@pytest.mark.parametrize(
    ("field", "written", "kept"),
    [
        ("starttls", "SMTP", "smtp"),
        ("starttls", None, None),
        ("min_version", "1.3", "TLSv1.3"),
        ("min_version", "tlsv1.2", "TLSv1.2"),
        ("host", "[::1]", "::1"),
        ("host", "bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_parameters_are_normalised(field: str, written: Any, kept: Any) -> None:
    spec = {"id": "cert", "type": "tls", "host": "example.com", field: written}
    assert getattr(tls.Check.model_validate(spec), field) == kept


@pytest.mark.parametrize(
    ("spec", "loc", "message"),
    [
        (
            {"starttls": "pop3"},
            ("starttls",),
            "'pop3' is not a STARTTLS protocol: use smtp or imap, "
            "or leave starttls out when the port speaks TLS from the start",
        ),
        (
            {"starttls": True},
            ("starttls",),
            "'true' is not a STARTTLS protocol: use smtp or imap, "
            "or leave starttls out when the port speaks TLS from the start",
        ),
        (
            {"expiry": {"warn": "3d"}},
            ("expiry",),
            "warn (3d) must not be shorter than fail (1w): "
            "the warning has to come before the failure",
        ),
        (
            {"expiry": {"warn": "1d", "fail": "2d"}},
            ("expiry",),
            "warn (1d) must not be shorter than fail (2d): "
            "the warning has to come before the failure",
        ),
        (
            {"expiry": {"warn": 21}},
            ("expiry", "warn"),
            "a duration needs a unit: write 21s, 21m, ... (90s, 5m, 4h, 1d, 2w)",
        ),
        (
            {"min_version": "TLSv1.1"},
            ("min_version",),
            "'TLSv1.1' is older than any version this tool connects with (TLSv1.2 and later): "
            "use TLSv1.2 or TLSv1.3",
        ),
        (
            {"min_version": "SSLv3"},
            ("min_version",),
            "'SSLv3' is not a TLS version: use TLSv1.2 or TLSv1.3",
        ),
        (
            {"host": "https://example.com/"},
            ("host",),
            "'https://example.com/' is not a host name or IP address "
            "(write it like mail.example.com, without https:// or a port)",
        ),
        (
            {"host": "mail.example.com:465"},
            ("host",),
            "'mail.example.com:465' is not a host name or IP address "
            "(write it like mail.example.com, without https:// or a port)",
        ),
        ({"port": 0}, ("port",), "Input should be greater than or equal to 1"),
        ({"port": 65536}, ("port",), "Input should be less than or equal to 65535"),
        ({"sni": "x"}, ("sni",), "Extra inputs are not permitted"),
    ],
)
def test_bad_parameters_are_refused_readably(
    spec: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    assert model_error(**spec) == (loc, message)


def test_equal_thresholds_are_allowed() -> None:
    spec = {"id": "cert", "type": "tls", "host": "example.com", "expiry": {"warn": "7d"}}
    assert tls.Check.model_validate(spec).expiry.warn == timedelta(days=7)


# --- reading certificates and describing expiry ---


def test_a_garbled_certificate_is_unreadable_not_a_crash() -> None:
    with pytest.raises(tlsinfo.CertificateUnreadable):
        tlsinfo.read_certificate(b"\x30\x03\x02\x01\x00")


@pytest.mark.parametrize(
    ("offset", "words"),
    [
        (timedelta(days=3, hours=5), "expires in 3 days"),
        (timedelta(days=1), "expires in 1 day"),
        (timedelta(hours=5), "expires in 5 hours"),
        (timedelta(minutes=20), "expires within the hour"),
        (timedelta(0), "expired today"),
        (-timedelta(hours=23), "expired today"),
        (-timedelta(days=1, hours=2), "expired 1 day ago"),
        (-timedelta(days=400), "expired 400 days ago"),
    ],
)
def test_expiry_is_described_in_words(offset: timedelta, words: str) -> None:
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    described = tlsinfo.describe_expiry(now + offset, now)
    assert described == f"{words} ({(now + offset).date().isoformat()})"


@given(st.integers(min_value=-(10**9), max_value=10**9))
def test_expiry_never_counts_negative(seconds: int) -> None:
    now = datetime(2026, 3, 1, tzinfo=UTC)
    described = tlsinfo.describe_expiry(now + timedelta(seconds=seconds), now)
    assert not re.search(r"-\d+ (day|hour)", described)
    assert described.startswith("expires " if seconds > 0 else "expired ")


def test_versions_compare_oldest_first() -> None:
    assert tlsinfo.version_below("TLSv1.2", "TLSv1.3")
    assert not tlsinfo.version_below("TLSv1.3", "TLSv1.2")
    assert not tlsinfo.version_below("TLSv1.2", "TLSv1.2")
    assert not tlsinfo.version_below(None, "TLSv1.3")
