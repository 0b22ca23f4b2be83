"""The session's public vocabulary: its states, why it ended, and the events it reports.

Shape::

    SessionState     READY → RUNNING ⇄ TURNAROUND, STOPPED (latched), RESTING → FINISHED
    EndReason        completed | stopped | aborted        (classify_stop: a stop's reason → one)
    events           SegmentStarted, Countdown, Progress, NoticeRaised, StateChanged,
                     CommandFailedEvent, SessionFinished  (SessionEvent: their union)

Every event carries ``t``, seconds since the session started. The runner
(``treadctl.session.runner``) emits them to its listeners; the application core passes them on
to the front ends (``treadctl.core``).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treadctl.safety import StopReason

if TYPE_CHECKING:
    # Types only: the history and the exports read session totals without loading Bleak.
    from treadctl.limits import Direction
    from treadctl.link import Sample
    from treadctl.program import PlannedSegment
    from treadctl.safety import Command, Notice, SetTarget
    from treadctl.session.totals import SessionSummary


class SessionState(enum.StrEnum):
    READY = "ready"  # not started yet
    RUNNING = "running"
    TURNAROUND = "turnaround"
    STOPPED = "stopped"  # latched: waits for the user (pause, any stop, any fault)
    RESTING = "resting"  # a program rest: belt stopped, rest clock running
    FINISHED = "finished"


class EndReason(enum.StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"  # the user ended it, or a stop ended a non-interactive run
    ABORTED = "aborted"  # a fault ended it (link lost, watchdog, failed command)


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    t: float
    planned: PlannedSegment
    next: PlannedSegment | None
    target: SetTarget


@dataclass(frozen=True, slots=True)
class Countdown:
    """``seconds`` until the next segment; ``turnaround`` when it faces the other way."""

    t: float
    seconds: int
    next: PlannedSegment | None
    turnaround: bool


@dataclass(frozen=True, slots=True)
class Progress:
    """One sample, with where the session stands. ``t`` is seconds since the session start."""

    t: float
    sample: Sample
    direction: Direction
    state: SessionState
    segment_index: int | None
    segment_elapsed_s: float
    segment_remaining_s: float | None
    segment_remaining_m: float | None
    energy_kcal: float
    heart_rate_bpm: int | None
    target_speed_kmh: float
    distance_m: float = 0.0  # the session's distance so far (the treadmill's counter may reset)
    session_remaining_s: float | None = None  # estimated, from the segments still to run


@dataclass(frozen=True, slots=True)
class NoticeRaised:
    t: float
    notice: Notice


@dataclass(frozen=True, slots=True)
class StateChanged:
    t: float
    state: SessionState
    stop_reason: StopReason | None


@dataclass(frozen=True, slots=True)
class CommandFailedEvent:
    t: float
    command: Command
    error: str


@dataclass(frozen=True, slots=True)
class SessionFinished:
    t: float
    reason: EndReason
    summary: SessionSummary


SessionEvent = (
    SegmentStarted
    | Countdown
    | Progress
    | NoticeRaised
    | StateChanged
    | CommandFailedEvent
    | SessionFinished
)
SessionListener = Callable[[SessionEvent], None]


_FAULTS = {
    StopReason.LINK_LOST,
    StopReason.WATCHDOG,
    StopReason.COMMAND_FAILED,
    StopReason.SAFETY_KEY,
    StopReason.BELT_NOT_FOLLOWING,
    StopReason.DECK_TOO_STEEP,
    StopReason.TREADMILL_ERROR,
}


def classify_stop(reason: StopReason | None) -> EndReason:
    """How a session that ends while stopped for ``reason`` counts."""
    return EndReason.ABORTED if reason in _FAULTS else EndReason.STOPPED
