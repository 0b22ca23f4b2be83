"""The session runner (treadctl.session.runner) end to end: governor, real link, virtual
treadmill over real GATT.

Every scenario runs a `SessionRunner` against a `VirtualWorld` on a `ManualClock`
(`tests.helpers.session`); simulated time moves only in the driver's 0.25 s steps, so a stop's
cause can be placed in a chosen phase — ramping up, steady, turning around, paused — and the
belt watched for minutes afterwards in milliseconds of real time. What the treadmill received
comes from its trace; what the person would feel comes from the belt model.

The stop-path matrix (`test_every_stop_path_in_every_phase`) checks for each cause: the belt
ends stopped, nothing restarts it, the user's resume starts from the start speed, and the
session log is complete with the end reason `classify_stop` gives. Heart rate, the backward
budget and lost control slow or keep the belt rather than stop it; they have tests of their own.
A heart-rate strap attached to and detached from a runner is at the end.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from protocols.ftms import OpCode, ResultCode
from tests.helpers.ftms_client import WAIT, run
from tests.helpers.session import (
    START_SPEED_KMH,
    TOLERANCE_KMH,
    Scenario,
    assert_log_complete,
    assert_resumes_from_start_speed,
    assert_stays_stopped,
    program,
    session,
)
from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.link import BleakBackends, HeartRateLink
from treadctl.program import Program, builtin_programs, clamp
from treadctl.recorder import read_session_log
from treadctl.safety import NoticeKind, StopReason
from treadctl.session import (
    Countdown,
    EndReason,
    NoticeRaised,
    Progress,
    SegmentStarted,
    SessionRunner,
    SessionState,
    StateChanged,
    classify_stop,
)
from treadctl.virtual.treadmill import MachineState

# Forward 4 km/h, then a turnaround to backward 3 km/h, then forward again.
TURN = program(
    """
name = "Turn"

[[steps]]
label = "Forward"
direction = "forward"
speed = "4 km/h"
duration = "60 s"

[[steps]]
label = "Backward"
direction = "backward"
speed = "3 km/h"
duration = "60 s"

[[steps]]
label = "Forward again"
direction = "forward"
speed = "3 km/h"
duration = "60 s"
"""
)

TURNAROUND_KMH = DEFAULT_LIMITS.turnaround_speed_kmh
WALKING_KMH = DEFAULT_LIMITS.walking_speed_kmh


def state_of(scn: Scenario) -> SessionState:
    """The runner's state, read through a call (so type checkers do not narrow it)."""
    return scn.runner.state


def notices(scn: Scenario, kind: NoticeKind, after: int = 0) -> list[NoticeRaised]:
    return [e for e in scn.events.of(NoticeRaised, after) if e.notice.kind is kind]


# --- phases ------------------------------------------------------------------------------------


async def reach(scn: Scenario, phase: str) -> None:
    """Drive the TURN session into ``phase``."""
    if phase == "ramping":
        await scn.until(lambda: scn.belt.speed_kmh >= 2.0, 10.0, "ramping")
        assert scn.runner.governor.commanded_speed_kmh < 4.0
    elif phase == "steady":
        await scn.run_for(20.0 - scn.now)
        assert scn.belt.speed_kmh == 4.0 and scn.runner.state is SessionState.RUNNING
    elif phase == "turnaround":
        await scn.until(
            lambda: (
                scn.runner.state is SessionState.TURNAROUND and scn.belt.speed_kmh <= TURNAROUND_KMH
            ),
            90.0,
            "turning around",
        )
        assert scn.runner.governor.direction is Direction.FORWARD  # not flipped yet
    elif phase == "paused":
        await reach(scn, "steady")
        scn.runner.pause()
        await scn.until(
            lambda: scn.belt.state is MachineState.PAUSED and scn.belt.speed_kmh == 0.0,
            10.0,
            "paused",
        )
        assert scn.runner.state is SessionState.STOPPED
    else:  # pragma: no cover - a typo in a parametrization
        raise ValueError(phase)


# --- stop paths --------------------------------------------------------------------------------


async def _app_stop(scn: Scenario) -> None:
    scn.runner.stop()


async def _estop(scn: Scenario) -> None:
    scn.runner.estop()


async def _pause(scn: Scenario) -> None:
    scn.runner.pause()


async def _console_stop(scn: Scenario) -> None:
    assert scn.world.treadmill.console_stop() is ResultCode.SUCCESS


async def _console_pause(scn: Scenario) -> None:
    assert scn.world.treadmill.console_pause() is ResultCode.SUCCESS


async def _safety_key(scn: Scenario) -> None:
    assert scn.world.treadmill.pull_safety_key() is ResultCode.SUCCESS


async def _drop_link(scn: Scenario) -> None:
    await scn.world.treadmill.drop_link()


async def _silence(scn: Scenario) -> None:
    scn.world.treadmill.faults.silent = True


async def _refuse(scn: Scenario) -> None:
    scn.world.treadmill.faults.refuse(ResultCode.OPERATION_FAILED, ops=[OpCode.SET_TARGET_SPEED])


async def _no_answer(scn: Scenario) -> None:
    scn.world.treadmill.faults.ignore_commands(count=1)


async def _nothing(scn: Scenario) -> None:
    pass


async def _clear_faults(scn: Scenario) -> None:
    scn.world.treadmill.faults.clear()


