"""How the profiles page words limits, changes to them and PIN refusals: data and pure
functions, no widgets.

Shape::

    LIMIT_GROUPS: (group, (LimitRow, …)), …  the limits table's rows: every Limits field once,
                                             plus the progression cap (CAP_FIELD); a row has
                                             its label, unit and spin box's step and range
    LimitRow.in_unit(unit)                   the row as shown in a display unit (mph rows)
    limit_name(field) / limit_value(…)       "backward max speed" / "6 km/h" / "3.73 mph"
    readable(engine message)                 the engine's field names as people read them
    LimitsChange(limits, progression_cap)    what an Apply asks for
    describe_changes / describe_profile_changes   what a save changed ("… (was …)")
    describe_raises / describe_request       what needs the PIN ("… to … (default …)")
    above_default(field, value)              more permissive than the default
    pin_refusal(PinError)                    a PIN error in words, told apart by its type
    wrong_pin_for_raise / pin_change_refusal what the page says when a save / a PIN change is
                                             refused over the PIN
    pin_wait_note(seconds)                   what a PIN dialog says while wrong PINs' wait runs

The engine's own messages name fields and command-line flags (``forward_max_speed_kmh``,
``--pin``); this page speaks of "forward max speed" and "the admin PIN" instead.

Units: the limits are stored in km/h, always. Speeds and accelerations are shown in the display
unit's speed (``ui.format``: mph for the imperial units, km/h otherwise; a limit is a speed,
and "at most 10:00 min/km" reads backwards), with one more decimal in mph than in km/h so that
a 0.1 km/h difference still shows (12 km/h is 7.46 mph: at 7.5 mph it is above the default).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace

from treadctl.core import DEFAULT_LIMITS, Limits
from treadctl.profiles import (
    MORE_PERMISSIVE,
    PinError,
    PinRequired,
    PinThrottled,
    PinTooShort,
    Profile,
    WrongPin,
    cap_raised,
    describe_wait,
    raised_fields,
)
from ui import format
from ui.format import SpeedUnit

__all__ = [
    "CAP_FIELD",
    "DEFAULT_CAP",
    "HEART_RATE_FIELD",
    "LIMIT_GROUPS",
    "ROWS",
    "LimitRow",
    "LimitsChange",
    "above_default",
    "describe_changes",
    "describe_profile_changes",
    "describe_raises",
    "describe_request",
    "limit_name",
    "limit_value",
    "pin_change_refusal",
    "pin_refusal",
    "pin_wait_note",
    "readable",
    "wrong_pin_for_raise",
]


@dataclass(frozen=True, slots=True)
class LimitRow:
    """A row of the limits table. ``minimum`` and ``maximum`` are in ``unit``; stored values
    are always in the km/h units (:meth:`shown` and :meth:`stored` convert)."""

    field: str
    label: str
    unit: str
    decimals: int
    step: float
    minimum: float
    maximum: float
    #: km/h → this row's unit: 1, or 1/1.609344 for a speed row shown in mph.
    factor: float = 1.0

    @property
    def speed(self) -> bool:
        """A speed or an acceleration (km/h, km/h/s): shown in the display unit's speed."""
        return self.unit.startswith("km/h")

    def in_unit(self, unit: SpeedUnit | None = None) -> LimitRow:
        """This row as shown in ``unit`` (the display unit): the same row, or an mph one with
        its range converted (inside the km/h range) and one more decimal."""
        if not self.speed or not (unit or format.speed_unit()).imperial:
            return self
        factor = 1.0 / format.KM_PER_MILE
        decimals = self.decimals + 1
        scale = 10**decimals
        return replace(
            self,
            unit=self.unit.replace("km/h", SpeedUnit.MPH.value),
            decimals=decimals,
            minimum=math.ceil(self.minimum * factor * scale) / scale,
            maximum=math.floor(self.maximum * factor * scale) / scale,
            factor=factor,
        )

    def shown(self, stored: float) -> float:
        """A stored value (km/h) in this row's unit."""
        return stored * self.factor

    def stored(self, shown: float) -> float:
        """A value typed in this row's unit, in km/h: exact for mph (``format.kmh_from``)."""
        if self.factor == 1.0:
            return shown
        return format.kmh_from(shown, SpeedUnit.MPH)

    def words(self, stored: float) -> str:
        """``"12 km/h"``; ``"7.46 mph"`` (rounded to the row's decimals, no trailing zeros)."""
        if self.factor == 1.0:
            return f"{stored:g} {self.unit}"
        text = f"{self.shown(stored):.{self.decimals}f}".rstrip("0").rstrip(".")
        return f"{text} {self.unit}"


