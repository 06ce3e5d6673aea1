"""The vantage check: a control target counts only when it really answers.

Port 53 is where the DNS rule applies; these tests move that rule to the local servers' ports
(``dns_port``) so they need no privileged port.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator

import pytest

from freecost.vantage import Vantage, check_vantage
from tests.servers.dns_server import serve_zone
from tests.servers.hostile import closed_port

ROOT = """
@  SOA  a.root-servers.net. nstld.verisign-grs.com. 1 1800 900 604800 86400
@  NS   a.root-servers.net.
@  NS   b.root-servers.net.
"""


def vantage(control: list[str], dns_port: int) -> Vantage:
    return asyncio.run(check_vantage(control, timeout=2.0, dns_port=dns_port))


@pytest.fixture
def accepts_and_hangs_up() -> Iterator[int]:
    """A port that accepts every connection and closes it at once, as some firewalls do."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port: int = listener.getsockname()[1]

        def hang_up() -> None:
            while True:
                try:
                    conn, _ = listener.accept()
                except OSError:
                    return
                conn.close()

        thread = threading.Thread(target=hang_up, daemon=True)
        thread.start()
        yield port
        listener.shutdown(socket.SHUT_RDWR)


def test_a_resolver_that_answers_means_online() -> None:
    with serve_zone(ROOT, ".") as server:
        found = vantage([f"127.0.0.1:{server.port}"], dns_port=server.port)
    assert (found.online, found.checked, found.reached) == (True, True, f"127.0.0.1:{server.port}")
    assert [(q.name, q.type, q.transport) for q in server.queries] == [(".", "NS", "tcp")]


def test_a_connection_that_says_nothing_on_the_dns_port_means_offline(
    accepts_and_hangs_up: int,
) -> None:
    port = accepts_and_hangs_up
    found = vantage([f"127.0.0.1:{port}"], dns_port=port)
    assert (found.online, found.checked, found.reached) == (False, True, None)
    assert found.offline_summary() == (
        f"this machine's network is down (none of 127.0.0.1:{port} answered); "
        "not the vendor's fault"
    )


def test_a_resolver_that_refuses_the_question_means_offline() -> None:
    # A server for another zone answers the root question with REFUSED, as a fake resolver
    # that answers everything with an error would.
    with serve_zone("@ SOA ns1 host 1 1 1 1 1\n@ NS ns1\n", "shop.example") as server:
        found = vantage([f"127.0.0.1:{server.port}"], dns_port=server.port)
    assert not found.online


def test_a_silent_resolver_means_offline() -> None:
    with serve_zone(ROOT, ".") as server:
        server.silent = True
        found = vantage([f"127.0.0.1:{server.port}"], dns_port=server.port)
    assert not found.online


def test_other_ports_count_once_they_accept(accepts_and_hangs_up: int) -> None:
    found = vantage([f"127.0.0.1:{accepts_and_hangs_up}"], dns_port=53)
    assert found.online


def test_one_answering_target_is_enough(accepts_and_hangs_up: int) -> None:
    closed = closed_port()
    found = vantage([f"127.0.0.1:{closed}", f"127.0.0.1:{accepts_and_hangs_up}"], dns_port=53)
    assert found.reached == f"127.0.0.1:{accepts_and_hangs_up}"


def test_no_answer_anywhere_means_offline() -> None:
    closed = closed_port()
    with serve_zone(ROOT, ".") as server:
        server.silent = True
        control = [f"127.0.0.1:{closed}", f"127.0.0.1:{server.port}"]
        found = vantage(control, dns_port=server.port)
    assert not found.online
    assert found.tried == tuple(control)


def test_no_targets_means_not_checked() -> None:
    found = vantage([], dns_port=53)
    assert (found.online, found.checked) == (True, False)
