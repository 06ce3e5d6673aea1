"""Is this machine online? Asked before a vendor is blamed for a failure.

A cron job on a laptop with no network would otherwise record every vendor as down. The
vantage check opens a TCP connection to each control target (``settings.vantage.control``)
at once; reaching any one of them means the local network works.
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


async def _reach(target: str, timeout: float) -> str | None:
    host, _, port = target.rpartition(":")
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host.strip("[]"), int(port))
    except (OSError, TimeoutError):
        return None
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()
    return target


async def check_vantage(control: Sequence[str], timeout: float = CONTROL_TIMEOUT) -> Vantage:
    """Online when any control target accepts a TCP connection within ``timeout``."""
    host = socket.gethostname()
    if not control:
        return Vantage(host=host, online=True, checked=False)
    tasks = [asyncio.create_task(_reach(target, timeout)) for target in control]
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
