"""The dependency graph: what fails when a dependency, a pair of them or a failure domain fails.

A function works when every dependency it needs works. A dependency works when it has not
failed and everything it needs works — or when one of its alternatives works (an alternative
is an OR over the dependency and its stand-ins). Failure is monotone: failing more never makes
anything work again, which is what makes the brute-force search below sound.

Minimal cut sets are found by brute force over the dependencies relevant to a function (those
reachable from its needs through needs and alternatives). That is C(n, 1) + C(n, 2)
evaluations of the graph: fine for the inventories freecost is for, up to about 60 dependencies;
beyond that this module would need a BDD or a SAT-style search.

Failure domains are labels a dependency carries — ``account:<id>``, ``vendor:<vendor>``,
``domain:<name>`` (a domain name held by the dependency: its registrar and DNS host fail with
it). All dependencies carrying one label can fail together, whatever the graph says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from types import MappingProxyType
from typing import NamedTuple

from freecost.inventory import Dependency, Inventory, LoadedInventory

__all__ = [
    "Graph",
    "HollowAlternative",
    "blast_radius",
    "cut_sets",
    "domain_failures",
    "function_needs",
    "graph_of",
    "hollow_alternatives",
    "vendor_from_catalog",
    "works",
]


@dataclass(frozen=True)
class Graph:
    """Dependencies, what each needs upstream, what can stand in for each, and their domains.

    Every dependency id is a key of ``needs``; ``alternatives`` and ``domains`` may omit a
    dependency that has none. Unknown ids are refused here, so the analysis never has to guess.
    """

    needs: Mapping[str, tuple[str, ...]]
    alternatives: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    domains: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        known = self.needs.keys()
        for kind, edges in (("needs", self.needs), ("alternatives", self.alternatives)):
            for node, targets in edges.items():
                unknown = [t for t in (node, *targets) if t not in known]
                if unknown:
                    raise ValueError(f"{kind} of '{node}' names unknown dependency '{unknown[0]}'")
        unknown_domains = [node for node in self.domains if node not in known]
        if unknown_domains:
            raise ValueError(f"domains name unknown dependency '{unknown_domains[0]}'")

    @property
    def dependencies(self) -> tuple[str, ...]:
        """Every dependency id, in the order given."""
        return tuple(self.needs)

    def alternatives_of(self, dependency: str) -> tuple[str, ...]:
        return self.alternatives.get(dependency, ())

    def domains_of(self, dependency: str) -> frozenset[str]:
        return self.domains.get(dependency, frozenset())


class HollowAlternative(NamedTuple):
    """An alternative that fails with what it backs up, because they share a failure domain."""

    dependency: str
    alternative: str
    domain: str


def vendor_from_catalog(loaded: LoadedInventory) -> Callable[[Dependency], str | None]:
    """Who runs a dependency: its pack's vendor, else the vendor the inventory names."""

    def vendor_of(dependency: Dependency) -> str | None:
        if dependency.service and dependency.service in loaded.catalog:
            return loaded.catalog.get(dependency.service).vendor
        return dependency.vendor

    return vendor_of


def graph_of(inventory: Inventory, vendor_of: Callable[[Dependency], str | None]) -> Graph:
    """The inventory's dependency graph, each dependency labelled with its failure domains."""
    domains: dict[str, frozenset[str]] = {}
    for dependency in inventory.dependencies:
        labels: set[str] = set()
        if dependency.account is not None:
            # Account ids are mostly e-mail addresses, which are case-insensitive in practice.
            labels.add(f"account:{dependency.account.id.strip().lower()}")
        vendor = vendor_of(dependency)
        if vendor:
            labels.add(f"vendor:{vendor}")
        labels.update(f"domain:{a.value}" for a in dependency.assets if a.kind == "domain")
        domains[dependency.id] = frozenset(labels)
    return Graph(
        needs=MappingProxyType({d.id: tuple(d.needs) for d in inventory.dependencies}),
        alternatives=MappingProxyType(
            {d.id: tuple(d.alternatives) for d in inventory.dependencies if d.alternatives}
        ),
        domains=MappingProxyType(domains),
    )


def function_needs(inventory: Inventory) -> dict[str, tuple[str, ...]]:
    """Each function's id with the dependencies it needs, in inventory order."""
    return {function.id: tuple(function.needs) for function in inventory.functions}


