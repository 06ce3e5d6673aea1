"""What a check run produces: a status from a closed vocabulary, a summary a person reads,
the layer that failed, and details. Results are frozen data; probes never raise for a
vendor's failure, they return it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """``error`` means the probe could not decide: never the vendor's fault."""

    OK = "ok"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"

    @property
    def exit_code(self) -> int:
        """The Nagios plugin exit code for this status."""
        return {"ok": 0, "warn": 1, "fail": 2, "error": 3}[self.value]


class Layer(StrEnum):
    """Where a check failed, from the bottom of the stack up (blackbox_exporter #1077)."""

    LOCAL = "local"  # this machine: its network is down, a secret or file is missing
    CONFIG = "config"  # the check itself cannot run as written
    DNS = "dns"
    CONNECT = "connect"
    TLS = "tls"
    PROTOCOL = "protocol"  # SMTP, IMAP or another protocol answered wrongly
    HTTP = "http"
    CONTENT = "content"
    TIMEOUT = "timeout"
    VENDOR = "vendor"  # the vendor says so: a status page, an API's own answer
    DELIVERY = "delivery"  # a canary was sent but did not arrive


@dataclass(frozen=True)
class Outcome:
    """What one probe found. The runner adds identity, timing and the observation time."""

    status: Status
    summary: str
    layer: Layer | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def ok(cls, summary: str, **details: Any) -> Outcome:
        return cls(Status.OK, summary, None, details)

    @classmethod
    def warn(cls, summary: str, layer: Layer, **details: Any) -> Outcome:
        return cls(Status.WARN, summary, layer, details)

    @classmethod
    def fail(cls, summary: str, layer: Layer, **details: Any) -> Outcome:
        return cls(Status.FAIL, summary, layer, details)

    @classmethod
    def error(cls, summary: str, layer: Layer = Layer.LOCAL, **details: Any) -> Outcome:
        return cls(Status.ERROR, summary, layer, details)


@dataclass(frozen=True)
class CheckResult:
    """One check's result as stored, reported and printed by ``check --json``."""

    dependency: str
    check: str
    type: str
    status: Status
    summary: str
    observed_at: datetime
    latency_ms: float | None
    layer: Layer | None = None
    attempts: int = 1
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The contract form (DESIGN.md, ``check --json``); ``layer`` and ``attempts`` added."""
        return {
            "dependency": self.dependency,
            "check": self.check,
            "type": self.type,
            "status": self.status.value,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "summary": self.summary,
            "observed_at": self.observed_at.isoformat(),
            "layer": None if self.layer is None else self.layer.value,
            "attempts": self.attempts,
            "details": dict(self.details),
        }


def counts(results: Iterable[CheckResult]) -> dict[str, int]:
    """How many results have each status, every status present."""
    tally = {status.value: 0 for status in Status}
    for result in results:
        tally[result.status.value] += 1
    return tally


def worst_exit_code(results: Iterable[CheckResult]) -> int:
    """Nagios precedence: any fail is 2; else any error 3; else any warn 1; else 0."""
    seen = {result.status for result in results}
    for status in (Status.FAIL, Status.ERROR, Status.WARN):
        if status in seen:
            return status.exit_code
    return 0
