"""An authoritative DNS server for one zone, over UDP and TCP on one port of 127.0.0.1.

It answers as an authoritative server does, which is all the ``dns`` and ``mail-auth``
checks (and checkdmarc behind the latter) need: the records asked for with the ``AA`` flag,
``NXDOMAIN`` with the SOA for a name that does not exist, an empty answer with the SOA for a
name without that type (``_dmarc`` makes the domain's other labels exist), ``REFUSED``
outside the zone. A UDP answer too large for the client is sent truncated (``TC``), so the
client asks again over TCP. It runs on the demo's event loop; nothing here blocks.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from dataclasses import dataclass, field
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import dns.zone

HOST = "127.0.0.1"
UDP_PAYLOAD = 512
"""What a client that does not announce EDNS can take."""
PORT_ATTEMPTS = 20


def parse_zone(text: str, origin: str) -> dns.zone.Zone:
    return dns.zone.from_text(text, origin=origin, relativize=False, check_origin=True)


def answer(zone: dns.zone.Zone, wire: bytes) -> dns.message.Message | None:
    """The response to one query, or None for bytes that are not a DNS query."""
    try:
        query = dns.message.from_wire(wire)
    except dns.exception.DNSException:
        return None
    response = dns.message.make_response(query)
    origin = zone.origin
    if not query.question or origin is None:
        response.set_rcode(dns.rcode.FORMERR)
        return response
    question = query.question[0]
    name, rdtype = question.name, question.rdtype
    if not name.is_subdomain(origin):
        response.set_rcode(dns.rcode.REFUSED)
        return response
    response.flags |= dns.flags.AA
    node = zone.get_node(name)
    found = None if node is None else node.get_rdataset(dns.rdataclass.IN, rdtype)
    if found is not None:
        response.answer.append(dns.rrset.from_rdata_list(name, found.ttl, list(found)))
        return response
    if node is None and not any(other.is_subdomain(name) for other in zone.nodes):
        response.set_rcode(dns.rcode.NXDOMAIN)
    soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
    if soa is not None:
        response.authority.append(dns.rrset.from_rdata_list(origin, soa.ttl, list(soa)))
    return response


def _udp_wire(query_wire: bytes, response: dns.message.Message) -> bytes:
    query = dns.message.from_wire(query_wire)
    limit = max(query.payload, UDP_PAYLOAD) if query.edns >= 0 else UDP_PAYLOAD
    try:
        return response.to_wire(max_size=limit)
    except dns.exception.TooBig:
        response.answer.clear()
        response.authority.clear()
        response.flags |= dns.flags.TC
        return response.to_wire()


class _Udp(asyncio.DatagramProtocol):
    def __init__(self, zone: dns.zone.Zone) -> None:
        self.zone = zone
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # Python 3.11's selector transport does not subclass DatagramTransport, though it is one.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        response = answer(self.zone, data)
        if response is not None and self.transport is not None:
            self.transport.sendto(_udp_wire(data, response), addr)


@dataclass
class DnsServer:
    """A running server; :meth:`close` stops it and drops its connections."""

    zone: dns.zone.Zone
    port: int = 0
    _udp: asyncio.DatagramTransport | None = None
    _tcp: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def _stream(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            while True:
                size = int.from_bytes(await reader.readexactly(2), "big")
                response = answer(self.zone, await reader.readexactly(size))
                if response is None:
                    break
                wire = response.to_wire()
                writer.write(len(wire).to_bytes(2, "big") + wire)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()

    async def close(self) -> None:
        if self._udp is not None:
            self._udp.close()
        if self._tcp is not None:
            self._tcp.close()
            for writer in list(self._writers):
                writer.close()
            await self._tcp.wait_closed()


def _bind_pair() -> tuple[socket.socket, socket.socket]:
    """A UDP and a listening TCP socket on the same free port of 127.0.0.1."""
    for _ in range(PORT_ATTEMPTS):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind((HOST, 0))
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind((HOST, udp.getsockname()[1]))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(16)
        return udp, tcp
    raise OSError("no port of 127.0.0.1 is free for both UDP and TCP")


async def start_dns(zone_text: str, origin: str) -> DnsServer:
    """Serve the zone on the running loop until :meth:`DnsServer.close`."""
    server = DnsServer(parse_zone(zone_text, origin))
    udp, tcp = _bind_pair()
    server.port = udp.getsockname()[1]
    loop = asyncio.get_running_loop()
    try:
        transport, _ = await loop.create_datagram_endpoint(lambda: _Udp(server.zone), sock=udp)
        server._udp = transport
        server._tcp = await asyncio.start_server(server._stream, sock=tcp)
    except BaseException:
        with contextlib.suppress(Exception):
            await server.close()
        udp.close()
        tcp.close()
        raise
    return server
