"""The simulated-fault vocabulary (treadctl.virtual.simulated_faults): each fault, triggered on a
running virtual world, has the effect its description says, seen by an app over real GATT."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from bleak import BleakClient

from protocols import ParseError
from protocols.ftms import (
    ResultCode,
    SetTargetInclination,
    SetTargetSpeed,
    StartOrResume,
    StatusOp,
    StopOrPause,
    TreadmillData,
)
from tests.helpers.ftms_client import FtmsTestClient, connect, controlling, get, run
from tests.treadctl.virtual.scenario import barrier, belt_state, status, world_of
from treadctl.clock import ManualClock
from treadctl.virtual.simulated_faults import SimulatedFault, clear, trigger
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld


@dataclass
class Running:
    """A started world whose belt runs at 5 km/h under the control of a connected app."""

    world: VirtualWorld
    clock: ManualClock
    app: FtmsTestClient
    dropped: asyncio.Queue[BleakClient]


def drain(queue: asyncio.Queue[bytes]) -> None:
    while not queue.empty():
        queue.get_nowait()


async def drop_link(r: Running) -> None:
    assert await trigger(r.world, SimulatedFault.DROP_LINK) is ResultCode.SUCCESS
    assert await get(r.dropped) is r.app.client
    assert r.world.treadmill.controller is None


async def silence(r: Running) -> None:
    await trigger(r.world, SimulatedFault.SILENCE)
    await barrier(r.app)
    drain(r.app.data)
    await r.clock.advance(2.0)
    await barrier(r.app)
    assert r.app.data.empty()
    await clear(r.world, SimulatedFault.SILENCE)
    await r.clock.advance(0.5)
    assert (await r.app.next_record()).speed_kmh == 5.0


async def console_stop(r: Running) -> None:
    assert await trigger(r.world, SimulatedFault.CONSOLE_STOP) is ResultCode.SUCCESS
    stopped = await r.app.next_status()
    assert stopped.op is StatusOp.STOPPED_OR_PAUSED_BY_USER and stopped.paused is False
    assert belt_state(r.world) is MachineState.STOPPED


async def console_pause(r: Running) -> None:
    assert await trigger(r.world, SimulatedFault.CONSOLE_PAUSE) is ResultCode.SUCCESS
    paused = await r.app.next_status()
    assert paused.op is StatusOp.STOPPED_OR_PAUSED_BY_USER and paused.paused is True
    assert belt_state(r.world) is MachineState.PAUSED


async def safety_key(r: Running) -> None:
    assert await trigger(r.world, SimulatedFault.SAFETY_KEY) is ResultCode.SUCCESS
    assert await r.app.next_status() == status(StatusOp.STOPPED_BY_SAFETY_KEY)
    assert not r.world.model.snapshot().safety_key_in
    assert belt_state(r.world) is MachineState.STOPPED


async def refuse(r: Running) -> None:
    await trigger(r.world, SimulatedFault.REFUSE)
    for request in (SetTargetSpeed(6.0), SetTargetInclination(1.0), StartOrResume()):
        assert (await r.app.command(request)).result is ResultCode.OPERATION_FAILED
    assert r.world.model.snapshot().target_speed_kmh == 5.0  # not applied
    assert (await r.app.command(StopOrPause())).ok  # a stop is still accepted
    assert belt_state(r.world) is MachineState.STOPPED
    await clear(r.world, SimulatedFault.REFUSE)
    assert (await r.app.command(StartOrResume())).ok


async def no_answer(r: Running) -> None:
    await trigger(r.world, SimulatedFault.NO_ANSWER)
    await r.app.write(SetTargetSpeed(6.0))
    await r.clock.advance(5.0)
    await barrier(r.app)
    assert r.app.answers.empty()
    assert r.world.model.snapshot().target_speed_kmh == 5.0  # not applied either
    assert (await r.app.command(SetTargetSpeed(6.0))).ok  # only the next one


async def lose_control(r: Running) -> None:
    await trigger(r.world, SimulatedFault.LOSE_CONTROL)
    assert await r.app.next_status() == status(StatusOp.CONTROL_PERMISSION_LOST)
    refused = await r.app.command(SetTargetSpeed(6.0))
    assert refused.result is ResultCode.CONTROL_NOT_PERMITTED


async def malformed(r: Running) -> None:
    await trigger(r.world, SimulatedFault.MALFORMED)
    await barrier(r.app)
    drain(r.app.data)
    await r.clock.advance(1.0)
    for _ in range(2):
        raw: bytes = await get(r.app.data)
        with pytest.raises(ParseError):
            TreadmillData.from_bytes(raw)
    await clear(r.world, SimulatedFault.MALFORMED)
    await r.clock.advance(0.5)
    raw = await get(r.app.data)
    assert TreadmillData.from_bytes(raw).speed_kmh == 5.0


async def drop_strap(r: Running) -> None:
    assert r.world.strap_address is not None
    strap_dropped: asyncio.Queue[BleakClient] = asyncio.Queue()
    strap = BleakClient(
        r.world.strap_address, strap_dropped.put_nowait, backend=r.world.client_backend()
    )
    await strap.connect()
    assert await trigger(r.world, SimulatedFault.DROP_STRAP) is ResultCode.SUCCESS
    assert await get(strap_dropped) is strap
    assert r.app.client.is_connected  # the treadmill's link stays
    await strap.connect()  # the strap advertises again, as a real one does
    await strap.disconnect()


async def refuse_all(r: Running) -> None:
    await trigger(r.world, SimulatedFault.REFUSE_ALL)
    assert (await r.app.command(StopOrPause())).result is ResultCode.OPERATION_FAILED
    assert belt_state(r.world) is MachineState.RUNNING  # even a stop is refused
    await clear(r.world, SimulatedFault.REFUSE_ALL)
    assert (await r.app.command(StopOrPause())).ok


EFFECTS: dict[SimulatedFault, Callable[[Running], Awaitable[None]]] = {
    SimulatedFault.DROP_LINK: drop_link,
    SimulatedFault.SILENCE: silence,
    SimulatedFault.CONSOLE_STOP: console_stop,
    SimulatedFault.CONSOLE_PAUSE: console_pause,
    SimulatedFault.SAFETY_KEY: safety_key,
    SimulatedFault.REFUSE: refuse,
    SimulatedFault.NO_ANSWER: no_answer,
    SimulatedFault.LOSE_CONTROL: lose_control,
    SimulatedFault.MALFORMED: malformed,
    SimulatedFault.DROP_STRAP: drop_strap,
    SimulatedFault.REFUSE_ALL: refuse_all,
}


def test_every_fault_has_a_checked_effect() -> None:
    assert set(EFFECTS) == set(SimulatedFault)


@pytest.mark.parametrize("fault", list(SimulatedFault), ids=str)
def test_each_fault_has_its_effect_on_a_running_world(fault: SimulatedFault) -> None:
    async def scenario() -> None:
        async with world_of(with_strap=True) as (world, clock):
            dropped: asyncio.Queue[BleakClient] = asyncio.Queue()
            async with connect(world, disconnected_callback=dropped.put_nowait) as app:
                await controlling(app)
                assert (await app.command(SetTargetSpeed(5.0))).ok
                assert (await app.command(StartOrResume())).ok
                await clock.advance(10.0)  # up to speed (1 km/h per second)
                await barrier(app)
                assert world.model.snapshot().speed_kmh == 5.0
                await EFFECTS[fault](Running(world, clock, app, dropped))

    run(scenario)


def test_names_descriptions_and_lasting_faults() -> None:
    for fault in SimulatedFault:
        assert SimulatedFault(fault.value) is fault
        assert fault.description and "\n" not in fault.description
        assert fault.description.endswith(".")
    assert {f for f in SimulatedFault if f.lasting} == {
        SimulatedFault.SILENCE,
        SimulatedFault.REFUSE,
        SimulatedFault.MALFORMED,
        SimulatedFault.REFUSE_ALL,
    }


def test_clearing_a_fault_that_happens_once_or_dropping_no_strap_is_an_error() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock):
            with pytest.raises(ValueError, match="nothing to clear"):
                await clear(world, SimulatedFault.DROP_LINK)
            with pytest.raises(ValueError, match="no heart-rate strap"):
                await trigger(world, SimulatedFault.DROP_STRAP)

    run(scenario)


def test_a_console_fault_returns_what_the_treadmill_answered() -> None:
    async def scenario() -> None:
        async with world_of() as (world, _clock):
            # The belt is stopped already: the console's Pause does nothing.
            assert await trigger(world, SimulatedFault.CONSOLE_PAUSE) is (
                ResultCode.OPERATION_FAILED
            )

    run(scenario)
