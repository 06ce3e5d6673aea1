"""Property tests: whatever a person writes, the inventory loader answers with problem lines.

Three kinds of input go to ``parse_inventory``: arbitrary YAML documents dumped from nested
data, arbitrary text, and random mutations of ``inventory.example.yaml``. Each must give either
a valid inventory or a ``FreecostError`` whose lines are what the command line prints: one
line per problem, each naming the file, and each line number a line of the text. Any other
exception would reach the user as a traceback, so hypothesis reports it as a failure.

The tests at the end pin, with minimal inputs, the bugs these properties found.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from freecost.errors import FreecostError
from freecost.inventory import LoadedInventory, parse_inventory
from freecost.model import ID_PATTERN

EXAMPLE = Path(__file__).resolve().parent.parent / "inventory.example.yaml"
EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
DISPLAY = "inventory.yaml"
SAFE_DUMPER: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# What YAML counts as a line break; a problem's line number counts these, not str.splitlines().
YAML_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
LOCATED = re.compile(r"^inventory\.yaml:(\d+)(?::(\d+))?:")
FIRST_AT = re.compile(r"\(first (?:used )?at line (\d+)\)$")

FIELD_NAMES = sorted(
    {
        *("version", "business", "name", "contact", "settings", "functions", "dependencies"),
        *("concurrency", "timeout", "database", "dns", "nameservers", "port", "tls"),
        *("ca_bundle", "rdap", "bootstrap_url", "vantage", "control", "notify", "report"),
        *("prepared_by", "client_name", "logo", "packs", "id", "criticality", "rto", "needs"),
        *("service", "plan", "vendor", "monthly_cost", "account", "owner", "alternatives"),
        *("assets", "kind", "value", "portable", "sla", "uptime", "financially_backed"),
        *("support_response", "human_support", "data_export", "source", "checks", "type"),
        *("every", "<<"),
    }
)
WORDS = sorted(
    {
        *("critical", "high", "medium", "low", "personal", "business", "phone-number"),
        *("domain", "email-address", "none", "unknown", "free", "google-voice"),
        *("google-workspace", "zoho-crm", "${FREECOST_NOTIFY_URL}", "${}", "file:", "file:t"),
        *("https://example.com/", "http://[::1", "ftp://x", "1.1.1.1:53", "[::1]:53", "a:0"),
        *("+15128279000", "+1 (512) 827-9000", "5128279000", "baileyworkplay.example"),
        *(
            item["id"]
            for section in ("functions", "dependencies")
            for item in EXAMPLE_DATA[section]
        ),
    }
)

KEYS = st.text(max_size=12) | st.sampled_from(FIELD_NAMES)
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
# Shapes the validators look at closely, so that mutations get past the first type check,
# and sizes that reach the limits of timedelta and of file names.
DOMAIN_VALUES = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(ID_PATTERN, fullmatch=True),
    st.from_regex(r"(?:[0-9]{1,12}(?:\.[0-9]{1,3})?(?:ms|s|m|h|d|w)){1,2}", fullmatch=True),
    st.from_regex(r"\+?[0-9][0-9 ().-]{0,16}", fullmatch=True),
    st.from_regex(r"(?:https?|ftp)://[a-z0-9.:\[\]-]{0,20}/?", fullmatch=True),
    st.emails(domains=st.sampled_from(["example.com", "baileyworkplay.example"])),
    st.ip_addresses().map(str),
    st.text(alphabet="a/.", min_size=250, max_size=300),
)


def _nested(leaves: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.recursive(
        leaves,
        lambda children: (
            st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4)
        ),
        max_leaves=16,
    )


DATA = _nested(SCALARS)
VALUES = _nested(SCALARS | DOMAIN_VALUES)
# Tokens of YAML syntax, so that generated text reaches anchors, tags, merge keys and flow
# collections instead of failing at the first character.
YAMLISH = st.lists(
    st.sampled_from(
        [*":-[]{},&*!|>'\"#%@`?<", "\n", "\r", " ", "  ", "\t", "a", "1", "é", "!!", "<<"]
    ),
    max_size=60,
).map("".join)
# st.text() never yields lone surrogates, but a str handed to parse_inventory can hold them.
WITH_SURROGATES = st.text(
    alphabet=st.characters() | st.integers(0xD800, 0xDFFF).map(chr), max_size=20
)


def budget(examples: int) -> settings:
    # A full validation costs ~20 ms (it reloads the built-in packs each time); these budgets
    # keep the whole file near ten seconds.
    return settings(
        max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )


@pytest.fixture(scope="module")
def inventory_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the inventory text claims to live: an empty folder, so that a mutated
    ``settings.packs`` naming ``.`` finds no stray pack files to report on."""
    return tmp_path_factory.mktemp("inventory") / "inventory.yaml"


