"""The ``command`` check: run any Nagios-compatible plugin and take its verdict.

The plugin runs without a shell, in the inventory's folder, with stdin closed and in a session
of its own, so that on timeout or cancellation the whole process group is ended (SIGTERM, a
short grace, then SIGKILL) and no child it started outlives the check. Its exit code is the
status (0 ok, 1 warn, 2 fail, 3 error); its output gives the summary and performance data.

The plugin sees a small environment (PATH, HOME, the locale, TZ, TMPDIR, USER, LOGNAME) plus
the variables the check names in ``env``: the environment of freecost itself holds the
secrets of every other check, and a plugin is given only the ones it was meant to have.

``network`` is False: a plugin may or may not use the network, and when it reports a failure
that is its own finding. Blaming it on this machine being offline (the vantage check) would
turn a full local disk into "network down".
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

from freecost.checktypes.command import Check
from freecost.durations import format_duration
from freecost.errors import SecretError
from freecost.probes.context import ProbeContext
from freecost.probes.perfdata import PluginOutput, parse_output
from freecost.results import Layer, Outcome, Status

# The check's parameters are defined in freecost.checktypes.command; kept reachable here.
__all__ = ["Check", "probe"]

OUTPUT_CAP = 64 * 1024
STDERR_CAP = 8 * 1024
SUMMARY_LIMIT = 200
LONG_OUTPUT_LIMIT = 4000
STDERR_LIMIT = 500
# Below the runner's own grace for a cancelled probe, so the group is gone before it gives up.
KILL_GRACE = 0.15
REAP_LIMIT = 1.0
# Shorter secret values are not worth hiding and would shred the output ("1", "C").
MIN_REDACTED = 4

_TERMINAL_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")
_INHERITED = ("PATH", "HOME", "LANG", "TZ", "TMPDIR", "USER", "LOGNAME")
_STATUS_BY_CODE = {0: Status.OK, 1: Status.WARN, 2: Status.FAIL, 3: Status.ERROR}


@dataclass(frozen=True)
class Finished:
    """A plugin that exited: its code (negative: killed by that signal) and what it printed."""

    returncode: int
    stdout: bytes
    stderr: bytes
    truncated: bool


class PluginMissing(Exception):
    """The program of a command cannot be run; the message says why, naming it."""


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Run the plugin once and turn its exit code and output into an outcome."""
    plugin = _clean(check.command[0], 200)
    # Summaries name the plugin as a person knows it; details keep the path as written.
    name = _clean(Path(check.command[0]).name or check.command[0], 100)
    try:
        extra = {key: ctx.secret(ref) for key, ref in check.env.items()}
    except SecretError as exc:
        return Outcome.error(str(exc), Layer.LOCAL)
    env = _environment(os.environ if ctx.environ is None else ctx.environ, extra)
    try:
        program = _locate(check.command[0], ctx.base_dir, env["PATH"])
    except PluginMissing as exc:
        return Outcome.error(str(exc), Layer.CONFIG, plugin=plugin)
    deadline = (check.timeout or ctx.settings.timeout).total_seconds()
    limit = _own_limit(deadline)
    try:
        finished = await _execute([program, *check.command[1:]], env, ctx.base_dir, limit)
    except TimeoutError:
        waited = format_duration(timedelta(seconds=limit))
        return Outcome.fail(
            f"plugin {name} did not finish within {waited}", Layer.TIMEOUT, plugin=plugin
        )
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        summary = f"plugin {plugin} cannot be run: {reason}"
        return Outcome.error(summary, Layer.CONFIG, plugin=plugin)
    outcome = _verdict(name, finished, [value for value in extra.values() if value])
    return replace(outcome, details={"plugin": plugin, **outcome.details})


def _own_limit(deadline: float) -> float:
    """Our deadline, early enough that a plugin killed at it is reported before the runner's."""
    return max(deadline / 2, deadline - 1.0)


