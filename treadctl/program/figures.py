"""A program's figures: the numbers the program page and the editor show beside its chart.

Shape::

    program_figures(program, limits=None) -> ProgramFigures
     ├── total_s                    estimated, rests included (inf: a distance step at speed 0)
     ├── backward_minutes           estimated minutes facing backward
     ├── backward_budget_minutes    the limits' backward minutes per session (None: no limits)
     ├── longest_backward_minutes   the longest run of backward segments without a turnaround
     ├── segments / backward_segments   blocks expanded; rests are never backward
     └── backward_cut               the budget stops the backward minutes short

Give it the program as it will run (already fitted by :func:`~treadctl.program.fitting.clamp`),
so distance steps are timed at the speeds they will run at. The words and the layout are the
front end's; the numbers are computed here, once.
"""

from __future__ import annotations

from dataclasses import dataclass

from treadctl.limits import Direction, Limits
from treadctl.program.model import Program

__all__ = ["ProgramFigures", "program_figures"]


@dataclass(frozen=True, slots=True)
class ProgramFigures:
    """The figures of one program (see the module doc)."""

    total_s: float
    backward_minutes: float
    backward_budget_minutes: float | None
    longest_backward_minutes: float
    segments: int
    backward_segments: int

    @property
    def backward_cut(self) -> bool:
        """Whether the budget ends the backward minutes before the program does (past it the
        governor turns the session's remaining backward steps into forward walking)."""
        budget = self.backward_budget_minutes
        return budget is not None and self.backward_minutes > budget


def program_figures(program: Program, limits: Limits | None = None) -> ProgramFigures:
    """The figures of ``program``; with ``limits``, its backward minutes against their budget."""
    planned = program.segments()
    return ProgramFigures(
        total_s=program.estimated_duration_s(),
        backward_minutes=program.backward_minutes(),
        backward_budget_minutes=None if limits is None else limits.backward_minutes_per_session,
        longest_backward_minutes=program.longest_backward_minutes(),
        segments=len(planned),
        backward_segments=sum(
            1 for p in planned if p.segment.direction is Direction.BACKWARD and not p.segment.rest
        ),
    )
