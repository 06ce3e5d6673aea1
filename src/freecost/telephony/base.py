"""The telephony provider interface: place a call or send a text, then follow its status.

A provider speaks its own API and maps its statuses into the neutral vocabulary below, so a
probe reads ``CallStatus.NO_ANSWER`` whether Twilio said ``no-answer`` or another vendor said
``unanswered``. The provider's own word is kept beside it (``provider_status``) for the
details a person reads.

Everything that goes wrong talking to the provider is raised as :class:`TelephonyError`,
which carries the outcome status and layer the probe reports:

- ``CREDENTIALS``: the provider refused the account or token → ``error`` (the check's own
  configuration; the number was never tried);
- ``REJECTED``: the provider refused the request as written (a malformed number, a ``from``
  the account does not own, a permission not enabled) → ``error``, for the same reason;
- ``VENDOR``: the provider failed (5xx, no answer in time, an unreadable answer, rate
  limiting) → ``fail`` at the ``vendor`` layer: the canary could not be placed.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar

from freecost.results import Layer, Status


class CallStatus(StrEnum):
    """Where a call is. The last five are terminal: the call is over."""

    QUEUED = "queued"
    RINGING = "ringing"
    IN_PROGRESS = "in-progress"
    COMPLETED = "completed"
    BUSY = "busy"
    NO_ANSWER = "no-answer"
    FAILED = "failed"
    CANCELED = "canceled"
    UNKNOWN = "unknown"
    """A status this code does not know; the call is followed until the window ends."""

    @property
    def terminal(self) -> bool:
        return self in _CALL_TERMINAL


_CALL_TERMINAL = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
    }
)


class MessageStatus(StrEnum):
    """Where a text is. ``delivered``, ``failed`` and ``undelivered`` are terminal.

    ``sent`` (handed to the carrier) is often the last word: many carriers never confirm
    delivery, so a probe must decide what a ``sent`` at the end of its window means.
    """

    PENDING = "pending"
    SENT = "sent"
    DELIVERED = "delivered"
    UNDELIVERED = "undelivered"
    FAILED = "failed"
    UNKNOWN = "unknown"

    @property
    def terminal(self) -> bool:
        return self in _MESSAGE_TERMINAL


_MESSAGE_TERMINAL = frozenset(
    {MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED}
)


@dataclass(frozen=True)
class CallHandle:
    """A placed call, as the provider names it."""

    id: str
    status: CallStatus = CallStatus.QUEUED


@dataclass(frozen=True)
class MessageHandle:
    """A sent text, as the provider names it."""

    id: str
    status: MessageStatus = MessageStatus.PENDING


@dataclass(frozen=True)
class CallState:
    """A call's status with what the provider knows of it so far.

    ``price`` is the provider's figure as written (a decimal string, ``None`` until the
    provider has settled it) and ``price_unit`` its currency.
    """

    status: CallStatus
    provider_status: str
    duration_s: int | None = None
    answered_by: str | None = None
    price: str | None = None
    price_unit: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class MessageState:
    """A text's status; on failure the provider's error code and message."""

    status: MessageStatus
    provider_status: str
    error_code: int | str | None = None
    error_message: str | None = None
    price: str | None = None
    price_unit: str | None = None
    segments: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)


class Problem(StrEnum):
    """Why a provider request failed; decides the outcome (see the module docstring)."""

    CREDENTIALS = "credentials"
    REJECTED = "rejected"
    VENDOR = "vendor"


class TelephonyError(Exception):
    """A provider request failed. ``summary`` is one line for a person, free of secrets."""

    def __init__(
        self,
        summary: str,
        problem: Problem,
        *,
        http_status: int | None = None,
        code: int | str | None = None,
        more_info: str | None = None,
    ) -> None:
        super().__init__(summary)
        self.summary = summary
        self.problem = problem
        self.http_status = http_status
        self.code = code
        self.more_info = more_info

    @property
    def status(self) -> Status:
        return Status.FAIL if self.problem is Problem.VENDOR else Status.ERROR

    @property
    def layer(self) -> Layer:
        return Layer.VENDOR if self.problem is Problem.VENDOR else Layer.CONFIG

    @property
    def transient(self) -> bool:
        """Whether asking again later may succeed (the provider's trouble, not ours)."""
        return self.problem is Problem.VENDOR

    def details(self) -> dict[str, Any]:
        """The evidence, JSON-able: the provider's error code and where it is explained."""
        found = {"http_status": self.http_status, "code": self.code, "more_info": self.more_info}
        return {key: value for key, value in found.items() if value is not None}


class TelephonyProvider(Protocol):
    """A telephony API that can place a call, send a text and report on both."""

    name: str
    """The provider's name as written in a check (``twilio``)."""
    label: str
    """The provider's name for people (``Twilio``)."""

    async def place_call(
        self, to: str, from_: str, *, say: str, ring_timeout: float, time_limit: float
    ) -> CallHandle:
        """Call ``to`` from ``from_``; after the answering machine's beep, speak ``say`` and
        hang up. Ring for at most ``ring_timeout`` seconds; end the call after
        ``time_limit`` seconds whatever happens."""
        ...

    async def call_status(self, handle: CallHandle) -> CallState:
        """The call's status now."""
        ...

    async def send_text(self, to: str, from_: str, body: str) -> MessageHandle:
        """Send the text ``body`` to ``to`` from ``from_``."""
        ...

    async def message_status(self, handle: MessageHandle) -> MessageState:
        """The text's status now."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Pauses between status polls, in seconds: ``first``, growing by ``factor`` to ``most``."""

    first: float = 2.0
    factor: float = 1.5
    most: float = 15.0

    def pauses(self) -> Iterator[float]:
        pause = self.first
        while True:
            yield pause
            pause = min(pause * self.factor, self.most)


State = TypeVar("State")


@dataclass(frozen=True)
class Followed(Generic[State]):
    """What following a status found: the last state read and, if the last read failed,
    the provider's error (a state and an error can both be present)."""

    state: State | None
    error: TelephonyError | None
    polls: int


async def follow(
    read: Callable[[], Awaitable[State]],
    finished: Callable[[State], bool],
    *,
    within: float,
    backoff: Backoff,
) -> Followed[State]:
    """Poll ``read`` until ``finished`` or until ``within`` seconds have passed.

    A transient provider error does not end the wait: the next poll may succeed, and a
    single 503 from a status endpoint says nothing about the call. Any other error (bad
    credentials) is raised at once. The last poll happens at the end of the window, so a
    status that settles just in time is still seen.
    """
    loop = asyncio.get_running_loop()
    end = loop.time() + within
    pauses = backoff.pauses()
    state: State | None = None
    polls = 0
    while True:
        polls += 1
        error: TelephonyError | None = None
        try:
            state = await read()
        except TelephonyError as exc:
            if not exc.transient:
                raise
            error = exc
        else:
            if finished(state):
                return Followed(state, None, polls)
        remaining = end - loop.time()
        if remaining <= 0:
            return Followed(state, error, polls)
        await asyncio.sleep(min(next(pauses), remaining))
