"""How the profiles page words limits, changes and PIN refusals: pure functions, no widgets.

The sentences the page shows are built here; the page tests (``tests/ui/test_profiles.py``,
``tests/ui/test_admin_pin.py``) check them in place, these check how each one is built.
"""

from __future__ import annotations

from dataclasses import fields, replace
from datetime import datetime

import pytest

from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.profiles import (
    PinNotSet,
    PinRequired,
    PinThrottled,
    PinTooShort,
    Profile,
    WrongPin,
)
from ui.profiles.wording import (
    CAP_FIELD,
    HEART_RATE_FIELD,
    LIMIT_GROUPS,
    ROWS,
    LimitsChange,
    above_default,
    describe_changes,
    describe_profile_changes,
    describe_raises,
    describe_request,
    limit_name,
    limit_value,
    pin_change_refusal,
    pin_refusal,
    pin_wait_note,
    readable,
    wrong_pin_for_raise,
)


def profile(limits: Limits = DEFAULT_LIMITS, cap: float | None = None) -> Profile:
    return Profile(1, "Ana", limits, cap, None, datetime(2024, 1, 1), False)


def test_every_limit_is_a_row_once_and_the_cap_too() -> None:
    listed = [row.field for _, rows in LIMIT_GROUPS for row in rows]
    assert len(listed) == len(set(listed))
    assert set(listed) | {HEART_RATE_FIELD} == {f.name for f in fields(Limits)} | {CAP_FIELD}


def test_every_default_fits_its_row() -> None:
    for field, row in ROWS.items():
        default = 10.0 if field == CAP_FIELD else getattr(DEFAULT_LIMITS, field)
        assert row.minimum <= default <= row.maximum, field


@pytest.mark.parametrize(
    ("field", "name"),
    [
        ("forward_max_speed_kmh", "forward max speed"),
        ("backward_accel_kmh_per_s", "backward acceleration"),
        ("start_speed_kmh", "start speed"),
        ("turnaround_speed_kmh", "turnaround speed"),
        ("max_heart_rate_bpm", "max heart rate"),
        (CAP_FIELD, "backward progression cap"),
    ],
)
def test_a_limit_is_named_with_its_direction_where_it_has_one(field: str, name: str) -> None:
    assert limit_name(field) == name


def test_a_value_reads_with_its_unit_and_no_heart_rate_as_none() -> None:
    assert limit_value("forward_max_speed_kmh", 12.0) == "12 km/h"
    assert limit_value("backward_accel_kmh_per_s", 0.25) == "0.25 km/h/s"
    assert limit_value(CAP_FIELD, 20) == "20 min"
    assert limit_value(HEART_RATE_FIELD, 150) == "150 bpm"
    assert limit_value(HEART_RATE_FIELD, None) == "none"


def test_an_engine_message_reads_without_field_names() -> None:
    with pytest.raises(ValueError) as info:
        replace(DEFAULT_LIMITS, turnaround_speed_kmh=0.5)
    assert readable(str(info.value)) == "turnaround speed must be at least start speed"
    # The longest names first: backward_minutes_per_session is not read as part of another.
    assert readable("backward_minutes_per_session must not be negative") == (
        "backward minutes per session must not be negative"
    )


def test_changes_say_the_new_value_and_the_old_one() -> None:
    new = replace(DEFAULT_LIMITS, backward_max_speed_kmh=5.0, max_heart_rate_bpm=160)
    assert describe_changes(DEFAULT_LIMITS, new) == (
        "backward max speed 5 km/h (was 6 km/h); max heart rate 160 bpm (was none)"
    )
    assert describe_changes(DEFAULT_LIMITS, DEFAULT_LIMITS) == ""


def test_profile_changes_include_the_progression_cap() -> None:
    before = profile()
    after = profile(replace(DEFAULT_LIMITS, forward_max_speed_kmh=11.0), cap=20.0)
    assert describe_profile_changes(before, after) == (
        "forward max speed 11 km/h (was 12 km/h); backward progression cap 20 min (was 10 min)"
    )
    assert describe_profile_changes(before, profile(cap=20.0)) == (
        "backward progression cap 20 min (was 10 min)"
    )
    assert describe_profile_changes(before, before) == ""


