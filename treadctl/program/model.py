"""The program model: segments, rests and blocks as a file says them, and in run order.

Shape::

    Program(name, description, steps)            steps: tuple of Step = Segment | Block
     ├── Segment(label, direction, speed_kmh, incline_pct, duration_s | distance_m, cue, path,
     │           rest)                           a rest: rest=True, speed 0, a duration
     ├── Block(label, repeat, steps, path)       ``repeat`` times its own steps, nesting allowed
     ├── segments() -> [PlannedSegment]          blocks expanded, in the runner's order, each
     │                                           with its Repetitions ("Intervals 2/6")
     ├── estimated_duration_s() / backward_minutes() / longest_backward_minutes()
     └── profile() -> [ProfilePoint]             one bar of the program chart per segment

Every step keeps its ``path`` — ``steps[3].steps[1]``, 0-based in TOML array order — so errors,
clamp notices and the editor all name a step the same way. An unlabelled segment is called
:func:`default_label` (``"Step 2.1"``, 1-based for people), a rest :data:`REST_LABEL`.

The ``MAX_*`` bounds are plausibility bounds of the *format*, not safety limits.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from treadctl.limits import Direction

__all__ = [
    "MAX_BLOCK_DEPTH",
    "MAX_INCLINE_PCT",
    "MAX_REPEAT",
    "MAX_SEGMENTS",
    "MAX_SPEED_KMH",
    "MAX_STEP_DISTANCE_M",
    "MAX_STEP_DURATION_S",
    "MAX_TEXT_CHARS",
    "MIN_INCLINE_PCT",
    "REST_LABEL",
    "Block",
    "PlannedSegment",
    "ProfilePoint",
    "Program",
    "Repetition",
    "Segment",
    "Step",
    "default_label",
]

# Plausibility bounds of the *format*, not safety limits: they catch typos ("45 km/h" for
# "4.5 km/h", "50 %" for "5 %") before a file is accepted. The profile's Limits, far lower,
# are applied by clamp() and by the governor.
MAX_SPEED_KMH = 30.0
MIN_INCLINE_PCT = -10.0
MAX_INCLINE_PCT = 30.0
MAX_STEP_DURATION_S = 24 * 3600.0
MAX_STEP_DISTANCE_M = 100_000.0
MAX_REPEAT = 100
# Blocks multiply: three nested "repeat = 100" would be a million segments. Nothing real comes
# close to this, and the runner and the chart both expand the whole program.
MAX_SEGMENTS = 10_000
# A block in a block in a block is already rare; past this a file is a mistake or an attack,
# and the parser, the expansion and the chart all recurse once per level.
MAX_BLOCK_DEPTH = 10
# Longest text per field, in characters. A label is copied into the session log's header once
# per expanded segment (up to MAX_SEGMENTS), so an unbounded label would make a header of
# gigabytes; these are far above anything a person types (the built-ins stay under a fifth).
MAX_TEXT_CHARS = {"name": 200, "description": 10_000, "label": 200, "cue": 1_000}

REST_LABEL = "Rest"


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch at a steady target: a direction, a speed and an incline, for a duration or a
    distance. A rest (``rest=True``) stops the belt for ``duration_s``: speed 0, incline 0,
    direction forward (meaningless while the belt is stopped), and no distance.
    """

    label: str
    direction: Direction
    speed_kmh: float
    incline_pct: float = 0.0
    duration_s: float | None = None
    distance_m: float | None = None
    cue: str | None = None
    path: str = ""
    rest: bool = False

    def __post_init__(self) -> None:
        if self.rest:
            if self.duration_s is None or self.distance_m is not None:
                raise ValueError("a rest has a duration and no distance")
        elif (self.duration_s is None) == (self.distance_m is None):
            raise ValueError("a segment has exactly one of duration_s and distance_m")

    def estimated_duration_s(self, default_distance_speed: float | None = None) -> float:
        """Seconds this segment takes at its target speed (ramps and turnarounds not counted).

        A distance segment is timed at its own speed; ``default_distance_speed`` (km/h) is the
        fallback when that speed is 0 — possible only after
        :func:`~treadctl.program.fitting.clamp` with a profile whose cap is 0. Without a usable
        speed the estimate is ``inf``.
        """
        if self.duration_s is not None:
            return self.duration_s
        assert self.distance_m is not None  # __post_init__ guarantees one of the two
        speed = self.speed_kmh if self.speed_kmh > 0 else (default_distance_speed or 0.0)
        if speed <= 0:
            return math.inf
        return self.distance_m / (speed / 3.6)


