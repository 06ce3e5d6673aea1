"""Uptime in time, not samples: pure functions from results to spans, tallies and figures.

An observation (one stored result) covers the time until the next one, but never more than
1.5 times its check's ``every``: beyond that nobody was looking, and the time is *not
observed*. Whether a span is up or down follows the state machine in :mod:`freecost.state`,
with the same backdating alerts use: a confirmed incident counts as down from its first
failure, a blip shorter than ``fail_after`` counts as up. Tallies add up, so hourly and daily
rollups can be summed; figures (uptime, coverage, incidents, MTTR) are read from spans over a
period. Nothing here touches a database, a clock or the network.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Literal
from zoneinfo import ZoneInfo

from freecost.results import Status
from freecost.state import CheckState, advance, is_failure

SpanKind = Literal["up", "down", "unobserved"]

COVER_FACTOR = 1.5
"""An observation covers at most this many times its check's ``every``."""

Interval = tuple[datetime, datetime]
Piece = tuple[datetime, datetime, SpanKind]

NO_HISTORY = CheckState()
"""The state of a check before its first result: up, with no streak."""


@dataclass(frozen=True)
class Observation:
    """One result of one check, as uptime needs it."""

    observed_at: datetime
    """When the result was taken; must be timezone-aware (kept in UTC)."""
    status: Status
    every: timedelta
    """How often the check was due: the observation covers up to 1.5 times this."""

    def __post_init__(self) -> None:
        if self.observed_at.utcoffset() is None:
            raise ValueError("observed_at must be timezone-aware")
        if self.every <= timedelta(0):
            raise ValueError("every must be longer than zero")
        if self.observed_at.tzinfo is not UTC:
            object.__setattr__(self, "observed_at", self.observed_at.astimezone(UTC))


@dataclass(frozen=True)
class Span:
    """A stretch of time [start, end) in one state."""

    start: datetime
    end: datetime
    kind: SpanKind

    def __post_init__(self) -> None:
        # Kept in UTC: subtracting two times in the same zone gives the wall-clock difference,
        # which is an hour off across a clock change.
        if self.start.utcoffset() is None or self.end.utcoffset() is None:
            raise ValueError("a span's start and end must be timezone-aware")
        if self.end < self.start:
            raise ValueError("a span cannot end before it starts")
        if self.start.tzinfo is not UTC or self.end.tzinfo is not UTC:
            object.__setattr__(self, "start", self.start.astimezone(UTC))
            object.__setattr__(self, "end", self.end.astimezone(UTC))

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def spans(
    observations: Iterable[Observation],
    *,
    fail_after: int,
    recover_after: int,
    initial: CheckState = NO_HISTORY,
    until: datetime | None = None,
) -> list[Span]:
    """The timeline of one check: up, down and unobserved spans, in order, merged.

    ``initial`` is the confirmed state before the first observation. ``until`` (usually now)
    ends the timeline: observations from then on are ignored, the last one's cover stops
    there, and time between its cover and ``until`` is unobserved. Without ``until`` the last
    observation covers its full 1.5 x ``every``. Results of a trailing contrary streak carry
    the confirmed state until the streak is settled (see :func:`settled_until`).
    """
    ordered = _before(observations, until)
    kinds, _ = _kinds(ordered, fail_after, recover_after, initial)
    pieces: list[Piece] = []
    for index, (observation, kind) in enumerate(zip(ordered, kinds, strict=True)):
        following = ordered[index + 1].observed_at if index + 1 < len(ordered) else until
        cover_end = observation.observed_at + observation.every * COVER_FACTOR
        if following is not None:
            cover_end = min(cover_end, following)
        _extend(pieces, observation.observed_at, cover_end, kind)
        if following is not None:
            _extend(pieces, cover_end, following, "unobserved")
    return [Span(start, end, kind) for start, end, kind in pieces]


def settled_until(
    observations: Iterable[Observation],
    *,
    fail_after: int,
    recover_after: int,
    initial: CheckState = NO_HISTORY,
    until: datetime,
) -> datetime:
    """The time before which :func:`spans` will not change, whatever results come next.

    It is ``until``, unless the latest results form a contrary streak that is not yet long
    enough to flip the state (a possible blip, a possible recovery): then it is where that
    streak began, and the results from there on must be fed again with the state before them.
    """
    ordered = _before(observations, until)
    _, state = _kinds(ordered, fail_after, recover_after, initial)
    if state.streak and state.streak_since is not None:
        return min(state.streak_since, until)
    return until


