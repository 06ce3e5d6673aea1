"""The report as GitHub-flavoured Markdown: read in a terminal, pasted into a ticket.

It reads only the report document (:mod:`freecost.report.data`). Nearly every string in it
may come from outside (a vendor's status page, a server's banner, an inventory someone else
wrote), so each one goes through :func:`inline` before it is written: HTML cannot open a
tag, a ``|`` cannot end a table cell, a ``[x](javascript:...)`` cannot become a link, and a
newline cannot start a new block. The only links written are http(s) URLs that pass
:func:`link`'s check. The output depends on the document alone, so the same document always
gives the same bytes (the golden test relies on it).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from freecost.durations import format_duration

# Control characters and bidirectional overrides (which can make text read differently
# from what it says) become spaces; every run of whitespace, newlines included, becomes one.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_SPACE = re.compile(r"\s+")
# Characters with a meaning anywhere in a line. `_` only at a word's edge: GFM ignores it
# inside words, and snake_case stays readable in a terminal.
_PUNCTUATION = re.compile(r"[\\`*\[\]|~$]|(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# An `&` that could start an entity; a lone one (“Q & A”) is left as it is.
_ENTITY_START = re.compile(r"&(?=[#0-9A-Za-z])")
# What opens a block at the start of a line: a heading, a list item, a setext underline.
_BLOCK_START = re.compile(r"^([#+\-=])")
# An ordered list item: the escape goes on its punctuation, as `\1` would show a backslash.
_ORDERED_START = re.compile(r"^(\d+)([.)])")
_TRAILING_HASHES = re.compile(r"(#+)$")
# An autolink's URL is not unescaped by the renderer, so it is written only when nothing in
# it could end the link or a table cell.
_SAFE_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[^\s<>\"'`|\\\[\]{}()]*)?")
_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:/@+-]*")
_BLOCKS = " ▁▂▃▄▅▆▇█"
PERIODS = ("24h", "7d", "30d")


def inline(value: Any, *, mid_line: bool = False) -> str:
    """``value`` as text that Markdown shows as it is, on one line.

    ``mid_line`` when something of ours comes before it on the line (or it fills a table
    cell), so a leading ``#``, ``-`` or ``1.`` cannot open a block and needs no backslash.
    """
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    text = _ENTITY_START.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    text = _PUNCTUATION.sub(lambda m: "\\" + m.group(0), text)
    if not mid_line:
        text = _BLOCK_START.sub(r"\\\1", text)
        text = _ORDERED_START.sub(r"\1\\\2", text)
    # A heading drops a closing run of `#`; escaped, it stays part of the name.
    return _TRAILING_HASHES.sub(lambda m: "\\#" * len(m.group(1)), text)


def cell(value: Any) -> str:
    """A table cell: escaped, and a dash when there is nothing to show."""
    return inline(value, mid_line=True) if value not in (None, "", []) else "—"


def code(value: Any) -> str:
    """One of freecost's identifiers (a finding code, a check id) in a code span."""
    text = str(value)
    return f"`{text}`" if _IDENTIFIER.fullmatch(text) else inline(text)


def link(url: Any) -> str:
    """An http(s) URL as an autolink; anything else as plain, escaped text."""
    text = str(url) if url is not None else ""
    return f"<{text}>" if _SAFE_URL.fullmatch(text) else cell(text or None)


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """A GFM table; the cells are already escaped."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def percent(value: float | None) -> str:
    """``99.306`` → ``99.306%``; unknown stays unknown."""
    if value is None:
        return "unknown"
    return f"{value:.3f}".rstrip("0").rstrip(".") + "%"


def money(value: float | None) -> str:
    """A recommendation's monthly cost: unknown, free, or a sum a month."""
    if value is None:
        return "cost unknown"
    return "no extra cost" if value == 0 else f"{value:g} a month"


class _Clock:
    """Times from the document shown in the business's timezone, as the owner reads them."""

    def __init__(self, timezone: str) -> None:
        try:
            self.zone = ZoneInfo(timezone)
            self.name = timezone
        except (ZoneInfoNotFoundError, ValueError):
            self.zone, self.name = ZoneInfo("UTC"), "UTC"

    def moment(self, value: Any) -> datetime | None:
        try:
            found = datetime.fromisoformat(str(value))
        except ValueError:
            return None
        return found.astimezone(self.zone) if found.tzinfo else found

    def when(self, value: Any) -> str:
        found = self.moment(value)
        return found.strftime("%Y-%m-%d %H:%M") if found else cell(value)

    def day(self, value: Any) -> str:
        found = self.moment(value)
        return found.date().isoformat() if found else cell(value)


