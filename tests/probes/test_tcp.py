"""The ``tcp`` check against real listeners on loopback, and names from a local DNS server.

Host names that must not exist are asked of the test DNS server (``settings.dns``): the
system resolver would send them to this machine's real nameserver.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freecost.probes import tcp
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import run_probe
from tests.servers.dns_server import ZoneServer, serve_zone
from tests.servers.tls_server import serve, stalled

ZONE = """
@          SOA   ns1.shop.test. hostmaster.shop.test. 1 3600 600 1209600 300
@          NS    ns1.shop.test.
www        A     127.0.0.1
both       AAAA  ::1
both       A     127.0.0.1
mail       TXT   "no address here"
"""


@pytest.fixture(scope="module")
def zone() -> Iterator[ZoneServer]:
    with serve_zone(ZONE, "shop.test") as server:
        yield server


def check(base: Path, host: str, port: int, **settings: Any) -> Outcome:
    return run_probe(tcp, {"type": "tcp", "host": host, "port": port}, base, **settings)


def by_zone(zone: ZoneServer) -> dict[str, Any]:
    return {"dns": {"nameservers": ["127.0.0.1"], "port": zone.port}}


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port that refuses connections: bound, so nothing else takes it, but not listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_an_open_port_is_ok_and_the_connection_is_closed_again(tmp_path: Path) -> None:
    hung_up = threading.Event()
    with serve(stalled(hung_up)) as port:
        outcome = check(tmp_path, "127.0.0.1", port)
        assert hung_up.wait(10), "the probe left its connection open"
    assert outcome.status is Status.OK
    assert outcome.layer is None
    assert re.fullmatch(
        rf"127\.0\.0\.1 accepts connections on port {port} \(\d+ ms\)", outcome.summary
    )
    assert outcome.details["address"] == "127.0.0.1"
    assert outcome.details["port"] == port
    assert isinstance(outcome.details["connect_ms"], float)
    assert "dns_ms" not in outcome.details
    json.dumps(dict(outcome.details))


def test_a_name_goes_through_the_system_resolver(tmp_path: Path) -> None:
    hung_up = threading.Event()
    with serve(stalled(hung_up)) as port:
        outcome = check(tmp_path, "localhost", port)
    assert outcome.status is Status.OK
    assert outcome.summary.startswith(f"localhost accepts connections on port {port}")
    assert outcome.details["address"] == "127.0.0.1"
    assert isinstance(outcome.details["dns_ms"], float)


def test_a_refused_port_fails_at_connect(tmp_path: Path, closed_port: int) -> None:
    outcome = check(tmp_path, "127.0.0.1", closed_port)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT
    assert outcome.summary == f"127.0.0.1 refused the connection on port {closed_port}"
    assert outcome.details == {"addresses": ["127.0.0.1"], "port": closed_port}


def test_the_configured_resolver_is_used(tmp_path: Path, zone: ZoneServer) -> None:
    hung_up = threading.Event()
    with serve(stalled(hung_up)) as port:
        outcome = check(tmp_path, "www.shop.test", port, **by_zone(zone))
    assert outcome.status is Status.OK
    assert outcome.details["address"] == "127.0.0.1"
    assert {query.name for query in zone.queries} >= {"www.shop.test"}


def test_every_address_is_tried_in_turn(tmp_path: Path, zone: ZoneServer) -> None:
    hung_up = threading.Event()
    with serve(stalled(hung_up)) as port:
        outcome = check(tmp_path, "both.shop.test", port, **by_zone(zone))
    assert outcome.status is Status.OK
    assert outcome.details["address"] == "127.0.0.1"


def test_when_every_address_refuses_all_are_named(
    tmp_path: Path, zone: ZoneServer, closed_port: int
) -> None:
    outcome = check(tmp_path, "both.shop.test", closed_port, **by_zone(zone))
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONNECT
    assert outcome.summary == f"both.shop.test refused the connection on port {closed_port}"
    assert outcome.details["addresses"] == ["::1", "127.0.0.1"]


@pytest.mark.parametrize(
    ("host", "summary"),
    [
        ("missing.shop.test", "missing.shop.test was not found in DNS"),
        ("mail.shop.test", "mail.shop.test has no address records in DNS"),
    ],
)
def test_a_host_without_an_address_fails_at_dns(
    tmp_path: Path, zone: ZoneServer, host: str, summary: str
) -> None:
    outcome = check(tmp_path, host, 25, **by_zone(zone))
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary == summary
    assert outcome.details == {"host": host}


def test_a_failing_nameserver_fails_at_dns(tmp_path: Path, zone: ZoneServer) -> None:
    zone.servfail.add("www.shop.test.")
    try:
        outcome = check(tmp_path, "www.shop.test", 25, **by_zone(zone))
    finally:
        zone.servfail.clear()
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.DNS
    assert outcome.summary.startswith("DNS lookup for www.shop.test failed: ")
    assert "SERVFAIL" in outcome.summary
    assert len(outcome.summary) <= 200


# --- parameters ---


def model_error(**spec: Any) -> tuple[tuple[int | str, ...], str]:
    with pytest.raises(ValidationError) as caught:
        tcp.Check.model_validate({"id": "port", "type": "tcp", **spec})
    errors = caught.value.errors()
    assert len(errors) == 1
    return errors[0]["loc"], errors[0]["msg"]


def test_a_valid_check_names_its_target() -> None:
    check = tcp.Check.model_validate(
        {"id": "port", "type": "tcp", "host": "MX.Example.com", "port": 25}
    )
    assert (check.host, check.port, check.target()) == ("mx.example.com", 25, "mx.example.com")


@pytest.mark.parametrize(
    ("spec", "loc", "message"),
    [
        ({"host": "example.com"}, ("port",), "Field required"),
        ({"port": 25}, ("host",), "Field required"),
        (
            {"host": "example.com", "port": 70000},
            ("port",),
            "Input should be less than or equal to 65535",
        ),
        ({"host": 25, "port": 25}, ("host",), "expected a host name like mail.example.com"),
        (
            {"host": "smtp://mail.example.com", "port": 25},
            ("host",),
            "'smtp://mail.example.com' is not a host name or IP address "
            "(write it like mail.example.com, without https:// or a port)",
        ),
        (
            {"host": "bad_host-.example", "port": 25},
            ("host",),
            "'bad_host-.example' is not a host name or IP address "
            "(write it like mail.example.com, without https:// or a port)",
        ),
        (
            {"host": "a" * 64 + ".example", "port": 25},
            ("host",),
            f"'{'a' * 64}.example' is not a host name or IP address "
            "(write it like mail.example.com, without https:// or a port)",
        ),
    ],
)
def test_bad_parameters_are_refused_readably(
    spec: dict[str, Any], loc: tuple[str, ...], message: str
) -> None:
    assert model_error(**spec) == (loc, message)