#: A profile's progression cap: a row of the table like a limit, though not a :class:`Limits`
#: field (it is the admin's bound on how far automatic progression may raise backward minutes).
CAP_FIELD = "progression_cap"
#: The cap a profile without one of its own has (``Profile.progression_cap``).
DEFAULT_CAP = DEFAULT_LIMITS.backward_minutes_per_session

#: The table's rows, in groups. Every field of :class:`Limits` appears once, plus the cap.
# fmt: off
LIMIT_GROUPS: tuple[tuple[str, tuple[LimitRow, ...]], ...] = (
    ("Forward", (
        LimitRow("forward_max_speed_kmh", "Max speed", "km/h", 1, 0.1, 0.5, 30.0),
        LimitRow("forward_accel_kmh_per_s", "Acceleration", "km/h/s", 2, 0.05, 0.05, 5.0),
        LimitRow("forward_max_incline_pct", "Max incline", "%", 1, 0.5, 0.0, 40.0),
    )),
    ("Backward", (
        LimitRow("backward_max_speed_kmh", "Max speed", "km/h", 1, 0.1, 0.5, 30.0),
        LimitRow("backward_accel_kmh_per_s", "Acceleration", "km/h/s", 2, 0.05, 0.05, 5.0),
        LimitRow("backward_max_incline_pct", "Max incline", "%", 1, 0.5, 0.0, 40.0),
        LimitRow("backward_minutes_per_session", "Minutes per session", "min", 1, 0.5, 0, 600),
        LimitRow(CAP_FIELD, "Progression cap", "min", 1, 0.5, 0, 600),
    )),
    ("Turnaround", (
        LimitRow("turnaround_speed_kmh", "Belt speed at most", "km/h", 1, 0.1, 0.5, 10.0),
        LimitRow("turnaround_hold_s", "Held for at least", "s", 1, 0.5, 0.0, 60.0),
    )),
    ("Every session", (
        LimitRow("start_speed_kmh", "Start speed", "km/h", 1, 0.1, 0.1, 10.0),
        LimitRow("min_incline_pct", "Lowest incline", "%", 1, 0.5, -10.0, 10.0),
        LimitRow("incline_rate_pct_per_s", "Incline change", "%/s", 1, 0.1, 0.1, 10.0),
        LimitRow("walking_speed_kmh", "Heart-rate slow-down to", "km/h", 1, 0.1, 0.5, 10.0),
        LimitRow("watchdog_s", "Stop after no data for", "s", 1, 0.5, 0.5, 30.0),
    )),
)
# fmt: on
#: Names in messages, where the group and the row's label do not say it on their own.
_NAMES = {
    "backward_minutes_per_session": "backward minutes per session",
    "turnaround_speed_kmh": "turnaround speed",
    "turnaround_hold_s": "turnaround hold",
    "incline_rate_pct_per_s": "incline change rate",
    "walking_speed_kmh": "heart-rate slow-down speed",
    "watchdog_s": "no-data stop time",
    "max_heart_rate_bpm": "max heart rate",
    CAP_FIELD: "backward progression cap",
}
ROWS: dict[str, LimitRow] = {row.field: row for _, rows in LIMIT_GROUPS for row in rows}
#: The one limit that is not a row of LIMIT_GROUPS: a whole number of bpm, or none.
HEART_RATE_FIELD = "max_heart_rate_bpm"

_GROUP_OF = {row.field: group for group, rows in LIMIT_GROUPS for row in rows}


def limit_name(field: str) -> str:
    """``"backward max speed"``: what a limit is called in messages."""
    if field in _NAMES:
        return _NAMES[field]
    group = _GROUP_OF[field]
    prefix = f"{group.lower()} " if group in ("Forward", "Backward") else ""
    return f"{prefix}{ROWS[field].label.lower()}"


def limit_value(field: str, value: float | None, unit: SpeedUnit | None = None) -> str:
    """A stored value in words, speeds in ``unit`` (the display unit): ``"6 km/h"``,
    ``"3.73 mph"``, ``"20 min"``, ``"none"`` (no max heart rate)."""
    if field == HEART_RATE_FIELD:
        return "none" if value is None else f"{value:g} bpm"
    assert value is not None
    return ROWS[field].in_unit(unit).words(value)


def readable(text: str) -> str:
    """An engine message with the field names as people read them (``turnaround_speed_kmh``
    → ``turnaround speed``)."""
    for field in sorted(ROWS, key=len, reverse=True):
        text = text.replace(field, limit_name(field))
    return text.replace("invalid limits: ", "")


