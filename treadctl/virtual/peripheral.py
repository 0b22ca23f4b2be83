"""The virtual treadmill served as a real FTMS GATT peripheral over Bumble.

Shape::

    FtmsPeripheral(model, clock, quirks=..., data_rate_hz=2.0, name=..., address=...,
                   device_information=None)
     ├── device: bumble Device             Fitness Machine Service 0x1826 (see below)
     ├── model: TreadmillModel             the belt physics; status events drive 0x2ADA
     ├── faults: Faults                    knobs a test or the console panel flips at run time
     ├── quirks: Quirks                    a real device's deviations (quirks.QUIRK_PROFILES)
     │    └── deviations: Deviations        what it emulates (treadctl.devices.deviations)
     ├── console_*() / pull_safety_key()   a person at the treadmill
     ├── drop_link() / lose_control()      faults that need I/O
     ├── add_trace_listener(cb)            {"t", "kind": "write" | "belt", ...} for --sim-trace
     └── advertising_data                  advertising.advertising_data(name, 0x1826, ...)

    await peripheral.start(radio)   # attach to a VirtualRadio, advertise, start the loops
    await peripheral.close()        # stop the loops (the radio powers the device off)

Served services: Device Information 0x180A (``device_information``, default
:data:`~treadctl.virtual.device_information.VIRTUAL_TREADMILL_INFORMATION`), then Fitness
Machine 0x1826 (``_services``, the hook a device report's shape overrides).
Served characteristics [FTMS Table 4.1]: Feature 0x2ACC (read), Treadmill Data 0x2ACD
(notify), Training Status 0x2AD3 (read, notify), Supported Speed Range 0x2AD4 and Supported
Inclination Range 0x2AD5 (read; absent with ``Deviations.has_ranges=False``), Control Point 0x2AD9
(write, indicate), Machine Status 0x2ADA (notify). Vendor services where a deviation needs them
(an unlock characteristic, FitShow's 0xFFF0, Life Fitness's control and user services: with
``life_fitness_setup`` no Treadmill Data goes to a connection until it wrote control1 01, then
02, :mod:`protocols.life_fitness`; a reconnect has to write them again). Advertising: flags,
complete local name, the 16-bit service UUID 0x1826 and FTMS Service Data (available,
treadmill), built by :func:`~treadctl.virtual.advertising.advertising_data`. Every value is
encoded by ``protocols.ftms``; the only bytes built here are the deliberately broken ones of
the ``Faults.malformed_records`` / ``truncated_records`` knobs (:mod:`treadctl.virtual.faults`).

Timing (all on the injected :class:`~treadctl.clock.Clock`, never real time):

* Treadmill Data: every ``1 / data_rate_hz`` s (deadlines start + n/rate, drift-free, 1-10 Hz,
  default 2 Hz; the first record comes one period after start), the model is advanced to
  ``clock.now()`` and one record is notified to each subscribed connection, split into More
  Data fragments [FTMS §4.19] when it is longer than that connection's ATT MTU − 3 (or
  ``max_fragment_size``); the speed travels in the last fragment only.
* Control Point: every check happens in the write callback, so a refused write gets its ATT
  error in the Write Response; a valid request is applied to the model *before* the Write
  Response goes out, and the 0x80 answer is sent from a task afterwards (an indication waits
  for the client's confirmation, which cannot come while the write is unanswered: awaiting it
  inline would deadlock Bumble). ``Faults.answer_delay_s`` delays only the answer.
* Machine Status: sent as soon as the model reports the change (FTMS says "about 1 s"; the
  virtual treadmill does not make clients wait). Per FTMS §4.17.1 a change made through the
  Control Point goes to the *other* connections only; console actions and the safety key go to
  every connection; Control Permission Lost goes to the client that lost control.
* Trace: ``t`` is clock seconds since :meth:`FtmsPeripheral.start`. Every Control Point write
  gives ``{"t", "kind": "write", "op", "value", "result"}``: ``op`` one of request_control,
  reset, set_target_speed, set_target_inclination, start_or_resume, stop, pause (others by hex,
  ``"0x15"``; ``None`` for an empty write), ``value`` the km/h or % of a set-target request
  (else ``None``), ``result`` the lower-case ResultCode name (``"success"``,
  ``"control_not_permitted"``...) or one of ``"ignored"``, ``"dropped_link"``,
  ``"cccd_improperly_configured"``, ``"procedure_already_in_progress"``,
  ``"invalid_attribute_length"``. Every simulated second gives ``{"t", "kind": "belt",
  "speed_kmh", "incline_pct", "running"}``; a write to a vendor characteristic (an unlock, the
  Life Fitness setup) gives ``{"t", "kind": "vendor_write", "characteristic", "value"}`` (the
  characteristic's UUID as Bleak spells it; the value in hex).

Control rules (FTMS §4.16, FTMP §4.4.14), in the order they are checked:

1. indications not enabled on the Control Point CCCD → ATT error 0xFD;
2. a write while this connection's previous answer is unconfirmed → ATT error 0xFE;
3. empty write → ATT error 0x0D (Invalid Attribute Value Length: there is no op code to name);
4. ``Faults``: ignored (no answer, no effect) or refused (the fault's result code, no effect);
5. an op code this treadmill does not implement → 0x02 (whoever asks: it is about the machine);
6. any op but Request Control without control → 0x05; Request Control while another
   connection holds control → 0x05;
7. a malformed parameter → 0x03;
8. otherwise the model's own result (0x01, 0x03 out of range, 0x04 wrong state).

Control is held by at most one connection and is lost on disconnection, on Reset and on
:meth:`FtmsPeripheral.lose_control`. Quirk profiles relax rules 1, 2 and 6 (``urevo-e1l``) or
drop the link instead of answering (``kingsmith``); see
:data:`treadctl.virtual.quirks.QUIRK_PROFILES`.

``Quirks``, ``QUIRK_PROFILES``, ``quirks_by_name`` and ``Faults`` are re-exported here for code
that imported them from this module before they had their own (:mod:`treadctl.virtual.quirks`,
:mod:`treadctl.virtual.faults`).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from bumble import att, hci
from bumble.core import UUID
from bumble.device import Connection, Device
from bumble.gatt import (
    Characteristic,
    CharacteristicValue,
    ClientCharacteristicConfigurationBits,
    Service,
)

from protocols import ParseError, fitshow, life_fitness
from protocols.device_information import DeviceInformation
from protocols.fields import Field, pack_field
from protocols.ftms import (
    ControlPointRequest,
    ControlPointResponse,
    FitnessMachineFeature,
    InclinationRange,
    MachineFeature,
    MachineStatus,
    OpCode,
    RequestControl,
    Reset,
    ResultCode,
    ServiceData,
    SetTargetInclination,
    SetTargetSpeed,
    SpeedRange,
    StartOrResume,
    StatusOp,
    StopOrPause,
    StopPause,
    TargetSettingFeature,
    TrainingStatus,
    TrainingStatusCode,
    TrainingStatusFlags,
    TreadmillData,
    TreadmillDataFlags,
)
from treadctl.clock import Clock
from treadctl.devices.deviations import KMH_PER_MPH
from treadctl.virtual.advertising import advertising_data
from treadctl.virtual.backend import bumble_uuid
from treadctl.virtual.device_information import (
    VIRTUAL_TREADMILL_INFORMATION,
    device_information_service,
)
from treadctl.virtual.faults import Faults
from treadctl.virtual.quirks import QUIRK_PROFILES, Quirks, quirks_by_name
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
)

if TYPE_CHECKING:
    from treadctl.virtual.radio import VirtualRadio

__all__ = [
    "DEFAULT_DATA_RATE_HZ",
    "FEATURES",
    "QUIRK_PROFILES",
    "SUPPORTED_OPS",
    "Faults",
    "FtmsPeripheral",
    "Quirks",
    "TraceListener",
    "TraceRecord",
    "quirks_by_name",
]

logger = logging.getLogger(__name__)

# Bumble spellings of the FTMS UUIDs (protocols.ftms has the Bleak spellings).
FTMS_SERVICE_UUID = UUID.from_16_bits(0x1826)
FEATURES_UUID = UUID.from_16_bits(0x2ACC)
TREADMILL_DATA_UUID = UUID.from_16_bits(0x2ACD)
TRAINING_STATUS_UUID = UUID.from_16_bits(0x2AD3)
SPEED_RANGE_UUID = UUID.from_16_bits(0x2AD4)
INCLINATION_RANGE_UUID = UUID.from_16_bits(0x2AD5)
CONTROL_POINT_UUID = UUID.from_16_bits(0x2AD9)
MACHINE_STATUS_UUID = UUID.from_16_bits(0x2ADA)

DEFAULT_DATA_RATE_HZ = 2.0
MIN_DATA_RATE_HZ = 1.0
MAX_DATA_RATE_HZ = 10.0

#: Fitness Machine Feature 0x2ACC this treadmill reports [FTMS Tables 4.3, 4.4].
FEATURES = FitnessMachineFeature(
    MachineFeature.AVERAGE_SPEED
    | MachineFeature.TOTAL_DISTANCE
    | MachineFeature.INCLINATION
    | MachineFeature.EXPENDED_ENERGY
    | MachineFeature.HEART_RATE_MEASUREMENT
    | MachineFeature.ELAPSED_TIME,
    TargetSettingFeature.SPEED | TargetSettingFeature.INCLINATION,
)

#: Control Point op codes the virtual treadmill implements; every other one answers 0x02.
SUPPORTED_OPS = frozenset(
    {
        OpCode.REQUEST_CONTROL,
        OpCode.RESET,
        OpCode.SET_TARGET_SPEED,
        OpCode.SET_TARGET_INCLINATION,
        OpCode.START_OR_RESUME,
        OpCode.STOP_OR_PAUSE,
    }
)

# Trace names of the supported op codes (stop and pause are told apart by the parameter).
_OP_NAMES: Mapping[OpCode, str] = {
    OpCode.REQUEST_CONTROL: "request_control",
    OpCode.RESET: "reset",
    OpCode.SET_TARGET_SPEED: "set_target_speed",
    OpCode.SET_TARGET_INCLINATION: "set_target_inclination",
    OpCode.START_OR_RESUME: "start_or_resume",
    OpCode.STOP_OR_PAUSE: "stop_or_pause",
}

# Treadmill Data field groups this peripheral sends, in wire order (one flag bit each) and the
# attributes of TreadmillData each group fills. Splitting a record only ever moves whole groups.
_RECORD_GROUPS: tuple[tuple[TreadmillDataFlags, tuple[str, ...]], ...] = (
    (TreadmillDataFlags.AVERAGE_SPEED, ("average_speed_kmh",)),
    (TreadmillDataFlags.TOTAL_DISTANCE, ("total_distance_m",)),
    (TreadmillDataFlags.INCLINATION_AND_RAMP_ANGLE, ("inclination_pct", "ramp_angle_deg")),
    (
        TreadmillDataFlags.EXPENDED_ENERGY,
        ("total_energy_kcal", "energy_per_hour_kcal", "energy_per_minute_kcal"),
    ),
    (TreadmillDataFlags.HEART_RATE, ("heart_rate_bpm",)),
    (TreadmillDataFlags.ELAPSED_TIME, ("elapsed_time_s",)),
)

#: Smallest fragment that can carry any one group (flags + energy's 5 bytes).
MIN_FRAGMENT_SIZE = 7

# RFU flag bit 13 and the 3-byte step count behind it (Urevo, CITYSPORTS-Linker, KingSmith).
_STEP_COUNT_FLAG = 1 << 13
_STEP_COUNT = Field("step_count", 3)
_STRIDE_M = 0.7  # metres per step, for a plausible step count only

_U16_MAX = 0xFFFF
_U24_MAX = 0xFFFFFF

TraceRecord = dict[str, Any]
TraceListener = Callable[[TraceRecord], None]


# --------------------------------------------------------------------------------------------
# The peripheral


class _WriteRejected(Exception):
    """Internal: a write that ends in an ATT error (carried to the trace, then raised)."""

    def __init__(self, error_code: att.ErrorCode, result: str) -> None:
        super().__init__(result)
        self.error_code = error_code
        self.result = result


class FtmsPeripheral:
    """A :class:`TreadmillModel` served as an FTMS treadmill; see the module docstring.

    The model's time base must be the clock's: it is advanced to ``clock.now()`` before every
    command and record (build it with ``start_time=clock.now()``, as VirtualWorld does).

    ``max_connections`` (default 1, like most treadmills) > 1 keeps advertising while fewer
    clients are connected, so a second central (a phone app beside treadctl) can connect and
    see the Machine Status notifications FTMS §4.17.1 sends to "other clients".
    """

    def __init__(
        self,
        model: TreadmillModel,
        clock: Clock,
        *,
        quirks: Quirks | str = "standard",
        data_rate_hz: float = DEFAULT_DATA_RATE_HZ,
        name: str = "Virtual Treadmill",
        address: str = "F0:00:00:00:00:01",
        max_fragment_size: int | None = None,
        max_connections: int = 1,
        device_information: DeviceInformation | None = None,
    ) -> None:
        if max_connections < 1:
            raise ValueError(f"max_connections must be at least 1, got {max_connections}")
        if not (MIN_DATA_RATE_HZ <= data_rate_hz <= MAX_DATA_RATE_HZ):
            raise ValueError(
                f"data rate must be {MIN_DATA_RATE_HZ}-{MAX_DATA_RATE_HZ} Hz, got {data_rate_hz}"
            )
        if max_fragment_size is not None and max_fragment_size < MIN_FRAGMENT_SIZE:
            raise ValueError(
                f"max_fragment_size must be at least {MIN_FRAGMENT_SIZE} bytes "
                f"(flags + the widest field group), got {max_fragment_size}"
            )
        self.model = model
        self.clock = clock
        self.quirks = quirks_by_name(quirks) if isinstance(quirks, str) else quirks
        #: The deviations this treadmill emulates (the vocabulary the link applies).
        self.deviations = self.quirks.deviations
        self.data_rate_hz = data_rate_hz
        self.name = name
        self.address = address
        self.max_fragment_size = max_fragment_size
        self.max_connections = max_connections
        #: What its Device Information Service 0x180A says (VIRTUAL_TREADMILL_INFORMATION).
        self.device_information = device_information or VIRTUAL_TREADMILL_INFORMATION
        self.faults = Faults()
        #: Heart rate the treadmill reports in its records (hand grips, or a strap paired to
        #: the console); None leaves the field out.
        self.heart_rate_bpm: int | None = None

        self.device = Device(name=name, address=hci.Address(address))
        self._radio: VirtualRadio | None = None
        self._started_at: float | None = None
        self._controller: Connection | None = None
        self._busy: set[Connection] = set()
        # Deviations' state: Request Control refusals still to give per connection, and when
        # the belt was last started (for a speed refused during its start-up).
        self._control_refusals_left: dict[Connection, int] = {}
        self._unlocked: set[Connection] = set()
        self._control_asked: set[Connection] = set()  # a first Request Control was ignored
        # Life Fitness setup per connection: control1 got 01 (begun), then 02 (set up).
        self._life_fitness_begun: set[Connection] = set()
        self._life_fitness_set_up: set[Connection] = set()
        self._last_start: float | None = None
        # When the last Start came over the Control Point, while a keep-alive is due (None:
        # no belt started over it is running).
        self._keepalive_since: float | None = None
        self._writer: Connection | None = None
        self._training_status = self._training_code()
        self._malformed_turn = 0
        self._trace_listeners: list[TraceListener] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self._answers: dict[Connection, set[asyncio.Task[None]]] = {}
        # (characteristic, value, connection to skip, only connection to notify)
        self._outbox: asyncio.Queue[
            tuple[Characteristic[bytes], bytes, Connection | None, Connection | None]
        ] = asyncio.Queue()
        self._closed = False

        self._feature = Characteristic(
            FEATURES_UUID, Characteristic.Properties.READ, Characteristic.READABLE, bytes(FEATURES)
        )
        self._data: Characteristic[bytes] = Characteristic(
            TREADMILL_DATA_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b""
        )
        self._training: Characteristic[bytes] = Characteristic(
            TRAINING_STATUS_UUID,
            Characteristic.Properties.READ | Characteristic.Properties.NOTIFY,
            Characteristic.READABLE,
            CharacteristicValue(read=self._on_training_status_read),
        )
        control_properties = Characteristic.Properties.WRITE | Characteristic.Properties.INDICATE
        if self.deviations.responses_as_notifications:
            control_properties |= Characteristic.Properties.NOTIFY
        if self.deviations.accepts_write_without_response:
            control_properties |= Characteristic.Properties.WRITE_WITHOUT_RESPONSE
        self._control_point: Characteristic[bytes] = Characteristic(
            CONTROL_POINT_UUID,
            control_properties,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_control_point_write),
        )
        self._status: Characteristic[bytes] = Characteristic(
            MACHINE_STATUS_UUID, Characteristic.Properties.NOTIFY, Characteristic.READABLE, b""
        )
        characteristics: list[Characteristic[Any]] = [self._feature, self._data, self._training]
        if self.deviations.has_ranges:
            spec = model.spec
            speed_range = SpeedRange(
                self._reported_kmh(spec.min_speed_kmh),
                self._reported_kmh(spec.max_speed_kmh),
                self._reported_kmh(spec.speed_increment_kmh),
            )
            incline_range = InclinationRange(
                spec.min_incline_pct, spec.max_incline_pct, spec.incline_increment_pct
            )
            if self.deviations.zero_inclination_range:
                incline_range = InclinationRange(0.0, 0.0, 0.0)
            characteristics += [
                Characteristic(
                    SPEED_RANGE_UUID,
                    Characteristic.Properties.READ,
                    Characteristic.READABLE,
                    bytes(speed_range),
                ),
                Characteristic(
                    INCLINATION_RANGE_UUID,
                    Characteristic.Properties.READ,
                    Characteristic.READABLE,
                    bytes(incline_range),
                ),
            ]
        characteristics += [self._control_point, self._status]
        self._fitshow: Characteristic[bytes] | None = None
        self.device.add_services(self._services(characteristics))
        self.device.on(Device.EVENT_CONNECTION, self._on_connection)
        model.add_listener(self._on_model_event)

    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        """The GATT services in handle order: Device Information, Fitness Machine, and a
        vendor one where a deviation needs it.

        A hook: :class:`~treadctl.virtual.reported_device.ReportedPeripheral` shapes them
        after a device report (its order, properties, values and vendor services).
        """
        services = [
            device_information_service(self.device_information),
            Service(FTMS_SERVICE_UUID, ftms_characteristics),
        ]
        if self.deviations.unlock_write is not None:
            # Merach MRK-T, YPOO Mini Pro: a vendor characteristic to write before control.
            unlock: Characteristic[bytes] = Characteristic(
                UUID(self.deviations.unlock_write[0]),
                Characteristic.Properties.WRITE | Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
                Characteristic.WRITEABLE,
                CharacteristicValue(write=self._on_unlock_write),
            )
            # The real ones' service UUIDs are not in the sources: the characteristic's own,
            # with its node part zeroed.
            service = UUID(self.deviations.unlock_write[0][:24] + "0" * 12)
            services.append(Service(service, [unlock]))
        if self.deviations.fitshow_vendor_status:
            # A FitShow module's own service: status packets on 0xFFF1 (sent with each data
            # record, as the module repeats them), commands on 0xFFF2 (taken and ignored).
            self._fitshow = Characteristic(
                UUID(fitshow.FITSHOW_NOTIFY_UUID),
                Characteristic.Properties.NOTIFY,
                Characteristic.READABLE,
                b"",
            )
            commands: Characteristic[bytes] = Characteristic(
                UUID(fitshow.FITSHOW_WRITE_UUID),
                Characteristic.Properties.WRITE | Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
                Characteristic.WRITEABLE,
                b"",
            )
            services.append(Service(UUID(fitshow.FITSHOW_SERVICE_UUID), [self._fitshow, commands]))
        if self.deviations.life_fitness_setup:
            # A Life Fitness console: its control service (status, control1, control2) and its
            # user service (User Data and two vendor values), written before data flows.
            status: Characteristic[bytes] = Characteristic(
                UUID(life_fitness.STATUS_UUID),
                Characteristic.Properties.NOTIFY,
                Characteristic.READABLE,
                b"",
            )
            control = [status] + [
                self._life_fitness_characteristic(uuid)
                for uuid in life_fitness.CONTROL_CHARACTERISTICS
                if uuid != life_fitness.STATUS_UUID
            ]
            user = [self._life_fitness_characteristic(u) for u in life_fitness.USER_CHARACTERISTICS]
            services.append(Service(UUID(life_fitness.CONTROL_SERVICE_UUID), control))
            services.append(Service(UUID(life_fitness.USER_SERVICE_UUID), user))
        return services

    def _life_fitness_characteristic(self, uuid: str) -> Characteristic[bytes]:
        """A writable characteristic of the Life Fitness setup (its writes traced)."""
        return Characteristic(
            bumble_uuid(uuid),
            Characteristic.Properties.WRITE,
            Characteristic.WRITEABLE,
            CharacteristicValue(write=self._on_life_fitness_write(uuid)),
        )

    def _on_life_fitness_write(self, uuid: str) -> Callable[[Connection, bytes], None]:
        """The write callback of ``uuid`` in the Life Fitness setup: control1's 01 then 02 let
        that connection's data flow; every write is traced."""

        def on_write(connection: Connection, value: bytes) -> None:
            data = bytes(value)
            if uuid == life_fitness.CONTROL1_UUID:
                if data == life_fitness.CONTROL1_BEGIN:
                    self._life_fitness_begun.add(connection)
                elif data == life_fitness.CONTROL1_END and connection in self._life_fitness_begun:
                    self._life_fitness_set_up.add(connection)
            self._trace({"kind": "vendor_write", "characteristic": uuid, "value": data.hex()})

        return on_write

    def _sends_data_to(self, connection: Connection) -> bool:
        """Whether ``connection`` gets Treadmill Data: subscribed, and set up where a Life
        Fitness setup is needed."""
        if not self._subscribed(connection, self._data, indicate=False):
            return False
        return not self.deviations.life_fitness_setup or connection in self._life_fitness_set_up

    def vendor_status(self) -> fitshow.FitShowStatus:
        """What a FitShow module would say now: the safety key, an error, else the belt."""
        if not self.model.safety_key_in:
            return fitshow.FitShowStatus(fitshow.FitShowState.SAFETY_KEY)
        if self.faults.vendor_error is not None:
            return fitshow.FitShowStatus(fitshow.FitShowState.ERROR, self.faults.vendor_error)
        match self.model.state:
            case MachineState.RUNNING:
                return fitshow.FitShowStatus(fitshow.FitShowState.RUNNING)
            case MachineState.PAUSED:
                return fitshow.FitShowStatus(fitshow.FitShowState.PAUSED)
            case _:
                return fitshow.FitShowStatus(fitshow.FitShowState.IDLE)

    def report_error(self, code: int) -> ResultCode:
        """The console shows error ``code`` (FitShow E01-E03) and halts the belt, as a real
        one does; a FitShow module says so on 0xFFF1. ``faults.vendor_error = None`` clears."""
        self._sync()
        self.faults.vendor_error = code
        return self.model.console_stop()

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def advertising_data(self) -> bytes:
        """Flags, complete local name, service UUID 0x1826 and FTMS Service Data [FTMS §3.1]."""
        return advertising_data(self.name, FTMS_SERVICE_UUID, bytes(ServiceData()))

    @property
    def started_at(self) -> float | None:
        """Clock time of :meth:`start` (the zero of trace times), None before it."""
        return self._started_at

    @property
    def controller(self) -> Connection | None:
        """The connection holding control, if any."""
        return self._controller

    @property
    def connections(self) -> list[Connection]:
        return list(self.device.connections.values())

    async def start(self, radio: VirtualRadio) -> None:
        """Attach to ``radio``, advertise, and start the data, trace and status loops."""
        if self._started_at is not None:
            raise RuntimeError("this FtmsPeripheral is already started")
        self._radio = radio
        self._sync()
        self._started_at = self.clock.now()
        await radio.add_peripheral(self.device, advertising_data=self.advertising_data)
        self._spawn(self._data_loop())
        self._spawn(self._belt_trace_loop())
        self._spawn(self._status_sender())

    async def close(self) -> None:
        """Stop every loop and pending answer. Idempotent; the radio powers the device off."""
        if self._closed:
            return
        self._closed = True
        self.model.remove_listener(self._on_model_event)
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _spawn(self, coroutine: Any) -> asyncio.Task[None]:
        # Kept referenced until done, or the loop could garbage-collect a running task.
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._on_task_done)
        return task

    def _on_task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("virtual treadmill task failed", exc_info=task.exception())

    # -- the person at the console ----------------------------------------------------------

    def console_start(self) -> ResultCode:
        """Press Start on the console (status 0x04 to every client)."""
        self._sync()
        if self.deviations.start_key_as_stop_status:
            # Toputure TP1: the key asks the app to start it (qdomyos-zwift answers so).
            self._send_status(MachineStatus(StatusOp.STOPPED_OR_PAUSED_BY_USER, StopPause.STOP))
            return ResultCode.SUCCESS
        return self.model.console_start()

    def console_stop(self) -> ResultCode:
        """Press Stop (status 0x02 with Stop to every client)."""
        self._sync()
        return self.model.console_stop()

    def console_pause(self) -> ResultCode:
        """Press Pause (status 0x02 with Pause to every client)."""
        self._sync()
        return self.model.console_pause()

    def console_set_speed(self, kmh: float) -> ResultCode:
        """Use the speed keys (status 0x05 to every client)."""
        self._sync()
        return self.model.console_set_speed(kmh)

    def console_set_incline(self, pct: float) -> ResultCode:
        """Use the incline keys (status 0x06 to every client)."""
        self._sync()
        return self.model.console_set_incline(pct)

    def pull_safety_key(self) -> ResultCode:
        """Pull the safety key (status 0x03 to every client; hard braking)."""
        self._sync()
        return self.model.pull_safety_key()

    def insert_safety_key(self) -> ResultCode:
        """Put the key back (no status: the belt stays stopped until started)."""
        self._sync()
        return self.model.insert_safety_key()

    # -- faults that need I/O ---------------------------------------------------------------

    async def drop_link(self, reason: int = hci.HCI_ErrorCode.CONNECTION_TIMEOUT_ERROR) -> None:
        """Cut every connection from the peripheral side (default reason 0x08, link loss)."""
        if self._radio is None:
            raise RuntimeError("the peripheral is not started")
        await self._radio.drop_link(self.device, reason)

    def lose_control(self) -> None:
        """Take control away: status 0xFF to the controlling client, which must ask again."""
        controller, self._controller = self._controller, None
        if controller is not None:
            self._send_status(MachineStatus(StatusOp.CONTROL_PERMISSION_LOST), only=controller)

    # -- trace ------------------------------------------------------------------------------

    def add_trace_listener(self, listener: TraceListener) -> None:
        """Call ``listener`` with each trace record (a plain dict, JSON-ready)."""
        self._trace_listeners.append(listener)

    def remove_trace_listener(self, listener: TraceListener) -> None:
        self._trace_listeners.remove(listener)

    def _trace(self, record: TraceRecord) -> None:
        start = self._started_at if self._started_at is not None else self.clock.now()
        record = {"t": round(self.clock.now() - start, 6), **record}
        for listener in list(self._trace_listeners):
            try:
                listener(record)
            except Exception:
                # A broken trace file must not break the treadmill (nor a GATT callback).
                logger.exception("virtual treadmill trace listener failed")

    async def _belt_trace_loop(self) -> None:
        deadline = self.clock.now()
        while True:
            deadline += 1.0
            await self.clock.sleep_until(deadline)
            self._sync()
            belt = self.model.snapshot()
            self._trace(
                {
                    "kind": "belt",
                    "speed_kmh": round(belt.speed_kmh, 2),
                    "incline_pct": round(belt.incline_pct, 1),
                    "running": belt.state is MachineState.RUNNING,
                }
            )

    # -- units ------------------------------------------------------------------------------

    def _commanded_kmh(self, value: float) -> float:
        """The belt speed a Set Target Speed value asks for, in the unit this device reads it
        in (``speed_command_unit``: a treadmill reading mph runs 5.00 at 8.05 km/h)."""
        if self.deviations.speed_command_unit == "mph":
            return value * KMH_PER_MPH
        return value

    def _commanded_incline(self, value: float) -> float | None:
        """The deck a Set Target Inclination value asks for (None: this device refuses it):
        a level code of its table (``incline_codes``), or percent on its grid only
        (``incline_step_pct``: a Sole F85 refuses 0.5 %)."""
        d = self.deviations
        if d.incline_codes is not None:
            code = round(value * 10)
            return next((pct for pct, c in d.incline_codes if c == code), None)
        step = d.incline_step_pct
        if step is not None and abs(value / step - round(value / step)) > 1e-6:
            return None
        return value

    def _reported_incline(self, pct: float) -> float | None:
        """The deck as this device reports it: not at all (``reports_incline``), as the code
        of the level it is at or above (``incline_codes_in_data``), or in 0.1 %."""
        d = self.deviations
        if not d.reports_incline:
            return None
        if d.incline_codes is not None and d.incline_codes_in_data:
            code = max((c for p, c in d.incline_codes if p <= pct + 1e-9), default=0)
            return code / 10
        return round(pct, 1)

    def _reported_kmh(self, kmh: float) -> float:
        """A belt speed as this device writes it (``speed_data_unit``), to 0.01."""
        if self.deviations.speed_data_unit == "mph":
            return round(kmh / KMH_PER_MPH, 2)
        return kmh

    # -- Treadmill Data ---------------------------------------------------------------------

    async def _data_loop(self) -> None:
        # deadline = origin + n * period rather than deadline += period: the same drift-free
        # schedule, without 0.1 s summed thirty times landing after 3.0 s.
        origin = self.clock.now()
        for tick in itertools.count(1):
            await self.clock.sleep_until(origin + tick / self.data_rate_hz)
            self._sync()
            self._check_keepalive()
            if not self.faults.silent:
                record = self.record()
                for connection in self.connections:
                    if not self._sends_data_to(connection):
                        continue
                    for payload in self._payloads(record, self._fragment_limit(connection)):
                        await self.device.notify_subscriber(connection, self._data, payload)
            # A FitShow status is a status: it flows while the data is silent.
            if self._fitshow is not None:
                packet = self.vendor_status().to_bytes()
                for connection in self.connections:
                    if self._subscribed(connection, self._fitshow, indicate=False):
                        await self.device.notify_subscriber(connection, self._fitshow, packet)

    def _check_keepalive(self) -> None:
        """Stop a belt whose keep-alive Start is overdue (``start_keepalive_s``), as its
        console would: status 0x02 (stop) to every client."""
        due = self.deviations.start_keepalive_s
        since = self._keepalive_since
        if since is None or self.model.state is not MachineState.RUNNING:
            self._keepalive_since = None
            return
        if self.clock.now() - since > due:
            self._keepalive_since = None
            self.model.console_stop()

    def record(self) -> TreadmillData:
        """The Treadmill Data record for the model's current state (whole, not split)."""
        belt = self.model.snapshot()
        step = self.deviations.distance_step_m
        distance = min(int(belt.distance_m) // step * step, _U24_MAX)
        reserved = 0
        trailing = b""
        if self.deviations.step_count_records or self.faults.reserved_bit_records:
            reserved = _STEP_COUNT_FLAG
            steps = min(int(belt.distance_m / _STRIDE_M), _STEP_COUNT.max_raw)
            trailing = pack_field(_STEP_COUNT, steps)
        return TreadmillData(
            speed_kmh=_clamp_kmh(self._reported_kmh(belt.speed_kmh)),
            average_speed_kmh=_clamp_kmh(self._reported_kmh(_average_kmh(belt))),
            total_distance_m=distance,
            inclination_pct=self._reported_incline(belt.incline_pct),
            ramp_angle_deg=None,
            total_energy_kcal=min(
                int(belt.elapsed_s if self.deviations.energy_is_elapsed_time else belt.energy_kcal),
                _U16_MAX - 1,
            ),
            energy_per_hour_kcal=None,
            energy_per_minute_kcal=None,
            heart_rate_bpm=self.heart_rate_bpm,
            elapsed_time_s=min(int(belt.elapsed_s), _U16_MAX),
            reserved_flags=reserved,
            trailing=trailing,
        )

    def fragments(self, record: TreadmillData, limit: int) -> list[TreadmillData]:
        """``record`` split into notifications of at most ``limit`` bytes [FTMS §4.19].

        Whole field groups are packed greedily in wire order; every fragment but the last has
        More Data set; the speed, the RFU bits and the trailing bytes go in the last one.
        ``Deviations.split_after`` forces a break between the groups up to that flag and those
        after it, whatever the size.
        """
        present = [bit for bit, names in _RECORD_GROUPS if _has_group(record, names)]
        split = self.deviations.split_after
        if split is None:
            # When everything fits, the packing below gives this one fragment: found with one
            # encoding instead of one per field group (the common case, every notification).
            whole = _fragment(record, present, final=True)
            if len(bytes(whole)) <= limit:
                return [whole]
        pending: list[TreadmillDataFlags] = []
        chunks: list[list[TreadmillDataFlags]] = []

        def fits(groups: list[TreadmillDataFlags], final: bool) -> bool:
            return len(bytes(_fragment(record, groups, final=final))) <= limit

        for bit in present:
            crosses = split is not None and bool(pending) and pending[-1] <= split < bit
            if pending and (crosses or not fits([*pending, bit], final=False)):
                chunks.append(pending)
                pending = []
            pending.append(bit)
        if split is not None and pending and pending[-1] <= split:
            chunks.append(pending)  # nothing after the split point: the speed goes alone
            pending = []
        # The speed closes the record; if it does not fit with the tail, the tail goes alone.
        if pending and not fits(pending, final=True):
            chunks.append(pending)
            pending = []
        parts = [_fragment(record, groups, final=False) for groups in chunks]
        parts.append(_fragment(record, pending, final=True))
        return parts

    def _fragment_limit(self, connection: Connection) -> int:
        limit = connection.att_mtu - 3
        if self.max_fragment_size is not None:
            limit = min(limit, self.max_fragment_size)
        return limit

    def _payloads(self, record: TreadmillData, limit: int) -> list[bytes]:
        if self.faults.malformed_records:
            # Undecodable on purpose: an empty value, then a lone byte (flags cut in half).
            self._malformed_turn += 1
            return [bytes(self._malformed_turn % 2)]
        payloads = [bytes(part) for part in self.fragments(record, limit)]
        if self.faults.truncated_records:
            payloads[-1] = payloads[-1][:-2]
        d = self.deviations
        if d.records_cut_at:
            payloads[-1] = payloads[-1][: d.records_cut_at]  # Matrix: 20 of 30 bytes
        if d.speed_without_flag or d.never_final_record:
            # KingSmith PH4: "no speed" flagged, the speed at bytes 2..4 all the same; a
            # third-party server: More Data in every notification.
            payloads = [bytes([p[0] | TreadmillDataFlags.MORE_DATA]) + p[1:] for p in payloads]
        return payloads

    # -- Training Status --------------------------------------------------------------------

    def _training_code(self) -> TrainingStatusCode:
        if self.model.state is MachineState.RUNNING:
            return TrainingStatusCode.MANUAL_MODE
        return TrainingStatusCode.IDLE

    def training_status(self) -> TrainingStatus:
        """Idle unless the belt is running (then Manual Mode / Quick Start)."""
        reserved = 0
        if self.deviations.training_status_flag_without_string:
            # FS-6041F1 sends the "string present" flag with no string (01 01); the codec has
            # no other way to put a flag it would never set for an absent string.
            reserved = TrainingStatusFlags.STRING_PRESENT
        return TrainingStatus(self._training_code(), reserved_flags=reserved)

    def _on_training_status_read(self, connection: Connection) -> bytes:
        value = bytes(self.training_status())
        if self.deviations.short_training_status and self._training_code() is (
            TrainingStatusCode.IDLE
        ):
            return value[:1]  # Domyos-TC, Wi-linktech: an EOFError in pyftms's connect
        return value

    # -- Control Point ----------------------------------------------------------------------

    def _on_control_point_write(self, connection: Connection, value: bytes) -> None:
        # Bumble turns an ATT_Error into an ATT Error Response; anything else would leave the
        # client with "unlikely error" and a stack trace, so it is translated here.
        try:
            self._handle_write(connection, bytes(value))
        except _WriteRejected as rejected:
            raise att.ATT_Error(rejected.error_code, message=rejected.result) from None
        except Exception as error:
            logger.exception("virtual treadmill: Control Point write failed")
            raise att.ATT_Error(att.ErrorCode.UNLIKELY_ERROR) from error

    def _handle_write(self, connection: Connection, data: bytes) -> None:
        self._sync()
        try:
            op = self._check_att_rules(connection, data)
        except _WriteRejected as rejected:
            self._trace_write(OpCode(data[0]) if data else None, data, None, rejected.result)
            raise
        if self.faults.take_ignore() or self._ignores_first_request_control(connection, op):
            self._trace_write(op, data, None, "ignored")
            return

        request: ControlPointRequest | None = None
        result = self.faults.refusal(op)
        if result is None:
            result, request = self._decide(connection, op, data)
        if result is None:
            # KingSmith: Set Target Speed while stopped drops the link instead of answering.
            self._trace_write(op, data, request, "dropped_link")
            self._spawn(self.drop_link())
            return
        self._trace_write(op, data, request, result.name.lower())
        self._answer(connection, ControlPointResponse(op, result))

    def _check_att_rules(self, connection: Connection, data: bytes) -> OpCode:
        """The write's op code, if the write passes the rules that end in an ATT error."""
        if self.deviations.requires_indications and not self._subscribed(
            connection, self._control_point, indicate=True
        ):
            raise _WriteRejected(
                att.ErrorCode.CCCD_IMPROPERLY_CONFIGURED, "cccd_improperly_configured"
            )
        if self.deviations.single_procedure and connection in self._busy:
            raise _WriteRejected(
                att.ErrorCode.PROCEDURE_ALREADY_IN_PROGRESS, "procedure_already_in_progress"
            )
        if not data:
            raise _WriteRejected(att.ErrorCode.INVALID_ATTRIBUTE_LENGTH, "invalid_attribute_length")
        return OpCode(data[0])

    def _decide(
        self, connection: Connection, op: OpCode, data: bytes
    ) -> tuple[ResultCode | None, ControlPointRequest | None]:
        """The result for a request that passed the ATT rules and the faults (None: drop)."""
        if op not in SUPPORTED_OPS:
            return ResultCode.OP_CODE_NOT_SUPPORTED, None
        if (
            self.deviations.requires_control
            and op is not OpCode.REQUEST_CONTROL
            and connection is not self._controller
        ):
            return ResultCode.CONTROL_NOT_PERMITTED, None
        try:
            request = ControlPointRequest.from_bytes(data)
        except ParseError:
            return ResultCode.INVALID_PARAMETER, None
        if (
            isinstance(request, SetTargetSpeed)
            and self.deviations.drops_link_on_speed_while_stopped
            and self.model.state is MachineState.STOPPED
        ):
            return None, request
        if (refused := self._refused_by_deviation(connection, request)) is not None:
            return refused, request
        self._writer = connection
        try:
            return self._apply(connection, request), request
        finally:
            self._writer = None

    def _refused_by_deviation(
        self, connection: Connection, request: ControlPointRequest
    ) -> ResultCode | None:
        """A refusal this device's deviations make before the model hears of the request."""
        d = self.deviations
        if d.unlock_write is not None and connection not in self._unlocked:
            return ResultCode.CONTROL_NOT_PERMITTED
        if isinstance(request, RequestControl) and connection is not self._controller:
            left = self._control_refusals_left.setdefault(connection, d.control_refusals)
            if left > 0:
                self._control_refusals_left[connection] = left - 1
                return ResultCode.CONTROL_NOT_PERMITTED
        if (
            isinstance(request, SetTargetSpeed)
            and self._last_start is not None
            and self.clock.now() - self._last_start < d.speed_refused_after_start_s
        ):
            return ResultCode.CONTROL_NOT_PERMITTED
        return None

    def _ignores_first_request_control(self, connection: Connection, op: OpCode) -> bool:
        """Wellfit, SW, YPOO: the first Request Control of a connection goes unanswered."""
        if not self.deviations.request_control_twice or op is not OpCode.REQUEST_CONTROL:
            return False
        if connection in self._control_asked:
            return False
        self._control_asked.add(connection)
        return True

    def _on_unlock_write(self, connection: Connection, value: bytes) -> None:
        unlock = self.deviations.unlock_write
        if unlock is not None and bytes(value) == unlock[1]:
            self._unlocked.add(connection)
        self._trace(
            {
                "kind": "vendor_write",
                "characteristic": unlock[0] if unlock is not None else None,
                "value": bytes(value).hex(),
            }
        )

    def _apply(self, connection: Connection, request: ControlPointRequest) -> ResultCode:
        model = self.model
        match request:
            case RequestControl():
                if not self.deviations.requires_control:
                    return ResultCode.SUCCESS
                if self._controller is not None and self._controller is not connection:
                    return ResultCode.CONTROL_NOT_PERMITTED
                self._controller = connection
                return ResultCode.SUCCESS
            case Reset():
                result = model.reset()
                if self._controller is connection:
                    self._controller = None  # FTMS §4.16.2.1: Reset ends control
                return result
            case SetTargetSpeed(kmh=kmh):
                if self.deviations.ignores_speed_control:
                    # Xterra T85 (FitShow FS-BT-02 fw 1.2.8), Sperax RM-01: hassio-ftms #26.
                    return ResultCode.SUCCESS
                return model.set_target_speed(self._commanded_kmh(kmh))
            case SetTargetInclination(pct=pct):
                level = self._commanded_incline(pct)
                if level is None:
                    return ResultCode.INVALID_PARAMETER
                return model.set_target_inclination(level)
            case StartOrResume():
                if self.deviations.start_keepalive_s > 0:
                    if model.state is MachineState.RUNNING:
                        # Xterra TRX3500: a Start while running is the keep-alive.
                        self._keepalive_since = self.clock.now()
                        return ResultCode.SUCCESS
                    result = model.start_or_resume()
                    if result is ResultCode.SUCCESS:
                        self._keepalive_since = self.clock.now()
                    return result
                return model.start_or_resume()
            case StopOrPause(pause=pause):
                return model.pause() if pause else model.stop()
        # Unreachable: _decide lets only SUPPORTED_OPS through, and each has a case above.
        return ResultCode.OP_CODE_NOT_SUPPORTED

    def _answer(self, connection: Connection, response: ControlPointResponse) -> None:
        if self.deviations.single_procedure:
            self._busy.add(connection)
        task = self._spawn(self._send_answer(connection, response, self.faults.answer_delay_s))
        answers = self._answers.setdefault(connection, set())
        answers.add(task)
        task.add_done_callback(answers.discard)

    async def _send_answer(
        self, connection: Connection, response: ControlPointResponse, delay: float
    ) -> None:
        payload = bytes(response)
        try:
            if delay > 0:
                await self.clock.sleep(delay)
            if self.deviations.responses_as_notifications:
                # Urevo E1L: a notification whatever the CCCD says (forced past Bumble's check).
                await self.device.notify_subscriber(
                    connection, self._control_point, payload, force=True
                )
            else:
                # Returns once the client confirms; nothing is sent if indications are off.
                await self.device.indicate_subscriber(connection, self._control_point, payload)
        except TimeoutError:
            logger.warning("virtual treadmill: indication %s never confirmed", payload.hex())
        finally:
            self._busy.discard(connection)

    def _trace_write(
        self,
        op: OpCode | None,
        data: bytes,
        request: ControlPointRequest | None,
        result: str,
    ) -> None:
        value: float | None = None
        if request is None and data:
            # Refused and ignored writes are traced with what they asked for, too.
            with contextlib.suppress(ParseError):
                request = ControlPointRequest.from_bytes(data)
        match request:
            case SetTargetSpeed(kmh=kmh):
                value = kmh
            case SetTargetInclination(pct=pct):
                value = pct
        self._trace(
            {"kind": "write", "op": _op_name(op, request), "value": value, "result": result}
        )

    # -- Machine Status ---------------------------------------------------------------------

    def _on_model_event(self, event: StatusEvent) -> None:
        if isinstance(event, StartedByUser):
            self._last_start = self.clock.now()
        elif (
            isinstance(event, StoppedByUser)
            and event.kind is StopPause.PAUSE
            and self.deviations.control_lost_after_pause
            and self._controller is not None
        ):
            # KingSmith PH4 / X21 over FTMS: control goes with a pause, without a 0xFF status.
            self._control_refusals_left.pop(self._controller, None)
            self._controller = None
        status = self._status_for(event)
        # The FitShow module's FTMS status table has no 0x03 (mlervaag's X27 Pro capture lists
        # 01 02 04 0A 0B): there the key is told on 0xFFF1 only.
        key_on_vendor_only = (
            isinstance(event, StoppedBySafetyKey) and self.deviations.fitshow_vendor_status
        )
        if key_on_vendor_only:
            pass
        elif event.origin is Origin.CONTROL_POINT and self._writer is not None:
            self._send_status(status, exclude=self._writer)
        else:
            self._send_status(status)
        code = self._training_code()
        if code != self._training_status:
            self._training_status = code
            self._outbox.put_nowait((self._training, bytes(self.training_status()), None, None))

    def _status_for(self, event: StatusEvent) -> MachineStatus:
        padded = self.deviations.padded_status
        match event:
            case StartedByUser():
                # Urevo E1L pads this to 04 00 00 (blak3r/treadspan captures).
                return MachineStatus(
                    StatusOp.STARTED_OR_RESUMED_BY_USER, trailing=bytes(2) if padded else b""
                )
            case StoppedByUser(kind=kind):
                # Urevo E1L pads this to 02 02 00 (blak3r/treadspan captures).
                return MachineStatus(
                    StatusOp.STOPPED_OR_PAUSED_BY_USER,
                    int(kind),
                    trailing=bytes(1) if padded else b"",
                )
            case StoppedBySafetyKey():
                return MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY)
            case TargetSpeedChanged(speed_kmh=kmh):
                return MachineStatus(StatusOp.TARGET_SPEED_CHANGED, self._reported_kmh(kmh))
            case TargetInclineChanged(incline_pct=pct):
                return MachineStatus(StatusOp.TARGET_INCLINE_CHANGED, pct)
            case MachineReset():
                return MachineStatus(StatusOp.RESET)

    def _send_status(
        self,
        status: MachineStatus,
        *,
        exclude: Connection | None = None,
        only: Connection | None = None,
    ) -> None:
        self._outbox.put_nowait((self._status, bytes(status), exclude, only))

    async def _status_sender(self) -> None:
        # One queue and one sender keep Machine Status and Training Status notifications in
        # the order the model emitted them, and let the model's (synchronous) listener run
        # even before the loop does.
        while True:
            characteristic, payload, exclude, only = await self._outbox.get()
            targets = [only] if only is not None else self.connections
            for connection in targets:
                if connection is exclude or connection not in self.connections:
                    continue
                await self.device.notify_subscriber(connection, characteristic, payload)

    # -- connections ------------------------------------------------------------------------

    def _on_connection(self, connection: Connection) -> None:
        connection.on(
            Connection.EVENT_DISCONNECTION, lambda reason: self._on_disconnection(connection)
        )
        if len(self.device.connections) < self.max_connections:
            self._spawn(self._advertise_again())

    async def _advertise_again(self) -> None:
        # A connection stops advertising; a treadmill that takes several clients (say, the
        # app and a phone) advertises on. Bumble restarts advertising by itself when a link
        # ends, which may enable an enabled set once more: harmless on the virtual link
        # (the emulated controller then advertises a little more often).
        advertising_set = self.device.legacy_advertising_set
        if advertising_set is not None:
            await advertising_set.start()
        elif self.device.legacy_advertiser is not None:
            await self.device.legacy_advertiser.start()

    def _on_disconnection(self, connection: Connection) -> None:
        if self._controller is connection:
            self._controller = None  # FTMS §4.16.2.1: control ends with the link
        self._control_refusals_left.pop(connection, None)
        self._unlocked.discard(connection)
        self._control_asked.discard(connection)
        self._life_fitness_begun.discard(connection)
        self._life_fitness_set_up.discard(connection)
        self._busy.discard(connection)
        # Bumble would wait 30 s for the confirmation of an indication to a gone link.
        for task in self._answers.pop(connection, set()):
            task.cancel()

    def _subscribed(
        self, connection: Connection, characteristic: Characteristic[Any], *, indicate: bool
    ) -> bool:
        cccd = self.device.gatt_server.read_cccd(connection, characteristic)
        bits = ClientCharacteristicConfigurationBits(int.from_bytes(cccd, "little"))
        wanted = (
            ClientCharacteristicConfigurationBits.INDICATION
            if indicate
            else ClientCharacteristicConfigurationBits.NOTIFICATION
        )
        return wanted in bits

    def _sync(self) -> None:
        now = self.clock.now()
        if now > self.model.now:
            self.model.advance_to(now)


