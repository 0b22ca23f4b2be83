"""The treadmill link: the only module in treadctl that imports Bleak.

Shape (who owns what)::

    scan(...)                     -> [FoundDevice]   FTMS treadmills and heart-rate straps
    TreadmillLink(clock, backends=None)
     ├── connect(address)         -> TreadmillInfo   retry with backoff, feature + ranges read,
     │                                                data / status / training status / control
     │                                                point subscribed
     ├── commands                 request_control, set_target_speed, set_target_inclination,
     │                            start_or_resume, start_at, stop, pause, reset
     │    └── _Procedures         one control-point procedure at a time; stop jumps the queue
     ├── events → listeners       Sample, StatusChanged, TrainingStatusChanged, ControlLost,
     │                            CommandAnswered, MalformedData, Connected, Disconnected,
     │                            Reconnecting, Reconnected
     └── reconnect task           after an unexpected disconnect, on the clock, with backoff
    HeartRateLink(clock, backends=None)   a Heart Rate Service strap: HeartRateSample events

Rules this module keeps (FTMS v1.0 §4.16, FTMP v1.0 §4.4.14, and what real treadmills do):

* **One procedure at a time.** A procedure is the write plus its 0x80 answer. The answer is
  awaited with a short timeout on the injected clock (``command_timeout``, seconds — not the
  spec's 30 s, which is far too long for a belt under a person). A stop waits for no queued
  command: it is granted the control point as soon as the procedure in flight ends.
* **Control is requested automatically** before the first command, and again after status
  0xFF (control permission lost), a Reset, a reconnect or a timed-out procedure. A treadmill
  that answers Request Control with "op code not supported" is taken not to need it (the
  Urevo E1L accepts commands without it, per the project's FTMS notes).
* **Refusals are typed**: :class:`CommandRefused` names the op code and the result code;
  an ATT error on the write is :class:`CommandRejected` with the ATT code; no answer in time is
  :class:`CommandTimeout`.
* **Targets are fitted to the treadmill**: clamped to its supported range and put on its
  increment grid, rounding *towards the slower / flatter side* (never up to a step above what
  was asked): for a person on a moving belt, a step slower is the safe error, and a cap the
  safety governor set must not be overshot by half an increment. A range that is missing or
  empty (min >= max; the Urevo E1L reports an all-zero inclination range) disables that
  control instead of failing the connect.
* **Start order**: :meth:`TreadmillLink.start_at` sets the speed, starts, and sets it again,
  because some belts ignore a speed set while stopped. A belt that refuses a speed while
  stopped (KingSmith walking pads need Start first, per mcdax/walkingpad-controller) is
  remembered and started first from then on.
* **Samples**: More-Data fragments are merged (:class:`protocols.ftms.RecordAssembler`);
  each complete record becomes one :class:`Sample` stamped with the clock's time of receipt. A
  malformed record is logged, reported as :class:`MalformedData`, and skipped.
* **Disconnects** are reported at once. Unless :meth:`disconnect` was called, the link
  reconnects with backoff; after a reconnect it holds no control and **resumes nothing**: the
  caller decides what the belt does next.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from bleak import BleakClient, BleakScanner
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, BaseBleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError

from protocols import EncodeError, ParseError, ftms
from protocols.ftms import (
    ControlPointRequest,
    ControlPointResponse,
    FitnessMachineFeature,
    InclinationRange,
    MachineStatus,
    OpCode,
    ResultCode,
    SpeedRange,
    StatusOp,
    TrainingStatus,
    TreadmillData,
)
from protocols.heart_rate import (
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
    HeartRateMeasurement,
)
from treadctl.clock import Clock, wait_for
from treadctl.errors import TreadctlError

logger = logging.getLogger(__name__)


# --------------------------------------------------------------------------------------------
# Backends: which Bleak backend to drive (None = the platform's own Bluetooth stack)


@dataclass(frozen=True)
class BleakBackends:
    """The Bleak backend classes to use; ``None`` fields mean Bleak's platform default.

    ``--simulate`` and the tests pass the Bumble-backed classes of the virtual radio here.
    """

    scanner: type[BaseBleakScanner] | None = None
    client: type[BaseBleakClient] | None = None

    def scanner_kwargs(self) -> dict[str, Any]:
        return {} if self.scanner is None else {"backend": self.scanner}

    def client_kwargs(self) -> dict[str, Any]:
        return {} if self.client is None else {"backend": self.client}


# --------------------------------------------------------------------------------------------
# Errors


class LinkError(TreadctlError):
    """Base of every error the link raises."""


class NoAdapterError(LinkError):
    """No Bluetooth adapter could be used (none present, powered off, or no permission)."""


class NotConnected(LinkError):
    """A command was asked for while no treadmill is connected."""


class ConnectFailed(LinkError):
    """Every connection attempt failed; ``__cause__`` holds the last reason."""


class ControlUnavailable(LinkError):
    """The treadmill offers no way to do this (no control point, or no range for a target)."""


class CommandError(LinkError):
    """A control-point procedure failed. ``op`` is the request's op code."""

    def __init__(self, op: OpCode, message: str) -> None:
        super().__init__(message)
        self.op = op


