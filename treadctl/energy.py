"""Energy expenditure estimate: the ACSM metabolic equations, with a factor for backward gait.

Shape: pure functions and one small accumulator; no I/O, no clock (the caller passes ``dt``).

- :func:`gait_for` — walking or running, from speed and direction (the switch speeds below);
- :func:`vo2_ml_kg_min` — *gross* oxygen uptake (rest included) in ml O2 per kg per minute;
- :func:`kcal_per_min` — the same as gross energy, kcal per minute, for a body mass;
- :class:`EnergyIntegrator` — sums kcal over a session; ``kcal`` is gross, ``net_kcal`` is the
  part above rest.

Everything here is an *estimate*. When a heart-rate strap is connected it is the better signal,
and the UI must say which estimate it shows.

Forward: ACSM metabolic equations
---------------------------------
With ``v`` the belt speed in m/min and ``G`` the grade as a fraction (5 % = 0.05)::

    walking  VO2 = 0.1·v + 1.8·v·G + 3.5     ml/kg/min
    running  VO2 = 0.2·v + 0.9·v·G + 3.5     ml/kg/min

3.5 ml/kg/min is rest (1 MET). Energy is ≈ 5 kcal per litre of O2, so
``kcal/min = VO2 · mass_kg / 1000 · 5``. The equations are not meant for downhill: a negative
grade is treated as level (the grade term never goes below zero), which slightly overstates
the cost of gentle downhill walking rather than inventing a saving.

Gait switch
-----------
A treadmill cannot see whether its user walks or runs, so gait is inferred from speed (a caller
that knows better passes ``gait=``):

- **forward: running from 7.2 km/h** (2.0 m/s). ACSM gives the walking equation for
  50–100 m/min and the running equation above 134 m/min (8 km/h), and leaves the band between
  to what the person actually does; people choose to break into a run at about 2.0 m/s, so
  that is where we switch. It is also the switch the virtual treadmill's own energy counter
  uses (``treadctl.virtual.treadmill``), so the two agree on forward sessions.
- **backward: running from 6.7 km/h** (1.85 m/s), the energetically optimal backward
  walk-to-run transition measured by Hreljac et al. 2005 (J Sports Sci Med 4:446–454; the
  preferred one was 1.63 m/s ≈ 5.9 km/h). Above the preferred speed but below the optimal one
  people may do either; with the factors below the two backward predictions differ by only
  ~3 % at any speed (0.247·v vs 0.239·v above rest), so the choice hardly matters — and it
  keeps Flynn's backward *walking* speed, 6.4 km/h, on the walking side where its factor was
  derived.

So that speeding up never lowers the estimate, a speed-inferred running value is never below
the walking value at the switch speed: backward, the running prediction starts ~3 % under the
walking one and is held at the walking value until it catches up (at 6.9 km/h); forward the
same only happens above ~11 % grade, where ACSM's walking equation overtakes its running one.

Backward factor: derivation
---------------------------
Flynn TW et al., *Comparison of cardiopulmonary responses to forward and backward walking and
running*, Med Sci Sports Exerc 1994;26(1):89–94 (PMID 8133744): at 107.2 m/min (6.4 km/h)
walking and 160.8 m/min (9.6 km/h) running, VO2 was significantly higher backward than
forward, and backward walking and running took **60 %** and **84 %** of the subjects'
*forward* VO2peak. The abstract does not give the VO2peak itself, so we **assume 50 ml/kg/min**,
typical of the young, active adults such laboratory studies recruit. Then:

- backward walking at 6.4 km/h ≈ 0.60 · 50 = 30.0 ml/kg/min; ACSM forward walking at
  107.2 m/min = 0.1 · 107.2 + 3.5 = 14.22 ml/kg/min;
- backward running at 9.6 km/h ≈ 0.84 · 50 = 42.0 ml/kg/min; ACSM forward running at
  160.8 m/min = 0.2 · 160.8 + 3.5 = 35.66 ml/kg/min.

Standing still costs the same whichever way one faces, so the factor multiplies the part
*above rest* (and only the horizontal term, see below), not the gross VO2:

- walking: (30.0 − 3.5) / 10.72 = **2.47** (BACKWARD_WALK_FACTOR)
- running: (42.0 − 3.5) / 32.16 = **1.20** (BACKWARD_RUN_FACTOR)

So backward: ``VO2 = 3.5 + factor · (horizontal term) + (grade term)``. The grade term is left
as forward: Flynn measured on the level, lifting the body is the same work either way, and the
backward incline cap is low (5 %), so we do not extrapolate the factor to it.

How uncertain
-------------
- The VO2peak is assumed. For 45–55 ml/kg/min the factors span 2.19–2.75 (walking) and
  1.07–1.33 (running). Below 42.5 the running factor would drop under 1, which the study's
  "significantly higher" rules out — one sign the assumption is in the right region.
- Flynn's 6.4 km/h is *above* the preferred backward walk-to-run speed, where backward walking
  is least economical, and ACSM underestimates fast forward walking (the real cost curves
  upward there). Both inflate the walking factor; at the 2–4 km/h where most backward walking
  happens the true factor is probably lower. Applying it above rest only softens this.
- It rests on one study's group means; backward gait is a skill (beginners spend more, practice
  lowers the cost), and the ACSM equations are population averages to begin with.

Expect an individual's backward figure to be off by tens of percent: better than the "6 times
more" claims in circulation, worse than a heart-rate strap.
"""

