"""Manual mode's targets: what one press of "faster", "steeper" or "turn" asks for.

Pure functions of the target and the limits. What they return is a *request*: the session's
governor ramps to it, caps it and runs the turnaround; these only keep the target itself within
the caps, so that "slower" works at once after "faster" was pressed past a cap.
"""

from __future__ import annotations

from treadctl.limits import Direction, Limits
from treadctl.safety import SetTarget

__all__ = [
    "MANUAL_INCLINE_STEP_PCT",
    "MANUAL_SPEED_STEP_KMH",
    "first_target",
    "step_incline",
    "step_speed",
    "turned",
]

#: Manual mode steps per button press.
MANUAL_SPEED_STEP_KMH = 0.5
MANUAL_INCLINE_STEP_PCT = 1.0


def first_target(limits: Limits) -> SetTarget:
    """Where a manual session starts: forward, flat, at the start speed."""
    return SetTarget(limits.start_speed_kmh)


def step_speed(target: SetTarget, steps: int, limits: Limits) -> SetTarget:
    """``steps`` presses faster (negative: slower), between 0 and the direction's cap."""
    top = limits.max_speed(target.direction)
    kmh = min(top, max(0.0, round(target.speed_kmh + steps * MANUAL_SPEED_STEP_KMH, 2)))
    return SetTarget(kmh, target.incline_pct, target.direction)


def step_incline(target: SetTarget, steps: int, limits: Limits) -> SetTarget:
    """``steps`` presses steeper (negative: flatter), within the limits' incline range."""
    top = limits.max_incline(target.direction)
    low = limits.min_incline_pct
    pct = min(top, max(low, round(target.incline_pct + steps * MANUAL_INCLINE_STEP_PCT, 2)))
    return SetTarget(target.speed_kmh, pct, target.direction)


def turned(target: SetTarget, limits: Limits) -> SetTarget:
    """Facing the other way, with speed and incline within the new direction's caps."""
    new = Direction.BACKWARD if target.direction is Direction.FORWARD else Direction.FORWARD
    kmh = min(target.speed_kmh, limits.max_speed(new))
    pct = min(target.incline_pct, limits.max_incline(new))
    return SetTarget(kmh, pct, new)
