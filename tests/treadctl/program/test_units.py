"""Values with units: speeds, paces, inclines, durations and distances, both ways."""

from __future__ import annotations

import re

import pytest

from treadctl.program import (
    format_distance,
    format_duration,
    format_incline,
    format_speed,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_speed,
)


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
