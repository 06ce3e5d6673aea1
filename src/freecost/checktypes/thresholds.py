"""Warn and fail thresholds shared by several check types, so they read and fail alike.

``latency: {warn, fail}`` (http, dns): slower than ``warn`` warns, slower than ``fail``
fails. ``expiry: {warn, fail}`` (tls, domain): expiring sooner than ``warn`` warns, sooner
than ``fail`` fails. Each type sets its own expiry defaults by subclassing :class:`Expiry`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from freecost.durations import Duration, format_duration
from freecost.model import Model


class Latency(Model):
    """How long an answer may take before the check warns or fails."""

    warn: Duration | None = Field(default=None, description="slower than this is a warning")
    fail: Duration | None = Field(default=None, description="slower than this is a failure")

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.warn is None and self.fail is None:
            raise PydanticCustomError("latency_empty", "latency needs warn, fail or both")
        if self.warn is not None and self.fail is not None and self.warn >= self.fail:
            raise PydanticCustomError(
                "latency_order",
                "latency warn ({warn}) must be shorter than fail ({fail})",
                {"warn": format_duration(self.warn), "fail": format_duration(self.fail)},
            )
        return self

    def exceeded(self, took: timedelta) -> tuple[str, timedelta] | None:
        """``("fail" | "warn", limit)`` for the first limit ``took`` is over, else None."""
        for level, limit in (("fail", self.fail), ("warn", self.warn)):
            if limit is not None and took > limit:
                return level, limit
        return None


class Expiry(Model):
    """How close to an expiry date something may come before the check warns, then fails."""

    warn: Duration = Field(default=timedelta(days=21), description="warn when it expires sooner")
    fail: Duration = Field(default=timedelta(days=7), description="fail when it expires sooner")

    @model_validator(mode="after")
    def _warn_comes_first(self) -> Self:
        if self.warn < self.fail:
            raise PydanticCustomError(
                "expiry_order",
                "warn ({warn}) must not be shorter than fail ({fail}): "
                "the warning has to come before the failure",
                {"warn": format_duration(self.warn), "fail": format_duration(self.fail)},
            )
        return self
