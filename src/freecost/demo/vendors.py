"""The vendors' APIs the checks read: a status page, an RDAP registry and a telephony API.

Each speaks the real format, down to the fields the probes parse:

- the phone vendor's status page in Atlassian Statuspage's ``/api/v2/summary.json`` form,
  admitting an incident on the component the bakery uses (the ``statuspage`` check fails);
- an RDAP bootstrap file (RFC 9224) sending ``.example`` to a registry whose domain answer
  (RFC 9083) has an expiration date
  :data:`~freecost.demo.scenario.DOMAIN_EXPIRES_IN` away
  and ``client transfer prohibited`` (the ``domain`` check warns about expiry only);
- the two Twilio REST endpoints the ``voice-call`` check uses: ``POST Calls.json`` (201,
  queued) and ``GET Calls/{sid}.json`` (completed, answered by voicemail), behind HTTP Basic
  with the fake credentials the demo set for its run.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from freecost.demo.scenario import (
    CALL_SECONDS,
    DOMAIN,
    INCIDENT_TITLE,
    NAMESERVERS,
    REGISTRAR,
    VOICE_COMPONENT,
    VOICE_VENDOR,
    domain_expiry,
)

INCIDENT_AGE = timedelta(hours=2)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _component(ident: str, name: str, status: str, page_id: str) -> dict[str, Any]:
    return {
        "id": ident,
        "name": name,
        "status": status,
        "position": 1,
        "description": None,
        "group": False,
        "group_id": None,
        "page_id": page_id,
        "only_show_if_degraded": False,
    }


def status_summary(root: str, now: datetime) -> dict[str, Any]:
    """The phone vendor's summary.json: one incident open on the voicemail component."""
    page_id = "dkv0demo0001"
    started = _iso(now - INCIDENT_AGE)
    voicemail = _component("vm0000000001", VOICE_COMPONENT, "degraded_performance", page_id)
    update = {
        "id": "upd000000001",
        "status": "investigating",
        "body": "Some voicemail notification e-mails are delayed. We are investigating.",
        "created_at": started,
        "affected_components": [
            {"code": voicemail["id"], "name": VOICE_COMPONENT, "new_status": "degraded_performance"}
        ],
    }
    return {
        "page": {
            "id": page_id,
            "name": VOICE_VENDOR,
            "url": root,
            "time_zone": "Etc/UTC",
            "updated_at": started,
        },
        "status": {"indicator": "minor", "description": "Minor Service Outage"},
        "components": [
            _component("calls0000001", "Inbound calls", "operational", page_id),
            voicemail,
            _component("app000000001", "Mobile app", "operational", page_id),
        ],
        "incidents": [
            {
                "id": "inc000000001",
                "name": INCIDENT_TITLE,
                "status": "investigating",
                "impact": "minor",
                "shortlink": f"{root}/incidents/inc000000001",
                "created_at": started,
                "started_at": started,
                "page_id": page_id,
                "components": [voicemail],
                "incident_updates": [update],
            }
        ],
        "scheduled_maintenances": [],
    }


def status_app(root: str, now: datetime) -> web.Application:
    summary = status_summary(root, now)

    async def handler(request: web.Request) -> web.Response:
        return web.json_response(summary)

    app = web.Application()
    app.router.add_get("/api/v2/summary.json", handler)
    return app


def rdap_domain(now: datetime) -> dict[str, Any]:
    """The registry's answer for the bakery's domain."""
    return {
        "objectClassName": "domain",
        "rdapConformance": ["rdap_level_0"],
        "handle": "D000000001-EXAMPLE",
        "ldhName": DOMAIN,
        "status": ["client transfer prohibited", "client delete prohibited"],
        "events": [
            {"eventAction": "registration", "eventDate": _iso(now - timedelta(days=3 * 365))},
            {"eventAction": "expiration", "eventDate": _iso(domain_expiry(now))},
            {"eventAction": "last changed", "eventDate": _iso(now - timedelta(days=353))},
        ],
        "entities": [
            {
                "objectClassName": "entity",
                "handle": "9999",
                "roles": ["registrar"],
                "vcardArray": [
                    "vcard",
                    [["version", {}, "text", "4.0"], ["fn", {}, "text", REGISTRAR]],
                ],
            }
        ],
        "nameservers": [
            {"objectClassName": "nameserver", "ldhName": server} for server in NAMESERVERS
        ],
    }


