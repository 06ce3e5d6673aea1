"""``freecost check`` end to end: real probes against local servers, every output mode."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

from freecost.api import check as run_check
from freecost.cli import main
from freecost.results import Status
from tests.servers.dns_server import ZoneServer, serve_zone

ZONE = """
@   SOA  ns1.shop.example. hostmaster.shop.example. 1 3600 600 1209600 300
@   NS   ns1.shop.example.
@   MX   10 mx1.shop.example.
"""


@pytest.fixture(scope="module")
def dns_server() -> Iterator[ZoneServer]:
    with serve_zone(ZONE, "shop.example") as server:
        yield server


def _inventory(tmp_path: Path, dns_server: ZoneServer, *, control: str = "[]") -> Path:
    (tmp_path / "exports").mkdir(exist_ok=True)
    export = tmp_path / "exports" / "crm-1.csv"
    export.write_text("id,name\n1,Ann\n")
    old = datetime.now().timestamp() - 10 * 86400
    os.utime(export, (old, old))
    path = tmp_path / "inventory.yaml"
    path.write_text(f"""\
version: 1
business: {{name: Test Shop}}
settings:
  dns: {{nameservers: [{dns_server.host}], port: {dns_server.port}}}
  vantage: {{control: {control}}}
functions:
  - {{id: email, name: E-mail, criticality: high, rto: 4h, needs: [mail, crm]}}
dependencies:
  - id: mail
    name: Mail
    checks:
      - {{id: mx, type: dns, name: shop.example, record: MX,
         expect: {{contains: mx1.shop.example}}}}
      - {{id: gone, type: dns, name: nowhere.shop.example}}
  - id: crm
    name: CRM
    checks:
      - {{id: export, type: file-age, path: "exports/crm-*.csv"}}
      - {{id: plugin, type: command, command: [/usr/lib/nagios/plugins/check_dummy, "0", "fine"]}}
