"""Text for readouts: times, speeds, distances. Display only; nothing here decides anything.

Shape: small pure functions, ``None`` in → a dash out, so a readout never shows "None" or a
stale number for a value the treadmill does not send.

The engine works in km/h and metres, always. The display unit (:class:`SpeedUnit`: km/h, mph
or a pace per km or mile) is chosen in the settings and applied here, at the last step before
text: :func:`set_speed_unit` sets it for the whole app, and :func:`speed` and :func:`distance`
convert with it unless a unit is passed. It is module state on purpose: every readout (the
dashboard's, the program page's) calls these functions, and one app has one display unit.

Beyond readouts, the same unit reaches:

- charts: :func:`chart_scale` turns km/h into what a chart plots (km/h, or mph for the imperial
  units; a pace is plotted as the speed it is a pace of, on an axis written in paces, because a
  pace axis runs to infinity at a standstill), :attr:`SpeedUnit.axis_label` is its axis title;
- the engine's sentences (notices, fitting notices), written in km/h: :func:`speeds_in_text`
  rewrites the speeds in them;
- limits typed in by a person: :func:`kmh_from` turns a typed mph value into km/h exactly.

Limits, ranges and sentences use :attr:`SpeedUnit.as_speed`, the speed behind a pace unit:
"over the 6.0 km/h limit" reads right, "over the 10:00 min/km limit" reads backwards.
"""

from __future__ import annotations

import enum
import math
import re
from decimal import Decimal

#: What a readout shows for a value it does not have (a stopped belt's pace, no heart rate).
DASH = "—"

KM_PER_MILE = 1.609344
#: The same, as the decimal it is defined as (1 mile = 1609.344 m): typed values convert exactly.
_KM_PER_MILE_EXACT = Decimal("1.609344")
#: Below this a pace is "hours per km": not a pace anyone reads. Shown as a dash.
PACE_MIN_KMH = 0.5


class SpeedUnit(enum.StrEnum):
    """How speeds are shown. The value is the unit's label, as it appears on screen."""

    KMH = "km/h"
    MPH = "mph"
    PACE_KM = "min/km"
    PACE_MI = "min/mi"

    @property
    def imperial(self) -> bool:
        return self in (SpeedUnit.MPH, SpeedUnit.PACE_MI)

    @property
    def pace(self) -> bool:
        return self in (SpeedUnit.PACE_KM, SpeedUnit.PACE_MI)

    @property
    def describe(self) -> str:
        """For the settings' choice list."""
        return {
            SpeedUnit.KMH: "km/h",
            SpeedUnit.MPH: "mph",
            SpeedUnit.PACE_KM: "pace, min per km",
            SpeedUnit.PACE_MI: "pace, min per mile",
        }[self]

    @property
    def as_speed(self) -> SpeedUnit:
        """The speed unit behind this unit: mph for the imperial ones, km/h otherwise. For
        limits, ranges and sentences, where a pace would read backwards."""
        return SpeedUnit.MPH if self.imperial else SpeedUnit.KMH

    @property
    def axis_label(self) -> str:
        """A chart's speed axis title: ``"km/h"``, ``"mph"``, ``"pace (min/km)"``."""
        return f"pace ({self.value})" if self.pace else self.value


class _Display:
    unit = SpeedUnit.KMH


_display = _Display()


def set_speed_unit(unit: SpeedUnit | str) -> SpeedUnit:
    """Make ``unit`` the display unit of every readout from now on; returns it.

    An unknown value (an old or hand-edited settings file) falls back to km/h.
    """
    try:
        _display.unit = SpeedUnit(unit)
    except ValueError:
        _display.unit = SpeedUnit.KMH
    return _display.unit


def speed_unit() -> SpeedUnit:
    return _display.unit


def clock(seconds: float | None) -> str:
    """``"4:05"`` under an hour, ``"1:04:05"`` from an hour on."""
    if seconds is None or not math.isfinite(seconds):
        return DASH
    total = max(0, round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes}:{secs:02d}"


def speed(kmh: float | None, unit: SpeedUnit | None = None) -> str:
    """A speed in the display unit, without the unit: ``"5.0"``, ``"3.1"`` (mph), ``"12:00"``
    (pace). A pace of a (nearly) stopped belt is a dash."""
    if kmh is None or not math.isfinite(kmh):
        return DASH
    unit = unit or _display.unit
    if unit.pace:
        return pace(kmh, unit)
    value = kmh / KM_PER_MILE if unit.imperial else kmh
    return f"{value:.1f}"


