"""The virtual treadmill: Bumble peripherals on an in-process radio, reached through Bleak.

Shape (one concept per module; arrows point to what a module imports)::

    world.VirtualWorld ──► radio, peripheral, heart_rate_strap, quirks, treadmill
     ├── radio.VirtualRadio ──► backend         the shared Bumble link, every device on it
     │    └── backend.Bumble*Backend            Bleak backends over the radio's central
     ├── peripheral.FtmsPeripheral ──► quirks, faults, advertising, treadmill
     │    ├── quirks.Quirks                     a real device's deviations, by profile name
     │    ├── faults.Faults                     run-time fault knobs
     │    └── treadmill.TreadmillModel          the belt physics
     └── heart_rate_strap.HeartRateStrap ──► advertising, device_information, treadmill
    reported_device.reported_world ──► world, peripheral
     └── ReportedPeripheral                     a device report's treadmill (--device FILE)
    device_information                          the Device Information Service they serve
    advertising.advertising_data                what a scan of the radio finds
    simulated_faults.SimulatedFault ──► (world, for types only)
                                                the faults --sim-fault and the console trigger

No module imports one that imports it back. This package's names below are the public
surface; each also stays importable from the module that owns it (and the names that moved
out of ``peripheral`` and ``world`` from there too).

Importing the package loads nothing: each name is imported when first used. ``treadctl.cli``
imports ``simulated_faults`` before the app window paints, and Bumble and Bleak must not load
then (``tests/ui/test_startup.py``).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from treadctl.virtual.advertising import advertising_data
    from treadctl.virtual.backend import BumbleClientBackend, BumbleScannerBackend
    from treadctl.virtual.faults import Faults
    from treadctl.virtual.heart_rate_strap import DEFAULT_STRAP_ADDRESS, HeartRateStrap
    from treadctl.virtual.peripheral import FtmsPeripheral, TraceListener, TraceRecord
    from treadctl.virtual.quirks import QUIRK_PROFILES, Quirks, quirks_by_name
    from treadctl.virtual.radio import LINK_LOSS_REASON, VirtualRadio
    from treadctl.virtual.reported_device import ReportedPeripheral, reported_world
    from treadctl.virtual.simulated_faults import SimulatedFault, clear, trigger
    from treadctl.virtual.treadmill import (
        BeltState,
        MachineReset,
        MachineState,
        Origin,
        StartedByUser,
        StatusEvent,
        StoppedBySafetyKey,
        StoppedByUser,
        TargetInclineChanged,
        TargetSpeedChanged,
        TreadmillModel,
        TreadmillSpec,
    )
    from treadctl.virtual.world import VirtualWorld

__all__ = [
    "DEFAULT_STRAP_ADDRESS",
    "LINK_LOSS_REASON",
    "QUIRK_PROFILES",
    "BeltState",
    "BumbleClientBackend",
    "BumbleScannerBackend",
    "Faults",
    "FtmsPeripheral",
    "HeartRateStrap",
    "MachineReset",
    "MachineState",
    "Origin",
    "Quirks",
    "ReportedPeripheral",
    "SimulatedFault",
    "StartedByUser",
    "StatusEvent",
    "StoppedBySafetyKey",
    "StoppedByUser",
    "TargetInclineChanged",
    "TargetSpeedChanged",
    "TraceListener",
    "TraceRecord",
    "TreadmillModel",
    "TreadmillSpec",
    "VirtualRadio",
    "VirtualWorld",
    "advertising_data",
    "clear",
    "quirks_by_name",
    "reported_world",
    "trigger",
]

# Where each public name lives.
_HOMES: dict[str, str] = {
    "advertising_data": "advertising",
    "BumbleClientBackend": "backend",
    "BumbleScannerBackend": "backend",
    "Faults": "faults",
    "DEFAULT_STRAP_ADDRESS": "heart_rate_strap",
    "HeartRateStrap": "heart_rate_strap",
    "FtmsPeripheral": "peripheral",
    "TraceListener": "peripheral",
    "TraceRecord": "peripheral",
    "QUIRK_PROFILES": "quirks",
    "Quirks": "quirks",
    "quirks_by_name": "quirks",
    "LINK_LOSS_REASON": "radio",
    "VirtualRadio": "radio",
    "ReportedPeripheral": "reported_device",
    "reported_world": "reported_device",
    "SimulatedFault": "simulated_faults",
    "clear": "simulated_faults",
    "trigger": "simulated_faults",
    **{
        name: "treadmill"
        for name in (
            "BeltState",
            "MachineReset",
            "MachineState",
            "Origin",
            "StartedByUser",
            "StatusEvent",
            "StoppedBySafetyKey",
            "StoppedByUser",
            "TargetInclineChanged",
            "TargetSpeedChanged",
            "TreadmillModel",
            "TreadmillSpec",
        )
    },
    "VirtualWorld": "world",
}


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    module = _HOMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # later lookups find it without coming here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
