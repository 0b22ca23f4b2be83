"""Interval programs: the TOML format, its validation, the model, and what the app derives from it.

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

Model: :class:`Program` holds a tuple of steps, each a :class:`Segment` (a rest is a segment with
``rest=True``, speed 0) or a :class:`Block` (``repeat`` times its own steps). Every step keeps its
``path`` — ``steps[3].steps[1]``, 0-based in TOML array order — so errors, clamp notices and the
editor all name a step the same way.

Entry points: :func:`parse_program`, :func:`load_program`, :func:`dump_program` (writes the same
shape back; ``parse_program(dump_program(p)) == p``), :func:`builtin_programs`, and
:func:`clamp`, which fits a program to a profile's :class:`~treadctl.limits.Limits` *for
display*, with a :class:`ClampNotice` per change (the safety governor clamps again at run time,
whatever this module says).

Every problem in a file is one :class:`ProgramError` naming the file, the step path, the field,
what was expected and what was found. Unknown keys are errors: a typo such as ``inclne`` must
not silently drop a value the user meant to set.
"""

from __future__ import annotations

import difflib
import json
import math
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import NamedTuple

from treadctl.errors import TreadctlError
from treadctl.limits import Direction, Limits

__all__ = [
    "BUILTIN_PROGRAMS_DIR",
    "Block",
    "ClampNotice",
    "PlannedSegment",
    "ProfilePoint",
    "Program",
    "ProgramError",
    "Repetition",
    "Segment",
    "Step",
    "builtin_programs",
    "clamp",
    "dump_program",
    "format_distance",
    "format_duration",
    "format_incline",
    "format_speed",
    "load_program",
    "parse_distance",
    "parse_duration",
    "parse_incline",
    "parse_program",
    "parse_speed",
]

BUILTIN_PROGRAMS_DIR = Path(__file__).resolve().parent.parent / "resources" / "programs"

# Plausibility bounds of the *format*, not safety limits: they catch typos ("45 km/h" for
# "4.5 km/h", "50 %" for "5 %") before a file is accepted. The profile's Limits, far lower,
# are applied by clamp() and by the governor.
MAX_SPEED_KMH = 30.0
MIN_INCLINE_PCT = -10.0
MAX_INCLINE_PCT = 30.0
MAX_STEP_DURATION_S = 24 * 3600.0
MAX_STEP_DISTANCE_M = 100_000.0
MAX_REPEAT = 100
# Blocks multiply: three nested "repeat = 100" would be a million segments. Nothing real comes
# close to this, and the runner and the chart both expand the whole program.
MAX_SEGMENTS = 10_000

# Exact (international mile), so "3 mph" and "12:00 /mi" convert exactly before rounding to float.
_KM_PER_MILE = Fraction("1.609344")

_SEGMENT_KEYS = ("label", "direction", "speed", "incline", "duration", "distance", "cue", "rest")
_REST_KEYS = ("rest", "label", "duration", "cue")
_BLOCK_KEYS = ("repeat", "label", "steps")
_STEP_KEYS = (*_SEGMENT_KEYS, "repeat", "steps")
_TOP_KEYS = ("name", "description", "steps")


# --------------------------------------------------------------------------------------------
# Errors


