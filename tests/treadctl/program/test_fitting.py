"""Clamping: a program fitted to a profile's limits, with a notice per changed value."""

from __future__ import annotations

from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.program import ClampNotice, clamp, parse_program

CLAMP_ME = """\
name = "Too much"
[[steps]]
direction = "forward"
speed = "14 km/h"
incline = "12 %"
duration = "5 min"
[[steps]]
repeat = 3
  [[steps.steps]]
  label = "Backward jog"
  direction = "backward"
  speed = "7 km/h"
  incline = "6 %"
  duration = "1 min"
  [[steps.steps]]
  direction = "forward"
  speed = "5 km/h"
  incline = "-2 %"
  duration = "1 min"
  [[steps.steps]]
  rest = true
  duration = "1 min"
[[steps]]
direction = "backward"
speed = "3 km/h"
incline = "5 %"
duration = "1 min"
"""


def test_clamp_fits_speed_and_incline_with_a_notice_each() -> None:
    program = parse_program(CLAMP_ME)
    clamped, notices = clamp(program, DEFAULT_LIMITS)
    assert notices == [
        ClampNotice("steps[0]", "speed", 14.0, 12.0, "forward max speed 12 km/h"),
        ClampNotice("steps[0]", "incline", 12.0, 10.0, "forward max incline 10 %"),
        ClampNotice("steps[1].steps[0]", "speed", 7.0, 6.0, "backward max speed 6 km/h"),
        ClampNotice("steps[1].steps[0]", "incline", 6.0, 5.0, "backward max incline 5 %"),
        ClampNotice("steps[1].steps[1]", "incline", -2.0, 0.0, "min incline 0 %"),
    ]
    assert (
        str(notices[2])
        == "steps[1].steps[0]: speed 7 km/h shown as 6 km/h (backward max speed 6 km/h)"
    )
    assert str(notices[4]) == "steps[1].steps[1]: incline -2 % shown as 0 % (min incline 0 %)"
    speeds = [(p.segment.speed_kmh, p.segment.incline_pct) for p in clamped.segments()]
    assert speeds[0] == (12.0, 10.0)
    assert speeds[1:4] == [(6.0, 5.0), (5.0, 0.0), (0.0, 0.0)]
    assert speeds[-1] == (3.0, 5.0)  # at the limit is within it
    # The original is untouched, and untouched steps are the same objects.
    assert program.segments()[1].segment.speed_kmh == 7.0
    assert clamped.steps[2] is program.steps[2]
    assert clamped.source == program.source
    assert clamp(clamped, DEFAULT_LIMITS) == (clamped, [])


def test_clamp_follows_the_profile_limits() -> None:
    program = parse_program(CLAMP_ME)
    generous = Limits(
        forward_max_speed_kmh=16.0,
        backward_max_speed_kmh=8.0,
        forward_max_incline_pct=15.0,
        backward_max_incline_pct=8.0,
        min_incline_pct=-3.0,
    )
    assert clamp(program, generous) == (program, [])
    strict = Limits(backward_max_speed_kmh=2.5)
    _, notices = clamp(program, strict)
    backward = [n for n in notices if n.field == "speed" and "backward" in n.reason]
    assert [(n.path, n.allowed) for n in backward] == [
        ("steps[1].steps[0]", 2.5),
        ("steps[2]", 2.5),
    ]


def test_clamp_notices_are_per_step_not_per_repetition() -> None:
    _, notices = clamp(parse_program(CLAMP_ME), DEFAULT_LIMITS)
    assert len([n for n in notices if n.path == "steps[1].steps[0]"]) == 2
