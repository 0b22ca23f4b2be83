"""Shared pieces of the virtual treadmill's tests: a world on a manual clock, and small checks.

Each test runs a `VirtualWorld` on a `ManualClock` in its own event loop: data flows only when
the test advances the clock, and every wait is on a queue bounded by `WAIT` seconds. Where a
test must show that something did *not* arrive, it first makes a GATT read round trip
(`barrier`): notifications sent before the read's response are delivered before it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from protocols.ftms import (
    FITNESS_MACHINE_FEATURE_UUID,
    ControlPointResponse,
    MachineStatus,
    OpCode,
    ResultCode,
    StatusOp,
)
from tests.helpers.ftms_client import FtmsTestClient
from treadctl.clock import ManualClock
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld

SECOND_ADDRESS = "F0:00:00:00:00:03"


@asynccontextmanager
async def world_of(**kwargs: Any) -> AsyncIterator[tuple[VirtualWorld, ManualClock]]:
    clock = ManualClock()
    async with VirtualWorld(clock, **kwargs) as world:
        yield world, clock


async def barrier(client: FtmsTestClient) -> None:
    """Everything the treadmill sent before now has reached the client's queues."""
    await client.read(FITNESS_MACHINE_FEATURE_UUID)


def belt_state(world: VirtualWorld) -> MachineState:
    return world.model.state  # a call, so mypy does not narrow it across awaits


def status(op: StatusOp, value: Any = None, trailing: bytes = b"") -> MachineStatus:
    return MachineStatus(op, value, trailing)


def answer_for(op: OpCode, result: ResultCode = ResultCode.SUCCESS) -> ControlPointResponse:
    return ControlPointResponse(op, result)
