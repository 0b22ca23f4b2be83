"""The app's connection to one FTMS treadmill: what it offers, its data, and its commands.

Shape::

    TreadmillLink(clock, backends=None, command_timeout=2.0, knowledge=None, ...)
     ├── connect(address)         -> TreadmillInfo   retry with backoff, feature + ranges and
     │                                                Device Information read,
     │                                                data / status / training status / control
     │                                                point subscribed; Connected
     ├── device_entry, deviations the knowledge base's entry for it, and what the link applies
     ├── observed                 {deviation: value} learned at run time (for device reports)
     ├── refusals                 {op: result} the treadmill refused, last answer per op
     ├── notifications → events   Sample, StatusChanged, TrainingStatusChanged, ControlLost,
     │                            MalformedData
     ├── commands                 request_control, set_target_speed, set_target_inclination,
     │                            start_or_resume, start_at, stop, pause, reset
     │    └── ProcedureQueue      one control-point procedure at a time; stop jumps the queue
     │         └── _procedure     the write and its 0x80 answer → CommandAnswered
     ├── after a reconnect        Reconnected, holding no control
     └── for device reports       add_raw_listener (every notification, raw), survey_gatt()
    fit_to_grid, op_name

Rules this module keeps (FTMS v1.0 §4.16, FTMP v1.0 §4.4.14, and what real treadmills do):

* **One procedure at a time** (:class:`ProcedureQueue`). The answer is awaited with a short
  timeout on the injected clock (``command_timeout``, seconds — not the spec's 30 s, which is
  far too long for a belt under a person).
* **Control is requested automatically** before the first command, and again after status
  0xFF (control permission lost), a Reset, a reconnect or a timed-out procedure. A treadmill
  that answers Request Control with "op code not supported" is taken not to need it (the
  Urevo E1L accepts commands without it, per the project's FTMS notes).
* **Targets are fitted to the treadmill**: clamped to its supported range and put on its
  increment grid, rounding *towards the slower / flatter side* (never up to a step above what
  was asked): for a person on a moving belt, a step slower is the safe error, and a cap the
  safety governor set must not be overshot by half an increment. A range that is missing or
  empty (min >= max; the Urevo E1L reports an all-zero inclination range) disables that
  control instead of failing the connect.
* **Known devices, as data**: at connect the treadmill is matched in the device knowledge base
  (``resources/devices.toml``, :mod:`treadctl.devices.knowledge`) by its advertised name (and,
  once read, its Device Information); the entry's
  :class:`~treadctl.devices.deviations.Deviations` are what the link applies. No model is
  named in this code: a treadmill that matches nothing runs the standard path, and what it
  turns out to do is kept in :attr:`TreadmillLink.observed` (same vocabulary) and
  :attr:`TreadmillLink.refusals`.
* **Start order**: :meth:`TreadmillLink.start_at` sets the speed, starts, and sets it again,
  because some belts ignore a speed set while stopped. A belt known to need Start first
  (``needs_start_before_speed``, ``drops_link_on_speed_while_stopped``) is started first; one
  that refuses a speed while stopped teaches the link the same at run time.
* **Units**: a treadmill whose entry says it reads speed commands in mph
  (``speed_command_unit``) is sent mph, rounded down to 0.01 (never a faster belt than the
  governor allowed); one that reports mph (``speed_data_unit``) has its speeds and its speed
  range converted to km/h as they arrive, so everything above the link sees km/h. Unknown, a
  unit mix-up is the safety loop's to catch: the belt not following is a fault.
* **Keep-alive**: a treadmill that stops unless Start comes again (``start_keepalive_s``) is
  sent Start every third of its period, only while the belt is wanted running: from a start
  that succeeded until any stop, pause, stop at the treadmill or lost link. A keep-alive never
  follows a stop: it goes through the same queue as every command and is dropped once a stop
  was asked for (:class:`StartCancelled`).
* **Vendor setup**: a treadmill whose entry says it needs the Life Fitness setup
  (``life_fitness_setup``) is written it (:mod:`protocols.life_fitness`) on every connection,
  on the clock, before the link reports connected: nothing of the person goes with it. A write
  that fails, or a characteristic it lacks, is a note of its :class:`TreadmillInfo`.
* **Samples**: More-Data fragments are merged (:class:`protocols.ftms.RecordAssembler`);
  each complete record becomes one :class:`Sample` stamped with the clock's time of receipt. A
  malformed record is logged, reported as :class:`MalformedData`, and skipped.
* **Errors**: every command raises only :class:`LinkError` subclasses (``treadctl.link.errors``);
  a Bleak or OS error on the write is :class:`CommandRejected` or, when the link went with it,
  :class:`LinkLostDuringCommand`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import math
from collections.abc import Callable, Iterable
from typing import Any

from bleak import BleakClient
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.exc import BleakError, BleakGATTProtocolError

from protocols import EncodeError, ParseError, fitshow, ftms, life_fitness
from protocols.device_information import DeviceInformation
from protocols.ftms import (
    ControlPointRequest,
    ControlPointResponse,
    FitnessMachineFeature,
    InclinationRange,
    MachineFeature,
    MachineStatus,
    OpCode,
    ResultCode,
    SpeedRange,
    StatusOp,
    TrainingStatus,
    TreadmillDataFlags,
)
from treadctl.clock import Clock, wait_for
from treadctl.device_shape import GattService
from treadctl.devices.deviations import DEVIATION_FIELDS, KMH_PER_MPH, Deviations
from treadctl.devices.knowledge import DeviceEntry, DeviceIdentity, KnowledgeBase
from treadctl.devices.settings import DeviceSettings, DeviceSettingsSource, applied
from treadctl.errors import TreadctlError
from treadctl.link.backends import BleakBackends
from treadctl.link.connection import ReconnectingLink
from treadctl.link.device_information import read_device_information
from treadctl.link.errors import (
    CommandError,
    CommandRefused,
    CommandRejected,
    CommandTimeout,
    ConnectFailed,
    ControlUnavailable,
    LinkError,
    LinkLostDuringCommand,
    NotConnected,
    StartCancelled,
)
from treadctl.link.events import (
    CommandAnswered,
    Connected,
    ControlLost,
    MalformedData,
    Reconnected,
    Sample,
    StatusChanged,
    TrainingStatusChanged,
    TreadmillInfo,
    VendorStatus,
)
from treadctl.link.procedures import ProcedureQueue
from treadctl.link.survey import survey_gatt

__all__ = ["RawListener", "TreadmillLink", "fit_to_grid", "op_name"]

logger = logging.getLogger(__name__)

#: ``(clock time, characteristic UUID, bytes)`` of one notification or indication.
RawListener = Callable[[float, str, bytes], None]


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


#: Notifications without a record completing before the link says why there is no data
#: (twice what RecordAssembler keeps of one record).
NEVER_FINISHED_FRAGMENTS = 16
#: Flags and status: a Training Status value is never shorter [FTMS Table 4.11].
TRAINING_STATUS_MIN_BYTES = 2
#: How long the first of two Request Controls is given (``request_control_twice``).
REQUEST_CONTROL_TWICE_S = 0.5
#: A speed refused during a belt's known start-up is sent again this often, until the known
#: start-up and this margin have passed.
SPEED_RETRY_S = 0.5
SPEED_RETRY_MARGIN_S = 1.0
#: Request Control refused by a treadmill known to refuse it first: the first wait, doubled
#: each time, at most the last (ph4-walkingpad PR #25 backs off 0.5 s to 2.0 s).
CONTROL_RETRY_FIRST_S = 0.5
CONTROL_RETRY_MAX_S = 2.0


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


class TreadmillLink(ReconnectingLink):
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
        knowledge: KnowledgeBase | None = None,
        device_settings: DeviceSettingsSource | None = None,
    ) -> None:
        super().__init__(
            clock,
            backends=backends,
            connect_timeout=connect_timeout,
            connect_attempts=connect_attempts,
            reconnect_delays=reconnect_delays,
        )
        self._command_timeout = command_timeout
        self._procedures = ProcedureQueue()
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
        self._raw_listeners: list[RawListener] = []
        self._knowledge = knowledge if knowledge is not None else KnowledgeBase.builtin()
        #: Where this treadmill's settings come from ((address, name) -> DeviceSettings); the
        #: application core gives its store's. None: nothing was ever said.
        self.device_settings = device_settings
        self._entry: DeviceEntry | None = None
        self._deviations = Deviations()
        self._observed: dict[str, Any] = {}
        self._refusals: dict[str, str] = {}
        self._keepalive: asyncio.Task[None] | None = None
        self._unfinished = 0  # notifications since the last record that completed
        self._vendor_status: fitshow.FitShowStatus | None = None  # a FitShow module's last

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

    # -- what went over the air (device reports) -----------------------------------------------

    def add_raw_listener(self, listener: RawListener) -> None:
        """Call ``listener(t, characteristic UUID, bytes)`` with every notification and
        indication, as it arrived, before it is decoded (``treadctl probe --report``)."""
        self._raw_listeners.append(listener)

    def remove_raw_listener(self, listener: RawListener) -> None:
        self._raw_listeners.remove(listener)

    def _raw(self, uuid: str, data: bytearray) -> None:
        for listener in list(self._raw_listeners):
            try:
                listener(self._clock.now(), uuid, bytes(data))
            except Exception:
                logger.exception("raw listener %r failed", listener)

    async def survey_gatt(self) -> tuple[GattService, ...]:
        """The connected treadmill's whole GATT table with the values of what is readable
        (``treadctl.link.survey``: reads only, never the serial number or system ID)."""
        if self._client is None or not self._client.is_connected:
            raise NotConnected("no treadmill connected")
        try:
            return await survey_gatt(self._client, self._clock)
        except (BleakError, OSError) as error:
            raise LinkError(f"reading the GATT table of {self._address}: {error}") from error

    @property
    def device_entry(self) -> DeviceEntry | None:
        """The knowledge base's entry this treadmill matched at connect (None: standard)."""
        return self._entry

    @property
    def deviations(self) -> Deviations:
        """The deviations the link applies to this treadmill (its entry's; standard if none)."""
        return self._deviations

    @property
    def observed(self) -> dict[str, Any]:
        """What the treadmill turned out to do, learned at run time, as deviation names of the
        vocabulary and their plain values (``{"needs_start_before_speed": True}``), for its
        device report. Kept across reconnects to the same treadmill."""
        return dict(self._observed)

    @property
    def refusals(self) -> dict[str, str]:
        """Commands the treadmill refused: op name -> the last result it answered."""
        return dict(self._refusals)

    def _observe(self, name: str, value: Any) -> None:
        if name not in DEVIATION_FIELDS:  # pragma: no cover - a typo here is a bug
            raise ValueError(f"{name!r} is not a deviation of the vocabulary")
        self._observed[name] = value

    # -- connect ------------------------------------------------------------------------------

    async def connect(self, address: str) -> TreadmillInfo:
        """Connect (with retry), read what the treadmill offers and subscribe to it.

        Raises :class:`NoAdapterError` or :class:`ConnectFailed` (``__cause__``: Bleak's or
        the OS's error); a failed connect leaves nothing connected.
        """
        if self._client is not None:
            raise LinkError(f"already connected to {self._address}")
        if address != self._address:
            self._observed.clear()  # another treadmill: what was learned was of the last one
            self._refusals.clear()
        await self._connect(address)
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
        # Read first: the knowledge base matches on it as well as on the advertised name.
        device_information = await read_device_information(client, self._clock)
        self._apply_knowledge(client.address, self._identity(client, device_information), notes)

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
        if speed_range is not None and self._deviations.ignores_speed_control:
            speed_range = None
            notes.append(
                "known to ignore speed commands: no speed control (a belt nobody can set is "
                "never started)"
            )
        if speed_range is not None and self._deviations.speed_data_unit == "mph":
            speed_range = SpeedRange(
                round(speed_range.min_kmh * KMH_PER_MPH, 2),
                round(speed_range.max_kmh * KMH_PER_MPH, 2),
                round(speed_range.increment_kmh * KMH_PER_MPH, 2),
            )
        incline_range = await self._read_range(
            client,
            present,
            ftms.SUPPORTED_INCLINATION_RANGE_UUID,
            InclinationRange,
            "inclination",
            notes,
        )
        if self._deviations.fixed_incline_pct is not None:
            incline_range = None
            notes.append(
                f"a deck fixed at {self._deviations.fixed_incline_pct:g} %: "
                "no incline control, the safety loop counts the deck as that steep"
            )

        if ftms.TREADMILL_DATA_UUID not in present:
            raise ConnectFailed(f"{self._address} has no Treadmill Data characteristic")
        await client.start_notify(ftms.TREADMILL_DATA_UUID, self._on_data)
        if ftms.FITNESS_MACHINE_STATUS_UUID in present:
            await client.start_notify(ftms.FITNESS_MACHINE_STATUS_UUID, self._on_status)
        has_training = ftms.TRAINING_STATUS_UUID in present
        if has_training:
            await self._subscribe_training_status(client, notes)
        if fitshow.FITSHOW_NOTIFY_UUID in present:
            # A FitShow module: its own status says what FTMS does not (the safety key, E0x).
            await client.start_notify(fitshow.FITSHOW_NOTIFY_UUID, self._on_vendor_status)
            self._observe("fitshow_vendor_status", True)
            notes.append("a FitShow module: its safety-key and error statuses are watched")
        has_cp = ftms.FITNESS_MACHINE_CONTROL_POINT_UUID in present
        if has_cp:
            await client.start_notify(ftms.FITNESS_MACHINE_CONTROL_POINT_UUID, self._on_answer)
            await self._unlock(client, present, notes)
        else:
            notes.append("no Control Point: the treadmill can be watched but not driven")
        await self._life_fitness_setup(client, notes)
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
            device_information=device_information,
        )

    def _identity(
        self, client: BleakClient, information: DeviceInformation | None
    ) -> DeviceIdentity:
        """What the treadmill says of itself: its advertised name and Device Information."""
        if information is None:
            return DeviceIdentity(name=client.name)
        return DeviceIdentity(
            name=client.name,
            manufacturer=information.manufacturer,
            model=information.model,
            firmware=information.firmware_revision,
        )

    def _apply_knowledge(self, address: str, identity: DeviceIdentity, notes: list[str]) -> None:
        """Take the deviations of the knowledge base's entry for ``identity`` (or none), with
        this treadmill's settings for what cannot be detected."""
        self._entry = entry = self._knowledge.match(identity)
        if entry is not None:
            notes.append(
                f"known device: {entry.device} ({entry.id}, {entry.certainty}; "
                f"see resources/devices.toml)"
            )
        settings = DeviceSettings()
        if self.device_settings is not None:
            try:
                settings = self.device_settings(address, identity.name)
            except TreadctlError as error:
                # As with no history at all: what the entry assumes (the safe side) holds.
                notes.append(f"this treadmill's settings cannot be read ({error})")
        known = entry.deviations if entry is not None else Deviations()
        self._deviations, said = applied(known, settings)
        notes.extend(said)
        d = self._deviations
        if d.needs_start_before_speed or d.drops_link_on_speed_while_stopped:
            self._start_first = True
            notes.append("known to need Start before a speed: the belt is started first")
        if not said and d.speed_command_unit == "mph":
            notes.append("known to read speed commands in mph: speeds are sent in mph")
        if not said and d.speed_data_unit == "mph":
            notes.append("known to report speeds in mph: they are converted to km/h")

    async def _unlock(self, client: BleakClient, present: set[str], notes: list[str]) -> None:
        """The vendor write some treadmills need before their Control Point obeys
        (``unlock_write``: Merach MRK-T, YPOO Mini Pro), once per connection."""
        unlock = self._deviations.unlock_write
        if unlock is None:
            return
        uuid, value = unlock
        if uuid not in present:
            notes.append(f"known to need an unlock write, but it has no {uuid}")
            return
        try:
            await client.write_gatt_char(uuid, value, response=True)
        except (BleakError, OSError) as error:
            notes.append(f"the unlock write failed ({error}): control is asked for anyway")

    async def _life_fitness_setup(self, client: BleakClient, notes: list[str]) -> None:
        """The setup a Life Fitness console needs before it sends Treadmill Data
        (``life_fitness_setup``, :mod:`protocols.life_fitness`), once per connection.

        Every write is awaited on the clock's time (about 10 s in all); one that fails is a
        note, and so is a characteristic the treadmill does not serve (that write is skipped,
        its wait kept, so the console gets the rest at the times it expects). The link lost
        meanwhile fails the connect, as any lost link during the set-up does.
        """
        if not self._deviations.life_fitness_setup:
            return
        found = _life_fitness_characteristics(client)
        if not found:
            notes.append(
                "known to need the Life Fitness setup, but it serves none of its "
                "characteristics: nothing was sent"
            )
            return
        missing = [
            f"0x{uuid[4:8].upper()}"  # the 16-bit part, as the sources name them
            for uuid in sorted(life_fitness.SETUP_CHARACTERISTICS)
            if uuid not in found
        ]
        if missing:
            notes.append(f"Life Fitness setup: it has no {', '.join(missing)}: not written")
        status = found.get(life_fitness.STATUS_UUID)
        if status is not None:
            try:
                await client.start_notify(status, self._on_life_fitness_status)
            except (BleakError, OSError) as error:
                if not client.is_connected:
                    raise
                notes.append(f"Life Fitness setup: its status cannot be subscribed to ({error})")
        written = 0
        for step in life_fitness.SETUP:
            await self._clock.sleep(step.after_s)
            characteristic = found.get(step.characteristic)
            if characteristic is None:
                continue
            # As the peers write: with a response where the characteristic takes one.
            response = "write" in characteristic.properties
            try:
                await client.write_gatt_char(characteristic, step.value, response=response)
            except (BleakError, OSError) as error:
                if not client.is_connected:
                    raise
                notes.append(f"Life Fitness setup: writing the {step.what} failed ({error})")
            else:
                written += 1
        notes.append(
            f"a Life Fitness console: its setup was written ({written} of "
            f"{len(life_fitness.SETUP)} writes; no name, no email, nothing of the person)"
        )

    def _on_life_fitness_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        # What it says is not needed to drive the belt (qdomyos-zwift waits for 07, then
        # 04 01); kept for device reports.
        self._raw(life_fitness.STATUS_UUID, data)
        logger.debug("Life Fitness status %s", bytes(data).hex())

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
            self._observe("has_ranges", False)
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
            if isinstance(value, InclinationRange) and value == InclinationRange(0.0, 0.0, 0.0):
                self._observe("zero_inclination_range", True)
            elif isinstance(value, InclinationRange) and value.min_pct == value.max_pct:
                # One level only, and not flat: a deck that stands there (the Domyos TS100's
                # 15 %, however its entry is matched). Counted as that steep, as if known.
                self._observe("fixed_incline_pct", value.min_pct)
                if self._deviations.fixed_incline_pct is None:
                    self._deviations = dataclasses.replace(
                        self._deviations, fixed_incline_pct=value.min_pct
                    )
            return None
        return value

    async def _subscribe_training_status(self, client: BleakClient, notes: list[str]) -> None:
        try:
            raw = await client.read_gatt_char(ftms.TRAINING_STATUS_UUID)
        except BleakGATTProtocolError as error:
            notes.append(f"Training Status unreadable: {error}")
        else:
            if len(raw) < TRAINING_STATUS_MIN_BYTES:
                notes.append(f"Training Status read is short ({bytes(raw).hex() or 'empty'})")
                self._observe("short_training_status", True)
            self._on_training_status(None, bytearray(raw))
        await client.start_notify(ftms.TRAINING_STATUS_UUID, self._on_training_status)

    def _on_link_down(self) -> None:
        self._has_control = False
        self._belt_running = False
        if self._keepalive is not None:
            self._keepalive.cancel()
            self._keepalive = None
        self._assembler.reset()  # a record cut by link loss is discarded (FTMS §4.18)
        self._raw_fragments = []
        self._unfinished = 0
        self._vendor_status = None  # told again once the module repeats it
        if self._answer is not None and not self._answer.done():
            lost = LinkLostDuringCommand(self._answer_op or OpCode.RESPONSE_CODE)
            self._answer.set_exception(lost)

    def _on_reconnected(self) -> None:
        assert self._info is not None
        self._emit(Reconnected(self._clock.now(), self._info))

    # -- notifications ------------------------------------------------------------------------

    def _on_data(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self._raw(ftms.TREADMILL_DATA_UUID, data)
        now = self._clock.now()
        raw = bytes(data)
        try:
            record = self._assembler.feed(self._as_flagged(raw))
        except ParseError as error:
            logger.warning("malformed Treadmill Data skipped: %s", error)
            self._emit(MalformedData(now, "treadmill_data", raw, str(error)))
            return
        # Same bound as the assembler's, so a peer that never ends a record cannot grow this.
        self._raw_fragments = [*self._raw_fragments[-7:], raw]
        if record is None:
            self._unfinished += 1
            if self._unfinished == NEVER_FINISHED_FRAGMENTS:
                # Say why there is no data, once: a silence with a reason.
                why = (
                    f"{self._unfinished} notifications with More Data set and none ending a "
                    "record: this treadmill's records never complete"
                )
                logger.warning("%s", why)
                self._observe("never_final_record", True)
                self._emit(MalformedData(now, "treadmill_data", raw, why))
            return
        self._unfinished = 0
        fragments, self._raw_fragments = tuple(self._raw_fragments), []
        speed = record.speed_kmh
        if speed is not None and self._deviations.speed_data_unit == "mph":
            speed = round(speed * KMH_PER_MPH, 2)
        if speed is not None:
            self._last_speed = speed
        if record.truncated:
            logger.debug("truncated Treadmill Data record: %s", bytes(data).hex())
        hr = record.heart_rate_bpm or None  # 0 means "no hand on the sensors"
        self._emit(
            Sample(
                t=now,
                speed_kmh=speed,
                incline_pct=self._measured_incline(record),
                distance_m=record.total_distance_m,
                elapsed_s=record.elapsed_time_s,
                energy_kcal=None
                if self._deviations.energy_is_elapsed_time
                else record.total_energy_kcal,
                heart_rate_bpm=hr,
                record=record,
                raw=fragments,
            )
        )

    def _measured_incline(self, record: ftms.TreadmillData) -> float | None:
        """The deck as the record measures it, in percent. Level codes are read back through
        the table (an unknown code is no reading); a deck known to be fixed stands in for a
        record without one. Never the incline that was commanded."""
        d = self._deviations
        incline = record.inclination_pct
        if incline is not None and d.incline_codes is not None and d.incline_codes_in_data:
            code = round(incline * 10)
            incline = next((pct for pct, c in d.incline_codes if c == code), None)
        if record.inclination_pct is None:
            info = self._info
            if info is not None and MachineFeature.INCLINATION in info.feature.machine_features:
                self._observe("reports_incline", False)
            if d.fixed_incline_pct is not None:
                return d.fixed_incline_pct
        return incline

    def _as_flagged(self, raw: bytes) -> bytes:
        """``raw`` with the flags the treadmill meant (``speed_without_flag``: the speed is
        there, whatever bit 0 says)."""
        if self._deviations.speed_without_flag and raw:
            return bytes([raw[0] & ~TreadmillDataFlags.MORE_DATA & 0xFF]) + raw[1:]
        return raw

    def _on_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self._raw(ftms.FITNESS_MACHINE_STATUS_UUID, data)
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
            self._stop_epoch += 1  # a stop at the treadmill: nothing of a start goes on
        elif status.op == StatusOp.STARTED_OR_RESUMED_BY_USER:
            self._belt_running = True
        self._emit(StatusChanged(now, status))
        if status.op == StatusOp.CONTROL_PERMISSION_LOST:
            self._emit(ControlLost(now))

    def _on_vendor_status(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        """A FitShow status packet: told on each change of state (the module repeats it)."""
        self._raw(fitshow.FITSHOW_NOTIFY_UUID, data)
        now = self._clock.now()
        try:
            status = fitshow.FitShowStatus.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(now, "fitshow_status", bytes(data), str(error)))
            return
        if status is None or status == self._vendor_status:
            return  # another kind of packet, or the same state again
        was, self._vendor_status = self._vendor_status, status
        self._emit(VendorStatus(now, status, status.problem))
        key_out = fitshow.FitShowState.SAFETY_KEY
        if status.state == key_out and (was is None or was.state != key_out):
            # What FTMS's own status would say, for a module that does not say it there.
            self._belt_running = False
            self._stop_epoch += 1
            self._emit(StatusChanged(now, MachineStatus(StatusOp.STOPPED_BY_SAFETY_KEY)))

    def _on_training_status(self, char: BleakGATTCharacteristic | None, data: bytearray) -> None:
        if char is not None:  # None: the value read at connect, not a notification
            self._raw(ftms.TRAINING_STATUS_UUID, data)
        now = self._clock.now()
        try:
            status = TrainingStatus.from_bytes(bytes(data))
        except ParseError as error:
            self._emit(MalformedData(now, "training_status", bytes(data), str(error)))
            return
        self._emit(TrainingStatusChanged(now, status))

    def _on_answer(self, _: BleakGATTCharacteristic, data: bytearray) -> None:
        self._raw(ftms.FITNESS_MACHINE_CONTROL_POINT_UUID, data)
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
        # A stop asked for while this waited for the control point overtakes it: a speed
        # written after the stop was decided could restart some belts (seen by the safety
        # fuzzer, seed 1037: a ramp step queued behind the control point went out after it).
        await self._command(self._speed_request(value), cancel_after_stop=self._stop_epoch)
        return value

    async def set_target_inclination(self, pct: float) -> float:
        value = self.fit_incline(pct)
        epoch = self._stop_epoch  # a later stop overtakes it, as a speed (set_target_speed)
        codes = self._deviations.incline_codes
        if codes is not None:
            # The level's code goes where FTMS puts 0.1 % (iConcept T01, 3G Pro/Elite tables).
            code = next(c for p, c in codes if p == value)
            await self._command(ftms.SetTargetInclination(code / 10), cancel_after_stop=epoch)
        else:
            await self._command(ftms.SetTargetInclination(value), cancel_after_stop=epoch)
        return value

    async def start_or_resume(self) -> None:
        epoch = self._stop_epoch
        await self._command(ftms.StartOrResume(), cancel_after_stop=epoch)
        self._start_keepalive(epoch)

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
                await self._command(self._speed_request(value), cancel_after_stop=epoch)
            except CommandRefused as refused:
                if refused.result == ResultCode.CONTROL_NOT_PERMITTED:
                    raise
                logger.info("speed refused while stopped (%s): starting first from now on", refused)
                self._start_first = True
                self._observe("needs_start_before_speed", True)
        if self._start_first:
            await self._halt(ftms.StopOrPause(pause=False), cancel_after_stop=epoch)
        await self._command(ftms.StartOrResume(), cancel_after_stop=epoch)
        await self._speed_after_start(value, epoch)
        self._start_keepalive(epoch)
        return value

    def _start_keepalive(self, epoch: int) -> None:
        """For a treadmill that stops unless Start comes again (``start_keepalive_s``): send
        it, for the start of stop epoch ``epoch`` only (any stop ends it)."""
        due = self._deviations.start_keepalive_s
        if due <= 0:
            return
        if self._keepalive is not None:
            self._keepalive.cancel()
        self._keepalive = self._spawn(self._keep_alive(epoch, due / 3))

    async def _keep_alive(self, epoch: int, interval: float) -> None:
        while True:
            await self._clock.sleep(interval)
            if self._stop_epoch != epoch or not self._belt_running or not self.is_connected:
                return
            try:
                await self._command(ftms.StartOrResume(), cancel_after_stop=epoch)
            except StartCancelled:
                return  # a stop came first: never a Start after it
            except LinkError as error:
                logger.warning("keep-alive Start failed: %s", error)

    async def _speed_after_start(self, value: float, epoch: int) -> None:
        """The speed that follows a start; one refused during the belt's known start-up
        (``speed_refused_after_start_s``) is sent again, within that bound and no longer."""
        started = self._clock.now()
        bound = self._deviations.speed_refused_after_start_s
        while True:
            try:
                await self._command(self._speed_request(value), cancel_after_stop=epoch)
                return
            except CommandRefused as refused:
                late = self._clock.now() - started >= bound + SPEED_RETRY_MARGIN_S
                if bound <= 0 or refused.result != ResultCode.CONTROL_NOT_PERMITTED or late:
                    raise
            await self._clock.sleep(SPEED_RETRY_S)
            if self._stop_epoch != epoch:
                raise StartCancelled(OpCode.SET_TARGET_SPEED)

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
            priority = ProcedureQueue.STOP
        else:
            priority = ProcedureQueue.NORMAL  # a step of start_at, not a stop of its own
        name = op_name(request)
        before = self._refusals.get(name)
        try:
            await self._command(request, priority=priority, cancel_after_stop=cancel_after_stop)
        except CommandRefused as refused:
            # FTMS Table 4.24: "Operation Failed" is the answer to a stop while stopped. That is
            # only harmless if the belt is measured standing; otherwise the caller must know.
            standing = not self._belt_running and (self._last_speed or 0.0) == 0.0
            if refused.result != ResultCode.OPERATION_FAILED or not standing:
                raise
            logger.info("%s answered 'operation failed': the belt is already stopped", request)
            # The standard answer, not something this treadmill does: not for its report.
            if before is None:
                del self._refusals[name]
            else:
                self._refusals[name] = before

    async def reset(self) -> None:
        await self._command(ftms.Reset())

    def fit_speed(self, kmh: float) -> float:
        info = self._require_info()
        if not info.has_control_point or info.speed_range is None:
            raise ControlUnavailable("this treadmill offers no speed control")
        r = info.speed_range
        return fit_to_grid(kmh, r.min_kmh, r.max_kmh, r.increment_kmh)

    def _speed_request(self, kmh: float) -> ftms.SetTargetSpeed:
        """Set Target Speed for ``kmh``, in the unit this treadmill reads it in: mph rounded
        down to 0.01, so the belt never runs faster than the governor allowed."""
        if self._deviations.speed_command_unit == "mph":
            return ftms.SetTargetSpeed(math.floor(kmh / KMH_PER_MPH * 100 + 1e-6) / 100)
        return ftms.SetTargetSpeed(kmh)

    def fit_incline(self, pct: float) -> float:
        info = self._require_info()
        if not info.has_control_point or info.inclination_range is None:
            raise ControlUnavailable("this treadmill offers no inclination control")
        r = info.inclination_range
        d = self._deviations
        step = max(r.increment_pct, d.incline_step_pct or 0.0)
        value = fit_to_grid(pct, r.min_pct, r.max_pct, step)
        if d.incline_codes is not None:
            value = _level_towards_flat(value, [p for p, _ in d.incline_codes])
        return value

    def _require_info(self) -> TreadmillInfo:
        if self._info is None:
            raise NotConnected("no treadmill connected")
        return self._info

    async def _command(
        self,
        request: ControlPointRequest,
        priority: int = ProcedureQueue.NORMAL,
        *,
        cancel_after_stop: int | None = None,
    ) -> None:
        info = self._require_info()
        if not info.has_control_point:
            raise ControlUnavailable("this treadmill has no Control Point")
        # Asking for control again and again (``control_refusals``) ends when a stop is asked
        # for meanwhile, unless this is the stop: it must not wait behind the asking.
        epoch = self._stop_epoch
        is_halt = isinstance(request, ftms.StopOrPause)

        def stop_waits() -> bool:
            return not is_halt and self._stop_epoch != epoch

        await self._procedures.acquire(priority)
        try:
            if cancel_after_stop is not None and self._stop_epoch != cancel_after_stop:
                raise StartCancelled(request.op)
            needs_control = not isinstance(request, ftms.RequestControl)
            if needs_control and not self._has_control and not self._control_not_needed:
                try:
                    await self._ensure_control(stop_waits)
                except (CommandRefused, CommandTimeout) as error:
                    if not is_halt:
                        raise
                    # A stop is written even without control: some treadmills take it, and
                    # one that will not says so in its own answer, which the caller then has.
                    logger.warning("control not granted (%s): sending %s anyway", error, request)
                    await self._procedure(request)
                    return
                if cancel_after_stop is not None and self._stop_epoch != cancel_after_stop:
                    raise StartCancelled(request.op)  # a stop came in while control was asked
            try:
                await self._procedure(request)
            except CommandRefused as refused:
                if refused.result != ResultCode.CONTROL_NOT_PERMITTED or not needs_control:
                    raise
                # Control was taken away without a 0xFF status (seen when another app
                # connected): ask again once, then repeat the very command the caller asked for.
                self._has_control = False
                self._control_not_needed = False
                await self._ensure_control(stop_waits)
                if cancel_after_stop is not None and self._stop_epoch != cancel_after_stop:
                    # A stop came in meanwhile (console, safety key): never repeat a start step.
                    raise StartCancelled(request.op) from refused
                await self._procedure(request)
        finally:
            self._procedures.release()

    async def _ensure_control(self, give_up: Callable[[], bool] = lambda: False) -> None:
        """Request Control; a treadmill known to refuse it a few times first
        (``control_refusals``) is asked again after 0.5, 1, 2 s, that many times at most."""
        if self._deviations.request_control_twice:
            # Wellfit, SW, YPOO: the first one goes unanswered; the peers send a second one
            # 500 ms later without waiting.
            with contextlib.suppress(CommandTimeout):
                await self._procedure(ftms.RequestControl(), timeout=REQUEST_CONTROL_TWICE_S)
                return
        retries = self._deviations.control_refusals
        delays = [min(CONTROL_RETRY_FIRST_S * 2**i, CONTROL_RETRY_MAX_S) for i in range(retries)]
        for delay in [*delays, None]:
            try:
                await self._procedure(ftms.RequestControl())
                return
            except CommandRefused as refused:
                if refused.result == ResultCode.OP_CODE_NOT_SUPPORTED:
                    logger.info("treadmill does not support Request Control; sending without")
                    self._control_not_needed = True
                    self._observe("requires_control", False)
                    return
                if refused.result != ResultCode.CONTROL_NOT_PERMITTED or delay is None:
                    raise
                if give_up():
                    raise
            await self._clock.sleep(delay)

    async def _procedure(
        self, request: ControlPointRequest, *, timeout: float | None = None
    ) -> ControlPointResponse:
        """One write and its 0x80 answer (within ``timeout``, default the command timeout).
        Caller holds the control point."""
        timeout = self._command_timeout if timeout is None else timeout
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
                    raise LinkLostDuringCommand(request.op) from write_error
                raise CommandRejected(request.op, None, str(write_error)) from write_error
            try:
                response = await wait_for(self._clock, self._answer, timeout)
            except TimeoutError as timed_out:
                # FTMP §4.4.14.3: the procedure failed. Control is in doubt; ask again next time.
                self._has_control = False
                raise CommandTimeout(request.op, timeout) from timed_out
        except CommandError as failure:
            failed = failure
            raise
        finally:
            self._answer = None
            self._answer_op = None
            if failed is not None:
                ended: str | None = str(failed)
            elif response is None:
                # Cancelled (a session ending while a command waits for its answer): the
                # record still says how it ended, exactly one of result and error.
                ended = f"{request.op.name} cancelled before its answer"
            else:
                ended = None
            self._emit(
                CommandAnswered(
                    t=self._clock.now(),
                    request=request,
                    result=response.result if response else None,
                    error=ended,
                    duration_s=self._clock.now() - started,
                )
            )
        assert response is not None  # set whenever no error was raised above
        if not response.ok:
            self._refusals[op_name(request)] = response.result.name.lower()
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
            if request.pause and self._deviations.control_lost_after_pause:
                self._has_control = False  # it withdraws control silently: ask again first


def _life_fitness_characteristics(client: BleakClient) -> dict[str, BleakGATTCharacteristic]:
    """The Life Fitness setup's characteristics the treadmill serves, by UUID. The User Data
    ones (standard UUIDs another service may serve too) are taken from the service holding
    the vendor 0x4CF2 where there is one, as TrackMyIndoorWorkout takes them from 0x4B91."""
    services = list(client.services)
    user_service = next(
        (
            s
            for s in services
            if any(c.uuid.lower() == life_fitness.TOKEN_UUID for c in s.characteristics)
        ),
        None,
    )
    ordered = [user_service, *services] if user_service is not None else services
    found: dict[str, BleakGATTCharacteristic] = {}
    for service in ordered:
        for characteristic in service.characteristics:
            uuid = characteristic.uuid.lower()
            if uuid in life_fitness.SETUP_CHARACTERISTICS:
                found.setdefault(uuid, characteristic)
    return found


def _level_towards_flat(value: float, levels: list[float]) -> float:
    """The level of ``levels`` nearest ``value`` on its flatter side (the flattest there is
    when none is)."""
    if value >= 0:
        below = [p for p in levels if 0 <= p <= value + 1e-9]
        return max(below) if below else min(levels, key=abs)
    above = [p for p in levels if value - 1e-9 <= p <= 0]
    return min(above) if above else min(levels, key=abs)


def _att_code(error: BleakGATTProtocolError) -> int | None:
    code = getattr(error, "code", None)
    if isinstance(code, int):
        return code
    args = [a for a in error.args if isinstance(a, int)]
    return args[0] if args else None