from __future__ import annotations

import enum
import math

from treadctl.limits import Direction

__all__ = [
    "ASSUMED_VO2PEAK_ML_KG_MIN",
    "BACKWARD_RUN_FACTOR",
    "BACKWARD_WALK_FACTOR",
    "KCAL_PER_LITRE_O2",
    "RESTING_VO2_ML_KG_MIN",
    "RUN_FROM_KMH",
    "EnergyIntegrator",
    "Gait",
    "gait_for",
    "kcal_per_min",
    "vo2_ml_kg_min",
]


class Gait(enum.StrEnum):
    WALK = "walk"
    RUN = "run"


RESTING_VO2_ML_KG_MIN = 3.5
KCAL_PER_LITRE_O2 = 5.0

# ACSM coefficients: (horizontal, vertical) in ml O2 per kg per metre of belt travel.
_ACSM = {Gait.WALK: (0.1, 1.8), Gait.RUN: (0.2, 0.9)}

RUN_FROM_KMH = {Direction.FORWARD: 7.2, Direction.BACKWARD: 6.7}
"""Speed at and above which :func:`gait_for` assumes running (see the module docstring)."""

# Flynn et al. 1994 — the measurements the backward factor is derived from.
_FLYNN_WALK_M_MIN = 107.2
_FLYNN_RUN_M_MIN = 160.8
_FLYNN_WALK_FRACTION_OF_PEAK = 0.60
_FLYNN_RUN_FRACTION_OF_PEAK = 0.84
ASSUMED_VO2PEAK_ML_KG_MIN = 50.0
"""Forward VO2peak assumed for Flynn's subjects (the abstract does not report it)."""


def _backward_factor(gait: Gait, speed_m_min: float, fraction_of_peak: float) -> float:
    """Backward/forward ratio of the above-rest VO2 at one of Flynn's measured points."""
    backward_net = fraction_of_peak * ASSUMED_VO2PEAK_ML_KG_MIN - RESTING_VO2_ML_KG_MIN
    forward_net = _ACSM[gait][0] * speed_m_min
    return backward_net / forward_net


# Computed rather than typed in, so the derivation above is the code: 2.472 and 1.197.
BACKWARD_WALK_FACTOR = _backward_factor(Gait.WALK, _FLYNN_WALK_M_MIN, _FLYNN_WALK_FRACTION_OF_PEAK)
BACKWARD_RUN_FACTOR = _backward_factor(Gait.RUN, _FLYNN_RUN_M_MIN, _FLYNN_RUN_FRACTION_OF_PEAK)
_BACKWARD_FACTOR = {Gait.WALK: BACKWARD_WALK_FACTOR, Gait.RUN: BACKWARD_RUN_FACTOR}


def _check_speed_and_grade(speed_kmh: float, grade_pct: float) -> None:
    if not (math.isfinite(speed_kmh) and speed_kmh >= 0):
        raise ValueError(f"speed must be a finite number ≥ 0 km/h, got {speed_kmh!r}")
    if not math.isfinite(grade_pct):
        raise ValueError(f"grade must be a finite number of %, got {grade_pct!r}")


