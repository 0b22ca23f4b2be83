"""Programs: the issue's example, units, round trips, clamping, the built-ins, and bad files.

Each file in ``data/bad_programs/`` starts with ``# expect: STEP | FIELD | PHRASE`` ("-" for
none): the step path and field the error must name, and a phrase its message must contain.
"""

from __future__ import annotations

import itertools
import json
import math
import pickle
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.program import (
    BUILTIN_PROGRAMS_DIR,
    Block,
    ClampNotice,
    ProfilePoint,
    Program,
    ProgramError,
    Repetition,
    Segment,
    Step,
    builtin_programs,
    clamp,
    dump_program,
    format_distance,
    format_duration,
    format_incline,
    format_speed,
    load_program,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_program,
    parse_speed,
)

ROOT = Path(__file__).resolve().parents[2]
BAD_DIR = Path(__file__).resolve().parent / "data" / "bad_programs"

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


# --- the issue's example ---------------------------------------------------------------------


def test_issue_example_parses_to_the_expected_tree() -> None:
    program = parse_program(ISSUE_EXAMPLE, source="week1.toml")
    assert program == ISSUE_TREE
    assert program.source == "week1.toml"


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


def test_issue_example_error_message_is_exactly_as_documented() -> None:
    text = """\
name = "Week 1"
[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "1 min"
[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "1 min"
[[steps]]
rest = true
duration = "1 min"
[[steps]]
repeat = 2
  [[steps.steps]]
  direction = "backward"
  speed = "2 km/h"
  duration = "1 min"
  [[steps.steps]]
  direction = "forward"
  speed = "4.5"
  duration = "1 min"
"""
    err = _errors(text, source="week1.toml")
    assert (err.file, err.step, err.field, err.found) == (
        "week1.toml",
        "steps[3].steps[1]",
        "speed",
        '"4.5"',
    )
    assert str(err) == (
        'week1.toml: steps[3].steps[1]: speed: expected a speed with a unit ("4.5 km/h", '
        '"3 mph", "13:20 /km"), found "4.5"'
    )
    assert isinstance(err, ValueError)


# --- units -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kmh"),
    [
        ("4.5 km/h", 4.5),
        ("4.5km/h", 4.5),
        ("4.5 KM/H", 4.5),
        ("  4.5   Km/h ", 4.5),
        ("4.5 kph", 4.5),
        ("4.5 kmh", 4.5),
        ("10 km/h", 10.0),
        (".5 km/h", 0.5),
        ("3 mph", 4.828032),
        ("3MPH", 4.828032),
        ("2.5 mi/h", 4.02336),
        ("13:20 /km", 4.5),
        ("13:20/km", 4.5),
        ("13:20 min/km", 4.5),
        ("12:00 /mi", 8.04672),
        ("12:00 /mile", 8.04672),
        ("6:00 /km", 10.0),
        ("15:00 /MI", 6.437376),
        ("30 km/h", 30.0),
    ],
)
def test_speeds_convert_to_kmh_exactly(text: str, kmh: float) -> None:
    assert parse_speed(text) == kmh


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("4.5", "a speed with a unit"),
        ("4.5 m/s", "a speed with a unit"),
        ("fast", "a speed with a unit"),
        ("0 km/h", "above 0"),
        ("-3 km/h", "above 0"),
        ("30.01 km/h", "at most 30"),
        ("19 mph", "at most 30"),
        ("1:59 /km", "at most 30"),
        ("0:00 /km", "slower than"),
        ("5:60 /km", "seconds below 60"),
    ],
)
def test_bad_speeds(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=re.escape(phrase)):
        parse_speed(text)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90 s", 90.0),
        ("90s", 90.0),
        ("90 sec", 90.0),
        ("45 seconds", 45.0),
        ("5 min", 300.0),
        ("5MIN", 300.0),
        ("5 minutes", 300.0),
        ("1.5 min", 90.0),
        ("0.1 min", 6.0),
        ("1 h", 3600.0),
        ("2 hours", 7200.0),
        ("1 h 10 min", 4200.0),
        ("1h10min", 4200.0),
        ("1 min 30 s", 90.0),
        ("1 hr 1 min 1 s", 3661.0),
        ("24 h", 86400.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("1:30", '"1 min 30 s"'),
        ("90", "a duration with a unit"),
        ("5 m", "this is a distance"),
        ("400 m", "this is a distance"),
        ("5 min 1 h", "largest first"),
        ("5 min 5 min", "largest first"),
        ("0 s", "above 0"),
        ("24 h 1 s", "at most 24 h"),
        ("5 min and a bit", "a duration with a unit"),
    ],
)
def test_bad_durations(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=re.escape(phrase)):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "metres"),
    [
        ("400 m", 400.0),
        ("400m", 400.0),
        ("0.5 km", 500.0),
        ("0.5KM", 500.0),
        ("0.25 mi", 402.336),
        ("1 mile", 1609.344),
        ("2 miles", 3218.688),
        ("100 km", 100_000.0),
    ],
)
def test_distances(text: str, metres: float) -> None:
    assert parse_distance(text) == metres


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("400", "a distance with a unit"),
        ("400 yd", "a distance with a unit"),
        ("5 min", "this is a duration"),
        ("0 m", "above 0"),
        ("101 km", "at most 100 km"),
    ],
)
def test_bad_distances(text: str, phrase: str) -> None:
    with pytest.raises(ValueError, match=re.escape(phrase)):
        parse_distance(text)


