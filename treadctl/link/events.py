"""What the links tell their listeners: the treadmill's self-description and the events.

Shape::

    TreadmillInfo                     what a treadmill said about itself at connect time
    LinkEvent = one of
     ├── treadmill   Sample, StatusChanged, TrainingStatusChanged, ControlLost,
     │               CommandAnswered, Connected, Reconnected, VendorStatus (FitShow 0xFFF1)
     ├── strap       HeartRateSample, StrapReconnected
     └── both        MalformedData, Disconnected, Reconnecting
    Listener = Callable[[LinkEvent], None]

Every event is a frozen dataclass stamped ``t``: the injected clock's time when the link
learned of it. Plain data, no I/O: front ends import these to match on them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from protocols.device_information import DeviceInformation
from protocols.fitshow import FitShowStatus
from protocols.ftms import (
    ControlPointRequest,
    FitnessMachineFeature,
    InclinationRange,
    MachineStatus,
    ResultCode,
    SpeedRange,
    TrainingStatus,
    TreadmillData,
)

__all__ = [
    "CommandAnswered",
    "Connected",
    "ControlLost",
    "Disconnected",
    "HeartRateSample",
    "LinkEvent",
    "Listener",
    "MalformedData",
    "Reconnected",
    "Reconnecting",
    "Sample",
    "StatusChanged",
    "StrapReconnected",
    "TrainingStatusChanged",
    "TreadmillInfo",
    "VendorStatus",
]


@dataclass(frozen=True)
class TreadmillInfo:
    """What the treadmill said about itself at connect time.

    A missing or empty range leaves the matching control disabled (``None`` range). The
    ``notes`` list what was missing or odd, for the user and for bug reports.
    ``device_information`` is what its Device Information Service 0x180A says (manufacturer,
    model, firmware...), ``None`` when it serves none.
    """

    address: str
    name: str | None
    feature: FitnessMachineFeature
    speed_range: SpeedRange | None
    inclination_range: InclinationRange | None
    has_control_point: bool
    has_training_status: bool
    mtu: int
    notes: tuple[str, ...] = ()
    device_information: DeviceInformation | None = None

    @property
    def can_set_speed(self) -> bool:
        return self.has_control_point and self.speed_range is not None

    @property
    def can_set_incline(self) -> bool:
        return self.has_control_point and self.inclination_range is not None


@dataclass(frozen=True, slots=True)
class Sample:
    """One complete Treadmill Data record, as measured. ``t`` is the clock's time of receipt.

    ``heart_rate_bpm`` is ``None`` when the treadmill sends none or sends 0 (no hand contact).
    """

    t: float
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: float | None
    elapsed_s: float | None
    energy_kcal: float | None
    heart_rate_bpm: int | None
    record: TreadmillData
    raw: tuple[bytes, ...] = ()  # the notification(s) it came in, for logs and bug reports


@dataclass(frozen=True, slots=True)
class StatusChanged:
    t: float
    status: MachineStatus


@dataclass(frozen=True, slots=True)
class TrainingStatusChanged:
    t: float
    status: TrainingStatus


@dataclass(frozen=True, slots=True)
class ControlLost:
    """Status 0xFF: another client took control, or the treadmill withdrew it."""

    t: float


@dataclass(frozen=True, slots=True)
class CommandAnswered:
    """A control-point procedure ended: ``result`` or ``error`` (exactly one is set)."""

    t: float
    request: ControlPointRequest
    result: ResultCode | None
    error: str | None
    duration_s: float


@dataclass(frozen=True, slots=True)
class MalformedData:
    t: float
    characteristic: str
    data: bytes
    error: str


@dataclass(frozen=True, slots=True)
class VendorStatus:
    """A FitShow module's own status (0xFFF1) changed; ``problem`` says what is wrong, as a
    person reads it ("safety key removed", "E03: speed sensor fault"), None when nothing is."""

    t: float
    status: FitShowStatus
    problem: str | None


@dataclass(frozen=True, slots=True)
class Connected:
    t: float
    info: TreadmillInfo


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link went down. ``expected`` is True only after ``disconnect()`` was called."""

    t: float
    expected: bool


@dataclass(frozen=True, slots=True)
class Reconnecting:
    t: float
    attempt: int
    delay_s: float
    error: str


@dataclass(frozen=True, slots=True)
class Reconnected:
    """The link is back. Control must be requested again; nothing was resumed."""

    t: float
    info: TreadmillInfo


@dataclass(frozen=True, slots=True)
class StrapReconnected:
    """A heart-rate strap's link is back (its readings follow, if it sends any)."""

    t: float
    address: str
    name: str | None


@dataclass(frozen=True, slots=True)
class HeartRateSample:
    t: float
    heart_rate_bpm: int
    sensor_contact: bool | None
    rr_intervals_s: tuple[float, ...]


LinkEvent = (
    Sample
    | StatusChanged
    | TrainingStatusChanged
    | ControlLost
    | CommandAnswered
    | MalformedData
    | VendorStatus
    | Connected
    | Disconnected
    | Reconnecting
    | Reconnected
    | StrapReconnected
    | HeartRateSample
)
Listener = Callable[[LinkEvent], None]
