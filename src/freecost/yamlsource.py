"""Safe YAML reading that remembers where every value stood in the file.

Why not ``yaml.safe_load``: it forgets line numbers, silently keeps the last of two duplicate
keys, recurses once per nesting level (a 10,000-deep document crashes it) and expands aliases
without limit (a "billion laughs" document eats the machine). This reader builds the data
from the parser's event stream with an explicit stack, so depth, alias expansion and size are
bounded before any work is spent on them, and it records a (line, column) for every value.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from freecost.errors import Problem, SourceError

MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 64
MAX_VALUES = 100_000

PathKey = tuple[str | int, ...]
Mark = tuple[int, int]

_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_MAP_TAG = "tag:yaml.org,2002:map"
_SEQ_TAG = "tag:yaml.org,2002:seq"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_SCALAR_TAGS = {
    f"tag:yaml.org,2002:{name}"
    for name in ("str", "int", "float", "bool", "null", "timestamp", "binary")
}


@dataclass
class Document:
    """A parsed YAML document: plain Python data plus where each value and key stood."""

    file: str
    data: Any
    marks: dict[PathKey, Mark] = field(default_factory=dict)
    key_marks: dict[PathKey, Mark] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def locate(self, path: PathKey, *, key: bool = False) -> Mark | None:
        """The position of ``path`` (its key when ``key``), else of its nearest located parent."""
        if key and path in self.key_marks:
            return self.key_marks[path]
        for end in range(len(path), -1, -1):
            mark = self.marks.get(path[:end])
            if mark is not None:
                return mark
        return None

    def problem(self, path: PathKey, message: str, *, key: bool = False) -> Problem:
        """A Problem at ``path``, named in the dotted form people read (``functions[0].rto``)."""
        mark = self.locate(path, key=key)
        line, column = mark if mark else (None, None)
        return Problem(self.file, line, column, dotted(path), message)


def dotted(path: PathKey) -> str:
    """``('functions', 0, 'rto')`` → ``functions[0].rto``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def read_document(path: Path, display: str | None = None) -> Document:
    """Read and parse one YAML file; every way it can be unusable becomes a SourceError."""
    name = display or str(path)
    try:
        if path.is_dir():
            raise SourceError(Problem(name, None, None, "", "is a directory, not a YAML file"))
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise SourceError(
                Problem(
                    name,
                    None,
                    None,
                    "",
                    f"is {size / 1e6:.1f} MB; the limit is "
                    f"{MAX_BYTES // (1024 * 1024)} MB for one file",
                )
            )
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise SourceError(Problem(name, None, None, "", "no such file")) from None
    except PermissionError:
        raise SourceError(
            Problem(name, None, None, "", "cannot be read: permission denied")
        ) from None
    except OSError as exc:
        raise SourceError(
            Problem(name, None, None, "", f"cannot be read: {exc.strerror}")
        ) from None
    if len(raw) > MAX_BYTES:
        raise SourceError(Problem(name, None, None, "", "grew past the size limit while read"))
    return parse_document(_decode(raw, name), name)


def _decode(raw: bytes, name: str) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            Problem(
                name,
                line,
                column,
                "",
                f"not UTF-8 text (byte 0x{raw[exc.start]:02x}); is this a binary file?",
            )
        ) from None
    nul = text.find("\0")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        raise SourceError(
            Problem(name, line, None, "", "contains NUL bytes; is this a binary file?")
        )
    return text


