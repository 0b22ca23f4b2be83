"""The session scenario driver and the shared stop assertions (tests.helpers.session), tested.

A helper that is wrong makes every test that uses it wrong: a driver that moves time by more
than it says, a bound that never trips, or an assertion that passes whatever the belt did would
turn the runner's stop-path matrix into a list of tests that cannot fail. So each piece is shown
doing what its docstring says on a real session, and each shared assertion is shown to *fail*
on a scenario that breaks its rule, at the check that owns that rule.

The helper module is not rewritten by pytest (only test modules are), so a bare ``assert`` in it
raises an empty AssertionError; `failed_at` names the helper's line that raised instead.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from pathlib import Path

import pytest

import tests.helpers.session as session_helpers
from protocols.ftms import OpCode, ResultCode
from tests.helpers.ftms_client import run
from tests.helpers.session import (
    START_SPEED_KMH,
    STEP_S,
    Scenario,
    assert_log_complete,
    assert_resumes_from_start_speed,
    assert_stays_stopped,
    program,
    session,
)
from treadctl.limits import Direction, Limits
from treadctl.link import Reconnected
from treadctl.recorder import SessionLog, read_session_log
from treadctl.session import EndReason, SegmentStarted, SessionState
from treadctl.virtual.treadmill import MachineState

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "4 km/h"
duration = "10 min"
""",
    source="walk.toml",
)


def failed_at(info: pytest.ExceptionInfo[AssertionError]) -> str:
    """The source line in the helper that raised (its bare asserts carry no message)."""
    return str(info.traceback[-1].statement).strip()


async def steady(scn: Scenario) -> None:
    """Drive until the belt runs at the program's 4 km/h."""
    await scn.until(lambda: scn.belt.speed_kmh == 4.0, 30.0, "at 4 km/h")


async def at_rest(scn: Scenario) -> float:
    """Drive until the belt no longer runs and has slowed to 0; the time it did."""
    return await scn.until(
        lambda: scn.belt.state is not MachineState.RUNNING and scn.belt.speed_kmh == 0.0,
        30.0,
        "at rest",
    )


# --- program ------------------------------------------------------------------------------------


def test_program_parses_toml_and_keeps_its_source() -> None:
    assert WALK.name == "Walk" and WALK.source == "walk.toml"
    (planned,) = WALK.segments()
    assert planned.segment.speed_kmh == 4.0


# --- the driver ---------------------------------------------------------------------------------


def test_time_moves_only_in_driver_steps_and_each_step_notes_the_belt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            t0, logged = scn.now, len(scn.belt_log)
            await asyncio.sleep(0.05)  # the loop's time passing moves nothing
            assert scn.now == t0
            await scn.step()
            assert scn.now == t0 + STEP_S
            assert scn.belt_log[-1] == (scn.now, scn.belt)
            await scn.run_for(1.0)  # exactly four steps
            assert scn.now == t0 + 5 * STEP_S and len(scn.belt_log) == logged + 5
            await scn.run_for(0.3)  # a part of a step is a whole step
            assert scn.now == t0 + 7 * STEP_S and len(scn.belt_log) == logged + 7
            await scn.run_for(0.0)
            assert scn.now == t0 + 7 * STEP_S
            times = [t for t, _ in scn.belt_log]
            assert all(b - a == STEP_S for a, b in itertools.pairwise(times))
            assert scn.belt_since(t0 + 6 * STEP_S) == [b for _, b in scn.belt_log[-2:]]

    run(scenario)


