"""The vocabulary every status-page reader normalises to, and the helpers they share.

A reader turns one vendor's JSON into a :class:`Reading`: a :class:`Level` (ok, warn, fail),
the vendor's own words for the state, the component it matched and the incidents and
maintenances it counted. Anything it cannot interpret (a missing field, a status value it
does not know, a component the page does not list) raises :class:`PageError`, which the
probe reports as ``error``: a reader never guesses, because a wrong guess hides an outage.

Text from the page is plain text: control and bidi-override characters removed, whitespace
collapsed, truncated. It is not HTML-escaped here; escaping belongs to whoever renders it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any
from urllib.parse import urljoin, urlsplit

TEXT_LIMIT = 200
NAME_LIMIT = 80
LISTED_NAMES = 8
_BIDI = dict.fromkeys(
    map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)
_SPACE = re.compile(r"\s+")


class Level(IntEnum):
    """How bad the page says things are; ordered so that ``max`` is the worst."""

    OK = 0
    WARN = 1
    FAIL = 2


class PageError(Exception):
    """The page answered, but not in a form this reader can trust."""

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class ComponentNotFound(PageError):
    """The check names a component (or product) the page does not list."""


@dataclass(frozen=True)
class Incident:
    """An active incident or maintenance, as the details of a result show it."""

    title: str
    level: Level
    status: str | None = None
    impact: str | None = None
    link: str | None = None
    started: str | None = None

    def to_json(self) -> dict[str, str | None]:
        return {
            "title": self.title,
            "status": self.status,
            "impact": self.impact,
            "link": self.link,
            "started": self.started,
        }


@dataclass(frozen=True)
class Reading:
    """What a reader found on one page, already normalised."""

    level: Level
    state: str
    """The vendor's words for the page or component (``partial outage``)."""
    page_name: str | None = None
    page_status: str | None = None
    component: str | None = None
    incidents: tuple[Incident, ...] = ()
    maintenances: tuple[Incident, ...] = ()
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Part:
    """A component (or resource) the page lists; its state is read only when it matters."""

    name: str
    refs: frozenset[str]
    """How incidents refer to it: ``id:…`` and ``name:…`` (see :func:`ref`)."""
    state: Callable[[], tuple[Level, str]]


@dataclass(frozen=True)
class Event:
    """An active incident or maintenance and the components it names."""

    incident: Incident
    refs: frozenset[str] = frozenset()


def ref(kind: str, value: Any) -> set[str]:
    """``{kind:value}`` for an id or (compared by :func:`key`) a name; empty if absent."""
    if kind == "name":
        return {f"name:{key(value)}"} if isinstance(value, str) else set()
    return (
        {f"id:{value}"} if isinstance(value, str | int) and not isinstance(value, bool) else set()
    )


def judge(
    wanted: str | None,
    parts: Sequence[Part],
    incidents: Sequence[Event],
    maintenances: Sequence[Event],
    overall: tuple[Level, str],
    page_name: str | None,
) -> Reading:
    """The common rules: for the whole page the worst of everything (an incident at least
    warn, a maintenance warn); for one component its own state, fail while an incident names
    it and warn while a maintenance names it."""
    page_level, page_words = overall
    if wanted is None:
        levels = [page_level, *(part.state()[0] for part in parts)]
        levels += [event.incident.level for event in incidents]
        return Reading(
            level=worst([*levels, *(Level.WARN for _ in maintenances)]),
            state=page_words,
            page_name=page_name,
            page_status=page_words,
            incidents=tuple(event.incident for event in incidents),
            maintenances=tuple(event.incident for event in maintenances),
        )
    matched = [part for part in parts if key(part.name) == key(wanted)]
    if not matched:
        raise not_found("component", wanted, [part.name for part in parts])
    level, words = max((part.state() for part in matched), key=lambda state: state[0])
    refs = set(ref("name", wanted)).union(*(part.refs for part in matched))
    hits = tuple(event.incident for event in incidents if event.refs & refs)
    busy = tuple(event.incident for event in maintenances if event.refs & refs)
    return Reading(
        level=worst([level, *(Level.FAIL for _ in hits), *(Level.WARN for _ in busy)]),
        state=words,
        page_name=page_name,
        page_status=page_words,
        component=plain(matched[0].name, NAME_LIMIT),
        incidents=hits,
        maintenances=busy,
    )