@pytest.mark.parametrize(
    ("text", "pct"),
    [
        ("1 %", 1.0),
        ("1%", 1.0),
        ("-2 %", -2.0),
        ("\u22122 %", -2.0),
        ("+2.5 %", 2.5),
        ("30 %", 30.0),
    ],
)
def test_inclines(text: str, pct: float) -> None:
    assert parse_incline(text) == pct


@pytest.mark.parametrize("text", ["1", "1 percent", "-10.5 %", "31 %"])
def test_bad_inclines(text: str) -> None:
    with pytest.raises(ValueError, match="incline"):
        parse_incline(text)


def test_formatting_reads_back() -> None:
    assert format_speed(4.5) == "4.5 km/h"
    assert format_speed(4.0) == "4 km/h"
    assert format_speed(4.828032) == "4.828032 km/h"
    assert format_incline(-2.0) == "-2 %"
    assert format_incline(-0.0) == "0 %"
    assert format_duration(4200.0) == "1 h 10 min"
    assert format_duration(90.0) == "1 min 30 s"
    assert format_duration(45.0) == "45 s"
    assert format_duration(90.5) == "90.5 s"
    assert format_duration(0.0001) == "0.0001 s"  # never exponent form, which would not parse
    assert format_distance(5000.0) == "5 km"
    assert format_distance(402.336) == "402.336 m"
    assert parse_duration(format_duration(1e-5)) == 1e-5


# --- steps, rests, defaults ------------------------------------------------------------------


def test_defaults_labels_incline_and_rests() -> None:
    program = parse_program(
        """\
name = "Defaults"
[[steps]]
direction = "Backward"
speed = "2 km/h"
distance = "200 m"
[[steps]]
rest = true
duration = "10 min"
[[steps]]
repeat = 2
  [[steps.steps]]
  direction = "forward"
  speed = "4 km/h"
  duration = "1 min"
  rest = false
"""
    )
    first, rest, block = program.steps
    assert isinstance(first, Segment)
    assert isinstance(rest, Segment)
    assert isinstance(block, Block)
    assert (
        first.label,
        first.direction,
        first.incline_pct,
        first.duration_s,
        first.distance_m,
    ) == (
        "Step 1",
        Direction.BACKWARD,
        0.0,
        None,
        200.0,
    )
    assert program.description == ""
    assert rest == Segment(
        label="Rest",
        direction=Direction.FORWARD,
        speed_kmh=0.0,
        duration_s=600.0,
        path="steps[1]",
        rest=True,
    )
    inner = block.steps[0]
    assert isinstance(inner, Segment)
    assert (inner.label, inner.rest) == ("Step 3.1", False)
    # 200 m at 2 km/h is 360 s; the rest counts; a rest is never backward time.
    assert program.estimated_duration_s() == 360 + 600 + 120
    assert program.backward_minutes() == 6
    assert [p.rest for p in program.profile()] == [False, True, False, False]


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


