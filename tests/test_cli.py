"""The command line: exit codes, one-line errors, and commands run as a user runs them."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from freecost import __version__
from freecost.cli import main
from tests.conftest import EXAMPLE, MINIMAL

MEMORY_LIMIT = 1024 * 1024 * 1024


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The real console entry point in a child process, capped in memory and time."""

    def cap_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    full_env = {**os.environ, **(env or {})}
    full_env.pop("FREECOST_INVENTORY", None) if env is None else None
    return subprocess.run(
        [sys.executable, "-m", "freecost", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=30,
        preexec_fn=cap_memory,
        check=False,
    )


def call(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as caught:
        main(argv)
    out, err = capsys.readouterr()
    return int(caught.value.code or 0), out, err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    assert call(["--version"], capsys) == (0, f"freecost {__version__}\n", "")


def test_validate_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = call(["validate", str(EXAMPLE)], capsys)
    assert (code, err) == (0, "")
    assert out == f"{EXAMPLE}: valid: 5 functions, 9 dependencies, 14 checks\n"


def test_validate_invalid_exits_3_with_one_line_per_problem(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(MINIMAL.replace("rto: 4h", "rto: soon").replace("critical\n", "urgent\n"))
    code, out, err = call(["validate", str(path)], capsys)
    assert code == 3
    assert out == ""
    assert err.splitlines() == [
        f"{path}:6:18: functions[0].criticality: must be one of: critical, high, medium, low "
        "(got 'urgent')",
        f"{path}:7:10: functions[0].rto: 'soon' is not a duration (write it like 90s, 5m, 4h, "
        "1d, 2w)",
        f"2 problems in {path}",
    ]


def test_strict_reports_missing_secrets_by_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "inventory.yaml"
    path.write_text(MINIMAL + "settings: {notify: ['${FC_TEST_NOTIFY}', 'file:hook.txt']}\n")
    monkeypatch.delenv("FC_TEST_NOTIFY", raising=False)
    assert call(["validate", str(path)], capsys)[0] == 0
    code, _, err = call(["validate", "--strict", str(path)], capsys)
    assert code == 3
    assert err.splitlines() == [
        f"{path}:14:21: settings.notify[0]: environment variable FC_TEST_NOTIFY is not set",
        f"{path}:14:42: settings.notify[1]: secret file hook.txt does not exist",
        f"2 problems in {path}",
    ]
    monkeypatch.setenv("FC_TEST_NOTIFY", "json://hook.example/very-secret-value")
    (tmp_path / "hook.txt").write_text("json://hook.example/another-secret\n")
    code, out, err = call(["validate", "--strict", str(path)], capsys)
    assert code == 0
    assert "secret" not in out + err


@pytest.mark.parametrize(
    "argv",
    [["bogus"], ["validate", "--nope"], ["validate", "a", "b"], [], ["catalog", "--what"]],
)
def test_usage_errors_exit_3_not_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = call(argv, capsys)
    assert code == 3
    assert "Traceback" not in err


def test_usage_error_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    _code, _, err = call(["validate", "--nope"], capsys)
    assert err == "freecost validate: No such option: --nope (see freecost validate --help)\n"


def test_every_command_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    for command in ("validate", "schema", "init", "catalog"):
        code, out, _ = call([command, "--help"], capsys)
        assert code == 0
        assert f"Usage: freecost {command}" in out


def test_inventory_defaults_to_the_current_folder_then_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("FREECOST_INVENTORY", raising=False)
    code, _, err = call(["validate"], capsys)
    assert code == 3
    assert err == (
        "inventory.yaml: no such file, and $FREECOST_INVENTORY is not set; "
        "`freecost init` writes a starter inventory\n"
    )
    monkeypatch.setenv("FREECOST_INVENTORY", str(EXAMPLE))
    assert call(["validate"], capsys)[0] == 0
    (tmp_path / "inventory.yaml").write_text(MINIMAL)
    code, out, _ = call(["validate"], capsys)
    assert out.startswith("inventory.yaml: valid: 1 functions")


def test_schema_is_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["schema"], capsys)
    schema = json.loads(out)
    assert code == 0
    assert schema["title"] == "freecost inventory"
    assert set(schema["required"]) == {"version", "business", "functions", "dependencies"}
    assert schema["$defs"]["Function"]["properties"]["rto"]["pattern"].startswith("^(")


def test_init_with_yes_writes_a_valid_inventory_and_never_overwrites(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "sub" / "inventory.yaml"
    code, _out, _ = call(["init", "--yes", str(path)], capsys)
    assert code == 0
    assert call(["validate", str(path)], capsys)[0] == 0
    path.write_text("# mine\n")
    code, _, err = call(["init", "--yes", str(path)], capsys)
    assert (code, err) == (3, f"{path}: already exists; use --force to overwrite it\n")
    assert path.read_text() == "# mine\n"
    assert call(["init", "--yes", "--force", str(path)], capsys)[0] == 0
    assert "version: 1" in path.read_text()


def test_init_asks_on_a_terminal_and_asks_again_on_a_bad_answer(tmp_path: Path) -> None:
    import pty

    path = tmp_path / "inventory.yaml"
    answers = b"Acme Plumbing\nnot-an-email\nfixit@acme.example\n\n+1 512 555 0199\n\n"
    primary, secondary = pty.openpty()
    child = subprocess.Popen(
        [sys.executable, "-m", "freecost", "init", str(path)],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    os.close(secondary)
    os.write(primary, answers)
    _out, err = child.communicate(timeout=30)
    os.close(primary)
    assert child.returncode == 0, err.decode()
    text = path.read_text()
    assert 'name: "Acme Plumbing"' in text
    assert '"fixit@acme.example"' in text
    assert '"+15125550199"' in text
    assert b"is not an e-mail address" in err


def test_catalog_lists_and_shows(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["catalog"], capsys)
    assert code == 0
    assert "google-voice" in out
    assert "SLA 99.9%" in out
    code, out, _ = call(["catalog", "google-workspace"], capsys)
    assert code == 0
    assert "uptime SLA %: 99.9 [https://workspace.google.com/terms/sla.html, checked" in out
    code, out, _ = call(["catalog", "google-voice"], capsys)
    assert "status page: https://www.google.com/appsstatus/dashboard/ (google-workspace, " in out
    assert (
        "default checks (used when a dependency lists none)\n  - vendor-status: statuspage" in out
    )


def test_catalog_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = call(["catalog", "--json"], capsys)
    assert code == 0
    services = {pack["service"] for pack in json.loads(out)}
    assert {"google-voice", "google-workspace", "zoho-crm"} <= services
    _code, out, _ = call(["catalog", "zoho-crm", "--json"], capsys)
    assert json.loads(out)["plans"][0]["id"] == "free"


def test_catalog_unknown_service(capsys: pytest.CaptureFixture[str]) -> None:
    assert call(["catalog", "google-voic"], capsys) == (
        3,
        "",
        "unknown service 'google-voic' (did you mean 'google-voice'?)\n",
    )


def _billion_laughs() -> str:
    rows = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for name, prev in zip("bcdefghi", "abcdefgh", strict=True):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    return "\n".join(rows) + "\n"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("empty.yaml", b"", "the file is empty"),
        ("binary.yaml", bytes(range(256)) * 4, "is this a binary file?"),
        ("bomb.yaml", _billion_laughs().encode(), "a 'YAML bomb'?"),
        ("deep.yaml", b"[" * 10_000 + b"]" * 10_000, "nested deeper than 64 levels"),
        ("deepmap.yaml", b"{a: " * 10_000 + b"1" + b"}" * 10_000, "nested deeper than 64 levels"),
        ("list.yaml", b"- 1\n- 2\n", "an inventory must be a mapping"),
    ],
)
def test_hostile_files_get_one_line_and_exit_3(
    tmp_path: Path, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = run("validate", str(path))
    assert result.returncode == 3
    assert len(result.stderr.splitlines()) == 1
    assert expected in result.stderr
    assert "Traceback" not in result.stderr


def test_huge_file_is_answered_without_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as handle:
        handle.write(b"version: 1\n" + b"# padding\n" * (5 * 1000 * 1000))
    result = run("validate", str(path))
    assert result.returncode == 3
    assert result.stderr == f"{path}: is 50.0 MB; the limit is 2 MB for one file\n"


def test_missing_file_and_directory(tmp_path: Path) -> None:
    assert run("validate", str(tmp_path / "nope.yaml")).stderr == (
        f"{tmp_path / 'nope.yaml'}: no such file\n"
    )
    result = run("validate", str(tmp_path))
    assert (result.returncode, result.stderr) == (
        3,
        f"{tmp_path}: is a directory, not a YAML file\n",
    )


def test_console_script_and_module_agree() -> None:
    result = run("--version")
    assert (result.returncode, result.stdout) == (0, f"freecost {__version__}\n")
