"""Secret references resolve at run time and are named, never shown."""

from __future__ import annotations

from pathlib import Path

import pytest

from freecost.errors import SecretError
from freecost.secrets import SecretRef


def test_environment_reference(tmp_path: Path) -> None:
    ref = SecretRef.parse("${API_TOKEN}")
    assert ref.resolve(tmp_path, {"API_TOKEN": "tok"}) == "tok"
    with pytest.raises(SecretError, match=r"^environment variable API_TOKEN is not set$"):
        ref.resolve(tmp_path, {})
    with pytest.raises(SecretError, match="is not set"):
        ref.resolve(tmp_path, {"API_TOKEN": ""})


def test_file_reference_is_relative_to_the_inventory(tmp_path: Path) -> None:
    (tmp_path / "token.txt").write_text("from-file\n")
    assert SecretRef.parse("file:token.txt").resolve(tmp_path, {}) == "from-file"
    with pytest.raises(SecretError, match=r"^secret file other.txt does not exist$"):
        SecretRef.parse("file:other.txt").resolve(tmp_path, {})
    (tmp_path / "empty.txt").write_text("\n")
    with pytest.raises(SecretError, match=r"^secret file empty.txt is empty$"):
        SecretRef.parse("file:empty.txt").resolve(tmp_path, {})


@pytest.mark.parametrize("text", ["hunter2", "$API_TOKEN", "${API-TOKEN}", "file:", "${}"])
def test_anything_else_is_not_a_reference(text: str) -> None:
    with pytest.raises(ValueError, match=r"^not a secret reference$"):
        SecretRef.parse(text)


def test_repr_and_str_show_only_the_reference(tmp_path: Path) -> None:
    ref = SecretRef.parse("${API_TOKEN}")
    assert repr(ref) == "SecretRef(${API_TOKEN})"
    assert str(ref) == "${API_TOKEN}"
    assert "tok" not in repr(ref) + str(ref)
