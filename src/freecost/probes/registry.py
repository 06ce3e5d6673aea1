"""The map from a check's ``type:`` to its parameter model and its probe.

A check type is two modules of the same name: ``freecost.checktypes.<name>`` defines ``Check``
(a :class:`CheckBase` with ``type: Literal[...]`` and ``type_name``), and
``freecost.probes.<name>`` defines ``async def probe(check, ctx) -> Outcome``. Adding it to
``CHECK_TYPES`` is all it takes to add a type. The inventory validates each check
against exactly one model, chosen by ``type``, so an error names the fields of that type and
no other. Validating imports only the models; a probe module (and what it needs to talk to
the world) is imported the first time a check of its type runs.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Union

from pydantic import Field, GetCoreSchemaHandler, GetJsonSchemaHandler, TypeAdapter
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from freecost.durations import Duration
from freecost.model import Identifier, Model

if TYPE_CHECKING:
    from freecost.probes.context import ProbeContext
    from freecost.results import Outcome

Probe = Callable[[Any, "ProbeContext"], Awaitable["Outcome"]]

CHECK_TYPES: dict[str, str] = {
    "command": "command",
    "dns": "dns",
    "domain": "domain",
    "email-roundtrip": "roundtrip",
    "file-age": "file_age",
    "form": "form",
    "http": "http",
    "imap": "imap",
    "mail-auth": "mailauth",
    "sms": "sms",
    "smtp": "smtp",
    "statuspage": "statuspage",
    "tcp": "tcp",
    "tls": "tls",
    "voice-call": "voicecall",
}
"""Each check type, by its ``type:``, and the name of its modules under freecost.checktypes
and freecost.probes. Listed rather than discovered, so naming a type imports only its model."""


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
def model_for(type_name: str) -> type[CheckBase]:
    """The parameter model of one check type (importing only its module)."""
    model: type[CheckBase] = importlib.import_module(
        f"freecost.checktypes.{CHECK_TYPES[type_name]}"
    ).Check
    return model


def check_types() -> dict[str, type[CheckBase]]:
    """Every known check type's parameter model, by type name."""
    return {name: model_for(name) for name in sorted(CHECK_TYPES)}


def probe_for(type_name: str) -> Probe:
    """The probe function of a check type (importing its module on first use)."""
    module = importlib.import_module(f"freecost.probes.{CHECK_TYPES[type_name]}")
    probe: Probe = module.probe
    return probe


def _known_type(value: Any) -> Any:
    from freecost.packs import did_you_mean

    known = tuple(CHECK_TYPES)
    listing = ", ".join(known)
    if not isinstance(value, dict):
        raise PydanticCustomError("check_type", "expected a mapping with a 'type' key")
    kind = value.get("type")
    if kind is None:
        raise PydanticCustomError(
            "check_type_missing",
            "a check needs a 'type' (known types: {known})",
            {"known": listing},
        )
    if not isinstance(kind, str) or kind not in CHECK_TYPES:
        raise PydanticCustomError(
            "check_type_unknown",
            "unknown check type '{kind}'{hint}; known types: {known}",
            {"kind": str(kind)[:40], "hint": did_you_mean(str(kind), known), "known": listing},
        )
    return value


def _validate_check(value: Any) -> CheckBase:
    checked = _known_type(value)
    return model_for(checked["type"]).model_validate(checked)


class _OneCheck:
    """Validates a check against the model its ``type`` names, building only that model.

    A discriminated union would build every type's model whenever an inventory is loaded;
    this builds the ones the inventory uses. A ValidationError raised here keeps its
    locations, so problems point into the check as before. The JSON Schema is still the full
    union, built only when a schema is asked for.
    """

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: Any, handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        return core_schema.no_info_plain_validator_function(
            _validate_check,
            # Dump each check as its own model, not as the CheckBase the field is typed as.
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda check: check, return_schema=core_schema.any_schema()
            ),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        models = tuple(check_types().values())
        union: Any = Annotated[Union[models], Field(discriminator="type")]  # noqa: UP007
        return handler(TypeAdapter(union).core_schema)


def check_spec() -> Any:
    """The type of one check in an inventory or pack: the model its ``type`` names."""
    return Annotated[CheckBase, _OneCheck]
