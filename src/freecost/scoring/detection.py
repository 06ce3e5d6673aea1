"""Detection coverage: would anyone notice when a dependency fails, and how soon?

Checks watch a dependency at different layers:

==============  =======================================  =====================================
layer           check types                              what it can see
==============  =======================================  =====================================
reachability    http, tcp, tls, dns, smtp, imap, command  the service answers from here
configuration   domain, mail-auth                        the records and registration it runs on
status-page     statuspage                               what the vendor admits
end-to-end      email-roundtrip, form, voice-call, sms   a customer's message really arrives
backup          file-age                                 the escape hatch is fresh
==============  =======================================  =====================================

Only an end-to-end canary sees a silent failure: a voicemail box that swallows messages
answers every reachability probe and the vendor's page stays green. A canary walks a
function's whole path, so it covers every dependency the function needs (upstream too): a
round trip to the business address proves the domain's MX as well as the mailbox.

A dependency is an *inbound channel* when customers reach the business through it: the
inventory says so (``inbound:``), else its pack does, else it holds a phone number or an
e-mail address customers use.

Points lost, out of 100 (scaled by how critical the functions relying on it are: critical
1.0, high 0.8, medium 0.5, low 0.25), each carried by one finding:

===================  ======  ==========================================================
code                 points  when
===================  ======  ==========================================================
NOT_WATCHED           100    no check watches it and no canary walks through it
NO_CANARY              60    an inbound channel of a critical or high function without an
                             end-to-end canary on its path
NO_REACHABILITY        25    watched, but by no reachability or configuration check, and
                             no canary covers it
NO_VENDOR_STATUS       15    its pack names a status page that no check reads
NO_EXPIRY_WATCH        25    it holds the business's domain and no ``domain`` check
                             watches the registration (an expired domain takes e-mail
                             and the website with it, silently)
===================  ======  ==========================================================

The total is capped at 100; the cap comes off the last findings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal, NamedTuple

from freecost.inventory import Criticality, Dependency, Function, Inventory
from freecost.packs import Pack
from freecost.scoring.findings import Finding, Severity
from freecost.scoring.sla import top_criticality

Layer = Literal["reachability", "configuration", "status-page", "end-to-end", "backup"]

LAYERS: tuple[Layer, ...] = ("reachability", "configuration", "status-page", "end-to-end", "backup")

LAYER_OF_TYPE: dict[str, Layer] = {
    "http": "reachability",
    "tcp": "reachability",
    "tls": "reachability",
    "dns": "reachability",
    "smtp": "reachability",
    "imap": "reachability",
    "command": "reachability",
    "domain": "configuration",
    "mail-auth": "configuration",
    "statuspage": "status-page",
    "email-roundtrip": "end-to-end",
    "form": "end-to-end",
    "voice-call": "end-to-end",
    "sms": "end-to-end",
    "file-age": "backup",
}

FACTOR: dict[Criticality, float] = {"critical": 1.0, "high": 0.8, "medium": 0.5, "low": 0.25}
_SEVERITY: dict[Criticality, Severity] = {
    "critical": "high",
    "high": "medium",
    "medium": "low",
    "low": "low",
}
_CHANNEL_ASSETS = frozenset({"phone-number", "email-address"})


class Watch(NamedTuple):
    """One check on a dependency: its id and type."""

    check: str
    type: str

    @property
    def layer(self) -> Layer | None:
        return LAYER_OF_TYPE.get(self.type)


@dataclass(frozen=True)
class Detection:
    """How a dependency is watched, and the findings that explain every lost point."""

    score: int
    layers: tuple[Layer, ...]
    end_to_end: bool
    end_to_end_via: tuple[str, ...]
    inbound: bool
    findings: list[Finding]

    def to_json(self) -> dict[str, Any]:
        return {
            "layers": list(self.layers),
            "end_to_end": self.end_to_end,
            "end_to_end_via": list(self.end_to_end_via),
            "inbound": self.inbound,
        }


def is_inbound(dependency: Dependency, pack: Pack | None) -> bool:
    """Whether customers reach the business through ``dependency``."""
    if dependency.inbound is not None:
        return dependency.inbound
    if pack is not None and pack.inbound_channel:
        return True
    return any(asset.kind in _CHANNEL_ASSETS for asset in dependency.assets)


def needs_closure(inventory: Inventory, roots: Iterable[str]) -> set[str]:
    """``roots`` and everything they need upstream (not their alternatives)."""
    needs = {d.id: d.needs for d in inventory.dependencies}
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        node = todo.pop()
        if node not in seen:
            seen.add(node)
            todo.extend(needs.get(node, ()))
    return seen


def canaries(watches: Mapping[str, Sequence[Watch]], dependencies: Iterable[str]) -> list[str]:
    """The end-to-end checks on ``dependencies``, as ``dependency/check``, sorted."""
    return sorted(
        f"{dep}/{w.check}"
        for dep in dependencies
        for w in watches.get(dep, ())
        if w.layer == "end-to-end"
    )


def function_end_to_end(
    inventory: Inventory, watches: Mapping[str, Sequence[Watch]], function: Function
) -> list[str]:
    """The canaries that walk ``function``'s path."""
    return canaries(watches, needs_closure(inventory, function.needs))


