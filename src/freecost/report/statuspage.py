"""The public status page: which ways to reach the business work now, and what to use instead.

The business publishes it for its own customers, so it says only what the owner wrote for
them: the function names (“Prospects reach us by phone”), the names of the alternatives, the
business contact and when the page was made. Grades, risks, findings, check names, hosts,
error texts and account ids stay out, because a check's summary or an incident can carry
them; the page never shows any text from a check result.

How a function's state is read from the document:

* Each check's latest result: ``ok`` and ``warn`` mean working (``warn`` is slow, not down,
  as the uptime accounting counts it); ``fail`` means trouble; ``error`` means freecost
  could not tell (this machine was offline, a secret was missing), so it is *unknown*, never
  trouble. A result older than ``max_age`` is unknown too: it says nothing about now.
* A dependency is in trouble when any of its checks is, working when all its checks are, and
  unknown otherwise. One without checks says nothing either way.
* A function follows the dependencies it needs, and what those need in turn: trouble if
  any of them is in trouble, else unknown if any is unknown, else working if at least one
  was seen working, else unknown (nothing on its path is watched).
* When a function is in trouble (or unknown), the alternatives listed for the dependencies
  on its path that are not in trouble themselves are named as what to use instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

State = Literal["working", "trouble", "unknown"]
CHECK_STATES: Mapping[str, State] = {
    "ok": "working",
    "warn": "working",
    "fail": "trouble",
    "error": "unknown",
}
ORDER: tuple[State, ...] = ("trouble", "unknown", "working")
"""The worse state first: it is the one a customer needs to hear about."""
MAX_AGE = timedelta(hours=36)
"""How old a result may be and still tell the state now: one and a half times the interval
of a daily check, the longest usual one (the same allowance the uptime accounting gives)."""
MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
"""Month names spelled out, not by the locale: the page reads the same wherever it is made."""


@dataclass(frozen=True)
class FunctionStatus:
    """What the page says about one function."""

    name: str
    state: State
    alternatives: tuple[str, ...]
    """Names of what to use instead; shown only when the function is not working."""


def function_statuses(
    document: Mapping[str, Any], *, max_age: timedelta = MAX_AGE
) -> list[FunctionStatus]:
    """Every function's state from its dependencies' latest checks, in the document's order."""
    made = _moment(document.get("generated_at")) or datetime.now(UTC)
    own = {
        dep["id"]: _dependency_state(dep.get("checks") or [], made, max_age)
        for dep in document["dependencies"]
    }
    names = {dep["id"]: str(dep["name"]) for dep in document["dependencies"]}
    needs: dict[str, list[str]] = {}
    alternatives: dict[str, list[str]] = {}
    for edge in document["map"]["edges"]:
        target = needs if edge["kind"] == "needs" else alternatives
        target.setdefault(edge["from"], []).append(edge["to"])
    graph = _Graph(own, needs)
    found = []
    for function in document["functions"]:
        path = graph.closure(needs.get(function["id"], []))
        state = _combine(own.get(node) for node in path)
        use_instead: list[str] = []
        if state != "working":
            for node in path:
                for alternative in alternatives.get(node, []):
                    if (
                        alternative not in path
                        and graph.state(alternative) != "trouble"
                        and names.get(alternative) not in use_instead
                        and alternative in names
                    ):
                        use_instead.append(names[alternative])
        found.append(FunctionStatus(str(function["name"]), state or "unknown", tuple(use_instead)))
    return found


class _Graph:
    """Dependencies with what they need, to follow a function's path to the bottom."""

    def __init__(self, own: Mapping[str, State | None], needs: Mapping[str, list[str]]) -> None:
        self.own = own
        self.needs = needs

    def closure(self, start: Iterable[str]) -> list[str]:
        """``start`` and everything it needs, in the order met (a cycle is walked once)."""
        seen: list[str] = []
        todo = list(start)
        while todo:
            node = todo.pop(0)
            if node not in seen:
                seen.append(node)
                todo += self.needs.get(node, [])
        return seen

    def state(self, node: str) -> State | None:
        """A dependency's state with what it needs."""
        return _combine(self.own.get(n) for n in self.closure([node]))


def _dependency_state(
    checks: Sequence[Mapping[str, Any]], made: datetime, max_age: timedelta
) -> State | None:
    states = [_check_state(check, made, max_age) for check in checks]
    if not states:
        return None
    if "trouble" in states:
        return "trouble"
    return "working" if all(s == "working" for s in states) else "unknown"


def _check_state(check: Mapping[str, Any], made: datetime, max_age: timedelta) -> State:
    seen = _moment(check.get("observed_at"))
    if seen is None or made - seen > max_age:
        return "unknown"
    return CHECK_STATES.get(str(check.get("status")), "unknown")


def _combine(states: Iterable[State | None]) -> State | None:
    """Trouble beats unknown beats working; None when nothing was seen at all."""
    found = {s for s in states if s is not None}
    return next((state for state in ORDER if state in found), None)


def _moment(value: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return found if found.tzinfo else found.replace(tzinfo=UTC)


def updated_text(document: Mapping[str, Any]) -> str:
    """When the page was made, in the business's own timezone, in words."""
    name = str((document.get("period") or {}).get("timezone") or "UTC")
    try:
        zone = ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone, name = ZoneInfo("UTC"), "UTC"
    made = _moment(document.get("generated_at"))
    if made is None:
        return "unknown"
    local = made.astimezone(zone)
    return f"{local.day} {MONTHS[local.month - 1]} {local.year}, {local:%H:%M} ({name})"


def render_status_page(document: Mapping[str, Any], *, max_age: timedelta = MAX_AGE) -> str:
    """The status page as one self-contained HTML file: inline CSS, no scripts."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("freecost.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    statuses = function_statuses(document, max_age=max_age)
    overall = _combine(s.state for s in statuses) or "unknown"
    return env.get_template("statuspage.html.j2").render(
        business=document["business"]["name"],
        contact=document["business"].get("contact"),
        functions=statuses,
        overall=overall,
        updated=updated_text(document),
    )
