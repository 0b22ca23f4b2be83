"""The application core without Qt: a session's life, the person, the strap, what follows a stop.

Real core, real link, real GATT to the virtual treadmill, on a ManualClock (see
``tests.helpers.core``). What the window and ``treadctl run`` do is these same calls.
"""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from protocols.ftms import ResultCode
from tests.helpers.core import CoreScenario, core_scenario
from tests.helpers.ftms_client import run
from tests.helpers.session import START_SPEED_KMH, TOLERANCE_KMH, program
from treadctl.core import (
    Connected,
    Disconnected,
    EndReason,
    ManualTargetChanged,
    Message,
    NoticeKind,
    NoticeRaised,
    PersonChanged,
    Progress,
    Reconnected,
    SessionEnded,
    SessionKind,
    SessionStarted,
    SessionState,
    StateChanged,
    StrapConnected,
    StrapLost,
    StrapReading,
    StrapState,
)
from treadctl.core.manual import MANUAL_SPEED_STEP_KMH
from treadctl.limits import Direction
from treadctl.profiles import PROGRESSION_SESSIONS, Profiles
from treadctl.store import DB_FILENAME
from treadctl.virtual.simulated_faults import SimulatedFault, trigger
from treadctl.virtual.treadmill import MachineState

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "1 min"
"""
)

BACKWARD = program(
    """
name = "Backward bout"

