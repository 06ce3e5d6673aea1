"""Generate the reference pages of docs/ from the code: docs/inventory.md and docs/cli.md.

``python scripts/docs.py`` rewrites both; ``python scripts/docs.py --check`` only compares
and exits 1 naming the stale files. tests/test_docs.py does the same comparison, so a change
to the inventory models or to a command's options that is not followed by a regeneration
fails the test suite.

docs/inventory.md is rendered from the JSON Schema that ``freecost schema`` prints
(:func:`freecost.inventory.inventory_schema`). The schema leaves out defaults that a factory
makes (an empty list, a fresh object, the vantage targets), so those are read from the same
pydantic models and filled in. docs/cli.md holds each command's ``--help`` text, taken from
the typer app itself, so a new command appears without touching this file.

Everything is rendered at a fixed width with the plain (non-rich) help formatter and without
timestamps, so two runs on any machine give the same bytes.
"""

from __future__ import annotations

import argparse
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel

ROOT = Path(__file__).resolve().parent.parent
INVENTORY_MD = Path("docs/inventory.md")
CLI_MD = Path("docs/cli.md")
STALE = "{path} is stale: run python scripts/docs.py"
HELP_WIDTH = 100

Schema = dict[str, Any]

# Fields whose models carry no description yet. The schema's own description wins as soon
# as the model gets one, so these never contradict the code.
FALLBACK_DESCRIPTIONS: Mapping[tuple[str, str], str] = {
    ("Function", "id"): "how dependencies, alerts and reports refer to this function",
    ("Function", "name"): "what the business does, in the owner's words",
    ("Function", "criticality"): "how much it matters; weighs every finding on it",
    ("Dependency", "id"): "how functions, `needs` and `alternatives` refer to it",
    ("Dependency", "name"): "what it is, in the owner's words",
    ("Dependency", "plan"): "the pack's plan the business is on (`freecost catalog SERVICE`)",
    ("Dependency", "monthly_cost"): "what the business pays for it a month",
    ("Dependency", "account"): "whose account it runs on",
    ("Dependency", "assets"): "numbers, domains and addresses customers know the business by",
    ("Dependency", "sla"): "what the business's own contract says, where it differs from the pack",
    ("Asset", "kind"): "what the asset is",
    ("Asset", "value"): "the number, domain or address itself",
    ("ReportSettings", "prepared_by"): "who prepared the report (shown on it)",
    ("ReportSettings", "client_name"): "the client's name on the report",
    ("DnsSettings", "port"): "the port of the resolvers in `nameservers`",
    ("CheckBase", "id"): "the check's name within its dependency (`--only DEP/CHECK`)",
    ("CheckBase", "type"): "the check type",
}

SECTION_TITLES: Mapping[str, str] = {
    "Business": "`business`",
    "Settings": "`settings`",
    "DnsSettings": "`settings.dns`",
    "TlsSettings": "`settings.tls`",
    "RdapSettings": "`settings.rdap`",
    "VantageSettings": "`settings.vantage`",
    "ReportSettings": "`settings.report`",
    "MaintenanceWindow": "Maintenance windows",
    "Function": "`functions`",
    "Dependency": "`dependencies`",
    "Account": "`dependencies[].account`",
    "Asset": "`dependencies[].assets`",
    "SlaOverride": "`dependencies[].sla`",
}
"""Headings for the inventory's own parts, in the words a person writes them."""


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a Markdown heading: lower case, punctuation dropped."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


# --- reading the schema -------------------------------------------------------------------


def _ref_name(schema: Schema) -> str | None:
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[-1] if isinstance(ref, str) else None


def _walk_refs(schema: Any) -> Iterator[str]:
    """Every definition ``schema`` refers to, in the order they appear."""
    if isinstance(schema, dict):
        name = _ref_name(schema)
        if name:
            yield name
        for key, value in schema.items():
            if key != "discriminator":
                yield from _walk_refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _walk_refs(item)


def _check_defs(schema: Schema) -> dict[str, str]:
    """Check type name → its definition's name, from the dependencies' discriminator."""
    checks = schema["$defs"]["Dependency"]["properties"]["checks"]
    for option in checks.get("anyOf", [checks]):
        discriminator = option.get("items", {}).get("discriminator")
        if discriminator:
            mapping: dict[str, str] = discriminator["mapping"]
            return {kind: ref.rsplit("/", 1)[-1] for kind, ref in sorted(mapping.items())}
    raise ValueError("the schema's dependencies[].checks has no discriminator by type")


