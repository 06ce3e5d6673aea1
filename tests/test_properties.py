"""Property tests: whatever a person writes, the inventory loader answers with problem lines.

Three kinds of input go to ``parse_inventory``: arbitrary YAML documents dumped from nested
data, arbitrary text, and random mutations of ``inventory.example.yaml``. Each must give either
a valid inventory or a ``FreecostError`` whose lines are what the command line prints: one
line per problem, each naming the file. Any other exception would reach the user as a
traceback, so hypothesis reports it as a failure.

Known bugs are waived as narrowly as possible (see ``_echoes_a_line_break`` and the bounds on
generated durations and text), and each is pinned by a strict ``xfail`` test at the end of
this file: fixing a bug turns its test into an XPASS failure, the cue to remove the waiver.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from freecost.errors import FreecostError
from freecost.inventory import LoadedInventory, parse_inventory
from freecost.model import ID_PATTERN
from freecost.yamlsource import parse_document

EXAMPLE = Path(__file__).resolve().parent.parent / "inventory.example.yaml"
EXAMPLE_DATA: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
DISPLAY = "inventory.yaml"

# Each example costs a full validation (~20 ms, mostly loading the built-in packs), so these
# budgets keep the whole file near ten seconds.
FEW = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MANY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])

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
# Text stays short: a packs folder name longer than 255 bytes crashes (see the xfail tests).
SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
# Shapes the validators look at closely, so mutations get past the first type check. Numbers
# in durations stay below a billion days, which crashes (see the xfail tests).
DOMAIN_VALUES = st.one_of(
    st.sampled_from(WORDS),
    st.from_regex(ID_PATTERN, fullmatch=True),
    st.from_regex(r"(?:[0-9]{1,6}(?:\.[0-9]{1,3})?(?:ms|s|m|h|d|w)){1,2}", fullmatch=True),
    st.from_regex(r"\+?[0-9][0-9 ().-]{0,16}", fullmatch=True),
    st.from_regex(r"(?:https?|ftp)://[a-z0-9.:\[\]-]{0,20}/?", fullmatch=True),
    st.emails(domains=st.sampled_from(["example.com", "baileyworkplay.example"])),
    st.ip_addresses().map(str),
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
# Characters that make up YAML syntax, so generated text reaches anchors, tags and flow
# collections instead of stopping at the first character.
YAMLISH = st.lists(
    st.sampled_from([*":-[]{},&*!|>'\"#%@`?<", "\n", " ", "  ", "\t", "a", "1", "!!", "<<"]),
    max_size=60,
).map("".join)


@pytest.fixture(scope="module")
def inventory_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the inventory text claims to live: an empty folder, so that a mutated
    ``settings.packs`` naming ``.`` finds no stray pack files to report on."""
    return tmp_path_factory.mktemp("inventory") / "inventory.yaml"


# (the container, the key or index in it, the value there)
Place = tuple[Any, Any, Any]


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


def _strings(data: Any) -> Iterator[str]:
    """Every key and text value in ``data``."""
    for _, key, value in _places([data]):
        yield from (part for part in (key, value) if isinstance(part, str))


def _echoes_a_line_break(text: str) -> bool:
    """Whether ``text`` triggers a known bug that puts a line break inside a problem line:
    the YAML reader's message for a forbidden character spans two lines, and keys and values
    are echoed into messages unescaped."""
    if yaml.reader.Reader.NON_PRINTABLE.search(text):
        return True
    try:
        data = parse_document(text, DISPLAY).data
    except FreecostError:
        return False
    return any(YAML_BREAK.search(s) for s in _strings(data))


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
    one_line = not _echoes_a_line_break(text)
    for line in lines:
        assert isinstance(line, str)
        assert line, "empty problem line"
        assert line.startswith(DISPLAY), line
        assert "Traceback" not in line, line
        if one_line:
            assert "\n" not in line, line
            assert "\r" not in line, line
    return lines


@MANY
@given(data=DATA, unicode=st.booleans())
def test_arbitrary_yaml_documents(inventory_path: Path, data: Any, unicode: bool) -> None:
    outcome(yaml.safe_dump(data, allow_unicode=unicode), inventory_path)


def _has_plain_merge_scalar(text: str) -> bool:
    """Whether ``text`` holds a plain ``<<``, which crashes outside a key (known bug)."""
    found = False
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            found = found or (isinstance(event, yaml.ScalarEvent) and event.value == "<<")
    except yaml.YAMLError:
        pass
    return found


