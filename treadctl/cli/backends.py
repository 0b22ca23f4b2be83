"""The Bleak backends a command drives: the platform's Bluetooth, or the virtual world's."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from treadctl.link import BleakBackends
    from treadctl.virtual.world import VirtualWorld

__all__ = ["backends"]


@contextlib.asynccontextmanager
async def backends(
    simulate: bool, quirks: str = "standard", clock: Any = None
) -> AsyncIterator[tuple[BleakBackends, VirtualWorld | None]]:
    """The Bleak backends to use, and (with --simulate) the virtual world that serves them."""
    from treadctl.link import BleakBackends

    if not simulate:
        yield BleakBackends(), None
        return
    from treadctl.clock import RealClock
    from treadctl.virtual.world import VirtualWorld

    async with VirtualWorld(clock or RealClock(), quirks=quirks, with_strap=True) as world:
        yield BleakBackends.of(world), world
