"""Thirty days of made-up history, written through the real store before the audit.

Each check gets results at its own interval, as cron would have produced them, and whole
runs are recorded in time order through :meth:`freecost.store.History.record`, so incidents
open and close by the store's own state machine (two failures in a row open one, a success
closes it) and uptime, coverage and rollups come out as they would in real use.

The story the history tells:

- the voicemail canary fails every day from :data:`~.scenario.OUTAGE_FIRST_DAY` days ago
  until :data:`~.scenario.OUTAGE_RECOVERED_DAY` days ago: calls complete, but the voicemail
  e-mail never arrives. Meanwhile the vendor's status page stays green and the website is
  fine: only the canary saw it;
- the website fails for :data:`~.scenario.BLIP_HOURS` hourly checks in a row, once;
- the domain check warns once the registration is within 30 days of expiry; mail-auth warns
  throughout (DMARC ``p=none``); everything else is ok.
"""

from __future__ import annotations

import random
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby
from pathlib import Path
from typing import Any

from freecost.demo.certs import LIFETIME as CERT_LIFETIME
from freecost.demo.scenario import (
    BLIP_DAY,
    BLIP_HOURS,
    BUSINESS,
    CALL_SECONDS,
    DOMAIN,
    HISTORY,
    MAIL_HOST,
    NAMESERVERS,
    NOTIFIED_SUMMARY,
    OUTAGE_FIRST_DAY,
    OUTAGE_RECOVERED_DAY,
    OUTAGE_SUMMARY,
    PHONE,
    REGISTRATION_WARN_DAYS,
    VOICE_COMPONENT,
    VOICE_VENDOR,
    domain_expiry,
)
from freecost.inventory import LoadedInventory
from freecost.results import CheckResult, Layer, Status
from freecost.runner import CheckRun
from freecost.vantage import Vantage

HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
RANDOM_SEED = 2026
"""Latencies vary as real ones do, but the same way on every run."""


@dataclass(frozen=True)
class Verdict:
    """A made-up result's content: what the check would have said at that moment."""

    status: Status
    summary: str
    layer: Layer | None = None
    details: dict[str, Any] | None = None