""")
    return path


def _call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


@pytest.fixture
def needs_check_dummy() -> None:
    if not Path("/usr/lib/nagios/plugins/check_dummy").exists():
        pytest.skip("monitoring-plugins are not installed")


@pytest.mark.usefixtures("needs_check_dummy")
def test_json_follows_the_contract(
    tmp_path: Path, dns_server: ZoneServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _inventory(tmp_path, dns_server)
    code, out, _ = _call(["check", "--json", str(path)], capsys)
    document = json.loads(out)
    assert code == 2
    assert set(document) == {
        "version",
        "inventory",
        "started_at",
        "finished_at",
        "vantage",
        "results",
        "counts",
        "notifications",  # added beside the contract's fields, as DESIGN.md allows
    }
    assert document["inventory"] == str(path)
    assert document["vantage"]["online"] is True
    assert document["counts"] == {"ok": 2, "warn": 1, "fail": 1, "error": 0}
    by_check = {r["check"]: r for r in document["results"]}
    assert list(by_check) == ["mx", "gone", "export", "plugin"]
    gone = by_check["gone"]
    assert {
        "dependency",
        "check",
        "type",
        "status",
        "latency_ms",
        "summary",
        "observed_at",
        "details",
    } <= set(gone)
    assert (gone["dependency"], gone["type"], gone["status"], gone["layer"]) == (
        "mail",
        "dns",
        "fail",
        "dns",
    )
    assert "NXDOMAIN" in gone["summary"]
    assert by_check["export"]["status"] == "warn"
    assert by_check["plugin"]["summary"] == "OK: fine"
    datetime.fromisoformat(gone["observed_at"])


@pytest.mark.usefixtures("needs_check_dummy")
def test_cron_output_is_problems_only(
    tmp_path: Path, dns_server: ZoneServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _inventory(tmp_path, dns_server)
    code, out, _ = _call(["check", str(path)], capsys)
    lines = out.splitlines()
    assert code == 2
    assert [line.split(":")[0] for line in lines] == ["mail/gone", "crm/export"]
    assert lines[0].startswith("mail/gone: fail: ")


@pytest.mark.usefixtures("needs_check_dummy")
def test_nagios_line(
    tmp_path: Path, dns_server: ZoneServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _inventory(tmp_path, dns_server)
    code, out, _ = _call(["check", "--nagios", str(path)], capsys)
    assert code == 2
    assert out.count("\n") == 1
    assert out.startswith("FREECOST CRITICAL - 2 of 4 checks not ok: mail/gone ")
    assert " | ok=2;;;0;4 warn=1;;;0;4 fail=1;;;0;4 error=0;;;0;4 time=" in out


def test_only_selects_dependencies_and_checks(
    tmp_path: Path, dns_server: ZoneServer, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _inventory(tmp_path, dns_server)
    code, out, _ = _call(["check", "--json", "--only", "mail/mx", str(path)], capsys)
    assert code == 0
    assert [r["check"] for r in json.loads(out)["results"]] == ["mx"]
    code, out, _ = _call(
        ["check", "--json", "--only", "crm", "--only", "mail/mx", str(path)], capsys
    )
    assert [r["check"] for r in json.loads(out)["results"]] == ["mx", "export", "plugin"]


@pytest.mark.parametrize(
    ("selector", "message"),
    [
        ("mial", "--only: no dependency 'mial' (did you mean 'mail'?)"),
        (
            "mail/mxx",
            "--only: dependency 'mail' has no check 'mxx' (did you mean 'mx'?); "
            "its checks: mx, gone",
        ),
    ],
)
def test_only_with_an_unknown_name(
    tmp_path: Path,
    dns_server: ZoneServer,
    capsys: pytest.CaptureFixture[str],
    selector: str,
    message: str,
) -> None:
    path = _inventory(tmp_path, dns_server)
    assert _call(["check", "--only", selector, str(path)], capsys) == (3, "", message + "\n")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.mark.usefixtures("needs_check_dummy")
def test_offline_machine_blames_itself_not_the_vendors(
    tmp_path: Path, dns_server: ZoneServer, capsys: pytest.CaptureFixture[str]
) -> None:
    port = _closed_port()
    path = _inventory(tmp_path, dns_server, control=f"['127.0.0.1:{port}']")
    code, out, _ = _call(["check", "--json", str(path)], capsys)
    document = json.loads(out)
    assert code == 3
    assert document["vantage"]["online"] is False
    statuses = {r["check"]: r["status"] for r in document["results"]}
    assert statuses == {"mx": "error", "gone": "error", "export": "warn", "plugin": "ok"}
    assert document["results"][0]["summary"].startswith("this machine's network is down")


def test_python_api_returns_result_objects(tmp_path: Path, dns_server: ZoneServer) -> None:
    run = run_check(_inventory(tmp_path, dns_server), only=["mail"])
    assert [(r.check, r.status) for r in run.results] == [("mx", Status.OK), ("gone", Status.FAIL)]


def test_the_example_offline_says_the_network_is_down(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    example = Path(__file__).parent.parent / "inventory.example.yaml"
    text = example.read_text(encoding="utf-8")
    control = f"  vantage: {{control: ['127.0.0.1:{_closed_port()}']}}\n"
    path = tmp_path / "inventory.yaml"
    path.write_text(text.replace("settings:\n", "settings:\n" + control, 1), encoding="utf-8")
    code, out, _ = _call(["check", "--json", str(path)], capsys)
    document = json.loads(out)
    assert code == 2  # the missing export is a real failure, and outranks the errors
    network = [r for r in document["results"] if r["check"] != "fresh"]
    assert len(network) == 13
    for result in network:
        assert result["status"] == "error", result
        assert result["summary"].startswith("this machine's network is down"), result
    (export,) = [r for r in document["results"] if r["check"] == "fresh"]
    assert export["summary"] == "no file matches exports/crm-*.csv"
