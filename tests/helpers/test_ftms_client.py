"""The raw FTMS test client and the test loop runner (tests.helpers.ftms_client), tested.

`run` is what every async test in the suite runs in: if it let an error the loop swallowed go
by (a task's exception nobody retrieved, a callback that raised), a test whose background task
crashed would pass. So `run` is shown failing on each, and the client's bounded waits and its
merging of More Data fragments are shown on the virtual treadmill.
"""

from __future__ import annotations

import asyncio
import gc

import pytest

import tests.helpers.ftms_client as ftms_client
from protocols.ftms import OpCode, ResultCode
from tests.helpers.ftms_client import connect, controlling, get, other_app, run
from treadctl.clock import ManualClock
from treadctl.virtual.world import VirtualWorld


def failed_at(info: pytest.ExceptionInfo[AssertionError]) -> str:
    """The source line in the helper that raised (the helper's asserts are not rewritten)."""
    return str(info.traceback[-1].statement).strip()


# --- run ----------------------------------------------------------------------------------------


def test_run_runs_the_scenario_to_its_end() -> None:
    done: list[bool] = []

    async def scenario() -> None:
        await asyncio.sleep(0)
        done.append(True)

    run(scenario)
    assert done == [True]


def test_run_raises_the_scenarios_own_error() -> None:
    async def scenario() -> None:
        raise ValueError("the test's own failure")

    with pytest.raises(ValueError, match="the test's own failure"):
        run(scenario)


def test_run_fails_when_a_tasks_exception_was_never_retrieved() -> None:
    async def scenario() -> None:
        async def crash() -> None:
            raise RuntimeError("lost in the background")

        task = asyncio.ensure_future(crash())
        await asyncio.sleep(0)
        assert task.done()
        del task
        gc.collect()  # the task's finalizer hands the exception to the loop's handler

    with pytest.raises(AssertionError) as info:
        run(scenario)
    assert failed_at(info) == "assert swallowed == []"


def test_run_fails_when_a_callback_raised() -> None:
    def callback() -> None:
        raise RuntimeError("in a callback")

    async def scenario() -> None:
        asyncio.get_running_loop().call_soon(callback)
        await asyncio.sleep(0)

    with pytest.raises(AssertionError) as info:
        run(scenario)
    assert failed_at(info) == "assert swallowed == []"


def test_run_gives_every_scenario_a_fresh_loop() -> None:
    loops: list[asyncio.AbstractEventLoop] = []

    async def scenario() -> None:
        loops.append(asyncio.get_running_loop())

    run(scenario)
    run(scenario)
    first, second = loops
    assert first is not second and first.is_closed()


# --- waits --------------------------------------------------------------------------------------


def test_get_returns_what_is_queued_and_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ftms_client, "WAIT", 0.1)

    async def scenario() -> None:
        queue: asyncio.Queue[int] = asyncio.Queue()
        queue.put_nowait(7)
        assert await get(queue) == 7
        with pytest.raises(TimeoutError):
            await get(queue)

    run(scenario)


# --- the client on the virtual treadmill --------------------------------------------------------


def test_next_record_merges_more_data_fragments() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock, max_fragment_size=9) as world, connect(world) as client:
            await client.subscribe(status=False, training=False, control=False)
            world.treadmill.heart_rate_bpm = 99
            world.treadmill.console_start()
            await clock.advance(0.5)
            record = await client.next_record()
            assert record == world.treadmill.record()
            assert record.heart_rate_bpm == 99 and record.speed_kmh is not None
            assert client.data.empty()  # every fragment of the record was consumed

    run(scenario)


def test_controlling_takes_control_and_fails_when_refused() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock) as world:
            async with connect(world) as client:
                assert await controlling(client) is client
            world.treadmill.faults.refuse(
                ResultCode.CONTROL_NOT_PERMITTED, ops=[OpCode.REQUEST_CONTROL]
            )
            async with connect(world) as client:
                with pytest.raises(AssertionError) as info:
                    await controlling(client)
                assert failed_at(info) == "assert answer.ok, answer"

    run(scenario)


def test_other_app_is_a_second_central_and_leaves_on_exit() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        async with VirtualWorld(clock, max_connections=2) as world, connect(world):
            async with other_app(world) as phone:
                assert phone.connection.handle in phone.device.connections
                assert len(world.treadmill.connections) == 2
            assert phone.connection.handle not in phone.device.connections
            await phone.disconnect()  # twice: harmless

    run(scenario)