@dataclass(frozen=True, slots=True)
class Block:
    """``repeat`` times its ``steps`` (segments, rests or nested blocks), in order."""

    label: str | None
    repeat: int
    steps: tuple[Step, ...]
    path: str = ""

    def __post_init__(self) -> None:
        if self.repeat < 1 or not self.steps:
            raise ValueError("a block repeats at least once and has at least one step")


type Step = Segment | Block


class Repetition(NamedTuple):
    """Which pass through a block a planned segment belongs to: ``number`` of ``of`` (1-based)."""

    label: str | None
    number: int
    of: int


@dataclass(frozen=True, slots=True)
class PlannedSegment:
    """A segment in run order: ``index`` (0-based) of ``total``, inside ``repetitions``
    (outermost block first)."""

    index: int
    total: int
    segment: Segment
    repetitions: tuple[Repetition, ...] = ()

    @property
    def position(self) -> str:
        """``"repetition 2/6"``; with labels and nesting ``"Intervals 2/6 · repetition 1/3"``.

        A block done once is just its label (a grouping like "Backward warm-up"), not "1/1".
        """
        parts = []
        for rep in self.repetitions:
            if rep.of == 1:
                if rep.label:
                    parts.append(rep.label)
            else:
                parts.append(f"{rep.label or 'repetition'} {rep.number}/{rep.of}")
        return " · ".join(parts)


class ProfilePoint(NamedTuple):
    """One bar of the program chart: a segment's estimated span and its targets."""

    start_s: float
    end_s: float
    speed_kmh: float
    incline_pct: float
    direction: Direction
    rest: bool


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed program. ``source`` (file path or ``"<string>"``) is provenance, not content:
    it is left out of equality so a program equals itself saved elsewhere."""

    name: str
    description: str
    steps: tuple[Step, ...]
    source: str | None = field(default=None, compare=False)

    def segments(self) -> list[PlannedSegment]:
        """Blocks expanded: the segments in the order the runner runs them."""
        flat: list[tuple[Segment, tuple[Repetition, ...]]] = []
        _expand(self.steps, (), flat)
        return [
            PlannedSegment(index=i, total=len(flat), segment=seg, repetitions=reps)
            for i, (seg, reps) in enumerate(flat)
        ]

    def estimated_duration_s(self, default_distance_speed: float | None = None) -> float:
        """Whole program, rests included; see :meth:`Segment.estimated_duration_s`."""
        return sum(p.segment.estimated_duration_s(default_distance_speed) for p in self.segments())

    def backward_minutes(self, default_distance_speed: float | None = None) -> float:
        """Estimated minutes facing backward (what the per-session backward budget counts)."""
        return (
            sum(
                p.segment.estimated_duration_s(default_distance_speed)
                for p in self.segments()
                if p.segment.direction is Direction.BACKWARD and not p.segment.rest
            )
            / 60
        )

    def longest_backward_minutes(self, default_distance_speed: float | None = None) -> float:
        """The longest estimated run of consecutive backward segments (no turnaround between)."""
        longest = current = 0.0
        for p in self.segments():
            seg = p.segment
            if seg.direction is Direction.BACKWARD and not seg.rest:
                current += seg.estimated_duration_s(default_distance_speed)
                longest = max(longest, current)
            else:
                current = 0.0
        return longest / 60

    def profile(self, default_distance_speed: float | None = None) -> list[ProfilePoint]:
        """Estimated (start, end, speed, incline, direction, rest) per planned segment."""
        points = []
        t = 0.0
        for p in self.segments():
            seg = p.segment
            end = t + seg.estimated_duration_s(default_distance_speed)
            points.append(
                ProfilePoint(t, end, seg.speed_kmh, seg.incline_pct, seg.direction, seg.rest)
            )
            t = end
        return points


def _expand(
    steps: Sequence[Step],
    reps: tuple[Repetition, ...],
    out: list[tuple[Segment, tuple[Repetition, ...]]],
) -> None:
    for step in steps:
        if isinstance(step, Segment):
            out.append((step, reps))
        else:
            for n in range(1, step.repeat + 1):
                _expand(step.steps, (*reps, Repetition(step.label, n, step.repeat)), out)


def default_label(indices: Sequence[int]) -> str:
    """What an unlabelled segment is called (``"Step 2.1"``); the editor shows the same."""
    # 1-based for people ("Step 3" is the third), while paths stay 0-based like TOML arrays.
    return "Step " + ".".join(str(i + 1) for i in indices)