def pace(kmh: float | None, unit: SpeedUnit | None = None) -> str:
    """Minutes per km (or per mile for imperial units): ``"12:00"``; a dash when too slow."""
    if kmh is None or not math.isfinite(kmh) or kmh < PACE_MIN_KMH:
        return DASH
    unit = unit or _display.unit
    seconds = round(3600.0 / kmh * (KM_PER_MILE if unit.imperial else 1.0))
    return f"{seconds // 60}:{seconds % 60:02d}"  # minutes past 60 stay minutes: "75:00"


def speed_with_unit(
    kmh: float | None, unit: SpeedUnit | None = None, *, compact: bool = False
) -> str:
    """``"5.0 km/h"``, ``"3.1 mph"``, ``"12:00 min/km"``; ``compact`` drops a ``.0`` (a
    program step's "2 km/h", as its file says it)."""
    unit = unit or _display.unit
    text = speed(kmh, unit)
    if text == DASH:
        return text
    if compact and text.endswith(".0"):
        text = text[:-2]
    return f"{text} {unit.value}"


def chart_scale(unit: SpeedUnit | None = None) -> float:
    """The factor from km/h to what a chart plots: 1, or 1/1.609344 (mph) for the imperial
    units, pace ones too (their axis writes these speeds as paces, see ``ui.speed_axis``)."""
    return 1.0 / KM_PER_MILE if (unit or _display.unit).imperial else 1.0


def kmh_from(value: float, unit: SpeedUnit | None = None) -> float:
    """A speed typed in ``unit``'s speed (km/h, or mph for the imperial units) → km/h.

    Exact: the typed decimal times 1.609344 (a mile is 1609.344 m by definition), rounded once
    to the nearest float, so "3.7 mph" is stored as 5.9545728 km/h, not 5.954572800000001.
    """
    if not (unit or _display.unit).imperial:
        return value
    return float(Decimal(repr(value)) * _KM_PER_MILE_EXACT)


#: A speed in the engine's sentences: "6.0 km/h", "7 km/h", and rates: "0.25 km/h/s".
_KMH_IN_TEXT = re.compile(r"(?<![\w.])(\d+(?:\.(\d+))?)\s?km/h(/s)?(?![\w/])")


def speeds_in_text(text: str, unit: SpeedUnit | None = None) -> str:
    """The engine's sentence with its speeds in ``unit``'s speed (:attr:`SpeedUnit.as_speed`).

    The engine words its notices in km/h, the unit it works in; this rewrites "6.0 km/h" as
    "3.7 mph" (as many decimals as the engine wrote, at least one) and leaves the rest alone.
    """
    target = (unit or _display.unit).as_speed
    if target is SpeedUnit.KMH:
        return text

    def convert(match: re.Match[str]) -> str:
        decimals = max(1, len(match.group(2) or ""))
        value = float(match.group(1)) / KM_PER_MILE
        rate = "/s" if match.group(3) else ""
        return f"{value:.{decimals}f} {target.value}{rate}"

    return _KMH_IN_TEXT.sub(convert, text)


def incline(pct: float | None) -> str:
    return DASH if pct is None else f"{pct:.1f} %"


def distance(metres: float | None, unit: SpeedUnit | None = None) -> str:
    """``"350 m"``/``"1.25 km"``, or in miles for imperial units (``"0.22 mi"``)."""
    if metres is None or not math.isfinite(metres):
        return DASH
    if (unit or _display.unit).imperial:
        return f"{metres / 1000 / KM_PER_MILE:.2f} mi"
    if metres < 1000:
        return f"{metres:.0f} m"
    return f"{metres / 1000:.2f} km"


def minutes(value: float) -> str:
    """Program lengths: ``"8 min"``, ``"7.5 min"``."""
    return f"{value:.1f} min".replace(".0 min", " min")


def signal_strength(rssi: int | None) -> str:
    """An RSSI in words as well as dBm: most people do not read dBm."""
    if rssi is None:
        return "signal unknown"
    word = "strong" if rssi >= -60 else "fair" if rssi >= -75 else "weak"
    return f"{rssi} dBm ({word})"
