"""The ``imap`` check: the mailbox accepts our login and its INBOX opens.

It is the half of an e-mail canary that needs no message: if the owner's password changed,
the provider locked the account, or IMAP access was switched off, the canary could never
find its message, and this says why in one line. The connection is made by
:func:`freecost.probes.mailbox.open_mailbox`, so it fails at the same layers: dns, connect,
tls (the certificate is not trusted, the port does not speak TLS), protocol (the server
refused the login, or would not open the INBOX). A missing password is an ``error``: this
machine's configuration, not the mail provider's fault.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from freecost.checktypes.imap import Check
from freecost.errors import SecretError
from freecost.probes.mailbox import open_mailbox
from freecost.probes.tcp import Stop
from freecost.probes.tlsinfo import plain
from freecost.results import Layer, Outcome

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.imap; kept reachable here.
__all__ = ["Check", "probe"]

_SECURED = {"implicit": "over TLS", "starttls": "over STARTTLS", "none": "without encryption"}


def _count(number: int) -> str:
    return f"{number} message" if number == 1 else f"{number} messages"


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Log in, open the INBOX (read-write, as a canary will), and log out."""
    started = time.perf_counter()
    try:
        async with open_mailbox(ctx, check) as mailbox:
            selecting = time.perf_counter()
            inbox = await mailbox.select("INBOX")
            details = {
                **mailbox.details,
                "select_ms": round((time.perf_counter() - selecting) * 1000, 1),
                "messages": inbox.count,
            }
            user = mailbox.user
    except Stop as stop:
        return stop.outcome
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL)
    total_ms = round((time.perf_counter() - started) * 1000, 1)
    summary = (
        f"{plain(user, 100)} logged in {_SECURED[check.tls]}; "
        f"INBOX holds {_count(inbox.count)} ({total_ms:.0f} ms)"
    )
    return Outcome.ok(summary, **details, total_ms=total_ms)
