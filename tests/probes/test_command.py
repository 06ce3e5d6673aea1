"""The ``command`` check against real plugins: small shell scripts written per test."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from freecost.probes import command
from freecost.probes.perfdata import PerfValue, parse_output, parse_perfdata
from freecost.results import Layer, Outcome, Status
from tests.probes.helpers import run_probe

CHECK_DUMMY = Path("/usr/lib/nagios/plugins/check_dummy")


def plugin(folder: Path, body: str, name: str = "check_test") -> Path:
    """An executable /bin/sh plugin in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def run(tmp_path: Path, argv: list[str], **spec: Any) -> Outcome:
    spec.setdefault("timeout", "5s")
    return run_probe(command, {"type": "command", "command": argv, **spec}, tmp_path)


def run_script(tmp_path: Path, body: str, **spec: Any) -> Outcome:
    return run(tmp_path, [str(plugin(tmp_path, body))], **spec)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a live process (a zombie waiting for its reaper is not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def gone(pid: int) -> bool:
    """True once ``pid`` is dead; a signal takes a moment to land, so look a few times."""
    for _ in range(100):
        if not alive(pid):
            return True
        time.sleep(0.02)
    return False


def read_pids(*files: Path) -> list[int]:
    return [int(file.read_text()) for file in files]


@contextlib.contextmanager
def no_leftovers(*files: Path) -> Any:
    """Kill whatever a failed test left running, so one failure does not leak sleepers."""
    try:
        yield
    finally:
        for file in files:
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                os.kill(int(file.read_text()), signal.SIGKILL)


def message(spec: dict[str, Any]) -> str:
    with pytest.raises(ValidationError) as caught:
        command.Check.model_validate({"id": "t", "type": "command", **spec})
    errors = caught.value.errors()
    assert len(errors) == 1, errors
    return str(errors[0]["msg"])


# Exit codes


def test_exit_0_is_ok_with_summary_and_perfdata(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "echo 'OK - 3 files | files=3;5;10;0; time=0.25s'\n")
    assert outcome.status is Status.OK
    assert outcome.summary == "OK - 3 files"
    assert outcome.layer is None
    assert outcome.details["exit_code"] == 0
    assert outcome.details["perfdata"] == [
        {
            "label": "files",
            "value": 3.0,
            "unit": "",
            "warn": "5",
            "crit": "10",
            "min": 0.0,
            "max": None,
        },
        {
            "label": "time",
            "value": 0.25,
            "unit": "s",
            "warn": None,
            "crit": None,
            "min": None,
            "max": None,
        },
    ]


@pytest.mark.parametrize(
    ("code", "status"), [(1, Status.WARN), (2, Status.FAIL), (3, Status.ERROR)]
)
def test_plugin_exit_codes_map_to_statuses(tmp_path: Path, code: int, status: Status) -> None:
    outcome = run_script(tmp_path, f"echo 'DISK says {code}'\nexit {code}\n")
    assert outcome.status is status
    assert outcome.summary == f"DISK says {code}"
    assert outcome.layer is Layer.VENDOR
    assert outcome.details["exit_code"] == code


def test_other_exit_code_is_an_error_naming_it(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "echo 'half done'\nexit 4\n")
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == (
        "plugin check_test exited with code 4, which is not a plugin status (0-3): half done"
    )


def test_exit_127_quotes_stderr_when_stdout_is_empty(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "freecost-no-such-tool-here\n")
    assert outcome.status is Status.ERROR
    assert "exited with code 127" in outcome.summary
    assert "freecost-no-such-tool-here" in outcome.summary
    assert "freecost-no-such-tool-here" in outcome.details["stderr"]


def test_death_by_signal_is_an_error_naming_the_signal(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "kill -USR1 $$\nsleep 5\n")
    assert outcome.status is Status.ERROR
    assert outcome.summary == "plugin check_test was killed by signal SIGUSR1"
    assert outcome.details["exit_code"] == -signal.SIGUSR1


def test_silent_plugin_gets_a_summary(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "exit 2\n")
    assert outcome.status is Status.FAIL
    assert outcome.summary == "plugin check_test printed nothing (exit code 2)"


@pytest.mark.skipif(not CHECK_DUMMY.exists(), reason="monitoring-plugins are not installed")
def test_check_dummy_from_the_monitoring_plugins(tmp_path: Path) -> None:
    outcome = run(tmp_path, [str(CHECK_DUMMY), "1", "disk nearly full"])
    assert outcome.status is Status.WARN
    assert outcome.summary == "WARNING: disk nearly full"


# Output


def test_long_output_and_perfdata_on_later_lines(tmp_path: Path) -> None:
    body = (
        "cat <<'EOF'\n"
        "DISK OK - free space: / 3326 MB (56%); | /=2643MB;5948;5958;0;5968\n"
        "/ 15272 MB (77%);\n"
        "/boot 68 MB (69%); | /boot=68MB;88;93;0;98\n"
        "/home=69357MB;253404;253409;0;253414\n"
        "EOF\n"
    )
    outcome = run_script(tmp_path, body)
    assert outcome.summary == "DISK OK - free space: / 3326 MB (56%);"
    assert outcome.details["long_output"] == "/ 15272 MB (77%);\n/boot 68 MB (69%);"
    labels = [item["label"] for item in outcome.details["perfdata"]]
    assert labels == ["/", "/boot", "/home"]


def test_terminal_escapes_and_control_characters_are_removed(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, r"printf '\033[31mOK\033[0m all\007 good\n'" + "\n")
    assert outcome.summary == "OK all  good"


def test_a_huge_first_line_is_cut_to_a_summary(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "head -c 5000 /dev/zero | tr '\\0' A\necho\n")
    assert len(outcome.summary) == command.SUMMARY_LIMIT
    assert outcome.summary.endswith("…")


def test_invalid_utf8_is_replaced_not_fatal(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, r"printf '\377\376 OK\n'" + "\n")
    assert outcome.status is Status.OK
    assert outcome.summary.endswith(" OK")


def test_endless_output_is_capped_and_does_not_block_the_plugin(tmp_path: Path) -> None:
    # 4 MB on each pipe: far beyond a pipe buffer, so a reader that stopped would hang here.
    body = "head -c 4194304 /dev/zero >&2\nhead -c 4194304 /dev/zero | tr '\\0' x\nexit 1\n"
    outcome = run_script(tmp_path, body)
    assert outcome.status is Status.WARN
    assert outcome.details["output_truncated"] is True
    assert len(outcome.summary) == command.SUMMARY_LIMIT


def test_bad_perfdata_is_listed_not_fatal(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "echo 'OK | good=1 broken rtt=abc'\n")
    assert outcome.status is Status.OK
    assert [item["label"] for item in outcome.details["perfdata"]] == ["good"]
    assert outcome.details["perfdata_invalid"] == ["broken", "rtt=abc"]


# How it runs


def test_runs_in_the_inventory_folder_with_a_relative_program(tmp_path: Path) -> None:
    plugin(tmp_path / "plugins", 'echo "OK in $(pwd -P)"\n')
    outcome = run(tmp_path, ["plugins/check_test"])
    assert outcome.summary == f"OK in {tmp_path.resolve()}"


def test_arguments_reach_the_plugin_without_a_shell(tmp_path: Path) -> None:
    script = plugin(tmp_path, 'echo OK\nfor arg in "$@"; do echo "[$arg]"; done\n')
    outcome = run(tmp_path, [str(script), " a b ", "$HOME", "; rm -rf /", ""])
    assert outcome.details["long_output"] == "[ a b ]\n[$HOME]\n[; rm -rf /]\n[]"


def test_stdin_is_closed(tmp_path: Path) -> None:
    body = 'if read line; then echo "read $line"; else echo "OK stdin closed"; fi\n'
    assert run_script(tmp_path, body).summary == "OK stdin closed"


def test_env_secrets_reach_the_plugin_and_never_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FREECOST_TEST_TOKEN", "hunter2-token")
    monkeypatch.setenv("FREECOST_TEST_OTHER", "not for plugins")
    (tmp_path / "db.secret").write_text("s3cret-pass\n")
    body = 'echo "OK $API_TOKEN $DB_PASS ${FREECOST_TEST_OTHER:-unset}"\necho "$API_TOKEN" >&2\n'
    env = {"API_TOKEN": "${FREECOST_TEST_TOKEN}", "DB_PASS": "file:db.secret"}
    outcome = run_script(tmp_path, body, env=env)
    assert outcome.summary == "OK *** *** unset"
    assert outcome.details["stderr"] == "***"
    assert "hunter2" not in repr(outcome)


def test_missing_env_secret_is_an_error_naming_it(tmp_path: Path) -> None:
    outcome = run_script(tmp_path, "echo OK\n", env={"TOKEN": "${FREECOST_TEST_UNSET_VAR}"})
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.LOCAL
    assert outcome.summary == "environment variable FREECOST_TEST_UNSET_VAR is not set"


def test_path_lookup_finds_a_program_by_name(tmp_path: Path) -> None:
    outcome = run(tmp_path, ["true"])
    assert outcome.status is Status.OK
    assert outcome.summary == "plugin true printed nothing (exit code 0)"


# The program cannot run


@pytest.mark.parametrize(
    ("argv", "summary"),
    [
        (["freecost-no-such-plugin"], "plugin freecost-no-such-plugin is not on the PATH"),
        (["plugins/check_gone"], "plugin plugins/check_gone does not exist"),
        (["./plugins"], "plugin ./plugins is not a file"),
        (
            ["plugins/readme.txt"],
            "plugin plugins/readme.txt is not executable (chmod +x plugins/readme.txt)",
        ),
        (["plugins/no_shebang"], "plugin plugins/no_shebang cannot be run: Exec format error"),
    ],
)
def test_unrunnable_program_is_a_config_error(
    tmp_path: Path, argv: list[str], summary: str
) -> None:
    (tmp_path / "plugins").mkdir()
    (tmp_path / "plugins" / "readme.txt").write_text("not a program\n")
    no_shebang = tmp_path / "plugins" / "no_shebang"
    no_shebang.write_bytes(b"\x00\x01binary junk")
    no_shebang.chmod(0o755)
    outcome = run(tmp_path, argv)
    assert outcome.status is Status.ERROR
    assert outcome.layer is Layer.CONFIG
    assert outcome.summary == summary


# Timeouts, cancellation and orphans


def test_plugin_that_sleeps_forever_is_killed_at_its_timeout(tmp_path: Path) -> None:
    pid_file = tmp_path / "plugin.pid"
    with no_leftovers(pid_file):
        outcome = run_script(tmp_path, f"echo $$ > {pid_file}\nexec sleep 300\n", timeout="1s")
        assert outcome.status is Status.FAIL
        assert outcome.layer is Layer.TIMEOUT
        assert outcome.summary == "plugin check_test did not finish within 500ms"
        assert gone(*read_pids(pid_file))


def test_a_sleeping_child_dies_with_its_plugin(tmp_path: Path) -> None:
    leader, child = tmp_path / "leader.pid", tmp_path / "child.pid"
    body = f"echo $$ > {leader}\nsleep 300 &\necho $! > {child}\nwait\n"
    with no_leftovers(leader, child):
        outcome = run_script(tmp_path, body, timeout="1s")
        assert outcome.layer is Layer.TIMEOUT
        assert all(gone(pid) for pid in read_pids(leader, child))


def test_a_plugin_deaf_to_sigterm_is_killed_anyway(tmp_path: Path) -> None:
    leader, child = tmp_path / "leader.pid", tmp_path / "child.pid"
    body = f"trap '' TERM\necho $$ > {leader}\nsleep 300 &\necho $! > {child}\nwait\n"
    with no_leftovers(leader, child):
        outcome = run_script(tmp_path, body, timeout="1s")
        assert outcome.layer is Layer.TIMEOUT
        assert all(gone(pid) for pid in read_pids(leader, child))


def test_a_child_left_behind_after_a_normal_exit_is_killed(tmp_path: Path) -> None:
    child = tmp_path / "child.pid"
    body = f"sleep 300 >/dev/null 2>&1 &\necho $! > {child}\necho 'OK - left a child'\n"
    with no_leftovers(child):
        outcome = run_script(tmp_path, body)
        assert outcome.status is Status.OK
        assert gone(*read_pids(child))


def test_cancellation_by_the_runner_kills_the_plugin_and_its_child(tmp_path: Path) -> None:
    leader, child = tmp_path / "leader.pid", tmp_path / "child.pid"
    script = plugin(tmp_path, f"echo $$ > {leader}\nsleep 300 &\necho $! > {child}\nwait\n")
    spec = {"type": "command", "command": [str(script)], "timeout": "60s"}
    with no_leftovers(leader, child):
        with pytest.raises(TimeoutError):
            run_probe(command, spec, tmp_path, deadline=1.0)
        assert all(gone(pid) for pid in read_pids(leader, child))


# Parameters


def test_check_is_local_and_has_no_target() -> None:
    check = command.Check.model_validate({"id": "t", "type": "command", "command": ["true"]})
    assert command.Check.network is False
    assert check.target() is None
    assert check.env == {}


def test_numbers_in_command_are_kept_as_text() -> None:
    check = command.Check.model_validate(
        {"id": "t", "type": "command", "command": ["check_dummy", 0, 1.5]}
    )
    assert check.command == ["check_dummy", "0", "1.5"]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        (
            {"command": "check_disk -w '10 %'"},
            "command is a list, the program then each argument (no shell): "
            "write [check_disk, -w, 10 %]",
        ),
        (
            {"command": []},
            "command needs at least the program to run, like "
            "[/usr/lib/nagios/plugins/check_dummy, '0']",
        ),
        ({"command": ["  "]}, "the first item of command names the program"),
        (
            {"command": ["check_x", {"a": 1}]},
            "each item of command is text (a program or one argument)",
        ),
        (
            {"command": ["check_x", True]},
            "each item of command is text (a program or one argument)",
        ),
        (
            {"command": ["check_x"], "env": {"1TOKEN": "${T}"}},
            "'1TOKEN' is not an environment variable name: use letters, digits and underscores, "
            "not starting with a digit",
        ),
        (
            {"command": ["check_x"], "env": {"TOKEN": "hunter2"}},
            "a secret must not be written in the inventory: name an environment variable "
            "as ${NAME} or a file as file:PATH",
        ),
    ],
)
def test_parameter_messages(spec: dict[str, Any], expected: str) -> None:
    assert message(spec) == expected


