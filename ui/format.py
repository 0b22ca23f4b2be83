"""Text for readouts: times, speeds, distances. Display only; nothing here decides anything.

Shape: small pure functions, ``None`` in → a dash out, so a readout never shows "None" or a
stale number for a value the treadmill does not send.
"""

from __future__ import annotations

import math

DASH = "–"


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


def speed(kmh: float | None) -> str:
    return DASH if kmh is None else f"{kmh:.1f}"


def incline(pct: float | None) -> str:
    return DASH if pct is None else f"{pct:.1f} %"


def distance(metres: float | None) -> str:
    if metres is None:
        return DASH
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
