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
    simulate: bool, quirks: str = "standard", clock: Any = None, *, with_strap: bool = True
) -> AsyncIterator[tuple[BleakBackends, VirtualWorld | None]]:
    """The Bleak backends to use, and (with --simulate) the virtual world that serves them,
    with its heart-rate strap unless ``with_strap`` is False (an unused strap advertises all
    along, which costs a simulated run on virtual time a third of its CPU)."""
    from treadctl.link import BleakBackends

    if not simulate:
        yield BleakBackends(), None
        return
    from treadctl.clock import RealClock
    from treadctl.virtual.world import VirtualWorld

    async with VirtualWorld(clock or RealClock(), quirks=quirks, with_strap=with_strap) as world:
        yield BleakBackends.of(world), world