def render_markdown(document: Mapping[str, Any]) -> str:
    """The whole report as Markdown, ending with one newline."""
    clock = _Clock(str(document.get("period", {}).get("timezone", "UTC")))
    names = {d["id"]: d["name"] for d in document["dependencies"]}
    names |= {f["id"]: f["name"] for f in document["functions"]}
    parts = [
        _title(document, clock),
        _summary(document, names),
        _functions(document),
        _impact(document),
        "## Dependencies",
        *(_dependency(dep, names, clock) for dep in document["dependencies"]),
        _recommendations(document["recommendations"], names),
    ]
    if document.get("compare"):
        # Imported here: compare's renderer uses this module's escaping.
        from freecost.report.compare import render_compare_markdown

        parts.append(render_compare_markdown(document["compare"]))
    parts += [
        "## How uptime is counted\n\n" + inline(document["accounting_policy"]),
        _appendix(document["results"], names, clock),
    ]
    return "\n\n".join(part for part in parts if part).rstrip("\n") + "\n"


def _title(document: Mapping[str, Any], clock: _Clock) -> str:
    business, branding, period = document["business"], document["branding"], document["period"]
    client = branding.get("client_name") or business["name"]
    kind = "Audit" if document.get("mode") == "audit" else "Report"
    lines = [f"# {kind}: {inline(client)}, {clock.day(document['generated_at'])}", ""]
    made = [f"Made {clock.when(document['generated_at'])} ({inline(clock.name)})"]
    if branding.get("prepared_by"):
        made.append(f"prepared by {inline(branding['prepared_by'])}")
    made.append(f"period {clock.day(period['since'])} to {clock.day(period['until'])}")
    made.append(f"freecost {inline(document.get('freecost_version', ''), mid_line=True)}")
    lines.append("; ".join(made) + ".")
    if business.get("contact"):
        lines += ["", f"Contact: {inline(business['contact'])}"]
    return "\n".join(lines)


def _summary(document: Mapping[str, Any], names: Mapping[str, str]) -> str:
    overall, summary = document["overall"], document["summary"]
    lines = [
        "## Executive summary",
        "",
        f"**Grade {inline(overall['grade'])}**, risk {inline(overall['risk'])} out of 100 "
        "(lower is better).",
        "",
        inline(summary["headline"]),
    ]
    spofs = summary.get("single_points_of_failure") or []
    if spofs:
        shown = ", ".join(inline(names.get(s, s)) for s in spofs)
        lines += ["", f"Single points of failure: {shown}."]
    lines += ["", "### Do first", ""]
    actions = summary["top_actions"]
    lines += [_action(number, rec, names) for number, rec in enumerate(actions, start=1)]
    if not actions:
        lines.append("Nothing: no finding has an action that lowers the risk.")
    return "\n".join(lines)


def _action(number: int, rec: Mapping[str, Any], names: Mapping[str, str] | None = None) -> str:
    """A numbered recommendation; ``names`` to say which dependency it is about."""
    gain = (
        f"claim by {inline(rec['deadline'])}"
        if rec.get("deadline")
        else f"removes {inline(rec['risk_removed'])} risk points"
    )
    about = f"; {inline(names.get(rec['dependency'], rec['dependency']))}" if names else ""
    return (
        f"{number}. **{inline(rec['action'])}** ({inline(rec['effort'])} effort, "
        f"{money(rec['monthly_cost'])}; {gain}{about}). "
        f"{inline(rec['why'])}"
    )


def _functions(document: Mapping[str, Any]) -> str:
    rows = []
    for f in document["functions"]:
        uptime = (f.get("uptime") or {}).get("30d") or {}
        rows.append(
            [
                cell(f["name"]),
                cell(f["criticality"]),
                cell(f["rto"]),
                cell(f["grade"]),
                cell(f["risk"]),
                ", ".join(code(s) for s in f["single_points_of_failure"]) or "—",
                percent(uptime.get("uptime_pct")) if uptime else "—",
            ]
        )
    header = ["Function", "Criticality", "RTO", "Grade", "Risk", "Single points", "Uptime 30d"]
    return "\n".join(["## Functions", "", *table(header, rows)])