async def _insert_key(scn: Scenario) -> None:
    assert scn.world.treadmill.insert_safety_key() is ResultCode.SUCCESS


@dataclass(frozen=True)
class StopPath:
    name: str
    trigger: Callable[[Scenario], Awaitable[None]]
    reason: StopReason
    end: str  # the end reason classify_stop gives
    phases: tuple[str, ...] = ("ramping", "steady", "turnaround", "paused")
    before_resume: Callable[[Scenario], Awaitable[None]] = _nothing
    # A command fault bites at the next command: in steady, the turnaround's slow-down at 60 s.
    within: float = 30.0


MOVING = ("ramping", "steady", "turnaround")
STOP_PATHS = (
    StopPath("app_stop", _app_stop, StopReason.APP_STOP, "stopped"),
    StopPath("estop", _estop, StopReason.ESTOP, "stopped"),
    StopPath("user_pause", _pause, StopReason.USER_PAUSE, "stopped", MOVING),
    StopPath("console_stop", _console_stop, StopReason.CONSOLE_STOP, "stopped"),
    # A console pause needs a running belt (the treadmill refuses it while paused).
    StopPath("console_pause", _console_pause, StopReason.CONSOLE_PAUSE, "stopped", MOVING),
    StopPath(
        "safety_key",
        _safety_key,
        StopReason.SAFETY_KEY,
        "aborted",
        before_resume=_insert_key,
    ),
    StopPath("link_loss", _drop_link, StopReason.LINK_LOST, "aborted"),
    # The watchdog watches a moving belt only.
    StopPath(
        "watchdog", _silence, StopReason.WATCHDOG, "aborted", MOVING, before_resume=_clear_faults
    ),
    StopPath(
        "refused_command",
        _refuse,
        StopReason.COMMAND_FAILED,
        "aborted",
        MOVING,
        before_resume=_clear_faults,
        within=60.0,
    ),
    StopPath(
        "no_answer",
        _no_answer,
        StopReason.COMMAND_FAILED,
        "aborted",
        MOVING,
        before_resume=_clear_faults,
        within=60.0,
    ),
)
MATRIX = [
    pytest.param(path, phase, id=f"{path.name}-{phase}")
    for path in STOP_PATHS
    for phase in path.phases
]


@pytest.mark.parametrize(("path", "phase"), MATRIX)
def test_every_stop_path_in_every_phase(path: StopPath, phase: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, phase)
            since = scn.now
            records_before = len(scn.trace.records)
            links_before = len(scn.link_events)
            marker = scn.events.mark()
            await path.trigger(scn)
            if path.reason is StopReason.LINK_LOST:
                await scn.reconnected(links_before)
            await assert_stays_stopped(scn, since, within=path.within)

            assert scn.runner.state is SessionState.STOPPED
            assert scn.runner.governor.stop_reason is path.reason
            stopped = [
                e for e in scn.events.of(StateChanged, marker) if e.state is SessionState.STOPPED
            ]
            if phase != "paused":
                assert stopped and stopped[0].stop_reason is path.reason
            if path.reason is StopReason.LINK_LOST:
                after = [r for r in scn.trace.records[records_before:] if r["kind"] == "write"]
                first = [w["op"] for w in after if w["op"] != "request_control"]
                assert first[:1] == ["stop"], "the first command after the reconnect"
                assert notices(scn, NoticeKind.LINK_LOST, marker)
                assert notices(scn, NoticeKind.LINK_RESTORED, marker)
            end = classify_stop(scn.runner.governor.stop_reason)
            assert end.value == path.end

            await path.before_resume(scn)
            await assert_resumes_from_start_speed(scn)
            assert scn.runner.state in (SessionState.RUNNING, SessionState.TURNAROUND)

            log = await scn.finish(end)
            assert scn.belt.state is not MachineState.RUNNING
            assert_log_complete(scn, log, end_reason=path.end)
            reasons = {n.get("reason") for n in log.of_kind("notice")}
            if phase != "paused":
                assert path.reason.value in reasons

    run(scenario)


def test_finishing_while_stopped_ends_with_the_classified_reason(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "steady")
            scn.world.treadmill.pull_safety_key()
            await assert_stays_stopped(scn, scn.now, hold_s=5.0)
            log = await scn.finish(classify_stop(scn.runner.governor.stop_reason))
            assert_log_complete(scn, log, end_reason="aborted")
            assert log.end is not None and log.end["summary"]["stop_reason"] == "safety_key"
            assert scn.task.result() is EndReason.ABORTED

    run(scenario)


# --- slow-downs that are not stops -------------------------------------------------------------


