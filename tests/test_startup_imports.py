"""``freecost --version`` and ``freecost validate`` do not import the probes' heavy libraries.

Start-up time is what a person waits for on every command; the libraries that only a
running check, a report or an alert needs are imported where they are used. Each case runs
in a fresh interpreter, since this test process has imported everything already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = (
    "aiohttp",
    "httpx",
    "checkdmarc",
    "aioimaplib",
    "aiosmtplib",
    "jinja2",
    "cryptography",
    "apprise",
    "playwright",
)

# Runs the command line in-process, then prints the top-level names of every module loaded.
RUN_AND_LIST = """
import json, sys
from freecost.cli import main
sys.argv = ["freecost", *sys.argv[1:]]
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted({name.split(".")[0] for name in sys.modules})), file=sys.stderr)
"""


RUN_AND_LIST_PROBES = RUN_AND_LIST.replace(
    '{name.split(".")[0] for name in sys.modules}', "set(sys.modules)"
)


def loaded_after(*args: str) -> set[str]:
    child = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    listing = child.stderr.strip().splitlines()[-1]
    return set(json.loads(listing))


@pytest.mark.parametrize(
    "args",
    [("--version",), ("validate", "inventory.example.yaml")],
    ids=["version", "validate"],
)
def test_heavy_modules_are_not_imported(args: tuple[str, ...]) -> None:
    assert not set(HEAVY) & loaded_after(*args)


def test_version_imports_no_models() -> None:
    # --version needs the command-line layer only, not the inventory's models.
    assert not {"pydantic", "pydantic_core", "yaml"} & loaded_after("--version")


def test_validate_imports_no_probe() -> None:
    # Validating needs the check types' models, not the code (and libraries) that runs them.
    child = subprocess.run(
        [sys.executable, "-c", RUN_AND_LIST_PROBES, "validate", "inventory.example.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    loaded = set(json.loads(child.stderr.strip().splitlines()[-1]))
    assert "freecost.checktypes.http" in loaded  # the listing is of a real validation
    assert loaded.isdisjoint({"asyncio", "ssl", "html.parser", "email_validator"})
    assert {m for m in loaded if m.startswith("freecost.probes.")} == {"freecost.probes.registry"}


def test_validate_still_validates() -> None:
    # The listing above is only meaningful if validate really ran to the end.
    child = subprocess.run(
        [sys.executable, "-m", "freecost", "validate", "inventory.example.yaml"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr
    assert "valid" in child.stdout