def _impact(document: Mapping[str, Any]) -> str:
    lines = ["## What customers experience"]
    for dep in document["dependencies"]:
        if not dep["customer_impact"]:
            continue
        lines += ["", f"When **{inline(dep['name'])}** fails:", ""]
        lines += [f"- {inline(item['text'])}" for item in dep["customer_impact"]]
    return "\n".join(lines)


def _dependency(dep: Mapping[str, Any], names: Mapping[str, str], clock: _Clock) -> str:
    facts = [
        f"Grade **{inline(dep['grade'])}**, risk {inline(dep['risk'])} out of 100, "
        f"SLA coverage {inline(dep['sla_coverage'])} out of 100.",
    ]
    if dep["spof"]:
        stops = "; ".join(inline(names.get(f, f)) for f in dep["blast_radius"])
        facts.append(f"A single point of failure: when it fails, this stops: {stops}.")
    if dep["shared_fate"]:
        shared = ", ".join(inline(names.get(d, d)) for d in dep["shared_fate"])
        facts.append(f"Shares its fate with: {shared}.")
    sections = [f"### {inline(dep['name'])} ({code(dep['id'])})", " ".join(facts)]
    sections += [
        _findings(dep["findings"]),
        _sla_facts(dep["sla_facts"]),
        _detection(dep["detection"]),
        _observed(dep),
        _incidents(dep["incidents"], clock),
        _checks(dep["checks"], clock),
        _when_it_breaks(dep["when_it_breaks"], names),
    ]
    if dep["recommendations"]:
        sections.append(
            "#### What to do\n\n"
            + "\n".join(_action(n, r) for n, r in enumerate(dep["recommendations"], 1))
        )
    return "\n\n".join(s for s in sections if s)


def _findings(findings: Sequence[Mapping[str, Any]]) -> str:
    if not findings:
        return "#### Findings\n\nNone."
    lines = ["#### Findings", ""]
    for f in findings:
        lines.append(
            f"- {inline(f['severity'])} {code(f['code'])} (+{inline(f['points'])}): "
            f"{inline(f['message'])}"
        )
        if f.get("evidence"):
            lines.append(f"  - Evidence: {inline(f['evidence'])}")
    return "\n".join(lines)


def _sla_facts(facts: Sequence[Mapping[str, Any]]) -> str:
    if not facts:
        return "#### Contract\n\nNo facts are known about its contract."
    rows = [
        [
            cell(f["label"]),
            cell(f["value"]),
            link(f["source"]) if f.get("source") else "no source",
            cell(f.get("checked")),
            cell(f.get("note")),
        ]
        for f in facts
    ]
    return "\n".join(
        ["#### Contract", "", *table(["Fact", "Value", "Source", "Checked", "Note"], rows)]
    )


def _detection(detection: Mapping[str, Any]) -> str:
    layers = ", ".join(inline(layer) for layer in detection.get("layers") or [])
    text = f"Watched by: {layers}." if layers else "No check of its own."
    if detection.get("end_to_end"):
        via = ", ".join(code(c) for c in detection.get("end_to_end_via") or [])
        text += f" End to end through {via}." if via else " End to end."
    else:
        text += " No end-to-end check."
    return "#### Detection\n\n" + text


def _observed(dep: Mapping[str, Any]) -> str:
    lines = ["#### Observed"]
    uptime = dep.get("uptime") or {}
    if uptime:
        rows = [
            [
                period,
                percent(uptime[period].get("uptime_pct")),
                percent(uptime[period].get("coverage_pct")),
                cell(uptime[period].get("incidents")),
            ]
            for period in PERIODS
            if period in uptime
        ]
        lines += ["", *table(["Period", "Uptime", "Coverage", "Incidents"], rows)]
    observed = dep.get("observed") or {}
    for month in observed.get("months") or []:
        promised = month.get("promised_pct")
        verdict = f", {percent(promised)} promised" if promised is not None else ""
        if month.get("breached"):
            verdict += ", promise broken"
        lines += [
            "",
            f"- {inline(month['name'])}: uptime {percent(month.get('uptime_pct'))}, "
            f"coverage {percent(month.get('coverage_pct'))}{verdict}.",
        ]
    for claim in observed.get("claimable") or []:
        lines += [
            "",
            f"- A service credit can be claimed for {inline(claim['month'])}: "
            f"{cell(claim.get('credit'))}, by {cell(claim.get('claim_by'))}.",
        ]
    daily = [d for d in dep.get("daily") or [] if d.get("uptime_pct") is not None]
    if daily:
        worst = min(daily, key=lambda d: (d["uptime_pct"], str(d["date"])))
        lines += [
            "",
            f"Daily uptime, {inline(daily[0]['date'])} to {inline(daily[-1]['date'])}: "
            f"`{sparkline(d['uptime_pct'] for d in daily)}` "
            f"(worst {inline(worst['date'])}, {percent(worst['uptime_pct'])}).",
        ]
    if len(lines) == 1:
        lines += ["", "No history yet."]
    return "\n".join(lines)


