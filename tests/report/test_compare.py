"""``--compare``: what improved and what got worse between two audits of the example."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from freecost.inventory import parse_inventory
from freecost.report.compare import compare, render_compare_markdown
from freecost.report.markdown import render_markdown
from tests.report.documents import EXAMPLE, RESULTS, build

Edit = Callable[[dict[str, Any]], None]


def example_with(edit: Edit) -> dict[str, Any]:
    """The report document of the example inventory after ``edit`` changed it."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edit(data)
    loaded = parse_inventory(yaml.safe_dump(data), EXAMPLE)
    known = {d.id for d in loaded.inventory.dependencies}
    return build(loaded, results=[r for r in RESULTS if r["dependency"] in known])


def dependency(data: dict[str, Any], ident: str) -> dict[str, Any]:
    return next(d for d in data["dependencies"] if d["id"] == ident)


def without_voicemail_canary(data: dict[str, Any]) -> None:
    voice = dependency(data, "google-voice")
    voice["checks"] = [c for c in voice["checks"] if c["id"] != "voicemail"]


def without_crm_export(data: dict[str, Any]) -> None:
    data["dependencies"] = [d for d in data["dependencies"] if d["id"] != "crm-export"]
    del dependency(data, "crm")["alternatives"]


def with_a_new_function(data: dict[str, Any]) -> None:
    data["functions"].append(
        {
            "id": "newsletter",
            "name": "Clients read our newsletter",
            "criticality": "low",
            "rto": "1w",
            "needs": ["gmail"],
        }
    )


@pytest.fixture(scope="module")
def example() -> dict[str, Any]:
    return build()


@pytest.fixture(scope="module")
def no_canary() -> dict[str, Any]:
    return example_with(without_voicemail_canary)


def test_the_same_report_twice_has_nothing_to_say(example: dict[str, Any]) -> None:
    diff = compare(example, copy.deepcopy(example))
    assert diff["improved"] == []
    assert diff["worse"] == []
    assert diff["added"] == []
    assert diff["removed"] == []
    assert diff["unchanged"] == len(example["dependencies"]) + len(example["functions"])
    assert diff["overall"]["direction"] == "same"
    assert diff["overall"]["line"] == "Overall: grade C, risk 42, as before."
    assert diff["previous"] == {
        "generated_at": "2026-11-23T15:00:00+00:00",
        "overall": {"grade": "C", "risk": 42},
    }
    assert diff["notes"] == []


def test_removing_a_canary_is_worse(example: dict[str, Any], no_canary: dict[str, Any]) -> None:
    diff = compare(example, no_canary)
    assert diff["improved"] == []
    voice = next(w for w in diff["worse"] if w["kind"] == "dependency")
    assert voice["id"] == "google-voice"
    assert voice["before"]["risk"] < voice["after"]["risk"]
    assert voice["line"] == (
        f"Google Voice business number is worse: grade {voice['before']['grade']} → "
        f"{voice['after']['grade']}, risk {voice['before']['risk']} → {voice['after']['risk']}."
    )
    new = {(w["dependency"], w["code"]) for w in diff["worse"] if w["kind"] == "finding"}
    assert ("google-voice", "NO_CANARY") in new
    line = next(w["line"] for w in diff["worse"] if w.get("code") == "NO_CANARY")
    assert line.startswith("New finding on Google Voice business number: high NO_CANARY: ")


def test_adding_it_back_is_better(example: dict[str, Any], no_canary: dict[str, Any]) -> None:
    diff = compare(no_canary, example)
    assert diff["worse"] == []
    kinds = {(i["kind"], i.get("id") or i.get("code")) for i in diff["improved"]}
    assert ("dependency", "google-voice") in kinds
    assert ("finding", "NO_CANARY") in kinds
    done = [i for i in diff["improved"] if i["kind"] == "recommendation"]
    assert done, "the recommendation to add a canary is done"
    assert all(i["line"].startswith("Done, or no longer needed: ") for i in done)


def test_dependencies_and_functions_added_and_removed(example: dict[str, Any]) -> None:
    smaller = example_with(without_crm_export)
    diff = compare(example, smaller)
    assert [(r["kind"], r["id"]) for r in diff["removed"]] == [("dependency", "crm-export")]
    assert diff["removed"][0]["line"] == (
        "No longer listed: dependency Weekly CSV export of the CRM, kept in Google Drive."
    )
    # The findings of a dependency that left are not listed one by one as resolved.
    assert not [i for i in diff["improved"] if i.get("dependency") == "crm-export"]
    back = compare(smaller, example)
    assert [(a["kind"], a["id"]) for a in back["added"]] == [("dependency", "crm-export")]
    grown = compare(example, example_with(with_a_new_function))
    assert [(a["kind"], a["id"]) for a in grown["added"]] == [("function", "newsletter")]
    assert grown["added"][0]["line"].startswith("New function: Clients read our newsletter")


