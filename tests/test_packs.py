"""Check packs: the built-in ones are valid and sourced; broken packs are reported precisely."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from freecost.errors import UnknownService, ValidationFailed
from freecost.packs import Fact, builtin_folder, load_catalog, load_pack
from tests.conftest import MINIMAL

VALID_PACK = """\
service: acme-phone
name: Acme Phone
vendor: acme
category: telephony
homepage: https://acme.example/
plans:
  - id: basic
    name: Basic
    monthly_cost: {value: 10, source: "https://acme.example/pricing", checked: 2026-11-01}
    sla:
      uptime: {value: 99.5, source: "https://acme.example/sla", checked: 2026-11-01}
      financially_backed: {value: unknown, checked: 2026-11-01}
    support:
      channels: {value: [email], source: "https://acme.example/help", checked: 2026-11-01}
      response: {value: 1d, source: "https://acme.example/help", checked: 2026-11-01}
      human: {value: true, source: "https://acme.example/help", checked: 2026-11-01}
data_export: {value: unknown, checked: 2026-11-01}
when_it_breaks:
  first_steps: [Call the number from another phone.]
lifecycle: {status: active, checked: 2026-11-01}
"""


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    path.write_text(text)
    return path


def _all_facts(value: object) -> list[Fact[object]]:
    from pydantic import BaseModel

    if isinstance(value, Fact):
        return [value]
    if isinstance(value, BaseModel):
        return [f for name in type(value).model_fields for f in _all_facts(getattr(value, name))]
    if isinstance(value, list):
        return [f for item in value for f in _all_facts(item)]
    return []


def test_builtin_packs_load() -> None:
    catalog = load_catalog()
    assert {"google-voice", "google-workspace", "zoho-crm"} <= set(catalog.packs)


def test_every_known_builtin_fact_has_a_source_and_date() -> None:
    for pack in load_catalog().packs.values():
        facts = _all_facts(pack)
        assert facts, pack.service
        for fact in facts:
            assert fact.checked is not None
            if fact.known:
                assert fact.source is not None, pack.service
                assert fact.source.startswith("https://"), pack.service


def test_workspace_sla_is_what_the_contract_says() -> None:
    plan = load_catalog().get("google-workspace").plan("business")
    assert plan.sla.uptime.value == 99.9
    assert plan.sla.credits is not None
    assert [(t.below, t.credit) for t in plan.sla.credits.value] == [  # type: ignore[union-attr]
        (99.9, "3 days of service"),
        (99.0, "7 days of service"),
        (95.0, "15 days of service"),
    ]


def test_free_google_voice_promises_nothing_it_cannot_source() -> None:
    plan = load_catalog().get("google-voice").plan("free")
    assert plan.sla.uptime.value == "unknown"
    assert plan.support.human.value is False


def test_a_known_fact_without_a_source_is_refused(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        'uptime: {value: 99.5, source: "https://acme.example/sla", checked: 2026-11-01}',
        "uptime: {value: 99.5, checked: 2026-11-01}",
    )
    path = _write(tmp_path, "acme-phone", text)
    with pytest.raises(ValidationFailed) as caught:
        load_pack(path, "acme-phone.yaml")
    assert caught.value.lines() == [
        "acme-phone.yaml:11:15: plans[0].sla.uptime: a known fact needs a source URL "
        "(or value: unknown)"
    ]


def test_a_fact_without_a_date_is_refused(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        "data_export: {value: unknown, checked: 2026-11-01}", "data_export: {value: unknown}"
    )
    path = _write(tmp_path, "acme-phone", text)
    with pytest.raises(ValidationFailed) as caught:
        load_pack(path, "acme-phone.yaml")
    assert caught.value.lines() == [
        "acme-phone.yaml:17:14: data_export.checked: required field is missing"
    ]


def test_pack_name_must_match_its_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "other", VALID_PACK)
    with pytest.raises(ValidationFailed) as caught:
        load_pack(path, "other.yaml")
    assert caught.value.lines() == ["other.yaml:1:10: service: must match the file name 'other'"]


def test_discontinued_service_needs_its_date(tmp_path: Path) -> None:
    text = VALID_PACK.replace(
        "lifecycle: {status: active, checked: 2026-11-01}",
        "lifecycle: {status: discontinued, checked: 2026-11-01}",
    )
    path = _write(tmp_path, "acme-phone", text)
    with pytest.raises(ValidationFailed) as caught:
        load_pack(path, "acme-phone.yaml")
    assert caught.value.lines() == [
        "acme-phone.yaml:20:12: lifecycle: an ended or ending service needs a discontinued "
        "date and source"
    ]


def test_user_packs_are_added_and_replace_builtins(tmp_path: Path) -> None:
    folder = tmp_path / "packs"
    _write(folder, "acme-phone", VALID_PACK)
    _write(folder, "google-voice", VALID_PACK.replace("acme-phone", "google-voice"))
    catalog = load_catalog([folder])
    assert catalog.get("acme-phone").name == "Acme Phone"
    assert catalog.get("google-voice").name == "Acme Phone"
    assert len(load_catalog()) < len(catalog)


def test_inventory_can_use_its_own_packs(
    tmp_path: Path, load_text: Callable[[str], object]
) -> None:
    _write(tmp_path / "my-packs", "acme-phone", VALID_PACK)
    text = (
        MINIMAL.replace(
            "service: google-voice\n    plan: free", "service: acme-phone\n    plan: basic"
        )
        + "settings: {packs: [my-packs]}\n"
    )
    loaded = load_text(text)
    assert "acme-phone" in loaded.catalog  # type: ignore[attr-defined]


def test_a_broken_user_pack_fails_the_inventory_with_its_own_location(
    tmp_path: Path, problems: Callable[[str], list[str]]
) -> None:
    # The inventory uses the pack: `validate` checks the packs it uses (an unused broken pack
    # is covered in test_catalog_lazy.py).
    _write(
        tmp_path / "my-packs",
        "acme-phone",
        VALID_PACK.replace("category: telephony", "category: phones"),
    )
    text = MINIMAL.replace(
        "service: google-voice\n    plan: free", "service: acme-phone\n    plan: basic"
    )
    lines = problems(text + "settings: {packs: [my-packs]}\n")
    assert lines == [
        f"{tmp_path}/my-packs/acme-phone.yaml:4:11: category: must be one of: telephony, email, "
        "crm, website, dns, domain, files, notes, chat, meetings, identity, payments, other "
        "(got 'phones')"
    ]


def test_unknown_service_by_name() -> None:
    with pytest.raises(UnknownService, match=r"unknown service 'zoho' \(did you mean 'zoho-crm'"):
        load_catalog().get("zoho")


def test_builtin_packs_live_inside_the_package() -> None:
    assert (builtin_folder() / "google-voice.yaml").is_file()