class CommandRefused(CommandError):
    """The treadmill answered with a result code other than Success."""

    def __init__(self, op: OpCode, result: ResultCode) -> None:
        super().__init__(
            op,
            f"treadmill refused {op.name} (op code 0x{int(op):02X}): "
            f"result {result.name} (0x{int(result):02X})",
        )
        self.result = result


class CommandRejected(CommandError):
    """The write itself failed with an ATT error (e.g. 0xFD CCCD improperly configured)."""

    def __init__(self, op: OpCode, att_error: int | None, detail: str) -> None:
        code = "unknown" if att_error is None else f"0x{att_error:02X}"
        super().__init__(
            op, f"write of {op.name} (op code 0x{int(op):02X}) failed: ATT error {code}: {detail}"
        )
        self.att_error = att_error


class CommandTimeout(CommandError):
    """No answer to the request within the command timeout."""

    def __init__(self, op: OpCode, timeout: float) -> None:
        super().__init__(
            op, f"no answer to {op.name} (op code 0x{int(op):02X}) within {timeout:g} s"
        )
        self.timeout = timeout


class StartCancelled(CommandError):
    """A stop or pause was asked for while a start sequence ran: its remaining steps are
    dropped. Not a failure: the belt does what the later stop said."""

    def __init__(self, op: OpCode) -> None:
        super().__init__(op, f"start cancelled by a stop before {op.name}")


class LinkLost(CommandError):
    """The link dropped while the procedure was in flight."""

    def __init__(self, op: OpCode) -> None:
        super().__init__(op, f"link lost during {op.name} (op code 0x{int(op):02X})")


# --------------------------------------------------------------------------------------------
# Scan results and connection info


@dataclass(frozen=True)
class FoundDevice:
    """One advertiser seen by :func:`scan`."""

    kind: Literal["treadmill", "heart_rate"]
    name: str | None
    address: str
    rssi: int | None
    machine_type: ftms.MachineType | None = None
    available: bool | None = None


