"""Every validation rule of the inventory, each with its exact message and location."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import MINIMAL

Problems = Callable[[str], list[str]]


def test_minimal_inventory_is_valid(problems: Problems) -> None:
    assert problems(MINIMAL) == []


def test_yaml_syntax_error(problems: Problems) -> None:
    text = MINIMAL.replace("business: {name: Test Shop,", "business: {name: Test Shop")
    assert problems(text) == [
        "inventory.yaml:2:35: YAML syntax error: while parsing a flow mapping "
        "did not find expected ',' or '}'"
    ]


def test_wrong_type(problems: Problems) -> None:
    text = MINIMAL.replace("    rto: 4h\n", "    rto: 4h\n    name: [a, b]\n").replace(
        "    name: Callers reach us\n", ""
    )
    assert problems(text) == ["inventory.yaml:7:11: functions[0].name: expected text, got a list"]


def test_wrong_type_for_a_number(problems: Problems) -> None:
    text = MINIMAL + "settings: {concurrency: lots}\n"
    assert problems(text) == [
        "inventory.yaml:14:25: settings.concurrency: expected a whole number, got text"
    ]


def test_unknown_key_suggests_the_near_one(problems: Problems) -> None:
    text = MINIMAL.replace("    criticality: critical\n", "    criticallity: critical\n")
    assert problems(text) == [
        "inventory.yaml:4:5: functions[0].criticality: required field is missing",
        "inventory.yaml:6:5: functions[0].criticallity: unknown key (did you mean "
        "'criticality'?); expected one of: criticality, id, name, needs, rto",
    ]


def test_unknown_key_at_the_top(problems: Problems) -> None:
    text = MINIMAL + "dependancies: []\n"
    assert problems(text) == [
        "inventory.yaml:14:1: dependancies: unknown key (did you mean 'dependencies'?); "
        "expected one of: business, dependencies, functions, settings, version"
    ]


def test_missing_required_field(problems: Problems) -> None:
    text = MINIMAL.replace("    rto: 4h\n", "")
    assert problems(text) == ["inventory.yaml:4:5: functions[0].rto: required field is missing"]


def test_missing_field_names_the_field(problems: Problems) -> None:
    # The mapping starts at `- id:`; the message names which field it lacks.
    text = MINIMAL.replace("    name: Phone number\n", "")
    assert problems(text) == [
        "inventory.yaml:10:5: dependencies[0].name: required field is missing"
    ]


def test_duplicate_id_across_functions_and_dependencies(problems: Problems) -> None:
    text = MINIMAL.replace("  - id: voice\n", "  - id: phone-leads\n").replace(
        "needs: [voice]", "needs: [phone-leads]"
    )
    assert problems(text) == [
        "inventory.yaml:10:9: dependencies[0].id: duplicate id 'phone-leads' (first used at line 4)"
    ]


def test_duplicate_dependency_id(problems: Problems) -> None:
    text = MINIMAL + "  - {id: voice, name: Again}\n"
    assert problems(text) == [
        "inventory.yaml:14:10: dependencies[1].id: duplicate id 'voice' (first used at line 10)"
    ]


def test_unknown_id_in_needs(problems: Problems) -> None:
    text = MINIMAL.replace("needs: [voice]", "needs: [voise]")
    assert problems(text) == [
        "inventory.yaml:8:13: functions[0].needs[0]: unknown dependency 'voise' "
        "(did you mean 'voice'?)"
    ]


def test_a_function_listed_where_dependencies_belong(problems: Problems) -> None:
    text = MINIMAL + "    needs: [phone-leads]\n"
    assert problems(text) == [
        "inventory.yaml:14:13: dependencies[0].needs[0]: 'phone-leads' is a function; "
        "only dependencies can be listed here"
    ]


def test_unknown_id_in_alternatives(problems: Problems) -> None:
    text = MINIMAL + "    alternatives: [mobile]\n"
    assert problems(text) == [
        "inventory.yaml:14:20: dependencies[0].alternatives[0]: unknown dependency 'mobile'"
    ]


def test_cycle_in_needs_is_named(problems: Problems) -> None:
    text = MINIMAL + (
        "    needs: [account]\n"
        "  - {id: account, name: Account, needs: [domain]}\n"
        "  - {id: domain, name: Domain, needs: [voice]}\n"
    )
    assert problems(text) == [
        "inventory.yaml:14:12: dependencies[0].needs: cycle in needs: "
        "voice -> account -> domain -> voice"
    ]


def test_self_need_is_a_cycle(problems: Problems) -> None:
    text = MINIMAL + "    needs: [voice]\n"
    assert problems(text) == [
        "inventory.yaml:14:12: dependencies[0].needs: cycle in needs: voice -> voice"
    ]


def test_own_alternative(problems: Problems) -> None:
    text = MINIMAL + "    alternatives: [voice]\n"
    assert problems(text) == [
        "inventory.yaml:14:20: dependencies[0].alternatives[0]: "
        "a dependency cannot be its own alternative"
    ]


@pytest.mark.parametrize("needs", ["    needs: []\n", ""])
def test_function_that_needs_nothing(problems: Problems, needs: str) -> None:
    text = MINIMAL.replace("    needs: [voice]\n", needs)
    expected_line = "8:12" if needs else "4:5"
    assert problems(text) == [
        f"inventory.yaml:{expected_line}: functions[0].needs: "
        "a function must need at least one dependency"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("4 hours", "'4 hours' is not a duration (write it like 90s, 5m, 4h, 1d, 2w)"),
        ("4", "a duration needs a unit: write 4s, 4m, ... (90s, 5m, 4h, 1d, 2w)"),
        ("0m", "a duration must be longer than zero"),
    ],
)
def test_malformed_duration(problems: Problems, value: str, message: str) -> None:
    text = MINIMAL.replace("rto: 4h", f"rto: {value}")
    assert problems(text) == [f"inventory.yaml:7:10: functions[0].rto: {message}"]


def test_malformed_url(problems: Problems) -> None:
    text = MINIMAL + "settings: {rdap: {bootstrap_url: 'ftp://data.iana.org/dns.json'}}\n"
    assert problems(text) == [
        "inventory.yaml:14:34: settings.rdap.bootstrap_url: 'ftp://data.iana.org/dns.json' "
        "is not an http(s) URL (like https://example.com/)"
    ]


def test_malformed_email(problems: Problems) -> None:
    text = MINIMAL.replace("contact: owner@example.com", "contact: owner-at-example.com")
    assert problems(text) == [
        "inventory.yaml:2:38: business.contact: 'owner-at-example.com' is not an e-mail "
        "address: An email address must have an @-sign"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "512-827-9000",
            "'512-827-9000' has no country code: write it in international "
            "form (E.164), like +15128279000",
        ),
        (
            "+1 555",
            "'+1 555' is not a phone number: write it in international form (E.164), "
            "like +15128279000",
        ),
    ],
)
def test_malformed_phone_number(problems: Problems, value: str, message: str) -> None:
    text = MINIMAL + f"    assets: [{{kind: phone-number, value: '{value}'}}]\n"
    assert problems(text) == [f"inventory.yaml:14:14: dependencies[0].assets[0]: {message}"]


def test_phone_number_is_normalised_to_e164(load_text: Callable[[str], object]) -> None:
    text = MINIMAL + "    assets: [{kind: phone-number, value: '+1 (512) 827-9000'}]\n"
    loaded = load_text(text)
    assert loaded.inventory.dependencies[0].assets[0].value == "+15128279000"  # type: ignore[attr-defined]


def test_plain_text_secret_is_refused_without_repeating_it(problems: Problems) -> None:
    text = MINIMAL + "settings: {notify: ['ntfy://s3cr3t-t0ken@ntfy.example/alerts']}\n"
    lines = problems(text)
    assert lines == [
        "inventory.yaml:14:21: settings.notify[0]: a secret must not be written in the "
        "inventory: name an environment variable as ${NAME} or a file as file:PATH"
    ]
    assert "s3cr3t" not in "\n".join(lines)


def test_unknown_service_suggests_the_near_one(problems: Problems) -> None:
    text = MINIMAL.replace("service: google-voice", "service: gogle-voice")
    assert problems(text) == [
        "inventory.yaml:12:14: dependencies[0].service: unknown service 'gogle-voice' "
        "(did you mean 'google-voice'?); `freecost catalog` lists them"
    ]


def test_unknown_plan_of_a_known_service(problems: Problems) -> None:
    text = MINIMAL.replace("plan: free", "plan: pro")
    assert problems(text) == [
        "inventory.yaml:13:11: dependencies[0].plan: unknown plan 'pro' for google-voice; "
        "known plans: free"
    ]


def test_unknown_check_type_lists_the_known_ones(problems: Problems) -> None:
    from freecost.probes.registry import check_types

    known = ", ".join(check_types()) or "none yet"
    text = MINIMAL + "    checks: [{id: site, type: htp, url: 'https://example.com/'}]\n"
    lines = problems(text)
    assert len(lines) == 1
    assert lines[0].startswith(
        "inventory.yaml:14:14: dependencies[0].checks[0]: unknown check type 'htp'"
    )
    assert lines[0].endswith(f"; known types: {known}")


def test_check_without_a_type(problems: Problems) -> None:
    from freecost.probes.registry import check_types

    known = ", ".join(check_types()) or "none yet"
    text = MINIMAL + "    checks: [{id: site}]\n"
    assert problems(text) == [
        f"inventory.yaml:14:14: dependencies[0].checks[0]: a check needs a 'type' "
        f"(known types: {known})"
    ]


def test_enumeration_lists_the_choices(problems: Problems) -> None:
    text = MINIMAL.replace("criticality: critical", "criticality: urgent")
    assert problems(text) == [
        "inventory.yaml:6:18: functions[0].criticality: must be one of: critical, high, "
        "medium, low (got 'urgent')"
    ]


def test_bad_id(problems: Problems) -> None:
    text = MINIMAL.replace("id: phone-leads", "id: Phone Leads")
    assert problems(text) == [
        "inventory.yaml:4:9: functions[0].id: 'Phone Leads' is not a valid id: use lower-case "
        "letters, digits and hyphens, starting with a letter or digit (like phone-leads)"
    ]


def test_duplicate_yaml_key(problems: Problems) -> None:
    text = MINIMAL.replace("    rto: 4h\n", "    rto: 4h\n    rto: 8h\n")
    assert problems(text) == [
        "inventory.yaml:8:5: functions[0].rto: duplicate key (first at line 7)"
    ]


def test_every_problem_is_reported_in_one_run(problems: Problems) -> None:
    text = (
        MINIMAL.replace("rto: 4h", "rto: soon")
        .replace("criticality: critical", "criticality: urgent")
        .replace("service: google-voice", "service: gogle-voice")
        + "    alternatives: [voice]\n"
    )
    lines = problems(text)
    assert [line.split(": ")[1] for line in lines] == [
        "functions[0].criticality",
        "functions[0].rto",
        "dependencies[0].service",
        "dependencies[0].alternatives[0]",
    ]


def test_the_top_level_must_be_a_mapping(problems: Problems) -> None:
    assert problems("- a\n- b\n") == [
        "inventory.yaml:1:1: an inventory must be a mapping of keys "
        "(version, business, functions, dependencies)"
    ]


def test_an_empty_file(problems: Problems) -> None:
    assert problems("# nothing here\n") == [
        "inventory.yaml: the file is empty; `freecost init` writes a starter inventory"
    ]


def test_wrong_version(problems: Problems) -> None:
    assert problems(MINIMAL.replace("version: 1", "version: 2")) == [
        "inventory.yaml:1:10: version: must be one of: 1 (got '2')"
    ]


def test_missing_pack_folder(problems: Problems) -> None:
    text = MINIMAL + "settings: {packs: [my-packs]}\n"
    assert problems(text) == ["inventory.yaml:14:20: settings.packs[0]: no such folder"]