# --- round trip ------------------------------------------------------------------------------


def test_dump_writes_the_readable_shape() -> None:
    text = dump_program(ISSUE_TREE)
    assert text.startswith('name = "Backward walking, week 1"\n')
    assert '\n[[steps]]\nrepeat = 6\n\n  [[steps.steps]]\n  label = "Backward walk"\n' in text
    assert 'speed = "4.5 km/h"' in text
    assert 'incline = "1 %"' in text
    assert 'duration = "5 min"' in text
    assert parse_program(text) == ISSUE_TREE


def test_dump_leaves_out_defaults_and_keeps_the_rest() -> None:
    program = parse_program(
        'name = "P"\n[[steps]]\ndirection = "forward"\nspeed = "3 mph"\ndistance = "0.25 mi"\n'
        '[[steps]]\nrest = true\nduration = "1 h 10 min"\ncue = "Drink"\n'
    )
    text = dump_program(program)
    assert "label" not in text
    assert "incline" not in text
    assert "description" not in text
    assert 'speed = "4.828032 km/h"' in text
    assert 'distance = "402.336 m"' in text
    assert 'rest = true\nduration = "1 h 10 min"\ncue = "Drink"' in text
    assert parse_program(text) == program


def test_dump_escapes_strings() -> None:
    nasty = 'Say "hi"\\ now\n\ttab \x7f é 🏃'
    program = Program(
        nasty,
        nasty,
        (Segment(nasty, Direction.BACKWARD, 2.0, duration_s=60.0, cue=nasty, path="steps[0]"),),
    )
    assert parse_program(dump_program(program)) == program


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


@given(programs())
def test_round_trip_generated_programs(program: Program) -> None:
    text = dump_program(program)
    assert parse_program(text) == program
    assert dump_program(parse_program(text)) == text


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


# --- clamping --------------------------------------------------------------------------------


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


# --- built-in programs -----------------------------------------------------------------------


BUILTINS = builtin_programs()


def _by_file(name: str) -> Program:
    return next(p for p in BUILTINS if Path(p.source or "").name == name)


def _documented_table() -> dict[str, tuple[str, float, float, float]]:
    """The built-in table in docs/programs.md: file → (name, minutes, backward, longest)."""
    rows = {}
    for line in (ROOT / "docs" / "programs.md").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(
            r"\| `([\w.-]+\.toml)` \| (.+?) \| (\d+) min \| (\d+) \| (\d+) min \|", line
        )
        if m:
            rows[m[1]] = (m[2], float(m[3]), float(m[4]), float(m[5]))
    return rows


def test_builtins_are_found_relative_to_the_package() -> None:
    assert BUILTIN_PROGRAMS_DIR == ROOT / "resources" / "programs"
    files = sorted(p.name for p in BUILTIN_PROGRAMS_DIR.glob("*.toml"))
    assert [Path(p.source or "").name for p in BUILTINS] == files
    assert len(BUILTINS) >= 5


@pytest.mark.parametrize("program", BUILTINS, ids=lambda p: Path(p.source or "").stem)
def test_builtin_validates_within_default_limits_and_round_trips(program: Program) -> None:
    assert clamp(program, DEFAULT_LIMITS) == (program, [])
    assert parse_program(dump_program(program)) == program
    assert "BACKWARD.md" in program.description
    assert "http" not in program.description
    assert program.backward_minutes() > 0


def test_builtins_match_the_documented_table() -> None:
    table = _documented_table()
    actual = {
        Path(p.source or "").name: (
            p.name,
            p.estimated_duration_s() / 60,
            p.backward_minutes(),
            p.longest_backward_minutes(),
        )
        for p in BUILTINS
    }
    assert actual == table


