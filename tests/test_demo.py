"""``freecost demo``: a simulated business audited for real on 127.0.0.1, and its history."""

from __future__ import annotations

import io
import json
import os
import socket
import threading
from collections.abc import Mapping
from contextlib import AbstractContextManager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import freecost.demo
import freecost.demo.run
from freecost.cli import main
from freecost.demo import DemoRun
from freecost.demo.inventory import inventory_text
from freecost.demo.scenario import (
    OUTAGE_FIRST_DAY,
    OUTAGE_RECOVERED_DAY,
    SID_ENV,
    TOKEN_ENV,
)
from freecost.demo.seed import seed_history, seeded_results
from freecost.demo.servers import Endpoints
from freecost.inventory import parse_inventory
from freecost.results import Status
from freecost.store import History

NOW = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str
    cwd: Path
    folder: Path
    home: Path
    run: DemoRun
    secrets: list[str]

    def report(self) -> dict[str, Any]:
        document: dict[str, Any] = json.loads((self.folder / "report.json").read_text())
        return document

    def dependency(self, name: str) -> dict[str, Any]:
        return next(d for d in self.report()["dependencies"] if d["id"] == name)

    def result(self, check: str) -> dict[str, Any]:
        return next(r for r in self.report()["results"] if r["check"] == check)


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> Ran:
    """One demo run through the command line, from an empty folder with an empty home."""
    base = tmp_path_factory.mktemp("demo")
    cwd, home = base / "cwd", base / "home"
    cwd.mkdir()
    home.mkdir()
    seen: list[DemoRun] = []
    secrets: list[str] = []
    real = freecost.demo.run_demo
    real_environment = freecost.demo.run.environment

    def environment(values: Mapping[str, str]) -> AbstractContextManager[None]:
        secrets.extend(values.values())
        return real_environment(values)

    def spy(out: Path, *, keep: bool = False) -> DemoRun:
        found = real(out, keep=keep)
        seen.append(found)
        return found

    stdout, stderr = io.StringIO(), io.StringIO()
    previous = Path.cwd()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(freecost.demo, "run_demo", spy)
        patch.setattr(freecost.demo.run, "environment", environment)
        patch.setenv("HOME", str(home))
        patch.delenv("FREECOST_DB", raising=False)
        os.chdir(cwd)
        try:
            with (
                redirect_stdout(stdout),
                redirect_stderr(stderr),
                pytest.raises(SystemExit) as done,
            ):
                main(["demo", "--out", "out"])
        finally:
            os.chdir(previous)
    code = done.value.code
    assert isinstance(code, int)
    return Ran(code, stdout.getvalue(), stderr.getvalue(), cwd, cwd / "out", home, seen[0], secrets)


def test_the_demo_exits_0_and_says_where_the_report_is(ran: Ran) -> None:
    assert (ran.code, ran.err) == (0, "")
    assert "report written to out/report.html" in ran.out
    assert "Harbor Street Bakery: grade " in ran.out
    assert "simulation" in ran.out
    assert "`freecost init`, then `freecost audit`" in ran.out


def test_the_report_is_written_in_every_format_and_nothing_else_stays(ran: Ran) -> None:
    assert sorted(p.name for p in ran.folder.iterdir()) == [
        "report.html",
        "report.json",
        "report.md",
    ]
    assert [p.name for p in ran.cwd.iterdir()] == ["out"]
    assert list(ran.home.iterdir()) == []
    assert ran.run.workspace is None


def test_the_audit_ran_every_check_for_real_and_graded_the_business(ran: Ran) -> None:
    report = ran.report()
    assert report["overall"]["grade"] in {"A", "B", "C", "D", "E", "F"}
    assert {r["check"] for r in report["results"]} == {
        "vendor-status",
        "voicemail",
        "mx-tls",
        "mail-auth",
        "registration",
        "nameservers",
        "mail-route",
        "home-page",
        "certificate",
        "contact-form",
    }
    assert ran.result("home-page")["status"] == "ok"
    assert ran.result("contact-form")["status"] == "ok"
    assert ran.result("voicemail")["details"]["status"] == "completed"
    assert ran.result("mx-tls")["summary"].startswith("mail.harborstreetbakery.example: STARTTLS")
    assert ran.result("mail-auth")["status"] == "warn"
    assert "DMARC policy is none" in ran.result("mail-auth")["summary"]


