"""docs/: the generated references match the code, every check type has a page, every example
on those pages is a valid check of its type, and every link between the pages leads somewhere.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import typer
import yaml

from freecost.inventory import parse_inventory
from freecost.probes.registry import check_types

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLE = re.compile(r"^```yaml example\n(.*?)^```$", re.MULTILINE | re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} (.+)$", re.MULTILINE)
FENCE = re.compile(r"^```.*?^```$", re.MULTILINE | re.DOTALL)


def _generator() -> ModuleType:
    """scripts/docs.py, imported by path: scripts/ is not a package."""
    spec = importlib.util.spec_from_file_location("freecost_docs_script", ROOT / "scripts/docs.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


docs = _generator()


@pytest.fixture(scope="module")
def generated() -> dict[Path, str]:
    result: dict[Path, str] = docs.outputs()
    return result


@pytest.mark.parametrize("name", ["docs/inventory.md", "docs/cli.md"])
def test_generated_reference_is_current(generated: dict[Path, str], name: str) -> None:
    on_disk = ROOT / name
    current = on_disk.read_text(encoding="utf-8") if on_disk.exists() else None
    if current != generated[Path(name)]:
        pytest.fail(f"{name} is stale: run python scripts/docs.py", pytrace=False)


def test_stale_names_the_file_and_the_command(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs/inventory.md").write_text("# an old reference\n", encoding="utf-8")
    assert docs.stale(tmp_path) == [
        "docs/inventory.md is stale: run python scripts/docs.py",
        "docs/cli.md is stale: run python scripts/docs.py",
    ]


def test_generation_is_deterministic(generated: dict[Path, str]) -> None:
    assert docs.outputs() == generated


def test_inventory_reference_has_every_check_type_and_field(generated: dict[Path, str]) -> None:
    text = generated[Path("docs/inventory.md")]
    for kind, model in check_types().items():
        assert f"### Check type `{kind}`" in text
        for field in model.model_json_schema(mode="validation")["properties"]:
            assert f"| `{field}` |" in text, f"{kind}.{field} is missing"


def test_a_new_command_appears_in_the_cli_reference(monkeypatch: pytest.MonkeyPatch) -> None:
    import freecost.cli

    original = freecost.cli.app
    extended = typer.Typer(
        name="freecost", add_completion=False, rich_markup_mode=None, pretty_exceptions_enable=False
    )
    extended.registered_callback = original.registered_callback
    extended.registered_commands = list(original.registered_commands)

    @extended.command(name="greet")
    def greet() -> None:
        """Say hello to the reader of the reference."""

    monkeypatch.setattr(freecost.cli, "app", extended)
    text = docs.cli_markdown()
    assert "## `freecost greet`" in text
    assert "Say hello to the reader of the reference." in text
    assert "Usage: freecost greet [OPTIONS]" in text


def test_every_check_type_has_a_page() -> None:
    pages = {path.stem for path in (DOCS / "checks").glob("*.md")}
    assert pages == set(check_types())


def _examples(kind: str) -> list[str]:
    return EXAMPLE.findall((DOCS / "checks" / f"{kind}.md").read_text(encoding="utf-8"))


def _wrapped(checks: Any) -> str:
    """A minimal inventory around ``checks``, so that only they can be wrong."""
    document = {
        "version": 1,
        "business": {"name": "Example Shop"},
        "functions": [
            {"id": "serve", "name": "Serve", "criticality": "low", "rto": "1d", "needs": ["it"]}
        ],
        "dependencies": [{"id": "it", "name": "The service", "checks": checks}],
    }
    return yaml.safe_dump(document, sort_keys=False)


@pytest.mark.parametrize("kind", sorted(check_types()))
def test_examples_are_valid_checks_of_their_type(kind: str, tmp_path: Path) -> None:
    snippets = _examples(kind)
    assert snippets, f"docs/checks/{kind}.md has no ```yaml example block"
    for snippet in snippets:
        checks = yaml.safe_load(snippet)
        assert isinstance(checks, list), "an example is a list of checks"
        assert checks, "an example holds at least one check"
        loaded = parse_inventory(_wrapped(checks), tmp_path / "inventory.yaml")
        assert [check.type_name for _, check in loaded.checks()] == [kind] * len(checks)


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {docs.github_anchor(heading) for heading in HEADING.findall(text)}


@pytest.mark.parametrize(
    "page", sorted(p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md")), ids=str
)
def test_links_between_pages_lead_somewhere(page: str) -> None:
    source = DOCS / page
    text = FENCE.sub("", source.read_text(encoding="utf-8"))
    for target in LINK.findall(text):
        if re.match(r"[a-z]+:", target):
            continue
        file, _, anchor = target.partition("#")
        destination = (source.parent / file).resolve() if file else source
        assert destination.exists(), f"{page}: {target} leads nowhere"
        if anchor and destination.suffix == ".md":
            assert anchor in _anchors(destination), f"{page}: no heading for #{anchor}"