def _environment(parent: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
    env = {
        key: value for key, value in parent.items() if key in _INHERITED or key.startswith("LC_")
    }
    env.setdefault("PATH", os.defpath)
    env.update(extra)
    return env


def _locate(program: str, base_dir: Path, search_path: str) -> str:
    """The path to execute; relative paths are relative to the inventory's folder."""
    if os.sep not in program and not program.startswith("~"):
        found = shutil.which(program, path=search_path)
        if found is None:
            raise PluginMissing(f"plugin {_clean(program, 100)} is not on the PATH")
        return found
    path = Path(program).expanduser()
    if not path.is_absolute():
        path = base_dir / path
    shown = _clean(program, 100)
    if not path.exists():
        raise PluginMissing(f"plugin {shown} does not exist")
    if not path.is_file():
        raise PluginMissing(f"plugin {shown} is not a file")
    if not os.access(path, os.X_OK):
        raise PluginMissing(f"plugin {shown} is not executable (chmod +x {shown})")
    return str(path)


async def _execute(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, limit: float
) -> Finished:
    """Run the plugin to its end; TimeoutError when it outlasts ``limit`` (it is killed)."""
    process = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    assert process.stdout is not None
    assert process.stderr is not None
    readers = (
        asyncio.create_task(_drain(process.stdout, OUTPUT_CAP)),
        asyncio.create_task(_drain(process.stderr, STDERR_CAP)),
    )
    try:
        async with asyncio.timeout(limit):
            # Finished means exited with its output closed: a child still holding the
            # output open is part of the plugin, and is waited for (or killed) with it.
            await asyncio.wait(readers)
            returncode = await process.wait()
    finally:
        await _stop(process, readers)
    (stdout, truncated), (stderr, _) = readers[0].result(), readers[1].result()
    return Finished(returncode, stdout, stderr, truncated)


async def _drain(stream: asyncio.StreamReader, cap: int) -> tuple[bytes, bool]:
    """Read to the end, keeping the first ``cap`` bytes: a plugin never blocks on a full pipe."""
    kept = bytearray()
    truncated = False
    while chunk := await stream.read(65536):
        room = cap - len(kept)
        kept += chunk[: max(room, 0)]
        truncated = truncated or len(chunk) > room
    return bytes(kept), truncated


async def _stop(process: asyncio.subprocess.Process, readers: Sequence[asyncio.Task[Any]]) -> None:
    """End the plugin's whole process group, whatever state it is in, and reap it."""
    try:
        if process.returncode is None:
            _signal_group(process.pid, signal.SIGTERM)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(KILL_GRACE):
                    await process.wait()
    finally:
        # Also after a normal exit: children the plugin left behind share its group.
        _signal_group(process.pid, signal.SIGKILL)
        await _reap(process, readers)


def _signal_group(pgid: int, signum: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


async def _reap(process: asyncio.subprocess.Process, readers: Sequence[asyncio.Task[Any]]) -> None:
    waiter = asyncio.create_task(process.wait())
    try:
        # Bounded: a process that left our session (setsid) may hold the pipes open.
        await asyncio.wait([*readers, waiter], timeout=REAP_LIMIT)
    finally:
        for task in (*readers, waiter):
            task.cancel()


def _verdict(name: str, finished: Finished, secrets: Sequence[str]) -> Outcome:
    stdout = _redact(finished.stdout.decode("utf-8", "replace"), secrets)
    stderr = _redact(finished.stderr.decode("utf-8", "replace"), secrets)
    output = parse_output(stdout)
    details = _details(finished, output, stderr)
    code = finished.returncode
    said = _clean(output.summary, SUMMARY_LIMIT)
    status = _STATUS_BY_CODE.get(code)
    if status is None:
        return Outcome.error(_abnormal(name, code, said or _first_line(stderr)), **details)
    summary = said or f"plugin {name} printed nothing (exit code {code})"
    # The plugin's own verdict, even UNKNOWN: the layer says who decided.
    layer = None if status is Status.OK else Layer.VENDOR
    return Outcome(status, summary, layer, details)


def _abnormal(name: str, code: int, said: str) -> str:
    if code < 0:
        try:
            how = f"was killed by signal {signal.Signals(-code).name}"
        except ValueError:
            how = f"was killed by signal {-code}"
    else:
        how = f"exited with code {code}, which is not a plugin status (0-3)"
    text = f"plugin {name} {how}"
    return _clean(f"{text}: {said}" if said else text, SUMMARY_LIMIT)


def _details(finished: Finished, output: PluginOutput, stderr: str) -> dict[str, Any]:
    details: dict[str, Any] = {
        "exit_code": finished.returncode,
        "perfdata": [value.to_json() for value in output.perfdata],
    }
    if output.invalid:
        details["perfdata_invalid"] = [_clean(token, 100) for token in output.invalid]
    if output.long_output:
        details["long_output"] = _clean(output.long_output, LONG_OUTPUT_LIMIT, lines=True)
    if stderr.strip():
        details["stderr"] = _clean(stderr.strip(), STDERR_LIMIT, lines=True)
    if finished.truncated:
        details["output_truncated"] = True
    return details


def _redact(text: str, secrets: Sequence[str]) -> str:
    for value in sorted(secrets, key=len, reverse=True):
        if len(value) >= MIN_REDACTED:
            text = text.replace(value, "***")
    return text


def _first_line(text: str) -> str:
    lines = text.strip().splitlines()
    return _clean(lines[0], SUMMARY_LIMIT) if lines else ""


def _clean(text: str, limit: int, *, lines: bool = False) -> str:
    """Plain text: colour codes dropped, other control characters spaced; cut at ``limit``."""
    kept = "\n" if lines else ""
    text = _TERMINAL_ESCAPE.sub("", text)
    plain = "".join(c if c.isprintable() or c in kept else " " for c in text)
    plain = plain if lines else plain.strip()
    return plain if len(plain) <= limit else plain[: limit - 1] + "…"