def test_the_voicemail_canary_shows_the_three_week_silent_outage(ran: Ran) -> None:
    incidents = ran.dependency("phone-line")["incidents"]
    canary = [i for i in incidents if i["check"] == "phone-line/voicemail"]
    assert len(canary) == 1
    assert canary[0]["open"] is False
    assert canary[0]["duration_s"] == timedelta(days=21).total_seconds()
    assert canary[0]["layer"] == "delivery"
    assert "no voicemail notification" in canary[0]["first_summary"]
    assert not [i for i in incidents if i["check"] == "phone-line/vendor-status"]


def test_the_status_page_admits_the_incident(ran: Ran) -> None:
    result = ran.result("vendor-status")
    assert result["status"] == "fail"
    assert result["details"]["component"] == "Voicemail"
    titles = [incident["title"] for incident in result["details"]["incidents"]]
    assert titles == ["Delayed voicemail-to-email notifications"]


def test_the_domain_check_warns_about_expiry(ran: Ran) -> None:
    result = ran.result("registration")
    assert result["status"] == "warn"
    assert "registration expires in 12 days" in result["summary"]
    assert result["details"]["locked"] is True


def test_no_server_is_left_running(ran: Ran) -> None:
    ports = ran.run.endpoints.ports
    assert len(ports) == 6
    for port in ports:
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    assert not [t for t in threading.enumerate() if t.name == "freecost-demo-servers"]


def test_the_fake_credentials_leave_the_environment_and_are_never_written(ran: Ran) -> None:
    assert SID_ENV not in os.environ
    assert TOKEN_ENV not in os.environ
    assert len(ran.secrets) == 2
    written = [ran.out, ran.err, *(p.read_text() for p in ran.folder.iterdir())]
    for secret in ran.secrets:
        assert not [text for text in written if secret in text]


def test_keep_leaves_the_workspace_beside_the_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as done:
        main(["demo", "--out", str(tmp_path), "--keep"])
    out = capsys.readouterr().out
    assert done.value.code == 0
    kept = [p for p in tmp_path.iterdir() if p.is_dir()]
    assert len(kept) == 1
    assert {"inventory.yaml", "ca.pem", ".freecost"} <= {p.name for p in kept[0].iterdir()}
    assert f"kept in {kept[0]}" in out


def test_an_output_folder_that_cannot_be_made_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SystemExit) as done:
        main(["demo", "--out", str(blocker / "out")])
    err = capsys.readouterr().err
    assert done.value.code == 3
    assert err.startswith("freecost demo: ")
    assert err.count("\n") == 1


# --- the seeded history ----------------------------------------------------------------------


def test_the_canary_fails_daily_through_the_outage_while_the_status_page_is_green() -> None:
    results = seeded_results(NOW)
    canary = [r for r in results if r.check == "voicemail"]
    failing = [r for r in canary if r.status is Status.FAIL]
    assert len(canary) == 30
    assert len(failing) == OUTAGE_FIRST_DAY - OUTAGE_RECOVERED_DAY
    assert failing[0].observed_at == canary[30 - OUTAGE_FIRST_DAY].observed_at
    during = [
        r for r in results if failing[0].observed_at <= r.observed_at <= failing[-1].observed_at
    ]
    assert {r.status for r in during if r.check == "vendor-status"} == {Status.OK}
    assert results == sorted(results, key=lambda r: r.observed_at)
    assert max(r.observed_at for r in results) < NOW


def _endpoints() -> Endpoints:
    return Endpoints(
        website="https://127.0.0.1:4001",
        status_page="https://127.0.0.1:4002",
        rdap_bootstrap="https://127.0.0.1:4003/bootstrap/dns.json",
        telephony="https://127.0.0.1:4004",
        dns_port=4005,
        smtp_port=4006,
        ports=(4001, 4002, 4003, 4004, 4005, 4006),
    )


def test_the_store_makes_the_outage_one_incident_and_the_blip_another(tmp_path: Path) -> None:
    path = tmp_path / "inventory.yaml"
    loaded = parse_inventory(inventory_text(_endpoints(), "ca.pem"), path)
    database = tmp_path / "history.sqlite3"
    count = seed_history(loaded, database, NOW)
    with History.open(database) as history:
        incidents = history.incidents()
        stored = len(history.results())
    assert stored == count
    by_check = {str(i.check): i for i in incidents}
    assert sorted(by_check) == ["phone-line/voicemail", "website/home-page"]
    outage = by_check["phone-line/voicemail"]
    assert outage.ended_at is not None
    assert outage.ended_at - outage.started_at == timedelta(days=21)
    blip = by_check["website/home-page"]
    assert blip.ended_at is not None
    assert blip.ended_at - blip.started_at == timedelta(hours=2)
