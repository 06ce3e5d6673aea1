"""``freecost schedule``: the cron line runs for real, takes its lock, and quotes odd paths."""

from __future__ import annotations

import fcntl
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

import pytest

from freecost.cli import main
from freecost.inventory import load_inventory
from freecost.schedule import cron_schedule, crontab_line, job_for, systemd_units

INVENTORY = """\
version: 1
business: {name: "Corner Shop & Co"}
functions:
  - {id: records, name: We keep customer records, criticality: high, rto: 1d, needs: [crm]}
dependencies:
  - id: crm
    name: CRM export
    checks:
      - {id: fresh, type: file-age, path: "exports/*.csv", max_age: {warn: 8d, fail: 15d},
         every: 1h}
      - {id: also-fresh, type: file-age, path: "exports/*.csv", every: 15m}
"""


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    # A folder name with a space and a percent sign: both break a naive crontab line.
    folder = tmp_path / "corner shop 100%"
    (folder / "exports").mkdir(parents=True)
    (folder / "exports" / "customers.csv").write_text("name\n")
    path = folder / "inventory.yaml"
    path.write_text(INVENTORY)
    return path


@pytest.mark.parametrize(
    ("interval", "fields"),
    [
        (timedelta(minutes=1), "* * * * *"),
        (timedelta(minutes=5), "*/5 * * * *"),
        (timedelta(minutes=7), "*/6 * * * *"),
        (timedelta(minutes=45), "*/30 * * * *"),
        (timedelta(minutes=90), "0 * * * *"),
        (timedelta(hours=5), "0 */4 * * *"),
        (timedelta(days=1), "0 6 * * *"),
        (timedelta(weeks=1), "0 6 * * *"),
    ],
)
def test_cron_never_runs_less_often_than_asked(interval: timedelta, fields: str) -> None:
    assert cron_schedule(interval) == fields


def test_the_interval_is_the_shortest_every(inventory: Path) -> None:
    job = job_for(load_inventory(inventory))
    assert job.interval == timedelta(minutes=15)
    assert job.name == "freecost-corner-shop-co"


def _as_cron_runs_it(line: str) -> str:
    """The command cron would hand to the shell: after five fields, with \\% turned back."""
    command = line.split(" ", 5)[5]
    return command.replace("\\%", "%")


def test_the_cron_line_runs_the_checks_and_logs(inventory: Path) -> None:
    line = crontab_line(job_for(load_inventory(inventory)))
    assert line.startswith("*/15 * * * * ")
    done = subprocess.run(["sh", "-c", _as_cron_runs_it(line)], timeout=60, check=False)
    assert done.returncode == 0
    log = (inventory.parent / ".freecost" / "check.log").read_text()
    # Not on a terminal: nothing but problems is printed, and all is well.
    assert log == ""


def test_the_cron_line_skips_a_turn_while_the_last_run_holds_the_lock(
    inventory: Path,
) -> None:
    (inventory.parent / "exports" / "customers.csv").unlink()
    line = crontab_line(job_for(load_inventory(inventory)))
    lock = inventory.parent / ".freecost" / "check.lock"
    lock.parent.mkdir()
    with lock.open("w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        skipped = subprocess.run(["sh", "-c", _as_cron_runs_it(line)], timeout=60, check=False)
    assert skipped.returncode == 1  # flock -n: the lock is taken, nothing ran
    assert (inventory.parent / ".freecost" / "check.log").read_text() == ""
    ran = subprocess.run(["sh", "-c", _as_cron_runs_it(line)], timeout=60, check=False)
    assert ran.returncode == 2
    assert (
        "crm/fresh: fail: no file matches exports/*.csv"
        in (inventory.parent / ".freecost" / "check.log").read_text()
    )


def test_systemd_units_quote_the_paths(inventory: Path) -> None:
    units = systemd_units(job_for(load_inventory(inventory)))
    assert sorted(units) == ["freecost-corner-shop-co.service", "freecost-corner-shop-co.timer"]
    service = units["freecost-corner-shop-co.service"]
    assert f"WorkingDirectory={inventory.parent}".replace("%", "%%") in service
    assert f' "{inventory}"'.replace("%", "%%") in service
    assert "OnUnitActiveSec=900s" in units["freecost-corner-shop-co.timer"]


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_units(inventory: Path, tmp_path: Path) -> None:
    units = systemd_units(job_for(load_inventory(inventory)))
    for name, text in units.items():
        (tmp_path / name).write_text(text)
    service = tmp_path / "freecost-corner-shop-co.service"
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", str(service)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # verify also complains about things outside these files on a machine without a running
    # systemd; only lines naming our files matter.
    ours = [line for line in done.stderr.splitlines() if "freecost-corner-shop-co" in line]
    assert ours == []


def test_schedule_command_prints_both_forms(
    inventory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as cron:
        main(["schedule", str(inventory)])
    out = capsys.readouterr().out
    assert cron.value.code == 0
    assert out.splitlines()[-1].startswith("*/15 * * * * cd ")
    with pytest.raises(SystemExit) as systemd:
        main(["schedule", "--systemd", str(inventory)])
    out = capsys.readouterr().out
    assert systemd.value.code == 0
    assert "### freecost-corner-shop-co.timer" in out