class ProgramError(TreadctlError, ValueError):
    """A program file that cannot be used, and exactly where and why.

    ``file`` is the path or source name given to the loader; ``step`` the step's path
    (``steps[3].steps[1]``, 0-based) or ``None`` for the top level; ``field`` the key
    (``None`` when the whole step or file is at fault); ``line``/``column`` are set for TOML
    syntax errors only.
    """

    def __init__(
        self,
        file: str,
        step: str | None,
        field: str | None,
        expected: str,
        found: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.step = step
        self.field = field
        self.expected = expected
        self.found = found
        self.line = line
        self.column = column
        parts = [file]
        if line is not None:
            parts.append(f"line {line}" if column is None else f"line {line}, column {column}")
        if step is not None:
            parts.append(step)
        if field is not None:
            parts.append(field)
        super().__init__(": ".join(parts) + f": expected {expected}, found {found}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments are not replayed by the default pickling of exceptions.
        return (
            _rebuild_error,
            (self.file, self.step, self.field, self.expected, self.found, self.line, self.column),
        )


def _rebuild_error(
    file: str,
    step: str | None,
    field: str | None,
    expected: str,
    found: str,
    line: int | None,
    column: int | None,
) -> ProgramError:
    return ProgramError(file, step, field, expected, found, line=line, column=column)


class _Expected(ValueError):
    """A value parser's complaint: what it expected. The caller adds file, step and field."""

    def __init__(self, expected: str) -> None:
        super().__init__(f"expected {expected}")
        self.expected = expected


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


# --------------------------------------------------------------------------------------------
# Values: text with units <-> SI-ish floats (km/h, %, s, m)

_NUM = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_SPEED_RE = re.compile(rf"({_NUM})\s*(km/h|kmh|kph|mph|mi/h)", re.IGNORECASE)
_PACE_RE = re.compile(r"(\d+):(\d\d)\s*(?:min)?\s*/\s*(km|mi|mile)", re.IGNORECASE)
_INCLINE_RE = re.compile(rf"({_NUM})\s*%")
_DURATION_PART_RE = re.compile(
    rf"\s*({_NUM})\s*(hours|hour|hrs|hr|h|minutes|minute|mins|min|seconds|second|secs|sec|s)(?![a-z])",
    re.IGNORECASE,
)
_DISTANCE_RE = re.compile(rf"({_NUM})\s*(km|m|mi|miles|mile)", re.IGNORECASE)

_SPEED_EXPECTED = 'a speed with a unit ("4.5 km/h", "3 mph", "13:20 /km")'
_INCLINE_EXPECTED = 'an incline in percent ("1 %", "-2 %")'
_DURATION_EXPECTED = 'a duration with a unit ("90 s", "5 min", "1 h 10 min")'
_DISTANCE_EXPECTED = 'a distance with a unit ("400 m", "0.5 km", "0.25 mi")'

_DURATION_UNITS = {"h": 3600, "min": 60, "s": 1}


def _clean(text: str) -> str:
    # A typographic minus (U+2212) is what word processors and phones produce for "-2 %".
    return text.replace("\u2212", "-").strip()


def _to_float(value: Fraction) -> float:
    # Fractions keep "0.1 min" at exactly 6 s and "13:20 /km" at exactly 4.5 km/h; float() then
    # rounds once, correctly, so the round trip through dump_program() is exact.
    return float(value)


def parse_speed(text: str) -> float:
    """``"4.5 km/h"``, ``"3 mph"``, ``"13:20 /km"``, ``"12:00 /mi"`` → km/h (a float).

    Spacing and case are free (``"4.5KM/H"``); a bare number is refused: "4.5" could be km/h or
    mph, and that is the difference between a walk and a jog.
    """
    cleaned = _clean(text)
    if m := _SPEED_RE.fullmatch(cleaned):
        value = Fraction(m[1])
        unit = m[2].lower()
        kmh = value * _KM_PER_MILE if unit in ("mph", "mi/h") else value
    elif m := _PACE_RE.fullmatch(cleaned):
        minutes, seconds = int(m[1]), int(m[2])
        if seconds >= 60:
            raise _Expected('a pace "minutes:seconds" with seconds below 60 ("13:20 /km")')
        total = minutes * 60 + seconds
        if total == 0:
            raise _Expected('a pace slower than "0:00 /km"')
        per_km = Fraction(3600, total)
        kmh = per_km if m[3].lower() == "km" else per_km * _KM_PER_MILE
    else:
        raise _Expected(_SPEED_EXPECTED)
    if kmh <= 0:
        raise _Expected("a speed above 0 km/h (a rest step stops the belt: rest = true)")
    if kmh > MAX_SPEED_KMH:
        raise _Expected(f"a speed of at most {MAX_SPEED_KMH:g} km/h")
    return _to_float(kmh)


def parse_incline(text: str) -> float:
    """``"1 %"``, ``"-2%"`` → percent grade (a float), from -10 % to 30 %."""
    m = _INCLINE_RE.fullmatch(_clean(text))
    if m is None:
        raise _Expected(_INCLINE_EXPECTED)
    value = Fraction(m[1])
    if not MIN_INCLINE_PCT <= value <= MAX_INCLINE_PCT:
        raise _Expected(f"an incline from {MIN_INCLINE_PCT:g} % to {MAX_INCLINE_PCT:g} %")
    return _to_float(value)


def _duration_unit(word: str) -> str:
    word = word.lower()
    if word.startswith("h"):
        return "h"
    if word.startswith("m"):
        return "min"
    return "s"


def parse_duration(text: str) -> float:
    """``"90 s"``, ``"5 min"``, ``"1.5 min"``, ``"1 h 10 min"``, ``"1 min 30 s"`` → seconds.

    Each unit at most once, largest first. ``"1:30"`` is refused on purpose: it reads as
    1 min 30 s to a runner and as 1 h 30 min to a clock.
    """
    cleaned = _clean(text)
    total = Fraction(0)
    pos = 0
    seen: list[str] = []
    while pos < len(cleaned):
        m = _DURATION_PART_RE.match(cleaned, pos)
        if m is None:
            seen = []
            break
        unit = _duration_unit(m[2])
        if seen and list(_DURATION_UNITS).index(unit) <= list(_DURATION_UNITS).index(seen[-1]):
            raise _Expected(f'{_DURATION_EXPECTED}, each unit once, largest first ("1 h 10 min")')
        seen.append(unit)
        total += Fraction(m[1]) * _DURATION_UNITS[unit]
        pos = m.end()
    if not seen:
        if ":" in cleaned:
            raise _Expected(
                f'{_DURATION_EXPECTED}; write "1 min 30 s" rather than "1:30", '
                "which could mean minutes or hours"
            )
        if _DISTANCE_RE.fullmatch(cleaned):
            raise _Expected(f"{_DURATION_EXPECTED}; this is a distance: use distance = ...")
        raise _Expected(_DURATION_EXPECTED)
    if total <= 0:
        raise _Expected("a duration above 0 s")
    if total > MAX_STEP_DURATION_S:
        raise _Expected("a duration of at most 24 h per step")
    return _to_float(total)


def parse_distance(text: str) -> float:
    """``"400 m"``, ``"0.5 km"``, ``"0.25 mi"`` → metres."""
    cleaned = _clean(text)
    m = _DISTANCE_RE.fullmatch(cleaned)
    if m is None:
        if _DURATION_PART_RE.match(cleaned):
            raise _Expected(f"{_DISTANCE_EXPECTED}; this is a duration: use duration = ...")
        raise _Expected(_DISTANCE_EXPECTED)
    value = Fraction(m[1])
    unit = m[2].lower()
    if unit == "km":
        value *= 1000
    elif unit.startswith("mi"):
        value *= _KM_PER_MILE * 1000
    if value <= 0:
        raise _Expected("a distance above 0 m")
    if value > MAX_STEP_DISTANCE_M:
        raise _Expected("a distance of at most 100 km per step")
    return _to_float(value)


def _plain(value: float) -> str:
    """The shortest decimal that reads back as exactly ``value``, never in exponent form."""
    text = format(Decimal(repr(value)), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def format_speed(kmh: float) -> str:
    """``4.5`` → ``"4.5 km/h"`` (what :func:`parse_speed` reads back exactly)."""
    return f"{_plain(kmh)} km/h"


def format_incline(pct: float) -> str:
    """``-2.0`` → ``"-2 %"``."""
    return f"{_plain(pct)} %"


def format_duration(seconds: float) -> str:
    """``4200`` → ``"1 h 10 min"``, ``90`` → ``"1 min 30 s"``, ``45`` → ``"45 s"``."""
    if seconds >= 60 and seconds == int(seconds):
        whole = int(seconds)
        hours, rest = divmod(whole, 3600)
        minutes, secs = divmod(rest, 60)
        parts = [f"{n} {unit}" for n, unit in ((hours, "h"), (minutes, "min"), (secs, "s")) if n]
        return " ".join(parts)
    return f"{_plain(seconds)} s"


def format_distance(metres: float) -> str:
    """``5000`` → ``"5 km"``, ``400`` → ``"400 m"``."""
    if metres >= 1000 and metres % 1000 == 0:
        return f"{int(metres) // 1000} km"
    return f"{_plain(metres)} m"


def _human(value: float, unit: str) -> str:
    # For messages only: two decimals are plenty for a person reading a notice.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"


# --------------------------------------------------------------------------------------------
# Model


@dataclass(frozen=True, slots=True)
class Segment:
    """One stretch at a steady target: a direction, a speed and an incline, for a duration or a
    distance. A rest (``rest=True``) stops the belt for ``duration_s``: speed 0, incline 0,
    direction forward (meaningless while the belt is stopped), and no distance.
    """

    label: str
    direction: Direction
    speed_kmh: float
    incline_pct: float = 0.0
    duration_s: float | None = None
    distance_m: float | None = None
    cue: str | None = None
    path: str = ""
    rest: bool = False

    def __post_init__(self) -> None:
        if self.rest:
            if self.duration_s is None or self.distance_m is not None:
                raise ValueError("a rest has a duration and no distance")
        elif (self.duration_s is None) == (self.distance_m is None):
            raise ValueError("a segment has exactly one of duration_s and distance_m")

    def estimated_duration_s(self, default_distance_speed: float | None = None) -> float:
        """Seconds this segment takes at its target speed (ramps and turnarounds not counted).

        A distance segment is timed at its own speed; ``default_distance_speed`` (km/h) is the
        fallback when that speed is 0 — possible only after :func:`clamp` with a profile whose
        cap is 0. Without a usable speed the estimate is ``inf``.
        """
        if self.duration_s is not None:
            return self.duration_s
        assert self.distance_m is not None  # __post_init__ guarantees one of the two
        speed = self.speed_kmh if self.speed_kmh > 0 else (default_distance_speed or 0.0)
        if speed <= 0:
            return math.inf
        return self.distance_m / (speed / 3.6)


@dataclass(frozen=True, slots=True)
class Block:
    """``repeat`` times its ``steps`` (segments, rests or nested blocks), in order."""

    label: str | None
    repeat: int
    steps: tuple[Step, ...]
    path: str = ""

    def __post_init__(self) -> None:
        if self.repeat < 1 or not self.steps:
            raise ValueError("a block repeats at least once and has at least one step")


type Step = Segment | Block


class Repetition(NamedTuple):
    """Which pass through a block a planned segment belongs to: ``number`` of ``of`` (1-based)."""

    label: str | None
    number: int
    of: int


@dataclass(frozen=True, slots=True)
class PlannedSegment:
    """A segment in run order: ``index`` (0-based) of ``total``, inside ``repetitions``
    (outermost block first)."""

    index: int
    total: int
    segment: Segment
    repetitions: tuple[Repetition, ...] = ()

    @property
    def position(self) -> str:
        """``"repetition 2/6"``; with labels and nesting ``"Intervals 2/6 · repetition 1/3"``.

        A block done once is just its label (a grouping like "Backward warm-up"), not "1/1".
        """
        parts = []
        for rep in self.repetitions:
            if rep.of == 1:
                if rep.label:
                    parts.append(rep.label)
            else:
                parts.append(f"{rep.label or 'repetition'} {rep.number}/{rep.of}")
        return " · ".join(parts)


class ProfilePoint(NamedTuple):
    """One bar of the program chart: a segment's estimated span and its targets."""

    start_s: float
    end_s: float
    speed_kmh: float
    incline_pct: float
    direction: Direction
    rest: bool


@dataclass(frozen=True, slots=True)
class Program:
    """A parsed program. ``source`` (file path or ``"<string>"``) is provenance, not content:
    it is left out of equality so a program equals itself saved elsewhere."""

    name: str
    description: str
    steps: tuple[Step, ...]
    source: str | None = field(default=None, compare=False)

    def segments(self) -> list[PlannedSegment]:
        """Blocks expanded: the segments in the order the runner runs them."""
        flat: list[tuple[Segment, tuple[Repetition, ...]]] = []
        _expand(self.steps, (), flat)
        return [
            PlannedSegment(index=i, total=len(flat), segment=seg, repetitions=reps)
            for i, (seg, reps) in enumerate(flat)
        ]

    def estimated_duration_s(self, default_distance_speed: float | None = None) -> float:
        """Whole program, rests included; see :meth:`Segment.estimated_duration_s`."""
        return sum(p.segment.estimated_duration_s(default_distance_speed) for p in self.segments())

    def backward_minutes(self, default_distance_speed: float | None = None) -> float:
        """Estimated minutes facing backward (what the per-session backward budget counts)."""
        return (
            sum(
                p.segment.estimated_duration_s(default_distance_speed)
                for p in self.segments()
                if p.segment.direction is Direction.BACKWARD and not p.segment.rest
            )
            / 60
        )

    def longest_backward_minutes(self, default_distance_speed: float | None = None) -> float:
        """The longest estimated run of consecutive backward segments (no turnaround between)."""
        longest = current = 0.0
        for p in self.segments():
            seg = p.segment
            if seg.direction is Direction.BACKWARD and not seg.rest:
                current += seg.estimated_duration_s(default_distance_speed)
                longest = max(longest, current)
            else:
                current = 0.0
        return longest / 60

    def profile(self, default_distance_speed: float | None = None) -> list[ProfilePoint]:
        """Estimated (start, end, speed, incline, direction, rest) per planned segment."""
        points = []
        t = 0.0
        for p in self.segments():
            seg = p.segment
            end = t + seg.estimated_duration_s(default_distance_speed)
            points.append(
                ProfilePoint(t, end, seg.speed_kmh, seg.incline_pct, seg.direction, seg.rest)
            )
            t = end
        return points


def _expand(
    steps: Sequence[Step],
    reps: tuple[Repetition, ...],
    out: list[tuple[Segment, tuple[Repetition, ...]]],
) -> None:
    for step in steps:
        if isinstance(step, Segment):
            out.append((step, reps))
        else:
            for n in range(1, step.repeat + 1):
                _expand(step.steps, (*reps, Repetition(step.label, n, step.repeat)), out)


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


def default_label(indices: Sequence[int]) -> str:
    """What an unlabelled segment is called (``"Step 2.1"``); the editor shows the same."""
    # 1-based for people ("Step 3" is the third), while paths stay 0-based like TOML arrays.
    return "Step " + ".".join(str(i + 1) for i in indices)


REST_LABEL = "Rest"


# --------------------------------------------------------------------------------------------
# Parsing


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


def builtin_programs() -> list[Program]:
    """Every ``resources/programs/*.toml``, in file-name order (the files are numbered)."""
    return [load_program(p) for p in sorted(BUILTIN_PROGRAMS_DIR.glob("*.toml"))]


# --------------------------------------------------------------------------------------------
# Writing


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (shared by the writer and the editor)."""
    # JSON's escapes are all valid TOML basic-string escapes; DEL is the one control character
    # TOML requires escaped that JSON leaves raw.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_program(program: Program) -> str:
    """Write ``program`` in the hand-written shape (``parse_program`` reads it back equal).

    Values are normalised: speeds in km/h, durations in h/min/s, distances in m or km, and
    default labels and a 0 % incline are left out.
    """
    lines = [f"name = {toml_string(program.name)}"]
    if program.description:
        lines.append(f"description = {toml_string(program.description)}")
    _dump_steps(program.steps, (), lines)
    return "\n".join(lines) + "\n"


def _dump_steps(steps: Sequence[Step], indices: tuple[int, ...], lines: list[str]) -> None:
    depth = len(indices)
    indent = "  " * depth
    header = indent + "[[" + ".".join(["steps"] * (depth + 1)) + "]]"
    for i, step in enumerate(steps):
        here = (*indices, i)
        lines.append("")
        lines.append(header)
        for key, value in _step_items(step, here):
            lines.append(f"{indent}{key} = {value}")
        if isinstance(step, Block):
            _dump_steps(step.steps, here, lines)


def _step_items(step: Step, indices: tuple[int, ...]) -> Iterator[tuple[str, str]]:
    if isinstance(step, Block):
        if step.label is not None:
            yield "label", toml_string(step.label)
        yield "repeat", str(step.repeat)
        return
    if step.rest:
        if step.label != REST_LABEL:
            yield "label", toml_string(step.label)
        yield "rest", "true"
    else:
        if step.label != default_label(indices):
            yield "label", toml_string(step.label)
        yield "direction", toml_string(step.direction.value)
        yield "speed", toml_string(format_speed(step.speed_kmh))
        if step.incline_pct != 0:
            yield "incline", toml_string(format_incline(step.incline_pct))
    if step.duration_s is not None:
        yield "duration", toml_string(format_duration(step.duration_s))
    if step.distance_m is not None:
        yield "distance", toml_string(format_distance(step.distance_m))
    if step.cue is not None:
        yield "cue", toml_string(step.cue)


# --------------------------------------------------------------------------------------------
# Limits


@dataclass(frozen=True, slots=True)
class ClampNotice:
    """One value of one step changed by :func:`clamp` (``field`` is "speed" or "incline")."""

    path: str
    field: str
    requested: float
    allowed: float
    reason: str

    def __str__(self) -> str:
        unit = "km/h" if self.field == "speed" else "%"
        return (
            f"{self.path}: {self.field} {_human(self.requested, unit)} shown as "
            f"{_human(self.allowed, unit)} ({self.reason})"
        )


def clamp(program: Program, limits: Limits) -> tuple[Program, list[ClampNotice]]:
    """Fit every segment's speed and incline within ``limits``, for showing before a run.

    A program beyond a profile's limits still loads; the user sees it as it will run, with a
    notice per changed value. Not a safety mechanism: the governor clamps every command again.
    """
    notices: list[ClampNotice] = []

    def fit(step: Step) -> Step:
        if isinstance(step, Block):
            return replace(step, steps=tuple(fit(s) for s in step.steps))
        if step.rest:
            return step
        way = step.direction.value
        speed, incline = step.speed_kmh, step.incline_pct
        if speed > limits.max_speed(step.direction):
            speed = limits.max_speed(step.direction)
            notices.append(
                ClampNotice(
                    step.path,
                    "speed",
                    step.speed_kmh,
                    speed,
                    f"{way} max speed {_human(speed, 'km/h')}",
                )
            )
        if incline > limits.max_incline(step.direction):
            incline = limits.max_incline(step.direction)
            notices.append(
                ClampNotice(
                    step.path,
                    "incline",
                    step.incline_pct,
                    incline,
                    f"{way} max incline {_human(incline, '%')}",
                )
            )
        elif incline < limits.min_incline_pct:
            incline = limits.min_incline_pct
            notices.append(
                ClampNotice(
                    step.path,
                    "incline",
                    step.incline_pct,
                    incline,
                    f"min incline {_human(incline, '%')}",
                )
            )
        if (speed, incline) == (step.speed_kmh, step.incline_pct):
            return step
        return replace(step, speed_kmh=speed, incline_pct=incline)

    clamped = replace(program, steps=tuple(fit(s) for s in program.steps))
    return clamped, notices
