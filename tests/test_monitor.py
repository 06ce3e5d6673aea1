"""``freecost check`` as cron runs it: results stored, only due checks run, alerts on change.

The checks here are file-age checks (no network), so the tests are about the pass itself:
the history database, ``every``, incidents and the alerts sent to a real local webhook.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from freecost.cli import main
from tests.servers.webhook import webhook_receiver

TOKEN = "tok-5f1e9c2a7d"

INVENTORY = """\
version: 1
business: {{name: Corner Shop}}
settings:
  vantage: {{control: []}}
  notify: ["${{SHOP_HOOK}}"]
  fail_after: 2
functions:
  - {{id: records, name: We look up customer history, criticality: high, rto: 1d, needs: [crm]}}
dependencies:
  - id: crm
    name: Weekly CRM export
    checks:
      - {{id: fresh, type: file-age, path: "exports/*.csv", every: {every}}}
"""


def _inventory(tmp_path: Path, every: str = "1h") -> Path:
    (tmp_path / "exports").mkdir(exist_ok=True)
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY.format(every=every))
    return path


def _call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    out, err = capsys.readouterr()
    code = exit_info.value.code
    assert isinstance(code, int)
    return code, out, err


def _ran(out: str) -> list[str]:
    return [r["check"] for r in json.loads(out)["results"]]


def test_results_are_stored_and_only_due_checks_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FREECOST_DB", raising=False)
    path = _inventory(tmp_path)
    (tmp_path / "exports" / "a.csv").write_text("x\n")
    code, out, _ = _call(["check", "--json", str(path)], capsys)
    assert (code, _ran(out)) == (0, ["fresh"])
    code, out, _ = _call(["check", "--json", str(path)], capsys)
    assert (code, _ran(out)) == (0, [])  # every: 1h has not passed
    code, out, _ = _call(["check", "--json", "--all", str(path)], capsys)
    assert (code, _ran(out)) == (0, ["fresh"])
    with sqlite3.connect(tmp_path / ".freecost" / "history.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM results").fetchone() == (2,)


def test_db_option_and_environment_choose_the_database(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inventory(tmp_path)
    monkeypatch.setenv("FREECOST_DB", str(tmp_path / "from-env.sqlite3"))
    _call(["check", "--json", str(path)], capsys)
    _call(["check", "--json", "--all", "--db", str(tmp_path / "given.sqlite3"), str(path)], capsys)
    assert (tmp_path / "from-env.sqlite3").exists()
    assert (tmp_path / "given.sqlite3").exists()
    assert not (tmp_path / ".freecost").exists()


def test_an_unusable_database_is_one_line_and_exit_3(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _inventory(tmp_path)
    bogus = tmp_path / "not-a-db.sqlite3"
    bogus.write_bytes(b"this is not a database" * 100)
    code, out, err = _call(["check", "--db", str(bogus), str(path)], capsys)
    assert code == 3
    assert out == ""
    assert len(err.splitlines()) == 1
    assert str(bogus) in err


def test_alerts_go_out_when_a_check_goes_down_and_when_it_recovers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inventory(tmp_path)
    database = tmp_path / "history.sqlite3"
    argv = ["check", "--all", "--db", str(database), str(path)]
    with webhook_receiver() as (base, received):
        url = base.replace("http://", "json://") + f"/hook/{TOKEN}"
        monkeypatch.setenv("SHOP_HOOK", url)
        assert _call(argv, capsys)[0] == 2  # one failure: a blip, no alert yet
        assert received == []
        code, _, err = _call(argv, capsys)  # the second in a row: down
        assert (code, err) == (2, "")
        (down,) = received
        message = json.loads(down.body)
        assert message["title"].startswith("DOWN: Weekly CRM export (crm/fresh)")
        assert "We look up customer history" in message["message"]
        (tmp_path / "exports" / "b.csv").write_text("x\n")
        assert _call(argv, capsys)[0] == 0
        assert len(received) == 2
        assert json.loads(received[1].body)["title"].startswith("RECOVERED: Weekly CRM export")
    assert TOKEN not in database.read_bytes().decode("latin-1")


def test_alerts_wait_for_the_end_of_a_maintenance_window(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inventory(tmp_path)
    text = path.read_text()
    window = (
        "  maintenance:\n"
        '    - {from: "2020-01-01T00:00", to: "2100-01-01T00:00", note: the long migration}\n'
    )
    path.write_text(text.replace("  fail_after: 2\n", "  fail_after: 2\n" + window))
    database = tmp_path / "history.sqlite3"
    argv = ["check", "--all", "--db", str(database), str(path)]
    with webhook_receiver() as (base, received):
        monkeypatch.setenv("SHOP_HOOK", base.replace("http://", "json://") + f"/hook/{TOKEN}")
        _call(argv, capsys)
        assert _call(argv, capsys)[0] == 2  # down, inside the window
        assert received == []  # the incident is recorded, the alert waits
        path.write_text(text)  # the window is over and the export is still missing
        _call(argv, capsys)
        (late,) = received
        assert json.loads(late.body)["title"].startswith("STILL DOWN: Weekly CRM export")


def test_a_notifier_that_fails_is_shown_and_does_not_change_the_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _inventory(tmp_path)
    argv = ["check", "--all", "--json", "--db", str(tmp_path / "h.sqlite3"), str(path)]
    with webhook_receiver() as (base, _):
        monkeypatch.setenv("SHOP_HOOK", base.replace("http://", "json://") + f"/broken/{TOKEN}")
        _call(argv, capsys)
        code, out, err = _call(argv, capsys)
    assert code == 2
    (notice,) = json.loads(out)["notifications"]
    assert (notice["kind"], notice["check"], notice["ok"]) == ("opened", "crm/fresh", False)
    assert err.startswith("crm/fresh: could not send the opened alert to json://127.0.0.1: ")
    assert TOKEN not in out + err


def test_a_missing_notification_secret_is_a_failed_delivery_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOP_HOOK", raising=False)
    path = _inventory(tmp_path)
    argv = ["check", "--all", "--db", str(tmp_path / "h.sqlite3"), str(path)]
    _call(argv, capsys)
    code, out, err = _call(argv, capsys)
    assert code == 2
    assert "crm/fresh: fail: no file matches exports/*.csv" in out
    assert err.startswith("crm/fresh: could not send the opened alert to ${SHOP_HOOK}: ")
    assert "SHOP_HOOK" in err
