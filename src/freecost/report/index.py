"""The index page of a batch audit: one row per client, linking to each report.

Client names and actions come from inventories a consultant may not have written, so the
page is rendered with autoescaping, like every report.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class ClientRow:
    """One client of a batch: its grade and report, or why it could not be audited."""

    name: str
    grade: str | None = None
    risk: int | None = None
    top_action: str | None = None
    links: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None


def render_index(clients: Sequence[ClientRow], *, date: str, prepared_by: str | None) -> str:
    """The index page as a self-contained HTML file."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    env = Environment(
        loader=PackageLoader("freecost.report", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("index.html.j2").render(
        clients=clients, date=date, prepared_by=prepared_by
    )


def relative_link(index_folder: Path, target: Path) -> str:
    """``target`` as a link from a page in ``index_folder`` (both under the same root)."""
    import os

    return Path(os.path.relpath(target.resolve(), index_folder.resolve())).as_posix()
