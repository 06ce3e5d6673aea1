"""A real authoritative DNS server on 127.0.0.1 for tests, over UDP and TCP on one port.

It answers from a zone written in master-file format, in its own thread and event loop (as
``tests.servers.http`` does), so a probe that stalls cannot deadlock the server or the other
way round. It is meant for every check that reads DNS (records, mail authentication), so it
answers the way an authoritative server does:

* records of the asked type, with the ``AA`` flag; CNAME chains inside the zone are followed;
* ``NXDOMAIN`` with the zone's SOA for a name that does not exist;
* ``NOERROR`` with no answer and the SOA for a name that exists without that type (including
  empty non-terminals such as ``example.com`` when only ``_dmarc.example.com`` has records);
* ``REFUSED`` for names outside the zone.

Switches on the yielded :class:`ZoneServer` make it misbehave, and may be flipped while it
runs: ``servfail`` (names answered with SERVFAIL), ``silent`` (never answer, over UDP or TCP),
``truncate_udp`` (every UDP answer is empty with the TC bit, so clients must retry over TCP)
and ``delay`` (seconds to wait before each answer). ``queries`` records what was asked, so a
test can prove which transport a client used. ``serve_zone(..., tcp=False)`` serves UDP only
and refuses TCP connections. Delegations and wildcards are not served.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from tests.servers.streams import TrackedServer

HOST = "127.0.0.1"
DEFAULT_TTL = 300
_CNAME_HOPS = 8
_UDP_PAYLOAD = 512  # what a client without EDNS can take


@dataclass(frozen=True)
class Query:
    """One question the server received."""

    name: str
    type: str
    transport: str  # "udp" or "tcp"


@dataclass
class ZoneServer:
    """A running server: where it listens, how it misbehaves, and what it was asked."""

    zone: dns.zone.Zone
    port: int = 0
    host: str = HOST
    servfail: set[str] = field(default_factory=set)
    silent: bool = False
    truncate_udp: bool = False
    delay: float = 0.0
    queries: list[Query] = field(default_factory=list)

    @property
    def origin(self) -> dns.name.Name:
        origin = self.zone.origin
        assert origin is not None, "parse_zone always sets the origin"
        return origin

    def answer(self, wire: bytes, transport: str) -> bytes | None:
        """The response to one query in wire format, or None to stay silent."""
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return None  # not DNS: a real server drops it too
        if not query.question:
            return _with_rcode(query, dns.rcode.FORMERR).to_wire()
        question = query.question[0]
        self.queries.append(
            Query(
                question.name.to_text(omit_final_dot=True).lower(),
                dns.rdatatype.to_text(question.rdtype),
                transport,
            )
        )
        if self.silent:
            return None
        response = self._respond(query, question.name, question.rdtype)
        if transport == "udp":
            return _fit_udp(query, response, truncate=self.truncate_udp)
        return response.to_wire()

    def _respond(
        self, query: dns.message.Message, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType
    ) -> dns.message.Message:
        if qname in {_absolute(name) for name in self.servfail}:
            return _with_rcode(query, dns.rcode.SERVFAIL)
        if not qname.is_subdomain(self.origin):
            return _with_rcode(query, dns.rcode.REFUSED)
        response = dns.message.make_response(query)
        response.flags |= dns.flags.AA
        name = qname
        for _ in range(_CNAME_HOPS):
            node = self.zone.get_node(name)
            if node is None:
                if not self._has_names_below(name):
                    response.set_rcode(dns.rcode.NXDOMAIN)
                break
            wanted = node.get_rdataset(dns.rdataclass.IN, rdtype)
            if wanted is not None:
                response.answer.append(_rrset(name, wanted))
                return response
            alias = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
            if alias is None:
                break
            response.answer.append(_rrset(name, alias))
            name = alias[0].target
            if not name.is_subdomain(self.origin):
                return response  # the client resolves the outside target itself
        self._add_soa(response)
        return response

    def _has_names_below(self, name: dns.name.Name) -> bool:
        return any(other != name and other.is_subdomain(name) for other in self.zone.nodes)

    def _add_soa(self, response: dns.message.Message) -> None:
        soa = self.zone.get_rdataset(self.origin, dns.rdatatype.SOA)
        if soa is not None:
            response.authority.append(_rrset(self.origin, soa))


def _absolute(name: str) -> dns.name.Name:
    return dns.name.from_text(name)


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _with_rcode(query: dns.message.Message, rcode: dns.rcode.Rcode) -> dns.message.Message:
    response = dns.message.make_response(query)
    response.set_rcode(rcode)
    return response


def _fit_udp(query: dns.message.Message, response: dns.message.Message, *, truncate: bool) -> bytes:
    limit = max(query.payload, _UDP_PAYLOAD) if query.edns >= 0 else _UDP_PAYLOAD
    if not truncate:
        try:
            return response.to_wire(max_size=limit)
        except dns.exception.TooBig:
            pass
    cut = dns.message.make_response(query)
    cut.flags |= dns.flags.TC | (response.flags & dns.flags.AA)
    cut.set_rcode(response.rcode())
    return cut.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, server: ZoneServer) -> None:
        self.server = server
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport, though it is one.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = self.server.answer(data, "udp")
        if reply is None or self.transport is None:
            return
        transport = self.transport
        if self.server.delay:
            asyncio.get_running_loop().call_later(
                self.server.delay, _send_if_open, transport, reply, addr
            )
        else:
            transport.sendto(reply, addr)


def _send_if_open(
    transport: asyncio.DatagramTransport, reply: bytes, addr: tuple[str, int]
) -> None:
    if not transport.is_closing():
        transport.sendto(reply, addr)


class _Tcp:
    """Length-prefixed queries on a stream; a silent server holds the connection open."""

    def __init__(self, server: ZoneServer) -> None:
        self.server = server
        self.writers: set[asyncio.StreamWriter] = set()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.writers.add(writer)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(2), "big")
                reply = self.server.answer(await reader.readexactly(size), "tcp")
                if reply is None:
                    continue
                if self.server.delay:
                    await asyncio.sleep(self.server.delay)
                writer.write(len(reply).to_bytes(2, "big") + reply)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.writers.discard(writer)
            writer.close()


def _bind_pair(*, listen: bool) -> tuple[socket.socket, socket.socket]:
    """A UDP and a TCP socket bound to the same free port on 127.0.0.1.

    A TCP socket bound but not listening keeps the port reserved while every connection to it
    is refused, which is how a server that answers only over UDP looks to a client.
    """
    for _ in range(20):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((HOST, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((HOST, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        if listen:
            tcp.listen(16)
        return udp, tcp
    raise RuntimeError("no port free for both UDP and TCP on 127.0.0.1")


def parse_zone(zone_text: str, origin: str) -> dns.zone.Zone:
    """A zone from master-file text; names are absolute, and ``$TTL`` defaults to 300."""
    text = zone_text if "$TTL" in zone_text else f"$TTL {DEFAULT_TTL}\n{zone_text}"
    return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)


@contextmanager
def serve_zone(zone_text: str, origin: str, *, tcp: bool = True) -> Iterator[ZoneServer]:
    """Serve the zone until the block ends; yields the running server (``.port``).

    With ``tcp=False`` only UDP is served and TCP connections to the port are refused.
    """
    server = ZoneServer(parse_zone(zone_text, origin))
    udp_sock, tcp_sock = _bind_pair(listen=tcp)
    server.port = udp_sock.getsockname()[1]
    loop = asyncio.new_event_loop()
    streams = _Tcp(server)
    ready = threading.Event()
    udp: list[asyncio.DatagramTransport] = []
    listeners: list[asyncio.Server] = []
    tracked = TrackedServer()

    async def start() -> None:
        transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(server), sock=udp_sock)
        udp.append(transport)
        if tcp:
            listeners.append(await tracked.start(streams.handle, None, sock=tcp_sock))
        ready.set()

    async def stop() -> None:
        for transport in udp:
            transport.close()
        for listener in listeners:
            listener.close()
        for writer in list(streams.writers):
            writer.close()
        tracked.close_all()
        for listener in listeners:
            await listener.wait_closed()
        pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(start())
        loop.run_forever()

    thread = threading.Thread(target=run, name="test-dns-server", daemon=True)
    thread.start()
    if not ready.wait(10):
        raise RuntimeError("test DNS server did not start")
    try:
        yield server
    finally:
        future = asyncio.run_coroutine_threadsafe(stop(), loop)
        try:
            future.result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            loop.close()
            if not tcp:
                tcp_sock.close()
