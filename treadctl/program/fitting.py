"""Fitting a program to a person's limits, for showing it as it will run.

Shape::

    clamp(program, limits) -> (fitted program, [ClampNotice])
    ClampNotice(path, field, requested, allowed, reason)
        str(): "steps[1].steps[0]: speed 7 km/h shown as 6 km/h (backward max speed 6 km/h)"

A program beyond a profile's :class:`~treadctl.limits.Limits` still loads; the program page
and the editor show it fitted, with one notice per changed value of a step (per step, not per
repetition). This is *for display*: the safety governor clamps every command again at run
time, whatever this module says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from treadctl.limits import Limits
from treadctl.program.model import Block, Program, Step
from treadctl.program.units import _human

__all__ = ["ClampNotice", "clamp"]


@dataclass(frozen=True, slots=True)
class ClampNotice:
    """One value of one step changed by :func:`clamp` (``field`` is "speed" or "incline")."""

    path: str
    field: str
    requested: float
    allowed: float
    reason: str

    def __str__(self) -> str:
        unit = "km/h" if self.field == "speed" else "%"
        return (
            f"{self.path}: {self.field} {_human(self.requested, unit)} shown as "
            f"{_human(self.allowed, unit)} ({self.reason})"
        )


def clamp(program: Program, limits: Limits) -> tuple[Program, list[ClampNotice]]:
    """Fit every segment's speed and incline within ``limits``, for showing before a run.

    A program beyond a profile's limits still loads; the user sees it as it will run, with a
    notice per changed value. Not a safety mechanism: the governor clamps every command again.
    """
    notices: list[ClampNotice] = []

    def fit(step: Step) -> Step:
        if isinstance(step, Block):
            return replace(step, steps=tuple(fit(s) for s in step.steps))
        if step.rest:
            return step
        way = step.direction.value
        speed, incline = step.speed_kmh, step.incline_pct
        if speed > limits.max_speed(step.direction):
            speed = limits.max_speed(step.direction)
            notices.append(
                ClampNotice(
                    step.path,
                    "speed",
                    step.speed_kmh,
                    speed,
                    f"{way} max speed {_human(speed, 'km/h')}",
                )
            )
        if incline > limits.max_incline(step.direction):
            incline = limits.max_incline(step.direction)
            notices.append(
                ClampNotice(
                    step.path,
                    "incline",
                    step.incline_pct,
                    incline,
                    f"{way} max incline {_human(incline, '%')}",
                )
            )
        elif incline < limits.min_incline_pct:
            incline = limits.min_incline_pct
            notices.append(
                ClampNotice(
                    step.path,
                    "incline",
                    step.incline_pct,
                    incline,
                    f"min incline {_human(incline, '%')}",
                )
            )
        if (speed, incline) == (step.speed_kmh, step.incline_pct):
            return step
        return replace(step, speed_kmh=speed, incline_pct=incline)

    clamped = replace(program, steps=tuple(fit(s) for s in program.steps))
    return clamped, notices