def _check_mass(mass_kg: float) -> None:
    if not (math.isfinite(mass_kg) and mass_kg > 0):
        raise ValueError(f"body mass must be a finite number > 0 kg, got {mass_kg!r}")


def gait_for(speed_kmh: float, direction: Direction) -> Gait:
    """The gait assumed at this speed: running from :data:`RUN_FROM_KMH` of the direction up."""
    return Gait.RUN if speed_kmh >= RUN_FROM_KMH[direction] else Gait.WALK


def vo2_ml_kg_min(
    speed_kmh: float, grade_pct: float, direction: Direction, *, gait: Gait | None = None
) -> float:
    """Gross oxygen uptake (rest included), ml O2 per kg per minute.

    ``grade_pct`` is the incline in % (negative grades count as level). ``gait`` overrides the
    speed-based guess of :func:`gait_for`. Zero speed gives rest, 3.5 ml/kg/min.
    """
    _check_speed_and_grade(speed_kmh, grade_pct)
    grade = max(0.0, grade_pct) / 100.0
    if gait is not None:
        return _vo2(gait, speed_kmh, grade, direction)
    gait = gait_for(speed_kmh, direction)
    vo2 = _vo2(gait, speed_kmh, grade, direction)
    if gait is Gait.RUN:
        # Monotone across the switch (see "Gait switch" above).
        vo2 = max(vo2, _vo2(Gait.WALK, RUN_FROM_KMH[direction], grade, direction))
    return vo2


def _vo2(gait: Gait, speed_kmh: float, grade: float, direction: Direction) -> float:
    horizontal, vertical = _ACSM[gait]
    v = speed_kmh * 1000.0 / 60.0
    horizontal_term = horizontal * v
    if direction is Direction.BACKWARD:
        horizontal_term *= _BACKWARD_FACTOR[gait]
    return RESTING_VO2_ML_KG_MIN + horizontal_term + vertical * v * grade


def kcal_per_min(
    speed_kmh: float,
    grade_pct: float,
    direction: Direction,
    mass_kg: float,
    *,
    gait: Gait | None = None,
) -> float:
    """Gross energy expenditure in kcal per minute (≈ 5 kcal per litre of O2)."""
    _check_mass(mass_kg)
    vo2 = vo2_ml_kg_min(speed_kmh, grade_pct, direction, gait=gait)
    return vo2 * mass_kg / 1000.0 * KCAL_PER_LITRE_O2


class EnergyIntegrator:
    """Sums energy over a session, one interval at a time.

    ``add(dt_s, ...)`` counts ``dt_s`` seconds at the given speed, grade and direction (the
    values held during that interval: the caller passes what the belt did, not a target).
    ``kcal`` is gross — what a treadmill console or a FIT file's total calories show; it grows
    at the resting rate while the speed is 0, so the caller decides whether a pause is added.
    ``net_kcal`` is the part above rest, what the exercise itself cost.
    """

    def __init__(self, mass_kg: float) -> None:
        _check_mass(mass_kg)
        self._mass_kg = mass_kg
        self._kcal = 0.0
        self._elapsed_s = 0.0

    @property
    def mass_kg(self) -> float:
        return self._mass_kg

    @property
    def kcal(self) -> float:
        """Gross energy so far, kcal (rest included)."""
        return self._kcal

    @property
    def net_kcal(self) -> float:
        """Energy above rest so far, kcal."""
        resting_per_min = RESTING_VO2_ML_KG_MIN * self._mass_kg / 1000.0 * KCAL_PER_LITRE_O2
        return self._kcal - resting_per_min * self._elapsed_s / 60.0

    @property
    def elapsed_s(self) -> float:
        """Total time added so far, s."""
        return self._elapsed_s

    def add(
        self,
        dt_s: float,
        speed_kmh: float,
        grade_pct: float,
        direction: Direction,
        *,
        gait: Gait | None = None,
    ) -> float:
        """Count ``dt_s`` seconds at this speed/grade/direction; return the kcal added."""
        if not (math.isfinite(dt_s) and dt_s >= 0):
            raise ValueError(f"dt must be a finite number ≥ 0 s, got {dt_s!r}")
        added = kcal_per_min(speed_kmh, grade_pct, direction, self._mass_kg, gait=gait) * (
            dt_s / 60.0
        )
        self._kcal += added
        self._elapsed_s += dt_s
        return added