# Perfdata parsing


def test_perfdata_quoted_labels_missing_fields_and_unknown_values() -> None:
    values, invalid = parse_perfdata(
        "'disk /var used'=U;;;0;100 'it''s'=1,5ms;~:10;@20:30 'x=y'=-2e3B;;; load=0.5;;;;"
    )
    assert invalid == []
    assert values == [
        PerfValue("disk /var used", None, "", None, None, 0.0, 100.0),
        PerfValue("it's", 1.5, "ms", "~:10", "@20:30"),
        PerfValue("x=y", -2000.0, "B"),
        PerfValue("load", 0.5),
    ]


@pytest.mark.parametrize(
    "token",
    ["noequals", "=3", "empty=", "rtt=fast", "x=1;;;low", "''=1", "'open=1", "big=1e999"],
)
def test_perfdata_invalid_tokens(token: str) -> None:
    values, invalid = parse_perfdata(f"ok=1 {token}")
    assert values == [PerfValue("ok", 1.0)]
    assert invalid == [token]


def test_output_without_perfdata() -> None:
    output = parse_output("PING OK - 0.1 ms\nline two\n")
    assert output.summary == "PING OK - 0.1 ms"
    assert output.long_output == "line two"
    assert output.perfdata == ()


def test_empty_output() -> None:
    assert parse_output("") == parse_output("\n")
    assert parse_output("").summary == ""


