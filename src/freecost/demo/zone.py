"""The bakery's DNS zone, as its registrar's nameservers would publish it.

The mail records are what a small business typically has after following a mail provider's
set-up guide halfway: MX and SPF in place, DMARC published with ``p=none`` (monitoring
only), so the ``mail-auth`` check warns. Every host points at 127.0.0.1, where the demo's
servers listen.
"""

from __future__ import annotations

from freecost.demo.scenario import DOMAIN, NAMESERVERS


def zone_text() -> str:
    """The zone in master-file format, names absolute."""
    origin = f"{DOMAIN}."
    lines = [
        "$TTL 300",
        f"{origin} SOA {NAMESERVERS[0]}. hostmaster.{origin} 2026010101 3600 600 604800 300",
        *(f"{origin} NS {server}." for server in NAMESERVERS),
        f"{origin} A 127.0.0.1",
        f"www.{origin} A 127.0.0.1",
        f"mail.{origin} A 127.0.0.1",
        f"{origin} MX 10 mail.{origin}",
        f'{origin} TXT "v=spf1 mx ~all"',
        f'_dmarc.{origin} TXT "v=DMARC1; p=none; rua=mailto:dmarc@{DOMAIN}"',
    ]
    return "\n".join(lines) + "\n"