def test_findings_are_counted_by_dependency_and_code(example: dict[str, Any]) -> None:
    current = copy.deepcopy(example)
    voice = next(d for d in current["dependencies"] if d["id"] == "google-voice")
    unknown = [f for f in voice["findings"] if f["code"] == "FACT_UNKNOWN"]
    assert len(unknown) == 2
    voice["findings"].remove(unknown[1])
    # A reworded message with the same code is the same finding.
    unknown[0]["message"] = "reworded"
    diff = compare(example, current)
    resolved = [i for i in diff["improved"] if i["kind"] == "finding"]
    assert [(i["dependency"], i["code"]) for i in resolved] == [("google-voice", "FACT_UNKNOWN")]
    assert resolved[0]["message"] == unknown[1]["message"]
    assert not [i for i in diff["worse"] if i["kind"] == "finding"]


def test_the_answer_is_plain_json(example: dict[str, Any], no_canary: dict[str, Any]) -> None:
    diff = compare(example, no_canary)
    assert json.loads(json.dumps(diff)) == diff
    for item in [*diff["improved"], *diff["worse"], *diff["added"], *diff["removed"]]:
        assert isinstance(item["line"], str)
        assert item["line"]


@pytest.mark.parametrize(
    ("version", "message"),
    [
        (2, "schema_version 2, and this freecost compares reports of schema_version 1 only"),
        ("2.0", "schema_version 2.0"),
        (None, "no usable schema_version"),
        ("one", "no usable schema_version"),
        (True, "no usable schema_version"),
    ],
)
def test_another_schema_is_refused_clearly(
    example: dict[str, Any], version: Any, message: str
) -> None:
    previous = copy.deepcopy(example)
    previous["schema_version"] = version
    with pytest.raises(ValueError, match="the previous report") as caught:
        compare(previous, example)
    assert message in str(caught.value)


def test_a_minor_version_of_the_same_schema_is_accepted(example: dict[str, Any]) -> None:
    previous = copy.deepcopy(example)
    previous["schema_version"] = "1.4"
    assert compare(previous, example)["unchanged"] > 0


def test_doubts_are_noted(example: dict[str, Any]) -> None:
    previous = copy.deepcopy(example)
    previous["business"]["name"] = "Another Shop"
    previous["generated_at"] = "2027-01-01T00:00:00+00:00"
    notes = compare(previous, example)["notes"]
    assert notes == [
        "The previous report is for “Another Shop”, this one for “Bailey WorkPlay”.",
        "The previous report was made after this one.",
    ]


def test_the_markdown_section(example: dict[str, Any], no_canary: dict[str, Any]) -> None:
    text = render_compare_markdown(compare(example, no_canary))
    assert text.startswith("## Since the last audit (2026-11-23)\n")
    assert "### Worse" in text
    assert "### Better" not in text
    assert "- Google Voice business number is worse: grade" in text
    assert "New finding on Google Voice business number: high NO_CANARY: " in text
    assert text.endswith("dependencies and functions.")


def test_the_markdown_section_escapes_outside_text(example: dict[str, Any]) -> None:
    previous = copy.deepcopy(example)
    voice = next(d for d in previous["dependencies"] if d["id"] == "google-voice")
    voice["findings"].append(
        {
            "code": "NO_HUMAN_SUPPORT",
            "severity": "high",
            "message": "<script>x</script> | [a](javascript:b)\n# head",
            "evidence": "",
            "points": 1,
        }
    )
    previous["business"]["name"] = "<b>Old</b>"
    text = render_compare_markdown(compare(previous, example))
    assert "<script" not in text
    assert "<b>" not in text
    assert "&lt;script&gt;x&lt;/script&gt; \\| \\[a\\](javascript:b) # head" in text
    assert "\n# head" not in text


def test_the_report_carries_the_section(example: dict[str, Any], no_canary: dict[str, Any]) -> None:
    document = copy.deepcopy(no_canary)
    document["compare"] = compare(example, no_canary)
    assert render_compare_markdown(document["compare"]) in render_markdown(document)
