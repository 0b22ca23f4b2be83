"""The virtual treadmill in a device report's shape (``--device FILE``): what it copies from
the report, what stays the standard model, and the hook for deviations it cannot model yet.

Scenarios run over real GATT through the real Bleak API, on virtual time.
"""

from __future__ import annotations

import dataclasses

import pytest
from bleak.exc import BleakGATTProtocolError

from protocols import ftms, life_fitness
from protocols.ftms import RequestControl, TreadmillData
from tests.helpers.ftms_client import connect, get, run
from treadctl import virtual_time
from treadctl.clock import LoopClock
from treadctl.device_shape import (
    ControlExchange,
    DeviceShape,
    GattCharacteristic,
    GattService,
    Notification,
)
from treadctl.devices.deviations import DeviationError
from treadctl.virtual.reported_device import (
    SPEED_READ_AS_MPH,
    belt_deviations,
    quirks_from,
    reported_world,
    spec_from,
)
from treadctl.virtual.treadmill import TreadmillSpec

DATA = ftms.TREADMILL_DATA_UUID
# At rest, as some consoles send it: a total distance kept from the last workout.
AT_REST = bytes(TreadmillData(speed_kmh=0.0, total_distance_m=1234))


def _shape(**changes: object) -> DeviceShape:
    ftms_service = GattService(
        ftms.FITNESS_MACHINE_SERVICE_UUID,
        (
            GattCharacteristic(
                ftms.FITNESS_MACHINE_FEATURE_UUID, ("read",), bytes.fromhex("0400000001000000")
            ),
            GattCharacteristic(DATA, ("notify",)),
            GattCharacteristic(ftms.TRAINING_STATUS_UUID, ("read", "notify"), b"\x00\x01"),
            GattCharacteristic(
                ftms.SUPPORTED_SPEED_RANGE_UUID, ("read",), bytes.fromhex("6400b0040a00")
            ),
            GattCharacteristic(ftms.FITNESS_MACHINE_CONTROL_POINT_UUID, ("write", "indicate")),
            GattCharacteristic(ftms.FITNESS_MACHINE_STATUS_UUID, ("notify",)),
        ),
    )
    shape = DeviceShape(
        services=(ftms_service,),
        rest_seconds=2.0,
        rest=tuple(Notification(0.1 * k, DATA, AT_REST) for k in range(1, 21)),
    )
    return dataclasses.replace(shape, **changes)  # type: ignore[arg-type]


def test_the_belt_stands_as_recorded_and_runs_as_the_standard_model() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        world = reported_world(clock, _shape())
        assert world.treadmill.data_rate_hz == 10.0  # the recorded records' rate
        async with world, connect(world) as client:
            assert await client.read(ftms.TRAINING_STATUS_UUID) == b"\x00\x01"
            await client.subscribe()
            assert await get(client.data) == AT_REST
            world.treadmill.console_start()
            moving = [await client.next_record() for _ in range(20)]
            assert moving[-1].speed_kmh == 1.0  # the report's 1-12 km/h range: starts at 1
            assert moving[-1].total_distance_m != 1234  # the model's own counters now
            assert moving[-1].elapsed_time_s is not None
            world.treadmill.console_stop()
            while (await client.next_record()).speed_kmh != 0.0:
                pass
            assert await get(client.data) == AT_REST  # standing again: the recording again

    run(scenario)


def test_control_point_answers_as_recorded() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        control = (
            ControlExchange(1.0, "request_control", b"\x00", None, None, "ATT error 0xFD", 0xFD),
            ControlExchange(1.1, "reset", b"\x01", bytes.fromhex("80010400"), "OPERATION_FAILED"),
        )
        async with reported_world(clock, _shape(control=control)) as world:
            async with connect(world) as client:
                await client.subscribe()
                with pytest.raises(BleakGATTProtocolError) as error:
                    await client.write(RequestControl())
                assert int(error.value.code) == 0xFD
                answer = await client.command(ftms.Reset())
                # Padding and all, as it came.
                assert bytes(answer).hex() == "80010400"
            assert world.model.snapshot().distance_m == 0.0

    run(scenario)


