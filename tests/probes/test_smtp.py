"""The ``smtp`` check against real aiosmtpd servers on 127.0.0.1.

Certificates come from a throw-away CA handed to the probe through ``settings.tls.ca_bundle``;
MX hosts come from the in-process DNS server through ``settings.dns``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freecost.probes import registry, smtp
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import run_probe
from tests.servers.dns_server import ZoneServer, serve_zone
from tests.servers.smtp_server import (
    MailCertificates,
    make_mail_certificates,
    serve_smtp,
    server_tls,
)

ZONE = """
@        SOA   ns1.example.com. hostmaster.example.com. 2024010101 3600 600 1209600 300
@        NS    ns1.example.com.
@        MX    20 mx2.example.com.
@        MX    10 mx1.example.com.
mx1      A     127.0.0.1
mx2      A     127.0.0.1
one      MX    10 mx1.example.com.
nomail   MX    0 .
bare     A     127.0.0.1
"""


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> MailCertificates:
    names = ("localhost", "127.0.0.1", "mx1.example.com")
    return make_mail_certificates(tmp_path_factory.mktemp("mail-certificates"), *names)


@pytest.fixture(scope="module")
def zone() -> Iterator[ZoneServer]:
    with serve_zone(ZONE, "example.com") as server:
        yield server


def check(
    certs: MailCertificates,
    base: Path,
    *,
    dns: ZoneServer | None = None,
    deadline: float = 10.0,
    **spec: Any,
) -> Outcome:
    """Run an smtp check, trusting the test CA (and asking the test DNS server, if given)."""
    if "domain" not in spec:
        spec.setdefault("host", "127.0.0.1")
    settings: dict[str, Any] = {"tls": {"ca_bundle": str(certs.bundle)}}
    if dns is not None:
        settings["dns"] = {"nameservers": [dns.host], "port": dns.port}
    return run_probe(smtp, {"type": "smtp", **spec}, base, deadline=deadline, **settings)


# --- one host, STARTTLS ---


def test_starttls_with_a_valid_certificate_is_ok_and_described(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp(tls=server_tls(certs.valid)) as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.layer is None
    assert outcome.summary.startswith("127.0.0.1: STARTTLS, certificate expires in 90 days (")
    details = outcome.details
    assert details["host"] == "127.0.0.1"
    assert details["port"] == server.port
    assert details["greeting"].startswith("220 mail.test")
    assert "STARTTLS" in details["extensions"]
    assert "STARTTLS" not in details["extensions_after_tls"]
    assert details["days_left"] == 90
    assert details["version"] in ("TLSv1.2", "TLSv1.3")
    assert details["cipher"]
    assert "CN=" in details["issuer"] or "O=" in details["issuer"]
    assert details["not_after"]
    assert details["tls"] == "starttls"
    json.dumps(details)  # the evidence is stored as JSON


def test_starttls_not_offered_fails_at_the_protocol_layer(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp() as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == "127.0.0.1: the mail server does not offer STARTTLS"
    assert "STARTTLS" not in outcome.details["extensions"]


def test_a_certificate_from_an_unknown_authority_fails_at_the_tls_layer(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp(tls=server_tls(certs.untrusted)) as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary.startswith("127.0.0.1: certificate is not trusted")
    # The second, unverified handshake still read the certificate for the owner.
    assert outcome.details["issuer"]
    assert outcome.details["greeting"].startswith("220 ")


def test_an_expired_certificate_fails_and_says_when(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp(tls=server_tls(certs.expired)) as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert "127.0.0.1: certificate expired 3 days ago" in outcome.summary


def test_a_certificate_for_another_host_fails(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(tls=server_tls(certs.wrong_host)) as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == (
        "127.0.0.1: certificate is not valid for 127.0.0.1: it names other.example"
    )


def test_expiry_thresholds_warn_then_fail(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(tls=server_tls(certs.expiring)) as server:
        warned = check(certs, tmp_path, port=server.port, expiry={"warn": "21d", "fail": "1d"})
        failed = check(certs, tmp_path, port=server.port)  # default: fail within 7 days
    assert warned.status is Status.WARN
    assert warned.layer is Layer.TLS
    assert "certificate expires in 3 days" in warned.summary
    assert failed.status is Status.FAIL
    assert failed.details["days_left"] == 3


def test_implicit_tls_on_a_given_port(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(tls=server_tls(certs.valid), implicit=True) as server:
        outcome = check(certs, tmp_path, port=server.port, tls="implicit")
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary.startswith("127.0.0.1: certificate expires in 90 days")
    assert outcome.details["tls"] == "implicit"
    assert outcome.details["greeting"].startswith("220 mail.test")


def test_starttls_false_checks_the_conversation_only(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp(tls=server_tls(certs.valid)) as server:
        outcome = check(certs, tmp_path, port=server.port, starttls=False)
    assert outcome.status is Status.OK
    assert outcome.summary == ("127.0.0.1: greets and answers EHLO; STARTTLS offered, not checked")
    assert outcome.details["starttls_offered"] is True


def test_a_greeting_other_than_220_fails(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp(greeting=b"554 5.3.2 not accepting mail today\r\n") as server:
        outcome = check(certs, tmp_path, port=server.port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.PROTOCOL
    assert outcome.summary == (
        "127.0.0.1: the mail server greeted with 554: 5.3.2 not accepting mail today"
    )
    assert outcome.details["greeting"] == "554 5.3.2 not accepting mail today"


def test_a_server_that_never_greets_times_out_within_the_deadline(
    certs: MailCertificates, tmp_path: Path
) -> None:
    with serve_smtp(silent=True) as server:
        outcome = check(certs, tmp_path, port=server.port, timeout="1s", deadline=5)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TIMEOUT
    assert outcome.summary == ("127.0.0.1: no answer within 0.8 s (while waiting for the greeting)")
    assert outcome.details["port"] == server.port


def test_a_closed_port_fails_at_the_connect_layer(certs: MailCertificates, tmp_path: Path) -> None:
    with serve_smtp() as server:
        port = server.port  # closed once the block ends
    outcome = check(certs, tmp_path, port=port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT


# --- a domain: each MX host ---


def test_every_mx_host_of_a_domain_is_checked_in_preference_order(
    certs: MailCertificates, tmp_path: Path, zone: ZoneServer
) -> None:
    with serve_smtp(tls=server_tls(certs.valid)) as server:
        outcome = check(certs, tmp_path, dns=zone, domain="example.com", port=server.port)
    # The certificate names mx1 but not mx2: the worst host decides.
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TLS
    assert outcome.summary == (
        "mx2.example.com: certificate is not valid for mx2.example.com: it names localhost, "
        "mx1.example.com, 127.0.0.1 (1 of 2 MX hosts of example.com with problems)"
    )
    details = outcome.details
    assert details["domain"] == "example.com"
    assert details["mx"] == ["10 mx1.example.com", "20 mx2.example.com"]
    hosts = details["hosts"]
    assert [h["host"] for h in hosts] == ["mx1.example.com", "mx2.example.com"]
    assert [h["status"] for h in hosts] == ["ok", "fail"]
    assert hosts[0]["days_left"] == 90
    json.dumps(details)


def test_a_domain_whose_mx_hosts_all_pass_is_ok(
    certs: MailCertificates, tmp_path: Path, zone: ZoneServer
) -> None:
    with serve_smtp(tls=server_tls(certs.valid)) as server:
        outcome = check(certs, tmp_path, dns=zone, domain="one.example.com", port=server.port)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.summary.startswith("mx1.example.com: STARTTLS, certificate expires in 90")
    assert outcome.details["mx"] == ["10 mx1.example.com"]


@pytest.mark.parametrize(
    ("domain", "summary"),
    [
        ("nomail.example.com", "nomail.example.com publishes a null MX: it accepts no mail"),
        ("bare.example.com", "bare.example.com has no MX records"),
        ("missing.example.com", "missing.example.com does not exist in DNS"),
    ],
)
def test_a_domain_without_usable_mx_records_fails_at_the_dns_layer(
    certs: MailCertificates, tmp_path: Path, zone: ZoneServer, domain: str, summary: str
) -> None:
    outcome = check(certs, tmp_path, dns=zone, domain=domain)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == summary
    assert outcome.details["domain"] == domain


# --- the parameters ---


def make(**spec: Any) -> smtp.Check:
    return smtp.Check.model_validate({"id": "t", "type": "smtp", **spec})


def test_the_tls_mode_and_port_are_implied_as_documented() -> None:
    assert (make(host="mx.example.com").mode, make(host="mx.example.com").effective_port) == (
        "starttls",
        25,
    )
    assert make(host="mx.example.com", port=465).mode == "implicit"
    assert make(host="mx.example.com", tls="implicit").effective_port == 465
    assert make(host="mx.example.com", port=465, starttls=True).mode == "starttls"
    assert make(host="mx.example.com", starttls=False).mode == "none"
    assert make(host="mx.example.com", port=587).mode == "starttls"
    assert make(domain="Example.COM").target() == "example.com"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({}, "needs either host"),
        ({"host": "a.example", "domain": "example.com"}, "needs either host"),
        ({"host": "a.example", "starttls": "smtp"}, "starttls takes true or false"),
        ({"host": "a.example", "starttls": True, "tls": "implicit"}, "contradicts tls: implicit"),
        ({"host": "a.example", "starttls": False, "tls": "starttls"}, "contradicts tls: starttls"),
        ({"domain": "192.0.2.1"}, "domain takes a mail domain"),
        ({"host": "a.example", "expiry": {"warn": "1d", "fail": "7d"}}, "must not be shorter"),
    ],
)
def test_invalid_parameters_are_explained(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError) as caught:
        make(**spec)
    assert message in str(caught.value)


def test_the_type_is_registered() -> None:
    assert registry.check_types()["smtp"] is smtp.Check
    assert registry.probe_for("smtp") is smtp.probe
