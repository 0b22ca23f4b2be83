"""Manual mode's targets (treadctl.core.manual): what one press of "faster", "steeper" or "turn"
asks for, fed numbers. The governor ramps, caps and turns around after these; what these rules
keep is the *target* within the caps, so that the opposite press works at once.
"""

from __future__ import annotations

import pytest

from treadctl.core.manual import (
    MANUAL_INCLINE_STEP_PCT,
    MANUAL_SPEED_STEP_KMH,
    first_target,
    step_incline,
    step_speed,
    turned,
)
from treadctl.limits import Direction, Limits
from treadctl.safety import SetTarget

F, B = Direction.FORWARD, Direction.BACKWARD
#: Forward 12 km/h and 10 %, backward 6 km/h and 5 %, floor 0 %.
LIMITS = Limits()


def test_a_manual_session_starts_forward_flat_at_the_start_speed() -> None:
    assert first_target(LIMITS) == SetTarget(LIMITS.start_speed_kmh, 0.0, F)
    assert first_target(Limits(start_speed_kmh=0.8)) == SetTarget(0.8, 0.0, F)


# --- speed ----------------------------------------------------------------------------------


def test_a_press_steps_the_speed_by_half_a_km_h() -> None:
    assert MANUAL_SPEED_STEP_KMH == 0.5
    assert step_speed(SetTarget(3.0), 1, LIMITS) == SetTarget(3.5)
    assert step_speed(SetTarget(3.0), -1, LIMITS) == SetTarget(2.5)
    assert step_speed(SetTarget(3.0), 4, LIMITS) == SetTarget(5.0)


def test_speed_steps_land_on_hundredths() -> None:
    target = SetTarget(1.1)
    for _ in range(7):
        target = step_speed(target, 1, LIMITS)
    assert target.speed_kmh == 4.6  # not 4.6000000000000005


def test_a_speed_step_keeps_incline_and_direction() -> None:
    assert step_speed(SetTarget(3.0, 2.0, B), 1, LIMITS) == SetTarget(3.5, 2.0, B)


@pytest.mark.parametrize(("direction", "cap"), [(F, 12.0), (B, 6.0)])
def test_faster_stops_at_the_directions_cap(direction: Direction, cap: float) -> None:
    assert step_speed(SetTarget(cap - 0.2, 0.0, direction), 1, LIMITS).speed_kmh == cap
    assert step_speed(SetTarget(cap, 0.0, direction), 3, LIMITS).speed_kmh == cap


def test_slower_stops_at_a_standstill() -> None:
    assert step_speed(SetTarget(0.3), -1, LIMITS).speed_kmh == 0.0
    assert step_speed(SetTarget(0.0), -5, LIMITS).speed_kmh == 0.0


@pytest.mark.parametrize(("direction", "cap"), [(F, 12.0), (B, 6.0)])
def test_slower_works_at_once_after_faster_past_the_cap(direction: Direction, cap: float) -> None:
    target = SetTarget(cap - 1.0, 0.0, direction)
    for _ in range(10):
        target = step_speed(target, 1, LIMITS)
    assert step_speed(target, -1, LIMITS).speed_kmh == cap - 0.5


def test_a_target_above_a_lowered_cap_comes_within_it_at_the_first_press() -> None:
    # e.g. a target kept from before the limits were lowered
    assert step_speed(SetTarget(14.0), -1, LIMITS).speed_kmh == 12.0
    assert step_speed(SetTarget(14.0), 1, LIMITS).speed_kmh == 12.0


# --- incline --------------------------------------------------------------------------------


def test_a_press_steps_the_incline_by_one_percent() -> None:
    assert MANUAL_INCLINE_STEP_PCT == 1.0
    assert step_incline(SetTarget(3.0, 2.0), 1, LIMITS) == SetTarget(3.0, 3.0)
    assert step_incline(SetTarget(3.0, 2.0), -2, LIMITS) == SetTarget(3.0, 0.0)


def test_an_incline_step_keeps_speed_and_direction() -> None:
    assert step_incline(SetTarget(2.5, 1.0, B), 1, LIMITS) == SetTarget(2.5, 2.0, B)


@pytest.mark.parametrize(("direction", "cap"), [(F, 10.0), (B, 5.0)])
def test_steeper_stops_at_the_directions_cap(direction: Direction, cap: float) -> None:
    assert step_incline(SetTarget(3.0, cap - 0.5, direction), 1, LIMITS).incline_pct == cap
    assert step_incline(SetTarget(3.0, cap, direction), 4, LIMITS).incline_pct == cap


@pytest.mark.parametrize(("direction", "cap"), [(F, 10.0), (B, 5.0)])
def test_flatter_works_at_once_after_steeper_past_the_cap(direction: Direction, cap: float) -> None:
    target = SetTarget(3.0, cap, direction)
    for _ in range(5):
        target = step_incline(target, 1, LIMITS)
    assert step_incline(target, -1, LIMITS).incline_pct == cap - 1.0


def test_flatter_stops_at_the_incline_floor() -> None:
    assert step_incline(SetTarget(3.0, 0.5), -1, LIMITS).incline_pct == 0.0
    assert step_incline(SetTarget(3.0, 0.0), -3, LIMITS).incline_pct == 0.0
    downhill = Limits(min_incline_pct=-2.0)  # a treadmill that declines
    assert step_incline(SetTarget(3.0, 0.0), -5, downhill).incline_pct == -2.0
    assert step_incline(SetTarget(3.0, -2.0), 1, downhill).incline_pct == -1.0


# --- turning ---------------------------------------------------------------------------------


def test_turning_faces_the_other_way() -> None:
    assert turned(SetTarget(3.0, 2.0, F), LIMITS) == SetTarget(3.0, 2.0, B)
    assert turned(SetTarget(3.0, 2.0, B), LIMITS) == SetTarget(3.0, 2.0, F)


def test_turning_backward_brings_speed_and_incline_within_the_backward_caps() -> None:
    assert turned(SetTarget(9.0, 8.0, F), LIMITS) == SetTarget(6.0, 5.0, B)


def test_turning_forward_keeps_speed_and_incline() -> None:
    assert turned(SetTarget(6.0, 5.0, B), LIMITS) == SetTarget(6.0, 5.0, F)


def test_turning_there_and_back_does_not_restore_what_the_caps_took() -> None:
    there = turned(SetTarget(9.0, 8.0, F), LIMITS)
    assert turned(there, LIMITS) == SetTarget(6.0, 5.0, F)


def test_after_turning_slower_works_at_once() -> None:
    back = turned(SetTarget(12.0, 10.0, F), LIMITS)
    assert step_speed(back, -1, LIMITS).speed_kmh == 5.5
    assert step_incline(back, -1, LIMITS).incline_pct == 4.0
