"""A virtual treadmill in the shape of a device report: ``--simulate --device FILE``.

Shape::

    reported_world(clock, shape, **world_kwargs) -> VirtualWorld
     ├── spec_from(shape)              the belt's ranges from the report's (standard physics)
     ├── quirks_from(shape)            the control point as the GATT table shows it, with the
     │                                 report's deviations and guided findings on top
     ├── belt_deviations(shape)        the report's deviations and guided findings (names and
     │                                 values of the vocabulary, ``treadctl.devices``)
     └── ReportedPeripheral            an FtmsPeripheral whose
          ├── advertising_data         is the report's advertisement
          ├── _services                are the report's services, in its order, with its
          │                            properties and values; vendor ones static but a
          │                            FitShow status (0xFFF1), which follows the belt,
          │                            and a Life Fitness setup's, whose writes it waits for
          ├── Treadmill Data           replays the recorded records while the belt stands
          ├── Training Status read     gives the recorded value while the belt stands
          └── Control Point            answers Request Control and Reset as recorded

What a probe sees of it is what it saw of the original: ``probe --report`` on the original,
then on this, gives the same report apart from timestamps (tests/treadctl/report/
test_round_trip.py holds every quirk profile to that). The belt itself follows the standard
model (:class:`~treadctl.virtual.treadmill.TreadmillModel`) within the report's ranges, apart
from what the report's ``deviations`` and guided findings say, in the device knowledge
base's vocabulary (:class:`~treadctl.devices.deviations.Deviations`): they become the virtual
treadmill's quirks, as a knowledge-base entry's do. A name outside the vocabulary is refused
in one line.

What it cannot copy: the Generic Access and Generic Attribute services (the virtual radio's
own; a report leaves them out), the order of a characteristic's CCCD among its other
descriptors (Bumble adds it last), notifications at rest from anything but Treadmill Data (not
replayed; a FitShow status is made from the belt's state, as the fitshow profile does), and
what a vendor characteristic does when written (it keeps the value) — but for what the
vocabulary says: a report whose deviations say ``life_fitness_setup`` gives a treadmill that
sends no Treadmill Data until its control1 got 01, then 02 (as the life-fitness profile; the
report does not hold the vendor writes themselves, only the GATT table they go to and this
deviation, which the knowledge base's match put there). An ``unlock_write`` is not emulated:
control is answered as the report recorded it.

Like the rest of ``treadctl.virtual`` it imports ``protocols``, the clock and the plain shape
types (``treadctl.device_shape``), nothing of the app.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import logging
import math
import statistics
from typing import Any

from bumble import att, data_types
from bumble.core import UUID, AdvertisingData, DataType
from bumble.device import Connection
from bumble.gatt import Characteristic, CharacteristicValue, Descriptor, Service

from protocols import ParseError, fitshow, ftms, life_fitness
from protocols.ftms import ControlPointResponse, OpCode, ResultCode
from treadctl.clock import Clock
from treadctl.device_shape import (
    CCCD_UUID,
    STACK_SERVICE_UUIDS,
    ControlExchange,
    DeviceShape,
    GattCharacteristic,
)
from treadctl.devices.deviations import Deviations
from treadctl.virtual.backend import bleak_uuid, bumble_uuid
from treadctl.virtual.peripheral import (
    DEFAULT_DATA_RATE_HZ,
    MAX_DATA_RATE_HZ,
    MIN_DATA_RATE_HZ,
    FtmsPeripheral,
    _WriteRejected,
)
from treadctl.virtual.quirks import Quirks
from treadctl.virtual.treadmill import MachineState, TreadmillSpec
from treadctl.virtual.world import VirtualWorld

__all__ = [
    "SPEED_READ_AS_MPH",
    "ReportedPeripheral",
    "belt_deviations",
    "quirks_from",
    "reported_world",
    "spec_from",
]

logger = logging.getLogger(__name__)

#: The deviation a guided test's ratio near 1.609 stands for: the treadmill reads km/h as mph.
#: A guided test's speed ratio near 1.609, in the vocabulary: commands read as mph.
SPEED_READ_AS_MPH = ("speed_command_unit", "mph")

# The governor's figures (treadctl.safety), restated: the virtual treadmill imports nothing of
# the app. 1 mile = 1.609344 km; a ratio within 6 % of it names the unit mix-up.
_KMH_PER_MPH = 1.609344
_UNIT_RATIO_TOLERANCE = 0.06

_PROPERTY_BITS = {
    "broadcast": Characteristic.Properties.BROADCAST,
    "read": Characteristic.Properties.READ,
    "write-without-response": Characteristic.Properties.WRITE_WITHOUT_RESPONSE,
    "write": Characteristic.Properties.WRITE,
    "notify": Characteristic.Properties.NOTIFY,
    "indicate": Characteristic.Properties.INDICATE,
    "authenticated-signed-writes": Characteristic.Properties.AUTHENTICATED_SIGNED_WRITES,
    "extended-properties": Characteristic.Properties.EXTENDED_PROPERTIES,
}

# FTMS characteristics whose value is the device's own, served as the report read it.
_STATIC_FTMS = frozenset(
    {
        ftms.FITNESS_MACHINE_FEATURE_UUID,
        ftms.SUPPORTED_SPEED_RANGE_UUID,
        ftms.SUPPORTED_INCLINATION_RANGE_UUID,
    }
)

_REQUEST_OPS = {"request_control": OpCode.REQUEST_CONTROL, "reset": OpCode.RESET}


# ------------------------------------------------------------------------------------------
# The world


def reported_world(clock: Clock, shape: DeviceShape, **world_kwargs: Any) -> VirtualWorld:
    """A :class:`VirtualWorld` whose treadmill takes ``shape``; ``world_kwargs`` (a strap, an
    address...) go to the world as ever."""
    return VirtualWorld(
        clock,
        spec=spec_from(shape),
        quirks=quirks_from(shape),
        data_rate_hz=_data_rate(shape),
        name=shape.name or "Virtual Treadmill",
        peripheral=functools.partial(ReportedPeripheral, shape=shape),
        **world_kwargs,
    )


def spec_from(shape: DeviceShape) -> TreadmillSpec:
    """The standard belt, within the report's speed and inclination ranges (where they can
    be read and make a belt: an all-zero inclination range keeps the deck level)."""
    changes: dict[str, Any] = {}
    speed = _decode(shape.value(ftms.SUPPORTED_SPEED_RANGE_UUID), ftms.SpeedRange)
    if speed is not None and 0 < speed.min_kmh <= speed.max_kmh and speed.increment_kmh > 0:
        changes |= {
            "min_speed_kmh": speed.min_kmh,
            "max_speed_kmh": speed.max_kmh,
            "speed_increment_kmh": speed.increment_kmh,
        }
    incline = _decode(shape.value(ftms.SUPPORTED_INCLINATION_RANGE_UUID), ftms.InclinationRange)
    if incline is not None and incline.min_pct <= incline.max_pct:
        changes |= {"min_incline_pct": incline.min_pct, "max_incline_pct": incline.max_pct}
        if incline.increment_pct > 0:
            changes["incline_increment_pct"] = incline.increment_pct
    return TreadmillSpec(**changes)


def _decode[R: (ftms.SpeedRange, ftms.InclinationRange)](
    raw: bytes | None, kind: type[R]
) -> R | None:
    if raw is None:
        return None
    try:
        return kind.from_bytes(raw)
    except ParseError:
        return None


def quirks_from(shape: DeviceShape) -> Quirks:
    """The control point's deviations the GATT table shows — a control point that declares
    Notify is answered by notification (the Urevo E1L's), one that declares Write Without
    Response takes it — with the report's deviations and guided findings on top. A
    :class:`~treadctl.devices.deviations.DeviationError` for a name outside the vocabulary."""
    control = shape.characteristic(ftms.FITNESS_MACHINE_CONTROL_POINT_UUID)
    properties = set(control.properties) if control is not None else set()
    notifies = "notify" in properties
    seen = Deviations(
        responses_as_notifications=notifies,
        requires_indications=not notifies,
        accepts_write_without_response="write-without-response" in properties,
    )
    said = Deviations.from_table(belt_deviations(shape), "device report: deviations")
    # Its vendor characteristics are the report's, static: one that unlocks control when
    # written cannot be emulated, so control is answered as the report recorded it.
    said = dataclasses.replace(said, unlock_write=None)
    if shape.characteristic(life_fitness.CONTROL1_UUID) is None:
        # Matched by name, yet serving no setup (so the link wrote none): its data flowed.
        said = dataclasses.replace(said, life_fitness_setup=False)
    return Quirks(
        name="report",
        description=f"Shaped after the device report of {shape.name or 'a treadmill'}.",
        deviations=seen.merged(said),
    )


def belt_deviations(shape: DeviceShape) -> dict[str, object]:
    """The report's ``deviations``, with what its guided test found (a speed ratio near
    1.609 is :data:`SPEED_READ_AS_MPH`)."""
    deviations: dict[str, object] = dict(shape.deviations)
    ratio = shape.speed_ratio
    if ratio is not None and math.isclose(ratio, _KMH_PER_MPH, rel_tol=_UNIT_RATIO_TOLERANCE):
        deviations.setdefault(*SPEED_READ_AS_MPH)
    return deviations


def _data_rate(shape: DeviceShape) -> float:
    """The rate of the recorded records (ends of records, More Data clear), 1-10 Hz."""
    ends = [
        n.t
        for n in shape.rest
        if n.characteristic == ftms.TREADMILL_DATA_UUID and n.data and not n.data[0] & 0x01
    ]
    if not ends:  # records that never complete: the rate of what came
        ends = [n.t for n in shape.rest if n.characteristic == ftms.TREADMILL_DATA_UUID]
    gaps = [b - a for a, b in itertools.pairwise(ends) if b > a]
    if not gaps:
        return DEFAULT_DATA_RATE_HZ
    rate = 1.0 / statistics.median(gaps)
    return min(max(round(rate, 3), MIN_DATA_RATE_HZ), MAX_DATA_RATE_HZ)


# ------------------------------------------------------------------------------------------
# The peripheral


class ReportedPeripheral(FtmsPeripheral):
    """An :class:`FtmsPeripheral` that takes a report's shape; see the module docstring."""

    def __init__(self, *args: Any, shape: DeviceShape, **kwargs: Any) -> None:
        # Before the base's __init__: it calls _services, which reads these.
        self.shape = shape
        self._records = _recorded_records(shape)
        self._replay_index = 0
        self._replay_at: float | None = None
        self._recorded = _recorded_answers(shape.control)
        super().__init__(*args, **kwargs)

    # -- advertising ------------------------------------------------------------------------

    @property
    def advertising_data(self) -> bytes:
        """The report's advertisement: name, service UUIDs, service data, manufacturer data,
        TX power (with the usual flags; Bleak does not show them, so a report has none)."""
        return _advertising_data(self.shape)

    # -- the GATT table ---------------------------------------------------------------------

    def _services(self, ftms_characteristics: list[Characteristic[Any]]) -> list[Service]:
        own = {bleak_uuid(c.uuid): c for c in ftms_characteristics}
        services = []
        for service in self.shape.services:
            if service.uuid in STACK_SERVICE_UUIDS:
                continue  # the virtual radio serves its own
            is_ftms = service.uuid == ftms.FITNESS_MACHINE_SERVICE_UUID
            characteristics = [
                self._characteristic(c, own.get(c.uuid) if is_ftms else None)
                for c in service.characteristics
            ]
            services.append(Service(bumble_uuid(service.uuid), characteristics))
        return services

    def _characteristic(
        self, reported: GattCharacteristic, own: Characteristic[Any] | None
    ) -> Characteristic[Any]:
        properties = Characteristic.Properties(0)
        for name in reported.properties:
            properties |= _PROPERTY_BITS.get(name, Characteristic.Properties(0))
        if own is not None:
            # The peripheral's own FTMS characteristic (its callbacks drive the belt), with
            # the report's properties, and its value where the value is the device's own.
            own.properties = properties
            if reported.uuid in _STATIC_FTMS and reported.value is not None:
                own.value = reported.value
            return own
        permissions = Characteristic.Permissions(0)
        if "read" in reported.properties:
            permissions |= Characteristic.READABLE
        if {"write", "write-without-response"} & set(reported.properties):
            permissions |= Characteristic.WRITEABLE
        value: Any = reported.value if reported.value is not None else b""
        if reported.att_error is not None:
            value = CharacteristicValue(read=_refusing(reported.att_error))
        elif (
            self.deviations.life_fitness_setup
            and reported.uuid in life_fitness.SETUP_CHARACTERISTICS
            and permissions & Characteristic.WRITEABLE
        ):
            # Written by the link's setup: control1's 01 then 02 let the data flow.
            value = CharacteristicValue(
                read=_reading(value), write=self._on_life_fitness_write(reported.uuid)
            )
        descriptors = [
            Descriptor(bumble_uuid(d.uuid), Descriptor.READABLE, d.value or b"")
            for d in reported.descriptors
            if d.uuid != CCCD_UUID  # Bumble adds the CCCD of a notifying characteristic
        ]
        made: Characteristic[Any] = Characteristic(
            bumble_uuid(reported.uuid), properties, permissions, value, descriptors
        )
        if reported.uuid == fitshow.FITSHOW_NOTIFY_UUID and any(
            n.characteristic == fitshow.FITSHOW_NOTIFY_UUID for n in self.shape.rest
        ):
            # A FitShow module's status, recorded at rest: not static, it says what the belt
            # does (the base's data loop sends it, as for its own fitshow profile).
            self._fitshow = made
        return made

    # -- the stream at rest -----------------------------------------------------------------

    def _payloads(self, record: ftms.TreadmillData, limit: int) -> list[bytes]:
        if not self._records or not self._standing() or self._faulty():
            self._replay_at = None
            return super()._payloads(record, limit)
        now = self.clock.now()
        if self._replay_at != now:  # one recorded record per tick, whatever the connections
            if self._replay_at is not None:
                self._replay_index = (self._replay_index + 1) % len(self._records)
            self._replay_at = now
        return list(self._records[self._replay_index])

    def _on_training_status_read(self, connection: Connection) -> bytes:
        recorded = self.shape.value(ftms.TRAINING_STATUS_UUID)
        if recorded is not None and self._standing():
            return recorded
        return super()._on_training_status_read(connection)

    def _standing(self) -> bool:
        belt = self.model.snapshot()
        return belt.state is MachineState.STOPPED and belt.speed_kmh == 0.0

    def _faulty(self) -> bool:
        return self.faults.malformed_records or self.faults.truncated_records

    # -- the control point ------------------------------------------------------------------

    def _handle_write(self, connection: Connection, data: bytes) -> None:
        recorded = self._recorded.get(OpCode(data[0])) if data else None
        if recorded is None or recorded.result == ResultCode.SUCCESS.name:
            super()._handle_write(connection, data)
            return
        op = OpCode(data[0])
        if recorded.att_error is not None:
            self._trace_write(op, data, None, f"att_error_0x{recorded.att_error:02x}")
            raise _WriteRejected(att.ErrorCode(recorded.att_error), "recorded ATT error")
        response = _response(recorded)
        if response is None:
            self._trace_write(op, data, None, "ignored")  # recorded: no answer came
            return
        self._trace_write(op, data, None, response.result.name.lower())
        self._answer(connection, response)

    def _answer(self, connection: Connection, response: ControlPointResponse) -> None:
        recorded = self._recorded.get(response.request_op)
        answer = _response(recorded) if recorded is not None else None
        if answer is not None and answer.result == response.result:
            response = answer  # as it came, padding and all
        super()._answer(connection, response)


