"""Reading a program: TOML text or a file -> :class:`~treadctl.program.model.Program`, or the
first :class:`~treadctl.program.errors.ProgramError`.

Shape of a program file (``docs/programs.md`` documents every field)::

    name = "Backward walking, week 1"        # required
    description = "Short backward bouts."    # optional

    [[steps]]                                # a segment
    label = "Warm-up"                        # optional; default "Step 1" ("Step 2.3" nested)
    direction = "forward"                    # "forward" | "backward"
    speed = "4.5 km/h"                       # unit required: km/h, mph, "13:20 /km", "12:00 /mi"
    incline = "1 %"                          # optional, default 0 %
    duration = "5 min"                       # "90 s", "5 min", "1 h 10 min"; or distance = "400 m"
    cue = "Hold the rails"                   # optional

    [[steps]]                                # a rest: the belt stops; only the user resumes it
    rest = true
    duration = "10 min"

    [[steps]]                                # a block: its own [[steps.steps]], nesting allowed
    repeat = 6
      [[steps.steps]]
      ...

Entry points: :func:`parse_program` (text, with a source name for errors) and
:func:`load_program` (a path; unreadable or non-UTF-8 files are ProgramErrors too).

Every problem in a file is one :class:`ProgramError` naming the file, the step path, the field,
what was expected and what was found. Unknown keys are errors: a typo such as ``inclne`` must
not silently drop a value the user meant to set.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from treadctl.limits import Direction
from treadctl.program.errors import ProgramError
from treadctl.program.model import (
    MAX_REPEAT,
    MAX_SEGMENTS,
    REST_LABEL,
    Block,
    Program,
    Segment,
    Step,
    default_label,
)
from treadctl.program.units import (
    _DISTANCE_EXPECTED,
    _DURATION_EXPECTED,
    _INCLINE_EXPECTED,
    _SPEED_EXPECTED,
    _Expected,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_speed,
)

__all__ = ["load_program", "parse_program"]

_SEGMENT_KEYS = ("label", "direction", "speed", "incline", "duration", "distance", "cue", "rest")
_REST_KEYS = ("rest", "label", "duration", "cue")
_BLOCK_KEYS = ("repeat", "label", "steps")
_STEP_KEYS = (*_SEGMENT_KEYS, "repeat", "steps")
_TOP_KEYS = ("name", "description", "steps")


class _Missing:
    """Marks a key that is absent, so "found nothing" differs from any TOML value."""


_MISSING = _Missing()


def _show(value: object) -> str:
    """Render a TOML value as the user wrote it, plus its kind where quotes can't tell it."""
    if isinstance(value, _Missing):
        return "nothing"
    if isinstance(value, str):
        text = value if len(value) <= 60 else value[:57] + "..."
        return json.dumps(text, ensure_ascii=False)
    if isinstance(value, bool):
        return f"{'true' if value else 'false'} (a boolean)"
    if isinstance(value, int | float):
        return f"{value} (a number)"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an empty array" if not value else f"an array of {len(value)}"
    return f"{value} (a date/time)"


def _count(steps: Sequence[Step]) -> int:
    return sum(1 if isinstance(s, Segment) else s.repeat * _count(s.steps) for s in steps)


def _suggest(key: str, allowed: Sequence[str]) -> str | None:
    """The known key a typo most likely meant: "Speed", "sped", "cue_text" → "speed", "cue"."""
    lowered = key.lower()
    close = difflib.get_close_matches(lowered, allowed, n=1, cutoff=0.6)
    if close:
        return close[0]
    for candidate in allowed:
        if lowered.startswith(candidate) or (len(lowered) >= 3 and candidate.startswith(lowered)):
            return candidate
    return None