def sparkline(values: Iterable[float]) -> str:
    """Daily uptime as block characters: a full block is 100%, a space is 0%."""
    top = len(_BLOCKS) - 1
    return "".join(_BLOCKS[max(0, min(top, round(v / 100 * top)))] for v in values)


def _incidents(incidents: Sequence[Mapping[str, Any]], clock: _Clock) -> str:
    if not incidents:
        return ""
    rows = [
        [
            code(i["check"]),
            clock.when(i["started_at"]),
            "still open" if i.get("open") else clock.when(i.get("ended_at")),
            format_duration(timedelta(seconds=float(i["duration_s"])))
            if i.get("duration_s") is not None
            else "—",
            cell(i.get("layer")),
            cell(i.get("first_summary")),
        ]
        for i in incidents
    ]
    header = ["Check", "Started", "Ended", "Lasted", "Layer", "What was seen first"]
    return "\n".join(["#### Incidents", "", *table(header, rows)])


def _checks(checks: Sequence[Mapping[str, Any]], clock: _Clock) -> str:
    if not checks:
        return ""
    rows = [
        [code(c["id"]), cell(c["status"]), clock.when(c["observed_at"]), cell(c["summary"])]
        for c in checks
    ]
    return "\n".join(
        ["#### Latest checks", "", *table(["Check", "Status", "Observed", "Summary"], rows)]
    )


def _when_it_breaks(plan: Mapping[str, Any] | None, names: Mapping[str, str]) -> str:
    if not plan:
        return ""
    lines = ["#### When it breaks", ""]
    lines += [f"{n}. {inline(step)}" for n, step in enumerate(plan.get("first_steps") or [], 1)]
    more = []
    if plan.get("support_url"):
        more.append(f"- Support: {link(plan['support_url'])}")
    if plan.get("support_channels"):
        more.append(f"- Channels: {inline(', '.join(plan['support_channels']))}")
    if plan.get("expected_response"):
        more.append(f"- Expected response: {inline(plan['expected_response'])}")
    if plan.get("alternatives"):
        alternatives = ", ".join(inline(names.get(a, a)) for a in plan["alternatives"])
        more.append(f"- Alternatives: {alternatives}")
    if more:
        lines += ["", *more] if plan.get("first_steps") else more
    return "\n".join(lines)


def _recommendations(recs: Sequence[Mapping[str, Any]], names: Mapping[str, str]) -> str:
    if not recs:
        return "## All recommendations\n\nNone."
    rows = [
        [
            str(n),
            cell(r["action"]),
            cell(names.get(r["dependency"], r["dependency"])),
            cell(r["kind"]),
            cell(r["effort"]),
            money(r["monthly_cost"]),
            f"claim by {inline(r['deadline'])}"
            if r.get("deadline")
            else f"−{inline(r['risk_removed'])} risk",
        ]
        for n, r in enumerate(recs, start=1)
    ]
    header = ["#", "Action", "Dependency", "Kind", "Effort", "Monthly cost", "Gain"]
    return "\n".join(["## All recommendations", "", *table(header, rows)])


def _appendix(results: Sequence[Mapping[str, Any]], names: Mapping[str, str], clock: _Clock) -> str:
    if not results:
        return "## Appendix: check results\n\nNo check results."
    rows = [
        [
            cell(names.get(r["dependency"], r["dependency"])),
            code(r["check"]),
            cell(r.get("type")),
            cell(r["status"]),
            clock.when(r["observed_at"]),
            f"{float(r['latency_ms']):.0f} ms" if r.get("latency_ms") is not None else "—",
            cell(r["summary"]),
        ]
        for r in results
    ]
    header = ["Dependency", "Check", "Type", "Status", "Observed", "Latency", "Summary"]
    return "\n".join(["## Appendix: check results", "", *table(header, rows)])
