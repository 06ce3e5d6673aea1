"""The starter inventory ``freecost init`` writes: a valid file a person fills in."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class StarterAnswers:
    """What ``init`` asks; the defaults are what ``--yes`` takes."""

    business: str = "My Business"
    contact: str = "owner@example.com"
    phone_service: str = "google-voice"
    phone_number: str = "+15125550100"
    crm_service: str = "zoho-crm"


def _q(text: str) -> str:
    # JSON strings are valid YAML scalars, quoted and escaped.
    return json.dumps(text, ensure_ascii=False)


def render_starter(answers: StarterAnswers) -> str:
    """The starter inventory's text for ``answers``."""
    return f"""\
# freecost inventory: what your business does for its customers (functions) and the
# services it runs on (dependencies). Check it with `freecost validate`; `freecost schema`
# prints the schema for editors, and `freecost catalog` lists the services freecost knows.
version: 1
business:
  name: {_q(answers.business)}
  contact: {_q(answers.contact)}

settings:
  timeout: 10s
  # Notification URLs carry tokens: name an environment variable, never the URL itself.
  # notify: ["${{FREECOST_NOTIFY_URL}}"]

functions:
  - id: phone-leads
    name: Customers reach us by phone
    criticality: critical   # critical | high | medium | low
    rto: 4h                 # the longest outage the business can bear
    needs: [phone]
  - id: customer-records
    name: We look up customer history
    criticality: high
    rto: 1d
    needs: [crm]

dependencies:
  - id: phone
    name: Business phone number
    service: {_q(answers.phone_service)}
    account: {{owner: personal, id: {_q(answers.contact)}}}
    assets:
      - {{kind: phone-number, value: {_q(answers.phone_number)}}}
  - id: crm
    name: Customer records
    service: {_q(answers.crm_service)}
    account: {{owner: business, id: {_q(answers.contact)}}}
"""
