"""What a ``command`` check accepts: the plugin and its arguments as a list, and the secrets
it is given as environment variables.

The probe is in :mod:`freecost.probes.command`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, StringConstraints
from pydantic_core import PydanticCustomError

from freecost.probes.registry import CheckBase
from freecost.secrets import Secret

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _argv(value: Any) -> Any:
    if isinstance(value, str):
        import shlex  # only to suggest the list form, so validating a list does not load it

        try:
            suggestion = "[" + ", ".join(shlex.split(value)) + "]"
        except ValueError:
            suggestion = "[program, argument, ...]"
        raise PydanticCustomError(
            "command_string",
            "command is a list, the program then each argument (no shell): write {suggestion}",
            {"suggestion": suggestion[:200]},
        )
    if not isinstance(value, list | tuple) or not value:
        raise PydanticCustomError(
            "command_empty",
            "command needs at least the program to run, like "
            "[/usr/lib/nagios/plugins/check_dummy, '0']",
        )
    # YAML reads `[check_dummy, 0]` with a number; an argument is text as written.
    argv = [_as_text(item) for item in value]
    if not isinstance(argv[0], str) or not argv[0].strip():
        raise PydanticCustomError("command_program", "the first item of command names the program")
    if any(not isinstance(item, str) or "\0" in item for item in argv):
        raise PydanticCustomError(
            "command_argument", "each item of command is text (a program or one argument)"
        )
    return argv


def _as_text(item: Any) -> Any:
    return str(item) if isinstance(item, int | float) and not isinstance(item, bool) else item


def _env_name(value: Any) -> Any:
    if not isinstance(value, str) or not _ENV_NAME.fullmatch(value):
        raise PydanticCustomError(
            "env_name",
            "'{name}' is not an environment variable name: use letters, digits and "
            "underscores, not starting with a digit",
            {"name": str(value)[:64]},
        )
    return value


EnvName = Annotated[str, BeforeValidator(_env_name)]
# Spaces around an argument are part of it: the inventory's whitespace stripping stops here.
Argument = Annotated[str, StringConstraints(strip_whitespace=False)]


class Check(CheckBase):
    """Runs a Nagios-compatible plugin; its exit code is the status."""

    type_name: ClassVar[str] = "command"
    network: ClassVar[bool] = False

    type: Literal["command"]
    command: Annotated[list[Argument], BeforeValidator(_argv)] = Field(
        min_length=1, description="the plugin and its arguments as a list; no shell is involved"
    )
    env: dict[EnvName, Secret] = Field(
        default_factory=dict,
        description="extra environment variables for the plugin; each value is ${ENV} or "
        "file:PATH, since plugins take their passwords this way",
    )
