"""What changed since the last audit: two report documents side by side.

``freecost audit --compare PREVIOUS.json`` puts :func:`compare`'s answer in the document
under ``"compare"``; every renderer shows it from there. The answer is plain data with a
sentence (``line``) for each change, so a renderer needs no logic of its own and the JSON
reads on its own. Findings are matched by dependency and code (a dependency can carry the
same code twice, so they are counted, not just looked up); recommendations by dependency
and action.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from freecost.report.data import SCHEMA_VERSION
from freecost.report.markdown import inline


def schema_major(document: Mapping[str, Any], which: str) -> int:
    """The major schema version of ``document``; ValueError when it is missing or unknown."""
    found = document.get("schema_version")
    major: int | None = None
    if isinstance(found, int) and not isinstance(found, bool):
        major = found
    elif isinstance(found, str) and found.split(".", 1)[0].isdigit():
        major = int(found.split(".", 1)[0])
    if major is None:
        raise ValueError(f"the {which} report has no usable schema_version ({found!r})")
    if major != SCHEMA_VERSION:
        raise ValueError(
            f"the {which} report has schema_version {found}, and this freecost compares "
            f"reports of schema_version {SCHEMA_VERSION} only; make both with the same "
            "freecost version"
        )
    return major


def compare(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """What improved and what got worse from ``previous`` to ``current``, JSON-ready."""
    schema_major(previous, "previous")
    schema_major(current, "current")
    improved: list[dict[str, Any]] = []
    worse: list[dict[str, Any]] = []
    added: list[dict[str, Any]] = []
    removed: list[dict[str, Any]] = []
    unchanged = 0
    for kind in ("dependency", "function"):
        key = "dependencies" if kind == "dependency" else "functions"
        before = {item["id"]: item for item in previous.get(key) or []}
        after = {item["id"]: item for item in current.get(key) or []}
        for ident, now in after.items():
            if ident not in before:
                added.append(
                    _entry(kind, now, f"New {kind}: {now['name']} (grade {now['grade']}).")
                )
                continue
            change = _risk_change(kind, before[ident], now)
            if change is None:
                unchanged += 1
            else:
                (improved if change["after"]["risk"] < change["before"]["risk"] else worse).append(
                    change
                )
        for ident, then in before.items():
            if ident not in after:
                removed.append(_entry(kind, then, f"No longer listed: {kind} {then['name']}."))
    shared = {d["id"] for d in previous.get("dependencies") or []} & {
        d["id"] for d in current.get("dependencies") or []
    }
    names = {d["id"]: d["name"] for d in current.get("dependencies") or []}
    new, gone = _findings(previous, current, shared)
    worse += [_finding_entry(f, names, "New finding on") for f in new]
    improved += [_finding_entry(f, names, "Resolved on") for f in gone]
    improved += [
        {
            "kind": "recommendation",
            "dependency": rec["dependency"],
            "action": rec["action"],
            "line": f"Done, or no longer needed: {rec['action']}",
        }
        for rec in _gone_recommendations(previous, current, shared)
    ]
    overall_before, overall_after = previous["overall"], current["overall"]
    return {
        "previous": {
            "generated_at": previous.get("generated_at"),
            "overall": {"grade": overall_before["grade"], "risk": overall_before["risk"]},
        },
        "overall": _overall(overall_before, overall_after),
        "improved": improved,
        "worse": worse,
        "unchanged": unchanged,
        "added": added,
        "removed": removed,
        "notes": _notes(previous, current),
    }


def _entry(kind: str, item: Mapping[str, Any], line: str) -> dict[str, Any]:
    return {"kind": kind, "id": item["id"], "name": item["name"], "line": line}


def _overall(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    direction = _direction(before["risk"], after["risk"])
    if direction == "same":
        line = f"Overall: grade {after['grade']}, risk {after['risk']}, as before."
    else:
        line = (
            f"Overall {direction}: grade {before['grade']} → {after['grade']}, "
            f"risk {before['risk']} → {after['risk']} (lower is better)."
        )
    return {
        "before": {"grade": before["grade"], "risk": before["risk"]},
        "after": {"grade": after["grade"], "risk": after["risk"]},
        "direction": direction,
        "line": line,
    }


def _direction(before: int, after: int) -> str:
    if after < before:
        return "better"
    return "worse" if after > before else "same"


def _risk_change(
    kind: str, before: Mapping[str, Any], after: Mapping[str, Any]
) -> dict[str, Any] | None:
    """A dependency's or function's grade and risk, when either moved."""
    if before["risk"] == after["risk"] and before["grade"] == after["grade"]:
        return None
    direction = _direction(before["risk"], after["risk"])
    grade = (
        f"grade {before['grade']} → {after['grade']}"
        if before["grade"] != after["grade"]
        else f"grade {after['grade']}"
    )
    return {
        **_entry(kind, after, ""),
        "before": {"grade": before["grade"], "risk": before["risk"]},
        "after": {"grade": after["grade"], "risk": after["risk"]},
        "line": f"{after['name']} is {direction}: {grade}, "
        f"risk {before['risk']} → {after['risk']}.",
    }


def _findings(
    previous: Mapping[str, Any], current: Mapping[str, Any], shared: set[str]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Findings added and resolved on the dependencies both reports have."""
    new: list[Mapping[str, Any]] = []
    gone: list[Mapping[str, Any]] = []
    before = _by_key(previous, shared)
    after = _by_key(current, shared)
    for key in sorted(before.keys() | after.keys()):
        then, now = _unmatched(before.get(key, []), after.get(key, []))
        # The same code with a reworded message (a number changed) is the same finding;
        # only a difference in count is a finding added or resolved.
        paired = min(len(then), len(now))
        gone += then[paired:]
        new += now[paired:]
    return new, gone


