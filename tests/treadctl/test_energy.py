"""Tests for treadctl.energy: ACSM values worked by hand, the backward factor's derivation,
the gait switch, monotonicity, and the integrator's gross/net bookkeeping."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.energy import (
    BACKWARD_RUN_FACTOR,
    BACKWARD_WALK_FACTOR,
    RUN_FROM_KMH,
    EnergyIntegrator,
    Gait,
    gait_for,
    kcal_per_min,
    vo2_ml_kg_min,
)
from treadctl.limits import Direction

FWD = Direction.FORWARD
BWD = Direction.BACKWARD


def test_backward_factors_follow_the_documented_derivation() -> None:
    # Flynn 1994 at an assumed forward VO2peak of 50 ml/kg/min, above rest, vs ACSM forward.
    assert math.isclose(BACKWARD_WALK_FACTOR, (0.60 * 50 - 3.5) / (0.1 * 107.2))
    assert math.isclose(BACKWARD_RUN_FACTOR, (0.84 * 50 - 3.5) / (0.2 * 160.8))
    assert round(BACKWARD_WALK_FACTOR, 2) == 2.47
    assert round(BACKWARD_RUN_FACTOR, 2) == 1.20


def test_backward_reproduces_flynns_measurements() -> None:
    # The derivation's points: 60 % and 84 % of the assumed 50 ml/kg/min VO2peak.
    assert vo2_ml_kg_min(6.432, 0, BWD) == pytest.approx(30.0)
    assert vo2_ml_kg_min(9.648, 0, BWD) == pytest.approx(42.0)


@pytest.mark.parametrize(
    ("speed_kmh", "grade_pct", "direction", "expected"),
    [
        # walking: 0.1·v + 1.8·v·G + 3.5, v = 5 km/h = 83.333 m/min
        (5.0, 0.0, FWD, 0.1 * 83.3333 + 3.5),  # 11.833
        (5.0, 5.0, FWD, 0.1 * 83.3333 + 1.8 * 83.3333 * 0.05 + 3.5),  # 19.333
        # running: 0.2·v + 0.9·v·G + 3.5, v = 10 km/h = 166.667 m/min
        (10.0, 0.0, FWD, 0.2 * 166.6667 + 3.5),  # 36.833
        (10.0, 2.0, FWD, 0.2 * 166.6667 + 0.9 * 166.6667 * 0.02 + 3.5),  # 39.833
        # backward walking, 3 km/h = 50 m/min: the factor scales the horizontal term only
        (3.0, 0.0, BWD, 3.5 + 2.47201 * 0.1 * 50),  # 15.860
        (3.0, 4.0, BWD, 3.5 + 2.47201 * 0.1 * 50 + 1.8 * 50 * 0.04),  # 19.460
        # backward running, 8 km/h = 133.333 m/min
        (8.0, 0.0, BWD, 3.5 + 1.19714 * 0.2 * 133.3333),  # 35.424
        # downhill counts as level
        (5.0, -3.0, FWD, 0.1 * 83.3333 + 3.5),
    ],
)
def test_vo2_matches_hand_calculation(
    speed_kmh: float, grade_pct: float, direction: Direction, expected: float
) -> None:
    assert vo2_ml_kg_min(speed_kmh, grade_pct, direction) == pytest.approx(expected, rel=1e-4)


def test_kcal_per_min_is_five_kcal_per_litre() -> None:
    # 70 kg walking 5 km/h level: 11.8333 ml/kg/min · 70 kg = 0.82833 l/min → 4.1417 kcal/min
    assert kcal_per_min(5.0, 0.0, FWD, 70.0) == pytest.approx(4.14167, rel=1e-5)


def test_zero_speed_is_rest_in_both_directions() -> None:
    assert vo2_ml_kg_min(0.0, 0.0, FWD) == 3.5
    assert vo2_ml_kg_min(0.0, 0.0, BWD) == 3.5
    assert kcal_per_min(0.0, 0.0, BWD, 80.0) == pytest.approx(3.5 * 80 / 1000 * 5)


def test_gait_switch_speeds() -> None:
    assert RUN_FROM_KMH == {FWD: 7.2, BWD: 6.7}
    assert gait_for(7.19, FWD) is Gait.WALK
    assert gait_for(7.2, FWD) is Gait.RUN
    assert gait_for(6.4, BWD) is Gait.WALK  # Flynn's backward walking speed stays walking
    assert gait_for(6.7, BWD) is Gait.RUN


def test_explicit_gait_overrides_the_speed_guess() -> None:
    # Someone jogging forward at 6 km/h: the running equation, 0.2 · 100 + 3.5.
    assert vo2_ml_kg_min(6.0, 0.0, FWD, gait=Gait.RUN) == pytest.approx(23.5)
    assert vo2_ml_kg_min(9.0, 0.0, FWD, gait=Gait.WALK) == pytest.approx(18.5)


def test_backward_running_is_held_at_the_walking_value_across_the_switch() -> None:
    at_switch_walking = vo2_ml_kg_min(6.7, 0.0, BWD, gait=Gait.WALK)
    assert vo2_ml_kg_min(6.7, 0.0, BWD, gait=Gait.RUN) < at_switch_walking  # ~3 % lower
    assert vo2_ml_kg_min(6.7, 0.0, BWD) == pytest.approx(at_switch_walking)
    assert vo2_ml_kg_min(7.5, 0.0, BWD) == pytest.approx(3.5 + 1.19714 * 0.2 * 125, rel=1e-5)


speeds = st.floats(min_value=0.0, max_value=25.0)
grades = st.floats(min_value=-5.0, max_value=20.0)
directions = st.sampled_from(list(Direction))


@given(st.floats(min_value=0.1, max_value=25.0), grades)
def test_backward_costs_more_than_forward(speed_kmh: float, grade_pct: float) -> None:
    forward = vo2_ml_kg_min(speed_kmh, grade_pct, FWD)
    backward = vo2_ml_kg_min(speed_kmh, grade_pct, BWD)
    if not RUN_FROM_KMH[BWD] <= speed_kmh < RUN_FROM_KMH[FWD]:
        # Same gait both ways: the factor (> 1) makes backward strictly dearer.
        assert backward > forward
    else:
        # Between the switches forward is still walking, backward already running.
        assert backward >= forward


@given(speeds, speeds, grades, directions)
def test_monotone_in_speed(a: float, b: float, grade_pct: float, direction: Direction) -> None:
    low, high = sorted((a, b))
    assert vo2_ml_kg_min(low, grade_pct, direction) <= vo2_ml_kg_min(high, grade_pct, direction)


@given(speeds, grades, grades, directions)
def test_monotone_in_grade(speed: float, g1: float, g2: float, direction: Direction) -> None:
    low, high = sorted((g1, g2))
    assert vo2_ml_kg_min(speed, low, direction) <= vo2_ml_kg_min(speed, high, direction)


@pytest.mark.parametrize("speed", [-0.1, math.nan, math.inf])
def test_invalid_speed_is_rejected(speed: float) -> None:
    with pytest.raises(ValueError, match="speed"):
        vo2_ml_kg_min(speed, 0.0, FWD)


def test_invalid_grade_and_mass_are_rejected() -> None:
    with pytest.raises(ValueError, match="grade"):
        vo2_ml_kg_min(3.0, math.nan, FWD)
    for mass in (0.0, -70.0, math.inf):
        with pytest.raises(ValueError, match="mass"):
            kcal_per_min(3.0, 0.0, FWD, mass)
        with pytest.raises(ValueError, match="mass"):
            EnergyIntegrator(mass)


def test_integrator_sums_gross_and_net() -> None:
    energy = EnergyIntegrator(70.0)
    assert (energy.kcal, energy.net_kcal, energy.elapsed_s) == (0.0, 0.0, 0.0)
    # 10 min forward walking at 5 km/h: 4.14167 kcal/min gross, rest is 1.225 kcal/min.
    for _ in range(600):
        energy.add(1.0, 5.0, 0.0, FWD)
    assert energy.elapsed_s == pytest.approx(600.0)
    assert energy.kcal == pytest.approx(41.4167, rel=1e-5)
    assert energy.net_kcal == pytest.approx(41.4167 - 12.25, rel=1e-5)
    # Standing for a minute adds rest to the gross figure and nothing to the net one.
    added = energy.add(60.0, 0.0, 0.0, BWD)
    assert added == pytest.approx(1.225)
    assert energy.net_kcal == pytest.approx(41.4167 - 12.25, rel=1e-5)


def test_integrator_backward_minute() -> None:
    energy = EnergyIntegrator(60.0)
    added = energy.add(60.0, 3.0, 0.0, BWD)
    assert added == pytest.approx(15.86007 * 60 / 1000 * 5, rel=1e-5)  # 4.758 kcal
    assert energy.kcal == pytest.approx(added)
    assert energy.mass_kg == 60.0


@pytest.mark.parametrize("dt", [-1.0, math.nan, math.inf])
def test_integrator_rejects_bad_intervals(dt: float) -> None:
    energy = EnergyIntegrator(70.0)
    with pytest.raises(ValueError, match="dt"):
        energy.add(dt, 3.0, 0.0, FWD)
    assert energy.kcal == 0.0
