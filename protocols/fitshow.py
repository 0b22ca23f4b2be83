"""The FitShow vendor service 0xFFF0: the status packets a FitShow Bluetooth module sends
beside FTMS, read for what FTMS does not say (the safety key is out, an error code).

Shape::

    FITSHOW_SERVICE_UUID / FITSHOW_NOTIFY_UUID (0xFFF1) / FITSHOW_WRITE_UUID (0xFFF2)
    frame(payload) -> bytes                         02, payload, XOR of payload, 03
    unframe(packet) -> bytes                        the payload (ParseError: not a packet)
    FitShowStatus(state, error_code)                a SYS_STATUS (0x51) packet
     ├── from_bytes(packet) -> FitShowStatus | None None: a packet of another kind
     ├── to_bytes() -> bytes                        what a module sends
     └── problem -> str | None                      "safety key removed", "E03: speed sensor…"
    FitShowState                                    idle, end, starting, running, stopped,
                                                    error, safety_key, calibration, paused

Theory of operation
-------------------
FitShow modules (FS-BT-T4 and the like, in very many budget treadmills and walking pads) serve
FTMS and, on 0xFFF0, their own protocol: a packet is ``02``, a payload, the XOR of the payload's
bytes, ``03``; the payload starts with a command byte and a sub-command. Only the status answer
(command ``0x51``) is read here, and of it only its state (the sub-command) and, in the error
state, the error number after it: 1-3 are the console's E01 (signal cable), E02 (control
board), E03 (speed sensor). The running data that follows in other states is FTMS's business.
Sources: mlervaag/treadmill-controller ``docs/TREADMILL_HARDWARE.md`` (a Ronning X27 Pro,
FS-BT-T4 firmware 1.3.8) and qdomyos-zwift's FitShow driver, which read the same offsets.
"""

from __future__ import annotations

import enum
import functools
import operator
from dataclasses import dataclass
from typing import Self

from protocols import EncodeError, ParseError

__all__ = [
    "ERROR_TEXT",
    "FITSHOW_NOTIFY_UUID",
    "FITSHOW_SERVICE_UUID",
    "FITSHOW_WRITE_UUID",
    "SYS_STATUS",
    "FitShowState",
    "FitShowStatus",
    "frame",
    "unframe",
]

FITSHOW_SERVICE_UUID = "0000fff0-0000-1000-8000-00805f9b34fb"
FITSHOW_NOTIFY_UUID = "0000fff1-0000-1000-8000-00805f9b34fb"
FITSHOW_WRITE_UUID = "0000fff2-0000-1000-8000-00805f9b34fb"

START = 0x02
END = 0x03
#: The status command (the module's answer to it, and what it sends on its own).
SYS_STATUS = 0x51
#: The longest packet seen (bytes, framing included).
MAX_PACKET = 25


class FitShowState(enum.IntEnum):
    """The module's state (the status packet's sub-command)."""

    IDLE = 0
    END = 1
    STARTING = 2
    RUNNING = 3
    STOPPED = 4
    ERROR = 5
    SAFETY_KEY = 6
    CALIBRATION = 7
    PAUSED = 10


#: Error numbers as the console shows them.
ERROR_TEXT = {
    1: "E01: signal cable fault",
    2: "E02: control board fault",
    3: "E03: speed sensor fault",
}


def _xor(data: bytes) -> int:
    return functools.reduce(operator.xor, data, 0)


def frame(payload: bytes) -> bytes:
    """``payload`` as a packet."""
    if not payload or len(payload) + 3 > MAX_PACKET:
        raise EncodeError(f"a FitShow payload has 1 to {MAX_PACKET - 3} bytes, not {len(payload)}")
    return bytes([START, *payload, _xor(payload), END])


def unframe(packet: bytes) -> bytes:
    """The payload of ``packet``; :class:`ParseError` when it is not a whole, intact packet."""
    data = bytes(packet)
    if len(data) < 4:
        raise ParseError("a FitShow packet has at least 4 bytes", data, len(data))
    if data[0] != START:
        raise ParseError(f"a FitShow packet starts with {START:02x}", data, 0)
    if data[-1] != END:
        raise ParseError(f"a FitShow packet ends with {END:02x}", data, len(data) - 1)
    payload = data[1:-2]
    if _xor(payload) != data[-2]:
        raise ParseError("FitShow checksum does not match", data, len(data) - 2)
    return payload


@dataclass(frozen=True, slots=True)
class FitShowStatus:
    """A status packet: the state, and in the error state the error number (None when the
    packet does not carry one). A state this module does not know is kept as its number."""

    state: FitShowState | int
    error_code: int | None = None

    @classmethod
    def from_bytes(cls, packet: bytes) -> Self | None:
        payload = unframe(packet)
        if payload[0] != SYS_STATUS:
            return None
        if len(payload) < 2:
            raise ParseError("a FitShow status has a state byte", bytes(packet), len(packet) - 2)
        raw = payload[1]
        state: FitShowState | int = (
            FitShowState(raw) if raw in FitShowState._value2member_map_ else raw
        )
        code = payload[2] if state == FitShowState.ERROR and len(payload) > 2 else None
        return cls(state, code)

    def to_bytes(self) -> bytes:
        tail = () if self.error_code is None else (self.error_code,)
        return frame(bytes([SYS_STATUS, int(self.state), *tail]))

    @property
    def problem(self) -> str | None:
        """What this status says is wrong, as a person reads it; None when nothing is."""
        if self.state == FitShowState.SAFETY_KEY:
            return "safety key removed"
        if self.state == FitShowState.ERROR:
            if self.error_code is None:
                return "an error (no code given)"
            return ERROR_TEXT.get(self.error_code, f"error code {self.error_code}")
        return None
