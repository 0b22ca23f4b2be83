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

Every input is bounded before it can cost much: a file is at most :data:`MAX_PROGRAM_BYTES`
(checked before it is read, and the read stops there); the raw text is scanned once for
brackets nested deeper than :data:`MAX_TOML_DEPTH`, dotted keys longer than that, and digit
runs longer than :data:`MAX_NUMBER_DIGITS` — the three things that make ``tomllib`` recurse
past Python's limit, slow down quadratically, or fail with Python's own "int max str digits"
message. Blocks nest at most ``MAX_BLOCK_DEPTH`` deep and texts have a length each.

Every problem in a file is one :class:`ProgramError` naming the file, the step path, the field,
what was expected and what was found. Unknown keys are errors: a typo such as ``inclne`` must
not silently drop a value the user meant to set.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import tomllib
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from treadctl.limits import Direction
from treadctl.program.errors import ProgramError
from treadctl.program.model import (
    MAX_BLOCK_DEPTH,
    MAX_REPEAT,
    MAX_SEGMENTS,
    MAX_TEXT_CHARS,
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

__all__ = [
    "MAX_NUMBER_DIGITS",
    "MAX_PROGRAM_BYTES",
    "MAX_TOML_DEPTH",
    "load_program",
    "parse_program",
]

# 1 MiB. The longest program the format allows (MAX_SEGMENTS segments written out one by one,
# with labels and cues) is about 2 MB, but blocks make such a file pointless: the built-ins
# are under 4 kB. tomllib reads 1 MiB in well under a second; a 57 MB file took 24 s and
# ~1 GB before anything refused it.
MAX_PROGRAM_BYTES = 1 << 20
# Brackets and braces nested this deep, or a dotted key of this many parts. A program needs
# two levels per block (an array and a table), so 64 is far beyond MAX_BLOCK_DEPTH; tomllib
# recurses a few frames per level (it failed near 400 nested inline tables) and walks a
# dotted key once per line (10,000 parts took 2.5 s, 50,000 took 56 s).
MAX_TOML_DEPTH = 64
# Digits in a row outside quotes. tomllib turns a decimal integer into an int, which Python
# refuses past 4300 digits with a message naming neither file nor field; no value in a
# program needs more than a handful.
MAX_NUMBER_DIGITS = 100

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
    if isinstance(value, int) and not -(10**20) < value < 10**20:
        # str() of an int past 4300 digits raises; nothing that long is worth echoing anyway.
        return "a whole number of more than 20 digits"
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
        self.check_length(value, key, step)
        return value

    def check_length(self, value: str, key: str, step: str | None) -> None:
        limit = MAX_TEXT_CHARS[key]
        if len(value) > limit:
            raise ProgramError(
                self.file,
                step,
                key,
                f"at most {limit} characters",
                f"a text of {len(value)} characters",
            )

    def program(self, doc: Mapping[str, object]) -> Program:
        self.check_keys(doc, _TOP_KEYS, None, "a top-level key")
        name = self.text(
            doc, "name", None, required=True, what="a non-empty string, the program's name"
        )
        assert name is not None
        description = doc.get("description", "")
        if not isinstance(description, str):
            raise self.error(None, "description", "a string", description)
        self.check_length(description, "description", None)
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
        if len(value) > MAX_SEGMENTS:
            # Refused before each step is read: a 1 MiB file can hold 100,000 empty ones.
            raise self.error(parent, "steps", f"at most {MAX_SEGMENTS} steps", value)
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
            if len(indices) > MAX_BLOCK_DEPTH:
                raise ProgramError(
                    self.file,
                    path,
                    None,
                    f"blocks nested at most {MAX_BLOCK_DEPTH} deep",
                    f"a block nested {len(indices)} deep",
                )
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

# One token of the pre-scan. Strings and comments are matched whole so that the brackets,
# dots and digits inside them are not counted; a multi-line string may end with one or two
# extra quotes that belong to its text (four quotes at the end: the text ends with one).
# Whatever no branch matches (bare keys, booleans, spaces) is skipped.
_SCAN_RE = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]|"(?!""))*""""{0,2}'
    r"|'''[\s\S]*?''''{0,2}"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'[^'\n]*'"
    r"|#[^\n]*"
    r"|(?P<open>[\[{])|(?P<close>[\]}])|(?P<dot>\.)|(?P<digits>\d[\d_]*)|(?P<end>[=,\n])"
)


def _prescan(text: str, source: str) -> None:
    """Refuse what would make tomllib recurse too deep, crawl, or fail on a long number.

    Linear in the text, before tomllib sees it. Not a TOML parser: it only has to agree with
    one on where strings and comments are, and tomllib still rejects anything malformed.
    """
    depth = dots = 0
    for m in _SCAN_RE.finditer(text):
        kind = m.lastgroup
        if kind is None:
            continue  # a string or a comment
        if kind == "open":
            depth += 1
            if depth > MAX_TOML_DEPTH:
                raise _where(
                    source, text, m.start(), f"at most {MAX_TOML_DEPTH} nested arrays or tables"
                )
        elif kind == "close":
            depth = max(0, depth - 1)
            dots = 0
        elif kind == "dot":
            dots += 1
            if dots >= MAX_TOML_DEPTH:
                raise _where(
                    source, text, m.start(), f"a dotted key of at most {MAX_TOML_DEPTH} parts"
                )
        elif kind == "digits":
            if len(m[0]) > MAX_NUMBER_DIGITS:
                raise _long_number(source, text, m.start(), len(m[0]), top_level=depth == 0)
        else:
            dots = 0


def _where(
    source: str,
    text: str,
    offset: int,
    expected: str,
    found: str = "deeper nesting",
    *,
    step: str | None = None,
    field: str | None = None,
) -> ProgramError:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return ProgramError(source, step, field, expected, found, line=line, column=column)


_KEY_BEFORE_RE = re.compile(r"([A-Za-z0-9_-]+)\s*=\s*[+-]?$")
_HEADER_RE = re.compile(r"^[ \t]*\[(\[?)([^\]\n]*)\]", re.MULTILINE)


def _long_number(
    source: str, text: str, offset: int, digits: int, *, top_level: bool
) -> ProgramError:
    """The error for a run of too many digits, naming the step and field where it can tell.

    Only for a ``key = 123…`` line under ``[[steps]]``-style headers (the usual way to write
    a program): inside an inline table or array the headers do not say which step it is.
    """
    line_start = text.rfind("\n", 0, offset) + 1
    key = _KEY_BEFORE_RE.search(text, line_start, offset)
    step: str | None = None
    if top_level:
        counts: list[int] = []
        for header in _HEADER_RE.finditer(text, 0, line_start):
            parts = [p.strip() for p in header[2].strip("[] \t").split(".")]
            if header[1] and parts == ["steps"] * len(parts) and len(parts) <= len(counts) + 1:
                counts = counts[: len(parts)]
                if len(counts) < len(parts):
                    counts.append(-1)
                counts[-1] += 1
            else:
                counts = []  # some other table: not a step
        if counts:
            step = ".".join(f"steps[{i}]" for i in counts)
    return _where(
        source,
        text,
        offset,
        f"a number of at most {MAX_NUMBER_DIGITS} digits",
        f"{digits} digits in a row",
        step=step,
        field=key[1] if key else None,
    )


_SIZE_EXPECTED = f"a program of at most {MAX_PROGRAM_BYTES // 1024} kB"


def parse_program(text: str, source: str = "<string>") -> Program:
    """Parse a program from TOML text; ``source`` names it in errors and in ``Program.source``."""
    if len(text) > MAX_PROGRAM_BYTES:
        raise ProgramError(source, None, None, _SIZE_EXPECTED, f"a text of {len(text)} characters")
    _prescan(text, source)
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
    except (RecursionError, ValueError):
        # The pre-scan keeps both out; this is the backstop should it ever disagree with
        # tomllib on where a string ends (the ValueError is Python's limit on int digits).
        raise ProgramError(
            source,
            None,
            None,
            f"TOML nested at most {MAX_TOML_DEPTH} deep, with numbers of at most "
            f"{MAX_NUMBER_DIGITS} digits",
            "something tomllib could not read",
        ) from None
    try:
        return _Parser(source).program(doc)
    except RecursionError:
        # Blocks are refused past MAX_BLOCK_DEPTH, so only a caller already near Python's
        # recursion limit can get here.
        raise ProgramError(
            source, None, "steps", f"blocks nested at most {MAX_BLOCK_DEPTH} deep", "deeper"
        ) from None


def load_program(path: str | Path) -> Program:
    """Read and parse a program file. Unreadable, too large or non-UTF-8 files are
    ProgramErrors too; a file is never read past :data:`MAX_PROGRAM_BYTES`."""
    name = str(path)
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            # A regular file says its size: refuse it unread. Anything else (a pipe from
            # process substitution, a device) is read up to one byte past the limit.
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_PROGRAM_BYTES:
                raise ProgramError(
                    name, None, None, _SIZE_EXPECTED, f"a file of {_size(info.st_size)}"
                )
            data = file.read(MAX_PROGRAM_BYTES + 1)
    except OSError as exc:
        raise ProgramError(
            name, None, None, "a readable program file", exc.strerror or str(exc)
        ) from None
    if len(data) > MAX_PROGRAM_BYTES:
        raise ProgramError(name, None, None, _SIZE_EXPECTED, "more than that")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProgramError(
            name,
            None,
            None,
            "UTF-8 text",
            f"a byte 0x{data[exc.start]:02x} at offset {exc.start}",
        ) from None
    return parse_program(text, source=name)


def _size(n: int) -> str:
    return f"{n / 1024:.0f} kB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MB"
