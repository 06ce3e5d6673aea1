"""What a ``file-age`` check accepts: a glob of the files, how old the newest may be, and the
smallest acceptable size.

The probe is in :mod:`freecost.probes.file_age`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BeforeValidator, Field, model_validator
from pydantic_core import PydanticCustomError

from freecost.durations import Duration
from freecost.model import Model
from freecost.probes.registry import CheckBase


class MaxAge(Model):
    """How old the newest file may be before the check warns, then fails."""

    warn: Duration = Field(default=timedelta(days=8), description="older than this: warn")
    fail: Duration = Field(default=timedelta(days=15), description="older than this: fail")

    @model_validator(mode="after")
    def _warn_before_fail(self) -> MaxAge:
        if self.warn >= self.fail:
            raise PydanticCustomError(
                "max_age_order",
                "max_age.warn ({warn}) must be shorter than max_age.fail ({fail}): "
                "a file turns stale (warn) before it is too old (fail)",
                {"warn": human_age(self.warn), "fail": human_age(self.fail)},
            )
        return self


def _pattern(value: Any) -> Any:
    if not isinstance(value, str) or not value.strip() or "\0" in value:
        raise PydanticCustomError(
            "file_pattern", "path names the files to watch, like exports/crm-*.csv"
        )
    return value


def _min_size(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PydanticCustomError(
            "min_size", "min_size is a whole number of bytes, 0 or more (like 1024)"
        )
    return value


class Check(CheckBase):
    """The newest file matching ``path`` is younger than ``max_age`` and not too small."""

    type_name: ClassVar[str] = "file-age"
    network: ClassVar[bool] = False

    type: Literal["file-age"]
    path: Annotated[str, BeforeValidator(_pattern)] = Field(
        description="glob of the files, relative to the inventory's folder (~ and ** work)"
    )
    max_age: MaxAge = Field(default_factory=MaxAge, description="age thresholds")
    min_size: Annotated[int, BeforeValidator(_min_size)] = Field(
        default=1,
        ge=0,
        description="smallest acceptable size in bytes; an empty export is no export",
    )


def human_age(age: timedelta) -> str:
    """An age as a person says it: the two largest units, like ``3d 4h`` or ``5m 2s``."""
    seconds = max(int(age.total_seconds()), 0)
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, seconds = divmod(seconds, size)
        if count or parts:
            parts.append(f"{count}{unit}")
    kept = parts[:2]
    while len(kept) > 1 and kept[-1].startswith("0"):
        kept.pop()
    return " ".join(kept) if kept else "0s"