@MANY
@given(text=st.text(max_size=200) | YAMLISH)
def test_arbitrary_text(inventory_path: Path, text: str) -> None:
    try:
        outcome(text, inventory_path)
    except AttributeError:
        if not _has_plain_merge_scalar(text):
            raise


# --- Mutations of the example inventory ---------------------------------------------------
# The document sits in a one-element list, the "box", so the root can be replaced like any
# other value: every value, the root included, then has a container that holds it.

Mutation = Callable[[st.DrawFn, list[Any]], None]


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
        # The same object twice, not a copy: safe_dump then writes an anchor and an alias,
        # which exercises alias expansion and its locations.
        items.insert(draw(st.integers(0, len(items))), item)


def _drop_item(draw: st.DrawFn, box: list[Any]) -> None:
    place = _choose(draw, box, lambda place: isinstance(place[2], list) and bool(place[2]))
    if place:
        items = place[2]
        del items[draw(st.integers(0, len(items) - 1))]


def _swap_ids(draw: st.DrawFn, box: list[Any]) -> None:
    items = [v for _, _, v in _places(box) if isinstance(v, dict) and "id" in v]
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
    return yaml.safe_dump(
        box[0],
        sort_keys=False,
        allow_unicode=draw(st.booleans()),
        default_flow_style=draw(st.sampled_from([False, None, True])),
    )


def test_unmutated_example_is_valid(inventory_path: Path) -> None:
    # The mutations are only interesting if the starting point is itself valid.
    text = yaml.safe_dump(EXAMPLE_DATA, sort_keys=False)
    assert isinstance(parse_inventory(text, inventory_path), LoadedInventory)


@MANY
@given(text=mutated_examples())
def test_mutated_example(inventory_path: Path, text: str) -> None:
    outcome(text, inventory_path)


@FEW
@given(text=mutated_examples())
def test_mutated_example_problems_point_at_real_lines(inventory_path: Path, text: str) -> None:
    lines = YAML_BREAK.split(text)
    if lines and lines[-1] == "":
        lines.pop()  # the break that ends the last line does not start another
    for problem in outcome(text, inventory_path):
        located = LOCATED.match(problem)
        if located:
            line, column = int(located[1]), located[2]
            assert 1 <= line <= len(lines), problem
            if column is not None:
                assert 1 <= int(column) <= len(lines[line - 1]) + 1, problem
        first = FIRST_AT.search(problem)
        if first:
            assert 1 <= int(first[1]) <= len(lines), problem


# --- Known bugs, pinned -------------------------------------------------------------------


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


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="bug: a YAML ReaderError's message ends with '\\n  in \"<unicode string>\", ...'",
)
def test_forbidden_character_gives_a_one_line_problem(inventory_path: Path) -> None:
    assert all("\n" not in line for line in _lines("a: \x07\n", inventory_path))


@pytest.mark.xfail(
    strict=True,
    raises=AssertionError,
    reason="bug: keys and values are echoed into problem lines with their line breaks",
)
def test_echoed_line_break_stays_on_one_line(inventory_path: Path) -> None:
    text = _example_with("id: phone-leads", 'id: "phone\\nleads"')
    assert all("\n" not in line for line in _lines(text, inventory_path))


@pytest.mark.xfail(
    strict=True,
    raises=OverflowError,
    reason="bug: a duration past timedelta's range raises OverflowError, not a problem",
)
def test_huge_duration_is_a_problem(inventory_path: Path) -> None:
    text = _example_with("rto: 4h", "rto: 1000000000d")
    assert any("functions[0].rto" in line for line in _lines(text, inventory_path))


@pytest.mark.xfail(
    strict=True,
    raises=OSError,
    reason="bug: Path.is_dir() raises ENAMETOOLONG for a long settings.packs entry",
)
def test_long_pack_folder_is_a_problem(inventory_path: Path) -> None:
    text = _example_with("  timeout: 10s\n", f"  timeout: 10s\n  packs: [{'a' * 256}]\n")
    assert any("settings.packs[0]" in line for line in _lines(text, inventory_path))


@pytest.mark.xfail(
    strict=True,
    raises=UnicodeEncodeError,
    reason="bug: parse_document lets the C parser's UnicodeEncodeError escape",
)
def test_lone_surrogate_is_a_problem(inventory_path: Path) -> None:
    assert _lines("a: \ud800\n", inventory_path)


@pytest.mark.xfail(
    strict=True,
    raises=AttributeError,
    reason="bug: a plain '<<' outside a key reaches _short_tag(None)",
)
def test_plain_merge_scalar_as_value_is_a_problem(inventory_path: Path) -> None:
    assert _lines("a: <<\n", inventory_path)
