"""A non-editable build ships everything the tool needs at run time."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.conftest import ROOT


def test_wheel_contains_the_packs_the_templates_and_the_package(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = tmp_path.glob("freecost-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    packs = {Path(n).name for n in names if n.startswith("freecost/checks/")}
    shipped = {p.name for p in (ROOT / "src" / "freecost" / "checks").glob("*.yaml")}
    assert shipped
    assert shipped <= packs
    assert "freecost/cli.py" in names
    templates = {p.name for p in (ROOT / "src" / "freecost" / "report" / "templates").iterdir()}
    assert {"report.html.j2", "statuspage.html.j2", "index.html.j2"} <= templates
    assert {f"freecost/report/templates/{name}" for name in templates} <= names
    assert "freecost/py.typed" in names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "freecost = freecost.cli:run" in zipfile.ZipFile(wheel).read(entry_points).decode()