@dataclass(frozen=True)
class TreadmillInfo:
    """What the treadmill said about itself at connect time.

    A missing or empty range leaves the matching control disabled (``None`` range). The
    ``notes`` list what was missing or odd, for the user and for bug reports.
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

    @property
    def can_set_speed(self) -> bool:
        return self.has_control_point and self.speed_range is not None

    @property
    def can_set_incline(self) -> bool:
        return self.has_control_point and self.inclination_range is not None


# --------------------------------------------------------------------------------------------
# Events


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
class Connected:
    t: float
    info: TreadmillInfo


@dataclass(frozen=True, slots=True)
class Disconnected:
    """The link went down. ``expected`` is True only after :meth:`disconnect`."""

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
    | Connected
    | Disconnected
    | Reconnecting
    | Reconnected
    | StrapReconnected
    | HeartRateSample
)
Listener = Callable[[LinkEvent], None]


# --------------------------------------------------------------------------------------------
# Scanning


def _is_no_adapter(error: BaseException) -> bool:
    text = str(error).lower()
    return isinstance(error, FileNotFoundError | PermissionError) or any(
        hint in text
        for hint in (
            "no bluetooth adapter",
            "adapter",
            "not powered",
            "bluetooth device is turned off",
        )
    )


def _no_adapter(error: BaseException) -> NoAdapterError:
    if isinstance(error, FileNotFoundError):
        # Linux: Bleak reaches BlueZ over the system D-Bus socket, absent without a Bluetooth
        # stack (containers, CI machines).
        detail = "the system Bluetooth service (BlueZ over D-Bus) is not running"
    else:
        detail = str(error)
    return NoAdapterError(f"no usable Bluetooth adapter: {detail}")


async def scan(timeout: float = 5.0, *, backends: BleakBackends | None = None) -> list[FoundDevice]:
    """Scan for FTMS treadmills and heart-rate straps; strongest signal first.

    A device advertising the FTMS service with service data is listed only if its machine type
    includes a treadmill; one advertising the service without service data is listed too (the
    type is unknown, and some treadmills omit it).
    """
    backends = backends or BleakBackends()
    try:
        seen = await BleakScanner.discover(
            timeout=timeout,
            return_adv=True,
            service_uuids=[ftms.FITNESS_MACHINE_SERVICE_UUID, HEART_RATE_SERVICE_UUID],
            **backends.scanner_kwargs(),
        )
    except (BleakError, OSError) as error:
        if _is_no_adapter(error):
            raise _no_adapter(error) from error
        raise
    found = [item for device, adv in seen.values() if (item := classify(device, adv))]
    return sorted(found, key=lambda d: (d.rssi is None, -(d.rssi or 0), d.address))


def classify(device: BLEDevice, adv: AdvertisementData) -> FoundDevice | None:
    """What an advertisement is to us: a treadmill, a heart-rate strap, or nothing."""
    uuids = {u.lower() for u in adv.service_uuids}
    service_data = adv.service_data.get(ftms.FITNESS_MACHINE_SERVICE_UUID)
    name = adv.local_name or device.name
    if service_data is not None or ftms.FITNESS_MACHINE_SERVICE_UUID in uuids:
        machine_type = available = None
        if service_data is not None:
            try:
                decoded = ftms.ServiceData.from_bytes(service_data)
            except ParseError as error:
                logger.warning("%s: undecodable FTMS service data: %s", device.address, error)
            else:
                if decoded.machine_type is not None and not decoded.is_treadmill:
                    return None  # a bike or rower
                machine_type, available = decoded.machine_type, decoded.available
        return FoundDevice("treadmill", name, device.address, adv.rssi, machine_type, available)
    if HEART_RATE_SERVICE_UUID in uuids:
        return FoundDevice("heart_rate", name, device.address, adv.rssi)
    return None


# --------------------------------------------------------------------------------------------
# The control-point queue


class _Procedures:
    """One control-point procedure at a time; stops are granted before anything queued.

    A plain lock would serve waiters first-come; here waiters sit in a heap by (priority,
    arrival), so a stop asked for behind three speed changes runs next.
    """

    STOP = 0
    NORMAL = 1

    def __init__(self) -> None:
        self._busy = False
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._seq = itertools.count()

    @property
    def queued(self) -> int:
        return sum(1 for *_, f in self._waiters if not f.done())

    async def acquire(self, priority: int) -> None:
        if not self._busy and not self._waiters:
            self._busy = True
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (priority, next(self._seq), future))
        try:
            await future
        except asyncio.CancelledError:
            if future.done() and not future.cancelled():
                self.release()  # it was granted just as it was cancelled: pass it on
            raise

    def release(self) -> None:
        while self._waiters:
            *_, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # ownership passes straight to the next waiter
                return
        self._busy = False


# --------------------------------------------------------------------------------------------
# Shared connection handling


class _Connection:
    """Connect with retry, disconnect, and reconnect with backoff; subclasses add GATT setup."""

    def __init__(
        self,
        clock: Clock,
        *,
        backends: BleakBackends | None = None,
        connect_timeout: float = 10.0,
        connect_attempts: int = 3,
        reconnect_delays: Iterable[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
    ) -> None:
        self._clock = clock
        self._backends = backends or BleakBackends()
        self._connect_timeout = connect_timeout
        self._connect_attempts = connect_attempts
        self._reconnect_delays = tuple(reconnect_delays)
        self._client: BleakClient | None = None
        self._address: str | None = None
        self._listeners: list[Listener] = []
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- events -------------------------------------------------------------------------------

    def add_listener(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def _emit(self, event: LinkEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken listener (a UI slot, the recorder) must not stop samples reaching
                # the others, least of all the session runner's watchdog.
                logger.exception("link listener %r failed on %s", listener, type(event).__name__)

    # -- connection ---------------------------------------------------------------------------

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def address(self) -> str | None:
        return self._address

    async def _open(self, address: str) -> BleakClient:
        """One connection attempt: find the device, connect, return the client."""
        try:
            device = await BleakScanner.find_device_by_address(
                address, timeout=self._connect_timeout, **self._backends.scanner_kwargs()
            )
        except (BleakError, OSError) as error:
            if _is_no_adapter(error):
                raise _no_adapter(error) from error
            raise
        if device is None:
            raise ConnectFailed(f"{address} not found (is it on and not connected elsewhere?)")
        client = BleakClient(
            device,
            disconnected_callback=self._on_bleak_disconnect,
            timeout=self._connect_timeout,
            **self._backends.client_kwargs(),
        )
        await client.connect()
        return client

    async def _connect_with_retry(self, address: str) -> BleakClient:
        last: BaseException | None = None
        for attempt in range(1, self._connect_attempts + 1):
            try:
                return await self._open(address)
            except NoAdapterError:
                raise
            except (BleakError, OSError, TimeoutError, ConnectFailed) as error:
                last = error
                logger.info("connect to %s, attempt %d failed: %s", address, attempt, error)
                if attempt < self._connect_attempts:
                    await self._clock.sleep(self._backoff(attempt))
        raise ConnectFailed(
            f"could not connect to {address} after {self._connect_attempts} attempts: {last}"
        ) from last

    def _backoff(self, attempt: int) -> float:
        delays = self._reconnect_delays or (1.0,)
        return delays[min(attempt - 1, len(delays) - 1)]

    async def disconnect(self) -> None:
        """Disconnect on purpose: no reconnect follows."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        client, self._client = self._client, None
        if client is not None:
            try:
                await client.disconnect()
            except (BleakError, OSError, TimeoutError) as error:
                logger.warning("disconnect from %s: %s", self._address, error)
            self._link_down(expected=True)

    def _on_bleak_disconnect(self, client: BleakClient) -> None:
        if client is not self._client:
            return  # a stale client from an earlier connection
        self._client = None
        self._link_down(expected=self._closing)
        if not self._closing and self._reconnect_task is None:
            self._reconnect_task = self._spawn(self._reconnect_loop())

    def _link_down(self, expected: bool) -> None:
        self._on_link_down()
        self._emit(Disconnected(self._clock.now(), expected))

    def _on_link_down(self) -> None:
        """Subclasses drop per-connection state here."""

    async def _reconnect_loop(self) -> None:
        attempt = 0
        try:
            while not self._closing and self._address is not None:
                attempt += 1
                delay = self._backoff(attempt)
                try:
                    client = await self._open(self._address)
                    try:
                        await self._setup(client)
                    except BaseException:
                        with contextlib.suppress(BleakError, OSError, TimeoutError):
                            await client.disconnect()
                        raise
                except (BleakError, OSError, TimeoutError, LinkError) as error:
                    self._emit(Reconnecting(self._clock.now(), attempt, delay, str(error)))
                    await self._clock.sleep(delay)
                    continue
                self._on_reconnected()
                return
        finally:
            self._reconnect_task = None

    def _on_reconnected(self) -> None:
        """Subclasses emit their reconnected event here."""

    async def _setup(self, client: BleakClient) -> None:
        raise NotImplementedError

    def _spawn(self, coro: Awaitable[Any]) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.ensure_future(coro)
        self._tasks.add(task)  # keep a reference: the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)
        return task