def _before(observations: Iterable[Observation], until: datetime | None) -> list[Observation]:
    ordered = sorted(observations, key=lambda observation: observation.observed_at)
    if until is None:
        return ordered
    return [observation for observation in ordered if observation.observed_at < until]


def _kinds(
    ordered: Sequence[Observation], fail_after: int, recover_after: int, initial: CheckState
) -> tuple[list[SpanKind], CheckState]:
    """What each observation's cover counts as, and the state after the last one."""
    state = initial
    kinds: list[SpanKind] = []
    streak: list[int] = []  # observations of the contrary streak, not yet settled
    for index, observation in enumerate(ordered):
        state, transition = advance(
            state,
            observation.status,
            observation.observed_at,
            fail_after=fail_after,
            recover_after=recover_after,
        )
        if is_failure(observation.status) is None:
            kinds.append("unobserved")
            continue
        confirmed: SpanKind = "down" if state.down else "up"
        kinds.append(confirmed)
        if transition is not None:
            # Backdating: the whole streak that confirmed the change counts as the new state.
            for earlier in streak:
                kinds[earlier] = confirmed
            streak = []
        elif state.streak:
            streak.append(index)
        else:
            streak = []
    return kinds, state


def _extend(pieces: list[Piece], start: datetime, end: datetime, kind: SpanKind) -> None:
    """Add [start, end) at the end, dropping it if empty and merging it with a like neighbour."""
    if end <= start:
        return
    if pieces and pieces[-1][2] == kind and pieces[-1][1] == start:
        pieces[-1] = (pieces[-1][0], end, kind)
        return
    pieces.append((start, end, kind))


@dataclass(frozen=True)
class Tally:
    """Time in each state over some stretch; tallies of adjacent stretches add up exactly."""

    up: timedelta = timedelta(0)
    down: timedelta = timedelta(0)
    maintenance: timedelta = timedelta(0)
    unobserved: timedelta = timedelta(0)

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            self.up + other.up,
            self.down + other.down,
            self.maintenance + other.maintenance,
            self.unobserved + other.unobserved,
        )

    @property
    def observed(self) -> timedelta:
        """Time seen up or down."""
        return self.up + self.down

    @property
    def total(self) -> timedelta:
        """All the time tallied: the length of the stretch."""
        return self.up + self.down + self.maintenance + self.unobserved


def tally(
    timeline: Sequence[Span], start: datetime, end: datetime, maintenance: Sequence[Interval]
) -> Tally:
    """Time in [start, end) by state; time inside maintenance counts as maintenance.

    Time no span covers is unobserved. Spans must not overlap one another.
    """
    if end <= start:
        return Tally()
    windows = merge_intervals(maintenance)
    totals: dict[SpanKind, timedelta] = {"up": timedelta(0), "down": timedelta(0)}
    previous_end: datetime | None = None
    for span in sorted(timeline, key=lambda span: span.start):
        if previous_end is not None and span.start < previous_end:
            raise ValueError(f"spans overlap at {span.start.isoformat()}")
        previous_end = span.end
        low, high = max(span.start, start), min(span.end, end)
        if high > low and span.kind != "unobserved":
            totals[span.kind] += high - low - _overlap(low, high, windows)
    in_maintenance = _overlap(start, end, windows)
    # Whatever is neither maintenance nor seen up or down was not observed: an unobserved
    # span, or time no span covers.
    observed = totals["up"] + totals["down"]
    return Tally(
        up=totals["up"],
        down=totals["down"],
        maintenance=in_maintenance,
        unobserved=(end - start) - in_maintenance - observed,
    )


def merge_intervals(intervals: Iterable[Interval]) -> list[Interval]:
    """Intervals sorted, with overlapping and touching ones joined; empty ones dropped."""
    merged: list[Interval] = []
    for low, high in sorted(interval for interval in intervals if interval[1] > interval[0]):
        if merged and low <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _overlap(low: datetime, high: datetime, merged: Sequence[Interval]) -> timedelta:
    """How much of [low, high) lies inside the (merged, sorted) intervals."""
    inside = timedelta(0)
    for start, end in merged:
        if start >= high:
            break
        if end > low:
            inside += min(end, high) - max(start, low)
    return inside


