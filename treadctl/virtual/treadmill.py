"""The virtual treadmill's physical model: belt, incline motor, counters, safety key.

Shape: :class:`TreadmillModel` is a plain, synchronous, deterministic object. Time enters only
through :meth:`TreadmillModel.step` / :meth:`TreadmillModel.advance_to`; commands enter through
methods that mirror the FTMS Control Point (``start_or_resume``, ``stop``, ``pause``,
``set_target_speed``, ``set_target_inclination``, ``reset``) and a person at the console
(``console_*``, ``pull_safety_key``, ``insert_safety_key``). Each command returns the wire
enum ``protocols.ftms.ResultCode`` (only SUCCESS, INVALID_PARAMETER or OPERATION_FAILED: "op
code not supported" and "control not permitted" are the peripheral's to decide), and every
status change is reported to listeners as a frozen event dataclass (:data:`StatusEvent`)
tagged with its :class:`Origin`, so the GATT peripheral can decide whom to notify (FTMS
§4.17.1: a change made through the Control Point goes to the *other* clients, a console change
to everyone).
:meth:`TreadmillModel.snapshot` returns a :class:`BeltState` for the Treadmill Data record.

Why a separate model: the peripheral (Bumble, asyncio, the clock) and the physics are tested
apart. The physics is what the app's safety layer is tested against, so it must be exact and
reproducible: no asyncio, no clock, no randomness; the same calls give the same floats.

Theory of operation
-------------------
* **States** (:class:`MachineState`): STOPPED, RUNNING, PAUSED. Only ``start_or_resume`` and
  ``console_start`` enter RUNNING; nothing else ever makes the belt go faster than 0 from rest.
* **Belt**: the belt speed chases a goal at the spec's own motor limits: the goal is the target
  speed while RUNNING and 0 otherwise. Up at ``accel_kmh_per_s``, down at ``decel_kmh_per_s``,
  or at ``safety_decel_kmh_per_s`` after the safety key is pulled (until the belt is at rest or
  started again). Stop and pause change the state at once; the belt then ramps down.
* **Targets**: values are checked against the range (out of range: INVALID_PARAMETER) and then
  rounded half-up to the increment grid anchored at the range minimum. Starting with a target
  of 0 (after power-on, reset or a stop) uses ``min_speed_kmh`` as the target: a treadmill
  started from its console begins at its slowest speed. Pause keeps the target speed (resume
  returns to it); stop, the safety key and reset set it to 0, so the next start is slow again.
* **Incline motor**: moves towards the target incline at ``incline_rate_pct_per_s``, only while
  RUNNING (ISO 20957-6: a stop halts belt and incline motion; we halt it on pause as well). On
  stop and on the safety key the target incline freezes at the actual incline. A target set
  while stopped or paused is kept and reached after the next start.
* **Counters**: distance (m) integrates the actual belt speed, so it keeps growing while a
  stopped belt coasts down; elapsed time counts only while RUNNING; energy (kcal) accrues
  with distance (see :func:`energy_kcal`). Only ``reset`` zeroes them (FTMS §4.16.2.2).
* **Events**: a Target*Changed event is emitted whenever an explicit set-target command changes
  the target, and when a start substitutes ``min_speed_kmh`` for a zero target. Stop, the
  safety key and reset change targets implicitly; their own event (StoppedByUser(STOP),
  StoppedBySafetyKey, MachineReset) implies it and no Target*Changed follows. Listeners are
  called synchronously after the command's whole effect is applied.
* **Quirks** (:class:`TreadmillSpec` flags): ``ignores_speed_while_stopped`` answers SUCCESS to a
  set-speed while STOPPED but changes nothing; ``needs_start_before_speed`` answers
  OPERATION_FAILED (KingSmith FTMS devices, per mcdax/walkingpad-controller's README, even drop
  the link; that fault belongs to the peripheral). Both apply only in STOPPED, not PAUSED.

Commands take effect at the model's current time: the driver should ``advance_to(now)`` before
issuing one, or the command is back-dated to the last step.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass

# The result and stop/pause codes are the wire enums themselves, so the peripheral answers with
# what the model returns and no code is written twice. protocols/ is sans-io, so the model
# stays free of I/O.
from protocols.ftms import ResultCode, StopPause

__all__ = [
    "BeltState",
    "MachineReset",
    "MachineState",
    "Origin",
    "StartedByUser",
    "StatusEvent",
    "StatusListener",
    "StoppedBySafetyKey",
    "StoppedByUser",
    "TargetInclineChanged",
    "TargetSpeedChanged",
    "TreadmillModel",
    "TreadmillSpec",
    "energy_kcal",
]


class MachineState(enum.Enum):
    """What the machine is doing, as the console would show it."""

    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


class Origin(enum.Enum):
    """Who caused a status change: FTMS notifies Control Point changes to the other clients."""

    CONTROL_POINT = "control_point"
    CONSOLE = "console"


@dataclass(frozen=True, slots=True)
class StartedByUser:
    """FTMS status 0x04 Started or Resumed by the User."""

    origin: Origin


@dataclass(frozen=True, slots=True)
class StoppedByUser:
    """FTMS status 0x02 Stopped or Paused by the User."""

    kind: StopPause
    origin: Origin


@dataclass(frozen=True, slots=True)
class StoppedBySafetyKey:
    """FTMS status 0x03 Stopped by Safety Key (always from the console)."""

    origin: Origin = Origin.CONSOLE


@dataclass(frozen=True, slots=True)
class TargetSpeedChanged:
    """FTMS status 0x05 Target Speed Changed."""

    speed_kmh: float
    origin: Origin


@dataclass(frozen=True, slots=True)
class TargetInclineChanged:
    """FTMS status 0x06 Target Incline Changed."""

    incline_pct: float
    origin: Origin


@dataclass(frozen=True, slots=True)
class MachineReset:
    """FTMS status 0x01 Reset (targets are at their defaults, counters at 0, state STOPPED).

    Not ``Reset``: that is the Control Point request (``protocols.ftms.Reset``) asking for it.
    """

    origin: Origin


StatusEvent = (
    StartedByUser
    | StoppedByUser
    | StoppedBySafetyKey
    | TargetSpeedChanged
    | TargetInclineChanged
    | MachineReset
)
StatusListener = Callable[[StatusEvent], None]


@dataclass(frozen=True, slots=True)
class TreadmillSpec:
    """What a particular treadmill can do. Speeds in km/h, inclines in %, rates per second.

    The acceleration limits are the belt motor's own, independent of anything the app asks:
    a treadmill that is told 12 km/h from rest takes 12 s to get there at 1 km/h/s.
    """

    min_speed_kmh: float = 0.5
    max_speed_kmh: float = 16.0
    speed_increment_kmh: float = 0.1
    min_incline_pct: float = 0.0
    max_incline_pct: float = 15.0
    incline_increment_pct: float = 0.5
    accel_kmh_per_s: float = 1.0
    decel_kmh_per_s: float = 1.5
    # After the safety key is pulled the motor brakes harder than a normal stop.
    safety_decel_kmh_per_s: float = 3.0
    incline_rate_pct_per_s: float = 0.5
    ignores_speed_while_stopped: bool = False
    needs_start_before_speed: bool = False

    def __post_init__(self) -> None:
        positive = {
            "min_speed_kmh": self.min_speed_kmh,
            "speed_increment_kmh": self.speed_increment_kmh,
            "incline_increment_pct": self.incline_increment_pct,
            "accel_kmh_per_s": self.accel_kmh_per_s,
            "decel_kmh_per_s": self.decel_kmh_per_s,
            "safety_decel_kmh_per_s": self.safety_decel_kmh_per_s,
            "incline_rate_pct_per_s": self.incline_rate_pct_per_s,
        }
        for name, value in positive.items():
            # min speed must be > 0: a target of 0 means "no target" (see the module docstring).
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"TreadmillSpec.{name} must be positive and finite, got {value}")
        for name, value in (
            ("max_speed_kmh", self.max_speed_kmh),
            ("min_incline_pct", self.min_incline_pct),
            ("max_incline_pct", self.max_incline_pct),
        ):
            if not math.isfinite(value):
                raise ValueError(f"TreadmillSpec.{name} must be finite, got {value}")
        if self.max_speed_kmh < self.min_speed_kmh:
            raise ValueError(
                f"TreadmillSpec speed range is empty: {self.min_speed_kmh}–{self.max_speed_kmh}"
            )
        if self.max_incline_pct < self.min_incline_pct:
            raise ValueError(
                "TreadmillSpec incline range is empty: "
                f"{self.min_incline_pct}–{self.max_incline_pct}"
            )
        if self.safety_decel_kmh_per_s < self.decel_kmh_per_s:
            raise ValueError(
                "TreadmillSpec.safety_decel_kmh_per_s must be at least decel_kmh_per_s: "
                "pulling the safety key never stops the belt more gently than a stop"
            )
        if self.ignores_speed_while_stopped and self.needs_start_before_speed:
            raise ValueError(
                "TreadmillSpec quirks ignores_speed_while_stopped and needs_start_before_speed "
                "contradict each other (accept vs refuse a set-speed while stopped)"
            )

    @property
    def default_incline_pct(self) -> float:
        """Incline after power-on and reset: level, or the nearest end of the range to level."""
        return min(max(0.0, self.min_incline_pct), self.max_incline_pct)


@dataclass(frozen=True, slots=True)
class BeltState:
    """A snapshot of everything a Treadmill Data record and the console display show."""

    state: MachineState
    speed_kmh: float
    target_speed_kmh: float
    incline_pct: float
    target_incline_pct: float
    distance_m: float
    elapsed_s: float
    energy_kcal: float
    safety_key_in: bool
    # The model has no heart-rate sensor; a virtual strap is a separate device.
    heart_rate_bpm: int | None = None


# Energy estimate: ACSM metabolic equations (ACSM's Guidelines for Exercise Testing and
# Prescription, ch. 6), net of the 3.5 ml/kg/min resting term so that standing still costs 0.
# Per metre of belt travel, in ml O2 per kg body mass:
#   walking: 0.1 + 1.8 * grade      running: 0.2 + 0.9 * grade      (grade = incline % / 100)
# The gait switches at 7.2 km/h (2 m/s, about where people change gait on a treadmill).
# Declines are costed as level ground (the equations are not valid downhill), and 1 l of O2 is
# taken as 5 kcal. Backward locomotion costs more than this in reality; the model does not
# know the direction, and an estimate is all FTMS asks for.
WALK_RUN_SWITCH_KMH = 7.2
KCAL_PER_LITRE_O2 = 5.0


def energy_kcal(distance_m: float, speed_kmh: float, incline_pct: float, mass_kg: float) -> float:
    """Net energy (kcal) to cover ``distance_m`` at ``speed_kmh`` up ``incline_pct``."""
    grade = max(0.0, incline_pct) / 100.0
    walking = speed_kmh < WALK_RUN_SWITCH_KMH
    ml_per_kg_per_m = (0.1 + 1.8 * grade) if walking else (0.2 + 0.9 * grade)
    return distance_m * ml_per_kg_per_m * mass_kg / 1000.0 * KCAL_PER_LITRE_O2


# Tolerance when range-checking a requested target: 16.0 km/h that arrived as 1600 * 0.01 must
# not be rejected because of float noise.
_RANGE_TOLERANCE = 1e-9


def _snap_to_grid(value: float, low: float, high: float, step: float) -> float | None:
    """``value`` rounded half-up to ``low + k * step`` and kept in range; None if out of range."""
    if not (math.isfinite(value) and low - _RANGE_TOLERANCE <= value <= high + _RANGE_TOLERANCE):
        return None
    # The small bias makes exact halves (5.35 with step 0.1) round up even when float noise
    # puts the quotient at 48.49999999.
    steps = math.floor((value - low) / step + 0.5 + 1e-9)
    # round(..., 9) removes the noise of low + k * step (0.5 + 37 * 0.1 = 4.200000000000001).
    snapped = round(low + steps * step, 9)
    return min(max(snapped, low), high)


def _approach(current: float, goal: float, up_rate: float, down_rate: float, dt: float) -> float:
    """Where a value moving towards ``goal`` at a limited rate is after ``dt`` seconds."""
    if goal > current:
        return min(goal, current + up_rate * dt)
    return max(goal, current - down_rate * dt)


def _ramp_distance(v0: float, goal: float, rate: float, dt: float) -> float:
    """Integral over ``dt`` of a speed that ramps linearly from ``v0`` to ``goal`` then holds.

    Exact for any ``dt``, so the distance does not depend on how finely the model is stepped.
    """
    time_to_goal = abs(goal - v0) / rate
    if dt <= time_to_goal:
        v1 = v0 + math.copysign(rate * dt, goal - v0)
        return (v0 + v1) / 2.0 * dt
    return (v0 + goal) / 2.0 * time_to_goal + goal * (dt - time_to_goal)


class TreadmillModel:
    """A deterministic treadmill; see the module docstring for the rules it follows."""

    def __init__(
        self,
        spec: TreadmillSpec | None = None,
        *,
        body_mass_kg: float = 70.0,
        start_time: float = 0.0,
    ) -> None:
        if not (math.isfinite(body_mass_kg) and body_mass_kg > 0):
            raise ValueError(f"body mass must be positive and finite, got {body_mass_kg}")
        self._spec = spec if spec is not None else TreadmillSpec()
        self._body_mass_kg = body_mass_kg
        self._now = start_time
        self._state = MachineState.STOPPED
        self._safety_key_in = True
        self._safety_braking = False
        self._speed = 0.0
        self._target_speed = 0.0
        self._incline = self._spec.default_incline_pct
        self._target_incline = self._spec.default_incline_pct
        self._distance_m = 0.0
        self._elapsed_s = 0.0
        self._energy_kcal = 0.0
        self._listeners: list[StatusListener] = []

    # --- observation -------------------------------------------------------------------

    @property
    def spec(self) -> TreadmillSpec:
        return self._spec

    @property
    def body_mass_kg(self) -> float:
        return self._body_mass_kg

    @property
    def now(self) -> float:
        """The model's own time: ``start_time`` plus everything it has been stepped by."""
        return self._now

    @property
    def state(self) -> MachineState:
        return self._state

    @property
    def safety_key_in(self) -> bool:
        return self._safety_key_in

    def snapshot(self) -> BeltState:
        return BeltState(
            state=self._state,
            speed_kmh=self._speed,
            target_speed_kmh=self._target_speed,
            incline_pct=self._incline,
            target_incline_pct=self._target_incline,
            distance_m=self._distance_m,
            elapsed_s=self._elapsed_s,
            energy_kcal=self._energy_kcal,
            safety_key_in=self._safety_key_in,
        )

    def add_listener(self, listener: StatusListener) -> None:
        """Call ``listener`` with every status event from now on (synchronously)."""
        self._listeners.append(listener)

    def remove_listener(self, listener: StatusListener) -> None:
        self._listeners.remove(listener)

    # --- time --------------------------------------------------------------------------

    def advance_to(self, now: float) -> None:
        """Simulate up to time ``now`` (same timebase as ``start_time``); never backwards."""
        if not now >= self._now:  # also rejects NaN
            raise ValueError(f"cannot move the treadmill back from {self._now} to {now}")
        self.step(now - self._now)
        # Set exactly, so repeated advance_to() calls do not accumulate float drift.
        self._now = now

    def step(self, dt: float) -> None:
        """Simulate ``dt`` seconds with the current state and targets."""
        if not (math.isfinite(dt) and dt >= 0):
            raise ValueError(f"cannot step a treadmill by {dt} s")
        spec = self._spec
        running = self._state is MachineState.RUNNING

        goal = self._target_speed if running else 0.0
        down_rate = spec.safety_decel_kmh_per_s if self._safety_braking else spec.decel_kmh_per_s
        rate = spec.accel_kmh_per_s if goal > self._speed else down_rate
        distance_m = _ramp_distance(self._speed, goal, rate, dt) / 3.6
        new_speed = _approach(self._speed, goal, spec.accel_kmh_per_s, down_rate, dt)

        new_incline = self._incline
        if running:
            new_incline = _approach(
                self._incline,
                self._target_incline,
                spec.incline_rate_pct_per_s,
                spec.incline_rate_pct_per_s,
                dt,
            )

        if dt > 0:
            mean_speed = distance_m * 3.6 / dt
            mean_incline = (self._incline + new_incline) / 2.0
            self._energy_kcal += energy_kcal(
                distance_m, mean_speed, mean_incline, self._body_mass_kg
            )
        self._distance_m += distance_m
        self._speed = new_speed
        self._incline = new_incline
        if running:
            self._elapsed_s += dt
        if self._speed == 0.0:
            self._safety_braking = False
        self._now += dt

    # --- Control Point procedures ------------------------------------------------------

    def start_or_resume(self) -> ResultCode:
        """FTMS op 0x07. Fails while running or while the safety key is out."""
        return self._start(Origin.CONTROL_POINT)

    def stop(self) -> ResultCode:
        """FTMS op 0x08 with Stop. Fails when already stopped."""
        return self._stop(StopPause.STOP, Origin.CONTROL_POINT)

    def pause(self) -> ResultCode:
        """FTMS op 0x08 with Pause. Fails unless running."""
        return self._stop(StopPause.PAUSE, Origin.CONTROL_POINT)

    def set_target_speed(self, kmh: float) -> ResultCode:
        """FTMS op 0x02."""
        return self._set_speed(kmh, Origin.CONTROL_POINT)

    def set_target_inclination(self, pct: float) -> ResultCode:
        """FTMS op 0x03. Accepted in every state; the motor moves only while running."""
        return self._set_incline(pct, Origin.CONTROL_POINT)

    def reset(self) -> ResultCode:
        """FTMS op 0x01: stop, targets to defaults, counters to 0. Always succeeds.

        The belt ramps down like a stop; the incline stays where it physically is until the
        next start drives it to the default.
        """
        self._state = MachineState.STOPPED
        self._target_speed = 0.0
        self._target_incline = self._spec.default_incline_pct
        self._distance_m = 0.0
        self._elapsed_s = 0.0
        self._energy_kcal = 0.0
        self._emit([MachineReset(Origin.CONTROL_POINT)])
        return ResultCode.SUCCESS

    # --- the person at the console ----------------------------------------------------

    def console_start(self) -> ResultCode:
        return self._start(Origin.CONSOLE)

    def console_stop(self) -> ResultCode:
        return self._stop(StopPause.STOP, Origin.CONSOLE)

    def console_pause(self) -> ResultCode:
        return self._stop(StopPause.PAUSE, Origin.CONSOLE)

    def console_set_speed(self, kmh: float) -> ResultCode:
        return self._set_speed(kmh, Origin.CONSOLE)

    def console_set_incline(self, pct: float) -> ResultCode:
        return self._set_incline(pct, Origin.CONSOLE)

    def pull_safety_key(self) -> ResultCode:
        """Stop at once with hard braking and refuse to start until the key is back."""
        if not self._safety_key_in:
            return ResultCode.OPERATION_FAILED
        self._safety_key_in = False
        self._halt()
        self._safety_braking = self._speed > 0.0
        self._emit([StoppedBySafetyKey()])
        return ResultCode.SUCCESS

    def insert_safety_key(self) -> ResultCode:
        """Allow starting again. The belt stays stopped: only a start command moves it."""
        if self._safety_key_in:
            return ResultCode.OPERATION_FAILED
        self._safety_key_in = True
        return ResultCode.SUCCESS

    # --- shared implementations ---------------------------------------------------------

    def _start(self, origin: Origin) -> ResultCode:
        if not self._safety_key_in or self._state is MachineState.RUNNING:
            return ResultCode.OPERATION_FAILED
        events: list[StatusEvent] = [StartedByUser(origin)]
        if self._target_speed == 0.0:
            self._target_speed = self._spec.min_speed_kmh
            events.append(TargetSpeedChanged(self._target_speed, origin))
        self._state = MachineState.RUNNING
        self._safety_braking = False
        self._emit(events)
        return ResultCode.SUCCESS

    def _stop(self, kind: StopPause, origin: Origin) -> ResultCode:
        if self._state is MachineState.STOPPED:
            return ResultCode.OPERATION_FAILED
        if kind is StopPause.PAUSE:
            if self._state is MachineState.PAUSED:
                return ResultCode.OPERATION_FAILED
            self._state = MachineState.PAUSED
        else:
            self._halt()
        self._emit([StoppedByUser(kind, origin)])
        return ResultCode.SUCCESS

    def _halt(self) -> None:
        """The common effect of a stop and the safety key (not of pause, which keeps targets)."""
        self._state = MachineState.STOPPED
        self._target_speed = 0.0
        self._target_incline = self._incline

    def _set_speed(self, kmh: float, origin: Origin) -> ResultCode:
        spec = self._spec
        speed = _snap_to_grid(kmh, spec.min_speed_kmh, spec.max_speed_kmh, spec.speed_increment_kmh)
        if speed is None:
            return ResultCode.INVALID_PARAMETER
        if self._state is MachineState.STOPPED:
            if spec.needs_start_before_speed:
                return ResultCode.OPERATION_FAILED
            if spec.ignores_speed_while_stopped:
                return ResultCode.SUCCESS
        if speed != self._target_speed:
            self._target_speed = speed
            self._emit([TargetSpeedChanged(speed, origin)])
        return ResultCode.SUCCESS

    def _set_incline(self, pct: float, origin: Origin) -> ResultCode:
        spec = self._spec
        incline = _snap_to_grid(
            pct, spec.min_incline_pct, spec.max_incline_pct, spec.incline_increment_pct
        )
        if incline is None:
            return ResultCode.INVALID_PARAMETER
        if incline != self._target_incline:
            self._target_incline = incline
            self._emit([TargetInclineChanged(incline, origin)])
        return ResultCode.SUCCESS

    def _emit(self, events: list[StatusEvent]) -> None:
        # Copy: a listener may remove itself while being called.
        for event in events:
            for listener in list(self._listeners):
                listener(event)
