"""The ``tcp`` check: a port accepts connections. Also the connection helper TLS checks use.

:func:`connected` resolves a host, connects to the first address that answers and always
closes the connection, even when the runner cancels the probe at its deadline. A failure on
the way is raised as :class:`Stop`, carrying the outcome the probe should return: a host
that does not exist fails at the ``dns`` layer, a refused port at the ``connect`` layer.

Host names are looked up by the system resolver (``/etc/hosts``, then DNS), as every other
client on the machine would; when ``settings.dns.nameservers`` is set they go to those
servers instead, so a user behind a corporate resolver (and the tests) can redirect them.

The check's parameters, and the ``Host`` and ``Port`` types, are in
:mod:`freecost.checktypes.tcp`. asyncio is imported where it is used.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from freecost.checktypes.tcp import Check, Host, Port
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    import asyncio

    from freecost.probes.context import ProbeContext

CLOSE_GRACE = 1.0
"""Seconds a polite close may take before the connection is dropped."""

# The check's parameters, and the host and port types other checks share, kept reachable here.
__all__ = ["Check", "Host", "Port", "probe"]


class Stop(Exception):
    """A probe has its answer before the end: return ``outcome``."""

    def __init__(self, outcome: Outcome) -> None:
        super().__init__(outcome.summary)
        self.outcome = outcome

    def adding(self, details: dict[str, Any]) -> Stop:
        """The same stop, its outcome's details extended by ``details``."""
        return Stop(replace(self.outcome, details={**details, **self.outcome.details}))


@dataclass
class Connection:
    """An open TCP connection and what it took to get it."""

    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    address: str
    port: int
    dns_ms: float | None
    connect_ms: float

    def details(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "address": self.address,
            "port": self.port,
            "connect_ms": self.connect_ms,
        }
        if self.dns_ms is not None:
            found["dns_ms"] = self.dns_ms
        return found


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


async def resolve(ctx: ProbeContext, host: str) -> list[str]:
    """The addresses of ``host``, in the resolver's order; raises :class:`Stop` on failure."""
    if _is_address(host):
        return [host]
    if ctx.settings.dns.nameservers:
        return await _ask_resolver(ctx, host)
    return await _ask_system(host)


def _no_address(host: str, reason: str) -> Stop:
    return Stop(Outcome.fail(reason, Layer.DNS, host=host))


async def _ask_system(host: str) -> list[str]:
    import asyncio

    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        if exc.errno in (socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)):
            raise _no_address(host, f"{host} was not found in DNS") from None
        raise _no_address(host, f"DNS lookup for {host} failed: {exc.strerror}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def _ask_resolver(ctx: ProbeContext, host: str) -> list[str]:
    import dns.exception
    import dns.resolver

    try:
        answers = await ctx.resolver.resolve_name(host)
    except dns.resolver.NXDOMAIN:
        raise _no_address(host, f"{host} was not found in DNS") from None
    except dns.resolver.NoAnswer:
        raise _no_address(host, f"{host} has no address records in DNS") from None
    except dns.exception.Timeout:
        raise _no_address(host, f"DNS lookup for {host} timed out") from None
    except dns.exception.DNSException as exc:
        raise _no_address(host, f"DNS lookup for {host} failed: {exc}"[:200]) from None
    return list(answers.addresses())


def unreachable(host: str, port: int, addresses: list[str], error: OSError | None) -> Outcome:
    if isinstance(error, ConnectionRefusedError):
        summary = f"{host} refused the connection on port {port}"
    elif isinstance(error, TimeoutError):
        summary = f"connecting to {host} on port {port} timed out"
    else:
        reason = (error.strerror if error else None) or str(error)
        summary = f"cannot connect to {host} on port {port}: {reason}"
    return Outcome.fail(summary, Layer.CONNECT, addresses=addresses, port=port)


async def connect(ctx: ProbeContext, host: str, port: int, *, limit: int = 2**16) -> Connection:
    """Connect to the first address of ``host`` that accepts; the caller closes it.

    ``limit`` caps the reader's buffer, and so the longest line ``readline`` will take.
    """
    import asyncio

    started = time.perf_counter()
    addresses = await resolve(ctx, host)
    dns_ms = None if _is_address(host) else _elapsed_ms(started)
    error: OSError | None = None
    for address in addresses:
        started = time.perf_counter()
        try:
            reader, writer = await asyncio.open_connection(address, port, limit=limit)
        except OSError as exc:
            error = exc
            continue
        return Connection(reader, writer, address, port, dns_ms, _elapsed_ms(started))
    raise Stop(unreachable(host, port, addresses, error))


async def close(writer: asyncio.StreamWriter) -> None:
    """Close politely (TLS close_notify included) within :data:`CLOSE_GRACE`, else drop."""
    import asyncio

    writer.close()
    try:
        async with asyncio.timeout(CLOSE_GRACE):
            await writer.wait_closed()
    except (TimeoutError, OSError):
        # How the peer says goodbye is not part of any check's result.
        writer.transport.abort()
    except BaseException:
        writer.transport.abort()
        raise


@asynccontextmanager
async def connected(
    ctx: ProbeContext, host: str, port: int, *, limit: int = 2**16
) -> AsyncIterator[Connection]:
    """:func:`connect`, closing the connection on the way out, whatever happened."""
    connection = await connect(ctx, host, port, limit=limit)
    try:
        yield connection
    except BaseException:
        # Cancelled at the deadline or failed: drop the connection now, without a goodbye.
        connection.writer.transport.abort()
        raise
    await close(connection.writer)


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Connect once and close again; the connect time is the latency."""
    try:
        async with connected(ctx, check.host, check.port) as connection:
            details = connection.details()
    except Stop as stop:
        return stop.outcome
    return Outcome.ok(
        f"{check.host} accepts connections on port {check.port} ({connection.connect_ms:.0f} ms)",
        **details,
    )
