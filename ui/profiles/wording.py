"""How the profiles page words limits, changes to them and PIN refusals: data and pure
functions, no widgets.

Shape::

    LIMIT_GROUPS: (group, (LimitRow, …)), …  the limits table's rows: every Limits field once,
                                             plus the progression cap (CAP_FIELD); a row has
                                             its label, unit and spin box's step and range
    limit_name(field) / limit_value(…)       "backward max speed" / "6 km/h"
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
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
    field: str
    label: str
    unit: str
    decimals: int
    step: float
    minimum: float
    maximum: float


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


def limit_value(field: str, value: float | None) -> str:
    if field == HEART_RATE_FIELD:
        return "none" if value is None else f"{value:g} bpm"
    assert value is not None
    return f"{value:g} {ROWS[field].unit}"


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