# --------------------------------------------------------------------------------------------
# Helpers


def _op_name(op: OpCode | None, request: ControlPointRequest | None) -> str | None:
    if op is None:
        return None
    if isinstance(request, StopOrPause):
        return "pause" if request.pause else "stop"
    name = _OP_NAMES.get(op)
    return name if name is not None else f"0x{int(op):02x}"


def _clamp_kmh(kmh: float) -> float:
    return min(max(round(kmh, 2), 0.0), _U16_MAX / 100)


def _average_kmh(belt: BeltState) -> float:
    if belt.elapsed_s <= 0:
        return 0.0
    return belt.distance_m / belt.elapsed_s * 3.6


def _has_group(record: TreadmillData, names: tuple[str, ...]) -> bool:
    return any(getattr(record, name) is not None for name in names)


def _fragment(
    record: TreadmillData, groups: list[TreadmillDataFlags], *, final: bool
) -> TreadmillData:
    """The part of ``record`` holding ``groups`` (and, if ``final``, the speed and extras)."""
    keep = {name for bit, names in _RECORD_GROUPS if bit in groups for name in names}
    values: dict[str, Any] = {
        name: getattr(record, name) for _, names in _RECORD_GROUPS for name in names
    }
    values = {name: value if name in keep else None for name, value in values.items()}
    if final:
        return TreadmillData(
            more_data=False,
            speed_kmh=record.speed_kmh,
            reserved_flags=record.reserved_flags,
            trailing=record.trailing,
            **values,
        )
    return TreadmillData(more_data=True, **values)
