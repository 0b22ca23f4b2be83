"""Writing programs back: the readable shape, defaults left out, strings escaped, and the
round trip of generated programs."""

from __future__ import annotations

from hypothesis import given

from tests.treadctl.program.examples import ISSUE_TREE, programs
from treadctl.limits import Direction
from treadctl.program import Program, Segment, dump_program, parse_program


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


@given(programs())
def test_round_trip_generated_programs(program: Program) -> None:
    text = dump_program(program)
    assert parse_program(text) == program
    assert dump_program(parse_program(text)) == text
