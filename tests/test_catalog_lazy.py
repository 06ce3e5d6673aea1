"""The catalog reads a pack when it is first used; `validate` checks the packs an inventory uses.

Reading all the built-in packs on every inventory load cost more than the few a small business
names. These pin which packs get read, and that a broken pack is still reported, with its file
and line, wherever it is used: by the inventory, as a migration target, or by `catalog`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from freecost.cli import main
from freecost.errors import ValidationFailed
from freecost.inventory import load_inventory
from freecost.packs import load_catalog
from freecost.scoring.scorecard import score_loaded
from tests.conftest import MINIMAL
from tests.test_packs import VALID_PACK

BROKEN_PACK = VALID_PACK.replace("category: telephony", "category: phones")
CATEGORY_PROBLEM = (
    "4:11: category: must be one of: telephony, email, crm, website, dns, domain, files, "
    "notes, chat, meetings, identity, payments, other (got 'phones')"
)
USES_ACME = MINIMAL.replace(
    "service: google-voice\n    plan: free", "service: acme-phone\n    plan: basic"
)
WITH_MY_PACKS = "settings: {packs: [my-packs]}\n"


def _write(folder: Path, service: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{service}.yaml"
    path.write_text(text.replace("service: acme-phone", f"service: {service}", 1))
    return path


def _inventory(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(text)
    return path


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


def test_an_unused_broken_user_pack_does_not_fail_validate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "my-packs", "acme-phone", BROKEN_PACK)
    path = _inventory(tmp_path, MINIMAL + WITH_MY_PACKS)  # uses google-voice only
    code, out, err = call(["validate", str(path)], capsys)
    assert (code, err) == (0, "")
    assert out.startswith(f"{path}: valid: 1 functions, 1 dependencies")


def test_the_whole_catalog_reports_an_unused_broken_user_pack(tmp_path: Path) -> None:
    folder = tmp_path / "my-packs"
    _write(folder, "acme-phone", BROKEN_PACK)
    _write(folder, "acme-fax", BROKEN_PACK)
    catalog = load_catalog([folder])  # the files are indexed, not yet read
    assert "acme-phone" in catalog
    with pytest.raises(ValidationFailed) as caught:
        catalog.load_all()
    assert caught.value.lines() == [
        f"{folder}/acme-fax.yaml:{CATEGORY_PROBLEM}",
        f"{folder}/acme-phone.yaml:{CATEGORY_PROBLEM}",
    ]
    with pytest.raises(ValidationFailed) as walked:
        list(catalog.packs.values())
    assert walked.value.lines() == caught.value.lines()


def test_freecost_catalog_with_your_packs_reports_a_broken_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "my-packs"
    _write(folder, "acme-phone", BROKEN_PACK)
    assert call(["catalog", "--packs", str(folder)], capsys) == (
        3,
        "",
        f"{folder}/acme-phone.yaml:{CATEGORY_PROBLEM}\n",
    )
    assert call(["catalog", "acme-phone", "--packs", str(folder)], capsys)[0] == 3
    # A service that is not the broken one is still shown.
    code, out, _ = call(["catalog", "google-voice", "--packs", str(folder)], capsys)
    assert code == 0
    assert "(google-voice)" in out


def test_freecost_catalog_lists_your_packs_beside_the_built_in_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "my-packs"
    _write(folder, "acme-phone", VALID_PACK)
    code, out, err = call(["catalog", "--packs", str(folder)], capsys)
    assert (code, err) == (0, "")
    services = [line.split()[0] for line in out.splitlines()]
    assert "acme-phone" in services
    assert "google-voice" in services
    assert call(["catalog", "--packs", str(tmp_path / "nowhere")], capsys) == (
        3,
        "",
        f"{tmp_path / 'nowhere'}: no such folder of check packs\n",
    )


def test_a_used_broken_user_pack_fails_validate_with_its_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write(tmp_path / "my-packs", "acme-phone", BROKEN_PACK)
    path = _inventory(tmp_path, USES_ACME + WITH_MY_PACKS)
    assert call(["validate", str(path)], capsys) == (
        3,
        "",
        f"{tmp_path}/my-packs/acme-phone.yaml:{CATEGORY_PROBLEM}\n",
    )


def test_a_used_broken_pack_is_reported_beside_the_inventorys_own_problems(
    tmp_path: Path, problems: Callable[[str], list[str]]
) -> None:
    _write(tmp_path / "my-packs", "acme-phone", BROKEN_PACK)
    text = USES_ACME.replace("needs: [voice]", "needs: [voice, fax]") + WITH_MY_PACKS
    assert problems(text) == [
        f"{tmp_path}/my-packs/acme-phone.yaml:{CATEGORY_PROBLEM}",
        "inventory.yaml:8:20: functions[0].needs[1]: unknown dependency 'fax'",
    ]


def test_a_used_pack_that_is_not_a_mapping_is_reported(
    tmp_path: Path, problems: Callable[[str], list[str]]
) -> None:
    _write(tmp_path / "my-packs", "acme-phone", "- just\n- a list\n")
    assert problems(USES_ACME + WITH_MY_PACKS) == [
        f"{tmp_path}/my-packs/acme-phone.yaml:1:1: a check pack must be a mapping of keys"
    ]


def test_a_broken_migration_target_of_a_used_pack_is_reported(
    tmp_path: Path, problems: Callable[[str], list[str]]
) -> None:
    folder = tmp_path / "my-packs"
    target = "migration_targets:\n  - {service: acme-backup, why: It answers., effort: low}\n"
    _write(folder, "acme-phone", VALID_PACK + target)
    _write(folder, "acme-backup", BROKEN_PACK)
    assert problems(USES_ACME + WITH_MY_PACKS) == [f"{folder}/acme-backup.yaml:{CATEGORY_PROBLEM}"]


def test_a_broken_user_pack_replacing_a_builtin_target_is_reported(
    tmp_path: Path, problems: Callable[[str], list[str]]
) -> None:
    # google-voice suggests twilio; a user's own twilio pack replaces the built-in one.
    assert "twilio" in {t.service for t in load_catalog().get("google-voice").migration_targets}
    folder = tmp_path / "my-packs"
    _write(folder, "twilio", BROKEN_PACK)
    assert problems(MINIMAL + WITH_MY_PACKS) == [f"{folder}/twilio.yaml:{CATEGORY_PROBLEM}"]


def test_validate_of_the_example_reads_only_the_packs_it_uses(example_path: Path) -> None:
    loaded = load_inventory(example_path)
    catalog = loaded.catalog
    named = {d.service for d in loaded.inventory.dependencies if d.service}
    targets = {t.service for s in named for t in catalog.get(s).migration_targets}
    assert named
    assert targets - named  # the example's packs do suggest packs it does not use
    # The suggested packs ship with freecost, so validating leaves them unread.
    assert catalog.loaded == named


def test_scoring_the_example_reads_only_the_packs_it_recommends(example_path: Path) -> None:
    loaded = load_inventory(example_path)
    catalog = loaded.catalog
    card = score_loaded(loaded, {}, datetime(2026, 11, 23, tzinfo=UTC))
    assert card.dependencies
    named = {d.service for d in loaded.inventory.dependencies if d.service}
    targets = {t.service for s in named for t in catalog.get(s).migration_targets}
    assert named < catalog.loaded <= named | targets
    assert "skype" not in catalog.loaded  # nothing in the example names or suggests it


def test_a_lookup_reads_one_pack_and_a_walk_reads_all() -> None:
    catalog = load_catalog()
    assert "gmail" in catalog
    assert "gmail" in catalog.packs
    assert catalog.suggest("gmial") == " (did you mean 'gmail'?)"
    assert catalog.loaded == frozenset()
    assert catalog.packs["gmail"].service == "gmail"
    assert catalog.loaded == {"gmail"}
    assert catalog.packs.get("no-such-service") is None
    with pytest.raises(KeyError):
        catalog.packs["no-such-service"]
    assert len(list(catalog.packs.values())) == len(catalog) == len(catalog.loaded)


def test_a_broken_pack_is_reported_every_time_it_is_asked_for(tmp_path: Path) -> None:
    folder = tmp_path / "my-packs"
    _write(folder, "acme-phone", BROKEN_PACK)
    catalog = load_catalog([folder])
    for _ in range(2):
        with pytest.raises(ValidationFailed) as caught:
            catalog.get("acme-phone")
        assert caught.value.lines() == [f"{folder}/acme-phone.yaml:{CATEGORY_PROBLEM}"]
    assert catalog.loaded == {"acme-phone"}


def test_a_missing_folder_is_reported_when_the_catalog_is_loaded(tmp_path: Path) -> None:
    with pytest.raises(ValidationFailed) as caught:
        load_catalog([tmp_path / "nope"])
    assert caught.value.lines() == [f"{tmp_path}/nope: no such folder of check packs"]
