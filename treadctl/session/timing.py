"""A program's timing, pure: segments, countdowns, rests, skip and extend on ``(now, belt)``.

Shape::

    ProgramTiming(plan, countdown_s=3, rest_reminder_s=3600)
     ├── begin(now)                          -> [SegmentDue]           the first segment
     ├── tick(now, dt, belt=TimingInputs)    -> [TimingEvent, ...]     what the time brings
     ├── count_distance(metres)                                        measured, while counting
     ├── skip(now) / end_rest_early(now)     -> [TimingEvent, ...]     the user's intents
     ├── extend(seconds)
     └── segment_remaining_s / _m, session_remaining_s, index, segments_done

Like the safety governor it does no I/O and owns no clock: the session runner
(``treadctl.session.runner``) calls it with the time and what it knows of the belt, and turns
what it returns into governor requests, log records and listener events. So every timing rule
can be tested by feeding numbers (``tests/treadctl/session/test_timing.py``).

The rules:

* Segment time runs only while the runner says it is **counting**: the belt runs in the
  segment's direction (not stopped, paused, turning around, or held by the heart-rate rule).
  A distance segment counts the measured metres over the same periods.
* A distance segment's time left is estimated at the measured speed (at least 0.1 m/s), or
  its target speed while the belt is not measured to move.
* A **countdown** (``countdown_s`` whole seconds) precedes every segment change, once per
  second, and only while counting; it says whether the next segment faces the other way (a
  turnaround) — a rest in between is not one.
* A **rest** segment lasts its duration (and what "extend" adds) from the moment it begins,
  counting or not, and its time left runs down with it; when it is over the next segment is
  due (the runner then waits, latched, for the person to resume: :class:`RestOver` carries
  ``early`` when the person resumed first, or skipped the rest).
* A **rest reminder** is due once the belt has run for ``rest_reminder_s`` since the last
  rest (program or not); a rest starts that count again.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from treadctl.limits import Direction
from treadctl.program import PlannedSegment, Segment

__all__ = [
    "CountdownDue",
    "ProgramComplete",
    "ProgramTiming",
    "RestOver",
    "RestReminderDue",
    "SegmentDue",
    "TimingEvent",
    "TimingInputs",
]

#: The slowest speed a distance segment's time left is estimated at (m/s).
_MIN_ESTIMATE_SPEED_MS = 0.1


@dataclass(frozen=True, slots=True)
class SegmentDue:
    """Segment ``planned`` begins now; ``next`` is the one after it (None: the last)."""

    planned: PlannedSegment
    next: PlannedSegment | None


@dataclass(frozen=True, slots=True)
class CountdownDue:
    """``seconds`` until the next segment (``next``: None when the program ends then)."""

    seconds: int
    next: PlannedSegment | None
    turnaround: bool


@dataclass(frozen=True, slots=True)
class RestOver:
    """A rest segment ended: by its clock, or ``early`` because the person resumed."""

    early: bool


@dataclass(frozen=True, slots=True)
class ProgramComplete:
    """The last segment is done."""


@dataclass(frozen=True, slots=True)
class RestReminderDue:
    """The belt has run ``rest_reminder_s`` without a rest."""


TimingEvent = SegmentDue | CountdownDue | RestOver | ProgramComplete | RestReminderDue


@dataclass(frozen=True, slots=True)
class TimingInputs:
    """What the runner knows of the session at a tick.

    ``running``: the governor's phase is RUNNING (the belt runs, whatever the segment);
    ``counting``: segment time runs (see the module doc); ``resting``: the session is in a
    program rest; ``direction``: the way the person faces now; ``speed_kmh``: the measured
    belt speed (None: not measured).
    """

    running: bool
    counting: bool
    resting: bool
    direction: Direction
    speed_kmh: float | None


class ProgramTiming:
    """See the module docstring. An empty plan is manual mode: only the rest reminder."""

    def __init__(
        self,
        plan: Sequence[PlannedSegment],
        *,
        countdown_s: int = 3,
        rest_reminder_s: float = 3600.0,
    ) -> None:
        self._plan = tuple(plan)
        self._countdown_s = countdown_s
        self._rest_reminder_s = rest_reminder_s
        self._index: int | None = None
        self._elapsed_s = 0.0
        self._distance_m = 0.0
        self._extra_s = 0.0
        self._extra_m = 0.0
        self._countdown_shown: int | None = None
        self._rest_started: float | None = None  # the clock time the current rest began
        self._now = 0.0  # the latest time given (a rest's time left is read between ticks)
        self._since_rest_s = 0.0
        self._rest_reminded = False
        self._segments_done = 0

    # -- reading --------------------------------------------------------------------------------

    @property
    def plan(self) -> tuple[PlannedSegment, ...]:
        return self._plan

    @property
    def index(self) -> int | None:
        """The current segment's index (None: not begun, or manual mode)."""
        return self._index

    @property
    def segment(self) -> Segment | None:
        return None if self._index is None else self._plan[self._index].segment

    @property
    def segment_elapsed_s(self) -> float:
        return self._elapsed_s

    @property
    def segments_done(self) -> int:
        """Segments finished or skipped so far."""
        return self._segments_done

    def segment_remaining_m(self) -> float | None:
        """Metres left in a distance segment (may be negative just before it ends)."""
        seg = self.segment
        if seg is None or seg.distance_m is None:
            return None
        return seg.distance_m + self._extra_m - self._distance_m

    def segment_remaining_s(self, speed_kmh: float | None) -> float | None:
        """Seconds left in the segment; for a distance, at ``speed_kmh`` (measured) or the
        segment's target speed."""
        seg = self.segment
        if seg is None:
            return None
        if seg.rest and self._rest_started is not None:
            return (seg.duration_s or 0.0) + self._extra_s - (self._now - self._rest_started)
        if seg.duration_s is not None:
            return seg.duration_s + self._extra_s - self._elapsed_s
        left_m = self.segment_remaining_m()
        if left_m is None:
            return None
        speed = speed_kmh or seg.speed_kmh
        return left_m / max(speed / 3.6, _MIN_ESTIMATE_SPEED_MS)

    def session_remaining_s(
        self, segment_left_s: float | None, segment_left_m: float | None
    ) -> float | None:
        """This segment's time left plus the later segments' estimates (ramps not counted)."""
        seg = self.segment
        if seg is None or self._index is None:
            return None
        if segment_left_s is None and segment_left_m is not None:
            segment_left_s = segment_left_m / max(seg.speed_kmh / 3.6, _MIN_ESTIMATE_SPEED_MS)
        later = sum(p.segment.estimated_duration_s() for p in self._plan[self._index + 1 :])
        return (segment_left_s or 0.0) + later

    # -- inputs ---------------------------------------------------------------------------------

    def begin(self, now: float) -> list[TimingEvent]:
        """The program's first segment (nothing in manual mode)."""
        self._now = now
        if not self._plan:
            return []
        return [self._begin_segment(0, now)]

    def count_distance(self, metres: float) -> None:
        """Measured metres while counting (the runner decides when it counts)."""
        if self._index is not None:
            self._distance_m += metres

    def extend(self, seconds: float) -> None:
        """Make the current segment longer (or, negative, shorter) by ``seconds``; a distance
        segment by the distance its target speed covers in that time."""
        seg = self.segment
        if seg is None:
            return
        if seg.distance_m is not None:
            self._extra_m += seconds * seg.speed_kmh / 3.6
        else:
            self._extra_s += seconds
        self._countdown_shown = None  # a longer segment counts down in full again

    def skip(self, now: float) -> list[TimingEvent]:
        """Go to the next segment now. Skipping a rest ends it early, as resuming does (the
        next segment then waits, latched, for the person's resume)."""
        if self._index is None:
            return []
        self._now = now
        if self._rest_started is not None:
            return self._end_rest(now, early=True)
        return self._next_segment(now)

    def end_rest_early(self, now: float) -> list[TimingEvent]:
        """The person resumes during a rest: it ends now and the next segment is due."""
        self._now = now
        if self._rest_started is None:
            return []
        return self._end_rest(now, early=True)

    def tick(self, now: float, dt: float, belt: TimingInputs) -> list[TimingEvent]:
        """What ``dt`` more seconds bring, given the belt as the runner knows it."""
        self._now = now
        events: list[TimingEvent] = []
        if belt.running:
            self._since_rest_s += dt
            if self._since_rest_s >= self._rest_reminder_s and not self._rest_reminded:
                self._rest_reminded = True
                events.append(RestReminderDue())
        if belt.resting:
            self._since_rest_s = 0.0
            self._rest_reminded = False
            left = self.segment_remaining_s(None)
            if self._rest_started is not None and left is not None and left <= 0:
                events += self._end_rest(now, early=False)
            return events
        seg = self.segment
        if seg is None or self._index is None:
            return events
        if belt.counting:
            self._elapsed_s += dt
        remaining = self.segment_remaining_s(belt.speed_kmh)
        if remaining is None:
            return events
        if remaining <= 0:
            return events + self._next_segment(now)
        seconds = math.ceil(remaining)
        if seconds <= self._countdown_s and seconds != self._countdown_shown and belt.counting:
            self._countdown_shown = seconds
            nxt = self._plan[self._index + 1] if self._index + 1 < len(self._plan) else None
            turn = (
                nxt is not None
                and not nxt.segment.rest
                and nxt.segment.direction is not belt.direction
            )
            events.append(CountdownDue(seconds, nxt, turn))
        return events

    # -- segments -------------------------------------------------------------------------------

    def _next_segment(self, now: float) -> list[TimingEvent]:
        assert self._index is not None
        self._segments_done += 1
        if self._index + 1 >= len(self._plan):
            return [ProgramComplete()]
        return [self._begin_segment(self._index + 1, now)]

    def _begin_segment(self, index: int, now: float) -> SegmentDue:
        self._index = index
        self._elapsed_s = self._distance_m = self._extra_s = self._extra_m = 0.0
        self._countdown_shown = None
        planned = self._plan[index]
        seg = planned.segment
        self._now = now
        self._rest_started = now if seg.rest else None
        nxt = self._plan[index + 1] if index + 1 < len(self._plan) else None
        return SegmentDue(planned, nxt)

    def _end_rest(self, now: float, *, early: bool) -> list[TimingEvent]:
        self._rest_started = None
        return [RestOver(early), *self._next_segment(now)]
