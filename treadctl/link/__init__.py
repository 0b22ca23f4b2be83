"""The treadmill link: the only package in treadctl that imports Bleak.

Shape (who owns what, and in which module)::

    scan(...)                     -> [FoundDevice]   FTMS treadmills and heart-rate straps  scan
     └── no_adapter_error         a missing adapter, told by Bleak's error type        adapter
    TreadmillLink(clock, backends=None)                                              treadmill
     ├── connect(address)         -> TreadmillInfo   retry with backoff, feature + ranges read,
     │                                                data / status / training status / control
     │                                                point subscribed
     ├── commands                 request_control, set_target_speed, set_target_inclination,
     │                            start_or_resume, start_at, stop, pause, reset
     │    └── ProcedureQueue      one control-point procedure at a time;          procedures
     │                            stop jumps the queue
     ├── events → listeners       Sample, StatusChanged, TrainingStatusChanged,       events
     │                            ControlLost, CommandAnswered, MalformedData, Connected,
     │                            Disconnected, Reconnecting, Reconnected,
     │                            VendorStatus (a FitShow module's safety key, errors)
     └── reconnect task           after an unexpected disconnect, on the clock,   connection
                                  with backoff (ReconnectingLink, shared by both links)
    HeartRateLink(clock, backends=None)   a Heart Rate Service strap:            heart_rate
                                          HeartRateSample, StrapReconnected
    advertisement_of, survey_gatt what a device report records (reads only)           survey
    read_device_information       Device Information 0x180A at connect    device_information
    BleakBackends                 which Bleak backend to drive (platform or virtual) backends
    LinkError and its family      everything the link raises                          errors

Rules this package keeps (FTMS v1.0 §4.16, FTMP v1.0 §4.4.14, and what real treadmills do);
each module's docstring has the detail:

* **One procedure at a time** (procedures, treadmill). A procedure is the write plus its 0x80
  answer, awaited with a short timeout on the injected clock. A stop waits for no queued
  command: it is granted the control point as soon as the procedure in flight ends.
* **Control is requested automatically** (treadmill) before the first command, and again
  after status 0xFF, a Reset, a reconnect or a timed-out procedure.
* **Errors are typed, and only ours leave** (errors): a refusal names the op code and the
  result code; Bleak's and the OS's errors never escape a public coroutine of the link — they
  become a :class:`LinkError` with the original as ``__cause__``. A missing adapter is
  :class:`NoAdapterError`, recognised by the exception's type, never its text (adapter).
* **Targets are fitted to the treadmill** (treadmill): clamped to its range and put on its
  increment grid towards the slower / flatter side; a missing or empty range disables that
  control instead of failing the connect.
* **Known devices, as data** (treadmill): the treadmill is matched in the device knowledge base
  (``treadctl.devices``) at connect; the link applies the entry's deviations, with no
  per-model code, and keeps what it learns at run time as ``observed`` deviations.
* **Start order** (treadmill): speed, start, speed again; a belt that needs Start first is
  known from its entry or learned from a refusal.
* **Samples** (treadmill): More-Data fragments are merged; each complete record is one
  :class:`Sample` stamped with the clock's time of receipt; a malformed one is skipped.
* **Disconnects** (connection) are reported at once. Unless ``disconnect()`` was called, the
  link reconnects with backoff; after a reconnect it holds no control and **resumes
  nothing**: the caller decides what the belt does next.

Import from here (``from treadctl.link import TreadmillLink``); modules inside the package
import from each other's modules, never from this file.
"""

from __future__ import annotations

from treadctl.link.backends import BleakBackends
from treadctl.link.errors import (
    CommandError,
    CommandRefused,
    CommandRejected,
    CommandTimeout,
    ConnectFailed,
    ControlUnavailable,
    LinkError,
    LinkLostDuringCommand,
    NoAdapterError,
    NotConnected,
    ScanFailed,
    StartCancelled,
)
from treadctl.link.events import (
    CommandAnswered,
    Connected,
    ControlLost,
    Disconnected,
    HeartRateSample,
    LinkEvent,
    Listener,
    MalformedData,
    Reconnected,
    Reconnecting,
    Sample,
    StatusChanged,
    StrapReconnected,
    TrainingStatusChanged,
    TreadmillInfo,
    VendorStatus,
)
from treadctl.link.heart_rate import HeartRateLink
from treadctl.link.scan import FoundDevice, classify, scan
from treadctl.link.survey import advertisement_of, survey_gatt
from treadctl.link.treadmill import (
    RawListener,
    TreadmillLink,
    fit_to_grid,
    op_name,
)

__all__ = [
    "BleakBackends",
    "CommandAnswered",
    "CommandError",
    "CommandRefused",
    "CommandRejected",
    "CommandTimeout",
    "ConnectFailed",
    "Connected",
    "ControlLost",
    "ControlUnavailable",
    "Disconnected",
    "FoundDevice",
    "HeartRateLink",
    "HeartRateSample",
    "LinkError",
    "LinkEvent",
    "LinkLostDuringCommand",
    "Listener",
    "MalformedData",
    "NoAdapterError",
    "NotConnected",
    "RawListener",
    "Reconnected",
    "Reconnecting",
    "Sample",
    "ScanFailed",
    "StartCancelled",
    "StatusChanged",
    "StrapReconnected",
    "TrainingStatusChanged",
    "TreadmillInfo",
    "TreadmillLink",
    "VendorStatus",
    "advertisement_of",
    "classify",
    "fit_to_grid",
    "op_name",
    "scan",
    "survey_gatt",
]
