"""The map from a check's ``type:`` to its parameter model, and the union the inventory uses.

Every check type module adds its model to ``PROBE_MODULES`` below; nothing else needs to
change to add a type. The inventory validates each check against exactly one model, chosen
by ``type``, so an error names the fields of that type and no other.
"""

from __future__ import annotations

import importlib
from functools import cache
from typing import Annotated, Any, ClassVar, Union

from pydantic import BeforeValidator, Field
from pydantic_core import PydanticCustomError

from freecost.durations import Duration
from freecost.model import Identifier, Model

PROBE_MODULES: tuple[str, ...] = ()
"""Modules (under freecost.probes) that each define one check type."""


class CheckBase(Model):
    """What every check has, whatever its type."""

    type_name: ClassVar[str] = ""

    id: Identifier
    type: str
    every: Duration | None = Field(default=None, description="how often the check is due")
    timeout: Duration | None = Field(default=None, description="deadline for one run")


@cache
def check_types() -> dict[str, type[CheckBase]]:
    """Every known check type, by name."""
    found: dict[str, type[CheckBase]] = {}
    for name in PROBE_MODULES:
        module = importlib.import_module(f"freecost.probes.{name}")
        model: type[CheckBase] = module.Check
        found[model.type_name] = model
    return dict(sorted(found.items()))


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
