"""Values with units, both ways: the texts a program file holds <-> floats in km/h, %, s and m.

Shape::

    parse_speed("13:20 /km") -> 4.5        format_speed(4.5) -> "4.5 km/h"
    parse_incline("-2 %")    -> -2.0       format_incline(-2.0) -> "-2 %"
    parse_duration("1 h 10 min") -> 4200.0 format_duration(4200.0) -> "1 h 10 min"
    parse_distance("0.25 mi") -> 402.336   format_distance(5000.0) -> "5 km"

A unit is always required: a bare "4.5" could be km/h or mph, and that is the difference
between a walk and a jog. Every ``format_*`` text reads back exactly through its ``parse_*``
(what :func:`~treadctl.program.dump.dump_program` relies on). A refused text raises
:class:`_Expected` (a ``ValueError``) saying what was expected; the parser adds the file, the
step and the field to make it a :class:`~treadctl.program.errors.ProgramError`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from fractions import Fraction

from treadctl.program.model import (
    MAX_INCLINE_PCT,
    MAX_SPEED_KMH,
    MAX_STEP_DISTANCE_M,
    MAX_STEP_DURATION_S,
    MIN_INCLINE_PCT,
)

__all__ = [
    "SPEED_UNITS",
    "display_speed",
    "format_distance",
    "format_duration",
    "format_incline",
    "format_speed",
    "parse_distance",
    "parse_duration",
    "parse_incline",
    "parse_speed",
]

# Exact (international mile), so "3 mph" and "12:00 /mi" convert exactly before rounding to float.
_KM_PER_MILE = Fraction("1.609344")


class _Expected(ValueError):
    """A value parser's complaint: what it expected. The caller adds file, step and field."""

    def __init__(self, expected: str) -> None:
        super().__init__(f"expected {expected}")
        self.expected = expected


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


# Characters in one number of a value ("4.5" in "4.5 km/h"). dump_program writes floats
# without an exponent, and the longest is a tiny one written out (5e-324 is "0.000…5", 326
# characters); Fraction, like int, refuses past 4300 digits with Python's own message.
_MAX_NUMBER_CHARS = 400


def _number(text: str) -> Fraction:
    if len(text) > _MAX_NUMBER_CHARS:
        raise _Expected(f"a number of at most {_MAX_NUMBER_CHARS} characters")
    return Fraction(text)


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
        value = _number(m[1])
        unit = m[2].lower()
        kmh = value * _KM_PER_MILE if unit in ("mph", "mi/h") else value
    elif m := _PACE_RE.fullmatch(cleaned):
        minutes, seconds = int(_number(m[1])), int(m[2])
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
    value = _number(m[1])
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
        total += _number(m[1]) * _DURATION_UNITS[unit]
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
    value = _number(m[1])
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


SPEED_UNITS = ("km/h", "mph")


def display_speed(kmh: float, unit: str = "km/h") -> str:
    """For showing, not for files: ``12.666`` → ``"12.67 km/h"``; ``unit="mph"`` → ``"7.87 mph"``.

    Two decimals, trailing zeros dropped (what a treadmill can be told is 0.01 km/h). A
    program file keeps km/h exactly (:func:`format_speed`).
    """
    if unit not in SPEED_UNITS:
        raise ValueError(f"a speed unit, one of {', '.join(SPEED_UNITS)}: got {unit!r}")
    value = kmh / float(_KM_PER_MILE) if unit == "mph" else kmh
    return _human(value, unit)


def _human(value: float, unit: str) -> str:
    # For messages only: two decimals are plenty for a person reading a notice.
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return f"{text} {unit}"
