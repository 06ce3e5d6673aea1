"""No secret leaves its environment variable: not in output, errors, the database, alerts or
reports.

Every check type that takes a secret runs through the real command line against real local
servers (Dovecot, aiosmtpd, an HTTP server, a webhook receiver) and a fake Twilio API, once
with secrets that work and once with secrets that are refused, because failure paths are
where a password is most likely to be quoted back. Then every byte freecost wrote or printed
is searched for every secret (the reports are written inside that folder).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import respx
from aiohttp import web

from tests.servers.http import serve
from tests.servers.smtp_server import serve_smtp
from tests.servers.webhook import webhook_receiver
from tests.telephony.fake import ACCOUNT, BASE, SID, TOKEN, provider_fields
from tests.test_monitor import _call

if TYPE_CHECKING:
    from tests.servers.dovecot import Dovecot

pytest_plugins = ("tests.servers.dovecot",)

SECRETS = {
    "LEAK_HTTP_AUTH": "Bearer leak-http-7b1e4f09",
    "LEAK_IMAP_BAD": "leak-imap-wrong-3c9d51",
    "LEAK_SMTP_PASSWORD": "leak-smtp-pass-a81f22",
    "LEAK_SMTP_BAD": "leak-smtp-wrong-5e0c7a",
    "TEST_TWILIO_SID": SID,
    "TEST_TWILIO_TOKEN": TOKEN,
}
NOTIFY_TOKEN = "leak-notify-token-94d2c6"


def _inventory(dovecot: Dovecot, site: str, smtp_port: int, hook: str) -> str:
    imap_ok = (
        f"{{host: 127.0.0.1, port: {dovecot.port}, tls: none, username: owner, "
        'password: "${LEAK_IMAP_GOOD}"}'
    )
    imap_bad = (
        f"{{host: 127.0.0.1, port: {dovecot.port}, tls: none, username: owner, "
        'password: "${LEAK_IMAP_BAD}"}'
    )
    phone = provider_fields()
    telephony = (
        f'to: "{phone["to"]}", from: "{phone["from"]}", api_base: "{phone["api_base"]}", '
        'account: "${TEST_TWILIO_SID}", token: "${TEST_TWILIO_TOKEN}"'
    )

    def smtp(password: str) -> str:
        return (
            f"{{host: 127.0.0.1, port: {smtp_port}, tls: none, username: sender, "
            f'password: "${{{password}}}", from: canary@example.net}}'
        )

    return f"""\
version: 1
business: {{name: Leak Test}}
settings:
  vantage: {{control: []}}
  fail_after: 1
  notify: ["${{LEAK_NOTIFY_URL}}"]
functions:
  - {{id: calls, name: Customers call us, criticality: critical, rto: 4h, needs: [phone]}}
  - {{id: mail, name: Customers e-mail us, criticality: critical, rto: 4h, needs: [mailbox]}}
  - {{id: web, name: Customers use the site, criticality: high, rto: 1d, needs: [site]}}
dependencies:
  - id: phone
    name: Business phone
    checks:
      - {{id: call, type: voice-call, {telephony},
         expect_notification: {{imap: {imap_ok}, within: 1s}}}}
      - {{id: text, type: sms, {telephony},
         expect_notification: {{imap: {imap_bad}, within: 1s}}}}
  - id: mailbox
    name: Business mailbox
    checks:
      - {{id: login, type: imap, host: 127.0.0.1, port: {dovecot.port}, tls: none,
         username: owner, password: "${{LEAK_IMAP_GOOD}}"}}
      - {{id: refused, type: imap, host: 127.0.0.1, port: {dovecot.port}, tls: none,
         username: owner, password: "${{LEAK_IMAP_BAD}}"}}
      - {{id: loop, type: email-roundtrip, to: owner@example.com, within: 2s, warn_after: 1s,
         timeout: 30s, smtp: {smtp("LEAK_SMTP_PASSWORD")}, imap: {imap_ok}}}
      - {{id: loop-refused, type: email-roundtrip, to: owner@example.com, within: 2s,
         warn_after: 1s, timeout: 30s, smtp: {smtp("LEAK_SMTP_BAD")}, imap: {imap_ok}}}
  - id: site
    name: Website
    checks:
      - {{id: api, type: http, url: "{site}/private",
         headers: {{Authorization: "${{LEAK_HTTP_AUTH}}"}}}}