# --------------------------------------------------------------------------------------------
# The treadmill link


_OP_NAMES = {
    OpCode.REQUEST_CONTROL: "request_control",
    OpCode.RESET: "reset",
    OpCode.SET_TARGET_SPEED: "set_target_speed",
    OpCode.SET_TARGET_INCLINATION: "set_target_inclination",
    OpCode.START_OR_RESUME: "start_or_resume",
}


def op_name(request: ControlPointRequest) -> str:
    """The short name of a request, as the session log and traces write it."""
    if isinstance(request, ftms.StopOrPause):
        return "pause" if request.pause else "stop"
    return _OP_NAMES.get(request.op, f"op_0x{int(request.op):02x}")


#: Advertised-name prefixes of treadmills that need Start before Set Target Speed: KingSmith
#: walking pads ("KS-HD-…") drop the BLE link when given a speed while stopped (per the
#: mcdax/walkingpad-controller README). A refusal teaches the link the same for other models.
START_FIRST_NAME_PREFIXES = ("KS-",)


def fit_to_grid(value: float, low: float, high: float, step: float) -> float:
    """Clamp ``value`` to ``[low, high]`` and move it onto the grid ``low + k * step``,
    rounding towards zero magnitude (slower, flatter), never to a step beyond ``value``."""
    clamped = min(max(value, low), high)
    if step <= 0:
        return round(clamped, 2)
    steps = (clamped - low) / step
    # A request a hair below a grid point (5.999999 for 6.0) is meant to be that point.
    k = math.floor(steps + 1e-3) if value >= 0 else math.ceil(steps - 1e-3)
    fitted = min(max(low + k * step, low), high)
    return round(fitted, 2)


