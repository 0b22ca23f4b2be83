"""The Bleak backends a command drives: the platform's Bluetooth, or the virtual world's
(``--simulate``: a quirk profile's treadmill, or with ``--device FILE`` a device report's)."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from treadctl.cli.errors import UsageError

if TYPE_CHECKING:
    from treadctl.device_shape import DeviceShape
    from treadctl.link import BleakBackends
    from treadctl.virtual.world import VirtualWorld

__all__ = ["add_device_argument", "backends", "device_from"]


def add_device_argument(parser: argparse.ArgumentParser) -> None:
    """``--device FILE``: with --simulate, the virtual treadmill takes a device report's shape."""
    parser.add_argument(
        "--device",
        type=Path,
        metavar="FILE",
        help="with --simulate: the virtual treadmill takes the shape of this device report "
        "(from `treadctl probe --report`)",
    )


def device_from(args: argparse.Namespace) -> DeviceShape | None:
    """The shape of ``--device FILE`` (None without it). Raises UsageError when it comes
    without --simulate or with --quirks, and ReportError (file and field) for a bad report."""
    path: Path | None = getattr(args, "device", None)
    if path is None:
        return None
    if not args.simulate:
        raise UsageError("--device FILE needs --simulate: it shapes the virtual treadmill")
    if getattr(args, "quirks", "standard") != "standard":
        raise UsageError("--device and --quirks both shape the virtual treadmill: give one")
    from treadctl.report import read_report

    return read_report(path)


@contextlib.asynccontextmanager
async def backends(
    simulate: bool,
    quirks: str = "standard",
    clock: Any = None,
    *,
    with_strap: bool = True,
    device: DeviceShape | None = None,
) -> AsyncIterator[tuple[BleakBackends, VirtualWorld | None]]:
    """The Bleak backends to use, and (with --simulate) the virtual world that serves them,
    with its heart-rate strap unless ``with_strap`` is False (an unused strap advertises all
    along, which costs a simulated run on virtual time a third of its CPU). With ``device``
    (``--device FILE``: a device report's shape) the virtual treadmill takes that shape."""
    from treadctl.link import BleakBackends

    if not simulate:
        yield BleakBackends(), None
        return
    from treadctl.clock import RealClock
    from treadctl.virtual.world import VirtualWorld

    if device is not None:
        from treadctl.virtual.reported_device import reported_world

        world = reported_world(clock or RealClock(), device, with_strap=with_strap)
    else:
        world = VirtualWorld(clock or RealClock(), quirks=quirks, with_strap=with_strap)
    async with world:
        yield BleakBackends.of(world), world
