"""``freecost score`` for a person: the grade, the functions, the worst findings, what to do.

Rendered from the scorecard's JSON, so the text and ``--json`` cannot disagree.
"""

from __future__ import annotations

import textwrap
from typing import Any

FINDINGS_SHOWN = 4
WIDTH = 100


def render_text(card: dict[str, Any]) -> str:
    """The scorecard as plain text: most at risk first, then the things to do first."""
    overall = card["overall"]
    lines = [
        f"{card['business']}: grade {overall['grade']} (risk {overall['risk']}/100; 0 is best)",
        "",
        "Functions",
    ]
    for function in card["functions"]:
        driven = function["driven_by"]
        why = ""
        if driven:
            how = {1.0: "single point of failure", 0.5: "in a shared-fate pair"}.get(
                driven["exposure"], "backed by an alternative"
            )
            why = f"  weakest link: {driven['dependency']} ({how})"
        lines.append(
            f"  {function['grade']} {function['risk']:>3}  {function['id']:<20} "
            f"{function['criticality']:<8} rto {function['rto']:<5}{why}"
        )
    lines += ["", "Dependencies, most at risk first"]
    ranked = sorted(card["dependencies"], key=lambda d: (-d["risk"], d["id"]))
    for dep in ranked:
        canary = "canary" if dep["detection"]["end_to_end"] else "no canary"
        lines.append(
            f"  {dep['grade']} {dep['risk']:>3}  {dep['id']:<20} SLA coverage "
            f"{dep['sla_coverage']:>3}/100, {'SPOF' if dep['spof'] else 'not a SPOF'}, {canary}"
        )
        shown = [f for f in dep["findings"] if f["points"] > 0][:FINDINGS_SHOWN]
        for finding in shown:
            lines += _wrapped(
                f"{finding['severity']:<8} {finding['code']} (+{finding['points']}): "
                f"{finding['message']}",
                indent=8,
            )
        hidden = len([f for f in dep["findings"] if f["points"] > 0]) - len(shown)
        if hidden > 0:
            lines.append(f"        ... and {hidden} more (--json shows every finding)")
    lines += ["", "Do first"]
    for number, rec in enumerate(card["recommendations"], start=1):
        cost = rec["monthly_cost"]
        price = "" if cost is None else f", {cost:g}/month"
        gain = f"by {rec['deadline']}" if rec["kind"] == "claim" else f"-{rec['risk_removed']} risk"
        lines += _wrapped(
            f"{number:>2}. {rec['action']} [{rec['effort']} effort{price}; {gain}]", indent=4
        )
    if not card["recommendations"]:
        lines.append("  nothing: no finding has an action that lowers the risk")
    return "\n".join(lines)


def _wrapped(text: str, indent: int) -> list[str]:
    return textwrap.wrap(
        text,
        width=WIDTH,
        initial_indent=" " * indent,
        subsequent_indent=" " * (indent + 4),
        break_on_hyphens=False,
    )