def plain(value: Any, limit: int = TEXT_LIMIT) -> str | None:
    """``value`` as one line of plain text of at most ``limit`` characters, or None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    text = "".join(
        " " if unicodedata.category(char) == "Cc" else char for char in str(value).translate(_BIDI)
    )
    text = _SPACE.sub(" ", text).strip()
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def link(value: Any, base: str) -> str | None:
    """An http(s) URL for ``value`` (relative ones resolved against ``base``), else None."""
    if not isinstance(value, str) or not value.strip() or len(value) > 2000:
        return None
    absolute = urljoin(base, value.strip())
    parts = urlsplit(absolute)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    if any(char.isspace() or unicodedata.category(char) == "Cc" for char in absolute):
        return None
    return absolute


def as_object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PageError(f"unexpected answer: {where} is not a JSON object")
    return value


def as_list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise PageError(f"unexpected answer: {where} is not a list")
    return value


def objects(value: Any, where: str) -> list[dict[str, Any]]:
    """A list whose items must all be objects."""
    return [as_object(item, f"an item of {where}") for item in as_list(value, where)]


def optional_objects(container: Mapping[str, Any], key: str, where: str) -> list[dict[str, Any]]:
    """Like :func:`objects`, but a missing key or null means an empty list."""
    value = container.get(key)
    return [] if value is None else objects(value, where)


def required_text(container: Mapping[str, Any], key: str, where: str) -> str:
    value = container.get(key)
    if not isinstance(value, str):
        raise PageError(f"unexpected answer: {where} has no text '{key}'")
    return value


def classify(table: Mapping[str, tuple[Level, str]], value: Any, what: str) -> tuple[Level, str]:
    """The level and the words for a status value; an unknown value is a PageError."""
    if isinstance(value, str) and value in table:
        return table[value]
    if value is None:
        raise PageError(f"unexpected answer: the page gives no {what}")
    shown = plain(value, 40) if not isinstance(value, str) or value else "(empty)"
    raise PageError(f"the page reports an unknown {what} '{shown}'", unknown_value=shown)


def key(name: str) -> str:
    """How names are compared: case, accents' forms and spacing do not matter."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", name)).strip().casefold()


def not_found(kind: str, wanted: str, names: Iterable[str]) -> ComponentNotFound:
    """The error for a component the page does not list, naming a few that it does."""
    known = list(dict.fromkeys(n for n in (plain(name, NAME_LIMIT) for name in names) if n))
    shown = ", ".join(known[:LISTED_NAMES]) if known else "none"
    more = f" and {len(known) - LISTED_NAMES} more" if len(known) > LISTED_NAMES else ""
    return ComponentNotFound(
        f"the page lists no {kind} named '{plain(wanted, NAME_LIMIT)}'; it lists: {shown}{more}",
        known_components=known[:50],
    )


def worst(levels: Iterable[Level]) -> Level:
    return max(levels, default=Level.OK)


def describe(
    subject: str, state: str, incidents: Sequence[Incident], maint: Sequence[Incident]
) -> str:
    """One line: ``Voice: partial outage; 1 active incident: Calls fail``."""
    parts = [f"{subject}: {state}" if subject else state]
    if incidents:
        count = len(incidents)
        noun = "incident" if count == 1 else "incidents"
        more = ", …" if count > 1 else ""
        parts.append(f"{count} active {noun}: {incidents[0].title}{more}")
    if maint:
        parts.append(f"maintenance in progress: {maint[0].title}")
    return "; ".join(parts)
