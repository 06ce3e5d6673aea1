"""The simulated business and the story its history tells, in one place.

Everything here is made up: the bakery, its ``.example`` domain (RFC 2606 keeps it out of
the real DNS), its phone numbers (the 555-01xx range is reserved for fiction) and its
phone vendor. Times are offsets from the moment the demo runs, so the report always shows
the last 30 days.
"""

from __future__ import annotations

from datetime import datetime, timedelta

BUSINESS = "Harbor Street Bakery"
CONTACT = "owner@harborstreetbakery.example"
DOMAIN = "harborstreetbakery.example"
WWW = f"www.{DOMAIN}"
MAIL_HOST = f"mail.{DOMAIN}"
NAMESERVERS = ("dns1.cheapnames-dns.example", "dns2.cheapnames-dns.example")
REGISTRAR = "CheapNames Registrar (simulated)"

PHONE = "+1 617 555 0143"
"""The bakery's published number, at the simulated VoIP vendor."""
CANARY_FROM = "+1 617 555 0188"
"""The number the canary calls from (a number the simulated telephony account owns)."""

VOICE_VENDOR = "Dockside Voice"
VOICE_COMPONENT = "Voicemail"
INCIDENT_TITLE = "Delayed voicemail-to-email notifications"

SID_ENV = "FREECOST_DEMO_TWILIO_SID"
TOKEN_ENV = "FREECOST_DEMO_TWILIO_TOKEN"
"""Environment variables the demo sets in its own process for the run (fake values)."""

HISTORY = timedelta(days=30)
DOMAIN_EXPIRES_IN = timedelta(days=12)
REGISTRATION_WARN_DAYS = 30
"""The domain check's warning threshold in the inventory, in days."""
CALL_SECONDS = 24
"""How long each simulated test call lasts."""

OUTAGE_FIRST_DAY = 26
"""Days before now of the canary's first failed call (the silent outage starts)."""
OUTAGE_RECOVERED_DAY = 5
"""Days before now of its first successful call again: the outage lasted the difference."""
VOICEMAIL_SENDER = "voicemail@docksidevoice.example"
OUTAGE_SUMMARY = f"no voicemail notification from {VOICEMAIL_SENDER} arrived within 15m"
"""What the canary said while the calls completed and the voicemail e-mails never came."""
NOTIFIED_SUMMARY = "the voicemail notification arrived after 2m with the code"

BLIP_DAY = 12
"""Days before now of the website's short outage."""
BLIP_HOURS = 2
"""How many hourly checks of the home page failed in a row then."""


def domain_expiry(now: datetime) -> datetime:
    """When the registration ends: :data:`DOMAIN_EXPIRES_IN` after ``now``, plus an hour so
    the check, run a few seconds later, still counts that many whole days."""
    return now + DOMAIN_EXPIRES_IN + timedelta(hours=1)