def test_the_report_shapes_the_spec_and_the_control_point() -> None:
    spec = spec_from(_shape())
    assert (spec.min_speed_kmh, spec.max_speed_kmh, spec.speed_increment_kmh) == (1.0, 12.0, 0.1)
    assert spec.max_incline_pct == TreadmillSpec().max_incline_pct  # no inclination range
    level = _shape(
        services=(
            GattService(
                ftms.FITNESS_MACHINE_SERVICE_UUID,
                (GattCharacteristic(ftms.SUPPORTED_INCLINATION_RANGE_UUID, ("read",), bytes(6)),),
            ),
        )
    )
    flat = spec_from(level)  # Urevo E1L's all-zero range: a level deck, not a failure
    assert (flat.min_incline_pct, flat.max_incline_pct) == (0.0, 0.0)
    assert flat.incline_increment_pct > 0
    assert not quirks_from(_shape()).deviations.responses_as_notifications
    notifying = _shape(
        services=(
            GattService(
                ftms.FITNESS_MACHINE_SERVICE_UUID,
                (
                    GattCharacteristic(
                        ftms.FITNESS_MACHINE_CONTROL_POINT_UUID,
                        ("write-without-response", "write", "notify", "indicate"),
                    ),
                ),
            ),
        )
    )
    quirks = quirks_from(notifying).deviations
    assert quirks.responses_as_notifications and not quirks.requires_indications
    assert quirks.accepts_write_without_response


def test_a_reports_deviations_and_findings_become_the_treadmills_quirks() -> None:
    shape = _shape(speed_ratio=1.61, deviations={"incline_step_pct": 1.0})
    deviations = belt_deviations(shape)
    assert deviations == {"incline_step_pct": 1.0, "speed_command_unit": "mph"}
    assert SPEED_READ_AS_MPH == ("speed_command_unit", "mph")
    assert belt_deviations(_shape(speed_ratio=1.0)) == {}
    quirks = quirks_from(shape).deviations
    assert quirks.speed_command_unit == "mph" and quirks.incline_step_pct == 1.0


def test_a_report_naming_a_deviation_outside_the_vocabulary_is_refused() -> None:
    with pytest.raises(DeviationError, match="device report: deviations: warp_drive"):
        quirks_from(_shape(deviations={"warp_drive": True}))


def _life_fitness_shape(**changes: object) -> DeviceShape:
    """``_shape()`` with a Life Fitness console's vendor services, as a probe reads them
    (write-only: nothing of them in the report but the table), and the deviation its knowledge
    base match put in the report."""
    control = GattService(
        life_fitness.CONTROL_SERVICE_UUID,
        (
            GattCharacteristic(life_fitness.STATUS_UUID, ("notify",)),
            GattCharacteristic(life_fitness.CONTROL1_UUID, ("write",)),
            GattCharacteristic(life_fitness.CONTROL2_UUID, ("write",)),
        ),
    )
    user = GattService(
        life_fitness.USER_SERVICE_UUID,
        tuple(GattCharacteristic(u, ("write",)) for u in life_fitness.USER_CHARACTERISTICS),
    )
    shape = _shape(deviations={"life_fitness_setup": True}, **changes)
    return dataclasses.replace(shape, services=(*shape.services, control, user))


def test_a_reported_life_fitness_console_sends_data_once_control1_got_01_then_02() -> None:
    async def scenario() -> None:
        clock = LoopClock()
        world = reported_world(clock, _life_fitness_shape())
        assert world.treadmill.deviations.life_fitness_setup
        # Said, but with no control1 to write: the link wrote nothing, and its data flowed.
        unserved = quirks_from(_shape(deviations={"life_fitness_setup": True}))
        assert not unserved.deviations.life_fitness_setup
        async with world, connect(world) as client:
            await client.subscribe()
            await virtual_time.advance(3.0)
            assert client.data.empty()  # nothing before the setup
            bleak = client.client
            await bleak.write_gatt_char(life_fitness.CONTROL1_UUID, b"\x02", response=True)
            await virtual_time.advance(1.0)
            assert client.data.empty()  # 02 alone is not the setup
            await bleak.write_gatt_char(life_fitness.CONTROL1_UUID, b"\x01", response=True)
            await virtual_time.advance(1.0)
            assert client.data.empty()
            await bleak.write_gatt_char(life_fitness.CONTROL1_UUID, b"\x02", response=True)
            assert await get(client.data) == AT_REST  # then the recorded stream flows

    run(scenario)