def _format(value: PerfValue) -> str:
    label = "'" + value.label.replace("'", "''") + "'"
    number = "U" if value.value is None else repr(value.value) + value.unit
    fields = [
        value.warn or "",
        value.crit or "",
        "" if value.min is None else repr(value.min),
        "" if value.max is None else repr(value.max),
    ]
    return f"{label}={number};" + ";".join(fields)


labels = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="|"),
    min_size=1,
    max_size=30,
)
numbers = st.floats(allow_nan=False, allow_infinity=False)
units = st.sampled_from(["", "s", "ms", "us", "%", "B", "KB", "EB", "c"])
ranges = st.none() | st.sampled_from(["10", "10:", "~:10", "@5:10", "0:100"])


@st.composite
def perf_values(draw: st.DrawFn) -> PerfValue:
    measured = draw(st.tuples(st.none(), st.just("")) | st.tuples(numbers, units))
    return PerfValue(
        label=draw(labels),
        value=measured[0],
        unit=measured[1],
        warn=draw(ranges),
        crit=draw(ranges),
        min=draw(st.none() | numbers),
        max=draw(st.none() | numbers),
    )


@settings(max_examples=60)
@given(st.lists(perf_values(), max_size=5))
def test_perfdata_round_trip(values: list[PerfValue]) -> None:
    text = "SERVICE OK | " + " ".join(_format(value) for value in values)
    output = parse_output(text)
    assert output.invalid == ()
    assert list(output.perfdata) == values
