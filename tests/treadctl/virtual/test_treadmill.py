"""Tests for the virtual treadmill's physical model (treadctl.virtual.treadmill).

Table tests pin the documented behaviour (results per state, rounding, ramps, events, quirks);
hypothesis drives random command sequences with random time steps and checks the invariants
the safety layer's tests rely on: the belt never accelerates faster than its motor allows,
counters never run backwards, only a start command moves the belt, the safety key blocks starts.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols.ftms import ResultCode, StopPause
from treadctl.virtual.treadmill import (
    BeltState,
    MachineReset,
    MachineState,
    Origin,
    StartedByUser,
    StatusEvent,
    StoppedBySafetyKey,
    StoppedByUser,
    TargetInclineChanged,
    TargetSpeedChanged,
    TreadmillModel,
    TreadmillSpec,
    energy_kcal,
)

SUCCESS = ResultCode.SUCCESS
INVALID = ResultCode.INVALID_PARAMETER
FAILED = ResultCode.OPERATION_FAILED
CP = Origin.CONTROL_POINT
CONSOLE = Origin.CONSOLE


def recording_model(spec: TreadmillSpec | None = None) -> tuple[TreadmillModel, list[StatusEvent]]:
    model = TreadmillModel(spec)
    events: list[StatusEvent] = []
    model.add_listener(events.append)
    return model, events


def running_at(speed: float, spec: TreadmillSpec | None = None) -> TreadmillModel:
    """A model whose belt has reached ``speed``."""
    model = TreadmillModel(spec)
    assert model.start_or_resume() is SUCCESS
    assert model.set_target_speed(speed) is SUCCESS
    model.step(60.0)
    assert model.snapshot().speed_kmh == speed
    return model


# --- spec ----------------------------------------------------------------------------------


def test_default_spec() -> None:
    spec = TreadmillSpec()
    assert (spec.min_speed_kmh, spec.max_speed_kmh, spec.speed_increment_kmh) == (0.5, 16.0, 0.1)
    assert (spec.min_incline_pct, spec.max_incline_pct, spec.incline_increment_pct) == (
        0.0,
        15.0,
        0.5,
    )
    assert (spec.accel_kmh_per_s, spec.decel_kmh_per_s, spec.safety_decel_kmh_per_s) == (
        1.0,
        1.5,
        3.0,
    )
    assert spec.incline_rate_pct_per_s == 0.5
    assert not spec.ignores_speed_while_stopped
    assert not spec.needs_start_before_speed


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_speed_kmh": 0.0}, "min_speed_kmh"),
        ({"speed_increment_kmh": -0.1}, "speed_increment_kmh"),
        ({"accel_kmh_per_s": math.nan}, "accel_kmh_per_s"),
        ({"decel_kmh_per_s": 0.0}, "decel_kmh_per_s"),
        ({"safety_decel_kmh_per_s": math.inf}, "safety_decel_kmh_per_s"),
        ({"safety_decel_kmh_per_s": 1.0}, "never stops the belt more gently"),
        ({"incline_rate_pct_per_s": 0.0}, "incline_rate_pct_per_s"),
        ({"incline_increment_pct": 0.0}, "incline_increment_pct"),
        ({"max_speed_kmh": math.inf}, "max_speed_kmh"),
        ({"min_incline_pct": -math.inf}, "min_incline_pct"),
        ({"max_speed_kmh": 0.4}, "speed range is empty"),
        ({"min_incline_pct": 5.0, "max_incline_pct": 4.0}, "incline range is empty"),
        ({"ignores_speed_while_stopped": True, "needs_start_before_speed": True}, "contradict"),
    ],
)
def test_spec_rejects_impossible_values(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TreadmillSpec(**changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("low", "high", "default"),
    [(0.0, 15.0, 0.0), (-3.0, 15.0, 0.0), (2.0, 10.0, 2.0), (-6.0, -1.0, -1.0)],
)
def test_default_incline_is_level_or_nearest_to_level(
    low: float, high: float, default: float
) -> None:
    spec = TreadmillSpec(min_incline_pct=low, max_incline_pct=high)
    assert spec.default_incline_pct == default
    assert TreadmillModel(spec).snapshot().incline_pct == default


@pytest.mark.parametrize("mass", [0.0, -70.0, math.nan])
def test_model_rejects_impossible_body_mass(mass: float) -> None:
    with pytest.raises(ValueError, match="body mass"):
        TreadmillModel(body_mass_kg=mass)


def test_initial_state() -> None:
    model = TreadmillModel(start_time=12.0)
    assert model.now == 12.0
    assert model.spec == TreadmillSpec()
    assert model.body_mass_kg == 70.0
    assert model.state is MachineState.STOPPED
    assert model.safety_key_in
    assert model.snapshot() == BeltState(
        state=MachineState.STOPPED,
        speed_kmh=0.0,
        target_speed_kmh=0.0,
        incline_pct=0.0,
        target_incline_pct=0.0,
        distance_m=0.0,
        elapsed_s=0.0,
        energy_kcal=0.0,
        safety_key_in=True,
        heart_rate_bpm=None,
    )


# --- results per state ---------------------------------------------------------------------

# (commands that set the scene, the command under test, its result, the state afterwards)
TRANSITIONS = [
    ([], "start_or_resume", SUCCESS, MachineState.RUNNING),
    (["start_or_resume"], "start_or_resume", FAILED, MachineState.RUNNING),
    (["start_or_resume", "pause"], "start_or_resume", SUCCESS, MachineState.RUNNING),
    (["start_or_resume", "stop"], "start_or_resume", SUCCESS, MachineState.RUNNING),
    ([], "stop", FAILED, MachineState.STOPPED),
    (["start_or_resume"], "stop", SUCCESS, MachineState.STOPPED),
    (["start_or_resume", "pause"], "stop", SUCCESS, MachineState.STOPPED),
    (["start_or_resume", "stop"], "stop", FAILED, MachineState.STOPPED),
    ([], "pause", FAILED, MachineState.STOPPED),
    (["start_or_resume"], "pause", SUCCESS, MachineState.PAUSED),
    (["start_or_resume", "pause"], "pause", FAILED, MachineState.PAUSED),
    ([], "reset", SUCCESS, MachineState.STOPPED),
    (["start_or_resume"], "reset", SUCCESS, MachineState.STOPPED),
    (["start_or_resume", "pause"], "reset", SUCCESS, MachineState.STOPPED),
    ([], "console_start", SUCCESS, MachineState.RUNNING),
    (["console_start"], "console_stop", SUCCESS, MachineState.STOPPED),
    (["console_start"], "console_pause", SUCCESS, MachineState.PAUSED),
    ([], "console_stop", FAILED, MachineState.STOPPED),
    ([], "console_pause", FAILED, MachineState.STOPPED),
    (["start_or_resume"], "pull_safety_key", SUCCESS, MachineState.STOPPED),
    (["start_or_resume", "pause"], "pull_safety_key", SUCCESS, MachineState.STOPPED),
    ([], "pull_safety_key", SUCCESS, MachineState.STOPPED),
    (["pull_safety_key"], "pull_safety_key", FAILED, MachineState.STOPPED),
    (["pull_safety_key"], "start_or_resume", FAILED, MachineState.STOPPED),
    (["pull_safety_key"], "console_start", FAILED, MachineState.STOPPED),
    (["pull_safety_key"], "stop", FAILED, MachineState.STOPPED),
    (["pull_safety_key"], "insert_safety_key", SUCCESS, MachineState.STOPPED),
    ([], "insert_safety_key", FAILED, MachineState.STOPPED),
    (["pull_safety_key", "insert_safety_key"], "start_or_resume", SUCCESS, MachineState.RUNNING),
]


@pytest.mark.parametrize(("scene", "command", "result", "state"), TRANSITIONS)
def test_command_results_and_states(
    scene: list[str], command: str, result: ResultCode, state: MachineState
) -> None:
    model = TreadmillModel()
    for setup in scene:
        assert getattr(model, setup)() is SUCCESS
    assert getattr(model, command)() is result
    assert model.state is state


# --- targets: range and rounding ----------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "result", "target"),
    [
        (5.0, SUCCESS, 5.0),
        (5.35, SUCCESS, 5.4),  # half rounds up, never truncates
        (5.34, SUCCESS, 5.3),
        (5.39, SUCCESS, 5.4),
        (4.2, SUCCESS, 4.2),
        (0.5, SUCCESS, 0.5),
        (16.0, SUCCESS, 16.0),
        (1600 * 0.01, SUCCESS, 16.0),
        (16.04, INVALID, 0.5),
        (0.49, INVALID, 0.5),
        (0.0, INVALID, 0.5),
        (-1.0, INVALID, 0.5),
        (math.nan, INVALID, 0.5),
        (math.inf, INVALID, 0.5),
    ],
)
def test_set_target_speed_range_and_rounding(
    requested: float, result: ResultCode, target: float
) -> None:
    model = TreadmillModel()
    model.start_or_resume()  # target becomes the min speed, 0.5
    assert model.set_target_speed(requested) is result
    assert model.snapshot().target_speed_kmh == target


@pytest.mark.parametrize(
    ("requested", "result", "target"),
    [
        (5.0, SUCCESS, 5.0),
        (2.3, SUCCESS, 2.5),
        (2.2, SUCCESS, 2.0),
        (2.25, SUCCESS, 2.5),
        (15.0, SUCCESS, 15.0),
        (0.0, SUCCESS, 0.0),
        (15.2, INVALID, 0.0),
        (-0.1, INVALID, 0.0),
        (math.nan, INVALID, 0.0),
    ],
)
def test_set_target_inclination_range_and_rounding(
    requested: float, result: ResultCode, target: float
) -> None:
    model = TreadmillModel()
    assert model.set_target_inclination(requested) is result
    assert model.snapshot().target_incline_pct == target


def test_grid_is_anchored_at_the_range_minimum() -> None:
    # Urevo E1L: 0.96–6.43 km/h in 0.32 km/h steps (0.6–4.0 mph in 0.2 mph), see FTMS.md.
    spec = TreadmillSpec(min_speed_kmh=0.96, max_speed_kmh=6.43, speed_increment_kmh=0.32)
    model = TreadmillModel(spec)
    model.start_or_resume()
    for requested, expected in [(1.0, 0.96), (1.2, 1.28), (6.43, 6.4), (3.5, 3.52)]:
        assert model.set_target_speed(requested) is SUCCESS
        assert model.snapshot().target_speed_kmh == expected


def test_a_max_off_the_grid_is_still_reachable() -> None:
    spec = TreadmillSpec(min_speed_kmh=1.0, max_speed_kmh=2.05, speed_increment_kmh=0.1)
    model = TreadmillModel(spec)
    model.start_or_resume()
    assert model.set_target_speed(2.05) is SUCCESS
    # 2.05 rounds half-up to 2.1, which is clamped back to the supported maximum.
    assert model.snapshot().target_speed_kmh == 2.05


def test_negative_inclines_when_the_spec_allows_them() -> None:
    model = TreadmillModel(TreadmillSpec(min_incline_pct=-3.0))
    assert model.set_target_inclination(-2.6) is SUCCESS
    assert model.snapshot().target_incline_pct == -2.5
    assert model.set_target_inclination(-3.1) is INVALID


# --- belt physics ---------------------------------------------------------------------------


def test_start_with_no_target_uses_the_min_speed() -> None:
    model, events = recording_model()
    assert model.start_or_resume() is SUCCESS
    assert model.snapshot().target_speed_kmh == 0.5
    assert events == [StartedByUser(CP), TargetSpeedChanged(0.5, CP)]
    model.step(10.0)
    assert model.snapshot().speed_kmh == 0.5


def test_belt_accelerates_at_the_motor_limit() -> None:
    model = TreadmillModel()
    model.start_or_resume()
    model.set_target_speed(10.0)
    model.step(4.0)
    assert model.snapshot().speed_kmh == pytest.approx(4.0)
    model.step(6.0)
    state = model.snapshot()
    assert state.speed_kmh == 10.0
    # A 0 → 10 km/h ramp over 10 s covers the area of the triangle.
    assert state.distance_m == pytest.approx(0.5 * 10.0 * 10.0 / 3.6)
    assert state.elapsed_s == 10.0


def test_belt_decelerates_at_the_motor_limit_when_the_target_drops() -> None:
    model = running_at(10.0)
    model.set_target_speed(4.0)
    model.step(2.0)
    assert model.snapshot().speed_kmh == pytest.approx(7.0)
    model.step(2.0)
    assert model.snapshot().speed_kmh == 4.0


def test_stop_is_immediate_but_the_belt_ramps_down() -> None:
    model, events = recording_model()
    model.start_or_resume()
    model.set_target_speed(9.0)
    model.step(30.0)
    events.clear()
    assert model.stop() is SUCCESS
    state = model.snapshot()
    assert state.state is MachineState.STOPPED
    assert state.target_speed_kmh == 0.0
    assert state.speed_kmh == 9.0
    assert events == [StoppedByUser(StopPause.STOP, CP)]
    elapsed = state.elapsed_s
    distance = state.distance_m
    model.step(2.0)
    state = model.snapshot()
    assert state.speed_kmh == pytest.approx(6.0)
    assert state.distance_m > distance  # the coasting belt still carries the runner
    assert state.elapsed_s == elapsed
    model.step(4.0)
    assert model.snapshot().speed_kmh == 0.0


def test_restart_after_stop_is_slow_again() -> None:
    model = running_at(12.0)
    model.stop()
    model.step(20.0)
    model.start_or_resume()
    assert model.snapshot().target_speed_kmh == 0.5


def test_a_target_set_while_stopped_is_used_by_the_next_start() -> None:
    model, events = recording_model()
    assert model.set_target_speed(3.0) is SUCCESS
    model.step(10.0)
    assert model.snapshot().speed_kmh == 0.0  # setting a speed never starts the belt
    assert model.start_or_resume() is SUCCESS
    assert events == [TargetSpeedChanged(3.0, CP), StartedByUser(CP)]
    model.step(10.0)
    assert model.snapshot().speed_kmh == 3.0


def test_pause_keeps_the_target_and_resume_returns_to_it() -> None:
    model, events = recording_model()
    model.start_or_resume()
    model.set_target_speed(6.0)
    model.step(10.0)
    events.clear()
    assert model.pause() is SUCCESS
    assert events == [StoppedByUser(StopPause.PAUSE, CP)]
    elapsed = model.snapshot().elapsed_s
    model.step(10.0)
    state = model.snapshot()
    assert state.state is MachineState.PAUSED
    assert state.speed_kmh == 0.0
    assert state.target_speed_kmh == 6.0
    assert state.elapsed_s == elapsed
    assert model.start_or_resume() is SUCCESS
    assert events[-1] == StartedByUser(CP)  # no target substitution on resume
    model.step(10.0)
    state = model.snapshot()
    assert state.speed_kmh == 6.0
    assert state.elapsed_s == elapsed + 10.0


def test_set_speed_while_paused_is_applied_on_resume() -> None:
    model = running_at(6.0)
    model.pause()
    assert model.set_target_speed(4.0) is SUCCESS
    model.step(10.0)
    assert model.snapshot().speed_kmh == 0.0
    model.start_or_resume()
    model.step(10.0)
    assert model.snapshot().speed_kmh == 4.0


def test_step_and_advance_to_validate_time() -> None:
    model = TreadmillModel(start_time=5.0)
    model.advance_to(7.5)
    assert model.now == 7.5
    model.step(0.5)
    assert model.now == 8.0
    with pytest.raises(ValueError, match="back"):
        model.advance_to(7.0)
    with pytest.raises(ValueError, match="back"):
        model.advance_to(math.nan)
    for dt in (-0.1, math.nan, math.inf):
        with pytest.raises(ValueError, match="step"):
            model.step(dt)


def test_advance_to_does_not_drift() -> None:
    model = TreadmillModel()
    for tick in range(1, 1001):
        model.advance_to(tick * 0.1)
    assert model.now == 1000 * 0.1


# --- incline motor -------------------------------------------------------------------------


def test_incline_moves_at_the_motor_rate_while_running() -> None:
    model = TreadmillModel()
    model.start_or_resume()
    model.set_target_inclination(5.0)
    model.step(4.0)
    assert model.snapshot().incline_pct == pytest.approx(2.0)
    model.step(10.0)
    assert model.snapshot().incline_pct == 5.0
    model.set_target_inclination(1.0)
    model.step(2.0)
    assert model.snapshot().incline_pct == pytest.approx(4.0)


def test_incline_waits_for_the_belt_to_run() -> None:
    model = TreadmillModel()
    assert model.set_target_inclination(5.0) is SUCCESS
    model.step(30.0)
    assert model.snapshot().incline_pct == 0.0
    model.start_or_resume()
    model.step(30.0)
    assert model.snapshot().incline_pct == 5.0


def test_pause_halts_the_incline_and_keeps_its_target() -> None:
    model = TreadmillModel()
    model.start_or_resume()
    model.set_target_inclination(5.0)
    model.step(2.0)
    model.pause()
    model.step(10.0)
    state = model.snapshot()
    assert state.incline_pct == pytest.approx(1.0)
    assert state.target_incline_pct == 5.0


def test_stop_freezes_the_incline_target_at_the_actual_incline() -> None:
    model, events = recording_model()
    model.start_or_resume()
    model.set_target_inclination(5.0)
    model.step(4.0)
    events.clear()
    model.stop()
    model.step(30.0)
    state = model.snapshot()
    assert state.incline_pct == pytest.approx(2.0)
    assert state.target_incline_pct == state.incline_pct
    assert events == [StoppedByUser(StopPause.STOP, CP)]  # the stop implies the new targets


# --- counters and energy --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("distance", "speed", "incline", "mass", "kcal"),
    [
        (10_000.0, 10.0, 0.0, 70.0, 700.0),  # running: 0.2 ml/kg/m
        (5_000.0, 5.0, 10.0, 70.0, 490.0),  # walking uphill: 0.1 + 1.8 * 0.10 ml/kg/m
        (5_000.0, 5.0, -10.0, 70.0, 175.0),  # downhill is costed as level
        (1_000.0, 12.0, 5.0, 80.0, 0.245 * 80 * 5),  # running uphill: 0.2 + 0.9 * 0.05
        (0.0, 12.0, 5.0, 80.0, 0.0),
    ],
)
def test_energy_formula(
    distance: float, speed: float, incline: float, mass: float, kcal: float
) -> None:
    assert energy_kcal(distance, speed, incline, mass) == pytest.approx(kcal)


def test_energy_integrates_over_a_session() -> None:
    model = TreadmillModel(body_mass_kg=70.0)
    model.start_or_resume()
    model.set_target_speed(10.0)
    model.step(10.0)  # the ramp
    before = model.snapshot()
    model.step(3600.0)
    after = model.snapshot()
    assert after.distance_m - before.distance_m == pytest.approx(10_000.0)
    assert after.energy_kcal - before.energy_kcal == pytest.approx(700.0)


def test_nothing_accrues_while_stopped() -> None:
    model = TreadmillModel()
    model.step(100.0)
    assert model.snapshot() == TreadmillModel().snapshot()


def test_reset_zeroes_counters_and_restores_default_targets() -> None:
    model, events = recording_model()
    model.start_or_resume()
    model.set_target_speed(8.0)
    model.set_target_inclination(4.0)
    model.step(60.0)
    events.clear()
    assert model.reset() is SUCCESS
    state = model.snapshot()
    assert events == [MachineReset(CP)]
    assert state.state is MachineState.STOPPED
    assert (state.distance_m, state.elapsed_s, state.energy_kcal) == (0.0, 0.0, 0.0)
    assert (state.target_speed_kmh, state.target_incline_pct) == (0.0, 0.0)
    assert state.speed_kmh == 8.0  # ramps down like a stop
    assert state.incline_pct == 4.0  # the motor does not move while stopped
    model.step(60.0)
    state = model.snapshot()
    assert state.speed_kmh == 0.0
    assert state.elapsed_s == 0.0
    model.start_or_resume()
    model.step(60.0)
    assert model.snapshot().incline_pct == 0.0


# --- safety key -----------------------------------------------------------------------------


def test_safety_key_stops_hard_and_blocks_starting() -> None:
    model, events = recording_model()
    model.start_or_resume()
    model.set_target_speed(12.0)
    model.set_target_inclination(3.0)
    model.step(30.0)
    events.clear()
    assert model.pull_safety_key() is SUCCESS
    assert events == [StoppedBySafetyKey(CONSOLE)]
    state = model.snapshot()
    assert state.state is MachineState.STOPPED
    assert not state.safety_key_in
    assert state.target_speed_kmh == 0.0
    assert state.target_incline_pct == 3.0
    model.step(2.0)
    assert model.snapshot().speed_kmh == pytest.approx(6.0)  # 3 km/h/s, not 1.5
    model.step(2.0)
    assert model.snapshot().speed_kmh == 0.0
    assert model.start_or_resume() is FAILED
    assert model.console_start() is FAILED
    assert model.insert_safety_key() is SUCCESS
    assert events == [StoppedBySafetyKey(CONSOLE)]  # inserting the key is not a status change
    model.step(10.0)
    assert model.snapshot().speed_kmh == 0.0  # the key alone does not start the belt
    assert model.start_or_resume() is SUCCESS
    model.step(10.0)
    assert model.snapshot().speed_kmh == 0.5


def test_hard_braking_ends_when_the_belt_is_at_rest() -> None:
    model = running_at(6.0)
    model.pull_safety_key()
    model.step(10.0)
    model.insert_safety_key()
    model.start_or_resume()
    model.set_target_speed(6.0)
    model.step(10.0)
    model.stop()
    model.step(2.0)
    assert model.snapshot().speed_kmh == pytest.approx(3.0)  # normal 1.5 km/h/s again


def test_safety_key_pulled_while_coasting_brakes_harder() -> None:
    model = running_at(9.0)
    model.stop()
    model.step(1.0)
    assert model.snapshot().speed_kmh == pytest.approx(7.5)
    model.pull_safety_key()
    model.step(1.0)
    assert model.snapshot().speed_kmh == pytest.approx(4.5)


def test_safety_key_clears_a_target_set_while_stopped() -> None:
    model = TreadmillModel()
    model.set_target_speed(8.0)
    model.pull_safety_key()
    model.insert_safety_key()
    model.start_or_resume()
    assert model.snapshot().target_speed_kmh == 0.5


# --- events and origins ---------------------------------------------------------------------


def test_console_actions_are_tagged_console() -> None:
    model, events = recording_model()
    assert model.console_start() is SUCCESS
    assert model.console_set_speed(4.0) is SUCCESS
    assert model.console_set_incline(2.0) is SUCCESS
    assert model.console_pause() is SUCCESS
    assert model.console_stop() is SUCCESS
    assert events == [
        StartedByUser(CONSOLE),
        TargetSpeedChanged(0.5, CONSOLE),
        TargetSpeedChanged(4.0, CONSOLE),
        TargetInclineChanged(2.0, CONSOLE),
        StoppedByUser(StopPause.PAUSE, CONSOLE),
        StoppedByUser(StopPause.STOP, CONSOLE),
    ]


def test_events_only_when_a_target_actually_changes() -> None:
    model, events = recording_model()
    model.start_or_resume()
    events.clear()
    model.set_target_speed(5.0)
    model.set_target_speed(5.02)  # rounds to the same 5.0
    model.set_target_inclination(0.0)  # already the target
    model.set_target_speed(99.0)  # refused
    assert events == [TargetSpeedChanged(5.0, CP)]


def test_refused_commands_emit_nothing() -> None:
    model, events = recording_model()
    model.stop()
    model.pause()
    model.insert_safety_key()
    model.set_target_inclination(40.0)
    assert events == []


def test_listeners_see_the_new_state_and_can_be_removed() -> None:
    model = TreadmillModel()
    seen: list[tuple[StatusEvent, MachineState, float]] = []

    def listener(event: StatusEvent) -> None:
        snapshot = model.snapshot()
        seen.append((event, snapshot.state, snapshot.target_speed_kmh))

    model.add_listener(listener)
    model.start_or_resume()
    assert seen == [
        (StartedByUser(CP), MachineState.RUNNING, 0.5),
        (TargetSpeedChanged(0.5, CP), MachineState.RUNNING, 0.5),
    ]
    model.remove_listener(listener)
    model.stop()
    assert len(seen) == 2


def test_a_listener_may_remove_itself_while_called() -> None:
    model = TreadmillModel()
    calls: list[StatusEvent] = []

    def once(event: StatusEvent) -> None:
        calls.append(event)
        model.remove_listener(once)

    other: list[StatusEvent] = []
    model.add_listener(once)
    model.add_listener(other.append)
    model.start_or_resume()
    assert calls == [StartedByUser(CP)]
    assert other == [StartedByUser(CP), TargetSpeedChanged(0.5, CP)]


# --- quirks ---------------------------------------------------------------------------------


def test_quirk_ignores_speed_while_stopped() -> None:
    model, events = recording_model(TreadmillSpec(ignores_speed_while_stopped=True))
    assert model.set_target_speed(5.0) is SUCCESS
    assert model.snapshot().target_speed_kmh == 0.0
    assert events == []
    assert model.set_target_speed(50.0) is INVALID  # the range is still checked
    model.start_or_resume()
    assert model.snapshot().target_speed_kmh == 0.5
    assert model.set_target_speed(5.0) is SUCCESS  # once running, speed works
    model.pause()
    assert model.set_target_speed(4.0) is SUCCESS  # paused is not stopped
    assert model.snapshot().target_speed_kmh == 4.0


def test_quirk_needs_start_before_speed() -> None:
    model, events = recording_model(TreadmillSpec(needs_start_before_speed=True))
    assert model.set_target_speed(5.0) is FAILED
    assert model.set_target_speed(50.0) is INVALID
    assert model.snapshot().target_speed_kmh == 0.0
    assert events == []
    model.start_or_resume()
    assert model.set_target_speed(5.0) is SUCCESS
    model.stop()
    assert model.console_set_speed(5.0) is FAILED


# --- properties -----------------------------------------------------------------------------

NO_ARG_COMMANDS = [
    "start_or_resume",
    "stop",
    "pause",
    "reset",
    "console_start",
    "console_stop",
    "console_pause",
    "pull_safety_key",
    "insert_safety_key",
]
START_COMMANDS = {"start_or_resume", "console_start"}

commands = st.one_of(
    st.tuples(st.sampled_from(NO_ARG_COMMANDS), st.none()),
    st.tuples(
        st.sampled_from(["set_target_speed", "console_set_speed"]),
        st.one_of(st.floats(-1.0, 20.0), st.just(math.nan)),
    ),
    st.tuples(
        st.sampled_from(["set_target_inclination", "console_set_incline"]),
        st.floats(-5.0, 20.0),
    ),
)
time_steps = st.one_of(st.just(0.0), st.floats(0.0, 1.0), st.floats(0.0, 60.0))
specs = st.builds(
    lambda quirk, accel, decel, extra_braking, incline_rate, min_incline: TreadmillSpec(
        accel_kmh_per_s=accel,
        decel_kmh_per_s=decel,
        safety_decel_kmh_per_s=decel + extra_braking,
        incline_rate_pct_per_s=incline_rate,
        min_incline_pct=min_incline,
        ignores_speed_while_stopped=quirk == "ignores",
        needs_start_before_speed=quirk == "needs_start",
    ),
    st.sampled_from(["none", "ignores", "needs_start"]),
    st.floats(0.1, 5.0),
    st.floats(0.1, 5.0),
    st.floats(0.0, 5.0),
    st.floats(0.05, 2.0),
    st.sampled_from([0.0, -3.0]),
)
scenarios = st.lists(st.tuples(commands, time_steps), max_size=40)

TOL = 1e-9


def apply(model: TreadmillModel, name: str, argument: float | None) -> ResultCode:
    method = getattr(model, name)
    result: ResultCode = method() if argument is None else method(argument)
    return result


def on_grid(value: float, low: float, high: float, step: float) -> bool:
    if value == high:
        return True
    steps = (value - low) / step
    return low - TOL <= value <= high + TOL and abs(steps - round(steps)) < 1e-6


@given(spec=specs, scenario=scenarios)
def test_invariants_hold_for_any_command_sequence(
    spec: TreadmillSpec, scenario: list[tuple[tuple[str, float | None], float]]
) -> None:
    model = TreadmillModel(spec)
    key_ever_pulled = False
    for (name, argument), dt in scenario:
        before = model.snapshot()
        result = apply(model, name, argument)
        after = model.snapshot()
        assert result in (SUCCESS, INVALID, FAILED)
        key_ever_pulled |= name == "pull_safety_key"

        # Commands are instantaneous: only a reset touches the counters, nothing moves.
        assert after.speed_kmh == before.speed_kmh
        assert after.incline_pct == before.incline_pct
        if name != "reset":
            assert (after.distance_m, after.elapsed_s, after.energy_kcal) == (
                before.distance_m,
                before.elapsed_s,
                before.energy_kcal,
            )
        # Nothing but a start command makes the machine run.
        if after.state is MachineState.RUNNING and before.state is not MachineState.RUNNING:
            assert name in START_COMMANDS
            assert result is SUCCESS
        # The safety key blocks every start.
        if not before.safety_key_in and name in START_COMMANDS:
            assert result is FAILED
        if not after.safety_key_in:
            assert after.state is MachineState.STOPPED
        # Quirks: while stopped, a valid set-speed either has no effect or is refused.
        if before.state is MachineState.STOPPED and name.endswith("speed") and result is SUCCESS:
            assert not spec.needs_start_before_speed
            if spec.ignores_speed_while_stopped:
                assert after.target_speed_kmh == before.target_speed_kmh
        if result is not SUCCESS:
            assert after == before
        # Targets are always supported values.
        assert after.target_speed_kmh == 0.0 or on_grid(
            after.target_speed_kmh, spec.min_speed_kmh, spec.max_speed_kmh, spec.speed_increment_kmh
        )
        if after.state is MachineState.RUNNING:
            assert after.target_speed_kmh >= spec.min_speed_kmh

        model.step(dt)
        stepped = model.snapshot()
        assert stepped.state is after.state

        # The belt motor's limits are never exceeded.
        change = stepped.speed_kmh - after.speed_kmh
        assert change <= spec.accel_kmh_per_s * dt + TOL
        assert -change <= spec.safety_decel_kmh_per_s * dt + TOL
        if not key_ever_pulled:
            assert -change <= spec.decel_kmh_per_s * dt + TOL
        assert 0.0 <= stepped.speed_kmh <= spec.max_speed_kmh
        if change > 0:
            assert stepped.state is MachineState.RUNNING
        if stepped.state is not MachineState.RUNNING:
            assert stepped.speed_kmh <= after.speed_kmh
        # The incline motor only moves while running, at its rate, within the range.
        incline_change = abs(stepped.incline_pct - after.incline_pct)
        assert incline_change <= spec.incline_rate_pct_per_s * dt + TOL
        if stepped.state is not MachineState.RUNNING:
            assert incline_change == 0.0
        assert spec.min_incline_pct - TOL <= stepped.incline_pct <= spec.max_incline_pct + TOL
        # Counters are monotone; elapsed time counts only while running.
        assert stepped.distance_m >= after.distance_m
        assert stepped.energy_kcal >= after.energy_kcal
        if stepped.state is MachineState.RUNNING:
            assert stepped.elapsed_s == pytest.approx(after.elapsed_s + dt)
        else:
            assert stepped.elapsed_s == after.elapsed_s


@given(spec=specs, scenario=scenarios, stopper=st.sampled_from(["stop", "pull_safety_key"]))
def test_a_stop_always_brings_the_belt_to_rest(
    spec: TreadmillSpec,
    scenario: list[tuple[tuple[str, float | None], float]],
    stopper: str,
) -> None:
    model = TreadmillModel(spec)
    for (name, argument), dt in scenario:
        apply(model, name, argument)
        model.step(dt)
    getattr(model, stopper)()  # may fail if already stopped; the belt must still come to rest
    assert model.state is MachineState.STOPPED
    speed = model.snapshot().speed_kmh
    model.step(speed / min(spec.decel_kmh_per_s, spec.safety_decel_kmh_per_s) + 1e-6)
    assert model.snapshot().speed_kmh == 0.0
    model.step(100.0)
    assert model.snapshot().speed_kmh == 0.0


@given(
    spec=specs,
    target=st.floats(0.5, 16.0),
    incline=st.floats(0.0, 15.0),
    cuts=st.lists(st.floats(0.0, 1.0), max_size=20),
    total=st.floats(0.0, 40.0),
)
def test_results_do_not_depend_on_step_size(
    spec: TreadmillSpec, target: float, incline: float, cuts: list[float], total: float
) -> None:
    def fresh() -> TreadmillModel:
        model = TreadmillModel(spec)
        model.start_or_resume()
        model.set_target_speed(target)
        model.set_target_inclination(incline)
        return model

    whole = fresh()
    whole.advance_to(total)
    pieces = fresh()
    for instant in sorted(cut * total for cut in cuts):
        pieces.advance_to(instant)
    pieces.advance_to(total)
    one, many = whole.snapshot(), pieces.snapshot()
    assert many.speed_kmh == pytest.approx(one.speed_kmh, abs=1e-9)
    assert many.incline_pct == pytest.approx(one.incline_pct, abs=1e-9)
    assert many.distance_m == pytest.approx(one.distance_m, rel=1e-9, abs=1e-9)
    assert many.elapsed_s == pytest.approx(one.elapsed_s)