def combine_all(span_lists: Sequence[Sequence[Span]]) -> list[Span]:
    """One timeline that needs every input: a dependency from its checks.

    Down while any input is down; otherwise up while any input is seen up; otherwise not
    observed. Time no input covers stays uncovered (and tallies as not observed).
    """
    return _combine(span_lists, ("down", "up"))


def combine_any(span_lists: Sequence[Sequence[Span]]) -> list[Span]:
    """One timeline that any input can carry: a dependency with its alternatives.

    Up while any input is up; otherwise down while any input is seen down; otherwise not
    observed.
    """
    return _combine(span_lists, ("up", "down"))


def function_spans(
    needs: Sequence[str],
    timelines: Mapping[str, Sequence[Span]],
    alternatives: Mapping[str, Sequence[str]] | None = None,
) -> list[Span]:
    """A function's timeline: every dependency it needs, each or one of its alternatives.

    ``timelines`` maps dependency ids to their (combined) timelines; a dependency without
    one was never observed.
    """
    stand_ins = alternatives or {}
    return combine_all(
        [
            combine_any([timelines.get(choice, []) for choice in (need, *stand_ins.get(need, ()))])
            for need in needs
        ]
    )


def _combine(
    span_lists: Sequence[Sequence[Span]], precedence: tuple[SpanKind, SpanKind]
) -> list[Span]:
    ordered = [sorted(timeline, key=lambda span: span.start) for timeline in span_lists]
    bounds = sorted({edge for timeline in ordered for span in timeline for edge in _edges(span)})
    positions = [0] * len(ordered)
    combined: list[Piece] = []
    for low, high in pairwise(bounds):
        kinds: set[SpanKind] = set()
        for index, timeline in enumerate(ordered):
            while positions[index] < len(timeline) and timeline[positions[index]].end <= low:
                positions[index] += 1
            if positions[index] < len(timeline) and timeline[positions[index]].start <= low:
                kinds.add(timeline[positions[index]].kind)
        if not kinds:
            continue
        kind: SpanKind = next((k for k in precedence if k in kinds), "unobserved")
        _extend(combined, low, high, kind)
    return [Span(start, end, kind) for start, end, kind in combined]


def _edges(span: Span) -> tuple[datetime, datetime]:
    return span.start, span.end


@dataclass(frozen=True)
class Period:
    """A named stretch of time [start, end), in UTC, that figures are given for."""

    name: str
    start: datetime
    end: datetime

    @property
    def length(self) -> timedelta:
        return self.end - self.start


def month(year: int, month: int, tz: str) -> Period:
    """A calendar month from local midnight on the 1st to local midnight on the next 1st.

    In a month with a clock change the period is an hour shorter or longer than its days
    times 24 hours: that is the time that really passed.
    """
    following = (year + 1, 1) if month == 12 else (year, month + 1)
    start, end = _midnight(year, month, tz), _midnight(*following, tz)
    return Period(f"{year:04d}-{month:02d}", start, end)


