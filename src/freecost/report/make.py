"""Making a report: gather what the document needs, build it, write it in each format.

``freecost audit`` runs the due checks first and hands their results in; ``freecost report``
reads the latest stored result of each check. Both read the history the same way, so an
audit and a report of the same moment say the same thing.
"""

from __future__ import annotations

import json
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from freecost.errors import FreecostError
from freecost.inventory import LoadedInventory
from freecost.report.data import Logo, Mode, build_report
from freecost.scoring.reliability import DependencyHistory
from freecost.scoring.scorecard import score_loaded

FORMATS = ("html", "md", "json", "pdf")
DEFAULT_FORMATS = ("html", "md", "json")
LOGO_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
LOGO_LIMIT = 512 * 1024
"""Bytes a logo may have: it is embedded in every report, and in every page of the PDF."""


class ReportError(FreecostError):
    """A report cannot be made as asked (a bad format, an unreadable logo, no renderer)."""


def parse_formats(text: str) -> tuple[str, ...]:
    """``html,md`` → ("html", "md"); unknown names are refused with the list of known ones."""
    wanted = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown or not wanted:
        raise ReportError(
            f"--format: unknown format '{unknown[0] if unknown else text}'; "
            f"choose from {', '.join(FORMATS)}"
        )
    return wanted


def slug(name: str) -> str:
    """A folder name from a business name: ``Bailey WorkPlay`` → ``bailey-workplay``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "business"


def default_folder(loaded: LoadedInventory, now: datetime) -> Path:
    """``reports/<business>/<YYYY-MM-DD>/``, the date in the business's timezone."""
    from zoneinfo import ZoneInfo

    local = now.astimezone(ZoneInfo(loaded.inventory.settings.timezone))
    return Path("reports") / slug(loaded.inventory.business.name) / local.date().isoformat()


def read_logo(loaded: LoadedInventory) -> Logo | None:
    """The logo ``settings.report.logo`` names, checked to be an image we embed safely."""
    name = loaded.inventory.settings.report.logo
    if name is None:
        return None
    path = loaded.base_dir / name
    media_type = LOGO_TYPES.get(path.suffix.lower())
    if media_type is None:
        raise ReportError(
            f"{loaded.display}: settings.report.logo: {name} is not a PNG, JPEG, GIF or WebP "
            "image (an SVG logo could carry a script, so it is not embedded)"
        )
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ReportError(f"{path}: cannot read the logo: {exc.strerror or exc}") from None
    if len(data) > LOGO_LIMIT:
        raise ReportError(f"{path}: the logo is over {LOGO_LIMIT // 1024} KiB; use a smaller one")
    return Logo(media_type, data)


@dataclass(frozen=True)
class Inputs:
    """What the store says: the history view, observed months and days, and latest results."""

    view: Mapping[str, Any] | None
    months: Mapping[str, DependencyHistory]
    days: Mapping[str, DependencyHistory]
    latest: list[dict[str, Any]]


def read_history(
    loaded: LoadedInventory, database: str | None, now: datetime, since: timedelta
) -> Inputs:
    """The history the report needs; empty when there is no database yet."""
    from freecost.historyview import history_view
    from freecost.observed import dependency_days, dependency_histories
    from freecost.store import History, database_path

    path = database_path(loaded, database, os.environ)
    if not path.exists():
        if database is not None:
            raise ReportError(f"{path}: no such database")
        return Inputs(None, {}, {}, [])
    with History.open(path) as store:
        view = history_view(loaded, store, now, since=since)
        months = dependency_histories(loaded, store, now)
        days = dependency_days(loaded, store, now, days=max(1, min(since.days, 92)))
        latest = [
            found[0].to_json()
            for key in sorted(store.last_observed())
            if (found := store.results(check=key, limit=1))
        ]
    return Inputs(view, months, days, latest)


def make_document(
    loaded: LoadedInventory,
    *,
    mode: Mode,
    now: datetime,
    since: timedelta,
    database: str | None,
    results: Sequence[Mapping[str, Any]] | None = None,
    previous: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The report document: this run's ``results`` (an audit) or the latest stored ones."""
    history = read_history(loaded, database, now, since)
    card = score_loaded(loaded, history.months, now)
    known = {(d.id, c.id) for d, c in loaded.checks()}
    # This run's results, and for checks that were not due, the latest stored one.
    newest = {(r["dependency"], r["check"]): r for r in history.latest}
    newest |= {(r["dependency"], r["check"]): r for r in results or ()}
    shown = sorted(newest.values(), key=lambda r: (r["dependency"], r["check"]))
    document = build_report(
        loaded,
        card,
        mode=mode,
        now=now,
        since=now - since,
        view=history.view,
        days=history.days,
        # Results of checks since removed from the inventory are history, not this audit.
        results=[r for r in shown if (r["dependency"], r["check"]) in known],
        logo=read_logo(loaded),
    )
    if previous is not None:
        from freecost.report.compare import compare

        try:
            document["compare"] = compare(previous, document)
        except ValueError as exc:
            raise ReportError(f"--compare: {exc}") from None
    return document


def read_previous(path: Path) -> dict[str, Any]:
    """A report's JSON from an earlier audit, for ``--compare``."""
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ReportError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ReportError(f"{path}: not a freecost report's JSON: {exc}") from None
    if not isinstance(found, dict) or "schema_version" not in found:
        raise ReportError(f"{path}: not a freecost report's JSON (no schema_version)")
    return found


def write_report(
    document: Mapping[str, Any], folder: Path, formats: Sequence[str]
) -> dict[str, Path]:
    """Write ``document`` into ``folder`` as ``report.<format>``; returns format → path."""
    from freecost.report.html import render_html
    from freecost.report.markdown import render_markdown

    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"{folder}: cannot create the folder: {exc.strerror or exc}") from None
    written: dict[str, Path] = {}
    html = render_html(document) if {"html", "pdf"} & set(formats) else None
    for name in formats:
        path = folder / f"report.{name}"
        if name == "html":
            assert html is not None
            write_file(path, html)
        elif name == "md":
            write_file(path, render_markdown(document))
        elif name == "json":
            write_file(path, json.dumps(document, indent=2, ensure_ascii=False) + "\n")
        elif name == "pdf":
            from freecost.report.pdf import html_to_pdf

            assert html is not None
            html_to_pdf(html, path)
        written[name] = path
    return written


def write_file(path: Path, text: str) -> None:
    # Written beside and renamed, so a reader never sees half a report.
    partial = path.with_name(f".{path.name}.partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as exc:
        raise ReportError(f"{path}: cannot write the report: {exc.strerror or exc}") from None