def _recorded_records(shape: DeviceShape) -> tuple[tuple[bytes, ...], ...]:
    """The recorded Treadmill Data, one tuple of fragments per record (More Data merged)."""
    records: list[tuple[bytes, ...]] = []
    pending: list[bytes] = []
    for n in shape.rest:
        if n.characteristic != ftms.TREADMILL_DATA_UUID:
            continue
        pending.append(n.data)
        if not n.data or not n.data[0] & 0x01:  # More Data clear: the record is complete
            records.append(tuple(pending))
            pending = []
    if not records and pending:
        # Records that never complete (More Data always set): replayed as they came.
        records = [(fragment,) for fragment in pending]
    return tuple(records)


def _recorded_answers(control: tuple[ControlExchange, ...]) -> dict[OpCode, ControlExchange]:
    """The last recorded exchange of each harmless request, by op code."""
    return {_REQUEST_OPS[e.request]: e for e in control if e.request in _REQUEST_OPS}


def _response(exchange: ControlExchange) -> ControlPointResponse | None:
    if exchange.answer is None:
        return None
    try:
        return ControlPointResponse.from_bytes(exchange.answer)
    except ParseError:
        return None


def _reading(value: bytes) -> Any:
    def read(_: Connection) -> bytes:
        return value

    return read


