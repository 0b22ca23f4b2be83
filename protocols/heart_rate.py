"""Heart Rate Measurement 0x2A37 (Heart Rate Service v1.0 §3.1), both directions.

Flags (uint8): bit 0 heart rate is uint16 (else uint8); bits 1–2 sensor contact status
(bit 2 = contact detection supported, bit 1 = contact detected); bit 3 Energy Expended present
(uint16, kJ); bit 4 RR-Intervals present (uint16 each, 1/1024 s, as many as fit). Bits 5–7 are
reserved and ignored. Tolerant like the FTMS decoders: an odd byte after the RR intervals is
ignored (kept in ``trailing``), a record cut short in a mandatory field is a ParseError.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Self

from protocols import EncodeError, ParseError
from protocols.fields import Field, pack_field, read_field, read_int

HEART_RATE_SERVICE_UUID = "0000180d-0000-1000-8000-00805f9b34fb"
HEART_RATE_MEASUREMENT_UUID = "00002a37-0000-1000-8000-00805f9b34fb"
BODY_SENSOR_LOCATION_UUID = "00002a38-0000-1000-8000-00805f9b34fb"


class HeartRateFlags(enum.IntFlag):
    HEART_RATE_UINT16 = 1 << 0
    SENSOR_CONTACT_DETECTED = 1 << 1
    SENSOR_CONTACT_SUPPORTED = 1 << 2
    ENERGY_EXPENDED = 1 << 3
    RR_INTERVALS = 1 << 4


_HR8 = Field("heart_rate_bpm", 1, unit="bpm")
_HR16 = Field("heart_rate_bpm", 2, unit="bpm")
_ENERGY = Field("energy_expended_kj", 2, unit="kJ")
_RR = Field("rr_interval_s", 2, den=1024, unit="s")


@dataclass(frozen=True, slots=True)
class HeartRateMeasurement:
    """One Heart Rate Measurement notification.

    ``sensor_contact`` is ``None`` when the strap does not support contact detection.
    ``wide`` records whether the rate was sent as uint16 (needed to re-encode exactly).
    """

    heart_rate_bpm: int
    sensor_contact: bool | None = None
    energy_expended_kj: int | None = None
    rr_intervals_s: tuple[float, ...] = ()
    wide: bool = False
    trailing: bytes = b""

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        buf = bytes(data)
        if not buf:
            raise ParseError("Heart Rate Measurement: empty buffer", buf, 0)
        flags = buf[0]
        wide = bool(flags & HeartRateFlags.HEART_RATE_UINT16)
        bpm, offset = read_field(buf, 1, _HR16 if wide else _HR8)
        contact = None
        if flags & HeartRateFlags.SENSOR_CONTACT_SUPPORTED:
            contact = bool(flags & HeartRateFlags.SENSOR_CONTACT_DETECTED)
        energy = None
        if flags & HeartRateFlags.ENERGY_EXPENDED:
            energy = read_int(buf, offset, 2, False, _ENERGY.name)
            offset += 2
        rr: list[float] = []
        if flags & HeartRateFlags.RR_INTERVALS:
            while offset + 2 <= len(buf):
                value, offset = read_field(buf, offset, _RR)
                rr.append(float(value or 0))
        return cls(
            heart_rate_bpm=int(bpm or 0),
            sensor_contact=contact,
            energy_expended_kj=energy,
            rr_intervals_s=tuple(rr),
            wide=wide,
            trailing=buf[offset:],
        )

    def __bytes__(self) -> bytes:
        if not self.wide and self.heart_rate_bpm > 0xFF:
            raise EncodeError(f"heart rate {self.heart_rate_bpm} bpm needs the uint16 format")
        flags = HeartRateFlags(0)
        if self.wide:
            flags |= HeartRateFlags.HEART_RATE_UINT16
        if self.sensor_contact is not None:
            flags |= HeartRateFlags.SENSOR_CONTACT_SUPPORTED
            if self.sensor_contact:
                flags |= HeartRateFlags.SENSOR_CONTACT_DETECTED
        if self.energy_expended_kj is not None:
            flags |= HeartRateFlags.ENERGY_EXPENDED
        if self.rr_intervals_s:
            flags |= HeartRateFlags.RR_INTERVALS
        out = bytes([flags]) + pack_field(_HR16 if self.wide else _HR8, self.heart_rate_bpm)
        if self.energy_expended_kj is not None:
            out += pack_field(_ENERGY, self.energy_expended_kj)
        for rr in self.rr_intervals_s:
            out += pack_field(_RR, rr)
        return out + self.trailing