def periods(now: datetime, tz: str) -> list[Period]:
    """The periods a report shows: the last 24 hours, 7 and 30 days, this month so far, last month.

    This month ends at ``now`` (future time was not observed, it has not happened).
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    end = now.astimezone(UTC)
    local = end.astimezone(ZoneInfo(tz))
    this = month(local.year, local.month, tz)
    before_this = this.start.astimezone(ZoneInfo(tz)) - timedelta(days=1)
    previous = month(before_this.year, before_this.month, tz)
    return [
        Period("24h", end - timedelta(hours=24), end),
        Period("7d", end - timedelta(days=7), end),
        Period("30d", end - timedelta(days=30), end),
        Period(this.name, this.start, end),
        previous,
    ]


def _midnight(year: int, month: int, tz: str) -> datetime:
    # A few zones have moved their clocks at midnight; fold=0 reads a skipped or repeated
    # midnight with the offset in force before the change, so it never raises.
    return datetime(year, month, 1, tzinfo=ZoneInfo(tz), fold=0).astimezone(UTC)


@dataclass(frozen=True)
class Incident:
    """An outage: from the first down time to the last, until seen up again."""

    start: datetime
    end: datetime
    """The end of the last time seen down (not the first time seen up again)."""
    length: timedelta
    """``end - start`` less the maintenance inside it."""
    restored: bool
    """False while no up time has followed it yet."""


def incidents(timeline: Sequence[Span], maintenance: Sequence[Interval]) -> list[Incident]:
    """The outages in a timeline, with down time inside maintenance left out.

    Time not observed (an ``error``, a gap) neither ends an incident nor starts one: only
    time seen up ends it.
    """
    windows = merge_intervals(maintenance)
    found: list[Incident] = []
    opened: tuple[datetime, datetime] | None = None  # (start, end of last down time)
    for span in sorted(timeline, key=lambda span: span.start):
        for low, high in _outside(span.start, span.end, windows):
            if span.kind == "down":
                opened = (opened[0] if opened else low, high)
            elif span.kind == "up" and opened is not None:
                found.append(_incident(*opened, windows, restored=True))
                opened = None
    if opened is not None:
        found.append(_incident(*opened, windows, restored=False))
    return found


def _incident(
    start: datetime, end: datetime, windows: Sequence[Interval], *, restored: bool
) -> Incident:
    return Incident(start, end, end - start - _overlap(start, end, windows), restored)


def _outside(low: datetime, high: datetime, merged: Sequence[Interval]) -> list[Interval]:
    """The parts of [low, high) outside the (merged, sorted) intervals."""
    parts: list[Interval] = []
    for start, end in merged:
        if start >= high:
            break
        if end <= low:
            continue
        if start > low:
            parts.append((low, start))
        low = max(low, end)
    if low < high:
        parts.append((low, high))
    return parts


@dataclass(frozen=True)
class Figures:
    """What a report shows for one check, dependency or function over one period."""

    uptime_pct: float | None
    """Up time over observed (up + down) time; None when nothing was observed."""
    coverage_pct: float | None
    """Observed time over the period less maintenance; None when it was all maintenance."""
    incidents: int
    """Incidents that started in the period."""
    mttr: timedelta | None
    """Mean length of those incidents that ended; None when none did."""
    longest_outage: timedelta | None
    """Longest of those incidents, ended or not; None when there were none."""
    tally: Tally


def figures(timeline: Sequence[Span], period: Period, maintenance: Sequence[Interval]) -> Figures:
    """The figures for ``timeline`` over ``period``.

    Incidents starting in the period are measured whole, even past its end, so
    ``maintenance`` should cover the timeline, not only the period.
    """
    time = tally(timeline, period.start, period.end, maintenance)
    started = [
        incident
        for incident in incidents(timeline, maintenance)
        if period.start <= incident.start < period.end
    ]
    ended = [incident.length for incident in started if incident.restored]
    watchable = period.length - time.maintenance
    return Figures(
        uptime_pct=_pct(time.up, time.observed),
        coverage_pct=_pct(time.observed, watchable),
        incidents=len(started),
        mttr=sum(ended, timedelta(0)) / len(ended) if ended else None,
        longest_outage=max((incident.length for incident in started), default=None),
        tally=time,
    )


def _pct(part: timedelta, whole: timedelta) -> float | None:
    if whole <= timedelta(0):
        return None
    return 100 * (part / whole)


ACCOUNTING_POLICY = (
    "Uptime is measured in time, not in samples. Each result of a check counts for the time "
    "until the next result, but for no more than one and a half times the check's interval "
    "(every); time beyond that, and the time of an error result (freecost could not tell: "
    "this machine was offline, a secret was missing), is not observed: it counts neither as "
    "up nor as down, and shows as coverage below 100%. A warn result counts as up: the service "
    "works, if slowly. A check is down only after fail_after failed results in a row, and is "
    "then counted down from the first of them; fewer failures followed by a success are a "
    "blip and count as up. In the same way it is up again after recover_after successes in a "
    "row, counted from the first of them. A dependency is down while any of its checks is "
    "down, and a function while a dependency it needs is down and no alternative to that "
    "dependency is up; time counts as not observed only when none of the checks involved was "
    "observed. Planned maintenance (the windows in settings and those of each dependency) is "
    "counted apart, as maintenance, whatever the checks saw. Uptime is up time divided by up "
    "plus down time; coverage is observed time divided by the period less maintenance. An "
    "incident counts in the period where it starts and lasts from its first down time to its "
    "last, maintenance left out; MTTR is the mean length of the incidents that have ended. "
    "Calendar months start and end at midnight in the business's timezone, so a month with a "
    "clock change is an hour shorter or longer; the 24-hour, 7-day and 30-day figures end now."
)
"""How every figure above is counted, in words an owner and a consultant can read."""
