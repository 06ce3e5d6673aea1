"""The ``domain`` check: registration expiry, transfer lock and nameserver diversity, by RDAP.

A lapsed domain takes the website and every mailbox under it down at once, and a cheap
registrar's reminder e-mails often go to an address nobody reads. The registry's RDAP answer
says when the registration ends, whether it is locked against transfer, and who serves its
DNS. When a registry publishes no RDAP, or no expiry date, the check says so and gives no
figure: an invented or negative number of days is worse than none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from freecost.checktypes.domain import Check, plain
from freecost.probes import rdap
from freecost.results import Layer, Outcome, Status

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext

# The check's parameters are defined in freecost.checktypes.domain; kept reachable here.
__all__ = ["Check", "probe"]

_HOLD = frozenset({"clienthold", "serverhold"})
_LAPSED = frozenset({"redemptionperiod", "pendingdelete", "pendingrestore"})
_LOCKED = frozenset({"clienttransferprohibited", "servertransferprohibited"})
# Second-level labels that ccTLDs sell under (example.co.uk): the provider is one label deeper.
_SECOND_LEVEL = frozenset({"ac", "co", "com", "edu", "gov", "ltd", "ne", "net", "or", "org", "plc"})


@dataclass(frozen=True)
class Finding:
    """One problem with the registration; the worst decides the status."""

    status: Status
    message: str


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Look the domain up at its registry and judge expiry, lock and nameservers."""
    try:
        table = await rdap.bootstrap(ctx)
    except rdap.RdapError as exc:
        return _unknown(check, exc.reason, exc.layer, bootstrap_url=_bootstrap_url(ctx))
    service = table.service_for(check.name)
    if service is None:
        tld = check.name.rsplit(".", 1)[-1]
        reason = f"the .{tld} registry offers no RDAP service; expiry cannot be checked here"
        return Outcome.error(
            f"{check.name}: {reason}",
            Layer.VENDOR,
            tld=tld,
            expires=None,
            days_left=None,
            bootstrap_url=_bootstrap_url(ctx),
        )
    url = service.domain_url(check.name)
    registry = f"the .{service.suffix} registry"
    try:
        registration = rdap.parse_domain(await rdap.fetch_json(ctx, url, limit=rdap.DOMAIN_LIMIT))
    except rdap.RdapNotFound:
        return _not_registered(check, registry, url)
    except rdap.RdapError as exc:
        host = plain(urlsplit(url).hostname or "", 100)
        return _unknown(check, f"could not ask {registry} ({host}): {exc.reason}", exc.layer, url)
    return assess(check, registration, registry, ctx.now(), url)


def _bootstrap_url(ctx: ProbeContext) -> str:
    return plain(ctx.settings.rdap.bootstrap_url)


def _unknown(
    check: Check, reason: str, layer: Layer, rdap_url: str | None = None, **details: Any
) -> Outcome:
    summary = f"{check.name}: {reason}; expiry cannot be checked right now"
    return Outcome.error(summary, layer, expires=None, days_left=None, rdap_url=rdap_url, **details)


def _not_registered(check: Check, registry: str, url: str) -> Outcome:
    summary = f"{check.name} is not registered: {registry} has no record of it"
    if check.name.count(".") > 1:
        summary += " (if it is a host under your domain, name the domain itself)"
    return Outcome.fail(summary, Layer.VENDOR, expires=None, days_left=None, rdap_url=url)


def assess(
    check: Check, found: rdap.Registration, registry: str, now: datetime, rdap_url: str
) -> Outcome:
    """The outcome for what the registry published, judged at ``now``."""
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    days_left = None if found.expires is None else _whole_days(found.expires - now)
    providers = nameserver_providers(found.nameservers)
    locked = _locked(found.statuses)
    findings = [
        *_expiry_findings(check, found, registry, now),
        *_status_findings(found.statuses),
    ]
    if locked is False:
        findings.append(
            Finding(Status.WARN, "transfer lock is off; ask the registrar to turn it on")
        )
    if not findings and len(providers) == 1:
        # Only worth a warning on its own: next to a lapsing registration it is noise.
        findings.append(
            Finding(
                Status.WARN,
                f"all nameservers at one provider ({next(iter(providers))}); "
                "when it is down, the website and email are unreachable",
            )
        )
    details = _details(found, days_left, locked, providers, rdap_url)
    if not findings:
        summary = _healthy_summary(check.name, found, days_left, locked, providers)
        return Outcome.ok(summary, **details)
    findings.sort(key=lambda finding: finding.status != Status.FAIL)
    summary = f"{check.name}: " + "; ".join(finding.message for finding in findings)
    return Outcome(findings[0].status, summary, Layer.VENDOR, details)