def test_builtins_within_the_backward_budget_except_the_documented_long_one() -> None:
    over = [
        p for p in BUILTINS if p.backward_minutes() > DEFAULT_LIMITS.backward_minutes_per_session
    ]
    assert [Path(p.source or "").name for p in over] == ["07-long-session-with-rests.toml"]
    assert "MORE than the default budget" in over[0].description


def test_thirty_minute_programs_exist() -> None:
    assert sum(1 for p in BUILTINS if p.estimated_duration_s() == 30 * 60) >= 3


def test_week_one_is_short_slow_backward_walking_with_cues() -> None:
    week1 = _by_file("01-backward-walk-week-1.toml")
    backward = [p.segment for p in week1.segments() if p.segment.direction is Direction.BACKWARD]
    assert backward
    for seg in backward:
        assert 2.0 <= seg.speed_kmh <= 2.5
        assert seg.duration_s is not None and 60 <= seg.duration_s <= 120
        assert seg.cue is not None
        assert "Hold the rails" in seg.cue and "look over your shoulder" in seg.cue
    assert week1.backward_minutes() <= 10


def test_build_up_reaches_ten_continuous_backward_minutes() -> None:
    names = [
        "01-backward-walk-week-1.toml",
        "02-backward-walk-weeks-2-3.toml",
        "03-backward-walk-weeks-4-5.toml",
        "04-backward-walk-week-6.toml",
    ]
    longest = [_by_file(n).longest_backward_minutes() for n in names]
    assert longest == sorted(longest)
    assert longest[-1] >= 10
    assert all(_by_file(n).backward_minutes() <= 10 for n in names)


def test_backward_jog_intervals_stay_at_or_below_six_kmh() -> None:
    jog = _by_file("05-backward-jog-intervals.toml")
    backward = [p.segment for p in jog.segments() if p.segment.direction is Direction.BACKWARD]
    assert max(s.speed_kmh for s in backward) == 5.5
    assert all(s.speed_kmh <= 6.0 for s in backward)
    assert any(p.position == "Intervals 6/6" for p in jog.segments())


def test_warm_up_and_cool_down_blocks_surround_a_forward_run() -> None:
    run = _by_file("06-run-with-backward-warm-up-and-cool-down.toml")
    first, middle, last = run.steps
    assert isinstance(first, Block) and first.label == "Backward warm-up"
    assert isinstance(last, Block) and last.label == "Backward cool-down"
    assert isinstance(middle, Segment) and middle.direction is Direction.FORWARD
    for block in (first, last):
        assert any(
            isinstance(s, Segment) and s.direction is Direction.BACKWARD for s in block.steps
        )


def test_long_session_rests_ten_minutes_each_hour() -> None:
    long = _by_file("07-long-session-with-rests.toml")
    assert long.estimated_duration_s() == (2 * 60 + 20) * 60
    profile = long.profile()
    rests = [p for p in profile if p.rest]
    assert [(p.start_s, p.end_s) for p in rests] == [(3600.0, 4200.0), (7800.0, 8400.0)]
    assert all(p.speed_kmh == 0 for p in rests)


# --- malformed programs ----------------------------------------------------------------------


def _expectation(path: Path) -> tuple[str | None, str | None, str]:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# expect: "), path
    step, field, phrase = (part.strip() for part in first.removeprefix("# expect: ").split("|", 2))
    return (None if step == "-" else step, None if field == "-" else field, phrase)


BAD_FILES = sorted(BAD_DIR.glob("*.toml"))


def test_at_least_thirty_malformed_files() -> None:
    assert len(BAD_FILES) >= 30