@pytest.mark.parametrize("phase", ["ramping", "steady", "turnaround", "paused"])
def test_heart_rate_over_max_slows_to_walking_until_the_user_resumes(
    phase: str, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN, Limits(max_heart_rate_bpm=150)) as scn:
            await reach(scn, phase)
            marker = scn.events.mark()
            scn.world.treadmill.heart_rate_bpm = 170
            if phase == "paused":
                await assert_stays_stopped(scn, scn.now, hold_s=30.0)
                assert notices(scn, NoticeKind.HEART_RATE_HIGH, marker) == []
                # Resumed with the heart rate still high: starts slow, and stays there.
                await assert_resumes_from_start_speed(scn)
                await scn.until(lambda: scn.runner.governor.heart_rate_hold, 5.0, "held")
                since = scn.now
                await scn.run_for(30.0)
                assert scn.trace.speeds_sent(since) == []
                assert max(b.speed_kmh for b in scn.belt_since(since)) <= START_SPEED_KMH
                return
            await scn.until(
                lambda: bool(notices(scn, NoticeKind.HEART_RATE_HIGH, marker)), 5.0, "told"
            )
            since = scn.now
            await scn.until(lambda: scn.belt.speed_kmh <= WALKING_KMH, 10.0, "slowed")
            slowed = scn.now
            await scn.run_for(120.0)  # across segment changes and turnarounds
            sent = scn.trace.speeds_sent(since)
            assert all(b <= a for a, b in itertools.pairwise(sent)), sent
            assert all(v <= WALKING_KMH for v in sent)
            assert "start_or_resume" not in scn.trace.ops(since)
            assert max(b.speed_kmh for b in scn.belt_since(slowed)) <= WALKING_KMH
            assert scn.belt.state is MachineState.RUNNING  # slowed, not stopped

            # The user rests, the heart rate comes down, the user resumes: speed may rise
            # again, one ramp step at a time.
            scn.world.treadmill.heart_rate_bpm = 120
            await scn.run_for(5.0)
            assert scn.runner.governor.heart_rate_hold
            commanded = scn.runner.governor.commanded_speed_kmh
            since = scn.now
            scn.runner.start()
            await scn.run_for(20.0)
            rises = scn.trace.speeds_sent(since)
            if rises:  # a program still asking for more than walking speed
                limit = DEFAULT_LIMITS.accel(scn.runner.governor.direction)
                assert rises[0] <= commanded + limit + TOLERANCE_KMH
            assert not scn.runner.governor.heart_rate_hold

    run(scenario)


def test_heart_rate_backward_slows_to_the_turnaround_speed(tmp_path: Path) -> None:
    backward = program(
        """
name = "Backward"
[[steps]]
direction = "backward"
speed = "4 km/h"
duration = "5 min"
"""
    )

    async def scenario() -> None:
        async with session(tmp_path, backward, Limits(max_heart_rate_bpm=150)) as scn:
            await scn.until(lambda: scn.belt.speed_kmh == 4.0, 30.0, "at 4 km/h backward")
            scn.world.treadmill.heart_rate_bpm = 171
            await scn.run_for(10.0)
            assert scn.belt.speed_kmh <= TURNAROUND_KMH
            assert scn.runner.governor.direction is Direction.BACKWARD

    run(scenario)


def test_a_heart_rate_hold_pauses_the_program(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN, Limits(max_heart_rate_bpm=150)) as scn:
            await reach(scn, "steady")
            scn.world.treadmill.heart_rate_bpm = 170
            await scn.until(lambda: scn.runner.governor.heart_rate_hold, 5.0, "held")
            await scn.run_for(120.0)
            assert scn.runner.segment_index == 0  # the program waits for the user's resume

    run(scenario)


BACKWARD_FIRST = program(
    """
name = "Backward first"

[[steps]]
label = "Backward"
direction = "backward"
speed = "3 km/h"
duration = "2 min"

[[steps]]
label = "Forward"
direction = "forward"
speed = "4 km/h"
duration = "1 min"

[[steps]]
label = "Backward again"
direction = "backward"
speed = "3 km/h"
duration = "1 min"
"""
)


@pytest.mark.parametrize(("phase", "budget_min"), [("ramping", 0.1), ("steady", 0.5)])
def test_backward_budget_turns_the_rest_into_forward_walking(
    phase: str, budget_min: float, tmp_path: Path
) -> None:
    limits = Limits(backward_minutes_per_session=budget_min)

    async def scenario() -> None:
        async with session(tmp_path, BACKWARD_FIRST, limits) as scn:
            await scn.until(
                lambda: bool(notices(scn, NoticeKind.BACKWARD_BUDGET_EXHAUSTED)),
                budget_min * 60 + 5,
                "out of backward minutes",
            )
            spent = scn.now
            if phase == "ramping":
                assert scn.runner.governor.commanded_speed_kmh < 3.0
            else:
                assert scn.belt.speed_kmh == 3.0
            # A turnaround: slow to the turnaround speed, hold it, then face forward.
            flipped = await scn.until(
                lambda: scn.runner.governor.direction is Direction.FORWARD, 15.0, "flipped"
            )
            held = [b.speed_kmh for t, b in scn.belt_log if spent + 2.0 <= t <= flipped]
            assert held and max(held) <= TURNAROUND_KMH
            assert flipped - spent >= DEFAULT_LIMITS.turnaround_hold_s
            # The rest of the session is forward; the "backward" steps walk forward.
            await scn.until(lambda: scn.runner.segment_index == 2, 200.0, "in the last step")
            last = scn.now
            await scn.run_for(30.0)
            assert scn.runner.governor.direction is Direction.FORWARD
            assert max(b.speed_kmh for b in scn.belt_since(last + 2.0)) <= WALKING_KMH
            assert scn.belt.state is MachineState.RUNNING  # slowed, never stopped
            # The turnaround that ends it is still facing backward.
            turnaround = DEFAULT_LIMITS.turnaround_hold_s + 2.0
            assert scn.runner.governor.backward_seconds <= budget_min * 60 + turnaround
            log = await scn.finish()
            assert_log_complete(scn, log, end_reason="stopped")
            assert "backward_budget_exhausted" in {n["notice"] for n in log.of_kind("notice")}

    run(scenario)


