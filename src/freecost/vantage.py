"""Is this machine online? Asked before a vendor is blamed for a failure.

A cron job on a laptop with no network would otherwise record every vendor as down. The
vantage check tries every control target (``settings.vantage.control``) at once; reaching any
one of them means the local network works.

A TCP connection alone proves little: some networks (captive portals, sandboxes, hotel
firewalls) accept a connection to any address and then say nothing. So a control target on
port 53 must also answer a real DNS question (the root's name servers, over that TCP
connection) before it counts; any other port counts once it accepts a connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Sequence
from dataclasses import dataclass

CONTROL_TIMEOUT = 3.0


@dataclass(frozen=True)
class Vantage:
    """What the vantage check found. ``checked`` is False when no control targets are set."""

    host: str
    online: bool
    checked: bool
    reached: str | None = None
    tried: tuple[str, ...] = ()

    def to_json(self) -> dict[str, object]:
        return {
            "host": self.host,
            "online": self.online,
            "checked": self.checked,
            "reached": self.reached,
        }

    def offline_summary(self) -> str:
        tried = ", ".join(self.tried)
        return f"this machine's network is down (none of {tried} answered); not the vendor's fault"


DNS_PORT = 53


async def _reach(target: str, timeout: float, dns_port: int) -> str | None:
    host, _, port_text = target.rpartition(":")
    host, port = host.strip("[]"), int(port_text)
    try:
        async with asyncio.timeout(timeout):
            if port == dns_port:
                return target if await _answers_dns(host, port) else None
            _, writer = await asyncio.open_connection(host, port)
    except (OSError, TimeoutError):
        return None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return target


async def _answers_dns(host: str, port: int) -> bool:
    """A resolver on ``host`` answers "who serves the root zone?" with at least one name."""
    import dns.asyncquery
    import dns.exception
    import dns.message
    import dns.rcode

    query = dns.message.make_query(".", "NS")
    try:
        answer = await dns.asyncquery.tcp(query, host, port=port)
    except (dns.exception.DNSException, EOFError, ValueError):
        return False
    return answer.rcode() == dns.rcode.NOERROR and bool(answer.answer)


async def check_vantage(
    control: Sequence[str], timeout: float = CONTROL_TIMEOUT, *, dns_port: int = DNS_PORT
) -> Vantage:
    """Online when any control target answers within ``timeout`` (see the module's notes)."""
    host = socket.gethostname()
    if not control:
        return Vantage(host=host, online=True, checked=False)
    tasks = [asyncio.create_task(_reach(target, timeout, dns_port)) for target in control]
    reached = None
    try:
        for finished in asyncio.as_completed(tasks):
            reached = await finished
            if reached:
                break
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return Vantage(
        host=host, online=reached is not None, checked=True, reached=reached, tried=tuple(control)
    )
