"""Safety bugs the end-to-end safety fuzzer found (``tests/safety_fuzz``), each reproduced here
through the core on the virtual treadmill, in the shape the fuzzer's seed showed it.

Real core, real link, real GATT to the virtual treadmill, on a ManualClock; every check reads
the belt the treadmill's model says the person stands on. Each test failed before its fix.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from tests.helpers.core import core_scenario
from tests.helpers.ftms_client import run
from tests.helpers.session import program
from tests.treadctl.core.test_closed_loop import EIGHT
from treadctl.core import (
    Disconnected,
    EndReason,
    Message,
    Reconnected,
    SessionEnded,
    SessionKind,
    SessionStarted,
)
from treadctl.virtual.treadmill import MachineState

WALK = program(
    """
name = "Walk"

[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "10 min"
"""
)


def test_a_resume_while_a_finished_session_winds_down_moves_nothing(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_program(WALK)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at 4 km/h")
            mark = scn.events.mark()
            scn.core.finish_session()
            await scn.step()  # the stop is out; the belt slows, the session winds down
            assert scn.belt.speed_kmh > 0.5
            scn.core.resume()  # pressed as "session ended" shows
            await scn.until_event(SessionEnded, mark, within=40.0)
            await scn.run_for(10.0)
            assert scn.belt.speed_kmh == 0.0
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


def test_a_stop_while_a_new_session_waits_for_the_old_one_holds_its_start(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_program(WALK)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at 4 km/h")
            mark = scn.events.mark()
            scn.core.start_program(EIGHT)  # the old session winds down first
            await scn.step()
            scn.core.stop()  # before the new one has begun
            await scn.until_event(SessionStarted, mark, within=40.0)
            await scn.run_for(20.0)
            assert scn.core.session_kind is SessionKind.PROGRAM
            assert scn.belt.speed_kmh == 0.0  # opened, not started
            said = [e.text for e in scn.events.of(Message, mark)]
            assert any("press Start" in text for text in said)
            assert not any("Not connected" in text for text in said)
            scn.core.resume()  # the person starts it
            await scn.until(lambda: scn.belt.speed_kmh > 0.5, 20.0, "started")

    run(scenario)


def test_a_session_finished_while_the_link_is_down_is_aborted_and_stopped_when_back(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_program(WALK)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at 4 km/h")
            mark = scn.events.mark()
            await scn.world.treadmill.drop_link()
            await scn.event(Disconnected, mark)
            scn.core.finish_session()
            ended = await scn.until_event(SessionEnded, mark, within=10.0)
            assert ended.finished.reason is EndReason.ABORTED  # not seen still: never "stopped"
            assert scn.belt.speed_kmh > 3.0  # the virtual belt ran on meanwhile
            await scn.event(Reconnected, mark)
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 20.0, "stopped when back")

    run(scenario)


def test_with_late_answers_no_speed_overtaken_by_a_slow_down_reaches_the_belt(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_manual()
            await scn.until(lambda: scn.belt.state is MachineState.RUNNING, 10.0, "running")
            scn.world.treadmill.faults.answer_delay(1.8)  # just under the 2 s timeout
            scn.core.manual_speed(+10)  # a long ramp: steps decided faster than answered
            await scn.run_for(6.0)
            writes = len(scn.trace.writes())
            scn.core.manual_speed(-10)  # back down
            slow_down_at = scn.now
            await scn.run_for(20.0)
            later = [
                w
                for w in scn.trace.writes()[writes:]
                if w["op"] == "set_target_speed" and w["t"] >= slow_down_at + 2.0
            ]
            asked = scn.core.manual_target.speed_kmh
            assert all(w["value"] <= asked + 1e-9 for w in later), later

    run(scenario)


def test_finishing_a_latched_session_on_a_belt_started_at_the_console_stops_it(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_program(WALK)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at 4 km/h")
            scn.world.treadmill.console_stop()  # latched, not paused: nothing to "unpause"
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 20.0, "stopped at the console")
            await scn.run_for(3.0)
            scn.world.treadmill.console_start()  # someone starts it at the console
            await scn.until(lambda: scn.belt.speed_kmh >= 0.5, 20.0, "moving again")
            await scn.run_for(3.0)
            mark = scn.events.mark()
            scn.core.finish_session()
            await scn.until_event(SessionEnded, mark, within=40.0)
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 20.0, "stopped")

    run(scenario)


def test_with_late_answers_incline_steps_reach_the_deck_one_at_a_time(tmp_path: Path) -> None:
    # Seed 3066: steps decided while the queue waited for slow answers went out back to back,
    # or as one jump (10 % then 5 %) once the later ones overtook the earlier.
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_manual()
            await scn.until(lambda: scn.belt.speed_kmh >= 0.5, 20.0, "running")
            scn.world.treadmill.faults.answer_delay(1.8)  # just under the 2 s timeout
            scn.core.manual_speed(+5)  # the speed ramp's answers hold the queue too
            scn.core.manual_incline(+16)  # 8 % in 0.5 % presses
            await scn.run_for(15.0)
            scn.core.manual_incline(-16)
            await scn.run_for(25.0)
            inclines = [w for w in scn.trace.writes() if w["op"] == "set_target_inclination"]
            assert len(inclines) >= 3
            rate = scn.core.limits.incline_rate_pct_per_s
            grid = scn.world.model.spec.incline_increment_pct
            for a, b in itertools.pairwise(inclines):
                assert abs(b["value"] - a["value"]) <= rate + grid + 1e-9, (a, b)
                assert b["t"] - a["t"] >= 1.0 - 1e-9, (a, b)

    run(scenario)


def test_a_stop_after_two_new_sessions_were_asked_for_holds_both(tmp_path: Path) -> None:
    # Seed 8592: Start twice (two programs) and Pause in one instant; the first new session
    # opened held, the second started the belt.
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_program(WALK)
            await scn.until(lambda: scn.belt.speed_kmh >= 3.9, 60.0, "at 4 km/h")
            mark = scn.events.mark()
            scn.core.start_program(EIGHT)
            scn.core.start_program(WALK)
            scn.core.pause()
            await scn.until(
                lambda: len(scn.events.of(SessionStarted, mark)) == 2, 60.0, "both began"
            )
            await scn.run_for(20.0)
            assert scn.belt.speed_kmh == 0.0
            said = [e.text for e in scn.events.of(Message, mark)]
            assert said.count("Stopped before the new session began: press Start when ready.") == 2

    run(scenario)
