"""The model: segments in run order, positions in nested blocks, estimates, invariants."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given

from tests.treadctl.program.examples import ISSUE_EXAMPLE, ISSUE_TREE, programs
from treadctl.limits import Direction
from treadctl.program import Block, ProfilePoint, Program, Repetition, Segment, parse_program


def test_issue_example_expands_to_thirteen_segments_in_order() -> None:
    planned = ISSUE_TREE.segments()
    assert [p.index for p in planned] == list(range(13))
    assert {p.total for p in planned} == {13}
    assert [p.segment.label for p in planned] == ["Warm-up"] + [
        "Backward walk",
        "Forward recovery",
    ] * 6
    assert planned[0].position == ""
    assert planned[0].repetitions == ()
    assert planned[3].segment.path == "steps[1].steps[0]"
    assert planned[3].repetitions == (Repetition(None, 2, 6),)
    assert planned[3].position == "repetition 2/6"
    assert planned[12].position == "repetition 6/6"


def test_issue_example_estimates_and_profile() -> None:
    assert ISSUE_TREE.estimated_duration_s() == 17 * 60
    assert ISSUE_TREE.backward_minutes() == 6
    assert ISSUE_TREE.longest_backward_minutes() == 1
    profile = ISSUE_TREE.profile()
    assert len(profile) == 13
    assert profile[0] == ProfilePoint(0.0, 300.0, 4.5, 1.0, Direction.FORWARD, False)
    assert profile[1] == ProfilePoint(300.0, 360.0, 2.5, 0.0, Direction.BACKWARD, False)
    assert profile[-1].end_s == 17 * 60
    # Contiguous: each bar starts where the previous ended.
    assert all(a.end_s == b.start_s for a, b in itertools.pairwise(profile))


def test_nested_blocks_positions_with_labels() -> None:
    program = parse_program(
        """\
name = "Nested"
[[steps]]
label = "Set"
repeat = 2
  [[steps.steps]]
  label = "Backward warm-up"
  repeat = 1
    [[steps.steps.steps]]
    direction = "backward"
    speed = "2 km/h"
    duration = "1 min"
  [[steps.steps]]
  repeat = 3
    [[steps.steps.steps]]
    label = "Jog"
    direction = "forward"
    speed = "8 km/h"
    duration = "30 s"
"""
    )
    planned = program.segments()
    assert len(planned) == 2 * (1 + 3)
    assert planned[0].position == "Set 1/2 · Backward warm-up"
    assert planned[0].segment.label == "Step 1.1.1"
    assert planned[2].position == "Set 1/2 · repetition 2/3"
    assert planned[2].segment.path == "steps[0].steps[1].steps[0]"
    assert planned[7].position == "Set 2/2 · repetition 3/3"


def test_distance_estimates_and_fallback_speed() -> None:
    seg = Segment("Run", Direction.FORWARD, 10.0, distance_m=1000.0, path="steps[0]")
    assert seg.estimated_duration_s() == pytest.approx(360.0)
    stalled = Segment("Run", Direction.FORWARD, 0.0, distance_m=1000.0, path="steps[0]")
    assert stalled.estimated_duration_s() == math.inf
    assert stalled.estimated_duration_s(default_distance_speed=5.0) == pytest.approx(720.0)
    program = Program("P", "", (stalled,))
    assert program.estimated_duration_s(5.0) == pytest.approx(720.0)


def test_model_invariants() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        Segment("x", Direction.FORWARD, 4.0, duration_s=60.0, distance_m=100.0)
    with pytest.raises(ValueError, match="exactly one"):
        Segment("x", Direction.FORWARD, 4.0)
    with pytest.raises(ValueError, match="rest"):
        Segment("x", Direction.FORWARD, 0.0, rest=True)
    with pytest.raises(ValueError, match="block"):
        Block(None, 0, (Segment("x", Direction.FORWARD, 4.0, duration_s=1.0),))
    with pytest.raises(ValueError, match="block"):
        Block(None, 2, ())


def test_source_is_not_part_of_equality() -> None:
    a = parse_program(ISSUE_EXAMPLE, source="a.toml")
    b = parse_program(ISSUE_EXAMPLE, source="b.toml")
    assert a == b
    assert (a.source, b.source) == ("a.toml", "b.toml")
    assert hash(a) == hash(b)


@given(programs())
def test_generated_programs_estimates_are_consistent(program: Program) -> None:
    profile = program.profile()
    assert len(profile) == len(program.segments())
    assert profile[-1].end_s == pytest.approx(program.estimated_duration_s())
    backward = sum(
        p.end_s - p.start_s for p in profile if p.direction is Direction.BACKWARD and not p.rest
    )
    assert backward / 60 == pytest.approx(program.backward_minutes())
    assert program.longest_backward_minutes() <= program.backward_minutes() + 1e-9
