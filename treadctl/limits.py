"""Direction and the safety limits: the vocabulary the governor, programs and profiles share.

The defaults come from the backward-walking guidance (``docs/backward.md``, in the app "About
backward walking"): backward is slower, gentler and flatter than forward; every start is slow;
a direction change is a turnaround through walking speed. The default backward cap, 6.0 km/h,
is where people switch from walking to running backward (Hreljac et al. 2005: preferred
backward walk-to-run transition 1.63 ± 0.11 m/s ≈ 5.9 km/h).

| limit                                   | default          |
|-----------------------------------------|------------------|
| start speed (first speed after a start) | 1.0 km/h         |
| forward max speed / acceleration        | 12.0 km/h, 0.5 km/h per s |
| backward max speed / acceleration       | 6.0 km/h, 0.25 km/h per s |
| forward / backward max incline          | 10 % / 5 %       |
| incline rate                            | 1 % per s        |
| turnaround                              | ≤ 2.0 km/h held ≥ 5 s |
| backward minutes per session            | 10               |
| heart rate over maximum                 | slow to 3.0 km/h (backward: turnaround speed), pause |
| no data while the belt moves            | 3 s → stop       |
"""

from __future__ import annotations

import enum
import math
from dataclasses import asdict, dataclass, fields
from typing import Any, Self


class Direction(enum.StrEnum):
    """Which way the *person* faces. The belt itself only ever runs one way."""

    FORWARD = "forward"
    BACKWARD = "backward"


@dataclass(frozen=True, slots=True)
class Limits:
    """Per-profile safety limits. Speeds in km/h, inclines in %, times in s."""

    start_speed_kmh: float = 1.0
    forward_max_speed_kmh: float = 12.0
    forward_accel_kmh_per_s: float = 0.5
    backward_max_speed_kmh: float = 6.0
    backward_accel_kmh_per_s: float = 0.25
    forward_max_incline_pct: float = 10.0
    backward_max_incline_pct: float = 5.0
    min_incline_pct: float = 0.0
    incline_rate_pct_per_s: float = 1.0
    turnaround_speed_kmh: float = 2.0
    turnaround_hold_s: float = 5.0
    backward_minutes_per_session: float = 10.0
    max_heart_rate_bpm: int | None = None
    walking_speed_kmh: float = 3.0
    watchdog_s: float = 3.0

    def __post_init__(self) -> None:
        problems = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is None:
                continue
            if not isinstance(value, int | float) or isinstance(value, bool):
                problems.append(f"{f.name} must be a number, got {value!r}")
            elif not math.isfinite(value):
                problems.append(f"{f.name} must be finite, got {value!r}")
            elif value < 0 and f.name != "min_incline_pct":
                problems.append(f"{f.name} must not be negative, got {value!r}")
        for name in (
            "forward_accel_kmh_per_s",
            "backward_accel_kmh_per_s",
            "incline_rate_pct_per_s",
        ):
            if getattr(self, name) == 0:
                problems.append(f"{name} must be above 0")
        if not problems:
            if self.start_speed_kmh > min(self.forward_max_speed_kmh, self.backward_max_speed_kmh):
                problems.append("start_speed_kmh is above a direction's max speed")
            if self.turnaround_speed_kmh < self.start_speed_kmh:
                problems.append("turnaround_speed_kmh must be at least start_speed_kmh")
            if self.min_incline_pct > min(
                self.forward_max_incline_pct, self.backward_max_incline_pct
            ):
                problems.append("min_incline_pct is above a direction's max incline")
        if problems:
            raise ValueError("invalid limits: " + "; ".join(problems))

    def max_speed(self, direction: Direction) -> float:
        if direction is Direction.BACKWARD:
            return self.backward_max_speed_kmh
        return self.forward_max_speed_kmh

    def accel(self, direction: Direction) -> float:
        if direction is Direction.BACKWARD:
            return self.backward_accel_kmh_per_s
        return self.forward_accel_kmh_per_s

    def max_incline(self, direction: Direction) -> float:
        if direction is Direction.BACKWARD:
            return self.backward_max_incline_pct
        return self.forward_max_incline_pct

    def hr_slow_speed(self, direction: Direction) -> float:
        """'Slow to walking' when the heart rate is over the maximum."""
        if direction is Direction.BACKWARD:
            return min(self.walking_speed_kmh, self.turnaround_speed_kmh)
        return self.walking_speed_kmh

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> Self:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown limit(s): {', '.join(unknown)}")
        return cls(**values)


DEFAULT_LIMITS = Limits()