def _by_key(
    document: Mapping[str, Any], shared: set[str]
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    found: dict[tuple[str, str], list[Mapping[str, Any]]] = {}
    for dep in document.get("dependencies") or []:
        if dep["id"] not in shared:
            continue
        for finding in dep.get("findings") or []:
            found.setdefault((dep["id"], finding["code"]), []).append(
                {**finding, "dependency": dep["id"]}
            )
    return found


def _unmatched(
    then: Sequence[Mapping[str, Any]], now: Sequence[Mapping[str, Any]]
) -> tuple[list[Mapping[str, Any]], list[Mapping[str, Any]]]:
    """Both lists less the findings whose message is the same in each."""
    left = list(now)
    kept: list[Mapping[str, Any]] = []
    for finding in then:
        match = next((f for f in left if f["message"] == finding["message"]), None)
        if match is None:
            kept.append(finding)
        else:
            left.remove(match)
    return kept, left


def _finding_entry(
    finding: Mapping[str, Any], names: Mapping[str, str], verb: str
) -> dict[str, Any]:
    dependency = finding["dependency"]
    return {
        "kind": "finding",
        "dependency": dependency,
        "code": finding["code"],
        "severity": finding["severity"],
        "message": finding["message"],
        "line": f"{verb} {names.get(dependency, dependency)}: {finding['severity']} "
        f"{finding['code']}: {finding['message']}",
    }


def _gone_recommendations(
    previous: Mapping[str, Any], current: Mapping[str, Any], shared: set[str]
) -> list[Mapping[str, Any]]:
    now = {(r["dependency"], r["action"]) for r in current.get("recommendations") or []}
    return [
        rec
        for rec in previous.get("recommendations") or []
        if rec["dependency"] in shared and (rec["dependency"], rec["action"]) not in now
    ]


def _notes(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[str]:
    """Reasons to doubt the comparison, said rather than refused."""
    notes = []
    then = (previous.get("business") or {}).get("name")
    now = (current.get("business") or {}).get("name")
    if then != now:
        notes.append(f"The previous report is for “{then}”, this one for “{now}”.")
    if str(previous.get("generated_at", "")) > str(current.get("generated_at", "")):
        notes.append("The previous report was made after this one.")
    return notes


def render_compare_markdown(diff: Mapping[str, Any]) -> str:
    """The comparison as a Markdown section, every line escaped."""
    since = str(diff["previous"].get("generated_at") or "")[:10] or "the previous report"
    lines = [f"## Since the last audit ({inline(since, mid_line=True)})", ""]
    lines += [f"> {inline(note, mid_line=True)}" for note in diff.get("notes") or []]
    if diff.get("notes"):
        lines.append("")
    lines.append(inline(diff["overall"]["line"]))
    for title, items in (
        ("Better", diff["improved"]),
        ("Worse", diff["worse"]),
        ("New", diff["added"]),
        ("Removed", diff["removed"]),
    ):
        if items:
            lines += ["", f"### {title}", "", *_bullets(item["line"] for item in items)]
    lines += ["", f"Unchanged: {int(diff['unchanged'])} dependencies and functions."]
    return "\n".join(lines)


def _bullets(lines: Iterable[str]) -> list[str]:
    return [f"- {inline(line)}" for line in lines]
