"""The map from a check's ``type:`` to its parameter model and probe.

A check type is one module under ``freecost.probes`` that defines ``Check`` (a
:class:`CheckBase` with ``type: Literal[...]`` and ``type_name``) and
``async def probe(check, ctx) -> Outcome``. Listing the module in ``PROBE_MODULES`` is all
it takes to add a type. The inventory validates each check against exactly one model,
chosen by ``type``, so an error names the fields of that type and no other.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.durations import Duration
from freecost.model import Identifier, Model

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext
    from freecost.results import Outcome

Probe = Callable[[Any, "ProbeContext"], Awaitable["Outcome"]]

PROBE_MODULES: tuple[str, ...] = (
    "command",
    "dns",
    "domain",
    "file_age",
    "form",
    "http",
    "imap",
    "mailauth",
    "roundtrip",
    "sms",
    "smtp",
    "statuspage",
    "tcp",
    "tls",
    "voicecall",
)
"""Modules (under freecost.probes) that each define one check type."""


class CheckBase(Model):
    """What every check has, whatever its type."""

    type_name: ClassVar[str] = ""
    network: ClassVar[bool] = True
    """Whether the check crosses the network (and so depends on this machine being online)."""
    clients: ClassVar[frozenset[str]] = frozenset()
    """The shared clients of the probe context it uses (``http``, ``api``, ``resolver``,
    ``ssl``). The runner builds them before the first check starts, so their set-up (an
    import, a trust store read) is not counted in the first checks' time."""

    id: Identifier
    type: str
    every: Duration | None = Field(default=None, description="how often the check is due")
    timeout: Duration | None = Field(
        default=None, description="deadline for the whole check, retries included"
    )
    retries: int = Field(
        default=0, ge=0, le=5, description="extra attempts after a fail, with backoff"
    )
    fail_after: int | None = Field(
        default=None, ge=1, le=100, description="consecutive failures before it is down"
    )
    recover_after: int | None = Field(
        default=None, ge=1, le=100, description="consecutive successes before it is up again"
    )

    def target(self) -> str | None:
        """The host this check talks to, for the per-host concurrency cap."""
        return None


@cache
def _modules() -> dict[str, Any]:
    found = {}
    for name in PROBE_MODULES:
        module = importlib.import_module(f"freecost.probes.{name}")
        found[module.Check.type_name] = module
    return dict(sorted(found.items()))


def check_types() -> dict[str, type[CheckBase]]:
    """Every known check type's parameter model, by type name."""
    return {name: module.Check for name, module in _modules().items()}


def probe_for(type_name: str) -> Probe:
    """The probe function of a check type."""
    probe: Probe = _modules()[type_name].probe
    return probe


def _known_type(value: Any) -> Any:
    from freecost.packs import did_you_mean

    known = check_types()
    listing = ", ".join(known) if known else "none yet"
    if not isinstance(value, dict):
        raise PydanticCustomError("check_type", "expected a mapping with a 'type' key")
    kind = value.get("type")
    if kind is None:
        raise PydanticCustomError(
            "check_type_missing",
            "a check needs a 'type' (known types: {known})",
            {"known": listing},
        )
    if not isinstance(kind, str) or kind not in known:
        raise PydanticCustomError(
            "check_type_unknown",
            "unknown check type '{kind}'{hint}; known types: {known}",
            {"kind": str(kind)[:40], "hint": did_you_mean(str(kind), known), "known": listing},
        )
    return value


def check_spec() -> Any:
    """The type of one check in an inventory or pack: a union discriminated by ``type``."""
    models = tuple(check_types().values())
    guard = BeforeValidator(_known_type)
    if not models:
        return Annotated[dict[str, Any], guard]
    if len(models) == 1:
        return Annotated[models[0], guard]
    return Annotated[Union[models], Field(discriminator="type"), guard]  # noqa: UP007