def _refusing(code: int) -> Any:
    def read(_: Connection) -> bytes:
        raise att.ATT_Error(att.ErrorCode(code))

    return read


def _advertising_data(shape: DeviceShape) -> bytes:
    adv = shape.advertisement
    structures: list[DataType] = [
        data_types.Flags(
            AdvertisingData.Flags.LE_GENERAL_DISCOVERABLE_MODE
            | AdvertisingData.Flags.BR_EDR_NOT_SUPPORTED
        )
    ]
    if adv.name:
        structures.append(data_types.CompleteLocalName(adv.name))
    # One list per run of same-size UUIDs, so Bleak lists them in the report's order.
    run: list[UUID] = []
    for uuid in [bumble_uuid(u) for u in adv.service_uuids]:
        if run and len(run[-1].uuid_bytes) != len(uuid.uuid_bytes):
            structures.append(_uuid_list(run))
            run = []
        run.append(uuid)
    if run:
        structures.append(_uuid_list(run))
    for service, payload in adv.service_data:
        uuid = bumble_uuid(service)
        kind = (
            data_types.ServiceData16BitUUID
            if len(uuid.uuid_bytes) == 2
            else data_types.ServiceData128BitUUID
        )
        structures.append(kind(uuid, payload))
    for company, payload in adv.manufacturer_data:
        structures.append(data_types.ManufacturerSpecificData(company, payload))
    if adv.tx_power is not None:
        structures.append(data_types.TxPowerLevel(adv.tx_power))
    return bytes(AdvertisingData(structures))


def _uuid_list(uuids: list[UUID]) -> DataType:
    if len(uuids[0].uuid_bytes) == 2:
        return data_types.CompleteListOf16BitServiceUUIDs(uuids)
    return data_types.CompleteListOf128BitServiceUUIDs(uuids)
