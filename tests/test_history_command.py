"""``freecost history``: uptime per check, dependency and function; incidents; results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_monitor import _call

INVENTORY = """\
version: 1
business: {name: Corner Shop}
settings: {vantage: {control: []}, timezone: America/Chicago, fail_after: 1}
functions:
  - {id: records, name: We look up customer history, criticality: high, rto: 1d, needs: [crm]}
  - {id: invoices, name: We send invoices, criticality: medium, rto: 2d, needs: [books]}
dependencies:
  - id: crm
    name: Weekly CRM export
    alternatives: [paper]
    checks:
      - {id: fresh, type: file-age, path: "exports/*.csv"}
  - id: paper
    name: Paper files
  - id: books
    name: Accounts
    checks:
      - {id: backup, type: file-age, path: "backup/*.db"}
"""


@pytest.fixture
def inventory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    for folder, name in (("exports", "a.csv"), ("backup", "b.db")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / name).write_text("data\n")
    _call(["check", "--all", str(path)], capsys)
    (tmp_path / "exports" / "a.csv").unlink()
    _call(["check", "--all", str(path)], capsys)
    return path


def test_history_json_has_uptime_incidents_results_and_the_policy(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _call(["history", "--json", str(inventory)], capsys)
    view = json.loads(out)
    assert code == 0
    assert [p["name"] for p in view["periods"]][:3] == ["24h", "7d", "30d"]
    rows = {(r["kind"], r["id"]): r["periods"] for r in view["uptime"]}
    assert set(rows) == {
        ("check", "crm/fresh"),
        ("check", "books/backup"),
        ("dependency", "crm"),
        ("dependency", "paper"),
        ("dependency", "books"),
        ("function", "records"),
        ("function", "invoices"),
    }
    assert rows[("check", "books/backup")]["24h"]["uptime_pct"] == 100.0
    assert rows[("check", "crm/fresh")]["24h"]["uptime_pct"] < 100.0
    assert rows[("dependency", "paper")]["24h"]["uptime_pct"] is None  # never observed
    (incident,) = view["incidents"]
    assert (incident["check"], incident["open"]) == ("crm/fresh", True)
    assert incident["first_summary"] == "no file matches exports/*.csv"
    assert sorted(r["status"] for r in view["results"]) == ["fail", "ok", "ok", "ok"]
    assert view["accounting_policy"].startswith("Uptime is measured in time, not in samples.")


def test_history_for_one_dependency(inventory: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _call(["history", "--json", "--dependency", "books", str(inventory)], capsys)
    assert code == 0
    view = json.loads(out)
    assert {(r["kind"], r["id"]) for r in view["uptime"]} == {
        ("check", "books/backup"),
        ("dependency", "books"),
        ("function", "invoices"),
    }
    assert view["incidents"] == []


def test_history_text_names_the_incident(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = _call(["history", str(inventory)], capsys)
    assert code == 0
    assert "crm/fresh: " in out
    assert "still open; no file matches exports/*.csv" in out
    assert "How these figures are counted: " in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--dependency", "crn"], "--dependency: no dependency 'crn' (did you mean 'crm'?)"),
        (["--since", "soon"], "--since: 'soon' is not a duration"),
    ],
)
def test_bad_options_are_one_line_and_exit_3(
    inventory: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = _call(["history", *argv, str(inventory)], capsys)
    assert (code, out) == (3, "")
    assert err.startswith(message)


def test_no_history_yet_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    code, _, err = _call(["history", str(path)], capsys)
    assert code == 3
    assert err.endswith("no history yet; `freecost check` records the first results\n")