def outcome(text: str, path: Path) -> list[str]:
    """The problem lines for ``text`` (none when valid), checked against the error contract.

    Anything but a FreecostError propagates, which is how hypothesis sees a crash.
    """
    try:
        loaded = parse_inventory(text, path, display=DISPLAY)
    except FreecostError as exc:
        error = exc
    else:
        assert isinstance(loaded, LoadedInventory)
        assert loaded.display == DISPLAY
        event("valid")
        return []
    event(type(error).__name__)
    lines = error.lines()
    assert lines, f"{type(error).__name__} without problem lines"
    for line in lines:
        assert isinstance(line, str)
        assert line, "empty problem line"
        assert line.startswith(DISPLAY), line
        assert "Traceback" not in line, line
        assert "\n" not in line, line
        assert "\r" not in line, line
    return lines


def assert_located_in(text: str, problems: list[str], *, end_of_text: bool = False) -> None:
    """Every line (and column) a problem names is in ``text``.

    ``end_of_text`` also allows the position just past the end, where libyaml puts the
    "unexpected end of stream" errors.
    """
    lines = YAML_BREAK.split(text)
    if lines[-1] == "":
        lines.pop()  # the break that ends the last line does not start another
    for problem in problems:
        located = LOCATED.match(problem)
        if located:
            line, column = int(located[1]), located[2]
            if end_of_text and (line, int(column or 1)) == (len(lines) + 1, 1):
                continue
            assert 1 <= line <= len(lines), problem
            if column is not None:
                assert 1 <= int(column) <= len(lines[line - 1]) + 1, problem
        first = FIRST_AT.search(problem)
        if first:
            assert 1 <= int(first[1]) <= len(lines), problem


@budget(200)
@given(data=DATA, unicode=st.booleans())
def test_arbitrary_yaml_documents(inventory_path: Path, data: Any, unicode: bool) -> None:
    outcome(yaml.safe_dump(data, allow_unicode=unicode), inventory_path)


@budget(200)
@given(text=st.text(max_size=200) | YAMLISH | WITH_SURROGATES)
def test_arbitrary_text(inventory_path: Path, text: str) -> None:
    assert_located_in(text, outcome(text, inventory_path), end_of_text=True)


# --- Mutations of the example inventory ---------------------------------------------------
# The document sits in a one-element list, the "box", so the root can be replaced like any
# other value: every value, the root included, then has a container that holds it.

# (the container, the key or index in it, the value there)
Place = tuple[Any, Any, Any]
Mutation = Callable[[st.DrawFn, list[Any]], None]


def _places(box: list[Any]) -> list[Place]:
    """Every value inside ``box`` with the container that holds it, outermost first."""
    found: list[Place] = []
    stack: list[Place] = [(box, index, value) for index, value in enumerate(box)]
    while stack:
        place = stack.pop()
        found.append(place)
        value = place[2]
        if isinstance(value, dict):
            stack.extend((value, key, item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend((value, index, item) for index, item in enumerate(value))
    return found


def _choose(draw: st.DrawFn, box: list[Any], wanted: Callable[[Place], bool]) -> Place | None:
    places = [place for place in _places(box) if wanted(place)]
    return draw(st.sampled_from(places)) if places else None


def _delete_key_or_item(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda place: place[0] is not box)
    if place:
        del place[0][place[1]]


def _replace_value(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda _: True)
    if place:
        place[0][place[1]] = draw(VALUES)


def _insert_key(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda place: isinstance(place[2], dict))
    if place:
        place[2][draw(KEYS)] = draw(VALUES)


def _duplicate_item(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda place: isinstance(place[2], list) and bool(place[2]))
    if place:
        items = place[2]
        item = items[draw(st.integers(0, len(items) - 1))]
        # The same object twice, not a copy: the dump then holds an anchor and an alias,
        # which exercises alias expansion and where its values are located.
        items.insert(draw(st.integers(0, len(items))), item)


def _drop_item(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda place: isinstance(place[2], list) and bool(place[2]))
    if place:
        items = place[2]
        del items[draw(st.integers(0, len(items) - 1))]


def _swap_ids(draw: st.DrawFn, box: list[Any]) -> None:
    items = [value for _, _, value in _places(box) if isinstance(value, dict) and "id" in value]
    if len(items) >= 2:
        first, second = draw(st.lists(st.sampled_from(items), min_size=2, max_size=2))
        first["id"], second["id"] = second["id"], first["id"]


MUTATIONS: list[Mutation] = [
    _delete_key_or_item,
    _replace_value,
    _insert_key,
    _duplicate_item,
    _drop_item,
    _swap_ids,
]


@st.composite
def mutated_examples(draw: st.DrawFn) -> str:
    """The example inventory after a few random mutations, dumped in a random YAML style."""
    box: list[Any] = [copy.deepcopy(EXAMPLE_DATA)]
    for mutate in draw(st.lists(st.sampled_from(MUTATIONS), min_size=1, max_size=6)):
        mutate(draw, box)
    # Mostly libyaml's emitter, ten times faster; sometimes PyYAML's, whose layout differs,
    # so that locations are checked against both.
    dumper = draw(st.sampled_from([SAFE_DUMPER, SAFE_DUMPER, SAFE_DUMPER, yaml.SafeDumper]))
    return yaml.dump(
        box[0],
        Dumper=dumper,
        sort_keys=False,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, None, True])),
    )