@dataclass(frozen=True)
class Moment:
    """When a made-up result was observed, when the demo runs, and the result's latency."""

    at: datetime
    now: datetime
    latency_ms: float

    @property
    def days_ago(self) -> int:
        """Whole days before the demo, rounded up: yesterday's run is day 1."""
        return -((self.at - self.now) // DAY)


Judge = Callable[[Moment], Verdict]
"""What a check said at a moment. The wording follows the real probe's, so the history
reads like the results the audit adds to it."""


@dataclass(frozen=True)
class Series:
    """One check's results over the history: every ``every``, ``offset`` past the hour."""

    dependency: str
    check: str
    type: str
    every: timedelta
    offset: timedelta
    judge: Judge
    latency_ms: tuple[float, float]

    def times(self, start: datetime, end: datetime) -> Iterable[datetime]:
        moment = start + self.offset
        while moment < end:
            yield moment
            moment += self.every


def _clip(text: str, limit: int = 200) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _days(count: int) -> str:
    return "1 day" if count == 1 else f"{count} days"


def _certificate(moment: Moment) -> str:
    """The demo certificate as it would have looked: one renewed to last CERT_LIFETIME."""
    expires = moment.now + CERT_LIFETIME
    left = (expires - moment.at) // DAY
    return (
        f"certificate expires in {_days(left)} ({expires.date().isoformat()}), "
        f"issued by {BUSINESS} demo CA; TLSv1.3"
    )


def voicemail(moment: Moment) -> Verdict:
    call = f"test call to {_e164(PHONE)} answered by voicemail, {CALL_SECONDS}s long"
    details = {"status": "completed", "answered_by": "machine_end_beep", "duration_s": CALL_SECONDS}
    if OUTAGE_RECOVERED_DAY < moment.days_ago <= OUTAGE_FIRST_DAY:
        return Verdict(Status.FAIL, f"{call}; {OUTAGE_SUMMARY}", Layer.DELIVERY, details)
    return Verdict(Status.OK, f"{call}; {NOTIFIED_SUMMARY}", details=details)


def vendor_status(moment: Moment) -> Verdict:
    return Verdict(
        Status.OK,
        f"{VOICE_VENDOR} status: {VOICE_COMPONENT}: operational",
        details={"component": VOICE_COMPONENT, "component_status": "operational"},
    )


def home_page(moment: Moment) -> Verdict:
    blip = _floor_hour(moment.now - BLIP_DAY * DAY)
    if blip <= moment.at < blip + BLIP_HOURS * HOUR:
        summary = "HTTP 503 Service Unavailable, expected 200"
        return Verdict(Status.FAIL, summary, Layer.HTTP, {"status_code": 503})
    summary = f"HTTP 200 in {moment.latency_ms:.0f} ms"
    return Verdict(Status.OK, summary, details={"status_code": 200})


def certificate(moment: Moment) -> Verdict:
    return Verdict(Status.OK, _certificate(moment))


def contact_form(moment: Moment) -> Verdict:
    return Verdict(Status.OK, "the form accepted the test submission (HTTP 303)")


def registration(moment: Moment) -> Verdict:
    expires = domain_expiry(moment.now)
    left = (expires - moment.at) // DAY
    when = expires.date().isoformat()
    details = {"days_left": left, "expires": when, "locked": True}
    if left <= REGISTRATION_WARN_DAYS:
        summary = f"{DOMAIN}: registration expires in {_days(left)} ({when})"
        return Verdict(Status.WARN, summary, Layer.VENDOR, details)
    # Far from expiry, the domain check's only finding is the single DNS provider.
    provider = NAMESERVERS[0].split(".", 1)[1]
    summary = (
        f"{DOMAIN}: all nameservers at one provider ({provider}); "
        "when it is down, the website and email are unreachable"
    )
    return Verdict(Status.WARN, summary, Layer.VENDOR, details)


def nameservers(moment: Moment) -> Verdict:
    names = ", ".join(NAMESERVERS)
    return Verdict(Status.OK, f"{DOMAIN} has {len(NAMESERVERS)} NS records: {names}")


def mail_route(moment: Moment) -> Verdict:
    return Verdict(Status.OK, f"{DOMAIN} has 1 MX record: 10 {MAIL_HOST}")


def mx_tls(moment: Moment) -> Verdict:
    return Verdict(Status.OK, f"{MAIL_HOST}: STARTTLS, {_certificate(moment)}")


def mail_auth(moment: Moment) -> Verdict:
    summary = (
        "DMARC policy is none: spoofed mail is delivered; no MTA-STS record: senders cannot "
        f"insist on encrypted delivery to {DOMAIN}; no TLS-RPT record: nobody hears when "
        f"encrypted delivery to {DOMAIN} fails"
    )
    return Verdict(Status.WARN, _clip(summary), Layer.CONTENT)


SERIES = (
    Series("phone-line", "vendor-status", "statuspage", HOUR, timedelta(minutes=1),
           vendor_status, (80, 160)),
    Series("phone-line", "voicemail", "voice-call", DAY, timedelta(hours=9),
           voicemail, (95_000, 140_000)),
    Series("mail-forwarding", "mx-tls", "smtp", HOUR, timedelta(minutes=2), mx_tls, (120, 260)),
    Series("mail-forwarding", "mail-auth", "mail-auth", DAY, timedelta(hours=6, minutes=3),
           mail_auth, (40, 90)),
    Series("domain", "registration", "domain", DAY, timedelta(hours=6, minutes=4),
           registration, (150, 400)),
    Series("domain", "nameservers", "dns", HOUR, timedelta(minutes=5), nameservers, (8, 30)),
    Series("domain", "mail-route", "dns", HOUR, timedelta(minutes=6), mail_route, (8, 30)),
    Series("website", "home-page", "http", HOUR, timedelta(minutes=7), home_page, (180, 450)),
    Series("website", "certificate", "tls", DAY, timedelta(hours=6, minutes=8),
           certificate, (60, 140)),
    Series("website", "contact-form", "form", DAY, timedelta(hours=10),
           contact_form, (600, 1200)),
)  # fmt: skip


def seeded_results(now: datetime, series: Iterable[Series] = SERIES) -> list[CheckResult]:
    """Every made-up result of the last 30 days, oldest first."""
    rng = random.Random(RANDOM_SEED)
    # From the first full hour inside the window: older results would be pruned at once.
    start = _floor_hour(now - HISTORY) + HOUR
    found = []
    for one in series:
        for at in one.times(start, now - timedelta(minutes=1)):
            latency = round(rng.uniform(*one.latency_ms), 1)
            verdict = one.judge(Moment(at, now, latency))
            found.append(
                CheckResult(
                    dependency=one.dependency,
                    check=one.check,
                    type=one.type,
                    status=verdict.status,
                    summary=verdict.summary,
                    observed_at=at,
                    latency_ms=latency,
                    layer=verdict.layer,
                    details=verdict.details or {},
                )
            )
    return sorted(found, key=lambda result: result.observed_at)


def seed_history(loaded: LoadedInventory, database: Path, now: datetime) -> int:
    """Record the made-up results, one run per hour as cron would have; returns how many."""
    from freecost.store import History, rules_for

    results = seeded_results(now)
    rules = rules_for(loaded)
    vantage = Vantage(host=socket.gethostname(), online=True, checked=False)
    database.parent.mkdir(parents=True, exist_ok=True)
    with History.open(database) as history:
        for _, batch in groupby(results, key=lambda result: _floor_hour(result.observed_at)):
            found = tuple(batch)
            run = CheckRun(
                started_at=found[0].observed_at - timedelta(seconds=1),
                finished_at=found[-1].observed_at + timedelta(seconds=1),
                vantage=vantage,
                results=found,
            )
            # Rolling up after every hour of made-up history would cost most of the demo's
            # time; once at the end gives the same hourly and daily figures.
            history.record(run, rules, inventory=loaded.display, upkeep=False)
        history.upkeep(rules, now, force=True)
    return len(results)


def _floor_hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def _e164(number: str) -> str:
    return "+" + "".join(char for char in number if char.isdigit())