@pytest.mark.parametrize("phase", ["ramping", "steady", "turnaround", "paused"])
def test_lost_control_is_asked_for_again_and_the_session_goes_on(
    phase: str, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, phase)
            since = scn.now
            marker = scn.events.mark()
            scn.world.treadmill.lose_control()
            if phase == "paused":
                await assert_stays_stopped(scn, since, hold_s=30.0)
                await assert_resumes_from_start_speed(scn)
            else:
                await scn.run_for(70.0)  # through the next command
                changes = scn.events.of(StateChanged, marker)
                assert all(e.state is not SessionState.STOPPED for e in changes)
            ops = scn.trace.ops(since)
            assert ops[0] == "request_control", ops
            assert all(w["result"] == "success" for w in scn.trace.writes(since))

    run(scenario)


# --- a stop while a start is still on its way to the treadmill --------------------------------


@pytest.mark.parametrize("stop", ["estop", "stop", "pause"])
def test_a_stop_during_the_start_sequence_is_not_undone(stop: str, tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN, start=False) as scn:
            # Answers 0.5 s late (a slow BLE link) keep the start sequence in flight.
            scn.world.treadmill.faults.answer_delay(0.5)
            scn.runner.start()
            await scn.clock.settle()
            assert scn.trace.ops() == ["request_control"]  # the start is under way
            since = scn.now
            getattr(scn.runner, stop)()
            await assert_stays_stopped(scn, since, hold_s=30.0)

    run(scenario)


def test_a_pause_while_the_start_is_in_flight_stays_a_pause(tmp_path: Path) -> None:
    # P pressed while the treadmill has the start command but has not answered it: the start
    # completes after the pause, and the belt is halted again — paused, as asked, not stopped.
    async def scenario() -> None:
        async with session(tmp_path, TURN, start=False) as scn:
            scn.world.treadmill.faults.answer_delay(0.5)
            scn.runner.start()
            await scn.until(
                lambda: "start_or_resume" in scn.trace.ops(), within=10.0, what="the start write"
            )
            paused_at = scn.now
            scn.runner.pause()
            await scn.run_for(30.0)
            assert scn.runner.governor.stop_reason is StopReason.USER_PAUSE
            assert scn.belt.state is MachineState.PAUSED and scn.belt.speed_kmh == 0.0
            ops = scn.trace.ops(paused_at)
            assert "stop" not in ops
            assert ops.count("pause") >= 1
            # Whatever the start did once it landed, the belt is halted within a second and
            # never runs again.
            later = [b for t, b in scn.belt_log if t > paused_at + 1.0]
            assert later and all(b.state is not MachineState.RUNNING for b in later)

    run(scenario)


def test_a_console_stop_during_a_resume_is_not_undone(tmp_path: Path) -> None:
    # The person resumes in the app, then at once presses Stop on the treadmill (the belt is
    # paused, so the console's Stop is accepted) while the app's resume is still under way.
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "paused")
            scn.world.treadmill.faults.answer_delay(0.5)
            since = scn.now
            scn.runner.start()
            await scn.clock.settle()
            assert scn.trace.ops(since)[:1] in (["request_control"], ["set_target_speed"])
            assert scn.world.treadmill.console_stop() is ResultCode.SUCCESS
            await assert_stays_stopped(scn, since, hold_s=30.0)
            assert scn.runner.governor.stop_reason is StopReason.CONSOLE_STOP

    run(scenario)


@pytest.mark.parametrize("cause", ["kingsmith", "speed_refused_while_paused"])
def test_a_resume_after_a_pause_never_asks_for_more_than_the_start_speed(
    cause: str, tmp_path: Path
) -> None:
    quirks = "kingsmith" if cause == "kingsmith" else "standard"

    async def scenario() -> None:
        async with session(tmp_path, TURN, quirks=quirks) as scn:
            await reach(scn, "paused")
            assert scn.belt.target_speed_kmh == 4.0  # FTMS pause keeps the target
            # Answers 0.5 s late (a slow BLE link) make each procedure take clock time.
            scn.world.treadmill.faults.answer_delay(0.5)
            if cause == "speed_refused_while_paused":
                scn.world.treadmill.faults.refuse(
                    ResultCode.OPERATION_FAILED, ops=[OpCode.SET_TARGET_SPEED]
                )
            since = scn.now
            scn.runner.start()
            await scn.run_for(10.0)
            sent = scn.trace.writes(since)
            start = next(w["clock"] for w in sent if w["op"] == "start_or_resume")
            speed = next(
                w["clock"] for w in sent if w["op"] == "set_target_speed" and w["clock"] > start
            )
            # Between the start and the speed that follows it, the belt's own target.
            window = [b for t, b in scn.belt_log if start <= t < speed]
            assert window and all(b.state is MachineState.RUNNING for b in window)
            assert max(b.target_speed_kmh for b in window) <= START_SPEED_KMH

    run(scenario)


# --- program mechanics -------------------------------------------------------------------------


ZIGZAG = program(
    """
name = "Zigzag"

[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "30 s"

[[steps]]
repeat = 2
  [[steps.steps]]
  direction = "backward"
  speed = "3 km/h"
  duration = "30 s"
  [[steps.steps]]
  direction = "forward"
  speed = "5 km/h"
  incline = "2 %"
  duration = "30 s"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "30 s"
"""
)


