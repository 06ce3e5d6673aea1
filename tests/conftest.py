"""Shared fixtures: the example inventory and a helper that validates inventory text."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from freecost.errors import FreecostError, ValidationFailed
from freecost.inventory import LoadedInventory, parse_inventory

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "inventory.example.yaml"

MINIMAL = """\
version: 1
business: {name: Test Shop, contact: owner@example.com}
functions:
  - id: phone-leads
    name: Callers reach us
    criticality: critical
    rto: 4h
    needs: [voice]
dependencies:
  - id: voice
    name: Phone number
    service: google-voice
    plan: free
"""


@pytest.fixture
def example_path() -> Path:
    return EXAMPLE


@pytest.fixture
def load_text(tmp_path: Path) -> Callable[[str], LoadedInventory]:
    """Validate inventory text as if it were tmp_path/inventory.yaml."""

    def load(text: str) -> LoadedInventory:
        return parse_inventory(text, tmp_path / "inventory.yaml", display="inventory.yaml")

    return load


@pytest.fixture
def problems(load_text: Callable[[str], LoadedInventory]) -> Callable[[str], list[str]]:
    """The problem lines for inventory text (empty when it is valid)."""

    def run(text: str) -> list[str]:
        try:
            load_text(text)
        except ValidationFailed as exc:
            return exc.lines()
        except FreecostError as exc:
            return exc.lines()
        return []

    return run