def test_raises_name_only_what_goes_above_the_default() -> None:
    new = replace(
        DEFAULT_LIMITS,
        forward_max_speed_kmh=14.0,  # raised above the default
        backward_max_speed_kmh=5.0,  # lowered: no PIN
        turnaround_hold_s=3.0,  # a shorter hold is the more permissive one
    )
    assert describe_raises(DEFAULT_LIMITS, new) == (
        "forward max speed to 14 km/h (default 12 km/h); turnaround hold to 3 s (default 5 s)"
    )


def test_a_request_names_raised_limits_and_a_raised_cap() -> None:
    faster = replace(DEFAULT_LIMITS, forward_max_speed_kmh=14.0)
    assert describe_request(profile(), LimitsChange(faster, 20.0)) == (
        "forward max speed to 14 km/h (default 12 km/h); "
        "backward progression cap to 20 min (default 10 min)"
    )
    assert describe_request(profile(), LimitsChange(DEFAULT_LIMITS, 20.0)) == (
        "backward progression cap to 20 min (default 10 min)"
    )
    assert describe_request(profile(), LimitsChange(DEFAULT_LIMITS, 8.0)) == ""


def test_above_default_follows_which_way_is_more_permissive() -> None:
    assert above_default("forward_max_speed_kmh", 14.0)
    assert not above_default("forward_max_speed_kmh", 10.0)
    assert above_default("turnaround_hold_s", 3.0)  # shorter hold: more permissive
    assert not above_default("turnaround_hold_s", 8.0)
    assert above_default(CAP_FIELD, 20.0)
    assert not above_default(CAP_FIELD, 10.0)
    assert not above_default(HEART_RATE_FIELD, 220)


def test_pin_refusals_are_told_apart_by_type() -> None:
    assert pin_refusal(WrongPin("x", failures=1, wait_s=0)) == "Wrong admin PIN."
    assert pin_refusal(WrongPin("x", failures=3, wait_s=5)) == (
        "Wrong admin PIN. 3 wrong PINs in a row: the next try is possible in 5 s."
    )
    assert pin_refusal(PinThrottled("x", seconds_left=80, failures=4)) == (
        "4 wrong admin PINs in a row: no PIN is checked for now. Try again in 1 min 20 s."
    )
    assert pin_refusal(PinTooShort("x", minimum=4)) == (
        "The admin PIN needs at least 4 characters."
    )
    # Any other: the engine's words, as a sentence.
    assert pin_refusal(PinNotSet("no admin PIN is set yet")) == "No admin PIN is set yet."


def test_a_wrong_pin_for_a_raise_says_what_needed_it_and_the_wait() -> None:
    change = LimitsChange(replace(DEFAULT_LIMITS, forward_max_speed_kmh=14.0), None)
    first = wrong_pin_for_raise(profile(), change, WrongPin("x", failures=1, wait_s=0))
    assert first == (
        "Wrong admin PIN: nothing was changed. Raising forward max speed to 14 km/h "
        "(default 12 km/h) needs the admin PIN."
    )
    third = wrong_pin_for_raise(profile(), change, WrongPin("x", failures=3, wait_s=5))
    assert third == f"{first} 3 wrong PINs in a row: the next try is possible in 5 s."


def test_a_refused_pin_change_says_the_pin_was_not_changed() -> None:
    assert pin_change_refusal(WrongPin("x", failures=1, wait_s=0)) == (
        "Wrong current admin PIN. The PIN was not changed."
    )
    assert pin_change_refusal(PinTooShort("x", minimum=4)) == (
        "The admin PIN needs at least 4 characters. The PIN was not changed."
    )
    assert pin_change_refusal(PinRequired("x")) == (
        "An admin PIN has been set meanwhile: type it as the current PIN."
    )


def test_the_wait_note_rounds_up_to_whole_seconds() -> None:
    assert pin_wait_note(2.2) == "After wrong PINs, no PIN is checked for 3 s more."
