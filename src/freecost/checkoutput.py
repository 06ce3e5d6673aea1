"""How ``freecost check`` prints results: a table on a terminal, problems only in cron,
one Nagios line with perfdata, or JSON. Formatters return text; the CLI writes it.
"""

from __future__ import annotations

from freecost.results import CheckResult, Status, counts, worst_exit_code
from freecost.runner import CheckRun

_NAGIOS_WORD = {0: "OK", 1: "WARNING", 2: "CRITICAL", 3: "UNKNOWN"}


def problem_lines(run: CheckRun) -> list[str]:
    """One line per result that is not ok: what cron mails to a person."""
    return [
        f"{r.dependency}/{r.check}: {r.status.value}: {r.summary}"
        for r in run.results
        if r.status is not Status.OK
    ]


def nagios_line(run: CheckRun) -> str:
    """A Nagios plugin's output: status word, the worst problems, then perfdata."""
    code = worst_exit_code(run.results)
    tally = counts(run.results)
    total = len(run.results)
    problems = [r for r in run.results if r.status is not Status.OK]
    problems.sort(key=lambda r: (-_rank(r.status), r.dependency, r.check))
    if problems:
        shown = "; ".join(f"{r.dependency}/{r.check} {r.summary}" for r in problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        text = f"{len(problems)} of {total} checks not ok: {shown}{more}"
    else:
        text = f"{total} checks ok"
    seconds = (run.finished_at - run.started_at).total_seconds()
    perf = " ".join(f"{k}={v};;;0;{total}" for k, v in tally.items())
    return f"FREECOST {_NAGIOS_WORD[code]} - {_one_line(text)} | {perf} time={seconds:.3f}s"


def _rank(status: Status) -> int:
    return {Status.FAIL: 3, Status.ERROR: 2, Status.WARN: 1, Status.OK: 0}[status]


def _one_line(text: str) -> str:
    # Nagios reads up to the first newline and treats | as the perfdata separator.
    return " ".join(text.split()).replace("|", "/")


def summary_line(run: CheckRun) -> str:
    tally = counts(run.results)
    seconds = (run.finished_at - run.started_at).total_seconds()
    parts = ", ".join(f"{n} {status}" for status, n in tally.items() if n)
    return f"{len(run.results)} checks in {seconds:.1f}s: {parts or 'nothing to run'}"


def result_row(result: CheckResult) -> tuple[str, str, str, str, str]:
    latency = "" if result.latency_ms is None else f"{result.latency_ms:.0f} ms"
    return (result.dependency, result.check, result.status.value, latency, result.summary)