def test_unmutated_example_is_valid(inventory_path: Path) -> None:
    # The mutations are only interesting if the starting point is itself valid.
    text = yaml.safe_dump(EXAMPLE_DATA, sort_keys=False)
    assert isinstance(parse_inventory(text, inventory_path), LoadedInventory)


@budget(150)
@given(text=mutated_examples())
def test_mutated_example(inventory_path: Path, text: str) -> None:
    outcome(text, inventory_path)


@budget(100)
@given(text=mutated_examples())
def test_mutated_example_problems_point_at_real_lines(inventory_path: Path, text: str) -> None:
    assert_located_in(text, outcome(text, inventory_path))


# --- Bugs the properties found, pinned with minimal inputs --------------------------------


def _lines(text: str, path: Path) -> list[str]:
    try:
        parse_inventory(text, path, display=DISPLAY)
    except FreecostError as exc:
        return exc.lines()
    return []


def _example_with(old: str, new: str) -> str:
    text = EXAMPLE.read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1)


def test_forbidden_character_is_one_located_line(inventory_path: Path) -> None:
    # PyYAML's ReaderError text ends with '\n  in "<unicode string>", position 3'.
    [line] = _lines("a: \x07\n", inventory_path)
    assert line.startswith("inventory.yaml:1:4: ")
    assert "\n" not in line


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("id: phone-leads", 'id: "phone\\nleads"', "functions[0].id: "),
        ("version: 1", 'version: 1\n"ver\\nsion": 2', "ver\\nsion: "),
        ("criticality: critical", 'criticality: "cri\\rtical"', "functions[0].criticality: "),
    ],
)
def test_echoed_line_break_stays_on_one_line(
    inventory_path: Path, old: str, new: str, field: str
) -> None:
    lines = _lines(_example_with(old, new), inventory_path)
    assert any(field in line for line in lines), lines
    assert not [line for line in lines if "\n" in line or "\r" in line]


def test_duration_past_timedelta_range_is_a_problem(inventory_path: Path) -> None:
    # timedelta(seconds=...) raised OverflowError, which pydantic does not convert.
    lines = _lines(_example_with("rto: 4h", "rto: 1000000000d"), inventory_path)
    assert any(line.startswith("inventory.yaml:25:10: functions[0].rto: ") for line in lines)


def test_over_long_pack_folder_is_a_problem(inventory_path: Path) -> None:
    # Path.is_dir() raises OSError(ENAMETOOLONG) instead of returning False.
    text = _example_with("  timeout: 10s\n", f"  timeout: 10s\n  packs: [{'a' * 256}]\n")
    lines = _lines(text, inventory_path)
    assert any("settings.packs[0]: no such folder" in line for line in lines), lines


@pytest.mark.parametrize("text", ["a: \ud800\n", "a: <<\n", "- <<\n", "<<"])
def test_odd_scalars_are_problems_not_crashes(inventory_path: Path, text: str) -> None:
    # A lone surrogate raised UnicodeEncodeError from the C parser; a plain '<<' outside a
    # key reached _short_tag(None) and raised AttributeError.
    with pytest.raises(FreecostError):
        parse_inventory(text, inventory_path, display=DISPLAY)


def test_forbidden_character_is_located_by_characters_not_bytes(inventory_path: Path) -> None:
    [line] = _lines("é\x07\n", inventory_path)
    assert line.startswith("inventory.yaml:1:2: ")