def _details(
    found: rdap.Registration,
    days_left: int | None,
    locked: bool | None,
    providers: dict[str, list[str]],
    rdap_url: str,
) -> dict[str, Any]:
    return {
        "expires": _iso_date(found.expires),
        "days_left": days_left,
        "registered": _iso_date(found.registered),
        "last_changed": _iso_date(found.last_changed),
        "registrar": found.registrar,
        "locked": locked,
        "statuses": list(found.statuses),
        "nameservers": list(found.nameservers),
        "nameserver_providers": providers,
        "rdap_url": rdap_url,
    }


def _expiry_findings(
    check: Check, found: rdap.Registration, registry: str, now: datetime
) -> list[Finding]:
    if found.expires is None:
        if found.expiration_text is not None:
            message = (
                f"{registry} gives an expiry date that cannot be read ('{found.expiration_text}')"
            )
        else:
            message = f"{registry} does not publish the expiry date; check it with the registrar"
        return [Finding(Status.WARN, message)]
    remaining = found.expires - now
    when = _iso_date(found.expires)
    days = _whole_days(remaining)
    if remaining <= timedelta(0):
        ago = "less than a day" if days == 0 else _days(-days)
        return [Finding(Status.FAIL, f"registration expired {ago} ago ({when}); renew it now")]
    within = "less than a day" if days == 0 else _days(days)
    message = f"registration expires in {within} ({when})"
    if remaining <= check.expiry.fail:
        return [Finding(Status.FAIL, message + "; renew it now")]
    if remaining <= check.expiry.warn:
        return [Finding(Status.WARN, message)]
    return []


def _status_findings(statuses: tuple[str, ...]) -> list[Finding]:
    findings = []
    for status in statuses:
        key = _status_key(status)
        if key in _HOLD:
            findings.append(
                Finding(
                    Status.FAIL,
                    f"the domain is on hold ('{status}'): it is out of the DNS, so its website "
                    "and email do not work; ask the registrar why",
                )
            )
        elif key in _LAPSED:
            findings.append(
                Finding(
                    Status.FAIL,
                    f"the registration has lapsed (the registry lists it as '{status}'); "
                    "renew it with the registrar now",
                )
            )
    return findings


def _status_key(status: str) -> str:
    """RDAP writes 'client transfer prohibited'; some servers still send EPP's camelCase."""
    return re.sub(r"[^a-z]", "", status.lower())


def _locked(statuses: tuple[str, ...]) -> bool | None:
    """Whether a transfer lock is set; None when the registry publishes no status at all."""
    if not statuses:
        return None
    return any(_status_key(status) in _LOCKED for status in statuses)


def nameserver_providers(nameservers: tuple[str, ...]) -> dict[str, list[str]]:
    """Nameservers grouped by the domain they sit under, the closest cheap stand-in for
    "provider" without a public-suffix list: ns1.dnsimple.com and ns2.dnsimple.com are one.
    """
    providers: dict[str, list[str]] = {}
    for host in nameservers:
        providers.setdefault(provider_of(host), []).append(host)
    return dict(sorted(providers.items()))


def provider_of(host: str) -> str:
    """The last two labels of ``host``, three under a ccTLD's second level (co.uk)."""
    labels = host.rstrip(".").split(".")
    take = 2
    if len(labels) > 2 and len(labels[-1]) == 2 and labels[-2] in _SECOND_LEVEL:
        take = 3
    return ".".join(labels[-take:])


def _healthy_summary(
    name: str,
    found: rdap.Registration,
    days_left: int | None,
    locked: bool | None,
    providers: dict[str, list[str]],
) -> str:
    assert days_left is not None  # a healthy registration has a published expiry date
    parts = [f"registered until {_iso_date(found.expires)} ({_days(days_left)} left)"]
    if found.registrar:
        parts[0] += f" with {found.registrar}"
    if locked:
        parts.append("transfer lock on")
    if len(providers) > 1:
        parts.append(f"nameservers at {len(providers)} providers")
    return f"{name}: " + "; ".join(parts)


def _whole_days(span: timedelta) -> int:
    """Whole days in ``span``, rounded toward zero so -5 hours is 0, not -1."""
    return int(span / timedelta(days=1))


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _iso_date(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).date().isoformat()