@pytest.mark.parametrize("path", BAD_FILES, ids=lambda p: p.stem)
def test_malformed_program_gives_a_clear_error(path: Path) -> None:
    step, field, phrase = _expectation(path)
    with pytest.raises(ProgramError) as info:
        load_program(path)
    err = info.value
    assert err.file == str(path)
    assert (err.step, err.field) == (step, field)
    message = str(err)
    assert phrase in message
    prefix = ": ".join(part for part in (str(path), step, field) if part is not None)
    if err.line is None:
        assert message.startswith(prefix + ": expected ")
    else:
        assert message.startswith(
            f"{path}: line {err.line}, column {err.column}: expected valid TOML"
        )
    assert f"expected {err.expected}, found {err.found}" in message


def test_toml_syntax_error_names_file_and_line() -> None:
    err = _errors('name = "x"\n\n[[steps]]\nspeed = 4.5 km/h\n', source="week1.toml")
    assert (err.file, err.step, err.field, err.line) == ("week1.toml", None, None, 4)
    assert str(err).startswith("week1.toml: line 4, column ")


def test_unreadable_and_non_utf8_files(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ProgramError, match=r"nope\.toml: expected a readable program file") as info:
        load_program(missing)
    assert info.value.file == str(missing)
    latin = tmp_path / "latin1.toml"
    latin.write_bytes('name = "Caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ProgramError, match=r"expected UTF-8 text, found a byte 0xe9 at offset 11"):
        load_program(latin)


def test_program_error_pickles() -> None:
    err = _errors('name = "x"\n[[steps]]\nrest = 1\nduration = "1 min"\n')
    copy = pickle.loads(pickle.dumps(err))
    assert (copy.file, copy.step, copy.field, copy.expected, copy.found) == (
        err.file,
        err.step,
        err.field,
        err.expected,
        err.found,
    )
    assert str(copy) == str(err)


def test_first_unknown_key_is_reported_before_anything_else() -> None:
    # A typo must never fall through to "missing speed": the message names the typo itself.
    err = _errors(
        'name = "x"\n[[steps]]\ndirection = "forward"\nSpeed = "4 km/h"\nduration = "1 min"\n'
    )
    assert (err.step, err.field) == ("steps[0]", "Speed")
    assert 'did you mean "speed"?' in str(err)


# --- fuzz: nothing but ProgramError escapes ---------------------------------------------------


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return (
            "nan"
            if math.isnan(value)
            else ("inf" if value > 0 else "-inf")
            if math.isinf(value)
            else repr(value)
        )
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + "}"


_plain_text = st.text(
    alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x2FF, exclude_characters="\x7f")
)
_values = st.one_of(
    st.sampled_from(
        [
            "forward",
            "backward",
            "4 km/h",
            "3 mph",
            "13:20 /km",
            "5 min",
            "1:30",
            "400 m",
            "1 %",
            "",
            "x",
        ]
    ),
    _plain_text,
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
)
_keys = st.sampled_from(
    [
        "label",
        "direction",
        "speed",
        "incline",
        "duration",
        "distance",
        "cue",
        "rest",
        "repeat",
        "spede",
    ]
)
_step_tables = st.recursive(
    st.dictionaries(_keys, _values, max_size=6),
    lambda children: st.builds(
        lambda base, inner: {**base, "steps": inner},
        st.dictionaries(_keys, _values, max_size=3),
        st.lists(children, max_size=3),
    ),
    max_leaves=8,
)


@given(
    st.dictionaries(st.sampled_from(["name", "description", "nmae"]), _values),
    st.lists(_step_tables, max_size=4),
)
def test_structured_garbage_gives_a_program_or_a_program_error(
    top: dict[str, object], steps: list[object]
) -> None:
    text = "\n".join(f"{k} = {_toml(v)}" for k, v in top.items()) + f"\nsteps = {_toml(steps)}\n"
    try:
        program = parse_program(text)
    except ProgramError as err:
        assert err.file == "<string>"
        assert str(err).startswith("<string>: ")
    else:
        assert parse_program(dump_program(program)) == program


@given(st.text(max_size=200))
def test_random_text_gives_a_program_or_a_program_error(text: str) -> None:
    try:
        parse_program(text)
    except ProgramError as err:
        assert "expected" in str(err)
