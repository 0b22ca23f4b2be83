"""A program file is bounded: size, nesting, numbers and texts each have a limit, and going past
one is a ProgramError naming the file (and the line, step or field where it can tell)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from treadctl.program import MAX_BLOCK_DEPTH, MAX_TEXT_CHARS, ProgramError, load_program
from treadctl.program.parser import (
    _STEP_KEYS,
    MAX_NUMBER_DIGITS,
    MAX_PROGRAM_BYTES,
    MAX_TOML_DEPTH,
    parse_program,
)

SEGMENT = 'direction = "forward"\nspeed = "4 km/h"\nduration = "1 min"\n'


def refused(text: str) -> ProgramError:
    with pytest.raises(ProgramError) as caught:
        parse_program(text, "deep.toml")
    assert str(caught.value).startswith("deep.toml: ")
    return caught.value


@pytest.mark.parametrize(
    "value",
    [
        "{a = " * 2000 + "1" + "}" * 2000,  # a RecursionError in tomllib before
        "[" * 5000 + "]" * 5000,
        "[{a = [" * 700 + "]}]" * 700,
    ],
    ids=["inline-tables", "arrays", "mixed"],
)
def test_deep_nesting_is_refused_with_its_line(value: str) -> None:
    err = refused(f'name = "x"\nx = {value}\n')
    assert err.expected == f"at most {MAX_TOML_DEPTH} nested arrays or tables"
    assert err.line == 2


def test_nesting_inside_strings_and_comments_is_not_counted() -> None:
    brackets = "[" * 200
    program = parse_program(
        f'name = "{brackets}"\n# {brackets}\ndescription = """{brackets}"""\n'
        f"[[steps]]\n{SEGMENT}cue = '{brackets}'\n"
    )
    assert program.name == brackets


def test_a_long_dotted_key_is_refused_before_tomllib_crawls_through_it() -> None:
    # 50,000 parts took tomllib 56 s; each part walks the whole key again.
    err = refused('name = "x"\n' + ".".join(["a"] * 50_000) + " = 1\n")
    assert err.expected == f"a dotted key of at most {MAX_TOML_DEPTH} parts"
    assert err.line == 2


def test_blocks_nested_too_deep_are_refused_naming_the_step() -> None:
    depth = MAX_BLOCK_DEPTH + 1
    text = 'name = "x"\n'
    for level in range(1, depth + 1):
        text += "[[" + ".".join(["steps"] * level) + "]]\nrepeat = 1\n"
    text += "[[" + ".".join(["steps"] * (depth + 1)) + "]]\n" + SEGMENT
    err = refused(text)
    assert err.step == ".".join(["steps[0]"] * depth)
    assert err.expected == f"blocks nested at most {MAX_BLOCK_DEPTH} deep"


def test_blocks_at_the_depth_limit_are_accepted() -> None:
    text = 'name = "x"\n'
    for level in range(1, MAX_BLOCK_DEPTH + 1):
        text += "[[" + ".".join(["steps"] * level) + "]]\nrepeat = 1\n"
    text += "[[" + ".".join(["steps"] * (MAX_BLOCK_DEPTH + 1)) + "]]\n" + SEGMENT
    assert len(parse_program(text).segments()) == 1


def test_a_huge_integer_names_file_line_step_and_field() -> None:
    # Python's own "Exceeds the limit (4300 digits) for integer string conversion" before.
    err = refused('name = "x"\n[[steps]]\n' + SEGMENT + "[[steps]]\nrepeat = " + "9" * 5000)
    assert (err.line, err.step, err.field) == (7, "steps[1]", "repeat")
    assert err.expected == f"a number of at most {MAX_NUMBER_DIGITS} digits"
    assert err.found == "5000 digits in a row"


def test_a_huge_hexadecimal_integer_is_shown_without_its_digits() -> None:
    # Hexadecimal is not subject to Python's digit limit on reading, but str() of it was.
    err = refused('name = "x"\n[[steps]]\nrepeat = 0x' + "F" * 4000 + "\n")
    assert (err.step, err.field) == ("steps[0]", "repeat")
    assert err.found == "a whole number of more than 20 digits"


@pytest.mark.parametrize("field", ["speed", "duration", "incline"])
def test_a_huge_number_in_a_value_names_step_and_field(field: str) -> None:
    values = {"speed": '"4 km/h"', "duration": '"1 min"', "incline": '"1 %"'}
    unit = {"speed": "km/h", "duration": "s", "incline": "%"}[field]
    values[field] = f'"1{"0" * 5000} {unit}"'
    body = "".join(f"{key} = {value}\n" for key, value in values.items())
    err = refused(f'name = "x"\n[[steps]]\ndirection = "forward"\n{body}')
    assert (err.step, err.field) == ("steps[0]", field)
    assert err.expected == "a number of at most 400 characters"


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e400"])
def test_non_finite_numbers_name_step_and_field(value: str) -> None:
    err = refused(f'name = "x"\n[[steps]]\nrepeat = {value}\n[[steps.steps]]\n{SEGMENT}')
    assert (err.step, err.field) == ("steps[0]", "repeat")


@pytest.mark.parametrize(("field", "step"), [("name", None), ("label", "steps[0]")])
def test_texts_are_bounded(field: str, step: str | None) -> None:
    long = "x" * (MAX_TEXT_CHARS[field] + 1)
    text = f'name = "{long if field == "name" else "x"}"\n[[steps]]\n{SEGMENT}'
    if field == "label":
        text += f'label = "{long}"\n'
    err = refused(text)
    assert (err.step, err.field) == (step, field)
    assert err.found == f"a text of {len(long)} characters"


def test_a_long_unknown_key_is_cut_short_in_the_message() -> None:
    key = "k" * 100_000
    err = refused(f'name = "x"\n[[steps]]\n{SEGMENT}{key} = 1\n')
    assert err.field == key  # kept whole for a caller that looks it up
    assert str(err) == (
        f"deep.toml: steps[0]: {'k' * 57}...: expected a step key ({', '.join(_STEP_KEYS)}), "
        "found an unknown key"
    )


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    with path.open("wb") as file:
        file.truncate(64 * MAX_PROGRAM_BYTES)  # sparse: costs no disk
    with pytest.raises(ProgramError) as caught:
        load_program(path)
    assert str(caught.value) == (
        f"{path}: expected a program of at most 1024 kB, found a file of 64.0 MB"
    )


def test_a_stream_is_read_no_further_than_the_limit() -> None:
    # /dev/zero never ends: before the limit, reading it never returned.
    with pytest.raises(ProgramError, match=r"^/dev/zero: expected a program of at most 1024 kB"):
        load_program("/dev/zero")


def test_a_file_just_under_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "padded.toml"
    head = f'name = "x"\n[[steps]]\n{SEGMENT}'.encode()
    path.write_bytes(head + b"#" * (MAX_PROGRAM_BYTES - len(head)))
    assert os.path.getsize(path) == MAX_PROGRAM_BYTES
    assert load_program(path).name == "x"
