"""Reading programs: the issue's example, defaults, and bad files.

Each file in ``data/bad_programs/`` starts with ``# expect: STEP | FIELD | PHRASE`` ("-" for
none): the step path and field the error must name, and a phrase its message must contain.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.treadctl.program.examples import ISSUE_EXAMPLE, ISSUE_TREE, _errors
from treadctl.limits import Direction
from treadctl.program import Block, ProgramError, Segment, dump_program, load_program, parse_program

BAD_DIR = Path(__file__).resolve().parent / "data" / "bad_programs"


def test_issue_example_parses_to_the_expected_tree() -> None:
    program = parse_program(ISSUE_EXAMPLE, source="week1.toml")
    assert program == ISSUE_TREE
    assert program.source == "week1.toml"


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


def test_first_unknown_key_is_reported_before_anything_else() -> None:
    # A typo must never fall through to "missing speed": the message names the typo itself.
    err = _errors(
        'name = "x"\n[[steps]]\ndirection = "forward"\nSpeed = "4 km/h"\nduration = "1 min"\n'
    )
    assert (err.step, err.field) == ("steps[0]", "Speed")
    assert 'did you mean "speed"?' in str(err)


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
