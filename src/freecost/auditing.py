"""``freecost audit`` and ``freecost report``: check (for an audit), score, write, summarise.

Kept apart from the command line so the batch loop, the folder layout and the text printed
afterwards can be tested without parsing arguments.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from freecost.errors import FreecostError
from freecost.inventory import LoadedInventory
from freecost.report.make import (
    default_folder,
    make_document,
    read_previous,
    slug,
    write_report,
)

AUDIT_WINDOW = timedelta(days=30)
"""The history an audit's report looks back over."""
SHOWN_ACTIONS = 5


@dataclass(frozen=True)
class Done:
    """One report written: where, what to print, and the exit code."""

    folder: Path
    files: dict[str, Path]
    document: dict[str, Any]
    exit_code: int
    text: str


def audit_one(
    loaded: LoadedInventory,
    *,
    out: Path | None,
    formats: Sequence[str],
    compare: Path | None,
    database: str | None,
    run_all: bool,
    now: datetime | None = None,
) -> Done:
    """Run the due checks, then write the report; the exit code is the run's, as `check`."""
    from freecost.monitor import monitor
    from freecost.results import counts, worst_exit_code

    previous = read_previous(compare) if compare is not None else None
    done = monitor(loaded, run_all=run_all, database=database)
    moment = now or datetime.now(UTC)
    document = make_document(
        loaded,
        mode="audit",
        now=moment,
        since=AUDIT_WINDOW,
        database=database,
        results=[result.to_json() for result in done.run.results],
        previous=previous,
    )
    folder = out or default_folder(loaded, moment)
    files = write_report(document, folder, formats)
    code = worst_exit_code(done.run.results)
    ran = len(done.run.results)
    tally = ", ".join(f"{n} {status}" for status, n in counts(done.run.results).items() if n)
    outcome = f" ({tally})" if tally else ""
    note = f"{ran} check{'s' if ran != 1 else ''} run{outcome}, {done.not_due} not due"
    return Done(folder, files, document, code, summary_text(document, files, note))


def report_one(
    loaded: LoadedInventory,
    *,
    out: Path | None,
    formats: Sequence[str],
    compare: Path | None,
    database: str | None,
    since: timedelta,
    now: datetime | None = None,
) -> Done:
    """Write the report from stored history; nothing is probed."""
    previous = read_previous(compare) if compare is not None else None
    moment = now or datetime.now(UTC)
    document = make_document(
        loaded, mode="report", now=moment, since=since, database=database, previous=previous
    )
    folder = out or default_folder(loaded, moment)
    files = write_report(document, folder, formats)
    return Done(folder, files, document, 0, summary_text(document, files, "from stored history"))


def status_page_one(
    loaded: LoadedInventory, *, out: Path | None, database: str | None, now: datetime | None = None
) -> str:
    """Write the public status page; returns the line to print."""
    from freecost.report.make import write_file
    from freecost.report.statuspage import render_status_page

    moment = now or datetime.now(UTC)
    document = make_document(
        loaded, mode="report", now=moment, since=timedelta(days=1), database=database
    )
    folder = out or Path("reports") / slug(loaded.inventory.business.name)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FreecostError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    path = folder / "status.html"
    write_file(path, render_status_page(document))
    return f"status page written to {path}"


def summary_text(document: Mapping[str, Any], files: Mapping[str, Path], note: str) -> str:
    """What the command prints: where the report is, the grade, and what to do first."""
    first = next(iter(files.values()))
    others = [p.name for p in list(files.values())[1:]]
    also = f" (also {', '.join(others)})" if others else ""
    overall = document["overall"]
    lines = [
        f"report written to {first}{also}; {note}",
        f"{document['business']['name']}: grade {overall['grade']} "
        f"(risk {overall['risk']}/100; 0 is best)",
    ]
    actions = document["summary"]["top_actions"][:SHOWN_ACTIONS]
    if actions:
        lines.append("Do first:")
        for number, action in enumerate(actions, start=1):
            cost = action["monthly_cost"]
            price = "" if cost is None else f", {cost:g}/month"
            lines.append(f"  {number}. {action['action']} [{action['effort']} effort{price}]")
    changes = document.get("compare")
    if changes:
        lines.append(
            f"Since {changes['previous']['generated_at'][:10]}: "
            f"{len(changes['improved'])} better, {len(changes['worse'])} worse"
        )
    return "\n".join(lines)


@dataclass
class Batch:
    """A batch audit: what to print, problems per client, and the worst exit code."""

    text: str
    exit_code: int
    problems: list[str] = field(default_factory=list)


def audit_many(paths: Sequence[Path], *, out: Path, formats: Sequence[str], run_all: bool) -> Batch:
    """Audit each client into ``out/<client>/<date>/`` and write ``out/index.html``.

    One client's broken inventory does not stop the others: it is listed on the index page
    and makes the exit code 3.
    """
    from freecost.inventory import load_inventory
    from freecost.report.index import ClientRow, relative_link, render_index
    from freecost.report.make import write_file

    now = datetime.now(UTC)
    rows: list[ClientRow] = []
    problems: list[str] = []
    worst = 0
    prepared_by: str | None = None
    lines = []
    for path in paths:
        try:
            loaded = load_inventory(path)
            prepared_by = prepared_by or loaded.inventory.settings.report.prepared_by
            folder = out / slug(loaded.inventory.business.name) / default_folder(loaded, now).name
            done = audit_one(
                loaded,
                out=folder,
                formats=formats,
                compare=None,
                database=None,
                run_all=run_all,
                now=now,
            )
        except FreecostError as exc:
            problems.extend(exc.lines())
            rows.append(ClientRow(name=str(path), error=exc.lines()[0][:200]))
            worst = max(worst, 3)
            continue
        worst = max(worst, done.exit_code)
        overall = done.document["overall"]
        actions = done.document["summary"]["top_actions"]
        rows.append(
            ClientRow(
                name=done.document["business"]["name"],
                grade=overall["grade"],
                risk=overall["risk"],
                top_action=actions[0]["action"] if actions else None,
                links=[(name, relative_link(out, file)) for name, file in done.files.items()],
            )
        )
        lines.append(
            f"{done.document['business']['name']}: grade {overall['grade']} "
            f"(risk {overall['risk']}) -> {done.folder}"
        )
    index = out / "index.html"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise FreecostError(f"{out}: cannot create the folder: {exc.strerror or exc}") from None
    write_file(index, render_index(rows, date=now.date().isoformat(), prepared_by=prepared_by))
    lines.append(f"index written to {index}")
    return Batch("\n".join(lines), worst, problems)
