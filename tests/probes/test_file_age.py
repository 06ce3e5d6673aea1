"""The ``file-age`` check on real files whose times are set, against a fixed clock."""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from freecost.inventory import Settings
from freecost.probes import file_age
from freecost.probes.context import ProbeContext
from freecost.results import Layer, Outcome, Status

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
PATTERN = "exports/crm-*.csv"


def export(base: Path, name: str, age: timedelta, content: str = "id,name\n1,Ann\n") -> Path:
    """A file under ``base`` last modified ``age`` before NOW."""
    path = base / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)
    stamp = (NOW - age).timestamp()
    os.utime(path, (stamp, stamp))
    return path


def run(base: Path, **spec: Any) -> Outcome:
    spec.setdefault("path", PATTERN)
    check = file_age.Check.model_validate({"id": "t", "type": "file-age", **spec})
    settings = Settings.model_validate({"vantage": {"control": []}})

    async def go() -> Outcome:
        async with ProbeContext(settings=settings, base_dir=base, now=lambda: NOW) as ctx:
            async with asyncio.timeout(10):
                return await file_age.probe(check, ctx)

    return asyncio.run(go())


def message(spec: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        file_age.Check.model_validate({"id": "t", "type": "file-age", **spec})
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return str(errors[0]["msg"])


# Fresh, stale, too old


def test_fresh_export_is_ok_with_details(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-2024-05-29.csv", timedelta(days=3, hours=4, minutes=5))
    outcome = run(tmp_path)
    assert outcome.status is Status.OK
    assert outcome.summary == "newest file exports/crm-2024-05-29.csv is 3d 4h old"
    assert outcome.details == {
        "pattern": PATTERN,
        "newest": "exports/crm-2024-05-29.csv",
        "modified": "2024-05-29T07:55:00+00:00",
        "age": "3d 4h",
        "age_seconds": 273_900,
        "size": 14,
        "matches": 1,
    }


@pytest.mark.parametrize(
    ("age", "status", "summary"),
    [
        (timedelta(days=8), Status.OK, "is 8d old"),
        (timedelta(days=9, hours=2), Status.WARN, "is 9d 2h old (warn after 8d)"),
        (timedelta(days=15, hours=1), Status.FAIL, "is 15d 1h old (fail after 15d)"),
    ],
)
def test_age_against_default_thresholds(
    tmp_path: Path, age: timedelta, status: Status, summary: str
) -> None:
    export(tmp_path, "exports/crm-a.csv", age)
    outcome = run(tmp_path)
    assert outcome.status is status
    assert outcome.summary == f"newest file exports/crm-a.csv {summary}"
    assert outcome.layer is (None if status is Status.OK else Layer.CONTENT)


def test_own_thresholds(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=3))
    outcome = run(tmp_path, max_age={"warn": "1h", "fail": "2h"})
    assert outcome.status is Status.FAIL
    assert outcome.summary == "newest file exports/crm-a.csv is 3h old (fail after 2h)"


def test_the_newest_of_many_decides(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-old.csv", timedelta(days=40))
    export(tmp_path, "exports/crm-new.csv", timedelta(hours=5))
    export(tmp_path, "exports/crm-older.csv", timedelta(days=90))
    export(tmp_path, "exports/other-newer.csv", timedelta(minutes=1))
    (tmp_path / "exports" / "crm-folder.csv").mkdir()
    outcome = run(tmp_path)
    assert outcome.status is Status.OK
    assert outcome.details["newest"] == "exports/crm-new.csv"
    assert outcome.details["matches"] == 3


def test_a_file_dated_in_the_future_is_fresh(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", -timedelta(hours=2))
    outcome = run(tmp_path)
    assert outcome.status is Status.OK
    assert outcome.summary == "newest file exports/crm-a.csv is dated 2h in the future"


# Missing, empty, unreadable


def test_no_match_fails(tmp_path: Path) -> None:
    export(tmp_path, "exports/sales.csv", timedelta(hours=1))
    outcome = run(tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONTENT
    assert outcome.summary == "no file matches exports/crm-*.csv"
    assert outcome.details["matches"] == 0


def test_missing_folder_fails_as_no_match(tmp_path: Path) -> None:
    outcome = run(tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.summary == "no file matches exports/crm-*.csv"


def test_a_file_where_the_folder_should_be_fails_as_no_match(tmp_path: Path) -> None:
    (tmp_path / "exports").write_text("not a folder")
    assert run(tmp_path).summary == "no file matches exports/crm-*.csv"


def test_an_empty_export_is_no_export(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1), content="")
    outcome = run(tmp_path)
    assert outcome.status is Status.FAIL
    assert outcome.layer is Layer.CONTENT
    assert outcome.summary == (
        "newest file exports/crm-a.csv is 0 bytes, smaller than the 1 byte expected"
    )


def test_own_min_size(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1), content="x" * 50)
    assert run(tmp_path, min_size=100).status is Status.FAIL
    assert run(tmp_path, min_size=50).status is Status.OK


def test_min_size_zero_accepts_an_empty_file(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1), content="")
    assert run(tmp_path, min_size=0).status is Status.OK


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any folder")
def test_unlistable_folder_is_an_error(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1))
    (tmp_path / "exports").chmod(0)
    try:
        outcome = run(tmp_path)
    finally:
        (tmp_path / "exports").chmod(0o755)
    assert outcome.status is Status.ERROR
    assert outcome.summary == "cannot read folder exports: Permission denied"


def test_folder_in_a_symlink_loop_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "exports").symlink_to(tmp_path / "exports")
    outcome = run(tmp_path)
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == "cannot read folder exports: Too many levels of symbolic links"