class TreadmillLink(_Connection):
    """The app's connection to one FTMS treadmill. See the module docstring for the rules."""

    def __init__(
        self,
        clock: Clock,
        *,
        backends: BleakBackends | None = None,
        command_timeout: float = 2.0,
        connect_timeout: float = 10.0,
        connect_attempts: int = 3,
        reconnect_delays: Iterable[float] = (0.5, 1.0, 2.0, 4.0, 8.0),
    ) -> None:
        super().__init__(
            clock,
            backends=backends,
            connect_timeout=connect_timeout,
            connect_attempts=connect_attempts,
            reconnect_delays=reconnect_delays,
        )
        self._command_timeout = command_timeout
        self._procedures = _Procedures()
        self._assembler = ftms.RecordAssembler()
        self._info: TreadmillInfo | None = None
        self._has_control = False
        self._control_not_needed = False
        self._start_first = False
        self._answer: asyncio.Future[ControlPointResponse] | None = None
        self._answer_op: OpCode | None = None
        self._belt_running = False
        self._last_speed: float | None = None
        self._raw_fragments: list[bytes] = []
        self._stop_epoch = 0  # counts stops and pauses asked for; start_at watches it

    # -- state --------------------------------------------------------------------------------

    @property
    def info(self) -> TreadmillInfo | None:
        return self._info

    @property
    def has_control(self) -> bool:
        return self._has_control

    @property
    def starts_before_speed(self) -> bool:
        """True once the treadmill showed it needs Start before a speed (learned or told)."""
        return self._start_first

    @starts_before_speed.setter
    def starts_before_speed(self, value: bool) -> None:
        self._start_first = value

    # -- connect ------------------------------------------------------------------------------

    async def connect(self, address: str) -> TreadmillInfo:
        """Connect (with retry), read what the treadmill offers and subscribe to it."""
        if self._client is not None:
            raise LinkError(f"already connected to {self._address}")
        self._closing = False
        self._address = address
        client = await self._connect_with_retry(address)
        try:
            await self._setup(client)
        except BaseException:
            self._closing = True
            with contextlib.suppress(BleakError, OSError, TimeoutError):
                await client.disconnect()
            raise
        assert self._info is not None
        self._emit(Connected(self._clock.now(), self._info))
        return self._info

    async def _setup(self, client: BleakClient) -> None:
        self._client = client
        self._has_control = False
        self._assembler.reset()
        notes: list[str] = []
        services = client.services
        present = {c.uuid.lower() for s in services for c in s.characteristics}

        feature = FitnessMachineFeature()
        if ftms.FITNESS_MACHINE_FEATURE_UUID in present:
            raw = await client.read_gatt_char(ftms.FITNESS_MACHINE_FEATURE_UUID)
            try:
                feature = FitnessMachineFeature.from_bytes(raw)
            except ParseError as error:
                notes.append(f"Fitness Machine Feature unreadable ({error}); assuming none")
        else:
            notes.append("no Fitness Machine Feature characteristic; assuming none")

        speed_range = await self._read_range(
            client, present, ftms.SUPPORTED_SPEED_RANGE_UUID, SpeedRange, "speed", notes
        )
        incline_range = await self._read_range(
            client,
            present,
            ftms.SUPPORTED_INCLINATION_RANGE_UUID,
            InclinationRange,
            "inclination",
            notes,
        )

        if ftms.TREADMILL_DATA_UUID not in present:
            raise ConnectFailed(f"{self._address} has no Treadmill Data characteristic")
        await client.start_notify(ftms.TREADMILL_DATA_UUID, self._on_data)
        if ftms.FITNESS_MACHINE_STATUS_UUID in present:
            await client.start_notify(ftms.FITNESS_MACHINE_STATUS_UUID, self._on_status)
        has_training = ftms.TRAINING_STATUS_UUID in present
        if has_training:
            await self._subscribe_training_status(client, notes)
        has_cp = ftms.FITNESS_MACHINE_CONTROL_POINT_UUID in present
        if has_cp:
            await client.start_notify(ftms.FITNESS_MACHINE_CONTROL_POINT_UUID, self._on_answer)
        else:
            notes.append("no Control Point: the treadmill can be watched but not driven")
        if (client.name or "").startswith(START_FIRST_NAME_PREFIXES):
            self._start_first = True
            notes.append("known to need Start before a speed: the belt is started first")
        for note in notes:
            logger.warning("%s: %s", self._address, note)
        self._info = TreadmillInfo(
            address=client.address,
            name=client.name,
            feature=feature,
            speed_range=speed_range,
            inclination_range=incline_range,
            has_control_point=has_cp,
            has_training_status=has_training,
            mtu=client.mtu_size,
            notes=tuple(notes),
        )

    async def _read_range[R: (SpeedRange, InclinationRange)](
        self,
        client: BleakClient,
        present: set[str],
        uuid: str,
        kind: type[R],
        what: str,
        notes: list[str],
    ) -> R | None:
        if uuid not in present:
            notes.append(f"no supported {what} range: {what} control disabled")
            return None
        try:
            value = kind.from_bytes(await client.read_gatt_char(uuid))
        except (ParseError, BleakGATTProtocolError) as error:
            notes.append(f"supported {what} range unreadable ({error}): {what} control disabled")
            return None
        low, high = (
            (value.min_kmh, value.max_kmh)
            if isinstance(value, SpeedRange)
            else (value.min_pct, value.max_pct)
        )
        if high <= low:
            notes.append(f"supported {what} range is empty ({value}): {what} control disabled")
            return None
        return value

    async def _subscribe_training_status(self, client: BleakClient, notes: list[str]) -> None:
        try:
            raw = await client.read_gatt_char(ftms.TRAINING_STATUS_UUID)
        except BleakGATTProtocolError as error:
            notes.append(f"Training Status unreadable: {error}")
        else:
            self._on_training_status(None, bytearray(raw))
        await client.start_notify(ftms.TRAINING_STATUS_UUID, self._on_training_status)

    def _on_link_down(self) -> None:
        self._has_control = False
        self._belt_running = False
        self._assembler.reset()  # a record cut by link loss is discarded (FTMS §4.18)
        self._raw_fragments = []
        if self._answer is not None and not self._answer.done():
            self._answer.set_exception(LinkLost(self._answer_op or OpCode.RESPONSE_CODE))

    def _on_reconnected(self) -> None:
        assert self._info is not None
        self._emit(Reconnected(self._clock.now(), self._info))

    # -- notifications ------------------------------------------------------------------------

    def _on_data(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        now = self._clock.now()
        raw = bytes(data)
        try:
            record = self._assembler.feed(raw)
        except ParseError as error:
            logger.warning("malformed Treadmill Data skipped: %s", error)
            self._emit(MalformedData(now, "treadmill_data", raw, str(error)))
            return
        # Same bound as the assembler's, so a peer that never ends a record cannot grow this.
        self._raw_fragments = [*self._raw_fragments[-7:], raw]
        if record is None:
            return
        fragments, self._raw_fragments = tuple(self._raw_fragments), []
        if record.speed_kmh is not None:
            self._last_speed = record.speed_kmh
        if record.truncated:
            logger.debug("truncated Treadmill Data record: %s", bytes(data).hex())
        hr = record.heart_rate_bpm or None  # 0 means "no hand on the sensors"
        self._emit(
            Sample(
                t=now,
                speed_kmh=record.speed_kmh,
                incline_pct=record.inclination_pct,
                distance_m=record.total_distance_m,
                elapsed_s=record.elapsed_time_s,
                energy_kcal=record.total_energy_kcal,
                heart_rate_bpm=hr,
                record=record,
                raw=fragments,
            )
        )

    def _on_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        now = self._clock.now()
        try:
            status = MachineStatus.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(now, "machine_status", bytes(data), str(error)))
            return
        if status.op in (StatusOp.CONTROL_PERMISSION_LOST, StatusOp.RESET):
            self._has_control = False
        if status.op in (StatusOp.STOPPED_OR_PAUSED_BY_USER, StatusOp.STOPPED_BY_SAFETY_KEY):
            self._belt_running = False
        elif status.op == StatusOp.STARTED_OR_RESUMED_BY_USER:
            self._belt_running = True
        self._emit(StatusChanged(now, status))
        if status.op == StatusOp.CONTROL_PERMISSION_LOST:
            self._emit(ControlLost(now))

    def _on_training_status(self, _: BleakGATTCharacteristic | None, data: bytearray) -> None:
        now = self._clock.now()
        try:
            status = TrainingStatus.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(now, "training_status", bytes(data), str(error)))
            return
        self._emit(TrainingStatusChanged(now, status))

    def _on_answer(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            response = ControlPointResponse.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(self._clock.now(), "control_point", bytes(data), str(error)))
            return
        answer = self._answer
        if answer is None or answer.done() or response.request_op != self._answer_op:
            # A late answer to a procedure that already timed out, or an unsolicited one.
            logger.info("unexpected control point answer %s", bytes(data).hex())
            return
        answer.set_result(response)

    # -- commands -----------------------------------------------------------------------------

    async def request_control(self) -> None:
        await self._command(ftms.RequestControl())

    async def set_target_speed(self, kmh: float) -> float:
        """Set the belt's target speed; returns the value sent after fitting to the range."""
        value = self.fit_speed(kmh)
        await self._command(ftms.SetTargetSpeed(value))
        return value

    async def set_target_inclination(self, pct: float) -> float:
        value = self.fit_incline(pct)
        await self._command(ftms.SetTargetInclination(value))
        return value

    async def start_or_resume(self) -> None:
        await self._command(ftms.StartOrResume())

    async def start_at(self, kmh: float) -> float:
        """Start (or resume) the belt at ``kmh``, in the order this treadmill needs.

        Speed, start, speed again: some belts ignore a speed set while stopped, so it is set
        once more after the start. A treadmill that needs Start first (told by name, or learned
        from a refused speed) is *stopped* first instead: resuming a paused FTMS treadmill
        brings back the speed it had before the pause, and only a stop clears it, so the belt
        starts at its slowest and then gets ``kmh``.

        A stop or pause asked for while this sequence runs jumps ahead of its remaining steps
        and cancels them (:class:`StartCancelled`): a start is never finished after a stop.
        """
        value = self.fit_speed(kmh)
        epoch = self._stop_epoch
        if not self._start_first:
            try:
                await self._command(ftms.SetTargetSpeed(value), cancel_after_stop=epoch)
            except CommandRefused as refused:
                if refused.result == ResultCode.CONTROL_NOT_PERMITTED:
                    raise
                logger.info("speed refused while stopped (%s): starting first from now on", refused)
                self._start_first = True
        if self._start_first:
            await self._halt(ftms.StopOrPause(pause=False), cancel_after_stop=epoch)
        await self._command(ftms.StartOrResume(), cancel_after_stop=epoch)
        await self._command(ftms.SetTargetSpeed(value), cancel_after_stop=epoch)
        return value

    def cancel_start(self) -> None:
        """Drop what is left of a start sequence under way, sending nothing (the caller
        learned of a stop some other way: the console, the safety key, a lost link)."""
        self._stop_epoch += 1

    async def stop(self) -> None:
        """Stop the belt. Granted the control point before any queued command."""
        await self._halt(ftms.StopOrPause(pause=False))

    async def pause(self) -> None:
        await self._halt(ftms.StopOrPause(pause=True))

    async def _halt(
        self, request: ftms.StopOrPause, *, cancel_after_stop: int | None = None
    ) -> None:
        if cancel_after_stop is None:
            # A stop the caller asked for: it cancels any start sequence still under way.
            self._stop_epoch += 1
            priority = _Procedures.STOP
        else:
            priority = _Procedures.NORMAL  # a step of start_at, not a stop of its own
        try:
            await self._command(request, priority=priority, cancel_after_stop=cancel_after_stop)
        except CommandRefused as refused:
            # FTMS Table 4.24: "Operation Failed" is the answer to a stop while stopped. That is
            # only harmless if the belt is measured standing; otherwise the caller must know.
            standing = not self._belt_running and (self._last_speed or 0.0) == 0.0
            if refused.result != ResultCode.OPERATION_FAILED or not standing:
                raise
            logger.info("%s answered 'operation failed': the belt is already stopped", request)

    async def reset(self) -> None:
        await self._command(ftms.Reset())

    def fit_speed(self, kmh: float) -> float:
        info = self._require_info()
        if not info.has_control_point or info.speed_range is None:
            raise ControlUnavailable("this treadmill offers no speed control")
        r = info.speed_range
        return fit_to_grid(kmh, r.min_kmh, r.max_kmh, r.increment_kmh)

    def fit_incline(self, pct: float) -> float:
        info = self._require_info()
        if not info.has_control_point or info.inclination_range is None:
            raise ControlUnavailable("this treadmill offers no inclination control")
        r = info.inclination_range
        return fit_to_grid(pct, r.min_pct, r.max_pct, r.increment_pct)

    def _require_info(self) -> TreadmillInfo:
        if self._info is None:
            raise NotConnected("no treadmill connected")
        return self._info

    async def _command(
        self,
        request: ControlPointRequest,
        priority: int = _Procedures.NORMAL,
        *,
        cancel_after_stop: int | None = None,
    ) -> None:
        info = self._require_info()
        if not info.has_control_point:
            raise ControlUnavailable("this treadmill has no Control Point")
        await self._procedures.acquire(priority)
        try:
            if cancel_after_stop is not None and self._stop_epoch != cancel_after_stop:
                raise StartCancelled(request.op)
            needs_control = not isinstance(request, ftms.RequestControl)
            if needs_control and not self._has_control and not self._control_not_needed:
                await self._ensure_control()
            try:
                await self._procedure(request)
            except CommandRefused as refused:
                if refused.result != ResultCode.CONTROL_NOT_PERMITTED or not needs_control:
                    raise
                # Control was taken away without a 0xFF status (seen when another app
                # connected): ask again once, then repeat the very command the caller asked for.
                self._has_control = False
                self._control_not_needed = False
                await self._ensure_control()
                if cancel_after_stop is not None and self._stop_epoch != cancel_after_stop:
                    # A stop came in meanwhile (console, safety key): never repeat a start step.
                    raise StartCancelled(request.op) from refused
                await self._procedure(request)
        finally:
            self._procedures.release()

    async def _ensure_control(self) -> None:
        try:
            await self._procedure(ftms.RequestControl())
        except CommandRefused as refused:
            if refused.result != ResultCode.OP_CODE_NOT_SUPPORTED:
                raise
            logger.info("treadmill does not support Request Control; sending commands without")
            self._control_not_needed = True

    async def _procedure(self, request: ControlPointRequest) -> ControlPointResponse:
        """One write and its 0x80 answer. Caller holds the control point."""
        client = self._client
        if client is None or not client.is_connected:
            raise NotConnected(f"no treadmill connected for {request.op.name}")
        try:
            payload = bytes(request)
        except EncodeError as error:
            raise CommandError(request.op, f"cannot encode {request}: {error}") from error
        loop = asyncio.get_running_loop()
        started = self._clock.now()
        self._answer = loop.create_future()
        self._answer_op = request.op
        response: ControlPointResponse | None = None
        failed: CommandError | None = None
        try:
            try:
                await client.write_gatt_char(
                    ftms.FITNESS_MACHINE_CONTROL_POINT_UUID, payload, response=True
                )
            except BleakGATTProtocolError as att:
                raise CommandRejected(request.op, _att_code(att), str(att)) from att
            except (BleakError, OSError) as write_error:
                if not client.is_connected:
                    raise LinkLost(request.op) from write_error
                raise CommandRejected(request.op, None, str(write_error)) from write_error
            try:
                response = await wait_for(self._clock, self._answer, self._command_timeout)
            except TimeoutError as timeout:
                # FTMP §4.4.14.3: the procedure failed. Control is in doubt; ask again next time.
                self._has_control = False
                raise CommandTimeout(request.op, self._command_timeout) from timeout
        except CommandError as failure:
            failed = failure
            raise
        finally:
            self._answer = None
            self._answer_op = None
            self._emit(
                CommandAnswered(
                    t=self._clock.now(),
                    request=request,
                    result=response.result if response else None,
                    error=str(failed) if failed else None,
                    duration_s=self._clock.now() - started,
                )
            )
        assert response is not None  # set whenever no error was raised above
        if not response.ok:
            raise CommandRefused(request.op, response.result)
        self._after_success(request)
        return response

    def _after_success(self, request: ControlPointRequest) -> None:
        if isinstance(request, ftms.RequestControl):
            self._has_control = True
        elif isinstance(request, ftms.Reset):
            self._has_control = False  # FTMS §4.16.2.1: Reset ends control
            self._belt_running = False
        elif isinstance(request, ftms.StartOrResume):
            self._belt_running = True
        elif isinstance(request, ftms.StopOrPause):
            self._belt_running = False