def test_a_turnaround_comes_before_every_direction_change(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, ZIGZAG) as scn:
            await scn.until(scn.task.done, 400.0, "complete")
            assert scn.task.result() is EndReason.COMPLETED
            changes = [
                e
                for e in scn.events.of(SegmentStarted)
                if e.planned.index > 0
                and e.planned.segment.direction
                is not scn.runner.plan[e.planned.index - 1].segment.direction
            ]
            assert len(changes) == 4
            for change in changes:
                begin = change.t
                slow = next(t for t, b in scn.belt_log if t >= begin and b.speed_kmh <= 2.0)
                faster = next(
                    t for t, b in scn.belt_log if t > slow and b.speed_kmh > 2.0 + TOLERANCE_KMH
                )
                assert faster - slow >= DEFAULT_LIMITS.turnaround_hold_s, (begin, slow, faster)
                # The treadmill was told nothing faster than the turnaround speed meanwhile.
                sent = [
                    w["value"]
                    for w in scn.trace.writes(begin)
                    if w["op"] == "set_target_speed" and w["clock"] < faster - 1.0
                ]
                assert sent and max(sent) <= TURNAROUND_KMH
                countdown = [
                    n.notice.data["seconds"]
                    for n in scn.events.of(NoticeRaised)
                    if n.notice.kind is NoticeKind.TURNAROUND_COUNTDOWN and begin <= n.t < faster
                ]
                assert countdown == [5, 4, 3, 2, 1]
            backward = scn.trace.speeds_sent()
            assert max(backward) <= 5.0

    run(scenario)


def test_countdowns_precede_every_segment_change(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, ZIGZAG) as scn:
            await scn.until(scn.task.done, 400.0, "complete")
            items = scn.events.items
            starts = [i for i, e in enumerate(items) if isinstance(e, SegmentStarted)]
            for before, at in itertools.pairwise(starts):
                seg = items[at]
                assert isinstance(seg, SegmentStarted)
                counts = [e for e in items[before:at] if isinstance(e, Countdown)]
                assert [c.seconds for c in counts] == [3, 2, 1], seg.planned.index
                assert all(c.next == seg.planned for c in counts)
                previous = scn.runner.plan[seg.planned.index - 1].segment
                turn = previous.direction is not seg.planned.segment.direction
                assert all(c.turnaround is turn for c in counts)
                assert seg.t - counts[0].t == pytest.approx(3.0, abs=0.3)
            last = [e for e in items[starts[-1] :] if isinstance(e, Countdown)]
            assert [c.seconds for c in last] == [3, 2, 1] and last[0].next is None

    run(scenario)


def test_skip_goes_to_the_next_segment_now(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, ZIGZAG) as scn:
            await scn.run_for(10.0)
            scn.runner.skip()
            assert scn.runner.segment_index == 1
            started = scn.events.of(SegmentStarted)
            assert [e.planned.index for e in started] == [0, 1]
            assert started[1].t == pytest.approx(10.0)
            await scn.until(
                lambda: scn.runner.state is SessionState.TURNAROUND, 1.0, "turning around"
            )
            log = await scn.finish()
            assert [s["index"] for s in log.of_kind("segment")] == [0, 1]

    run(scenario)


def test_extend_makes_the_segment_longer_or_shorter(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, ZIGZAG) as scn:
            await scn.run_for(10.0)
            scn.runner.extend(20.0)
            await scn.until(lambda: scn.runner.segment_index == 1, 60.0, "in step 2")
            assert scn.events.of(SegmentStarted)[1].t == pytest.approx(50.0, abs=0.5)
            # Shorter: the backward step (30 s, counted from the flip) is cut by 20 s.
            flipped = await scn.until(
                lambda: scn.runner.governor.direction is Direction.BACKWARD, 15.0, "flipped"
            )
            scn.runner.extend(-20.0)
            await scn.until(lambda: scn.runner.segment_index == 2, 30.0, "in step 3")
            assert scn.events.of(SegmentStarted)[2].t - flipped == pytest.approx(10.0, abs=0.6)

    run(scenario)


DISTANCE = program(
    """
name = "Distance"

[[steps]]
direction = "forward"
speed = "4 km/h"
distance = "150 m"

[[steps]]
direction = "backward"
speed = "2.5 km/h"
distance = "50 m"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "20 s"
"""
)


@pytest.mark.parametrize("quirks", ["standard", "urevo-e1l"])
def test_distance_segments_end_on_the_measured_distance(quirks: str, tmp_path: Path) -> None:
    # The Urevo E1L counts distance in 10 m steps: the segment still ends on what it reports.
    async def scenario() -> None:
        async with session(tmp_path, DISTANCE, quirks=quirks) as scn:
            await scn.until(scn.task.done, 400.0, "complete")
            assert scn.task.result() is EndReason.COMPLETED
            started = {e.planned.index: e.t for e in scn.events.of(SegmentStarted)}

            def belt_distance(at: float) -> float:
                return next(b.distance_m for t, b in scn.belt_log if t >= at)

            first = belt_distance(started[1])
            assert 150.0 <= first <= 150.0 + 12.0, first
            # The backward step counts from its flip (the turnaround is not part of it).
            flip = next(
                n.t
                for n in scn.events.of(NoticeRaised)
                if n.notice.kind is NoticeKind.DIRECTION_CHANGED and n.t >= started[1]
            )
            second = belt_distance(started[2]) - belt_distance(flip)
            # A 10 m counter step that began during the turnaround is counted after the flip.
            step = 10.0 if quirks == "urevo-e1l" else 1.0
            assert 50.0 - step <= second <= 50.0 + 12.0, second
            assert scn.runner.summary(EndReason.COMPLETED).segments_completed == 3

    run(scenario)


