"""The bakery's inventory, pointed at the servers of this run.

It is an ordinary inventory (``freecost validate`` accepts it) whose every endpoint is a
setting: the resolver, the trusted CA, the RDAP bootstrap, the status page, the mail server
and the telephony API are the demo's servers on 127.0.0.1. The phone vendor is made up; the
website and Gmail use the real check packs, so the report shows their real SLA facts.
"""

from __future__ import annotations

import json

from freecost.demo.scenario import (
    BUSINESS,
    CANARY_FROM,
    CONTACT,
    DOMAIN,
    MAIL_HOST,
    PHONE,
    REGISTRATION_WARN_DAYS,
    SID_ENV,
    TOKEN_ENV,
    VOICE_COMPONENT,
    VOICE_VENDOR,
    WWW,
)
from freecost.demo.servers import Endpoints


def _q(value: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML)."""
    return json.dumps(value)


def inventory_text(endpoints: Endpoints, ca_file: str) -> str:
    """The inventory YAML, with comments saying what is simulated; ``ca_file`` is the CA's
    PEM file beside it."""
    e = endpoints
    return f"""\
# freecost demo: {BUSINESS}, a simulated small business.
# Every address below is a server `freecost demo` started on 127.0.0.1 for this run; the
# business, its domain ({DOMAIN}) and its phone vendor are made up.
# To audit your own business: `freecost init`, then `freecost audit`.
version: 1
business:
  name: {_q(BUSINESS)}
  contact: {CONTACT}

settings:
  timeout: 10s
  timezone: America/New_York
  database: .freecost/history.sqlite3
  dns: {{nameservers: ["127.0.0.1"], port: {e.dns_port}}}   # the bakery's nameservers, simulated
  tls: {{ca_bundle: {ca_file}}}   # the demo's throw-away CA: the only certificates trusted
  rdap: {{bootstrap_url: {_q(e.rdap_bootstrap)}}}
  vantage: {{control: []}}   # the demo runs offline: no internet to test the connection against
  report:
    prepared_by: freecost demo

functions:
  - id: phone-orders
    name: Customers phone in cake orders, and leave voicemail after hours
    criticality: critical
    rto: 4h
    needs: [phone-line]
  - id: email-orders
    name: Customers e-mail orders and questions to hello@{DOMAIN}
    criticality: high
    rto: 1d
    needs: [mail-forwarding, gmail, domain]
  - id: web-enquiries
    name: Customers find the opening hours and send enquiries through the website
    criticality: high
    rto: 1d
    needs: [website, domain]

dependencies:
  - id: phone-line
    name: {VOICE_VENDOR} business number with voicemail-to-email (a simulated vendor)
    vendor: dockside-voice
    plan: free
    monthly_cost: 0
    account: {{owner: personal, id: the owner's personal account}}
    assets:
      - {{kind: phone-number, value: {_q(PHONE)}, portable: false}}
    checks:
      - {{id: vendor-status, type: statuspage, provider: atlassian, url: {_q(e.status_page)},
         component: {VOICE_COMPONENT}, every: 1h}}
      # Once a day a test call leaves a spoken code on the voicemail. In real use the check
      # also has expect_notification: the voicemail e-mail carrying the code must reach the
      # inbox (read over IMAP). The demo has no inbox, so it is left out here and only the
      # call is checked; the history shows what the full canary reported.
      - id: voicemail
        type: voice-call
        every: 1d
        to: {_q(PHONE)}
        from: {_q(CANARY_FROM)}
        api_base: {_q(e.telephony)}
        account: "${{{SID_ENV}}}"
        token: "${{{TOKEN_ENV}}}"

  - id: gmail
    name: Gmail on the owner's personal account (the domain's mail is forwarded here)
    service: gmail
    plan: free
    monthly_cost: 0
    account: {{owner: personal, id: the owner's personal account}}
    # An imap check or an email-roundtrip canary would watch the inbox; both need a real
    # mailbox, which the demo does not have, so none is set.
    checks: []

  - id: mail-forwarding
    name: The registrar's mail forwarding (hello@{DOMAIN} to Gmail)
    vendor: cheapnames
    monthly_cost: 0
    account: {{owner: business, id: {CONTACT}}}
    needs: [domain]
    assets:
      - {{kind: email-address, value: hello@{DOMAIN}, portable: true}}
    checks:
      - {{id: mx-tls, type: smtp, domain: {DOMAIN}, port: {e.smtp_port}, every: 1h}}
      - {{id: mail-auth, type: mail-auth, domain: {DOMAIN}, every: 1d}}

  - id: domain
    name: {DOMAIN} at a budget registrar (which also serves its DNS)
    vendor: cheapnames
    monthly_cost: 1.25
    account: {{owner: personal, id: the owner's personal account}}
    assets:
      - {{kind: domain, value: {DOMAIN}, portable: true}}
    checks:
      - {{id: registration, type: domain, name: {DOMAIN}, expiry: {{warn: {REGISTRATION_WARN_DAYS}d,
         fail: 7d}}, every: 1d}}
      - {{id: nameservers, type: dns, name: {DOMAIN}, record: NS, expect: {{count: 2}}, every: 1h}}
      - {{id: mail-route, type: dns, name: {DOMAIN}, record: MX,
         expect: {{contains: {MAIL_HOST}}}, every: 1h}}

  - id: website
    name: Website and contact form on a site builder
    service: squarespace
    plan: website
    account: {{owner: business, id: {CONTACT}}}
    needs: [domain]
    inbound: true   # customers send enquiries through its contact form
    checks:
      # The page is fetched by address: the system resolver does not know {DOMAIN}.
      - {{id: home-page, type: http, url: {_q(e.website + "/")}, contains: {_q(BUSINESS)},
         latency: {{warn: 2s, fail: 5s}}, every: 1h}}
      # The certificate check looks {WWW} up in the bakery's DNS, like a visitor would.
      - {{id: certificate, type: tls, host: {WWW}, port: {e.website.rsplit(":", 1)[1]},
         expiry: {{warn: 21d, fail: 7d}}, every: 1d}}
      # A test enquiry through the contact form, session cookie and CSRF token kept. In real
      # use expect_email would follow it into the inbox; the demo has none (see above).
      - id: contact-form
        type: form
        every: 1d
        url: {_q(e.website + "/contact")}
        fields:
          name: freecost canary
          email: canary@{DOMAIN}
          message: "Test enquiry {{token}}: please ignore."
        success_text: Thanks
"""
