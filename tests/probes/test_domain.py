"""The ``domain`` check against a real local server playing both IANA and the registries.

The server hands out the bootstrap file with its own address as every registry's RDAP base,
so the probe walks the real path (bootstrap, then lookup) without leaving 127.0.0.1. The
clock is fixed, so day counts are exact.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
import errno
import json
import re
import socket
import ssl
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from freecost.probes import domain, rdap
from freecost.probes.context import ProbeContext
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import make_context
from tests.servers.http import serve

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "rdap"
NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)
NEGATIVE_NUMBER = re.compile(r"(?<![\w])-\s*\d")  # a minus sign, not a date's hyphen

Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def json_answer(data: Any, status: int = 200) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.json_response(data, status=status, content_type="application/rdap+json")

    return answer


def raw_answer(body: bytes, status: int = 200) -> Answer:
    async def answer(request: web.Request) -> web.StreamResponse:
        return web.Response(body=body, status=status, content_type="application/rdap+json")

    return answer


async def endless(request: web.Request) -> web.StreamResponse:
    """A body that never ends (bounded at 64 MiB so a broken client cannot hang the test)."""
    response = web.StreamResponse(headers={"Content-Type": "application/rdap+json"})
    await response.prepare(request)
    try:
        for _ in range(1024):
            await response.write(b" " * 65536)
    except ConnectionError:
        pass
    return response


async def declares_a_huge_body(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(
        headers={"Content-Type": "application/rdap+json", "Content-Length": str(10**9)}
    )
    await response.prepare(request)
    await response.write(b"{")
    return response


def registration(expires: datetime | None, **changes: Any) -> dict[str, Any]:
    """The Verisign-style answer with its expiry moved to ``expires`` and ``changes`` applied."""
    data: dict[str, Any] = copy.deepcopy(fixture("verisign-domain.json"))
    events = [event for event in data["events"] if event["eventAction"] != "expiration"]
    if expires is not None:
        events.append({"eventAction": "expiration", "eventDate": expires.isoformat()})
    data["events"] = events
    data.update(changes)
    return data


def nameservers(*hosts: str) -> list[dict[str, str]]:
    return [{"objectClassName": "nameserver", "ldhName": host} for host in hosts]


class FakeRegistries:
    """IANA's bootstrap and every registry's RDAP service on one server, counting requests."""

    def __init__(self) -> None:
        self.answers: dict[str, Answer] = {}
        self.hits: Counter[str] = Counter()
        self.bootstrap: Answer | None = None
        self.bootstrap_delay = 0.0
        self.hold_bootstrap = threading.Event()  # while set, /dns.json hangs (up to 5 s)
        self.dead = f"http://127.0.0.1:{closed_port()}"
        self.base = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/dns.json", self._bootstrap)
        app.router.add_get("/{registry}/domain/{name}", self._domain)
        return app

    async def _bootstrap(self, request: web.Request) -> web.StreamResponse:
        self.hits["/dns.json"] += 1
        await asyncio.sleep(self.bootstrap_delay)
        for _ in range(500):
            if not self.hold_bootstrap.is_set():
                break
            await asyncio.sleep(0.01)
        if self.bootstrap is not None:
            return await self.bootstrap(request)
        text = (FIXTURES / "bootstrap.json").read_text()
        text = text.replace("{base}", f"http://{request.host}").replace("{dead}", self.dead)
        return web.Response(text=text, content_type="application/json")

    async def _domain(self, request: web.Request) -> web.StreamResponse:
        self.hits[request.path] += 1
        answer = self.answers.get(request.match_info["name"])
        if answer is None:
            return web.json_response(fixture("not-found.json"), status=404)
        return await answer(request)

    def context(self, base_dir: Path) -> ProbeContext:
        ctx = make_context(base_dir, rdap={"bootstrap_url": self.base + "/dns.json"})
        # These servers speak plain HTTP: an empty trust store spares loading the system's,
        # which costs more than the rest of a test.
        bare = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        return dataclasses.replace(ctx, now=lambda: NOW, _ssl=bare)

    def check(self, base_dir: Path, name: str, **spec: Any) -> Outcome:
        return self.check_many(base_dir, [name], **spec)[0]

    def check_many(self, base_dir: Path, names: list[str], **spec: Any) -> list[Outcome]:
        checks = [
            domain.Check.model_validate({"id": "reg", "type": "domain", "name": name, **spec})
            for name in names
        ]

        async def go() -> list[Outcome]:
            async with self.context(base_dir) as ctx, asyncio.timeout(10):
                return list(await asyncio.gather(*(domain.probe(c, ctx) for c in checks)))

        return asyncio.run(go())


@pytest.fixture
def registries() -> Iterator[FakeRegistries]:
    fake = FakeRegistries()
    with serve(fake.app()) as base:
        fake.base = base
        yield fake


# --- expiry -------------------------------------------------------------------------------


def test_a_healthy_registration_is_ok(registries: FakeRegistries, tmp_path: Path) -> None:
    registries.answers["shop-example.com"] = json_answer(
        registration(NOW + timedelta(days=400, hours=3))
    )
    outcome = registries.check(tmp_path, "Shop-Example.COM.")
    assert outcome.status is Status.OK
    assert outcome.layer is None
    assert outcome.summary == (
        "shop-example.com: registered until 2026-07-06 (400 days left) with Budget Names, LLC; "
        "transfer lock on; nameservers at 2 providers"
    )
    assert dict(outcome.details) == {
        "expires": "2026-07-06",
        "days_left": 400,
        "registered": "2009-03-02",
        "last_changed": "2024-02-27",
        "registrar": "Budget Names, LLC",
        "locked": True,
        "statuses": [
            "client delete prohibited",
            "client transfer prohibited",
            "client update prohibited",
        ],
        "nameservers": ["ns1.dnshost-one.net", "ns2.dnshost-one.net", "dns3.otherhost.org"],
        "nameserver_providers": {
            "dnshost-one.net": ["ns1.dnshost-one.net", "ns2.dnshost-one.net"],
            "otherhost.org": ["dns3.otherhost.org"],
        },
        "rdap_url": f"{registries.base}/verisign/domain/shop-example.com",
    }
    json.dumps(outcome.details)


def test_expiry_within_warn_is_a_warning(registries: FakeRegistries, tmp_path: Path) -> None:
    registries.answers["shop-example.com"] = json_answer(
        registration(NOW + timedelta(days=20, hours=1))
    )
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.VENDOR)
    assert outcome.summary == "shop-example.com: registration expires in 20 days (2025-06-21)"
    assert outcome.details["days_left"] == 20


def test_expiry_within_fail_fails(registries: FakeRegistries, tmp_path: Path) -> None:
    registries.answers["shop-example.com"] = json_answer(
        registration(NOW + timedelta(days=3, hours=5))
    )
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)
    assert outcome.summary == (
        "shop-example.com: registration expires in 3 days (2025-06-04); renew it now"
    )
    assert outcome.details["days_left"] == 3


def test_thresholds_come_from_the_check(registries: FakeRegistries, tmp_path: Path) -> None:
    registries.answers["shop-example.com"] = json_answer(registration(NOW + timedelta(days=45)))
    outcome = registries.check(tmp_path, "shop-example.com", expiry={"warn": "60d", "fail": "2w"})
    assert outcome.status is Status.WARN
    assert outcome.summary == "shop-example.com: registration expires in 45 days (2025-07-16)"


def test_an_expired_registration_fails(registries: FakeRegistries, tmp_path: Path) -> None:
    registries.answers["shop-example.com"] = json_answer(
        registration(NOW - timedelta(days=3, hours=2))
    )
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)
    assert outcome.summary == (
        "shop-example.com: registration expired 3 days ago (2025-05-29); renew it now"
    )
    assert outcome.details["expires"] == "2025-05-29"
    assert outcome.details["days_left"] == -3


@pytest.mark.parametrize(
    ("left", "status", "phrase"),
    [
        (timedelta(days=30, seconds=1), Status.OK, "(30 days left)"),
        (timedelta(days=30), Status.WARN, "expires in 30 days"),
        (timedelta(days=7, seconds=1), Status.WARN, "expires in 7 days"),
        (timedelta(days=7), Status.FAIL, "expires in 7 days"),
        (timedelta(hours=5), Status.FAIL, "expires in less than a day"),
        (timedelta(0), Status.FAIL, "expired less than a day ago"),
        (-timedelta(hours=5), Status.FAIL, "expired less than a day ago"),
        (-timedelta(days=1), Status.FAIL, "expired 1 day ago"),
    ],
)
def test_threshold_edges(left: timedelta, status: Status, phrase: str) -> None:
    outcome = assess(registration_of(NOW + left))
    assert outcome.status is status
    assert phrase in outcome.summary


def test_a_registry_without_an_expiry_date_warns_without_a_figure(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    registries.answers["bakery-example.org"] = json_answer(fixture("no-expiration.json"))
    outcome = registries.check(tmp_path, "bakery-example.org")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.VENDOR)
    assert outcome.summary == (
        "bakery-example.org: the .org registry does not publish the expiry date; "
        "check it with the registrar; transfer lock is off; ask the registrar to turn it on"
    )
    assert outcome.details["expires"] is None
    assert outcome.details["days_left"] is None
    assert outcome.details["registrar"] == "IANA registrar ID 4711"
    assert outcome.details["locked"] is False
    assert outcome.details["rdap_url"] == f"{registries.base}/pir/domain/bakery-example.org"


def test_an_unreadable_expiry_date_warns(registries: FakeRegistries, tmp_path: Path) -> None:
    data = registration(None)
    data["events"].append({"eventAction": "expiration", "eventDate": "next spring"})
    registries.answers["shop-example.com"] = json_answer(data)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert outcome.status is Status.WARN
    assert outcome.summary == (
        "shop-example.com: the .com registry gives an expiry date that cannot be read "
        "('next spring')"
    )
    assert outcome.details["days_left"] is None


def test_with_two_expiry_dates_the_sooner_counts() -> None:
    data = registration(NOW + timedelta(days=400))
    data["events"].append(
        {"eventAction": "Expiration", "eventDate": (NOW + timedelta(days=5)).isoformat()}
    )
    found = rdap.parse_domain(data)
    assert found.expires == NOW + timedelta(days=5)


# --- registries that cannot answer -----------------------------------------------------------


def test_a_tld_without_rdap_is_an_error_with_no_figure(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    outcome = registries.check(tmp_path, "shop-example.xyz")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.VENDOR)
    assert outcome.summary == (
        "shop-example.xyz: the .xyz registry offers no RDAP service; expiry cannot be checked here"
    )
    assert outcome.details["days_left"] is None
    assert outcome.details["expires"] is None
    for text in (outcome.summary, json.dumps(outcome.details)):
        assert not NEGATIVE_NUMBER.search(text), text
    assert registries.hits["/dns.json"] == 1


def test_a_bootstrap_entry_with_no_http_url_counts_as_no_rdap(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    outcome = registries.check(tmp_path, "shop.ftp-only")
    assert outcome.status is Status.ERROR
    assert "the .ftp-only registry offers no RDAP service" in outcome.summary


def test_a_domain_the_registry_does_not_know_fails(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    outcome = registries.check(tmp_path, "never-registered.com")
    assert (outcome.status, outcome.layer) == (Status.FAIL, Layer.VENDOR)
    assert outcome.summary == (
        "never-registered.com is not registered: the .com registry has no record of it"
    )
    assert registries.hits["/verisign/domain/never-registered.com"] == 1


def test_not_registered_hints_at_a_host_name(registries: FakeRegistries, tmp_path: Path) -> None:
    outcome = registries.check(tmp_path, "www.shop-example.com")
    assert outcome.status is Status.FAIL
    assert outcome.summary.endswith("(if it is a host under your domain, name the domain itself)")


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (raw_answer(b"upstream down", status=500), "it answered HTTP 500 (Internal Server Error)"),
        (raw_answer(b"slow down", status=429), "it answered HTTP 429 (too many requests"),
        (raw_answer(b"<html>Welcome to nginx</html>"), "its answer is not valid JSON"),
        (raw_answer(b"\xff\xfe\x00"), "its answer is not valid JSON"),
        (raw_answer(b"[" * 100_000), "its answer is nested too deeply to be RDAP"),
        (json_answer(["not", "an", "object"]), "its answer is not an RDAP object"),
        (json_answer({"objectClassName": "entity"}), "its answer is a 'entity' object"),
        (json_answer({"errorCode": 400, "title": "Bad"}), "it answered with an error: Bad"),
        (endless, "its answer is larger than 1024 KiB"),
        (declares_a_huge_body, "its answer is larger than 1024 KiB"),
    ],
)
def test_a_registry_that_answers_badly_is_an_error(
    registries: FakeRegistries, tmp_path: Path, answer: Answer, reason: str
) -> None:
    registries.answers["shop-example.com"] = answer
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.VENDOR)
    prefix = "shop-example.com: could not ask the .com registry (127.0.0.1): "
    assert outcome.summary.startswith(prefix + reason), outcome.summary
    assert outcome.summary.endswith("; expiry cannot be checked right now")
    assert outcome.details["days_left"] is None


def test_an_unreachable_registry_is_an_error(registries: FakeRegistries, tmp_path: Path) -> None:
    outcome = registries.check(tmp_path, "shop-example.dead")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.VENDOR)
    assert outcome.summary.startswith(
        "shop-example.dead: could not ask the .dead registry (127.0.0.1): could not reach it ("
    )
    assert outcome.details["rdap_url"] == f"{registries.dead}/domain/shop-example.dead"


def test_no_route_from_this_machine_is_blamed_on_this_machine() -> None:
    cause = OSError(errno.ENETUNREACH, "Network is unreachable")
    failure = httpx.ConnectError("connect failed")
    failure.__cause__ = cause
    error = rdap.transport_error(failure)
    assert error.layer is Layer.LOCAL
    assert error.reason == "this machine has no route to it ([Errno 101] Network is unreachable)"


def test_a_refused_connection_is_blamed_on_the_registry() -> None:
    failure = httpx.ConnectError("refused")
    failure.__cause__ = ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
    assert rdap.transport_error(failure).layer is Layer.VENDOR
    assert rdap.transport_error(httpx.ReadTimeout("slow")).reason == "it did not answer in time"


# --- the bootstrap --------------------------------------------------------------------------


def test_the_bootstrap_is_fetched_once_for_many_checks(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    registries.bootstrap_delay = 0.05  # every check is waiting while the first one fetches
    names = [f"shop{n}-example.com" for n in range(20)]
    for name in names:
        registries.answers[name] = json_answer(registration(NOW + timedelta(days=90)))
    outcomes = registries.check_many(tmp_path, names)
    assert [outcome.status for outcome in outcomes] == [Status.OK] * 20
    assert registries.hits["/dns.json"] == 1
    assert sum(registries.hits.values()) == 21


def test_a_check_cancelled_while_fetching_the_bootstrap_leaves_nothing_behind(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    registries.answers["shop-example.com"] = json_answer(registration(NOW + timedelta(days=90)))
    check = domain.Check.model_validate({"id": "reg", "type": "domain", "name": "shop-example.com"})

    async def go() -> Outcome:
        async with registries.context(tmp_path) as ctx:
            registries.hold_bootstrap.set()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(0.2):  # the runner's deadline, cutting the fetch
                    await domain.probe(check, ctx)
            registries.hold_bootstrap.clear()
            async with asyncio.timeout(10):
                return await domain.probe(check, ctx)

    # A lock left held would time out; a cancelled fetch remembered would be an error.
    assert asyncio.run(go()).status is Status.OK


def test_a_failed_bootstrap_is_fetched_once_and_reported_by_every_check(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    registries.bootstrap = raw_answer(b"oops", status=503)
    outcomes = registries.check_many(tmp_path, ["a-example.com", "b-example.com", "c.org"])
    assert registries.hits["/dns.json"] == 1
    for outcome in outcomes:
        assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.VENDOR)
        assert outcome.summary.endswith(
            ": could not read the RDAP bootstrap file from 127.0.0.1: it answered HTTP 503 "
            "(Service Unavailable); expiry cannot be checked right now"
        )
        assert outcome.details["bootstrap_url"] == registries.base + "/dns.json"


def test_a_missing_bootstrap_file_is_a_configuration_error(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    registries.bootstrap = raw_answer(b"{}", status=404)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.CONFIG)
    assert outcome.summary == (
        f"shop-example.com: the RDAP bootstrap file is not at {registries.base}/dns.json "
        "(see settings.rdap.bootstrap_url); expiry cannot be checked right now"
    )


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"services": "none"}', "the RDAP bootstrap file has no list of services"),
        (b'{"services": [[["com"], ["mailto:x"]]]}', "the RDAP bootstrap file lists no usable"),
        (b"not json", "could not read the RDAP bootstrap file from 127.0.0.1: its answer is not"),
    ],
)
def test_a_broken_bootstrap_file_is_an_error(
    registries: FakeRegistries, tmp_path: Path, body: bytes, reason: str
) -> None:
    registries.bootstrap = raw_answer(body)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.ERROR, Layer.VENDOR)
    assert outcome.summary.startswith("shop-example.com: " + reason), outcome.summary


def test_the_longest_matching_suffix_picks_the_registry(
    registries: FakeRegistries, tmp_path: Path
) -> None:
    answer = json_answer(registration(NOW + timedelta(days=200)))
    registries.answers["bakery.co.uk"] = answer
    registries.answers["bakery.uk"] = answer
    outcomes = registries.check_many(tmp_path, ["bakery.co.uk", "bakery.uk"])
    assert [outcome.details["rdap_url"] for outcome in outcomes] == [
        f"{registries.base}/nominet-co-uk/domain/bakery.co.uk",
        f"{registries.base}/nominet-uk/domain/bakery.uk",
    ]
    assert [outcome.status for outcome in outcomes] == [Status.OK, Status.OK]


def test_the_bootstrap_prefers_https_and_joins_paths_with_one_slash() -> None:
    table = rdap.Bootstrap.from_json(
        {
            "services": [
                [["com"], ["http://plain.example/v1/", "https://secure.example/v1"]],
                [["net"], ["http://plain.example/net/"]],
            ]
        }
    )
    com = table.service_for("shop.com")
    net = table.service_for("shop.net")
    assert com is not None
    assert net is not None
    assert com.domain_url("shop.com") == "https://secure.example/v1/domain/shop.com"
    assert net.domain_url("shop.net") == "http://plain.example/net/domain/shop.net"
    assert table.service_for("shop.org") is None


def test_unusable_addresses_in_the_bootstrap_are_skipped() -> None:
    unusable = [
        "http://[::1",
        "http://127.0.0.1:99999/",
        "https://bad host/",
        "https://ctl\x00.example/",
        "ftp://files.example/",
        "https:///no-host",
        7,
    ]
    table = rdap.Bootstrap.from_json(
        {"services": [[["com"], [*unusable, "http://good.example/"]], [["org"], unusable]]}
    )
    assert table.service_for("shop.com") == rdap.Service("com", "http://good.example/")
    assert table.service_for("shop.org") is None


# --- statuses and nameservers ---------------------------------------------------------------


def test_no_transfer_lock_warns(registries: FakeRegistries, tmp_path: Path) -> None:
    data = registration(NOW + timedelta(days=400), status=["active"])
    registries.answers["shop-example.com"] = json_answer(data)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.VENDOR)
    assert (
        outcome.summary == "shop-example.com: transfer lock is off; ask the registrar to turn it on"
    )
    assert outcome.details["locked"] is False


def test_a_worse_expiry_outranks_the_missing_lock() -> None:
    outcome = assess(registration_of(NOW + timedelta(days=2), statuses=("active",)))
    assert outcome.status is Status.FAIL
    assert outcome.summary == (
        "shop-example.com: registration expires in 2 days (2025-06-03); renew it now; "
        "transfer lock is off; ask the registrar to turn it on"
    )


def test_epp_style_lock_names_count(registries: FakeRegistries, tmp_path: Path) -> None:
    data = registration(NOW + timedelta(days=400), status=["serverTransferProhibited"])
    registries.answers["shop-example.com"] = json_answer(data)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert outcome.status is Status.OK
    assert outcome.details["locked"] is True


def test_a_registry_publishing_no_status_leaves_the_lock_unknown() -> None:
    outcome = assess(registration_of(NOW + timedelta(days=400), statuses=()))
    assert outcome.status is Status.OK
    assert outcome.details["locked"] is None
    assert "lock" not in outcome.summary


@pytest.mark.parametrize(
    ("status", "phrase"),
    [
        ("client hold", "the domain is on hold ('client hold'): it is out of the DNS"),
        ("redemption period", "the registration has lapsed (the registry lists it as"),
        ("pendingDelete", "the registration has lapsed (the registry lists it as 'pendingDelete')"),
    ],
)
def test_a_domain_on_hold_or_lapsed_fails_even_before_its_expiry_date(
    status: str, phrase: str
) -> None:
    found = registration_of(
        NOW + timedelta(days=300), statuses=("client transfer prohibited", status)
    )
    outcome = assess(found)
    assert outcome.status is Status.FAIL
    assert phrase in outcome.summary


def test_all_nameservers_at_one_provider_warns(registries: FakeRegistries, tmp_path: Path) -> None:
    data = registration(
        NOW + timedelta(days=400),
        nameservers=nameservers(
            "ns1.dnshost-one.net", "NS2.DNSHOST-ONE.NET", "ns3.dnshost-one.net"
        ),
    )
    registries.answers["shop-example.com"] = json_answer(data)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert (outcome.status, outcome.layer) == (Status.WARN, Layer.VENDOR)
    assert outcome.summary == (
        "shop-example.com: all nameservers at one provider (dnshost-one.net); "
        "when it is down, the website and email are unreachable"
    )
    assert outcome.details["nameserver_providers"] == {
        "dnshost-one.net": ["ns1.dnshost-one.net", "ns2.dnshost-one.net", "ns3.dnshost-one.net"]
    }


def test_one_provider_is_only_a_note_when_something_worse_is_wrong() -> None:
    found = registration_of(NOW + timedelta(days=20), nameservers=("a.ns.one.net", "b.ns.one.net"))
    outcome = assess(found)
    assert outcome.status is Status.WARN
    assert outcome.summary == "shop-example.com: registration expires in 20 days (2025-06-21)"
    assert outcome.details["nameserver_providers"] == {"one.net": ["a.ns.one.net", "b.ns.one.net"]}


@pytest.mark.parametrize(
    ("host", "provider"),
    [
        ("ns1.dnshost.net", "dnshost.net"),
        ("a.b.c.dnshost.net.", "dnshost.net"),
        ("ns1.hosting.co.uk", "hosting.co.uk"),
        ("dns.example.com.au", "example.com.au"),
        ("ns1.example.de", "example.de"),
        ("localhost", "localhost"),
    ],
)
def test_nameserver_provider(host: str, provider: str) -> None:
    assert domain.provider_of(host) == provider


def test_outside_text_is_made_plain_and_short(registries: FakeRegistries, tmp_path: Path) -> None:
    data = registration(NOW + timedelta(days=400))
    data["entities"][0]["vcardArray"][1][1][3] = "\x1b[31mEvil\nRegistrar " + "x" * 500
    registries.answers["shop-example.com"] = json_answer(data)
    outcome = registries.check(tmp_path, "shop-example.com")
    assert outcome.details["registrar"] == ("[31mEvil Registrar " + "x" * 500)[:199] + "…"
    assert "\x1b" not in outcome.summary
    assert "\n" not in outcome.summary


def test_malformed_parts_of_an_answer_are_ignored() -> None:
    found = rdap.parse_domain(
        {
            "objectClassName": "domain",
            "events": ["x", {"eventAction": 3}, {"eventAction": "expiration", "eventDate": 5}],
            "status": [None, "active", 7],
            "nameservers": [{"ldhName": None}, "ns1.a.net", {"ldhName": "NS1.A.NET."}],
            "entities": [{"roles": ["registrar"], "publicIds": "nope", "handle": "R-1"}],
        }
    )
    assert found == rdap.Registration(
        expires=None,
        expiration_text=None,
        registered=None,
        last_changed=None,
        statuses=("active",),
        nameservers=("ns1.a.net",),
        registrar="R-1",
    )


# --- parameters -----------------------------------------------------------------------------


def validate(**spec: Any) -> domain.Check:
    return domain.Check.model_validate({"id": "reg", "type": "domain", **spec})


def message(**spec: Any) -> str:
    with pytest.raises(ValidationError) as caught:
        validate(**spec)
    errors = caught.value.errors()
    assert len(errors) == 1
    return str(errors[0]["msg"])


def test_defaults() -> None:
    check = validate(name="example.com")
    assert check.expiry.warn == timedelta(days=30)
    assert check.expiry.fail == timedelta(days=7)


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("Example.COM.", "example.com"),
        ("  example.com ", "example.com"),
        ("Bücher.de", "xn--bcher-kva.de"),
        ("straße.de", "xn--strae-oqa.de"),
        ("ＥＸＡＭＰＬＥ.com", "example.com"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ],
)
def test_names_are_normalised(written: str, name: str) -> None:
    assert validate(name=written).name == name


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("not a domain", "'not a domain' is not a domain name: it contains a space"),
        (
            "https://example.com/",
            "'https://example.com/' is not a domain name: write the "
            "domain only, without https:// or a path",
        ),
        (
            "owner@example.com",
            "'owner@example.com' is not a domain name: write the domain "
            "only, without the part before the @",
        ),
        ("com", "'com' is not a domain name: it needs a name and an ending, like example.com"),
        (
            "example..com",
            "'example..com' is not a domain name: it has an empty part (two dots "
            "in a row, or a dot at the start)",
        ),
        ("-shop.com", "'-shop.com' is not a domain name: '-shop' starts or ends with a hyphen"),
        (
            "my_shop.com",
            "'my_shop.com' is not a domain name: 'my_shop' may hold only letters, "
            "digits and hyphens, up to 63 of them",
        ),
        (
            "192.168.1.1",
            "'192.168.1.1' is not a domain name: it is an IP address, not a domain name",
        ),
        ("a" * 64 + ".com", "may hold only letters, digits and hyphens, up to 63 of them"),
        (".".join(["abcdefghij"] * 24), "it is longer than 253 characters"),
        ("bü cher.de", "'bü cher.de' is not a domain name: it contains a space"),
        ("☃-shop.com", "'☃-shop.com' is not a domain name: it is not a valid international name"),
    ],
)
def test_bad_names_are_refused_readably(written: str, expected: str) -> None:
    text = message(name=written)
    assert expected in text
    assert text.endswith("(write it like example.com)")


def test_a_name_must_be_text() -> None:
    assert message(name=42) == "expected a domain name like example.com"


def test_warn_may_not_be_shorter_than_fail() -> None:
    assert message(name="example.com", expiry={"warn": "7d", "fail": "30d"}) == (
        "warn (1w) must not be shorter than fail (30d): the warning has to come before the failure"
    )


def test_warn_may_equal_fail() -> None:
    check = validate(name="example.com", expiry={"warn": "7d", "fail": "7d"})
    assert check.expiry.warn == check.expiry.fail


def test_thresholds_need_units() -> None:
    assert message(name="example.com", expiry={"warn": 30}) == (
        "a duration needs a unit: write 30s, 30m, ... (90s, 5m, 4h, 1d, 2w)"
    )


def test_unknown_parameters_are_refused() -> None:
    assert message(name="example.com", expires={"warn": "30d"}) == "Extra inputs are not permitted"


# --- properties -----------------------------------------------------------------------------


def registration_of(
    expires: datetime | None,
    *,
    statuses: tuple[str, ...] = ("client transfer prohibited",),
    nameservers: tuple[str, ...] = ("ns1.a-dns.net", "ns1.b-dns.org"),
) -> rdap.Registration:
    return rdap.Registration(
        expires=expires,
        expiration_text=None if expires is None else expires.isoformat(),
        registered=None,
        last_changed=None,
        statuses=statuses,
        nameservers=nameservers,
        registrar="Budget Names, LLC",
    )


def assess(found: rdap.Registration, check: domain.Check | None = None) -> Outcome:
    check = check or validate(name="shop-example.com")
    return domain.assess(check, found, "the .com registry", NOW, "http://127.0.0.1/x")


@given(st.integers(min_value=-5 * 365 * 86400, max_value=5 * 365 * 86400))
def test_the_status_follows_the_thresholds_and_the_summary_counts_up(seconds: int) -> None:
    left = timedelta(seconds=seconds)
    outcome = assess(registration_of(NOW + left))
    if left <= timedelta(days=7):
        assert outcome.status is Status.FAIL
    elif left <= timedelta(days=30):
        assert outcome.status is Status.WARN
    else:
        assert outcome.status is Status.OK
    assert not NEGATIVE_NUMBER.search(outcome.summary)
    assert outcome.details["days_left"] == int(left / timedelta(days=1))