def _att_code(error: BleakGATTProtocolError) -> int | None:
    code = getattr(error, "code", None)
    if isinstance(code, int):
        return code
    args = [a for a in error.args if isinstance(a, int)]
    return args[0] if args else None


# --------------------------------------------------------------------------------------------
# Heart-rate strap


class HeartRateLink(_Connection):
    """A Heart Rate Service strap next to the treadmill: emits :class:`HeartRateSample`."""

    def __init__(self, clock: Clock, *, backends: BleakBackends | None = None, **kw: Any) -> None:
        super().__init__(clock, backends=backends, **kw)
        self._name: str | None = None

    async def connect(self, address: str) -> None:
        self._closing = False
        self._address = address
        client = await self._connect_with_retry(address)
        await self._setup(client)

    @property
    def name(self) -> str | None:
        """The strap's name as it reported it on connecting (None before, or if it has none)."""
        return self._name

    async def _setup(self, client: BleakClient) -> None:
        self._client = client
        self._name = client.name
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
    "LinkLost",
    "MalformedData",
    "NoAdapterError",
    "NotConnected",
    "Reconnected",
    "Reconnecting",
    "Sample",
    "StartCancelled",
    "StatusChanged",
    "StrapReconnected",
    "TrainingStatusChanged",
    "TreadmillInfo",
    "TreadmillLink",
    "classify",
    "fit_to_grid",
    "op_name",
    "scan",
]