def parse_document(text: str, name: str) -> Document:
    """Parse YAML ``text``; ``name`` is used in messages. Empty text gives ``data=None``."""
    builder = _Builder(name)
    try:
        for event in yaml.parse(text, Loader=_Loader):
            builder.feed(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (None, None)
        reason = " ".join(part for part in (exc.context, exc.problem) if part)
        raise SourceError(Problem(name, line, column, "", f"YAML syntax error: {reason}")) from None
    except yaml.reader.ReaderError as exc:
        line, column = _position(text, _offending(text, exc.character))
        raise SourceError(
            Problem(
                name,
                line,
                column,
                "",
                f"character {_codepoint(exc.character)} is not allowed in YAML",
            )
        ) from None
    except yaml.YAMLError as exc:
        reason = " ".join(str(exc).split())
        raise SourceError(Problem(name, None, None, "", f"YAML syntax error: {reason}")) from None
    except UnicodeError:
        # Only text handed in directly can get here (files are decoded strictly first).
        raise SourceError(Problem(name, None, None, "", "not valid Unicode text")) from None
    return builder.document


def _codepoint(character: int | str) -> str:
    number = character if isinstance(character, int) else ord(character[:1] or "\0")
    return f"U+{number:04X}"


def _offending(text: str, character: int | str) -> int:
    # The reader stops at the first character it refuses; its own position counts bytes
    # in the C parser, so find the character instead.
    number = character if isinstance(character, int) else ord(character[:1] or "\0")
    found = text.find(chr(number))
    return found if found >= 0 else 0


_BREAK = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def _position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset``, counting line breaks as YAML does."""
    breaks = list(_BREAK.finditer(text, 0, offset))
    start = breaks[-1].end() if breaks else 0
    return len(breaks) + 1, offset - start + 1


@dataclass
class _Frame:
    kind: str
    container: Any
    path: PathKey
    anchor: str | None
    values: int = 1
    key: Any = None
    has_key: bool = False
    key_mark: Mark | None = None
    merged: list[Any] = field(default_factory=list)
    merge_pending: bool = False


class _Builder:
    """Turns parser events into Python data with an explicit stack (no recursion)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.document = Document(file=name, data=None)
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.documents = 0
        self.resolver = Resolver()
        self.constructor = SafeConstructor()
        self.event: Any = None

    def fail(self, event: Any, message: str) -> SourceError:
        mark = event.start_mark
        return SourceError(Problem(self.name, mark.line + 1, mark.column + 1, "", message))

    def feed(self, event: Any) -> None:
        self.event = event
        if isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                raise self.fail(event, "more than one YAML document; put everything in one")
        elif isinstance(event, yaml.ScalarEvent):
            self._scalar(event)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(event)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close()

    def _child_path(self, event: Any) -> PathKey:
        if not self.stack:
            return ()
        top = self.stack[-1]
        if top.kind == "seq":
            return (*top.path, len(top.container))
        if top.has_key:
            return (*top.path, str(top.key))
        return top.path

    def _is_key_position(self) -> bool:
        return bool(self.stack) and self.stack[-1].kind == "map" and not self.stack[-1].has_key

    def _scalar(self, event: Any) -> None:
        tag = event.tag
        if tag in (None, "!"):
            tag = self.resolver.resolve(ScalarNode, event.value, event.implicit)  # type: ignore[no-untyped-call]
        if tag == _MERGE_TAG:
            if self._is_key_position():
                self.stack[-1].merge_pending = True
                self.stack[-1].has_key = True
                return
            tag = "tag:yaml.org,2002:str"  # a plain `<<` anywhere else is just text
        if tag not in _SCALAR_TAGS:
            raise self.fail(event, f"unsupported YAML tag '{_short_tag(event.tag)}'")
        node = ScalarNode(tag, event.value, event.start_mark, event.end_mark)
        try:
            value = self.constructor.yaml_constructors[tag](self.constructor, node)
        except (yaml.YAMLError, ValueError) as exc:
            raise self.fail(event, f"cannot read value '{event.value[:40]}': {exc}") from None
        if event.anchor:
            self.anchors[event.anchor] = (value, 1)
        self._emit(event, value, 1)

    def _alias(self, event: Any) -> None:
        if event.anchor not in self.anchors:
            raise self.fail(event, f"unknown alias '*{event.anchor}'")
        value, size = self.anchors[event.anchor]
        self._emit(event, value, size)

    def _open(self, event: Any) -> None:
        if len(self.stack) >= MAX_DEPTH:
            raise self.fail(event, f"nested deeper than {MAX_DEPTH} levels")
        is_map = isinstance(event, yaml.MappingStartEvent)
        if event.tag not in (None, "!", _MAP_TAG if is_map else _SEQ_TAG):
            raise self.fail(event, f"unsupported YAML tag '{_short_tag(event.tag)}'")
        if self._is_key_position() and not self.stack[-1].merge_pending:
            raise self.fail(event, "a key must be plain text, not a list or mapping")
        path = self._child_path(event)
        self._record(event, path)
        container: Any = {} if is_map else []
        self.stack.append(_Frame("map" if is_map else "seq", container, path, event.anchor))

    def _close(self) -> None:
        frame = self.stack.pop()
        if frame.kind == "map":
            for source in frame.merged:
                for key, value in source.items():
                    frame.container.setdefault(key, value)
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.values)
        if not self.stack:
            self.document.data = frame.container
            return
        # The children were counted into every open frame as they arrived; add only this one.
        self._attach(frame.container, 1)

    def _record(self, event: Any, path: PathKey) -> None:
        if self.stack and self.stack[-1].merge_pending:
            return
        mark = (event.start_mark.line + 1, event.start_mark.column + 1)
        self.document.marks.setdefault(path, mark)
        if self.stack and self.stack[-1].kind == "map" and self.stack[-1].key_mark:
            self.document.key_marks.setdefault(path, self.stack[-1].key_mark)

    def _emit(self, event: Any, value: Any, size: int) -> None:
        if not self.stack:
            self.document.data = value
            self.document.marks[()] = (event.start_mark.line + 1, event.start_mark.column + 1)
            return
        top = self.stack[-1]
        if top.kind == "map" and not top.has_key:
            top.key = value
            top.has_key = True
            top.key_mark = (event.start_mark.line + 1, event.start_mark.column + 1)
            return
        self._record(event, self._child_path(event))
        self._attach(value, size)

    def _attach(self, value: Any, size: int) -> None:
        top = self.stack[-1]
        for frame in self.stack:
            frame.values += size
        if self.stack[0].values > MAX_VALUES:
            raise self.fail(
                self.event,
                f"expands to more than {MAX_VALUES} values "
                "(aliases inside aliases: a 'YAML bomb'?)",
            )
        if top.kind == "seq":
            top.container.append(value)
            return
        if top.merge_pending:
            sources = value if isinstance(value, list) else [value]
            top.merged.extend(s for s in sources if isinstance(s, dict))
            top.merge_pending = top.has_key = False
            return
        key = str(top.key) if top.key is not None else "null"
        if key in top.container:
            path = (*top.path, key)
            first = self.document.key_marks.get(path)
            where = f" (first at line {first[0]})" if first else ""
            mark = top.key_mark or (None, None)
            self.document.problems.append(
                Problem(self.name, mark[0], mark[1], dotted(path), f"duplicate key{where}")
            )
        else:
            top.container[key] = value
            if top.key_mark:
                self.document.key_marks.setdefault((*top.path, key), top.key_mark)
        top.has_key = False
        top.key_mark = None


def _short_tag(tag: str | None) -> str:
    return (tag or "").replace("tag:yaml.org,2002:", "!!")


def iter_paths(data: Any, path: PathKey = ()) -> Iterator[PathKey]:
    """Every path in ``data`` (mappings and lists), parents first; used by tests and tools."""
    stack = [(path, data)]
    while stack:
        current, value = stack.pop()
        yield current
        if isinstance(value, dict):
            stack.extend(((*current, k), v) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend(((*current, i), v) for i, v in enumerate(value))
