"""The ``file-age`` check: a data export or backup is recent, and not empty.

When a vendor dies, its data leaves with it unless a recent export sits somewhere the business
owns. The check finds the newest regular file matching a glob (relative to the inventory's
folder; ``~`` is the home folder; ``**`` spans folders) and compares its age with two
thresholds. The walk runs in a thread, so a slow network mount cannot stall other checks.
"""

from __future__ import annotations

import asyncio
import glob
import os
import re
import stat
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freecost.checktypes.file_age import Check, human_age
from freecost.probes.context import ProbeContext
from freecost.results import Layer, Outcome

# The check's parameters, and how it writes an age, kept reachable here.
__all__ = ["Check", "human_age", "probe"]

PATH_LIMIT = 200
_MAGIC = re.compile(r"[*?[]")


@dataclass(frozen=True)
class Newest:
    """The newest regular file among the matches."""

    path: str
    modified: datetime
    size: int


@dataclass(frozen=True)
class Found:
    """What the walk found: how many regular files matched, and the newest of them."""

    newest: Newest | None
    matches: int
    unreadable: int


class FolderUnreadable(Exception):
    """The folder the pattern starts from exists but cannot be listed."""


async def probe(check: Check, ctx: ProbeContext) -> Outcome:
    """Find the newest matching file and judge its age and size."""
    shown = _shorten(check.path)
    try:
        found = await asyncio.to_thread(_walk, check.path, ctx.base_dir)
    except FolderUnreadable as exc:
        return Outcome.error(str(exc), Layer.LOCAL, pattern=shown)
    if found.newest is None:
        if found.unreadable:
            return Outcome.error(
                f"{found.unreadable} file(s) match {shown} but none can be read",
                Layer.LOCAL,
                pattern=shown,
            )
        return Outcome.fail(f"no file matches {shown}", Layer.CONTENT, pattern=shown, matches=0)
    return _judge(check, found, found.newest, ctx.now())


def _judge(check: Check, found: Found, newest: Newest, now: datetime) -> Outcome:
    age = now - newest.modified
    details: dict[str, Any] = {
        "pattern": _shorten(check.path),
        "newest": newest.path,
        "modified": newest.modified.isoformat(),
        "age": human_age(age),
        "age_seconds": int(age.total_seconds()),
        "size": newest.size,
        "matches": found.matches,
    }
    if found.unreadable:
        details["unreadable"] = found.unreadable
    if newest.size < check.min_size:
        return Outcome.fail(
            f"newest file {newest.path} is {_bytes(newest.size)}, "
            f"smaller than the {_bytes(check.min_size)} expected",
            Layer.CONTENT,
            **details,
        )
    if age < timedelta(0):
        # A clock ahead on the machine that wrote it (a network share): fresh, but say so.
        return Outcome.ok(
            f"newest file {newest.path} is dated {human_age(-age)} in the future", **details
        )
    summary = f"newest file {newest.path} is {human_age(age)} old"
    if age > check.max_age.fail:
        limit = human_age(check.max_age.fail)
        return Outcome.fail(f"{summary} (fail after {limit})", Layer.CONTENT, **details)
    if age > check.max_age.warn:
        limit = human_age(check.max_age.warn)
        return Outcome.warn(f"{summary} (warn after {limit})", Layer.CONTENT, **details)
    return Outcome.ok(summary, **details)


def _walk(pattern: str, base_dir: Path) -> Found:
    """Runs in a thread: list the matches and stat each one."""
    expanded = _expand_home(pattern)
    folder = _start_folder(pattern, base_dir)
    _check_folder(folder, _display(folder, base_dir))
    newest: Newest | None = None
    matches = unreadable = 0
    for name in glob.iglob(expanded, root_dir=base_dir, recursive=True):
        path = base_dir / name
        try:
            info = path.stat()
        except FileNotFoundError:
            continue  # gone since it was listed, or a broken link
        except OSError:
            unreadable += 1
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        matches += 1
        modified = datetime.fromtimestamp(info.st_mtime, UTC)
        if newest is None or modified > newest.modified:
            newest = Newest(_display(path, base_dir), modified, info.st_size)
    return Found(newest, matches, unreadable)


def _expand_home(pattern: str) -> str:
    """``~`` expanded, the home folder escaped so a ``[`` in it is not read as a pattern."""
    head, sep, tail = pattern.partition("/")
    home = os.path.expanduser(head)
    return pattern if home == head else glob.escape(home) + sep + tail


def _start_folder(pattern: str, base_dir: Path) -> Path:
    """The folder before the first wildcard: the one that must be readable."""
    parts = Path(os.path.expanduser(pattern)).parts[:-1]
    literal: list[str] = []
    for part in parts:
        if _MAGIC.search(part):
            break
        literal.append(part)
    return base_dir.joinpath(*literal)


def _check_folder(folder: Path, shown: str) -> None:
    # glob quietly skips folders it cannot list, which would read as "no export".
    try:
        with os.scandir(folder):
            pass
    except (FileNotFoundError, NotADirectoryError):
        return  # nothing there matches: the probe says so
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise FolderUnreadable(f"cannot read folder {shown}: {reason}") from None


def _display(path: Path, base_dir: Path) -> str:
    shown = path.relative_to(base_dir) if path.is_relative_to(base_dir) else path
    return _shorten(str(shown))


def _shorten(text: str) -> str:
    plain = "".join(c if c.isprintable() else " " for c in text)
    return plain if len(plain) <= PATH_LIMIT else "…" + plain[-(PATH_LIMIT - 1) :]


def _bytes(size: int) -> str:
    return "1 byte" if size == 1 else f"{size} bytes"
