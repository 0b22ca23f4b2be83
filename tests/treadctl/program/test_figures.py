"""A program's figures: the numbers both program pages show beside the chart."""

from __future__ import annotations

import math

from tests.treadctl.program.examples import ISSUE_TREE
from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.program import Program, ProgramFigures, Segment, program_figures


def test_figures_of_the_issue_example() -> None:
    assert program_figures(ISSUE_TREE) == ProgramFigures(
        total_s=17 * 60,
        backward_minutes=6,
        backward_budget_minutes=None,
        longest_backward_minutes=1,
        segments=13,
        backward_segments=6,
    )
    assert not program_figures(ISSUE_TREE).backward_cut


def test_the_backward_budget_comes_from_the_limits() -> None:
    within = program_figures(ISSUE_TREE, DEFAULT_LIMITS)
    assert within.backward_budget_minutes == DEFAULT_LIMITS.backward_minutes_per_session
    assert not within.backward_cut
    cut = program_figures(ISSUE_TREE, Limits(backward_minutes_per_session=5))
    assert (cut.backward_minutes, cut.backward_budget_minutes, cut.backward_cut) == (6, 5, True)
    exact = program_figures(ISSUE_TREE, Limits(backward_minutes_per_session=6))
    assert not exact.backward_cut  # at the budget is within it


def test_rests_are_never_backward_and_a_stalled_distance_has_no_total() -> None:
    stalled = Segment("Run", Direction.BACKWARD, 0.0, distance_m=100.0, path="steps[0]")
    rest = Segment("Rest", Direction.BACKWARD, 0.0, duration_s=60.0, path="steps[1]", rest=True)
    figures = program_figures(Program("P", "", (stalled, rest)))
    assert math.isinf(figures.total_s)
    assert (figures.segments, figures.backward_segments) == (2, 1)
