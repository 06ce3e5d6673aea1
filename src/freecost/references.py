"""Rules that span the inventory: ids, what needs what, alternatives and named packs.

They run on the raw parsed data, beside the per-field validation, so one run reports every
problem: a typo in one function's ``rto`` does not hide a cycle between two dependencies.
Anything malformed is skipped here; the field validation already reports it.
"""

from __future__ import annotations

from typing import Any

from freecost.errors import Problem, ValidationFailed
from freecost.packs import Catalog, did_you_mean
from freecost.yamlsource import Document, PathKey


def reference_problems(document: Document, catalog: Catalog | None) -> list[Problem]:
    """Every cross-reference problem in the inventory ``document``."""
    data = document.data
    functions = _items(data, "functions")
    dependencies = _items(data, "dependencies")
    problems = _duplicate_ids(document, functions + dependencies)
    function_ids = {item["id"] for _, item in functions if isinstance(item.get("id"), str)}
    dependency_ids = {item["id"] for _, item in dependencies if isinstance(item.get("id"), str)}

    for path, item in functions:
        problems += _unknown(
            document, (*path, "needs"), item.get("needs"), dependency_ids, function_ids
        )
    for path, item in dependencies:
        problems += _unknown(
            document, (*path, "needs"), item.get("needs"), dependency_ids, function_ids
        )
        problems += _unknown(
            document,
            (*path, "alternatives"),
            item.get("alternatives"),
            dependency_ids,
            function_ids,
        )
        alternatives = item.get("alternatives")
        if isinstance(alternatives, list):
            for index, other in enumerate(alternatives):
                if other == item.get("id"):
                    problems.append(
                        document.problem(
                            (*path, "alternatives", index),
                            "a dependency cannot be its own alternative",
                        )
                    )
        if catalog is not None:
            problems += _service(document, path, item, catalog)
        problems += _duplicate_check_ids(document, path, item.get("checks"))
    problems += _cycles(document, dependencies)
    return problems


def _duplicate_check_ids(document: Document, path: PathKey, checks: Any) -> list[Problem]:
    if not isinstance(checks, list):
        return []
    seen: dict[str, int] = {}
    problems = []
    for index, check in enumerate(checks):
        ident = check.get("id") if isinstance(check, dict) else None
        if not isinstance(ident, str):
            continue
        if ident in seen:
            first = document.locate((*path, "checks", seen[ident], "id"))
            where = f" (first used at line {first[0]})" if first else ""
            problems.append(
                document.problem(
                    (*path, "checks", index, "id"), f"duplicate check id '{ident}'{where}"
                )
            )
        else:
            seen[ident] = index
    return problems


def _items(data: Any, section: str) -> list[tuple[PathKey, dict[str, Any]]]:
    items = data.get(section) if isinstance(data, dict) else None
    if not isinstance(items, list):
        return []
    return [((section, i), item) for i, item in enumerate(items) if isinstance(item, dict)]


def _duplicate_ids(
    document: Document, items: list[tuple[PathKey, dict[str, Any]]]
) -> list[Problem]:
    seen: dict[str, PathKey] = {}
    problems = []
    for path, item in items:
        ident = item.get("id")
        if not isinstance(ident, str):
            continue
        if ident in seen:
            first = document.locate((*seen[ident], "id"))
            where = f" (first used at line {first[0]})" if first else ""
            problems.append(document.problem((*path, "id"), f"duplicate id '{ident}'{where}"))
        else:
            seen[ident] = path
    return problems


def _unknown(
    document: Document, path: PathKey, value: Any, dependency_ids: set[str], function_ids: set[str]
) -> list[Problem]:
    if not isinstance(value, list):
        return []
    problems = []
    for index, ident in enumerate(value):
        if not isinstance(ident, str) or ident in dependency_ids:
            continue
        if ident in function_ids:
            message = f"'{ident}' is a function; only dependencies can be listed here"
        else:
            message = f"unknown dependency '{ident}'{did_you_mean(ident, dependency_ids)}"
        problems.append(document.problem((*path, index), message))
    return problems


def _service(
    document: Document, path: PathKey, item: dict[str, Any], catalog: Catalog
) -> list[Problem]:
    service = item.get("service")
    if not isinstance(service, str):
        return []
    if service not in catalog:
        return [
            document.problem(
                (*path, "service"),
                f"unknown service '{service}'{catalog.suggest(service)}; "
                "`freecost catalog` lists them",
            )
        ]
    plan = item.get("plan")
    try:
        pack = catalog.get(service)
    except ValidationFailed:
        # The broken pack's own problems are already in the list; its plans cannot be known.
        return []
    known = [p.id for p in pack.plans]
    if isinstance(plan, str) and plan not in known:
        return [
            document.problem(
                (*path, "plan"),
                f"unknown plan '{plan}' for {service}{did_you_mean(plan, known)}; "
                f"known plans: {', '.join(known)}",
            )
        ]
    return []


def _cycles(
    document: Document, dependencies: list[tuple[PathKey, dict[str, Any]]]
) -> list[Problem]:
    """Each cycle in ``needs`` once, named in order, at the first dependency of the cycle."""
    graph: dict[str, list[str]] = {}
    where: dict[str, PathKey] = {}
    for path, item in dependencies:
        ident, needs = item.get("id"), item.get("needs")
        if isinstance(ident, str) and ident not in graph:
            graph[ident] = (
                [n for n in needs if isinstance(n, str)] if isinstance(needs, list) else []
            )
            where[ident] = path
    order = list(graph)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = finished
    found: list[list[str]] = []
    for start in order:
        if start in state:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        trail: list[str] = [start]
        state[start] = 1
        while stack:
            node, next_index = stack[-1]
            targets = [t for t in graph.get(node, []) if t in graph]
            if next_index < len(targets):
                stack[-1] = (node, next_index + 1)
                target = targets[next_index]
                if state.get(target) == 1:
                    found.append(trail[trail.index(target) :])
                elif target not in state:
                    state[target] = 1
                    stack.append((target, 0))
                    trail.append(target)
            else:
                state[node] = 2
                stack.pop()
                trail.pop()
    problems = []
    for cycle in found:
        first = min(cycle, key=order.index)
        turn = cycle.index(first)
        ordered = cycle[turn:] + cycle[:turn] + [first]
        problems.append(
            document.problem((*where[first], "needs"), f"cycle in needs: {' -> '.join(ordered)}")
        )
    return problems