def test_until_returns_the_time_it_was_done_without_a_step_more(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            t0 = scn.now
            assert await scn.until(lambda: True, 0.0, "already") == t0
            assert scn.now == t0  # done at once: no step taken
            done = await scn.until(lambda: scn.belt.speed_kmh >= 2.0, 30.0, "at 2 km/h")
            assert done == scn.now and scn.belt.speed_kmh >= 2.0
            assert scn.belt_log[-2][1].speed_kmh < 2.0  # the step before was not done yet
            assert await scn.until_state(SessionState.RUNNING) == scn.now

    run(scenario)


def test_until_fails_at_its_bound_in_simulated_seconds(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            t0 = scn.now
            with pytest.raises(AssertionError, match=r"not never within 2\.0 s \(t=") as info:
                await scn.until(lambda: False, 2.0, "never")
            assert "belt RUNNING at" in str(info.value)
            assert scn.now == t0 + 2.0  # not a step past the bound
            with pytest.raises(AssertionError, match=r"not in finished within 1\.0 s"):
                await scn.until_state(SessionState.FINISHED, within=1.0)
            assert scn.now == t0 + 3.0

    run(scenario)


def test_events_and_trace_keep_what_happened_in_order(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            (started,) = scn.events.of(SegmentStarted)
            assert started.planned.segment.label == "Walk"
            mark = scn.events.mark()
            assert mark == len(scn.events.items) and scn.events.of(SegmentStarted, mark) == []
            ops = scn.trace.ops()
            assert ops[0] == "request_control" and "start_or_resume" in ops
            # The ramp up to 4 km/h: every speed the treadmill took, in order, ending at 4.
            speeds = scn.trace.speeds_sent()
            assert speeds == sorted(speeds) and speeds[-1] == 4.0
            clocks = [r["clock"] for r in scn.trace.records]
            assert clocks == sorted(clocks) and clocks[-1] <= scn.now
            # The belt is traced once per simulated second.
            since = scn.now
            await scn.run_for(5.0)
            assert 4 <= len(scn.trace.belt(since)) <= 6
            assert all(r["clock"] >= since for r in scn.trace.belt(since))

    run(scenario)


def test_speeds_sent_leave_out_the_speeds_the_treadmill_refused(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, None) as scn:  # manual mode: speeds on request
            await scn.run_for(3.0)
            assert scn.trace.speeds_sent() == [START_SPEED_KMH, START_SPEED_KMH]
            scn.world.treadmill.faults.refuse(
                ResultCode.OPERATION_FAILED, ops=[OpCode.SET_TARGET_SPEED]
            )
            since = scn.now
            scn.runner.set_manual(3.0, 0.0, Direction.FORWARD)
            await scn.run_for(2.0)
            refused = [w for w in scn.trace.writes(since) if w["op"] == "set_target_speed"]
            assert refused and {w["result"] for w in refused} == {"operation_failed"}
            assert scn.trace.speeds_sent(since) == []
            assert scn.trace.ops(since) == [w["op"] for w in scn.trace.writes(since)]

    run(scenario)


# --- the session's life -------------------------------------------------------------------------


def test_a_session_left_unfinished_is_finished_on_exit(tmp_path: Path) -> None:
    scenarios: list[Scenario] = []

    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            scenarios.append(scn)
            await steady(scn)

    run(scenario)
    (scn,) = scenarios
    assert scn.task.done() and scn.task.result() is EndReason.STOPPED
    assert scn.recorder.path is not None
    log = read_session_log(scn.recorder.path)
    assert log.end is not None and log.end["reason"] == "stopped"


def test_finish_ends_the_session_as_the_user_would_and_reads_its_log(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            log = await scn.finish(EndReason.COMPLETED)
            assert scn.task.done() and scn.task.result() is EndReason.COMPLETED
            assert log.end is not None and log.end["reason"] == "completed"
            assert scn.recorder.path is not None and log.path == scn.recorder.path

    run(scenario)


def test_reconnected_finds_the_links_reconnect(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            mark = len(scn.link_events)
            await scn.world.treadmill.drop_link()
            event = await scn.reconnected(mark)
            assert isinstance(event, Reconnected) and event in scn.link_events[mark:]

    run(scenario)


def test_reconnected_is_bounded_in_the_loops_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_helpers, "WAIT", 0.2)

    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            with pytest.raises(TimeoutError):
                await scn.reconnected()  # nothing dropped: no reconnect ever comes

    run(scenario)


# --- assert_stays_stopped -----------------------------------------------------------------------


def test_assert_stays_stopped_passes_on_a_stop(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            since = scn.now
            scn.runner.stop()
            stopped_at = await assert_stays_stopped(scn, since, hold_s=10.0)
            assert since < stopped_at < since + 30.0
            assert scn.now >= stopped_at + 10.0

    run(scenario)


def test_assert_stays_stopped_fails_when_nothing_stops_the_belt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            with pytest.raises(AssertionError, match=r"not stopped within 3\.0 s"):
                await assert_stays_stopped(scn, scn.now, within=3.0, hold_s=10.0)

    run(scenario)


def test_assert_stays_stopped_fails_when_the_belt_is_started_again(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            since = scn.now
            scn.runner.stop()
            await at_rest(scn)

            async def restart_from_the_console() -> None:
                await scn.clock.sleep(2.0)
                assert scn.world.treadmill.console_start() is ResultCode.SUCCESS

            restart = asyncio.ensure_future(restart_from_the_console())
            with pytest.raises(AssertionError, match="the belt ran again"):
                await assert_stays_stopped(scn, since, hold_s=10.0)
            await restart

    run(scenario)


def test_assert_stays_stopped_fails_when_a_start_reaches_the_treadmill(tmp_path: Path) -> None:
    # The safety key is out: the treadmill refuses the start and the belt never moves, so only
    # the trace shows that a start was sent after the stop's cause.
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            since = scn.now
            assert scn.world.treadmill.pull_safety_key() is ResultCode.SUCCESS
            await at_rest(scn)
            await scn.run_for(2.0)  # the runner has taken the stop in
            scn.runner.start()
            with pytest.raises(AssertionError) as info:
                await assert_stays_stopped(scn, since, hold_s=10.0)
            assert scn.belt.state is not MachineState.RUNNING  # the model saw nothing
            assert failed_at(info) == 'assert "start_or_resume" not in scn.trace.ops(since)'
            (start,) = [w for w in scn.trace.writes(since) if w["op"] == "start_or_resume"]
            assert start["result"] == "operation_failed"

    run(scenario)


# --- assert_resumes_from_start_speed ------------------------------------------------------------


def test_assert_resumes_from_start_speed_passes_on_a_resume(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            scn.runner.pause()
            await at_rest(scn)
            since = scn.now
            started = await assert_resumes_from_start_speed(scn)
            assert started > since and scn.belt.state is MachineState.RUNNING

    run(scenario)


def test_assert_resumes_from_start_speed_fails_on_a_faster_first_speed(tmp_path: Path) -> None:
    # Limits with a start speed above the default one: the runner resumes at 2 km/h, over the
    # START_SPEED_KMH the assertion holds every resume to.
    fast_start = Limits(start_speed_kmh=2 * START_SPEED_KMH)

    async def scenario() -> None:
        async with session(tmp_path, WALK, fast_start) as scn:
            await steady(scn)
            scn.runner.pause()
            await at_rest(scn)
            with pytest.raises(AssertionError, match=r"first speed after the start was 2\.0"):
                await assert_resumes_from_start_speed(scn)

    run(scenario)


def test_assert_resumes_from_start_speed_fails_when_the_belt_does_not_start(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            await steady(scn)
            assert scn.world.treadmill.pull_safety_key() is ResultCode.SUCCESS
            await at_rest(scn)
            with pytest.raises(AssertionError, match=r"not running again within 5\.0 s"):
                await assert_resumes_from_start_speed(scn, within=5.0)

    run(scenario)


# --- assert_log_complete ------------------------------------------------------------------------


async def finished_log_lines(scn: Scenario) -> list[str]:
    """Run the session a while, finish it, check its log is complete; its lines."""
    await steady(scn)
    await scn.run_for(5.0)
    log = await scn.finish()
    assert_log_complete(scn, log, end_reason="stopped")
    return log.path.read_text(encoding="utf-8").splitlines(keepends=True)


def damaged(tmp_path: Path, lines: list[str], keep: Callable[[int, str], bool]) -> SessionLog:
    """The log made of the ``lines`` that ``keep(index, line)`` keeps."""
    path = tmp_path / "damaged" / "log.jsonl"
    path.parent.mkdir(exist_ok=True)
    path.write_text("".join(line for i, line in enumerate(lines) if keep(i, line)), "utf-8")
    return read_session_log(path)


def test_assert_log_complete_fails_on_a_log_without_its_end_record(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            lines = await finished_log_lines(scn)
            log = damaged(tmp_path, lines, lambda i, _: i < len(lines) - 1)
            assert log.end is None
            with pytest.raises(AssertionError, match="no end record"):
                assert_log_complete(scn, log, end_reason="stopped")

    run(scenario)


def test_assert_log_complete_fails_on_another_end_reason(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            log = damaged(tmp_path, await finished_log_lines(scn), lambda _, __: True)
            with pytest.raises(AssertionError) as info:
                assert_log_complete(scn, log, end_reason="completed")
            assert failed_at(info) == 'assert end["reason"] == end_reason'

    run(scenario)


def test_assert_log_complete_fails_on_a_log_missing_a_command(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            lines = await finished_log_lines(scn)
            first = next(i for i, line in enumerate(lines) if '"kind":"command"' in line)
            log = damaged(tmp_path, lines, lambda i, _: i != first)
            with pytest.raises(AssertionError, match="a command is missing from the log"):
                assert_log_complete(scn, log, end_reason="stopped")

    run(scenario)


def test_assert_log_complete_fails_on_a_log_missing_samples(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            lines = await finished_log_lines(scn)
            # Every other sample: one sample at the end's moment may be in the log or not, so
            # one missing sample can pass; half of them cannot.
            samples = [i for i, line in enumerate(lines) if '"kind":"sample"' in line]
            log = damaged(tmp_path, lines, lambda i, _: i not in samples[::2])
            with pytest.raises(AssertionError) as info:
                assert_log_complete(scn, log, end_reason="stopped")
            assert failed_at(info).startswith("assert samples and before_end <= len(samples)")

    run(scenario)


def test_assert_log_complete_fails_on_a_log_missing_one_sample(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with session(tmp_path, WALK) as scn:
            lines = await finished_log_lines(scn)
            whole = damaged(tmp_path, lines, lambda _, __: True)
            assert whole.end is not None
            assert whole.of_kind("sample")[-1]["t"] == whole.end["t"]  # what the slack is for
            samples = [i for i, line in enumerate(lines) if '"kind":"sample"' in line]
            log = damaged(tmp_path, lines, lambda i, _: i != samples[len(samples) // 2])
            with pytest.raises(AssertionError):
                assert_log_complete(scn, log, end_reason="stopped")

    run(scenario)