"""


def _site() -> web.Application:
    async def private(request: web.Request) -> web.Response:
        # Refuse, quoting the credential back: a careless probe would copy it into its result.
        return web.Response(status=401, text=f"denied: {request.headers.get('Authorization')}")

    app = web.Application()
    app.router.add_get("/private", private)
    return app


def _answer_like_twilio(router: respx.MockRouter) -> None:
    """A call that completes and a text that is delivered, at once; local traffic passes."""
    for kind, path, status in (("CA", "Calls", "completed"), ("SM", "Messages", "delivered")):
        router.post(f"{ACCOUNT}/{path}.json").respond(201, json={"sid": f"{kind}1"})
        router.get(f"{ACCOUNT}/{path}/{kind}1.json").respond(
            200, json={"sid": f"{kind}1", "status": status}
        )
    router.route(host="127.0.0.1").pass_through()


def _written(folder: Path) -> bytes:
    """Every byte freecost left in ``folder``: the database, its journal, anything else."""
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def test_no_secret_appears_anywhere(
    dovecot: Dovecot,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    secrets = {**SECRETS, "LEAK_IMAP_GOOD": dovecot.users["owner"]}
    with (
        serve(_site()) as site,
        serve_smtp(users={"sender": SECRETS["LEAK_SMTP_PASSWORD"]}) as smtp,
        webhook_receiver() as (hook, received),
        respx.mock(base_url=BASE, assert_all_called=False) as twilio,
    ):
        _answer_like_twilio(twilio)
        notify = f"json://{hook.removeprefix('http://')}/hook/{NOTIFY_TOKEN}"
        for name, value in {**secrets, "LEAK_NOTIFY_URL": notify}.items():
            monkeypatch.setenv(name, value)
        work = tmp_path / "business"
        work.mkdir()
        inventory = work / "inventory.yaml"
        inventory.write_text(_inventory(dovecot, site, smtp.port, hook))
        printed: list[str] = []
        outputs: dict[str, str] = {}
        for argv in (
            ["check", "--all", "--json", str(inventory)],
            ["check", "--all", str(inventory)],
            ["history", "--json", str(inventory)],
            ["history", str(inventory)],
            ["score", "--json", str(inventory)],
            ["validate", "--strict", str(inventory)],
            ["audit", "--all", str(inventory), "--out", str(work / "reports")],
            ["report", str(inventory), "--out", str(work / "later"), "--format", "md,json"],
            ["report", "--status-page", str(inventory), "--out", str(work / "public")],
        ):
            _, out, err = _call(argv, capsys)
            printed += [out, err]
            outputs.setdefault(argv[0], out)
            assert "Traceback" not in err, argv
    statuses = {r["check"]: r["status"] for r in json.loads(outputs["check"])["results"]}
    everything = "\n".join(printed).encode() + _written(work)
    everything += b"".join(r.body for r in received)
    for name, value in {**secrets, "LEAK_NOTIFY_TOKEN": NOTIFY_TOKEN}.items():
        assert value.encode() not in everything, f"{name} leaked"
    # The run really exercised the paths that see the secrets: logins, refusals, an alert.
    assert statuses["login"] == "ok"
    assert statuses["refused"] == "fail"
    assert statuses["api"] == "fail"
    assert statuses["loop-refused"] == "fail"
    assert statuses["call"] in {"fail", "warn"}  # completed, but no voicemail e-mail
    assert "sender" in smtp.logins
    assert received, "the failures were alerted"
