"""The ``dns`` check against a real authoritative DNS server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import errno
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dns.asyncresolver
import dns.message
import dns.resolver
import pytest
from pydantic import ValidationError

from freecost.probes import dns as dns_check
from freecost.probes.context import ProbeContext
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context, run_probe
from tests.servers.dns_server import ZoneServer, serve_zone

LONG_TXT = " ".join(f'"{"k" * 250}"' for _ in range(6))
MANY_A = "\n".join(f"many A 192.0.2.{n}" for n in range(1, 61))
ZONE = f"""
@      SOA   ns1.example.com. hostmaster.example.com. 2024010101 3600 600 1209600 300
@      NS    ns1.example.com.
@      NS    NS2.Example.NET.
@      A     192.0.2.10
@      AAAA  2001:DB8:0:0::1
@      MX    10 MX1.example.com.
@      MX    20 mx2.example.com.
@      TXT   "v=spf1 include:_spf.google.com " "~all"
@      TXT   "google-site-verification=AbC123"
@      CAA   0 issue "letsencrypt.org"
www    CNAME web.example.com.
web    A     192.0.2.20
mail   A     192.0.2.40
_dmarc TXT   "v=DMARC1; p=none"
google._domainkey TXT "v=DKIM1; k=rsa; p=MIIB"
odd    TXT   "bell\\007here\\010"
long   TXT   {LONG_TXT}
{MANY_A}
"""


@pytest.fixture(scope="module")
def running() -> Iterator[ZoneServer]:
    with serve_zone(ZONE, "example.com") as server:
        yield server


@pytest.fixture
def server(running: ZoneServer) -> Iterator[ZoneServer]:
    """The shared server, behaving well again after each test."""
    running.queries.clear()
    yield running
    running.servfail.clear()
    running.silent = False
    running.truncate_udp = False
    running.delay = 0.0


def check(server: ZoneServer, tmp_path: Path, deadline: float = 5.0, **spec: Any) -> Outcome:
    settings = {"dns": {"nameservers": [server.host], "port": server.port}}
    return run_probe(dns_check, {"type": "dns", **spec}, tmp_path, deadline=deadline, **settings)


def message(**spec: Any) -> str:
    """The first validation message for a dns check written as ``spec``."""
    with pytest.raises(ValidationError) as caught:
        dns_check.Check.model_validate({"id": "t", "type": "dns", "name": "example.com", **spec})
    return str(caught.value.errors()[0]["msg"])


@pytest.mark.parametrize(
    ("name", "record", "records"),
    [
        ("example.com", "A", ["192.0.2.10"]),
        ("example.com", "AAAA", ["2001:db8::1"]),
        ("example.com", "MX", ["10 mx1.example.com", "20 mx2.example.com"]),
        (
            "example.com",
            "TXT",
            ["google-site-verification=AbC123", "v=spf1 include:_spf.google.com ~all"],
        ),
        ("www.example.com", "CNAME", ["web.example.com"]),
        ("example.com", "NS", ["ns1.example.com", "ns2.example.net"]),
        ("example.com", "CAA", ["0 issue letsencrypt.org"]),
        (
            "example.com",
            "SOA",
            ["ns1.example.com hostmaster.example.com 2024010101 3600 600 1209600 300"],
        ),
    ],
)
def test_each_record_type_is_read_and_normalised(
    server: ZoneServer, tmp_path: Path, name: str, record: str, records: list[str]
) -> None:
    outcome = check(server, tmp_path, name=name, record=record)
    assert outcome.status is Status.OK, outcome.summary
    assert outcome.details["records"] == records
    assert outcome.details["record_count"] == len(records)
    assert outcome.details["rcode"] == "NOERROR"
    assert outcome.details["nameserver"] == f"127.0.0.1:{server.port}"
    assert outcome.details["ttl"] == 300
    assert outcome.summary.startswith(f"{name} has {len(records)} {record} record")


@pytest.mark.parametrize("record", ["A", "AAAA", "MX", "NS", "CAA", "SOA"])
def test_records_as_reported_pass_equals_in_any_case_and_order(
    server: ZoneServer, tmp_path: Path, record: str
) -> None:
    found = check(server, tmp_path, name="example.com", record=record).details["records"]
    written = [text.upper() + "." for text in reversed(found)]
    outcome = check(server, tmp_path, name="example.com", record=record, expect={"equals": written})
    assert outcome.status is Status.OK, outcome.summary


def test_record_defaults_to_a_and_follows_a_cname(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, name="WWW.Example.com.")
    assert outcome.status is Status.OK
    assert outcome.summary == "www.example.com has 1 A record: 192.0.2.20"
    assert outcome.details["canonical_name"] == "web.example.com"


@pytest.mark.parametrize(
    ("record", "expect"),
    [
        ("MX", {"contains": "MX1.Example.com."}),
        ("TXT", {"contains": "include:_spf.google.com ~all"}),
        ("TXT", {"contains": "AbC123"}),
        ("MX", {"equals": ["mx2.example.com", "mx1.example.com"]}),
        ("MX", {"equals": ["20 mx2.example.com.", "10 MX1.example.com"]}),
        ("MX", {"equals": ["10 mx1.example.com", "mx2.example.com"]}),
        ("AAAA", {"equals": "2001:0db8:0000::0001"}),
        ("NS", {"equals": ["NS2.example.net.", "ns1.example.com"]}),
        ("CAA", {"equals": '0 issue "LetsEncrypt.org"'}),
        ("TXT", {"regex": r"^v=spf1 .*~all$"}),
        ("MX", {"regex": r"^mx1\.example\.com$"}),
        ("NS", {"count": 2}),
        ("MX", {"contains": "mx1", "equals": ["mx1.example.com", "mx2.example.com"], "count": 2}),
    ],
)
def test_expectations_that_hold_pass(
    server: ZoneServer, tmp_path: Path, record: str, expect: dict[str, Any]
) -> None:
    outcome = check(server, tmp_path, name="example.com", record=record, expect=expect)
    assert outcome.status is Status.OK, outcome.summary


@pytest.mark.parametrize(
    ("record", "expect", "summary"),
    [
        ("MX", {"contains": "mx3.example.com"}, "no record contains 'mx3.example.com'"),
        ("TXT", {"contains": "abc123"}, "no record contains 'abc123'"),
        (
            "MX",
            {"equals": ["mx1.example.com"]},
            "records are 10 mx1.example.com, 20 mx2.example.com; expected mx1.example.com",
        ),
        (
            "A",
            {"equals": ["192.0.2.10", "192.0.2.11"]},
            "records are 192.0.2.10; expected 192.0.2.10, 192.0.2.11",
        ),
        ("TXT", {"regex": "-all$"}, "no record matches /-all$/"),
        ("NS", {"count": 3}, "2 records, expected 3"),
        (
            "MX",
            {"contains": "backup", "count": 1},
            "no record contains 'backup'; 2 records, expected 1",
        ),
    ],
)
def test_expectations_that_do_not_hold_fail(
    server: ZoneServer, tmp_path: Path, record: str, expect: dict[str, Any], summary: str
) -> None:
    outcome = check(server, tmp_path, name="example.com", record=record, expect=expect)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONTENT
    assert outcome.summary == f"example.com {record}: {summary}"
    assert outcome.details["records"], "the records found are kept as evidence"


def test_nxdomain_fails_at_the_dns_layer(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, name="nope.example.com", record="MX")
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == "nope.example.com does not exist (NXDOMAIN)"
    assert outcome.details["rcode"] == "NXDOMAIN"
    assert outcome.details["records"] == []


def test_servfail_fails_at_the_dns_layer(server: ZoneServer, tmp_path: Path) -> None:
    server.servfail.add("example.com")
    outcome = check(server, tmp_path, name="example.com", record="MX")
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == "the DNS server answered SERVFAIL for example.com MX"
    assert outcome.details["rcode"] == "SERVFAIL"


def test_a_refused_query_names_the_rcode(server: ZoneServer, tmp_path: Path) -> None:
    outcome = check(server, tmp_path, name="example.org")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.DNS)
    assert outcome.summary == "the DNS server answered REFUSED for example.org A"


@pytest.mark.parametrize(
    ("name", "record"),
    [("mail.example.com", "MX"), ("_domainkey.example.com", "TXT")],
)
def test_a_name_without_that_type_fails(
    server: ZoneServer, tmp_path: Path, name: str, record: str
) -> None:
    outcome = check(server, tmp_path, name=name, record=record)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == f"no {record} records for {name}"
    assert outcome.details["rcode"] == "NOERROR"


def test_a_server_that_never_answers_is_a_timeout(server: ZoneServer, tmp_path: Path) -> None:
    server.silent = True
    outcome = check(server, tmp_path, deadline=3, name="example.com", timeout="500ms")
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.TIMEOUT
    assert outcome.summary == "no answer from the DNS server within 400ms for example.com A"
    assert outcome.details["nameserver"] == f"127.0.0.1:{server.port}"
    assert server.queries, "the query did reach the server"


def test_a_truncated_udp_answer_is_retried_over_tcp(server: ZoneServer, tmp_path: Path) -> None:
    server.truncate_udp = True
    outcome = check(server, tmp_path, name="example.com", record="TXT", expect={"count": 2})
    assert outcome.status is Status.OK, outcome.summary
    assert [q.transport for q in server.queries] == ["udp", "tcp"]


TRUNCATING_ZONE = "@ SOA ns1 hostmaster 1 3600 600 86400 300\n@ A 192.0.2.1\n"


def test_a_configured_server_that_refuses_tcp_fails(tmp_path: Path) -> None:
    with serve_zone(TRUNCATING_ZONE, "example.com", tcp=False) as udp_only:
        udp_only.truncate_udp = True
        outcome = check(udp_only, tmp_path, name="example.com")
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == "the DNS server could not be reached: connection refused (over TCP)"


def test_the_systems_own_resolver_unreachable_is_this_machines_problem(tmp_path: Path) -> None:
    with serve_zone(TRUNCATING_ZONE, "example.com", tcp=False) as udp_only:
        udp_only.truncate_udp = True
        system = dns.asyncresolver.Resolver(configure=False)
        system.nameservers = [udp_only.host]
        system.port = udp_only.port
        spec = {"id": "t", "type": "dns", "name": "example.com"}

        async def go() -> Outcome:
            async with make_context(tmp_path) as ctx:
                ctx._resolver = system  # stands in for the one /etc/resolv.conf names
                async with asyncio.timeout(5):
                    return await dns_check.probe(dns_check.Check.model_validate(spec), ctx)

        outcome = asyncio.run(go())
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == (
        "this machine cannot reach its DNS resolver: connection refused (over TCP)"
    )


def test_no_route_from_this_machine_is_an_error_even_for_a_configured_server() -> None:
    check = dns_check.Check.model_validate({"id": "t", "type": "dns", "name": "example.com"})
    request = dns.message.make_query("example.com", "A")
    unreachable = OSError(errno.ENETUNREACH, "Network is unreachable")
    errors = [("Do53:192.0.2.53@53", False, 53, unreachable, None)]
    exc = dns.resolver.NoNameservers(request=request, errors=errors)  # type: ignore[no-untyped-call]
    outcome = dns_check._no_nameservers(check, exc, ["192.0.2.53:53"], configured=True)
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert outcome.summary == "this machine cannot reach its DNS resolver: network is unreachable"


def test_a_machine_without_a_resolver_is_an_error(tmp_path: Path) -> None:
    class NoResolver(ProbeContext):
        @property
        def resolver(self) -> dns.asyncresolver.Resolver:
            raise dns.resolver.NoResolverConfiguration

    spec = {"id": "t", "type": "dns", "name": "example.com"}
    base = make_context(tmp_path)
    ctx = NoResolver(settings=base.settings, base_dir=tmp_path)
    outcome = asyncio.run(dns_check.probe(dns_check.Check.model_validate(spec), ctx))
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.LOCAL)
    assert "no DNS resolver configured" in outcome.summary


def test_a_slow_answer_warns_then_fails(server: ZoneServer, tmp_path: Path) -> None:
    server.delay = 0.2
    slow = check(server, tmp_path, name="example.com", latency={"warn": "100ms"})
    assert (slow.status, slow.layer) == (Status.WARN, Layer.DNS)
    assert slow.summary.startswith("example.com A answered in ")
    assert slow.summary.endswith(", over the 100ms limit")
    too_slow = check(
        server, tmp_path, name="example.com", latency={"warn": "50ms", "fail": "100ms"}
    )
    assert (too_slow.status, too_slow.layer) == (Status.FAIL, Layer.DNS)


def test_a_prompt_answer_within_the_latency_limits_passes(
    server: ZoneServer, tmp_path: Path
) -> None:
    outcome = check(server, tmp_path, name="example.com", latency={"warn": "5s", "fail": "8s"})
    assert outcome.status is Status.OK


def test_a_content_failure_outranks_a_slow_answer(server: ZoneServer, tmp_path: Path) -> None:
    server.delay = 0.2
    outcome = check(
        server, tmp_path, name="example.com", expect={"count": 5}, latency={"warn": "50ms"}
    )
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.CONTENT)


def test_hostile_records_are_printable_and_capped(server: ZoneServer, tmp_path: Path) -> None:
    odd = check(server, tmp_path, name="odd.example.com", record="TXT", expect={"contains": "x"})
    assert odd.details["records"] == ["bell\ufffdhere\ufffd"]
    assert odd.summary == "odd.example.com TXT: no record contains 'x'"
    long = check(server, tmp_path, name="long.example.com", record="TXT", expect={"equals": "k"})
    assert long.summary.startswith("long.example.com TXT: records are kkk")
    assert len(long.summary) == dns_check.MAX_SUMMARY_CHARS
    (record,) = long.details["records"]
    assert len(record) == dns_check.MAX_RECORD_CHARS
    assert record.endswith("…")
    many = check(server, tmp_path, name="many.example.com", expect={"contains": "192.0.2.60"})
    assert many.status is Status.OK
    assert many.details["record_count"] == 60
    assert len(many.details["records"]) == dns_check.MAX_RECORDS
    assert len(many.summary) <= dns_check.MAX_SUMMARY_CHARS


def test_the_whole_long_record_is_matched_not_the_clipped_one(
    server: ZoneServer, tmp_path: Path
) -> None:
    outcome = check(server, tmp_path, name="long.example.com", record="TXT", expect={"regex": "k$"})
    assert outcome.status is Status.OK
    assert outcome.details["records"][0].endswith("…")


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"record": "MXX"},
            "'MXX' is not a record type this check reads; "
            "use one of A, AAAA, MX, TXT, CNAME, NS, CAA, SOA",
        ),
        (
            {"record": 15},
            "'15' is not a record type this check reads; "
            "use one of A, AAAA, MX, TXT, CNAME, NS, CAA, SOA",
        ),
        (
            {"expect": {"regex": "(v=spf1"}},
            "'(v=spf1' is not a regular expression: missing ), unterminated subpattern "
            "at position 0",
        ),
        (
            {"name": "https://example.com/"},
            "'https://example.com/' is not a DNS name: write the bare name, like example.com",
        ),
        (
            {"name": "owner@example.com"},
            "'owner@example.com' is not a DNS name: write the bare name, like example.com",
        ),
        (
            {"name": "example..com"},
            "'example..com' is not a DNS name: it has an empty label (two dots in a row?)",
        ),
        (
            {"name": "a" * 64 + ".com"},
            f"'{'a' * 64}.com' is not a DNS name: a label is longer than 63 characters",
        ),
        ({"name": "."}, "'.' is not a DNS name: it is empty"),
        ({"name": 42}, "expected a DNS name like example.com"),
        (
            {"expect": {"equals": []}},
            "equals needs at least one record (a name without records fails anyway)",
        ),
        (
            {"expect": {"count": 0}},
            "count must be at least 1 (a name without records fails anyway)",
        ),
        (
            {"latency": {"warn": "2s", "fail": "1s"}},
            "latency warn (2s) must be shorter than fail (1s)",
        ),
        ({"expect": {"contain": "x"}}, "Extra inputs are not permitted"),
    ],
)
def test_validation_messages(spec: dict[str, Any], expected: str) -> None:
    assert message(**spec) == expected


def test_spellings_are_normalised_when_the_check_is_loaded() -> None:
    check = dns_check.Check.model_validate(
        {
            "id": "mx",
            "type": "dns",
            "name": " Example.COM. ",
            "record": "mx",
            "expect": {"equals": "mx1.example.com"},
        }
    )
    assert (check.name, check.record) == ("example.com", "MX")
    assert check.expect.equals == ["mx1.example.com"]
    assert check.target() == "example.com"
