"""``freecost demo``: a simulated small business audited for real, offline, in seconds.

Harbor Street Bakery's vendors (website, DNS, mail server, a phone vendor's status page, a
domain registry, a telephony API) are started on 127.0.0.1, 30 days of history are seeded
through the store, and the real audit runs against them with real probes over real sockets.
One module per job: :mod:`.scenario` (the story), :mod:`.certs`, :mod:`.zone`,
:mod:`.dnsserver`, :mod:`.smtpserver`, :mod:`.website`, :mod:`.vendors`, :mod:`.servers`
(running them), :mod:`.inventory`, :mod:`.seed` (the history) and :mod:`.run`.
"""

from __future__ import annotations

from freecost.demo.run import DemoError, DemoRun, run_demo

__all__ = ["DemoError", "DemoRun", "run_demo"]