def detection(
    inventory: Inventory,
    watches: Mapping[str, Sequence[Watch]],
    packs: Mapping[str, Pack | None],
    relying: Mapping[str, Sequence[Function]],
) -> dict[str, Detection]:
    """Detection coverage of every dependency.

    ``watches`` are each dependency's checks, ``packs`` its pack (or None) and ``relying``
    the functions that rely on it (directly, upstream or as an alternative), which set how
    much a blind spot matters.
    """
    paths = {f.id: needs_closure(inventory, f.needs) for f in inventory.functions}
    walked = {f.id: canaries(watches, paths[f.id]) for f in inventory.functions}
    result = {}
    for dependency in inventory.dependencies:
        on_path = [f for f in inventory.functions if dependency.id in paths[f.id]]
        # Its own canaries count even where no function's needs path runs through it (an
        # alternative, or a dependency nothing needs yet).
        own = canaries(watches, [dependency.id])
        via = sorted({*own, *(c for f in on_path for c in walked[f.id])})
        result[dependency.id] = _judge(
            dependency,
            list(watches.get(dependency.id, ())),
            packs.get(dependency.id),
            relying.get(dependency.id, ()),
            on_path,
            via,
        )
    return result


def _judge(
    dependency: Dependency,
    own: list[Watch],
    pack: Pack | None,
    relying: Sequence[Function],
    on_path: Sequence[Function],
    via: list[str],
) -> Detection:
    layers = tuple(layer for layer in LAYERS if any(w.layer == layer for w in own))
    inbound = is_inbound(dependency, pack)
    bar = top_criticality(relying)
    findings: list[Finding] = []

    def lose(code: str, severity: Severity, message: str, evidence: str, base: int) -> None:
        findings.append(Finding(code, severity, message, evidence, round(base * FACTOR[bar])))

    watched_by = ", ".join(f"{w.check} ({w.type})" for w in own) or "no checks"
    if not own and not via:
        lose(
            "NOT_WATCHED",
            _SEVERITY[bar],
            f"Nothing watches {dependency.name}: when it fails, the business hears it from "
            "a customer.",
            "no checks on it and no end-to-end canary through it",
            100,
        )
        return Detection(_score(findings), layers, False, (), inbound, findings)
    channel_bar = top_criticality(on_path)
    if inbound and not via and on_path and channel_bar in ("critical", "high"):
        names = "; ".join(f.name for f in on_path)
        lose(
            "NO_CANARY",
            _SEVERITY[channel_bar],
            f"Customers reach the business through {dependency.name}, but no end-to-end "
            "canary proves their messages arrive: a silent failure lasts until a customer "
            "complains.",
            f"inbound channel for: {names}; watched by: {watched_by}",
            60,
        )
    if not via and not {"reachability", "configuration"} & set(layers):
        lose(
            "NO_REACHABILITY",
            "low",
            f"No check tests whether {dependency.name} answers from here; only "
            f"{', '.join(layers) or 'nothing'} watches it.",
            f"watched by: {watched_by}",
            25,
        )
    if pack is not None and pack.status_page is not None and "status-page" not in layers:
        lose(
            "NO_VENDOR_STATUS",
            "low",
            f"The vendor's status page for {dependency.name} is not read, so its own "
            "admissions of trouble are missed.",
            f"status page: {pack.status_page.url}",
            15,
        )
    holds_domain = any(asset.kind == "domain" for asset in dependency.assets)
    if holds_domain and not any(w.type == "domain" for w in own):
        lose(
            "NO_EXPIRY_WATCH",
            _SEVERITY[bar],
            f"No check watches the registration of the domain {dependency.name} holds: if it "
            "expires or is moved, e-mail and the website stop with no warning.",
            "domain assets: " + ", ".join(a.value for a in dependency.assets if a.kind == "domain"),
            25,
        )
    _cap(findings)
    return Detection(_score(findings), layers, bool(via), tuple(via), inbound, findings)


def _cap(findings: list[Finding]) -> None:
    excess = sum(f.points for f in findings) - 100
    for index in range(len(findings) - 1, -1, -1):
        if excess <= 0:
            return
        cut = min(excess, findings[index].points)
        findings[index] = replace(findings[index], points=findings[index].points - cut)
        excess -= cut


def _score(findings: list[Finding]) -> int:
    return max(0, 100 - sum(f.points for f in findings))