[[steps]]
label = "Back"
direction = "backward"
speed = "2 km/h"
duration = "40 s"
"""
)


async def running(scn: CoreScenario, prog: object = WALK) -> None:
    """Start ``prog`` and drive until the belt runs."""
    scn.core.start_program(prog)  # type: ignore[arg-type]
    await scn.until(
        lambda: scn.belt.state is MachineState.RUNNING and scn.belt.speed_kmh > 0,
        20.0,
        "running",
    )


def strap_state(scn: CoreScenario) -> StrapState:
    return scn.core.strap.state  # read afresh each time (it changes under the test's feet)


# --- a session's life ----------------------------------------------------------------------------


def test_between_sessions_stop_still_reaches_the_belt_through_a_governor(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            assert scn.core.is_connected and scn.events.of(Connected)
            assert scn.core.session_kind is SessionKind.IDLE
            assert not scn.core.in_session
            # Started at the console between sessions: the app's STOP still stops it, and
            # nothing is said of a session that does not exist.
            mark = scn.events.mark()
            assert scn.world.treadmill.console_start() is ResultCode.SUCCESS
            await scn.until(lambda: scn.belt.state is MachineState.RUNNING, 10.0, "running")
            since = scn.now
            scn.core.stop()
            await scn.until(lambda: "stop" in scn.trace.ops(since), 10.0, "stopped by the app")
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 20.0, "belt still")
            kinds = {e.notice.kind for e in scn.events.of(NoticeRaised, mark)}
            assert NoticeKind.STARTED_AT_CONSOLE not in kinds
            assert NoticeKind.STOPPED not in kinds
            assert not scn.events.of(SessionStarted, mark)

    run(scenario)


def test_a_program_runs_to_completion_and_is_kept_in_the_history(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            task = asyncio.ensure_future(scn.core.run_program(WALK))
            await scn.until(task.done, 120.0, "the program's end")
            ended = task.result()
            assert isinstance(ended, SessionEnded)
            assert ended.finished.reason is EndReason.COMPLETED
            assert ended.log_path is not None and ended.log_path.parent == scn.folder.sessions
            assert ended.stored is not None and ended.stored.end_reason == "completed"
            assert not ended.next_starting and not ended.closing
            assert ended.finished.summary.distance_m > 0
            assert [s.id for s in scn.core.people.store.sessions()] == [ended.stored.id]
            # Back to an idle runner; the belt stays stopped.
            await scn.until(lambda: scn.core.session_kind is SessionKind.IDLE, 10.0, "idle again")
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


def test_starting_a_session_while_one_runs_ends_it_first(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            await running(scn)
            mark = scn.events.mark()
            scn.core.start_manual()
            ended = await scn.until_event(SessionEnded, mark, within=20.0)
            assert ended.next_starting  # the same person's turn goes on
            assert ended.finished.reason is EndReason.STOPPED
            started = await scn.until_event(SessionStarted, mark, within=20.0)
            assert started.info.kind is SessionKind.MANUAL
            assert scn.core.session_kind is SessionKind.MANUAL
            # Ended before the new one began: the stop reached the treadmill first.
            index = scn.events.items.index
            assert index(ended) < index(started)

    run(scenario)


def test_shutdown_stops_the_belt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            await running(scn)
            await scn.run_for(3.0)
            mark = scn.events.mark()
            shutdown = asyncio.ensure_future(scn.core.shutdown())
            await scn.until(shutdown.done, 30.0, "shut down")
            await shutdown
            assert scn.core.closing
            assert "stop" in scn.trace.ops()
            ended = scn.events.of(SessionEnded, mark)
            assert ended and ended[0].closing
            await scn.until(lambda: scn.belt.speed_kmh == 0.0, 30.0, "belt still")

    run(scenario)


# --- what follows a stop -------------------------------------------------------------------------


def test_with_someone_to_resume_a_stop_latches_and_nothing_restarts(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path, resume_possible=True) as scn:
            await running(scn)
            await scn.run_for(3.0)
            since = scn.now
            scn.world.treadmill.console_stop()
            await scn.until(lambda: scn.core.session_state is SessionState.STOPPED, 10.0, "stop")
            await scn.run_for(30.0)
            assert scn.core.session_state is SessionState.STOPPED  # not ended, not restarted
            assert "start_or_resume" not in scn.trace.ops(since)
            assert scn.belt.state is not MachineState.RUNNING
            # The person resumes: slow start again.
            resumed_at = scn.now
            scn.core.resume()
            await scn.until(lambda: scn.belt.state is MachineState.RUNNING, 10.0, "running")
            assert scn.trace.speeds_sent(resumed_at)[0] <= START_SPEED_KMH

    run(scenario)


@pytest.mark.parametrize(
    ("fault", "end"),
    [
        (SimulatedFault.CONSOLE_STOP, EndReason.STOPPED),
        (SimulatedFault.CONSOLE_PAUSE, EndReason.STOPPED),
        (SimulatedFault.SAFETY_KEY, EndReason.ABORTED),
    ],
)
def test_with_nobody_to_resume_a_stop_ends_the_session(
    fault: SimulatedFault, end: EndReason, tmp_path: Path
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path, resume_possible=False) as scn:
            await running(scn)
            await scn.run_for(3.0)
            mark = scn.events.mark()
            await trigger(scn.world, fault)
            ended = await scn.until_event(SessionEnded, mark, within=20.0)
            assert ended.finished.reason is end
            assert ended.stored is not None  # kept in the history all the same
            await scn.run_for(10.0)
            assert scn.belt.state is not MachineState.RUNNING

    run(scenario)


def test_with_nobody_to_resume_a_lost_link_waits_to_stop_the_belt_then_ends(
    tmp_path: Path,
) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path, resume_possible=False) as scn:
            await running(scn)
            await scn.run_for(3.0)
            mark = scn.events.mark()
            writes_before = len(scn.trace.writes())
            await scn.world.treadmill.drop_link()
            await scn.event(Disconnected, mark)
            # Not ended while the belt cannot be reached: the app could not stop it. (The
            # radio reconnects on the loop's time: wait for it without moving the clock.)
            await scn.event(Reconnected, mark)
            assert not scn.events.of(SessionEnded, mark)
            ended = await scn.until_event(SessionEnded, mark, within=60.0)
            assert ended.finished.reason is EndReason.ABORTED
            after = [w["op"] for w in scn.trace.writes()[writes_before:]]
            assert [op for op in after if op != "request_control"][:1] == ["stop"]

    run(scenario)


# --- the person ----------------------------------------------------------------------------------


def test_choosing_a_person_is_refused_while_their_session_runs(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.people.profiles.create("Ana")
            scn.core.people.profiles.create("Ben")
            assert scn.core.choose("Ana")
            changed = scn.events.of(PersonChanged)[-1]
            assert changed.profile is not None and changed.profile.name == "Ana"
            await running(scn)
            mark = scn.events.mark()
            assert not scn.core.choose("Ben")
            assert scn.core.profile_name == "Ana"
            assert [m.text for m in scn.events.of(Message, mark)] == [
                "Finish the session before switching profiles."
            ]

    run(scenario)


def test_a_sessions_end_applies_a_backward_step_that_came_due(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            profiles: Profiles = scn.core.people.profiles
            profiles.create("Ana")
            profiles.set_pin("2468")
            profiles.set_progression_cap("Ana", 20.0, pin="2468")  # room to grow
            # Three weeks old, with enough completed backward sessions but one, all after the
            # profile was made: this session is the one that makes the step due.
            db = sqlite3.connect(tmp_path / DB_FILENAME)
            with db:
                old = (datetime.now(UTC) - timedelta(days=21)).isoformat()
                db.execute("UPDATE profiles SET created_at = ? WHERE name = 'Ana'", (old,))
            db.close()
            assert scn.core.choose("Ana")
            before = scn.core.limits.backward_minutes_per_session
            for _ in range(PROGRESSION_SESSIONS):
                task = asyncio.ensure_future(scn.core.run_program(BACKWARD))
                await scn.until(task.done, 120.0, "a backward session's end")
                ended = task.result()
                assert ended.finished.reason is EndReason.COMPLETED, ended
                assert ended.stored is not None and ended.stored.profile == "Ana"
            after = scn.core.limits.backward_minutes_per_session
            assert after > before
            last = scn.events.of(PersonChanged)[-1]
            assert last.limits.backward_minutes_per_session == after

    run(scenario)


# --- manual mode and the strap -------------------------------------------------------------------


def test_manual_mode_steps_the_target_and_turns_through_the_governor(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scn.core.start_manual()
            await scn.until(lambda: scn.belt.state is MachineState.RUNNING, 20.0, "running")
            mark = scn.events.mark()
            scn.core.manual_speed(+2)
            target = scn.events.of(ManualTargetChanged, mark)[-1].target
            assert target.speed_kmh == pytest.approx(START_SPEED_KMH + 2 * MANUAL_SPEED_STEP_KMH)
            await scn.until(
                lambda: abs(scn.belt.speed_kmh - target.speed_kmh) <= TOLERANCE_KMH,
                30.0,
                "at the manual target",
            )
            scn.core.manual_turn()
            assert scn.core.manual_target.direction is Direction.BACKWARD
            turned = await scn.until_event(StateChanged, mark, within=10.0)
            assert turned.state is SessionState.TURNAROUND
            # Skip and extend are a program's: manual mode ignores them.
            scn.core.skip()
            scn.core.extend(60)
            assert scn.core.session_kind is SessionKind.MANUAL

    run(scenario)


def test_a_strap_drop_out_is_not_a_lost_treadmill(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            assert scn.world.strap is not None and scn.world.strap_address is not None
            scn.world.strap.bpm = 131
            task = scn.core.connect_strap(scn.world.strap_address)
            assert task is not None
            await task
            assert strap_state(scn) is StrapState.CONNECTED
            await running(scn)
            await scn.until(
                lambda: any(p.heart_rate_bpm == 131 for p in scn.events.of(Progress)),
                10.0,
                "the session on the strap's heart rate",
            )
            assert scn.events.of(StrapReading)[-1].bpm == 131
            mark = scn.events.mark()
            # It drops out and comes back silent (out of reach of the chest, say): its link
            # reconnects at once, but no reading follows.
            await scn.world.strap.close()
            await trigger(scn.world, SimulatedFault.DROP_STRAP)
            await scn.event(StrapLost, mark)
            back = await scn.event(StrapConnected, mark)  # back, though silent
            assert back.address == scn.world.strap_address
            assert strap_state(scn) is StrapState.CONNECTED
            await scn.run_for(8.0)
            # The treadmill's link is fine and the session goes on, on the hand grips.
            assert not scn.events.of(Disconnected, mark)
            assert scn.core.session_state is SessionState.RUNNING
            assert scn.events.of(Progress)[-1].heart_rate_bpm != 131

    run(scenario)
