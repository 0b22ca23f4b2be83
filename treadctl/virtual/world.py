"""The virtual world: a virtual radio with an FTMS treadmill (and a heart-rate strap) on it.

`VirtualWorld` is what the app, the tests, ``--simulate`` and the benchmarks use::

    VirtualWorld(clock, *, spec=None, quirks="standard", data_rate_hz=2.0, with_strap=False,
                 name="Virtual Treadmill", address="F0:00:00:00:00:01",
                 max_fragment_size=None, max_connections=1, device_information=None,
                 peripheral=FtmsPeripheral)
     ├── radio: VirtualRadio            scanner_backend() / client_backend() delegate to it
     ├── model: TreadmillModel          spec with the quirk profile's belt overrides applied
     ├── treadmill: FtmsPeripheral      GATT server, console_*(), faults, quirks, trace hook
     ├── strap: HeartRateStrap | None   at "F0:00:00:00:00:02", following the belt speed
     └── treadmill_address / strap_address

    async with VirtualWorld(clock, quirks="urevo-e1l") as world:   # start() ... close()
        client = BleakClient(world.treadmill_address, backend=world.client_backend())

The radio underneath is :mod:`treadctl.virtual.radio`; its names are re-exported here for code
that imported them from this module before the radio had its own. The named faults a person
or ``--sim-fault`` triggers on a world are :mod:`treadctl.virtual.simulated_faults`.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from protocols.device_information import DeviceInformation
from treadctl.clock import Clock
from treadctl.virtual.backend import BumbleClientBackend, BumbleScannerBackend
from treadctl.virtual.heart_rate_strap import HeartRateStrap
from treadctl.virtual.peripheral import FtmsPeripheral
from treadctl.virtual.quirks import QUIRK_PROFILES, Quirks, quirks_by_name
from treadctl.virtual.radio import (
    CLOSE_TIMEOUT,
    DEFAULT_ADVERTISING_INTERVAL_MS,
    DEFAULT_CENTRAL_ADDRESS,
    LINK_LOSS_REASON,
    VirtualRadio,
)
from treadctl.virtual.treadmill import TreadmillModel, TreadmillSpec

__all__ = [
    "CLOSE_TIMEOUT",
    "DEFAULT_ADVERTISING_INTERVAL_MS",
    "DEFAULT_CENTRAL_ADDRESS",
    "DEVICE_NAMES",
    "LINK_LOSS_REASON",
    "VirtualRadio",
    "VirtualWorld",
]


#: Advertised names of the quirk profiles' devices (what a scan of the real device shows).
DEVICE_NAMES = {q.name: q.advertised_name for q in QUIRK_PROFILES.values() if q.advertised_name}


class VirtualWorld:
    """A radio with a virtual FTMS treadmill (and optionally a heart-rate strap) on it.

    Shape (what the app, the tests, ``--simulate`` and the benchmarks get)::

        VirtualWorld(clock, *, spec=None, quirks="standard", data_rate_hz=2.0,
                     with_strap=False, name="Virtual Treadmill", address="F0:00:00:00:00:01")
         ├── radio: VirtualRadio               scanner_backend() / client_backend() for Bleak
         ├── model: TreadmillModel             belt physics (spec after the quirks' overrides)
         ├── treadmill: FtmsPeripheral         GATT server, console_*(), faults, trace hook
         └── strap: HeartRateStrap | None      follows the belt speed (70 + 8 bpm per km/h)

        async with VirtualWorld(ManualClock(), quirks="urevo-e1l") as world:
            client = BleakClient(world.treadmill_address, backend=world.client_backend())

    ``max_fragment_size``, ``max_connections`` and ``device_information`` (what its Device
    Information Service says; default: it names the virtual treadmill) go to the
    :class:`FtmsPeripheral`, or to ``peripheral``, a stand-in taking the same arguments (a
    device report's shape: :mod:`treadctl.virtual.reported_device`).
    ``quirks`` is a profile name from ``quirks.QUIRK_PROFILES`` or a ``Quirks``; its
    belt-level quirks are applied to ``spec`` (:meth:`Quirks.apply_to`). The model starts at
    ``clock.now()``. Construct anywhere; :meth:`start` (or ``async with``) inside the loop.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        spec: TreadmillSpec | None = None,
        quirks: str | Quirks = "standard",
        data_rate_hz: float = 2.0,
        with_strap: bool = False,
        name: str | None = None,
        address: str = "F0:00:00:00:00:01",
        max_fragment_size: int | None = None,
        max_connections: int = 1,
        device_information: DeviceInformation | None = None,
        peripheral: Callable[..., FtmsPeripheral] = FtmsPeripheral,
    ) -> None:
        self.clock = clock
        self.quirks = quirks_by_name(quirks) if isinstance(quirks, str) else quirks
        if name is None:
            # Advertise as the device would, so name-based handling in the link is exercised.
            name = self.quirks.advertised_name or "Virtual Treadmill"
        self.radio = VirtualRadio()
        self.model = TreadmillModel(
            self.quirks.apply_to(spec if spec is not None else TreadmillSpec()),
            start_time=clock.now(),
        )
        self.treadmill = peripheral(
            self.model,
            clock,
            quirks=self.quirks,
            data_rate_hz=data_rate_hz,
            name=name,
            address=address,
            max_fragment_size=max_fragment_size,
            max_connections=max_connections,
            device_information=device_information,
        )
        self.strap: HeartRateStrap | None = None
        if with_strap:
            self.strap = HeartRateStrap(clock)
            self.strap.follow(self.model)
        self._started = False

    @property
    def treadmill_address(self) -> str:
        return self.treadmill.address

    @property
    def strap_address(self) -> str | None:
        return self.strap.address if self.strap is not None else None

    async def start(self) -> None:
        """Power the devices on and start advertising and notifying."""
        if self._started:
            return
        self._started = True
        await self.treadmill.start(self.radio)
        if self.strap is not None:
            await self.strap.start(self.radio)

    async def close(self) -> None:
        """Stop the devices' loops, disconnect every client, power everything off."""
        await self.treadmill.close()
        if self.strap is not None:
            await self.strap.close()
        await self.radio.close()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def scanner_backend(self) -> type[BumbleScannerBackend]:
        """`BleakScanner(backend=...)` for this world's radio."""
        return self.radio.scanner_backend()

    def client_backend(self) -> type[BumbleClientBackend]:
        """`BleakClient(backend=...)` for this world's radio."""
        return self.radio.client_backend()
