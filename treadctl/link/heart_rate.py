"""The heart-rate strap next to the treadmill: a Heart Rate Service peripheral, read only.

Shape::

    HeartRateLink(clock, backends=None, ...)   a ReconnectingLink
     ├── connect(address)    retry with backoff, Heart Rate Measurement (0x2A37) subscribed
     ├── name                the strap's name as it reported it on connecting
     ├── device_information  what its Device Information Service said (None: none)
     ├── notifications       HeartRateSample per measurement; MalformedData for a bad one
     └── after a reconnect   StrapReconnected, whether or not readings follow

Like the treadmill's link, it raises only :class:`LinkError` subclasses: a strap that cannot
be reached, or that offers no Heart Rate Measurement, is :class:`ConnectFailed`.
"""

from __future__ import annotations

from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic

from protocols import ParseError
from protocols.device_information import DeviceInformation
from protocols.heart_rate import HEART_RATE_MEASUREMENT_UUID, HeartRateMeasurement
from treadctl.clock import Clock
from treadctl.link.backends import BleakBackends
from treadctl.link.connection import ReconnectingLink
from treadctl.link.device_information import read_device_information
from treadctl.link.events import HeartRateSample, MalformedData, StrapReconnected

__all__ = ["HeartRateLink"]


class HeartRateLink(ReconnectingLink):
    """A Heart Rate Service strap next to the treadmill: emits :class:`HeartRateSample`."""

    def __init__(self, clock: Clock, *, backends: BleakBackends | None = None, **kw: Any) -> None:
        super().__init__(clock, backends=backends, **kw)
        self._name: str | None = None
        self._device_information: DeviceInformation | None = None

    async def connect(self, address: str) -> None:
        """Connect (with retry) and subscribe to the strap's measurements.

        Raises :class:`NoAdapterError` or :class:`ConnectFailed` (``__cause__``: Bleak's or
        the OS's error); a failed connect leaves nothing connected.
        """
        await self._connect(address)

    @property
    def name(self) -> str | None:
        """The strap's name as it reported it on connecting (None before, or if it has none)."""
        return self._name

    @property
    def device_information(self) -> DeviceInformation | None:
        """What the strap's Device Information Service said on connecting (None: none)."""
        return self._device_information

    async def _setup(self, client: BleakClient) -> None:
        self._client = client
        self._name = client.name
        self._device_information = await read_device_information(client, self._clock)
        await client.start_notify(HEART_RATE_MEASUREMENT_UUID, self._on_measurement)

    def _on_reconnected(self) -> None:
        # A strap that is back but sends nothing yet is still back: say so, not only with its
        # first reading.
        if self._address is not None:
            self._emit(StrapReconnected(self._clock.now(), self._address, self._name))

    def _on_measurement(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        now = self._clock.now()
        try:
            m = HeartRateMeasurement.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(now, "heart_rate", bytes(data), str(error)))
            return
        self._emit(HeartRateSample(now, m.heart_rate_bpm, m.sensor_contact, m.rr_intervals_s))