def test_extend_a_distance_segment_by_time_at_its_speed(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, DISTANCE) as scn:
            await scn.run_for(5.0)
            scn.runner.extend(36.0)  # 36 s at 4 km/h: 40 m more
            await scn.until(lambda: scn.runner.segment_index == 1, 300.0, "in step 2")
            assert 190.0 <= scn.belt.distance_m <= 195.0

    run(scenario)


def test_manual_mode_ramps_within_the_limits(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, None) as scn:
            await scn.run_for(3.0)
            assert scn.trace.speeds_sent() == [START_SPEED_KMH, START_SPEED_KMH]
            scn.runner.set_manual(8.0, 3.0, Direction.FORWARD)
            await scn.until(lambda: scn.belt.speed_kmh == 8.0, 60.0, "at 8 km/h")
            await scn.run_for(5.0)
            assert_ramp(scn, 0.0, DEFAULT_LIMITS.forward_accel_kmh_per_s)
            inclines = [
                (w["clock"], w["value"])
                for w in scn.trace.writes()
                if w["op"] == "set_target_inclination"
            ]
            assert inclines[-1][1] == 3.0
            for (t0, a), (t1, b) in itertools.pairwise(inclines):
                assert b - a <= DEFAULT_LIMITS.incline_rate_pct_per_s + 1e-9 and t1 - t0 >= 1.0

            # Backward: a turnaround first, the incline brought within the backward cap, and
            # the gentler backward ramp; a request beyond the cap is clamped with a notice.
            marker = scn.events.mark()
            turn = scn.now
            scn.runner.set_manual(9.0, 8.0, Direction.BACKWARD)
            assert notices(scn, NoticeKind.SPEED_CLAMPED, marker)
            assert notices(scn, NoticeKind.INCLINE_CLAMPED, marker)
            flipped = await scn.until(
                lambda: scn.runner.governor.direction is Direction.BACKWARD, 20.0, "flipped"
            )
            await scn.until(lambda: scn.belt.speed_kmh == 6.0, 60.0, "at the backward cap")
            await scn.run_for(5.0)
            assert scn.trace.speeds_sent(turn)[0] <= TURNAROUND_KMH
            # On the treadmill's 0.1 km/h grid a 0.25 km/h step cannot be exact: over any
            # stretch the rate holds, to within one grid step (see the xfail test below).
            sent = [
                (w["clock"], w["value"])
                for w in scn.trace.writes(flipped)
                if w["op"] == "set_target_speed" and w["result"] == "success"
            ]
            accel = DEFAULT_LIMITS.backward_accel_kmh_per_s
            for i, (t0, a) in enumerate(sent):
                for t1, b in sent[i + 1 :]:
                    assert b - a <= accel * max(1.0, t1 - t0) + 0.1 + 1e-9, (t0, a, t1, b)
            assert max(b.speed_kmh for b in scn.belt_since(flipped)) <= 6.0
            assert max(b.target_incline_pct for b in scn.belt_since(flipped)) <= 5.0
            log = await scn.finish()
            assert_log_complete(scn, log, end_reason="stopped")

    run(scenario)


def assert_ramp(scn: Scenario, since: float, accel: float) -> None:
    """Speed increases sent since ``since``: each ≤ one second of ``accel``, ≥ 1 s apart."""
    sent = [
        (w["clock"], w["value"])
        for w in scn.trace.writes(since)
        if w["op"] == "set_target_speed" and w["result"] == "success"
    ]
    rises = [(t1 - t0, b - a) for (t0, a), (t1, b) in itertools.pairwise(sent) if b > a]
    assert rises
    assert all(step <= accel + 1e-9 for _, step in rises), rises
    assert all(gap >= 1.0 - 1e-9 for gap, _ in rises), rises


def test_no_speed_step_on_the_wire_exceeds_one_second_of_acceleration(tmp_path: Path) -> None:
    backward = program(
        """
name = "Backward ramp"
[[steps]]
direction = "backward"
speed = "4 km/h"
duration = "1 min"
"""
    )

    async def scenario() -> None:
        async with session(tmp_path, backward) as scn:
            await scn.until(lambda: scn.belt.speed_kmh == 4.0, 30.0, "at 4 km/h")
            assert_ramp(scn, 0.0, DEFAULT_LIMITS.backward_accel_kmh_per_s)

    run(scenario)


def test_ramp_steps_reach_a_slow_treadmill_no_faster_than_the_acceleration(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, TURN, start=False) as scn:
            # Each answer 0.3 s late: a slow BLE link (the start sequence takes 1.2 s).
            scn.world.treadmill.faults.answer_delay(0.3)
            scn.runner.start()
            await scn.until(lambda: scn.belt.speed_kmh == 4.0, 30.0, "at 4 km/h")
            assert_ramp(scn, 0.0, DEFAULT_LIMITS.forward_accel_kmh_per_s)

    run(scenario)


RESTS = program(
    """
name = "With a rest"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "30 s"

[[steps]]
rest = true
duration = "20 s"
cue = "Drink"

[[steps]]
direction = "backward"
speed = "2 km/h"
duration = "30 s"
"""
)