def rdap_app(root: str, now: datetime) -> web.Application:
    """``/bootstrap/dns.json`` and the registry under ``/registry/``."""
    bootstrap = {
        "version": "1.0",
        "publication": _iso(now - timedelta(days=1)),
        "description": "RDAP bootstrap for the demo's simulated registry",
        "services": [[["example"], [f"{root}/registry/"]]],
    }
    domain = rdap_domain(now)

    async def bootstrap_handler(request: web.Request) -> web.Response:
        return web.json_response(bootstrap)

    async def domain_handler(request: web.Request) -> web.Response:
        if request.match_info["name"].lower().rstrip(".") != DOMAIN:
            error = {"errorCode": 404, "title": "Not Found", "description": ["No such domain"]}
            return web.json_response(error, status=404, content_type="application/rdap+json")
        return web.json_response(domain, content_type="application/rdap+json")

    app = web.Application()
    app.router.add_get("/bootstrap/dns.json", bootstrap_handler)
    app.router.add_get("/registry/domain/{name}", domain_handler)
    return app


def _authorised(request: web.Request, account: str, token: str) -> bool:
    expected = base64.b64encode(f"{account}:{token}".encode()).decode("ascii")
    given = request.headers.get("Authorization", "")
    return secrets.compare_digest(given.encode(), f"Basic {expected}".encode())


def _refused() -> web.Response:
    body = {"code": 20003, "message": "Authenticate", "status": 401}
    return web.json_response(body, status=401)


def telephony_app(account: str, token: str) -> web.Application:
    """Calls are answered by voicemail at once and complete after :data:`CALL_SECONDS`."""
    calls: dict[str, dict[str, Any]] = {}

    async def create(request: web.Request) -> web.Response:
        if request.match_info["account"] != account or not _authorised(request, account, token):
            return _refused()
        form = await request.post()
        to, from_ = form.get("To"), form.get("From")
        if not (isinstance(to, str) and isinstance(from_, str) and form.get("Twiml")):
            body = {"code": 21201, "message": "To, From and Twiml are required", "status": 400}
            return web.json_response(body, status=400)
        sid = "CA" + secrets.token_hex(16)
        started = datetime.now(UTC)
        calls[sid] = {
            "sid": sid,
            "account_sid": account,
            "to": to,
            "from": from_,
            "status": "queued",
            "direction": "outbound-api",
            "duration": None,
            "answered_by": None,
            "price": None,
            "price_unit": "USD",
            "start_time": None,
            "end_time": None,
            "_started": started,
        }
        shown = {key: value for key, value in calls[sid].items() if not key.startswith("_")}
        return web.json_response(shown, status=201)

    async def fetch(request: web.Request) -> web.Response:
        if request.match_info["account"] != account or not _authorised(request, account, token):
            return _refused()
        call = calls.get(request.match_info["sid"])
        if call is None:
            body = {"code": 20404, "message": "The requested resource was not found", "status": 404}
            return web.json_response(body, status=404)
        started: datetime = call["_started"]
        call |= {
            "status": "completed",
            "duration": str(CALL_SECONDS),
            "answered_by": "machine_end_beep",
            "start_time": format_datetime(started),
            "end_time": format_datetime(started + timedelta(seconds=CALL_SECONDS)),
        }
        return web.json_response({k: v for k, v in call.items() if not k.startswith("_")})

    app = web.Application()
    base = "/2010-04-01/Accounts/{account}"
    app.router.add_post(base + "/Calls.json", create)
    app.router.add_get(base + "/Calls/{sid}.json", fetch)
    return app
