"""The YAML reader: locations, and every way a file can be unusable or hostile."""

from __future__ import annotations

from pathlib import Path

import pytest

from freecost.errors import SourceError
from freecost.yamlsource import MAX_DEPTH, parse_document, read_document


def _error(text: str) -> str:
    with pytest.raises(SourceError) as caught:
        parse_document(text, "f.yaml")
    return str(caught.value)


def test_values_and_keys_are_located() -> None:
    document = parse_document("a: 1\nb:\n  - x: 2\n    y: [1, 2]\n", "f.yaml")
    assert document.data == {"a": 1, "b": [{"x": 2, "y": [1, 2]}]}
    assert document.marks[("a",)] == (1, 4)
    assert document.marks[("b", 0, "y", 1)] == (4, 12)
    assert document.key_marks[("b", 0, "y")] == (4, 5)


def test_merge_keys_and_aliases_are_expanded() -> None:
    document = parse_document("base: &b {q: 3}\nc: *b\nd:\n  <<: *b\n  r: 4\n", "f.yaml")
    assert document.data == {"base": {"q": 3}, "c": {"q": 3}, "d": {"q": 3, "r": 4}}


def test_duplicate_keys_are_problems_not_silently_dropped() -> None:
    document = parse_document("a: 1\na: 2\n", "f.yaml")
    assert [str(p) for p in document.problems] == ["f.yaml:2:1: a: duplicate key (first at line 1)"]


def test_billion_laughs_is_refused_quickly() -> None:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    message = _error("\n".join(rows) + "\n")
    assert "expands to more than 100000 values (aliases inside aliases: a 'YAML bomb'?)" in message


def test_deep_nesting_is_refused_without_recursion() -> None:
    depth = 10_000
    assert _error("[" * depth + "]" * depth) == (
        f"f.yaml:1:{MAX_DEPTH + 1}: nested deeper than {MAX_DEPTH} levels"
    )


def test_deep_block_nesting_is_refused() -> None:
    text = "".join("  " * i + f"k{i}:\n" for i in range(200)) + "  " * 200 + "v: 1\n"
    assert "nested deeper than 64 levels" in _error(text)


def test_python_tags_are_refused() -> None:
    assert _error("a: !!python/object/apply:os.system ['true']\n") == (
        "f.yaml:1:4: unsupported YAML tag '!!python/object/apply:os.system'"
    )


def test_more_than_one_document() -> None:
    assert _error("a: 1\n---\nb: 2\n") == (
        "f.yaml:2:1: more than one YAML document; put everything in one"
    )


def test_complex_keys_are_refused() -> None:
    assert (
        _error("? [a, b]\n: 1\n") == "f.yaml:1:3: a key must be plain text, not a list or mapping"
    )


def test_unknown_alias() -> None:
    assert _error("a: *nowhere\n") == "f.yaml:1:4: unknown alias '*nowhere'"


def test_syntax_error_is_located() -> None:
    assert _error("a: [1, 2\nb: 3\n").startswith("f.yaml:2:")


def test_empty_text_is_no_data() -> None:
    assert parse_document("", "f.yaml").data is None


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="no such file"):
        read_document(tmp_path / "nope.yaml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match="is a directory, not a YAML file"):
        read_document(tmp_path)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "b.yaml"
    path.write_bytes(b"a: 1\n\x89PNG\r\n\x1a\n\x00\x00")
    with pytest.raises(SourceError) as caught:
        read_document(path, "b.yaml")
    assert str(caught.value) == "b.yaml:2:1: not UTF-8 text (byte 0x89); is this a binary file?"


def test_nul_bytes(tmp_path: Path) -> None:
    path = tmp_path / "n.yaml"
    path.write_bytes(b"a: 1\nb: \x00\n")
    with pytest.raises(SourceError, match=r"n.yaml:2: contains NUL bytes"):
        read_document(path, "n.yaml")


def test_huge_file_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    with path.open("wb") as handle:
        handle.truncate(50 * 1000 * 1000)
    with pytest.raises(SourceError) as caught:
        read_document(path, "big.yaml")
    assert str(caught.value) == "big.yaml: is 50.0 MB; the limit is 2 MB for one file"
