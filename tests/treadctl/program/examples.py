"""Programs the tests of treadctl.program share: the issue's example (as text and as the
tree it parses to), a helper that returns the ProgramError a text gives, and a hypothesis
strategy of valid programs."""

from __future__ import annotations

import pytest
from hypothesis import strategies as st

from treadctl.limits import Direction
from treadctl.program import Block, Program, ProgramError, Segment, Step, parse_program

ISSUE_EXAMPLE = """\
name = "Backward walking, week 1"
description = "Short backward bouts with forward recovery."

[[steps]]
label = "Warm-up"
direction = "forward"        # "forward" | "backward"
speed = "4.5 km/h"           # a unit is required: "km/h", "mph", or a pace "13:20 /km" or "/mi"
incline = "1 %"              # optional, default 0 %
duration = "5 min"           # "90 s", "5 min", "1 h 10 min" … or instead: distance = "400 m" / "0.5 km" / "0.25 mi"
cue = "Hold the rails"       # optional, shown and spoken at the step's start

[[steps]]
repeat = 6                   # a block: its own [[steps.steps]], nested blocks allowed
  [[steps.steps]]
  label = "Backward walk"
  direction = "backward"
  speed = "2.5 km/h"
  duration = "1 min"
  [[steps.steps]]
  label = "Forward recovery"
  direction = "forward"
  speed = "3.5 km/h"
  duration = "1 min"
"""  # noqa: E501 -- the issue's example, verbatim


ISSUE_TREE = Program(
    name="Backward walking, week 1",
    description="Short backward bouts with forward recovery.",
    steps=(
        Segment(
            label="Warm-up",
            direction=Direction.FORWARD,
            speed_kmh=4.5,
            incline_pct=1.0,
            duration_s=300.0,
            cue="Hold the rails",
            path="steps[0]",
        ),
        Block(
            label=None,
            repeat=6,
            steps=(
                Segment(
                    label="Backward walk",
                    direction=Direction.BACKWARD,
                    speed_kmh=2.5,
                    duration_s=60.0,
                    path="steps[1].steps[0]",
                ),
                Segment(
                    label="Forward recovery",
                    direction=Direction.FORWARD,
                    speed_kmh=3.5,
                    duration_s=60.0,
                    path="steps[1].steps[1]",
                ),
            ),
            path="steps[1]",
        ),
    ),
)


def _errors(text: str, source: str = "test.toml") -> ProgramError:
    with pytest.raises(ProgramError) as info:
        parse_program(text, source=source)
    return info.value


_label_text = st.text(
    alphabet=st.characters(exclude_categories=["Cs"]), min_size=1, max_size=12
).filter(lambda s: bool(s.strip()))


_speeds = st.floats(min_value=0.1, max_value=30.0)


_inclines = st.floats(min_value=-10.0, max_value=30.0)


_durations = st.one_of(
    st.integers(min_value=1, max_value=86_400).map(float),
    st.floats(min_value=0.001, max_value=86_400.0),
)


_distances = st.floats(min_value=0.01, max_value=100_000.0)


@st.composite
def programs(draw: st.DrawFn) -> Program:
    def steps(parent: str | None, indices: tuple[int, ...]) -> tuple[Step, ...]:
        out: list[Step] = []
        for i in range(draw(st.integers(min_value=1, max_value=3))):
            path = f"steps[{i}]" if parent is None else f"{parent}.steps[{i}]"
            here = (*indices, i)
            kinds = ["segment", "rest", "block"] if len(indices) < 2 else ["segment", "rest"]
            kind = draw(st.sampled_from(kinds))
            if kind == "block":
                out.append(
                    Block(
                        label=draw(st.none() | _label_text),
                        repeat=draw(st.integers(min_value=1, max_value=3)),
                        steps=steps(path, here),
                        path=path,
                    )
                )
            elif kind == "rest":
                out.append(
                    Segment(
                        label=draw(st.just("Rest") | _label_text),
                        direction=Direction.FORWARD,
                        speed_kmh=0.0,
                        duration_s=draw(_durations),
                        cue=draw(st.none() | _label_text),
                        path=path,
                        rest=True,
                    )
                )
            else:
                by_distance = draw(st.booleans())
                default = "Step " + ".".join(str(n + 1) for n in here)
                out.append(
                    Segment(
                        label=draw(st.just(default) | _label_text),
                        direction=draw(st.sampled_from(Direction)),
                        speed_kmh=draw(_speeds),
                        incline_pct=draw(_inclines),
                        duration_s=None if by_distance else draw(_durations),
                        distance_m=draw(_distances) if by_distance else None,
                        cue=draw(st.none() | _label_text),
                        path=path,
                    )
                )
        return tuple(out)

    return Program(
        name=draw(_label_text),
        description=draw(st.just("") | _label_text),
        steps=steps(None, ()),
    )
