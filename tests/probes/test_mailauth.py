"""The ``mail-auth`` check against a real authoritative DNS server on 127.0.0.1.

Every mail domain lives under ``test.`` (reserved by RFC 2606), served by one zone; a name
outside it is refused, so a lookup that escaped to the internet would show as an error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freecost.inventory import parse_inventory
from freecost.probes import mailauth
from freecost.results import Layer, Outcome, Status
from tests.conftest import MINIMAL
from tests.probes.helpers import run_probe
from tests.servers.dns_server import ZoneServer, serve_zone

KEY = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA0Zx"
HOSTILE_SPF = "v=spf1 ip4:192.0.2.1 <script>alert(1)</script>\\010-all"


def mail_domain(
    name: str,
    *,
    spf: str = "v=spf1 include:_spf.good.test -all",
    dmarc: str | None = "v=DMARC1; p=reject; rua=mailto:dmarc@good.test",
    mx: bool = True,
    dkim: bool = True,
    policies: bool = True,
) -> str:
    """Zone lines for one mail domain; each keyword takes one record away or changes it."""
    at = f"{name}."  # names in the zone are absolute
    lines = [f'{at} TXT "{spf}"']
    if mx:
        lines += [f"{at} MX 10 mx1.{at}", f"{at} MX 20 mx2.{at}"]
        lines += [f"mx1.{at} A 192.0.2.25", f"mx2.{at} AAAA 2001:db8::25"]
    if dmarc:
        lines.append(f'_dmarc.{at} TXT "{dmarc}"')
    if dkim:
        lines.append(f'google._domainkey.{at} TXT "v=DKIM1; k=rsa; p={KEY}"')
    if policies:
        lines.append(f'_mta-sts.{at} TXT "v=STSv1; id=20240101T000000"')
        lines.append(f'_smtp._tls.{at} TXT "v=TLSRPTv1; rua=mailto:tls@good.test"')
    return "\n".join(lines)


CHAIN = "\n".join(
    f'i{n}.chain.test. TXT "v=spf1 include:i{n + 1}.chain.test -all"' for n in range(1, 11)
)
ZONE = f"""
test.             SOA ns1.test. hostmaster.test. 1 3600 600 86400 300
_spf.good.test.   TXT "v=spf1 ip4:192.0.2.0/24 -all"
i11.chain.test.   TXT "v=spf1 ip4:192.0.2.0/24 -all"
{CHAIN}
{mail_domain("good.test")}
{mail_domain("lax.test", dmarc="v=DMARC1; p=none; rua=mailto:dmarc@good.test")}
{mail_domain("quiet.test", dmarc="v=DMARC1; p=quarantine")}
{mail_domain("nodmarc.test", dmarc=None)}
{mail_domain("open.test", spf="v=spf1 ip4:192.0.2.0/24 +all")}
{mail_domain("neutral.test", spf="v=spf1 ip4:192.0.2.0/24 ?all")}
{mail_domain("chain.test", spf="v=spf1 include:i1.chain.test -all")}
{mail_domain("nomx.test", mx=False)}
{mail_domain("nokey.test", dkim=False)}
{mail_domain("bare.test", policies=False)}
{mail_domain("hostile.test", spf=HOSTILE_SPF)}
{mail_domain("sub.good.test", dmarc=None)}
nullmx.test.      MX 0 .
{mail_domain("nullmx.test", mx=False)}
noaddr.test.      MX 10 gone.noaddr.test.
{mail_domain("noaddr.test", mx=False)}
revoked._domainkey.good.test. TXT "v=DKIM1; k=rsa; p="
"""


@pytest.fixture(scope="module")
def running() -> Iterator[ZoneServer]:
    with serve_zone(ZONE, "test") as server:
        yield server


@pytest.fixture
def server(running: ZoneServer) -> Iterator[ZoneServer]:
    """The shared server, behaving well again after each test."""
    running.queries.clear()
    yield running
    running.servfail.clear()
    running.silent = False


def check(server: ZoneServer, tmp_path: Path, deadline: float = 5.0, **spec: Any) -> Outcome:
    settings = {"dns": {"nameservers": [server.host], "port": server.port}}
    spec.setdefault("dkim_selectors", ["google"])
    return run_probe(
        mailauth, {"type": "mail-auth", **spec}, tmp_path, deadline=deadline, **settings
    )


def findings(outcome: Outcome) -> dict[str, dict[str, Any]]:
    return {f["item"]: f for f in outcome.details["findings"]}


def statuses(outcome: Outcome) -> dict[str, str]:
    return {item: f["status"] for item, f in findings(outcome).items()}


def test_a_well_configured_domain_passes(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="good.test")
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.layer is None
    assert statuses(outcome) == {
        "mx": "ok",
        "spf": "ok",
        "dmarc": "ok",
        "dkim:google": "ok",
        "mta-sts": "ok",
        "tls-rpt": "ok",
    }
    assert outcome.summary == (
        "2 MX hosts; SPF ok (1 of 10 DNS lookups); DMARC p=reject; DKIM key for google; "
        "MTA-STS record published; TLS-RPT record published"
    )
    found = findings(outcome)
    assert found["mx"]["record"] == "10 mx1.good.test, 20 mx2.good.test"
    assert found["spf"]["record"] == "v=spf1 include:_spf.good.test -all"
    assert found["dmarc"]["record"] == "v=DMARC1; p=reject; rua=mailto:dmarc@good.test"
    assert found["dkim:google"]["record"] == f"v=DKIM1; k=rsa; p={KEY}"
    assert all(q.name.endswith("test") for q in server.queries), "nothing left the zone"


def test_dmarc_policy_none_warns(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="lax.test")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.CONTENT)
    assert outcome.summary.startswith(
        "DMARC policy is none: spoofed mail is delivered; 2 MX hosts; SPF ok"
    )
    assert statuses(outcome)["dmarc"] == "warn"


def test_dmarc_without_a_reporting_address_warns(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="quiet.test")
    assert outcome.status is Status.WARN
    assert findings(outcome)["dmarc"]["message"] == (
        "DMARC has no reporting address (rua): nobody hears of spoofing"
    )


def test_missing_dmarc_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="nodmarc.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary.startswith("no DMARC record: receivers have no policy")


def test_a_subdomain_without_dmarc_uses_the_organisational_record(
    server: ZoneServer, tmp_path: Path
) -> None:
    outcome = check(server, tmp_path, domain="sub.good.test", dkim_selectors=[])
    assert outcome.status is Status.OK, outcome.summary
    assert findings(outcome)["dmarc"]["record"].startswith("v=DMARC1; p=reject")


def test_spf_plus_all_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="open.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)
    assert outcome.summary.startswith("SPF allows any server (+all) to send mail as open.test")


def test_spf_neutral_all_warns(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="neutral.test")
    assert outcome.status is Status.WARN
    assert findings(outcome)["spf"]["message"].startswith("SPF ends in ?all")


def test_spf_over_the_lookup_limit_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="chain.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)
    assert outcome.summary.startswith(
        "SPF needs 11 DNS lookups, over the limit of 10: receivers reject it"
    )


def test_no_mx_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="nomx.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary.startswith("no MX record: mail for nomx.test")
    assert statuses(outcome)["spf"] == "ok", "the other records are still judged"


@pytest.mark.parametrize(
    ("domain", "message"),
    [
        ("nullmx.test", "null MX: nullmx.test declares it accepts no mail (RFC 7505)"),
        (
            "noaddr.test",
            "MX host gone.noaddr.test has no address: mail to it cannot be delivered",
        ),
    ],
)
def test_mx_that_cannot_take_mail_fails(
    server: ZoneServer, tmp_path: Path, domain: str, message: str
) -> None:
    outcome = check(server, tmp_path, domain=domain)
    assert outcome.status is Status.FAIL
    assert findings(outcome)["mx"]["message"] == message


def test_a_missing_dkim_selector_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="nokey.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary.startswith(
        "no DKIM key for selector google: mail signed with it fails DKIM"
    )
    assert findings(outcome)["dkim:google"]["record"] is None


def test_a_revoked_dkim_key_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="good.test", dkim_selectors=["google", "revoked"])
    assert outcome.status is Status.FAIL
    assert statuses(outcome)["dkim:google"] == "ok"
    assert findings(outcome)["dkim:revoked"]["message"] == (
        "the DKIM key for selector revoked is revoked (empty p=)"
    )


def test_without_selectors_dkim_is_not_judged(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="nokey.test", dkim_selectors=[])
    assert outcome.status is Status.OK
    assert not any(item.startswith("dkim") for item in findings(outcome))


def test_missing_mta_sts_and_tls_rpt_warn(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="bare.test")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.DNS)
    assert statuses(outcome)["mta-sts"] == statuses(outcome)["tls-rpt"] == "warn"
    assert outcome.summary.startswith(
        "no MTA-STS record: senders cannot insist on encrypted delivery to bare.test; "
        "no TLS-RPT record: "
    )


def test_a_domain_that_does_not_exist_fails(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, domain="missing.test")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary == "missing.test does not exist (NXDOMAIN)"


def test_servfail_is_an_error_not_a_verdict(server: ZoneServer, tmp_path: Path) -> None:
    server.servfail.add("_dmarc.good.test")
    outcome = check(server, tmp_path, domain="good.test")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.DNS)
    assert outcome.summary.startswith(
        "the DNS server answered SERVFAIL for _dmarc.good.test TXT; 2 MX hosts"
    )


def test_servfail_while_following_spf_includes_is_an_error(
    server: ZoneServer, tmp_path: Path
) -> None:
    server.servfail.add("_spf.good.test")
    outcome = check(server, tmp_path, domain="good.test")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.DNS)
    assert findings(outcome)["spf"]["message"].startswith(
        "SPF could not be checked: the DNS server answered SERVFAIL for _spf.good.test TXT"
    )


def test_a_resolver_that_never_answers_is_an_error_within_the_deadline(
    server: ZoneServer, tmp_path: Path
) -> None:
    server.silent = True
    outcome = check(server, tmp_path, deadline=3, domain="good.test", timeout="1s")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.DNS)
    assert outcome.summary.startswith("no answer from the DNS server within 800ms for good.test MX")
    assert {f["status"] for f in outcome.details["findings"]} == {"error"}
    assert server.queries, "the queries did reach the server"


def test_hostile_record_text_is_kept_and_the_summary_is_one_line(
    server: ZoneServer, tmp_path: Path
) -> None:
    outcome = check(server, tmp_path, domain="hostile.test")
    assert outcome.status is Status.FAIL
    spf = findings(outcome)["spf"]
    assert spf["record"] == "v=spf1 ip4:192.0.2.1 <script>alert(1)</script>\ufffd-all"
    assert spf["message"].startswith("SPF record is invalid: ")
    assert outcome.summary.isprintable()
    assert len(outcome.summary) <= mailauth.MAX_SUMMARY_CHARS


def test_long_records_are_clipped_in_details() -> None:
    finding = mailauth.Finding("spf", Status.OK, "SPF ok", "v=spf1 " + "a" * 900)
    record = finding.to_json()["record"]
    assert len(record) == mailauth.MAX_RECORD_CHARS
    assert record.endswith("…")


def message(**spec: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        mailauth.Check.model_validate({"id": "t", "type": "mail-auth", **spec})
    return str(caught.value.errors()[0]["msg"])


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"domain": "https://example.com/"},
            "'https://example.com/' is not a DNS name: write the bare name, like example.com",
        ),
        (
            {"domain": "example..com"},
            "'example..com' is not a DNS name: it has an empty label (two dots in a row?)",
        ),
        ({}, "Field required"),
        (
            {"domain": "example.com", "dkim_selectors": ["google._domainkey.example.com/"]},
            "'google._domainkey.example.com/' is not a DKIM selector: write the part before "
            "._domainkey, like google or s1",
        ),
        (
            {"domain": "example.com", "dkim_selectors": [7]},
            "'7' is not a DKIM selector: write the part before ._domainkey, like google or s1",
        ),
    ],
)
def test_validation_messages(spec: dict[str, Any], expected: str) -> None:
    assert message(**spec) == expected


def test_spellings_are_normalised() -> None:
    check = mailauth.Check.model_validate(
        {"id": "t", "type": "mail-auth", "domain": " Example.COM. ", "dkim_selectors": "Google"}
    )
    assert (check.domain, check.dkim_selectors) == ("example.com", ["google"])
    assert check.target() == "example.com"


def test_the_inventory_accepts_the_documented_form(tmp_path: Path) -> None:
    text = MINIMAL + (
        "    checks: [{id: auth, type: mail-auth, domain: example.com, dkim_selectors: [google]}]\n"
    )
    loaded = parse_inventory(text, tmp_path / "inventory.yaml", display="inventory.yaml")
    (dependency,) = loaded.inventory.dependencies
    assert dependency.checks is not None
    checks: list[object] = list(dependency.checks)
    (auth,) = checks
    assert isinstance(auth, mailauth.Check)
    assert (auth.domain, auth.dkim_selectors) == ("example.com", ["google"])