def test_a_rest_stops_the_belt_and_waits_for_the_user(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, RESTS) as scn:
            rest = await scn.until(lambda: scn.runner.segment_index == 1, 40.0, "resting")
            assert scn.runner.state is SessionState.RESTING
            states = [e.state for e in scn.events.of(StateChanged) if e.t >= rest]
            assert states[0] is SessionState.RESTING  # never a STOPPED that would end a run
            await assert_stays_stopped(scn, rest, hold_s=20.0)
            assert notices(scn, NoticeKind.REST_OVER)
            assert state_of(scn) is SessionState.STOPPED
            assert scn.runner.segment_index == 2
            await scn.run_for(120.0)  # the user takes longer: nothing moves
            assert scn.belt.speed_kmh == 0.0 and scn.belt.state is not MachineState.RUNNING
            assert "start_or_resume" not in scn.trace.ops(rest)
            await assert_resumes_from_start_speed(scn)
            await scn.until(scn.task.done, 60.0, "complete")
            assert scn.task.result() is EndReason.COMPLETED
            assert scn.recorder.path is not None

    run(scenario)


def test_resume_during_a_rest_ends_it_early(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, RESTS) as scn:
            await scn.until(lambda: scn.runner.segment_index == 1, 40.0, "resting")
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 10.0, "stopped")
            await assert_resumes_from_start_speed(scn)
            assert scn.runner.segment_index == 2
            assert notices(scn, NoticeKind.REST_OVER)[0].notice.message == "Rest ended."

    run(scenario)


# --- built-in programs ---------------------------------------------------------------------


# All seven run in about 25 s together (1.5-3 s for each 30-minute one, 8 s for the two-hour
# one, at 1 Hz data): cheap enough for the default run.
BUILTINS = builtin_programs()


def test_every_builtin_program_validates() -> None:
    programs = builtin_programs()  # a ProgramError here names the file, step and field
    assert len(programs) >= 7
    for prog in programs:
        assert prog.segments() and prog.estimated_duration_s() > 0
        clamped, _ = clamp(prog, DEFAULT_LIMITS)
        assert len(clamped.segments()) == len(prog.segments())


@pytest.mark.parametrize("prog", BUILTINS, ids=lambda p: Path(p.source or "").stem)
def test_builtin_program_runs_to_completion(prog: Program, tmp_path: Path) -> None:
    rests = sum(1 for p in prog.segments() if p.segment.rest)
    last_is_rest = prog.segments()[-1].segment.rest

    async def scenario() -> None:
        async with session(tmp_path, prog, data_rate_hz=1.0) as scn:
            deadline = prog.estimated_duration_s() + 30 * 60
            resumes = 0
            began = time.perf_counter()
            while not scn.task.done():
                state, reason = scn.runner.state, scn.runner.governor.stop_reason
                if state is SessionState.STOPPED and reason is not StopReason.PROGRAM_END:
                    # Only a rest that is over may wait for the user; anything else is a fault.
                    # (At the program's end the belt is stopping: the session ends once it is
                    # seen still.)
                    assert reason is StopReason.PROGRAM_REST, reason
                    scn.runner.start()
                    resumes += 1
                assert scn.now < deadline, f"still running at {scn.now} s"
                await scn.step(1.0)
            elapsed = time.perf_counter() - began
            print(f"{Path(prog.source or '').stem}: {scn.now:.0f} s simulated in {elapsed:.1f} s")
            assert scn.task.result() is EndReason.COMPLETED
            assert resumes == rests - (1 if last_is_rest else 0)
            assert scn.belt.state is not MachineState.RUNNING
            assert scn.recorder.path is not None
            log = read_session_log(scn.recorder.path)
            assert_log_complete(scn, log, end_reason="completed")
            summary = log.end["summary"] if log.end else {}
            assert summary["segments_completed"] == len(prog.segments())
            budget = DEFAULT_LIMITS.backward_minutes_per_session
            assert summary["backward_minutes"] <= budget + 0.1
            for sample in log.of_kind("sample"):
                cap = DEFAULT_LIMITS.max_speed(Direction(sample["direction"]))
                assert (sample["speed_kmh"] or 0.0) <= cap + 0.3, sample
            if prog.backward_minutes() > budget:
                assert "backward_budget_exhausted" in {n["notice"] for n in log.of_kind("notice")}

    run(scenario)


def test_a_strap_feeds_heart_rate_and_its_loss_is_not_a_link_loss(tmp_path: Path) -> None:
    from treadctl.link import BleakBackends, HeartRateLink

    async def scenario() -> None:
        async with session(tmp_path, TURN, Limits(max_heart_rate_bpm=150), with_strap=True) as scn:
            strap_world = scn.world.strap
            assert strap_world is not None and scn.world.strap_address is not None
            strap = HeartRateLink(
                scn.clock,
                backends=BleakBackends.of(scn.world),
            )
            await strap.connect(scn.world.strap_address)
            scn.runner.attach_heart_rate(strap)
            await reach(scn, "steady")
            strap_world.bpm = 170
            await scn.until(lambda: scn.runner.governor.heart_rate_hold, 10.0, "held")
            await strap.disconnect()
            await scn.run_for(2.0)
            assert scn.runner.governor.stop_reason is None  # still running, held

    run(scenario)


