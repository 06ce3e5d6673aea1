"""``freecost score``: the contract on stdout, plain text for a person, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_monitor import _call

EXAMPLE = Path(__file__).resolve().parents[1] / "inventory.example.yaml"


def test_score_json_follows_the_contract(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no history database here
    code, out, err = _call(["score", str(EXAMPLE), "--json"], capsys)
    assert code == 0, err
    card = json.loads(out)
    assert card["business"] == "Bailey WorkPlay"
    assert card["overall"]["grade"] in {"A", "B", "C", "D", "F"}
    assert {d["id"] for d in card["dependencies"]} >= {"google-voice", "gmail", "domain"}
    voice = next(d for d in card["dependencies"] if d["id"] == "google-voice")
    assert voice["observed"]["uptime_pct"] is None  # nothing observed yet
    assert err == ""


def test_score_text_leads_with_the_grade_and_what_to_do(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = _call(["score", str(EXAMPLE)], capsys)
    assert code == 0
    first = out.splitlines()[0]
    assert first.startswith("Bailey WorkPlay: grade ")
    assert "Do first" in out
    assert " 1. " in out


def test_a_missing_database_named_on_the_command_line_is_one_line_and_exit_3(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nothing.sqlite3"
    code, out, err = _call(["score", str(EXAMPLE), "--db", str(missing)], capsys)
    assert code == 3
    assert out == ""
    assert err.strip().splitlines() == [f"{missing}: no such database"]


def test_an_invalid_inventory_exits_3_without_a_traceback(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "inventory.yaml"
    bad.write_text("version: 1\nbusiness: {name: X}\nfunctions: []\ndependencies: []\n")
    code, _, err = _call(["score", str(bad)], capsys)
    assert code == 3
    assert "Traceback" not in err
    assert str(bad) in err


def test_score_reads_observed_reliability_from_the_history(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.test_history_command import INVENTORY

    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY)
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "b.db").write_text("data\n")
    (tmp_path / "exports").mkdir()
    _call(["check", "--all", str(path)], capsys)  # exports/ is empty: the crm check fails
    code, out, err = _call(["score", "--json", str(path)], capsys)
    assert code == 0, err
    deps = {d["id"]: d for d in json.loads(out)["dependencies"]}
    assert deps["books"]["observed"]["uptime_pct"] == 100.0
    assert deps["crm"]["observed"]["uptime_pct"] == 0.0
    assert deps["paper"]["observed"]["uptime_pct"] is None