class _Parser:
    """Turns the dict tomllib returns into a :class:`Program`, or the first ProgramError."""

    def __init__(self, file: str) -> None:
        self.file = file

    def error(
        self, step: str | None, key: str | None, expected: str, found: object
    ) -> ProgramError:
        return ProgramError(self.file, step, key, expected, _show(found))

    def check_keys(
        self, table: Mapping[str, object], allowed: Sequence[str], step: str | None, what: str
    ) -> None:
        for key in table:
            if key not in allowed:
                close = _suggest(key, allowed)
                hint = f' (did you mean "{close}"?)' if close else ""
                raise ProgramError(
                    self.file,
                    step,
                    key,
                    f"{what} ({', '.join(allowed)})",
                    f"an unknown key{hint}",
                )

    def text(
        self, table: Mapping[str, object], key: str, step: str | None, *, required: bool, what: str
    ) -> str | None:
        value = table.get(key, _MISSING)
        if isinstance(value, _Missing) and not required:
            return None
        if not isinstance(value, str) or not value.strip():
            raise self.error(step, key, what, value)
        return value

    def program(self, doc: Mapping[str, object]) -> Program:
        self.check_keys(doc, _TOP_KEYS, None, "a top-level key")
        name = self.text(
            doc, "name", None, required=True, what="a non-empty string, the program's name"
        )
        assert name is not None
        description = doc.get("description", "")
        if not isinstance(description, str):
            raise self.error(None, "description", "a string", description)
        steps = self.steps(doc.get("steps", _MISSING), None, ())
        if _count(steps) > MAX_SEGMENTS:
            raise self.error(
                None,
                "steps",
                f"at most {MAX_SEGMENTS} segments with blocks expanded",
                _count(steps),
            )
        return Program(name=name, description=description, steps=steps, source=self.file)

    def steps(
        self, value: object, parent: str | None, indices: tuple[int, ...]
    ) -> tuple[Step, ...]:
        header = (
            "[[steps]]"
            if parent is None
            else "[[" + ".".join(["steps"] * (len(indices) + 1)) + "]]"
        )
        if not isinstance(value, list) or not value:
            where = "" if parent is None else " in this block"
            raise self.error(parent, "steps", f"one or more {header} tables{where}", value)
        result: list[Step] = []
        for i, item in enumerate(value):
            path = f"steps[{i}]" if parent is None else f"{parent}.steps[{i}]"
            result.append(self.step(item, path, (*indices, i)))
        return tuple(result)

    def step(self, table: object, path: str, indices: tuple[int, ...]) -> Step:
        if not isinstance(table, dict):
            raise self.error(
                path, None, "a table of step keys (direction, speed, duration …)", table
            )
        self.check_keys(table, _STEP_KEYS, path, "a step key")
        if "repeat" in table or "steps" in table:
            return self.block(table, path, indices)
        rest = table.get("rest", False)
        if not isinstance(rest, bool):
            raise self.error(path, "rest", "true or false", rest)
        if rest:
            return self.rest(table, path)
        return self.segment(table, path, indices)

    def block(self, table: Mapping[str, object], path: str, indices: tuple[int, ...]) -> Block:
        for key in table:
            if key not in _BLOCK_KEYS:
                raise self.error(
                    path,
                    key,
                    "only repeat, label and [[steps.steps]] in a block "
                    "(put segment keys in the block's own steps)",
                    table[key],
                )
        repeat = table.get("repeat", _MISSING)
        if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
            raise self.error(
                path, "repeat", f"a whole number from 1 to {MAX_REPEAT}, without quotes", repeat
            )
        label = self.text(table, "label", path, required=False, what="a non-empty string")
        steps = self.steps(table.get("steps", _MISSING), path, indices)
        block = Block(label=label, repeat=repeat, steps=steps, path=path)
        if _count((block,)) > MAX_SEGMENTS:
            raise self.error(
                path,
                "repeat",
                f"at most {MAX_SEGMENTS} segments with blocks expanded",
                repeat,
            )
        return block

    def rest(self, table: Mapping[str, object], path: str) -> Segment:
        for key in table:
            if key not in _REST_KEYS:
                raise self.error(
                    path,
                    key,
                    "only duration, label and cue in a rest step (the belt stops for a rest)",
                    table[key],
                )
        label = self.text(table, "label", path, required=False, what="a non-empty string")
        duration = self.measure(table, "duration", path, parse_duration, _DURATION_EXPECTED)
        cue = self.text(table, "cue", path, required=False, what="a non-empty string")
        return Segment(
            label=label or REST_LABEL,
            direction=Direction.FORWARD,
            speed_kmh=0.0,
            duration_s=duration,
            cue=cue,
            path=path,
            rest=True,
        )

    def segment(self, table: Mapping[str, object], path: str, indices: tuple[int, ...]) -> Segment:
        label = self.text(table, "label", path, required=False, what="a non-empty string")
        direction_text = table.get("direction", _MISSING)
        try:
            if not isinstance(direction_text, str):
                raise ValueError(direction_text)
            direction = Direction(direction_text.strip().lower())
        except ValueError:
            raise self.error(path, "direction", '"forward" or "backward"', direction_text) from None
        speed = self.measure(table, "speed", path, parse_speed, _SPEED_EXPECTED)
        incline = 0.0
        if "incline" in table:
            incline = self.measure(table, "incline", path, parse_incline, _INCLINE_EXPECTED)
        if "duration" in table and "distance" in table:
            raise self.error(
                path, "distance", "either a duration or a distance, not both", table["distance"]
            )
        duration = distance = None
        if "distance" in table:
            distance = self.measure(table, "distance", path, parse_distance, _DISTANCE_EXPECTED)
        elif "duration" in table:
            duration = self.measure(table, "duration", path, parse_duration, _DURATION_EXPECTED)
        else:
            raise self.error(
                path, "duration", 'a duration ("5 min") or a distance ("400 m")', _MISSING
            )
        cue = self.text(table, "cue", path, required=False, what="a non-empty string")
        return Segment(
            label=label or default_label(indices),
            direction=direction,
            speed_kmh=speed,
            incline_pct=incline,
            duration_s=duration,
            distance_m=distance,
            cue=cue,
            path=path,
        )

    def measure(
        self,
        table: Mapping[str, object],
        key: str,
        path: str,
        parse: Callable[[str], float],
        expected: str,
    ) -> float:
        value = table.get(key, _MISSING)
        if not isinstance(value, str):
            raise self.error(path, key, expected, value)
        try:
            return parse(value)
        except _Expected as exc:
            raise self.error(path, key, exc.expected, value) from None


_TOML_WHERE_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def parse_program(text: str, source: str = "<string>") -> Program:
    """Parse a program from TOML text; ``source`` names it in errors and in ``Program.source``."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # Python 3.12's TOMLDecodeError has no lineno attribute (3.14 adds one): read the
        # position from the message, which tomllib has always formatted the same way.
        message = str(exc)
        line = column = None
        if m := _TOML_WHERE_RE.search(message):
            line, column = int(m[1]), int(m[2])
            message = message[: m.start()]
        message = message[:1].lower() + message[1:]
        raise ProgramError(
            source, None, None, "valid TOML", message, line=line, column=column
        ) from None
    return _Parser(source).program(doc)


def load_program(path: str | Path) -> Program:
    """Read and parse a program file. Unreadable or non-UTF-8 files are ProgramErrors too."""
    name = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise ProgramError(
            name, None, None, "a readable program file", exc.strerror or str(exc)
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProgramError(
            name, None, None, "UTF-8 text", f"a byte 0x{data[exc.start]:02x} at offset {exc.start}"
        ) from None
    return parse_program(text, source=name)
