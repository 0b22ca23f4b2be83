"""A virtual chest strap: a Heart Rate Service 0x180D peripheral over Bumble.

Shape::

    strap = HeartRateStrap(clock, bpm=70, name="Virtual HR", address="F0:00:00:00:00:02")
    strap.bpm = 150                   # a fixed heart rate...
    strap.follow(model)               # ...or one that follows a treadmill's belt speed
    await strap.start(radio)          # attach to a VirtualRadio, advertise 0x180D, notify
    await strap.close()

It serves a Device Information Service 0x180A (``device_information``, default
:data:`~treadctl.virtual.device_information.VIRTUAL_STRAP_INFORMATION`) and one Heart Rate
characteristic, Heart Rate Measurement 0x2A37 (notify), encoded by
``protocols.heart_rate``, and notifies it once per second of clock time (deadline += 1 s),
with sensor contact detected. Advertising: flags, complete local name, 16-bit service UUID
0x180D, built by :func:`~treadctl.virtual.advertising.advertising_data`.

Following a treadmill is deliberately simple, a straight line with no lag:
``bpm = rest_bpm + bpm_per_kmh * belt speed`` (70 + 8 × 10 km/h = 150), capped at
``max_bpm``. Setting :attr:`HeartRateStrap.bpm` stops following.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from bumble import hci
from bumble.core import UUID
from bumble.device import Device
from bumble.gatt import Characteristic, Service

from protocols.device_information import DeviceInformation
from protocols.heart_rate import HeartRateMeasurement
from treadctl.clock import Clock
from treadctl.virtual.advertising import advertising_data
from treadctl.virtual.device_information import (
    VIRTUAL_STRAP_INFORMATION,
    device_information_service,
)
from treadctl.virtual.treadmill import TreadmillModel

if TYPE_CHECKING:
    from treadctl.virtual.radio import VirtualRadio

__all__ = ["DEFAULT_STRAP_ADDRESS", "HeartRateStrap"]

logger = logging.getLogger(__name__)

DEFAULT_STRAP_ADDRESS = "F0:00:00:00:00:02"

HEART_RATE_SERVICE_UUID = UUID.from_16_bits(0x180D)
HEART_RATE_MEASUREMENT_UUID = UUID.from_16_bits(0x2A37)

#: Seconds of clock time between measurements (straps notify about once per second).
PERIOD_S = 1.0


class HeartRateStrap:
    """A heart-rate strap on the virtual radio; see the module docstring."""

    def __init__(
        self,
        clock: Clock,
        *,
        bpm: int = 70,
        name: str = "Virtual HR",
        address: str = DEFAULT_STRAP_ADDRESS,
        device_information: DeviceInformation | None = None,
    ) -> None:
        self.clock = clock
        self.name = name
        self.address = address
        self._bpm = _checked(bpm)
        self._follow: tuple[TreadmillModel, float, float, int] | None = None
        self._task: asyncio.Task[None] | None = None
        self.device = Device(name=name, address=hci.Address(address))
        self._measurement: Characteristic[bytes] = Characteristic(
            HEART_RATE_MEASUREMENT_UUID,
            Characteristic.Properties.NOTIFY,
            Characteristic.READABLE,
            b"",
        )
        #: What its Device Information Service 0x180A says (VIRTUAL_STRAP_INFORMATION).
        self.device_information = device_information or VIRTUAL_STRAP_INFORMATION
        self.device.add_services(
            [
                device_information_service(self.device_information),
                Service(HEART_RATE_SERVICE_UUID, [self._measurement]),
            ]
        )

    @property
    def bpm(self) -> int:
        """The heart rate the next measurement carries (following: computed from the belt)."""
        if self._follow is not None:
            model, rest, per_kmh, cap = self._follow
            return min(cap, round(rest + per_kmh * model.snapshot().speed_kmh))
        return self._bpm

    @bpm.setter
    def bpm(self, value: int) -> None:
        self._bpm = _checked(value)
        self._follow = None

    def follow(
        self,
        model: TreadmillModel,
        *,
        rest_bpm: int = 70,
        bpm_per_kmh: float = 8.0,
        max_bpm: int = 200,
    ) -> None:
        """Make the heart rate ``rest_bpm + bpm_per_kmh * belt speed``, capped at ``max_bpm``.

        Reads the model's last simulated state: the treadmill's peripheral keeps it current.
        """
        self._follow = (model, float(rest_bpm), bpm_per_kmh, _checked(max_bpm))

    def measurement(self) -> HeartRateMeasurement:
        """The measurement the strap sends now."""
        return HeartRateMeasurement(heart_rate_bpm=self.bpm, sensor_contact=True)

    @property
    def advertising_data(self) -> bytes:
        """Flags, complete local name and service UUID 0x180D."""
        return advertising_data(self.name, HEART_RATE_SERVICE_UUID)

    async def start(self, radio: VirtualRadio) -> None:
        """Attach to ``radio``, advertise and start notifying once per clock second."""
        if self._task is not None:
            raise RuntimeError("this HeartRateStrap is already started")
        await radio.add_peripheral(self.device, advertising_data=self.advertising_data)
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def close(self) -> None:
        """Stop notifying. Idempotent; the radio powers the device off."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _loop(self) -> None:
        deadline = self.clock.now()
        while True:
            deadline += PERIOD_S
            await self.clock.sleep_until(deadline)
            await self.device.notify_subscribers(self._measurement, bytes(self.measurement()))


def _checked(bpm: int) -> int:
    # 8-bit format only: a strap sending more than 255 bpm is a bug here, not a fault knob.
    if not 0 <= bpm <= 0xFF:
        raise ValueError(f"heart rate must be 0-255 bpm, got {bpm}")
    return int(bpm)