def test_progress_carries_session_distance_and_time_left(tmp_path: Path) -> None:
    from treadctl.session import Progress

    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "steady")
            progress = scn.events.of(Progress)
            first, last = progress[0], progress[-1]
            assert last.distance_m > first.distance_m >= 0
            assert first.session_remaining_s is not None and last.session_remaining_s is not None
            assert last.session_remaining_s < first.session_remaining_s
            total = sum(p.segment.estimated_duration_s() for p in scn.runner.plan)
            assert first.session_remaining_s <= total + 1e-6

    run(scenario)


def test_a_crash_in_the_tick_ends_the_session_and_stops_the_belt(tmp_path: Path) -> None:
    # A programming error inside the tick (here: a recorder that raises something it never
    # should) must end the session with the belt stopped, not leave it running unwatched.
    from treadctl.recorder import SessionRecorder

    class ExplodingRecorder(SessionRecorder):
        armed = False

        def flush_if_due(self) -> bool:
            if self.armed:
                self.armed = False  # once: the point is what the runner does next
                raise RuntimeError("bug")
            return super().flush_if_due()

    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "steady")
            recorder = ExplodingRecorder(tmp_path / "other", scn.clock)
            recorder.start({"program": None, "limits": {}})
            scn.runner._recorder = recorder  # the tick's only call into the recorder
            recorder.armed = True
            await scn.run_for(3.0)
            assert scn.runner.end_reason is EndReason.ABORTED
            await scn.run_for(5.0)
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


def test_a_stop_after_the_session_finished_still_reaches_the_belt(tmp_path: Path) -> None:
    # Found by the app benchmark: a stop arriving between SessionFinished and run()'s return
    # raised on the closed log before the stop was sent.
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "steady")
            scn.runner.finish()
            await scn.until(lambda: scn.runner.state is SessionState.FINISHED, 10.0, "finished")
            scn.runner.estop()  # must not raise
            await scn.run_for(3.0)
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


def test_a_runner_finished_before_it_runs_ends_at_once_and_starts_nothing(tmp_path: Path) -> None:
    # Found moving `treadctl run` onto the application core: the idle runner made at connect
    # was replaced before its run() began; its finish was dropped, and it stayed on the link
    # next to the program's runner for good.
    async def scenario() -> None:
        async with session(tmp_path, TURN, start=False) as scn:
            late = SessionRunner(scn.link, scn.clock, Limits(), TURN)
            late.finish(EndReason.STOPPED)
            since = scn.now
            # Bounded: before the fix, run() waited for a finish that had been dropped.
            reason = await asyncio.wait_for(late.run(start=True), WAIT)
            assert reason is EndReason.STOPPED
            assert late.state is SessionState.FINISHED
            await scn.run_for(3.0)
            assert "start_or_resume" not in scn.trace.ops(since)
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


# --- a heart-rate strap attached and detached --------------------------------------------------

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "5 min"
"""
)

STRAP_BPM = 131
HAND_GRIP_BPM = 88


def test_a_detached_strap_no_longer_counts(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK, with_strap=True) as scn:
            assert scn.world.strap is not None and scn.world.strap_address is not None
            scn.world.strap.bpm = STRAP_BPM
            scn.world.treadmill.heart_rate_bpm = HAND_GRIP_BPM
            strap = HeartRateLink(
                scn.clock,
                backends=BleakBackends.of(scn.world),
            )
            await strap.connect(scn.world.strap_address)
            scn.runner.attach_heart_rate(strap)

            def last_hr() -> int | None:
                progress = scn.events.of(Progress)
                return progress[-1].heart_rate_bpm if progress else None

            await scn.until(lambda: last_hr() == STRAP_BPM, 10.0, "on the strap's heart rate")
            scn.runner.detach_heart_rate(strap)
            mark = scn.events.mark()
            await scn.until(lambda: bool(scn.events.of(Progress, mark)), 5.0, "a sample")
            # At once, not after the 5 s a strap reading stays fresh for.
            assert scn.events.of(Progress, mark)[0].heart_rate_bpm == HAND_GRIP_BPM
            await scn.run_for(3.0)  # the strap keeps sending: none of it reaches the runner
            assert {p.heart_rate_bpm for p in scn.events.of(Progress, mark)} == {HAND_GRIP_BPM}
            scn.runner.detach_heart_rate(strap)  # twice: harmless
            await strap.disconnect()

    run(scenario)


def test_ending_a_session_stops_a_belt_started_at_the_console_after_a_stop(
    tmp_path: Path,
) -> None:
    # The session is stopped (latched) and its belt seen still; someone starts the belt at the
    # console; the person ends the session. The end decides on the measured belt, not on the
    # governor's phase: before, it left this belt running and called the session "stopped".
    async def scenario() -> None:
        async with session(tmp_path, TURN) as scn:
            await reach(scn, "steady")
            scn.runner.stop()
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "stopped")
            await scn.run_for(2.0)
            assert scn.runner.governor.stop_confirmed
            scn.world.treadmill.console_start()
            await scn.run_for(3.0)
            assert scn.belt.state is MachineState.RUNNING and scn.belt.speed_kmh > 0
            since = scn.now
            log = await scn.finish()
            assert "stop" in scn.trace.ops(since)
            assert scn.world.model.state is MachineState.STOPPED
            assert log.end is not None and log.end["reason"] == "stopped"

    run(scenario)
