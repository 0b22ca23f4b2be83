"""The core scenario (tests.helpers.core), tested: `core_scenario` builds and connects a real
`AppCore` on a temporary data folder and shuts it down on exit, its driver moves simulated
time only in steps, and every wait it offers ends at its bound.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import tests.helpers.core as core_helpers
from tests.helpers.core import CoreScenario, core_scenario
from tests.helpers.ftms_client import run
from tests.helpers.session import STEP_S, program
from treadctl.core import Connected, Limits, SessionEnded, SessionKind, SessionStarted
from treadctl.store import StoreError
from treadctl.virtual.treadmill import MachineState

WALK = program(
    """
name = "Walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "10 min"
"""
)


def test_a_core_scenario_is_connected_on_its_own_data_folder(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            assert scn.core.is_connected and len(scn.events.of(Connected)) == 1
            assert scn.folder.root == tmp_path and not scn.folder.is_default
            assert scn.core.people.error is None
            assert scn.folder.history.exists()  # the people's history, in the test's folder
            assert scn.core.session_kind is SessionKind.IDLE
            assert scn.world.strap is not None  # there to be connected to

    run(scenario)


def test_connect_false_leaves_the_core_unconnected(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path, connect=False) as scn:
            assert not scn.core.is_connected and scn.events.items == []
            assert scn.trace.writes() == []

    run(scenario)


def test_limits_reach_the_core(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path, limits=Limits(forward_max_speed_kmh=7.0)) as scn:
            assert scn.core.limits.forward_max_speed_kmh == 7.0

    run(scenario)


def test_events_keep_order_and_mark_where_to_look_from(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            mark = scn.events.mark()
            assert mark == len(scn.events.items) and scn.events.of(Connected, mark) == []
            scn.core.start_program(WALK)
            started = await scn.until_event(SessionStarted, mark, within=10.0)
            assert started is scn.events.of(SessionStarted, mark)[0]
            assert scn.events.items.index(started) >= mark

    run(scenario)


def test_the_driver_moves_time_in_steps_and_notes_the_belt(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            t0 = scn.now
            await scn.step()
            assert scn.now == t0 + STEP_S and scn.belt_log[-1] == (scn.now, scn.belt)
            await scn.run_for(1.0)
            assert scn.now == t0 + 5 * STEP_S and len(scn.belt_log) == 5
            assert await scn.until(lambda: True, 0.0, "already") == scn.now == t0 + 5 * STEP_S

    run(scenario)


def test_until_and_until_event_fail_at_their_bound(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            t0 = scn.now
            with pytest.raises(AssertionError, match=r"not never within 2\.0 s \(t=2\.0, session"):
                await scn.until(lambda: False, 2.0, "never")
            assert scn.now == t0 + 2.0
            with pytest.raises(AssertionError, match=r"not a SessionEnded within 3\.0 s"):
                await scn.until_event(SessionEnded, within=3.0)  # no session: none ends
            assert scn.now == t0 + 5.0

    run(scenario)


def test_event_waits_in_the_loops_seconds_and_is_bounded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core_helpers, "WAIT", 0.2)

    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            assert isinstance(await scn.event(Connected), Connected)  # there already
            t0 = scn.now
            with pytest.raises(TimeoutError):
                await scn.event(SessionEnded)
            assert scn.now == t0  # the clock did not move while it waited

    run(scenario)


def test_leaving_a_core_scenario_shuts_the_core_down_and_closes_the_history(
    tmp_path: Path,
) -> None:
    scenarios: list[CoreScenario] = []

    async def scenario() -> None:
        async with core_scenario(tmp_path) as scn:
            scenarios.append(scn)
            scn.core.start_program(WALK)
            await scn.until(
                lambda: scn.belt.state is MachineState.RUNNING and scn.belt.speed_kmh > 0,
                20.0,
                "running",
            )

    run(scenario)
    (scn,) = scenarios
    assert scn.core.closing
    assert "stop" in scn.trace.ops()
    assert scn.belt.state is not MachineState.RUNNING
    ended = scn.events.of(SessionEnded)
    assert ended and ended[0].closing
    with pytest.raises(StoreError):
        _ = scn.core.people.store