def test_broken_links_among_matches_are_skipped(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1))
    (tmp_path / "exports" / "crm-b.csv").symlink_to(tmp_path / "nowhere")
    outcome = run(tmp_path)
    assert outcome.status is Status.OK
    assert outcome.details["matches"] == 1


def test_matches_that_cannot_be_read_are_an_error_not_a_missing_export(tmp_path: Path) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "crm-loop.csv").symlink_to("crm-loop.csv")
    outcome = run(tmp_path)
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == "1 file(s) match exports/crm-*.csv but none can be read"


def test_an_unreadable_match_beside_a_good_one_is_counted(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1))
    (tmp_path / "exports" / "crm-loop.csv").symlink_to("crm-loop.csv")
    outcome = run(tmp_path)
    assert outcome.status is Status.OK
    assert outcome.details["unreadable"] == 1


# Where the files are


def test_recursive_pattern(tmp_path: Path) -> None:
    export(tmp_path, "backups/2024/05/db.sql.gz", timedelta(days=20))
    export(tmp_path, "backups/2024/06/db.sql.gz", timedelta(days=1))
    outcome = run(tmp_path, path="backups/**/*.sql.gz")
    assert outcome.details["newest"] == "backups/2024/06/db.sql.gz"
    assert outcome.details["matches"] == 2


def test_home_folder_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home [1]"
    monkeypatch.setenv("HOME", str(home))
    export(home, "exports/crm-a.csv", timedelta(hours=1))
    outcome = run(tmp_path / "elsewhere", path="~/exports/crm-*.csv")
    assert outcome.status is Status.OK
    assert outcome.details["newest"] == f"{home}/exports/crm-a.csv"


def test_absolute_pattern(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-a.csv", timedelta(hours=1))
    outcome = run(tmp_path / "elsewhere", path=f"{tmp_path}/exports/crm-*.csv")
    assert outcome.details["newest"] == f"{tmp_path}/exports/crm-a.csv"


def test_inventory_folder_with_glob_characters(tmp_path: Path) -> None:
    base = tmp_path / "client [a]*"
    export(base, "exports/crm-a.csv", timedelta(hours=1))
    assert run(base).details["newest"] == "exports/crm-a.csv"


def test_file_names_with_control_characters_are_shown_plainly(tmp_path: Path) -> None:
    export(tmp_path, "exports/crm-\x1b[31mred.csv", timedelta(hours=1))
    assert run(tmp_path).details["newest"] == "exports/crm- [31mred.csv"


# Parameters and helpers


def test_defaults_and_locality() -> None:
    check = file_age.Check.model_validate({"id": "t", "type": "file-age", "path": PATTERN})
    assert check.max_age.warn == timedelta(days=8)
    assert check.max_age.fail == timedelta(days=15)
    assert check.min_size == 1
    assert file_age.Check.network is False
    assert check.target() is None


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"path": PATTERN, "max_age": {"warn": "15d", "fail": "8d"}},
            "max_age.warn (15d) must be shorter than max_age.fail (8d): "
            "a file turns stale (warn) before it is too old (fail)",
        ),
        (
            {"path": PATTERN, "max_age": {"warn": "20d"}},
            "max_age.warn (20d) must be shorter than max_age.fail (15d): "
            "a file turns stale (warn) before it is too old (fail)",
        ),
        (
            {"path": PATTERN, "max_age": {"warn": "1d", "fail": "1d"}},
            "max_age.warn (1d) must be shorter than max_age.fail (1d): "
            "a file turns stale (warn) before it is too old (fail)",
        ),
        (
            {"path": PATTERN, "max_age": {"warn": 8}},
            "a duration needs a unit: write 8s, 8m, ... (90s, 5m, 4h, 1d, 2w)",
        ),
        ({"path": PATTERN, "max_age": {"stale": "1d"}}, "Extra inputs are not permitted"),
        ({"path": ""}, "path names the files to watch, like exports/crm-*.csv"),
        ({"path": "a\0b"}, "path names the files to watch, like exports/crm-*.csv"),
        ({}, "Field required"),
        (
            {"path": PATTERN, "min_size": -1},
            "min_size is a whole number of bytes, 0 or more (like 1024)",
        ),
        (
            {"path": PATTERN, "min_size": "1KB"},
            "min_size is a whole number of bytes, 0 or more (like 1024)",
        ),
        (
            {"path": PATTERN, "min_size": True},
            "min_size is a whole number of bytes, 0 or more (like 1024)",
        ),
    ],
)
def test_parameter_messages(spec: dict[str, Any], expected: str) -> None:
    assert message(spec) == expected


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(seconds=42), "42s"),
        (timedelta(minutes=5, seconds=2), "5m 2s"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=1, seconds=30), "1h"),
        (timedelta(days=3, hours=4, minutes=59), "3d 4h"),
        (timedelta(days=400), "400d"),
        (timedelta(seconds=-5), "0s"),
    ],
)
def test_human_age(age: timedelta, text: str) -> None:
    assert file_age.human_age(age) == text
