"""Durations as people write them in an inventory: ``90s``, ``5m``, ``4h``, ``1d``, ``2w``.

Parts may be combined (``1h30m``) and ``ms`` is accepted for latency thresholds. A bare number
is refused: ``30`` could mean seconds or minutes, and a wrong guess hides an outage.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema
from pydantic_core import PydanticCustomError

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+")
DURATION_PATTERN = r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"
EXAMPLES = "90s, 5m, 4h, 1d, 2w"
MAX_SECONDS = 100 * 365 * 86400


def parse_duration(text: str) -> timedelta:
    """Parse ``text`` into a timedelta; raise ValueError with a readable reason."""
    compact = text.strip().lower()
    if not _WHOLE.fullmatch(compact):
        raise ValueError(f"'{text}' is not a duration (write it like {EXAMPLES})")
    seconds = sum(float(n) * _UNITS[unit] for n, unit in _PART.findall(compact))
    if seconds > MAX_SECONDS:
        raise ValueError(f"'{text}' is longer than 100 years")
    return timedelta(seconds=seconds)


def format_duration(value: timedelta) -> str:
    """The shortest exact spelling of ``value`` in the units above (``1h30m``)."""
    millis = round(value.total_seconds() * 1000)
    if millis == 0:
        return "0s"
    parts: list[str] = []
    # Weeks only when they are whole: "30d" reads better than "4w2d".
    units = ("w", "d", "h", "m", "s") if millis % (7 * 86_400_000) == 0 else ("d", "h", "m", "s")
    for unit in units:
        size = int(_UNITS[unit] * 1000)
        count, millis = divmod(millis, size)
        if count:
            parts.append(f"{count}{unit}")
    if millis:
        parts.append(f"{millis}ms")
    return "".join(parts)


def _coerce(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool) or not isinstance(value, str):
        if isinstance(value, int | float) and not isinstance(value, bool):
            raise PydanticCustomError(
                "duration_unit",
                "a duration needs a unit: write {value}s, {value}m, ... ({examples})",
                {"value": value, "examples": EXAMPLES},
            )
        raise PydanticCustomError(
            "duration_type", "expected a duration like {examples}", {"examples": EXAMPLES}
        )
    try:
        parsed = parse_duration(value)
    except ValueError as exc:
        raise PydanticCustomError("duration_format", str(exc)) from None
    if parsed <= timedelta(0):
        raise PydanticCustomError("duration_zero", "a duration must be longer than zero")
    return parsed


Duration = Annotated[
    timedelta,
    BeforeValidator(_coerce),
    PlainSerializer(format_duration, return_type=str),
    WithJsonSchema({"type": "string", "pattern": DURATION_PATTERN, "examples": ["5m", "4h"]}),
]
"""A positive duration written with a unit; serialised back in the same spelling."""
