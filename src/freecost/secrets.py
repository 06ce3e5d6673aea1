"""Secrets are named in the inventory, never written there: ``${NAME}`` or ``file:PATH``.

A :class:`SecretRef` keeps only the reference. Its value is read when a check or notifier
needs it, and neither the value nor a plain-text secret typed into the inventory by mistake is
ever repeated in a message, a repr, the database or a report.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

from freecost.errors import SecretError

_ENV = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")
_FILE = "file:"
SECRET_PATTERN = r"^(\$\{[A-Za-z_][A-Za-z0-9_]*\}|file:.+)$"
MAX_SECRET_FILE = 64 * 1024


@dataclass(frozen=True)
class SecretRef:
    """Where a secret lives: an environment variable or a file (relative to the inventory)."""

    env: str | None = None
    file: str | None = None

    @classmethod
    def parse(cls, text: str) -> SecretRef:
        """Read ``${NAME}`` or ``file:PATH``; anything else is refused without repeating it."""
        match = _ENV.fullmatch(text.strip())
        if match:
            return cls(env=match.group(1))
        if text.startswith(_FILE) and text[len(_FILE) :].strip():
            return cls(file=text[len(_FILE) :].strip())
        raise ValueError("not a secret reference")

    def __str__(self) -> str:
        return f"${{{self.env}}}" if self.env else f"{_FILE}{self.file}"

    def __repr__(self) -> str:
        return f"SecretRef({self})"

    def describe(self) -> str:
        """How a person finds this secret, for messages: never its value."""
        return f"environment variable {self.env}" if self.env else f"secret file {self.file}"

    def resolve(self, base_dir: Path, environ: Mapping[str, str] | None = None) -> str:
        """The secret's value; SecretError names the variable or file when it is missing."""
        env = os.environ if environ is None else environ
        if self.env is not None:
            value = env.get(self.env)
            if value is None or value == "":
                raise SecretError(f"{self.describe()} is not set")
            return value
        assert self.file is not None
        path = Path(self.file).expanduser()
        if not path.is_absolute():
            path = base_dir / path
        try:
            with path.open("rb") as handle:
                raw = handle.read(MAX_SECRET_FILE + 1)
        except FileNotFoundError:
            raise SecretError(f"{self.describe()} does not exist") from None
        except OSError as exc:
            raise SecretError(f"{self.describe()} cannot be read: {exc.strerror}") from None
        if len(raw) > MAX_SECRET_FILE:
            raise SecretError(f"{self.describe()} is larger than {MAX_SECRET_FILE // 1024} KB")
        try:
            value = raw.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise SecretError(f"{self.describe()} is not UTF-8 text") from None
        if not value:
            raise SecretError(f"{self.describe()} is empty")
        return value


def _secret(value: Any) -> SecretRef:
    if isinstance(value, SecretRef):
        return value
    if isinstance(value, str):
        try:
            return SecretRef.parse(value)
        except ValueError:
            pass
    # Deliberately no {value}: whatever was typed here may be the secret itself.
    raise PydanticCustomError(
        "plain_secret",
        "a secret must not be written in the inventory: name an environment variable "
        "as ${NAME} or a file as file:PATH",
    )


Secret = Annotated[
    SecretRef,
    BeforeValidator(_secret),
    PlainSerializer(str, return_type=str),
    WithJsonSchema({"type": "string", "pattern": SECRET_PATTERN, "examples": ["${API_TOKEN}"]}),
]
"""A field that holds a secret: only a reference to it is accepted."""