def _definition_order(schema: Schema, checks: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The inventory's own definitions, then those the checks use, each in reading order."""
    check_names = set(checks.values())
    defs = schema["$defs"]
    own: list[str] = []

    def visit(node: Any, into: list[str], seen: set[str]) -> None:
        for name in _walk_refs(node):
            if name in seen or name in check_names:
                continue
            seen.add(name)
            into.append(name)
            visit(defs[name], into, seen)

    seen: set[str] = set()
    visit(schema["properties"], own, seen)
    blocks: list[str] = []
    for name in checks.values():
        visit(defs[name], blocks, seen)
    return own, blocks


# --- defaults the schema leaves out -------------------------------------------------------


def _models(root: type[BaseModel], extra: list[type[BaseModel]]) -> dict[str, type[BaseModel]]:
    """Every model reachable from ``root`` and ``extra``, by the names the schema uses."""
    found: dict[str, type[BaseModel]] = {}

    def add(model: type[BaseModel]) -> None:
        qualified = f"{model.__module__}.{model.__qualname__}".replace(".", "__")
        if found.get(model.__name__) is model or found.get(qualified) is model:
            return
        found.setdefault(model.__name__, model)
        found[qualified] = model
        for field in model.model_fields.values():
            for inner in _inner_models(field.annotation):
                add(inner)

    for model in [root, *extra]:
        add(model)
    return found


def _inner_models(annotation: Any) -> Iterator[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _inner_models(arg)


def _plain_value(value: Any) -> Any:
    """A default as the schema would write it: durations as text, models as mappings."""
    from freecost.durations import format_duration

    if isinstance(value, timedelta):
        return format_duration(value)
    if isinstance(value, BaseModel):
        return _plain_value(value.model_dump())
    if isinstance(value, dict):
        return {str(k): _plain_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_value(v) for v in value]
    return value


def _fill_factory_defaults(schema: Schema, models: Mapping[str, type[BaseModel]]) -> None:
    """Write the defaults made by ``default_factory`` into the schema's properties."""
    for name, definition in schema["$defs"].items():
        model = models.get(name)
        if model is None:
            continue
        for field_name, prop in definition.get("properties", {}).items():
            field = model.model_fields.get(field_name)
            if field is None or "default" in prop or field.default_factory is None:
                continue
            factory = typing.cast(Callable[[], Any], field.default_factory)
            prop["default"] = _plain_value(factory())


def load_schema() -> Schema:
    """The inventory's JSON Schema, with every default a person would otherwise miss."""
    from freecost.inventory import Inventory, inventory_schema
    from freecost.probes.registry import check_types

    schema = inventory_schema()
    _fill_factory_defaults(schema, _models(Inventory, list(check_types().values())))
    return schema


# --- rendering the schema -----------------------------------------------------------------


class Renderer:
    """Turns the inventory's schema into Markdown sections with one table per object."""

    def __init__(self, schema: Schema) -> None:
        from freecost.durations import DURATION_PATTERN
        from freecost.model import ID_PATTERN
        from freecost.secrets import SECRET_PATTERN

        self.schema = schema
        self.defs: dict[str, Schema] = schema["$defs"]
        self.checks = _check_defs(schema)
        self.own, self.blocks = _definition_order(schema, self.checks)
        self.patterns = {
            DURATION_PATTERN: "[duration](#durations)",
            SECRET_PATTERN: "[secret](#secrets)",
            ID_PATTERN: "[identifier](#identifiers)",
        }
        self.common = self._common_fields()

    # Headings and links.

    def title(self, name: str) -> str:
        return SECTION_TITLES.get(name, f"`{name}`")

    def link(self, name: str) -> str:
        kind = next((k for k, v in self.checks.items() if v == name), None)
        heading = f"Check type `{kind}`" if kind else self.title(name)
        label = f"`{kind}` check" if kind else self.title(name)
        return f"[{label}](#{github_anchor(heading)})"

    # Types.

    def type_of(self, prop: Schema) -> str:
        """A property's type in words, with links to the sections that explain it."""
        name = _ref_name(prop)
        if name:
            return self.link(name)
        if "discriminator" in prop:
            return "check (one of the [check types](#check-types))"
        options = prop.get("anyOf") or prop.get("oneOf")
        if options:
            kinds = [o for o in options if o.get("type") != "null"]
            text = " or ".join(self.type_of(o) for o in kinds)
            return f"{text} or null" if len(kinds) < len(options) else text
        if "const" in prop:
            return f"`{_literal(prop['const'])}`"
        if "enum" in prop:
            return " \\| ".join(f"`{_literal(v)}`" for v in prop["enum"])
        pattern = prop.get("pattern")
        if pattern in self.patterns:
            return self.patterns[pattern]
        kind = prop.get("type")
        if kind == "array":
            items = prop.get("items", {})
            text = f"list of {self.type_of(items)}"
            return text + _limits(prop, "minItems", "maxItems", "items")
        if kind == "object":
            values = prop.get("additionalProperties")
            return f"mapping of name to {self.type_of(values)}" if values else "mapping"
        return self._scalar(prop)

    def _scalar(self, prop: Schema) -> str:
        kind = prop.get("type")
        if kind == "string":
            examples = prop.get("examples") or []
            if prop.get("format") == "email":
                return "e-mail address"
            if prop.get("format") == "uri":
                return "URL (http or https)"
            if prop.get("format") in ("date-time", "time"):
                return {"date-time": "date and time", "time": "time of day"}[prop["format"]]
            if "192.0.2.10" in examples:
                return "host name or IP address"
            if prop.get("pattern", "").startswith(r"^\+"):
                return "[phone number](#phone-numbers)"
            if "pattern" in prop:
                return f"text matching `{prop['pattern']}`"
            return "text" + _limits(prop, "minLength", "maxLength", "characters")
        if kind in ("integer", "number"):
            word = "whole number" if kind == "integer" else "number"
            return word + _limits(prop, "minimum", "maximum", "")
        if kind == "boolean":
            return "`true` or `false`"
        return "any value"

    # Tables.

    def _common_fields(self) -> Schema:
        """Fields every check type shares, as the first check type defines them."""
        shared: Schema | None = None
        for name in self.checks.values():
            props = self.defs[name]["properties"]
            if shared is None:
                shared = dict(props)
            else:
                shared = {k: v for k, v in shared.items() if k in props}
        # `type` is the one field whose value differs by definition in every check type.
        the_type = {"type": "string", "description": "the check type, one of those below"}
        return {**(shared or {}), "type": the_type}

    def table(self, owner: str, definition: Schema, skip: Mapping[str, Schema]) -> list[str]:
        required = set(definition.get("required", []))
        rows = ["| field | type | default | description |", "|---|---|---|---|"]
        for field, prop in definition.get("properties", {}).items():
            if field in skip and skip[field] == prop:
                continue
            description = prop.get("description") or _fallback(owner, field) or ""
            default = "required" if field in required else self.default_of(prop)
            rows.append(f"| `{field}` | {self.type_of(prop)} | {default} | {_cell(description)} |")
        return rows

    def default_of(self, prop: Schema) -> str:
        if "default" not in prop:
            return "not set"
        value = prop["default"]
        if value is None:
            return "not set"
        if isinstance(value, dict) and _ref_name(prop):
            return "its fields' defaults"
        return f"`{_literal(value)}`"

    # Sections.

    def section(self, name: str, level: str = "###") -> list[str]:
        definition = self.defs[name]
        lines = [f"{level} {self.title(name)}", ""]
        if definition.get("description"):
            lines += [_sentence(definition["description"]), ""]
        used = self.used_in(name)
        if used:
            lines += ["Used in: " + ", ".join(used) + ".", ""]
        return [*lines, *self.table(name, definition, {}), ""]

    def used_in(self, name: str) -> list[str]:
        """Where a parameter block of a check appears: ``type`` and field, for readers."""
        if name not in self.blocks:
            return []
        places = []
        for check in self.checks.values():
            for field, prop in self.defs[check]["properties"].items():
                if name in _walk_refs(prop):
                    places.append(f"{self.link(check)} `{field}`")
        for block in self.blocks:
            for field, prop in self.defs[block].get("properties", {}).items():
                if name in _walk_refs(prop):
                    places.append(f"{self.link(block)} `{field}`")
        return places

    def check_section(self, kind: str) -> list[str]:
        name = self.checks[kind]
        definition = self.defs[name]
        lines = [f"### Check type `{kind}`", ""]
        if definition.get("description"):
            lines += [_sentence(definition["description"]), ""]
        page = f"checks/{kind}.md"
        lines += [f"How it works, what it returns and an example: [{page}]({page}).", ""]
        lines += ["Besides the [fields every check has](#fields-every-check-has):", ""]
        return [*lines, *self.table("CheckBase", definition, self.common), ""]

    def document(self) -> str:
        lines = [
            "# Inventory reference",
            "",
            "<!-- Generated by `python scripts/docs.py` from `freecost schema`: do not edit. -->",
            "",
            "An inventory is a YAML file: what the business does for its customers",
            "(`functions`) and the services it depends on (`dependencies`), with the checks",
            "that watch them. This page lists every field `freecost validate` accepts. Fields",
            "not listed are refused, so a misspelt name is an error rather than ignored.",
            "`freecost schema` prints the same as JSON Schema, for editors.",
            "",
            *_NOTATION,
            "## Top level",
            "",
            *self.table("Inventory", self.schema, {}),
            "",
            "## The inventory's parts",
            "",
        ]
        for name in self.own:
            lines += self.section(name)
        lines += [
            "## Check types",
            "",
            "A dependency's `checks` list holds checks of these types; `type` picks one.",
            "When a dependency lists no checks, its check pack's default checks are used.",
            "",
            "### Fields every check has",
            "",
            *self.table("CheckBase", {"properties": self.common, "required": ["id", "type"]}, {}),
            "",
        ]
        for kind in self.checks:
            lines += self.check_section(kind)
        lines += ["## Parameter blocks of checks", ""]
        for name in self.blocks:
            lines += self.section(name)
        return "\n".join(lines).rstrip("\n") + "\n"


_NOTATION = [
    "## Notation",
    "",
    "### Durations",
    "",
    "A number and a unit, several in a row if you like: `500ms`, `90s`, `5m`, `4h`, `1d`,",
    "`2w`, `1h30m` (units `ms`, `s`, `m`, `h`, `d`, `w`).",
    "",
    "### Secrets",
    "",
    "A field that holds a password, token or notification URL never holds the value itself:",
    "it names an environment variable, `${TWILIO_AUTH_TOKEN}`, or a file, `file:secrets/token`",
    "(relative to the inventory). Plain text there is refused. Values are read only when a",
    "check needs them; `freecost validate --strict` checks that every one can be read now.",
    "",
    "### Identifiers",
    "",
    "Lower-case letters, digits and hyphens, starting with a letter or digit, at most 63",
    "characters: `phone-leads`, `google-voice`.",
    "",
    "### Phone numbers",
    "",
    "International form with the country code, like `+15128279000`; spaces, dots, dashes",
    "and brackets are allowed (`+1 (512) 827-9000`).",
    "",
]


def _literal(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _limits(prop: Schema, low: str, high: str, unit: str) -> str:
    lo, hi = prop.get(low), prop.get(high)
    suffix = f" {unit}" if unit else ""
    if lo is not None and hi is not None:
        return f", {lo} to {hi}{suffix}"
    if lo == 1 and unit in ("items", "characters"):
        return ", not empty"
    if lo is not None and lo > 0:
        return f", at least {lo}{suffix}"
    if hi is not None:
        return f", at most {hi}{suffix}"
    return ""


def _fallback(owner: str, field: str) -> str | None:
    return FALLBACK_DESCRIPTIONS.get((owner, field)) or FALLBACK_DESCRIPTIONS.get(
        ("CheckBase", field)
    )


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _sentence(text: str) -> str:
    flat = " ".join(text.split()).replace("``", "`")
    return flat if flat.endswith(".") else flat + "."


def inventory_markdown() -> str:
    """docs/inventory.md: every field of the inventory and of every check type."""
    return Renderer(load_schema()).document()


# --- the command line's help --------------------------------------------------------------

COMMAND_INTROS: Mapping[str, str] = {
    "validate": (
        "Reads the inventory and the check packs it names and reports every problem at once,"
        " one line each as `file:line:col: field: message`. Secrets are not read unless"
        " `--strict` is given. See [inventory.md](inventory.md)."
    ),
    "schema": (
        "Prints the JSON Schema that [inventory.md](inventory.md) is generated from; point a"
        " YAML language server at it for completion and checking in an editor."
    ),
    "init": "Writes a starter inventory that validates, to edit from there.",
    "catalog": (
        "Shows what freecost knows about vendor services (check packs): plans, SLA, support,"
        " export and portability, each fact with its source and the date it was checked."
    ),
    "check": (
        "The job cron or a systemd timer runs: only the checks whose `every` has passed run"
        " (`--all` runs every one), results go to the history database, and a check that goes"
        " down or comes back is announced. See [scheduling.md](scheduling.md) and"
        " [alerts.md](alerts.md)."
    ),
    "score": (
        "Grades each dependency and function from the inventory, the check packs and the"
        " history; it sends nothing over the network. The method is in"
        " [scoring.md](scoring.md)."
    ),
    "audit": (
        "`check`, then `score`, then the report (HTML, Markdown, JSON, optionally PDF). Given"
        " several inventories it writes one report per client and an index page: see"
        " [consultants.md](consultants.md)."
    ),
    "report": (
        "The same report as `audit`, from what is already stored; `--status-page` writes the"
        " public page instead. See [consultants.md](consultants.md)."
    ),
    "history": (
        "Uptime and coverage per check, dependency and function, the incidents, and the"
        " latest results, from the history database."
    ),
    "schedule": (
        "Prints what to install so `freecost check` runs on its own. See"
        " [scheduling.md](scheduling.md)."
    ),
}
"""A few words per command beyond its help; a command not listed gets its own summary."""


def command_helps() -> list[tuple[str, str, str]]:
    """(name, summary, full --help text) for the app and each command, in the app's order."""
    import typer
    from typer.testing import CliRunner

    from freecost.cli import app

    # typer carries its own copy of click, so the group is asked by duck typing.
    root: Any = typer.main.get_command(app)
    context = root.context_class(root, info_name="freecost")
    names: list[str] = root.list_commands(context)
    runner = CliRunner()
    environment = {"COLUMNS": str(HELP_WIDTH), "NO_COLOR": "1", "TERM": "dumb"}
    found = []
    for name in ["", *names]:
        args = [name, "--help"] if name else ["--help"]
        result = runner.invoke(
            app, args, prog_name="freecost", env=environment, terminal_width=HELP_WIDTH
        )
        if result.exit_code != 0:
            raise RuntimeError(f"freecost {' '.join(args)} exited {result.exit_code}")
        command = root.get_command(context, name) if name else root
        summary = _first_paragraph(getattr(command, "help", None) or "")
        found.append((name, summary, _trim(result.output)))
    return found


def _first_paragraph(text: str) -> str:
    return " ".join(inspect.cleandoc(text).split("\n\n")[0].split())


def _trim(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def cli_markdown() -> str:
    """docs/cli.md: each command's ``--help`` text with a short introduction."""
    helps = command_helps()
    lines = [
        "# Command line reference",
        "",
        "<!-- Generated by `python scripts/docs.py` from the commands' --help: do not edit. -->",
        "",
        "Exit codes follow the Nagios plugin convention: 0 ok, 1 warn, 2 fail, 3 unknown.",
        "Invalid input and usage errors exit 3. The inventory defaults to `./inventory.yaml`,",
        "then `$FREECOST_INVENTORY`.",
        "",
    ]
    for name, _, _ in helps[1:]:
        lines.append(f"- [`freecost {name}`](#{github_anchor(f'freecost {name}')})")
    lines.append("")
    for name, summary, text in helps:
        heading = f"freecost {name}".strip()
        lines += [f"## `{heading}`", ""]
        intro = COMMAND_INTROS.get(name) if name else None
        if name:
            lines += [intro or summary, ""]
        lines += ["```text", text, "```", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


# --- writing ------------------------------------------------------------------------------


def outputs() -> dict[Path, str]:
    """Every generated file, by its path relative to the project, with its content."""
    return {INVENTORY_MD: inventory_markdown(), CLI_MD: cli_markdown()}


def stale(root: Path = ROOT) -> list[str]:
    """The staleness message of each generated file that differs from what is on disk."""
    messages = []
    for path, text in outputs().items():
        target = root / path
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            messages.append(STALE.format(path=path.as_posix()))
    return messages


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="only compare; exit 1 when a file is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        messages = stale()
        for message in messages:
            print(message, file=sys.stderr)
        return 1 if messages else 0
    for path, text in outputs().items():
        target = ROOT / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        print(f"wrote {path.as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
