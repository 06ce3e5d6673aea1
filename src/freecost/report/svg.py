"""Inline SVG for the HTML report: the map of functions and dependencies, and uptime charts.

Everything is laid out here, in Python, so the same document always draws the same picture
(no browser layout engine, no script). Every piece of text goes through :func:`_el`, which
escapes it: labels come from the inventory and must never become markup.

The map is a layered drawing. Functions form the left-hand column; each dependency sits one
column to the right of the deepest thing that needs it, and an alternative sits in the same
column as what it stands in for. Within a column, nodes are ordered by the average height of
what points at them, which keeps most edges short and uncrossed. An edge that skips a column
threads through the gap between that column's boxes instead of running under them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

# Okabe-Ito based colours, distinguishable with the common colour-vision deficiencies; the
# letter is always drawn too, so colour is never the only signal. (fill, text colour)
GRADE_COLOURS: dict[str, tuple[str, str]] = {
    "A": ("#0072b2", "#ffffff"),
    "B": ("#56b4e9", "#10202c"),
    "C": ("#f0e442", "#2b2700"),
    "D": ("#e69f00", "#2b1d00"),
    "F": ("#b23c00", "#ffffff"),
}
_UNKNOWN_GRADE = ("#d5d9e0", "#1f2933")

SPOF_COLOUR = "#c62828"
SHARED_COLOUR = "#6a3d9a"
EDGE_COLOUR = "#5b6473"

# Map geometry, in SVG user units (the drawing scales with its container).
BOX_W = 240
BOX_H = 84
ROW_GAP = 26
COL_GAP = 96
MARGIN = 16
LABEL_CHARS = 24
LABEL_LINES = 2

# Chart geometry.
CHART_W = 300
CHART_H = 64


def _num(value: float) -> str:
    """Coordinates with one decimal: enough for a drawing, and stable from run to run."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _el(tag: str, attrs: Mapping[str, object] | None = None, *children: str) -> Markup:
    """One element; attribute values and plain-``str`` children are escaped.

    Children that are already :class:`Markup` (made by this function) pass through.
    Attribute names always come from this module, never from the document.
    """
    parts = [f"<{tag}"]
    for name, value in (attrs or {}).items():
        if value is None:
            continue
        shown = _num(value) if isinstance(value, float) else str(value)
        parts.append(f' {name}="{escape(shown)}"')
    inner = "".join(str(escape(child)) for child in children)
    return Markup("".join(parts) + f">{inner}</{tag}>")


def _join(items: Iterable[Markup]) -> Markup:
    return Markup("").join(items)


def grade_colours(grade: object) -> tuple[str, str]:
    """The badge fill and text colour for a grade letter."""
    return GRADE_COLOURS.get(str(grade), _UNKNOWN_GRADE)