def _relevant(graph: Graph, needs: Iterable[str]) -> tuple[str, ...]:
    """Dependencies reachable from ``needs`` through needs and alternatives, in graph order."""
    seen: set[str] = set()
    todo = list(needs)
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        if node not in graph.needs:
            raise ValueError(f"unknown dependency '{node}'")
        seen.add(node)
        todo.extend(graph.needs[node])
        todo.extend(graph.alternatives_of(node))
    return tuple(node for node in graph.dependencies if node in seen)


def _working(graph: Graph, nodes: Iterable[str], failed: frozenset[str]) -> set[str]:
    # A least fixpoint rather than a recursive walk: alternatives may point at each other
    # (A backs up B and B backs up A), and a cycle must not let a dependency vouch for itself.
    pending = set(nodes)
    working: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in list(pending):
            itself = node not in failed and all(n in working for n in graph.needs[node])
            if itself or any(a in working for a in graph.alternatives_of(node)):
                working.add(node)
                pending.discard(node)
                changed = True
    return working


def works(graph: Graph, needs: Iterable[str], failed: frozenset[str]) -> bool:
    """Whether something needing all of ``needs`` still works when ``failed`` have failed."""
    needed = tuple(needs)
    working = _working(graph, _relevant(graph, needed), failed)
    return all(n in working for n in needed)


def cut_sets(graph: Graph, needs: Iterable[str], max_size: int = 2) -> list[frozenset[str]]:
    """Minimal sets of failed dependencies (up to ``max_size``) that stop a function.

    Size 1 are single points of failure, size 2 shared-fate pairs. Ordered by size, then by the
    graph's order of dependencies. Brute force: see the module docstring for the limits.
    """
    needed = tuple(needs)
    relevant = _relevant(graph, needed)
    found: list[frozenset[str]] = []
    for size in range(1, max_size + 1):
        for combination in combinations(relevant, size):
            candidate = frozenset(combination)
            # A superset of a cut set also cuts, but is not minimal; failure is monotone,
            # so skipping it loses nothing.
            if any(cut <= candidate for cut in found):
                continue
            working = _working(graph, relevant, candidate)
            if not all(n in working for n in needed):
                found.append(candidate)
    return found


def _members(graph: Graph) -> dict[str, frozenset[str]]:
    members: dict[str, set[str]] = {}
    for node in graph.dependencies:
        for label in graph.domains_of(node):
            members.setdefault(label, set()).add(node)
    return {label: frozenset(nodes) for label, nodes in members.items()}


def domain_failures(graph: Graph, needs: Iterable[str]) -> list[str]:
    """Failure domains that stop a function although no single dependency in them would.

    Where one member alone already stops the function, the single point of failure is the
    finding; the domain adds nothing. Sorted by label.
    """
    needed = tuple(needs)
    return sorted(
        label
        for label, nodes in _members(graph).items()
        if not works(graph, needed, nodes)
        and all(works(graph, needed, frozenset({node})) for node in nodes)
    )


def _fate(graph: Graph, dependency: str) -> frozenset[str]:
    # What a dependency shares fate with: its own domains and those of everything it needs
    # upstream (not its alternatives — those are what is being judged).
    labels: set[str] = set()
    seen: set[str] = set()
    todo = [dependency]
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            labels.update(graph.domains_of(node))
            todo.extend(graph.needs[node])
    return frozenset(labels)


def hollow_alternatives(graph: Graph) -> list[HollowAlternative]:
    """Each (dependency, alternative, shared domain) where the backup shares the primary's fate.

    Domains are compared including everything each of the two needs upstream: a backup kept
    in Google Drive is no backup for a service that signs in with the same Google account.
    """
    hollow = []
    for node in graph.dependencies:
        primary = _fate(graph, node)
        for alternative in graph.alternatives_of(node):
            for label in sorted(primary & _fate(graph, alternative)):
                hollow.append(HollowAlternative(node, alternative, label))
    return hollow


def blast_radius(
    graph: Graph, functions: Mapping[str, Iterable[str]], dependency: str
) -> list[str]:
    """The functions that stop when ``dependency`` fails alone, in the order given."""
    if dependency not in graph.needs:
        raise ValueError(f"unknown dependency '{dependency}'")
    failed = frozenset({dependency})
    return [function for function, needs in functions.items() if not works(graph, needs, failed)]
