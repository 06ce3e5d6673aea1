"""The simulated vendors, all on 127.0.0.1 and one event loop in a background thread.

:func:`running` starts every server on an ephemeral port and yields where each listens;
when the block ends (normally, on an error, or on Ctrl-C in the main thread) every server
is closed, every connection dropped, the loop stopped and the thread joined. The audit runs
in the main thread with its own loop, so a probe waiting on a server never blocks the
server it waits on.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from freecost.demo.certs import Certificates
from freecost.demo.scenario import DOMAIN, MAIL_HOST

HOST = "127.0.0.1"
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0

T = TypeVar("T")


@dataclass(frozen=True)
class Endpoints:
    """Where each simulated vendor listens."""

    website: str
    status_page: str
    rdap_bootstrap: str
    telephony: str
    dns_port: int
    smtp_port: int
    ports: tuple[int, ...]
    """Every TCP port listened on (the DNS port is also bound for UDP)."""


def _listening_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind((HOST, 0))
    sock.listen(64)
    return sock


class _Loop:
    """An event loop running in a daemon thread, to which coroutines are handed."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self._run, name="freecost-demo-servers", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(STOP_TIMEOUT)
        if not self.thread.is_alive():
            self.loop.close()


async def _cancel_leftovers() -> None:
    """Cancel the connection handlers still running, and wait for them to finish."""
    current = asyncio.current_task()
    pending = [task for task in asyncio.all_tasks() if task is not current]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


@contextmanager
def running(
    certificates: Certificates,
    zone_text: str,
    account: str,
    token: str,
    now: datetime,
) -> Iterator[Endpoints]:
    """Start every simulated vendor; stop them all when the block ends."""
    from aiohttp import web

    from freecost.demo import dnsserver, smtpserver, vendors, website

    context = certificates.server_context()
    closers: list[Callable[[], Awaitable[None]]] = []
    ports: list[int] = []

    async def serve(build: Callable[[str], web.Application]) -> str:
        """Listen first, so the app can be told its own address (pages link to themselves)."""
        sock = _listening_socket()
        port = sock.getsockname()[1]
        ports.append(port)
        root = f"https://{HOST}:{port}"
        runner = web.AppRunner(build(root), access_log=None, handle_signals=False)
        await runner.setup()
        closers.append(runner.cleanup)
        await web.SockSite(runner, sock, ssl_context=context).start()
        return root

    async def start() -> Endpoints:
        site = await serve(lambda root: website.website_app())
        status = await serve(lambda root: vendors.status_app(root, now))
        rdap = await serve(lambda root: vendors.rdap_app(root, now))
        phone = await serve(lambda root: vendors.telephony_app(account, token))
        dns = await dnsserver.start_dns(zone_text, f"{DOMAIN}.")
        closers.append(dns.close)
        smtp = await smtpserver.start_smtp(MAIL_HOST, context)
        closers.append(smtp.close)
        ports.extend([dns.port, smtp.port])
        return Endpoints(
            website=site,
            status_page=status,
            rdap_bootstrap=f"{rdap}/bootstrap/dns.json",
            telephony=phone,
            dns_port=dns.port,
            smtp_port=smtp.port,
            ports=tuple(ports),
        )

    async def stop() -> None:
        for close in reversed(closers):
            # One server's failed close must not keep the others up.
            with contextlib.suppress(Exception):
                await close()
        await _cancel_leftovers()

    loop = _Loop()
    try:
        endpoints = loop.call(start(), START_TIMEOUT)
        yield endpoints
    finally:
        try:
            loop.call(stop(), STOP_TIMEOUT)
        finally:
            loop.close()