def wrap_label(text: str, width: int = LABEL_CHARS, lines: int = LABEL_LINES) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` characters, cut with an ellipsis."""
    wrapped = textwrap.wrap(" ".join(text.split()), width=width, break_long_words=True) or [""]
    if len(wrapped) <= lines:
        return wrapped
    kept = wrapped[:lines]
    kept[-1] = kept[-1][: width - 1].rstrip() + "…"
    return kept


# --- the map -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Node:
    """A placed box on the map."""

    id: str
    kind: str
    label: str
    grade: str
    spof: bool
    criticality: str | None
    shared: tuple[int, ...]
    column: int
    x: float
    y: float

    @property
    def mid_y(self) -> float:
        return self.y + BOX_H / 2


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str


@dataclass(frozen=True)
class MapLayout:
    """Where everything goes: boxes, edges, shared-fate pairs and the drawing's size."""

    nodes: dict[str, Node]
    edges: list[Edge]
    pairs: list[tuple[str, str]]
    width: float
    height: float


def _columns(nodes: Sequence[Mapping[str, Any]], edges: Sequence[Edge]) -> dict[str, int]:
    """Column per node: functions 0, a dependency right of the deepest thing needing it."""
    column = {str(n["id"]): 0 if n.get("kind") == "function" else 1 for n in nodes}
    # Longest-path relaxation; bounded by the node count so a cycle cannot loop forever.
    for _ in range(len(column)):
        changed = False
        for edge in edges:
            wanted = column[edge.source] + (1 if edge.kind == "needs" else 0)
            if column[edge.target] < wanted <= len(column):
                column[edge.target] = wanted
                changed = True
        if not changed:
            break
    return column


def _barycentre(
    members: Sequence[str],
    edges: Sequence[Edge],
    placed: Mapping[str, Node],
    order: Mapping[str, int],
) -> Callable[[str], tuple[float, int]]:
    """Sort key for a column: beneath the average height of what points here.

    Only nodes already placed (in earlier columns) count. A node nothing there points at,
    but which stands in for a node of the same column, goes just below that node; the rest
    go last, in document order.
    """
    weight: dict[str, float] = {}
    for node_id in members:
        above = [
            placed[e.source].mid_y for e in edges if e.target == node_id and e.source in placed
        ]
        if above:
            weight[node_id] = sum(above) / len(above)
    for _ in range(len(members)):
        for edge in edges:
            if edge.target in members and edge.target not in weight and edge.source in weight:
                weight[edge.target] = weight[edge.source] + 0.5
    return lambda node_id: (weight.get(node_id, float("inf")), order[node_id])


def layout_map(document_map: Mapping[str, Any]) -> MapLayout:
    """Place the map's nodes and route its edges (pure and deterministic)."""
    raw_nodes = list(document_map.get("nodes") or [])
    known = {str(n["id"]) for n in raw_nodes}
    edges = [
        Edge(str(e["from"]), str(e["to"]), str(e.get("kind", "needs")))
        for e in document_map.get("edges") or []
        if str(e["from"]) in known and str(e["to"]) in known and e["from"] != e["to"]
    ]
    pairs = [
        (str(p[0]), str(p[1]))
        for p in document_map.get("shared_fate") or []
        if len(p) == 2 and str(p[0]) in known and str(p[1]) in known
    ]
    shared: dict[str, list[int]] = {}
    for number, (a, b) in enumerate(pairs, start=1):
        shared.setdefault(a, []).append(number)
        shared.setdefault(b, []).append(number)

    column = _columns(raw_nodes, edges)
    order = {str(n["id"]): i for i, n in enumerate(raw_nodes)}
    by_column: dict[int, list[str]] = {}
    for node_id in order:
        by_column.setdefault(column[node_id], []).append(node_id)
    tallest = max((len(m) for m in by_column.values()), default=0)
    height = MARGIN * 2 + tallest * BOX_H + max(tallest - 1, 0) * ROW_GAP
    columns = (max(by_column) + 1) if by_column else 1
    width = MARGIN * 2 + columns * BOX_W + (columns - 1) * COL_GAP + 40
    raw = {str(n["id"]): n for n in raw_nodes}
    placed: dict[str, Node] = {}
    for col in sorted(by_column):
        members = by_column[col]

        members.sort(key=_barycentre(members, edges, placed, order))
        used = len(members) * BOX_H + max(len(members) - 1, 0) * ROW_GAP
        top = MARGIN + (height - 2 * MARGIN - used) / 2
        for index, node_id in enumerate(members):
            n = raw[node_id]
            placed[node_id] = Node(
                id=node_id,
                kind=str(n.get("kind", "dependency")),
                label=str(n.get("label", node_id)),
                grade=str(n.get("grade", "?")),
                spof=bool(n.get("spof")),
                criticality=str(n["criticality"]) if n.get("criticality") else None,
                shared=tuple(shared.get(node_id, ())),
                column=col,
                x=float(MARGIN + col * (BOX_W + COL_GAP)),
                y=top + index * (BOX_H + ROW_GAP),
            )
    return MapLayout(placed, edges, pairs, float(width), float(height))


def _gap_y(layout: MapLayout, column: int, near: float) -> float:
    """The middle of the free vertical gap in ``column`` nearest to ``near``."""
    boxes = sorted(n.y for n in layout.nodes.values() if n.column == column)
    if not boxes:
        return near
    gaps = [boxes[0] - ROW_GAP / 2] + [y + BOX_H + ROW_GAP / 2 for y in boxes]
    return min(gaps, key=lambda g: (abs(g - near), g))


def _smooth(points: Sequence[tuple[float, float]]) -> str:
    """A path through ``points`` with horizontal tangents at each one."""
    (x0, y0), rest = points[0], points[1:]
    path = [f"M{_num(x0)},{_num(y0)}"]
    for x1, y1 in rest:
        bend = (x1 - x0) / 2
        path.append(
            f"C{_num(x0 + bend)},{_num(y0)} {_num(x1 - bend)},{_num(y1)} {_num(x1)},{_num(y1)}"
        )
        x0, y0 = x1, y1
    return " ".join(path)


def edge_path(layout: MapLayout, edge: Edge) -> str:
    """The SVG path data for one edge."""
    a, b = layout.nodes[edge.source], layout.nodes[edge.target]
    if a.column == b.column:
        # Same column (an alternative beside what it stands in for): loop out to the right.
        x = a.x + BOX_W
        reach = x + COL_GAP * 0.45
        return (
            f"M{_num(x)},{_num(a.mid_y)} C{_num(reach)},{_num(a.mid_y)} "
            f"{_num(reach)},{_num(b.mid_y)} {_num(x + 4)},{_num(b.mid_y)}"
        )
    if b.column < a.column:
        return _smooth([(a.x, a.mid_y), (b.x + BOX_W + 4, b.mid_y)])
    points = [(a.x + BOX_W, a.mid_y)]
    span = b.column - a.column
    for step, col in enumerate(range(a.column + 1, b.column), start=1):
        near = a.mid_y + (b.mid_y - a.mid_y) * step / span
        y = _gap_y(layout, col, near)
        left = MARGIN + col * (BOX_W + COL_GAP)
        points += [(left - 8, y), (left + BOX_W + 8, y)]
    points.append((b.x - 4, b.mid_y))
    return _smooth(points)


def _node(node: Node) -> Markup:
    fill, ink = grade_colours(node.grade)
    title = f"{node.label} — grade {node.grade}"
    tags: list[tuple[str, str, str]] = []  # (text, colour, weight)
    if node.kind == "function":
        title = f"Function: {title}"
        if node.criticality:
            tags.append((f"{node.criticality} function", "#3d4654", "normal"))
    if node.spof:
        title += "; single point of failure"
        tags.append(("single point of failure", SPOF_COLOUR, "bold"))
    if node.shared:
        marks = " ".join(f"S{n}" for n in node.shared)
        title += f"; shared fate {marks}"
        tags.append((f"shared fate {marks}", SHARED_COLOUR, "bold"))
    lines = wrap_label(node.label)
    text_x = node.x + 40
    children: list[Markup] = [
        _el("title", None, title),
        _el(
            "rect",
            {
                "x": node.x,
                "y": node.y,
                "width": BOX_W,
                "height": BOX_H,
                "rx": 8,
                "fill": "#eef3fb" if node.kind == "function" else "#ffffff",
                "stroke": SPOF_COLOUR if node.spof else "#8a94a6",
                "stroke-width": 3 if node.spof else 1,
            },
        ),
        _el("circle", {"cx": node.x + 20, "cy": node.mid_y, "r": 12, "fill": fill}),
        _el(
            "text",
            {
                "x": node.x + 20,
                "y": node.mid_y + 4.5,
                "text-anchor": "middle",
                "font-size": 13,
                "font-weight": "bold",
                "fill": ink,
            },
            node.grade,
        ),
    ]
    rows = [(line, "#1f2933", "normal", 13) for line in lines] + [
        (text, colour, weight, 11) for text, colour, weight in tags[:2]
    ]
    first = node.mid_y - (len(rows) - 1) * 8.5 + 4
    for index, (text, colour, weight, size) in enumerate(rows):
        children.append(
            _el(
                "text",
                {
                    "x": text_x,
                    "y": first + index * 17,
                    "font-size": size,
                    "font-weight": weight,
                    "fill": colour,
                },
                text,
            )
        )
    classes = "node node-spof" if node.spof else "node"
    return _el("g", {"class": classes}, *children)


def _markers() -> Markup:
    def arrow(marker_id: str) -> Markup:
        return _el(
            "marker",
            {
                "id": marker_id,
                "viewBox": "0 0 10 10",
                "refX": 9,
                "refY": 5,
                "markerWidth": 7,
                "markerHeight": 7,
                "orient": "auto",
            },
            _el("path", {"d": "M0,0 L10,5 L0,10 z", "fill": EDGE_COLOUR}),
        )

    return _el("defs", None, arrow("fc-arrow"))


def map_svg(document_map: Mapping[str, Any]) -> Markup:
    """The whole map as one ``<svg>`` element, sized by its container."""
    layout = layout_map(document_map)
    if not layout.nodes:
        return Markup("")
    edges = [
        _el(
            "path",
            {
                "d": edge_path(layout, edge),
                "fill": "none",
                "stroke": EDGE_COLOUR,
                "stroke-width": 1.6,
                "stroke-dasharray": "6 4" if edge.kind == "alternative" else None,
                "marker-end": "url(#fc-arrow)",
                "class": f"edge edge-{edge.kind}",
            },
            _el(
                "title",
                None,
                f"{layout.nodes[edge.source].label} "
                + ("can switch to " if edge.kind == "alternative" else "needs ")
                + layout.nodes[edge.target].label,
            ),
        )
        for edge in layout.edges
    ]
    nodes = [_node(node) for node in layout.nodes.values()]
    return _el(
        "svg",
        {
            "class": "map-svg",
            "viewBox": f"0 0 {_num(layout.width)} {_num(layout.height)}",
            "role": "img",
            "aria-label": "Map: the business's functions on the left, the dependencies "
            "they need to the right; solid arrows mean needs, dashed arrows lead to an "
            "alternative.",
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        },
        _markers(),
        _join(edges),
        _join(nodes),
    )


# --- the uptime chart ----------------------------------------------------------------------


def _pct(value: float) -> str:
    return f"{round(value, 3):g}%"


def _opacity(coverage: float | None) -> float:
    """Lighter bars where less of the day was observed: the figure is less certain."""
    if coverage is None or coverage < 50:
        return 0.3
    if coverage < 95:
        return 0.6
    return 1.0


def _bar_title(day: Mapping[str, Any]) -> str:
    uptime, coverage = day.get("uptime_pct"), day.get("coverage_pct")
    date = str(day.get("date", ""))
    if uptime is None:
        return f"{date}: not observed"
    covered = "unknown" if coverage is None else _pct(float(coverage))
    return f"{date}: up {_pct(float(uptime))} of the observed time; {covered} of the day observed"


def uptime_chart(daily: Sequence[Mapping[str, Any]]) -> Markup:
    """One bar per day, its height the day's uptime; an accessible title on every bar."""
    if not daily:
        return Markup("")
    slot = CHART_W / len(daily)
    width = max(slot * 0.8, 1.0) if len(daily) > 1 else slot * 0.5
    bars: list[Markup] = []
    for index, day in enumerate(daily):
        x = index * slot + (slot - width) / 2
        uptime = day.get("uptime_pct")
        parts = [
            _el("title", None, _bar_title(day)),
            _el(
                "rect",
                {"x": x, "y": 0.0, "width": width, "height": CHART_H, "fill": "#eceff4"},
            ),
        ]
        if uptime is not None:
            tall = CHART_H * max(0.0, min(float(uptime), 100.0)) / 100
            parts.append(
                _el(
                    "rect",
                    {
                        "x": x,
                        "y": CHART_H - tall,
                        "width": width,
                        "height": tall,
                        "fill": "#0072b2",
                        "fill-opacity": _opacity(day.get("coverage_pct")),
                    },
                )
            )
        bars.append(_el("g", {"class": "bar"}, *parts))
    return _el(
        "svg",
        {
            "class": "chart-svg",
            "viewBox": f"0 0 {CHART_W} {CHART_H + 2}",
            "role": "img",
            "aria-label": f"Daily uptime over {len(daily)} days",
            "preserveAspectRatio": "none",
        },
        _join(bars),
        _el(
            "line",
            {"x1": 0, "y1": CHART_H + 1, "x2": CHART_W, "y2": CHART_H + 1, "stroke": "#8a94a6"},
        ),
    )


def uptime_summary(daily: Sequence[Mapping[str, Any]]) -> str:
    """The chart in words, for readers who cannot see it and for print."""
    if not daily:
        return "No daily figures for this period."
    seen = [d for d in daily if d.get("uptime_pct") is not None]
    first, last = str(daily[0].get("date", "")), str(daily[-1].get("date", ""))
    text = f"{len(daily)} days from {first} to {last}"
    if not seen:
        return text + ": nothing was observed."
    full = sum(1 for d in seen if float(d["uptime_pct"]) >= 100)
    worst = min(seen, key=lambda d: (float(d["uptime_pct"]), str(d.get("date", ""))))
    thin = sum(1 for d in daily if d.get("coverage_pct") is None or float(d["coverage_pct"]) < 95)
    text += (
        f": fully up on {full} of the {len(seen)} observed days; "
        f"the worst day was {worst.get('date')} at {_pct(float(worst['uptime_pct']))}"
    )
    if thin:
        text += f"; {thin} day{'s' if thin != 1 else ''} less than 95% observed (lighter bars)"
    return text + "."