def describe_changes(old: Limits, new: Limits) -> str:
    """``"backward max speed 5 km/h (was 6 km/h); …"``."""
    parts = []
    for f in fields(Limits):
        before, after = getattr(old, f.name), getattr(new, f.name)
        if before != after:
            parts.append(
                f"{limit_name(f.name)} {limit_value(f.name, after)} "
                f"(was {limit_value(f.name, before)})"
            )
    return "; ".join(parts)


def describe_raises(old: Limits, new: Limits) -> str:
    """The raises in ``new`` that need the PIN: ``"forward max speed to 14 km/h (default 12
    km/h)"``."""
    return "; ".join(
        f"{limit_name(name)} to {limit_value(name, getattr(new, name))} "
        f"(default {limit_value(name, getattr(DEFAULT_LIMITS, name))})"
        for name in raised_fields(old, new)
    )


def above_default(field: str, value: float | None) -> bool:
    """More permissive than the default (what an admin allowed)."""
    if field == HEART_RATE_FIELD or value is None:
        return False
    if field == CAP_FIELD:
        return value > DEFAULT_CAP
    return bool(MORE_PERMISSIVE[field] * (value - getattr(DEFAULT_LIMITS, field)) > 0)


@dataclass(frozen=True, slots=True)
class LimitsChange:
    """What an Apply asks for: the limits and the progression cap (None: the default)."""

    limits: Limits
    progression_cap: float | None


def describe_request(before: Profile, change: LimitsChange) -> str:
    """Every raise in ``change`` that needs the PIN, limits and cap: ``"forward max speed to
    14 km/h (default 12 km/h); backward progression cap to 20 min (default 10 min)"``."""
    parts = (
        [describe_raises(before.limits, change.limits)]
        if raised_fields(before.limits, change.limits)
        else []
    )
    if cap_raised(before, change.progression_cap):
        parts.append(
            f"{limit_name(CAP_FIELD)} to {limit_value(CAP_FIELD, change.progression_cap)} "
            f"(default {limit_value(CAP_FIELD, DEFAULT_CAP)})"
        )
    return "; ".join(parts)


def describe_profile_changes(before: Profile, after: Profile) -> str:
    """:func:`describe_changes`, and the progression cap when it changed."""
    parts = [describe_changes(before.limits, after.limits)]
    if before.progression_cap != after.progression_cap:
        parts.append(
            f"{limit_name(CAP_FIELD)} {limit_value(CAP_FIELD, after.progression_cap)} "
            f"(was {limit_value(CAP_FIELD, before.progression_cap)})"
        )
    return "; ".join(part for part in parts if part)


# --------------------------------------------------------------------------------------------
# The admin PIN's refusals


def pin_refusal(error: PinError) -> str:
    """A PIN error in words for the page, by its type (the engine's words name CLI flags)."""
    if isinstance(error, PinThrottled):
        return (
            f"{error.failures} wrong admin PINs in a row: no PIN is checked for now. "
            f"Try again in {describe_wait(error.seconds_left)}."
        )
    if isinstance(error, WrongPin):
        if error.wait_s:
            return (
                f"Wrong admin PIN. {error.failures} wrong PINs in a row: the next try is "
                f"possible in {describe_wait(error.wait_s)}."
            )
        return "Wrong admin PIN."
    if isinstance(error, PinTooShort):
        return f"The admin PIN needs at least {error.minimum} characters."
    return f"{str(error)[:1].upper()}{str(error)[1:]}."


def wrong_pin_for_raise(before: Profile, change: LimitsChange, error: WrongPin) -> str:
    """A save refused over a wrong PIN: nothing changed, what needed the PIN, and the wait
    that has begun (if one has)."""
    asked = describe_request(before, change)
    text = f"Wrong admin PIN: nothing was changed. Raising {asked} needs the admin PIN."
    if error.wait_s:
        text += (
            f" {error.failures} wrong PINs in a row: the next try is possible in "
            f"{describe_wait(error.wait_s)}."
        )
    return text


def pin_change_refusal(error: PinError) -> str:
    """A PIN change refused by the engine, for the Change admin PIN dialog."""
    if isinstance(error, PinRequired):
        # Set from elsewhere (the command line) since the dialog opened: ask for it.
        return "An admin PIN has been set meanwhile: type it as the current PIN."
    text = pin_refusal(error)
    if isinstance(error, WrongPin):
        text = text.replace("Wrong admin PIN.", "Wrong current admin PIN.", 1)
    return f"{text} The PIN was not changed."


def pin_wait_note(seconds: float) -> str:
    """What a PIN dialog says when it opens while a wait after wrong PINs runs."""
    return f"After wrong PINs, no PIN is checked for {describe_wait(seconds)} more."
