"""Table tests: every field and flag bit of every FTMS message, on bytes written by hand.

Expected values come from the specification's tables (FTMS v1.0, Tables 4.2–4.27), not from
our encoder, so an encoder and decoder sharing one mistake cannot pass together.
"""

from __future__ import annotations

from typing import Any

import pytest

from protocols import EncodeError, ParseError, ftms
from protocols.ftms import (
    ControlPointRequest,
    ControlPointResponse,
    MachineStatus,
    OpCode,
    ResultCode,
    StatusOp,
    TrainingStatus,
    TrainingStatusCode,
    TreadmillData,
)

# --- Treadmill Data: one row per flag bit -----------------------------------------------------
# (flags, field bytes after the flags, expected attributes). Bit 0 clear adds the speed first.
SPEED_ONLY = "3905"  # 13.37 km/h
TREADMILL_ROWS: list[tuple[int, str, dict[str, Any]]] = [
    (0x0000, SPEED_ONLY, {"speed_kmh": 13.37, "more_data": False}),
    (0x0001, "", {"speed_kmh": None, "more_data": True}),
    (0x0003, "e803", {"average_speed_kmh": 10.0}),
    (0x0005, "a08601", {"total_distance_m": 100_000}),
    (0x0009, "e2ff2c01", {"inclination_pct": -3.0, "ramp_angle_deg": 30.0}),
    (0x0009, "ff7fff7f", {"inclination_pct": None, "ramp_angle_deg": None}),
    (0x0011, "7b00c800", {"positive_elevation_gain_m": 12.3, "negative_elevation_gain_m": 20.0}),
    (0x0021, "2d", {"instantaneous_pace_km_per_min": 4.5}),
    (0x0041, "0c", {"average_pace_km_per_min": 1.2}),
    (
        0x0081,
        "3412c80005",
        {"total_energy_kcal": 0x1234, "energy_per_hour_kcal": 200, "energy_per_minute_kcal": 5},
    ),
    (
        0x0081,
        "ffffffffff",
        {"total_energy_kcal": None, "energy_per_hour_kcal": None, "energy_per_minute_kcal": None},
    ),
    (0x0101, "b4", {"heart_rate_bpm": 180}),
    (0x0201, "4b", {"metabolic_equivalent": 7.5}),
    (0x0401, "100e", {"elapsed_time_s": 3600}),
    (0x0801, "5802", {"remaining_time_s": 600}),
    (0x1001, "9cff2c01", {"force_on_belt_n": -100, "power_output_w": 300}),
    (0x1001, "ff7fff7f", {"force_on_belt_n": None, "power_output_w": None}),
]


@pytest.mark.parametrize(("flags", "payload", "expected"), TREADMILL_ROWS)
def test_treadmill_data_field(flags: int, payload: str, expected: dict[str, Any]) -> None:
    record = TreadmillData.from_bytes(flags.to_bytes(2, "little") + bytes.fromhex(payload))
    for name, value in expected.items():
        assert getattr(record, name) == value, name
    assert not record.truncated
    others = set(record.present_fields()) - set(expected)
    assert not others, f"unexpected fields decoded: {others}"


def test_treadmill_data_all_fields_in_spec_order() -> None:
    flags = 0x1FFE  # every field, speed included (bit 0 clear)
    payload = (
        "9001"  # speed 4.00
        "2c01"  # average 3.00
        "0a0000"  # distance 10 m
        "0a00"  # incline 1.0
        "0500"  # ramp 0.5
        "0100"  # +elevation 0.1
        "0200"  # -elevation 0.2
        "0f"  # pace 1.5
        "10"  # avg pace 1.6
        "0300"  # total energy 3
        "2c01"  # per hour 300
        "05"  # per minute 5
        "64"  # hr 100
        "21"  # MET 3.3
        "3c00"  # elapsed 60
        "7800"  # remaining 120
        "0c00"  # force 12
        "2200"  # power 34
    )
    data = flags.to_bytes(2, "little") + bytes.fromhex(payload)
    assert len(data) == 34  # the largest record the spec allows (pace as uint8)
    record = TreadmillData.from_bytes(data)
    assert record == TreadmillData(
        speed_kmh=4.0,
        average_speed_kmh=3.0,
        total_distance_m=10,
        inclination_pct=1.0,
        ramp_angle_deg=0.5,
        positive_elevation_gain_m=0.1,
        negative_elevation_gain_m=0.2,
        instantaneous_pace_km_per_min=1.5,
        average_pace_km_per_min=1.6,
        total_energy_kcal=3,
        energy_per_hour_kcal=300,
        energy_per_minute_kcal=5,
        heart_rate_bpm=100,
        metabolic_equivalent=3.3,
        elapsed_time_s=60,
        remaining_time_s=120,
        force_on_belt_n=12,
        power_output_w=34,
    )
    assert bytes(record) == data
    assert record.flags == ftms.TreadmillDataFlags(0x1FFE)


def test_treadmill_data_encoder_refuses_what_the_spec_forbids() -> None:
    with pytest.raises(EncodeError, match="More Data"):
        bytes(TreadmillData(more_data=True, speed_kmh=3.0))
    with pytest.raises(EncodeError, match="final fragment"):
        bytes(TreadmillData(more_data=False))
    with pytest.raises(EncodeError, match="overlaps"):
        bytes(TreadmillData(speed_kmh=1.0, reserved_flags=0x0004))
    with pytest.raises(EncodeError, match="outside"):
        bytes(TreadmillData(speed_kmh=700.0))


def test_treadmill_data_empty_and_one_byte_are_parse_errors() -> None:
    with pytest.raises(ParseError) as empty:
        TreadmillData.from_bytes(b"")
    assert empty.value.offset == 0 and empty.value.data == b""
    with pytest.raises(ParseError) as short:
        TreadmillData.from_bytes(b"\x00")
    assert short.value.offset == 0 and short.value.data == b"\x00"


# --- Advertisement, feature, ranges -------------------------------------------------------------


def test_service_data() -> None:
    sd = ftms.ServiceData.from_bytes(bytes.fromhex("010100"))
    assert sd.available and sd.is_treadmill
    assert sd.machine_type == ftms.MachineType.TREADMILL
    bike = ftms.ServiceData.from_bytes(bytes.fromhex("002000"))
    assert not bike.available and not bike.is_treadmill
    flags_only = ftms.ServiceData.from_bytes(b"\x01")
    assert flags_only.machine_type is None and not flags_only.is_treadmill
    assert bytes(flags_only) == b"\x01"
    assert bytes(ftms.ServiceData()) == bytes.fromhex("010100")


@pytest.mark.parametrize("bit", range(17))
def test_feature_machine_bits(bit: int) -> None:
    f = ftms.FitnessMachineFeature.from_bytes((1 << bit).to_bytes(4, "little") + bytes(4))
    assert f.machine_features == ftms.MachineFeature(1 << bit)
    assert f.machine_features.name is not None  # every defined bit has a name
    assert f.target_settings == 0


@pytest.mark.parametrize("bit", range(17))
def test_feature_target_bits(bit: int) -> None:
    f = ftms.FitnessMachineFeature.from_bytes(bytes(4) + (1 << bit).to_bytes(4, "little"))
    assert f.target_settings == ftms.TargetSettingFeature(1 << bit)
    assert f.target_settings.name is not None
    assert f.machine_features == 0


def test_feature_reserved_bits_are_kept_but_unnamed_and_short_is_error() -> None:
    wire = bytes.fromhex("0000008001000080")
    f = ftms.FitnessMachineFeature.from_bytes(wire)
    assert ftms.TargetSettingFeature.SPEED in f.target_settings
    assert int(f.machine_features) == 0x80000000
    assert bytes(f) == wire
    with pytest.raises(ParseError) as err:
        ftms.FitnessMachineFeature.from_bytes(bytes.fromhex("0c000000"))
    assert err.value.offset == 4


def test_speed_range() -> None:
    r = ftms.SpeedRange.from_bytes(bytes.fromhex("3200400605"[:8] + "0a00"))
    assert (r.min_kmh, r.max_kmh, r.increment_kmh) == (0.5, 16.0, 0.1)
    assert bytes(r) == bytes.fromhex("320040060a00")
    with pytest.raises(ParseError):
        ftms.SpeedRange.from_bytes(bytes.fromhex("32004006"))


def test_inclination_range_is_signed() -> None:
    r = ftms.InclinationRange.from_bytes(bytes.fromhex("ceff96000500"))
    assert (r.min_pct, r.max_pct, r.increment_pct) == (-5.0, 15.0, 0.5)
    assert bytes(r) == bytes.fromhex("ceff96000500")


def test_uuids_are_lowercase_128_bit() -> None:
    assert ftms.FITNESS_MACHINE_SERVICE_UUID == "00001826-0000-1000-8000-00805f9b34fb"
    assert ftms.TREADMILL_DATA_UUID == "00002acd-0000-1000-8000-00805f9b34fb"
    assert ftms.FITNESS_MACHINE_CONTROL_POINT_UUID == "00002ad9-0000-1000-8000-00805f9b34fb"
    assert ftms.FITNESS_MACHINE_STATUS_UUID == "00002ada-0000-1000-8000-00805f9b34fb"
    assert ftms.TRAINING_STATUS_UUID == "00002ad3-0000-1000-8000-00805f9b34fb"
    assert ftms.SUPPORTED_SPEED_RANGE_UUID == "00002ad4-0000-1000-8000-00805f9b34fb"
    assert ftms.SUPPORTED_INCLINATION_RANGE_UUID == "00002ad5-0000-1000-8000-00805f9b34fb"
    assert ftms.FITNESS_MACHINE_FEATURE_UUID == "00002acc-0000-1000-8000-00805f9b34fb"


# --- Control Point requests ---------------------------------------------------------------------
REQUEST_ROWS: list[tuple[ControlPointRequest, str]] = [
    (ftms.RequestControl(), "00"),
    (ftms.Reset(), "01"),
    (ftms.SetTargetSpeed(5.39), "021b02"),
    (ftms.SetTargetSpeed(12.0), "02b004"),
    (ftms.SetTargetInclination(-2.5), "03e7ff"),
    (ftms.SetTargetInclination(4.0), "032800"),
    (ftms.SetTargetResistanceLevel(5.5), "0437"),
    (ftms.SetTargetPower(-20), "05ecff"),
    (ftms.SetTargetHeartRate(150), "0696"),
    (ftms.StartOrResume(), "07"),
    (ftms.StopOrPause(pause=False), "0801"),
    (ftms.StopOrPause(pause=True), "0802"),
    (ftms.SetTargetedExpendedEnergy(500), "09f401"),
    (ftms.SetTargetedNumberOfSteps(1000), "0ae803"),
    (ftms.SetTargetedNumberOfStrides(800), "0b2003"),
    (ftms.SetTargetedDistance(42195), "0cd3a400"),
    (ftms.SetTargetedTrainingTime(1800), "0d0807"),
    (ftms.SetTargetedTimeInTwoHrZones(60, 120), "0e3c007800"),
    (ftms.SetTargetedTimeInThreeHrZones(1, 2, 3), "0f010002000300"),
    (ftms.SetTargetedTimeInFiveHrZones(1, 2, 3, 4, 5), "1001000200030004000500"),
    (ftms.SetIndoorBikeSimulation(-1.5, 2.5, 0.004, 0.51), "1124fafa002833"),
    (ftms.SetWheelCircumference(2105.0), "123a52"),
    (ftms.SpinDownControl(1), "1301"),
    (ftms.SetTargetedCadence(90.5), "14b500"),
]


@pytest.mark.parametrize(("request_", "wire"), REQUEST_ROWS, ids=lambda r: type(r).__name__)
def test_request_encodes_and_decodes(request_: ControlPointRequest, wire: str) -> None:
    assert bytes(request_).hex() == wire
    assert ControlPointRequest.from_bytes(bytes.fromhex(wire)) == request_
    assert type(request_).from_bytes(bytes.fromhex(wire)) == request_
    assert request_.op == bytes.fromhex(wire)[0]


@pytest.mark.parametrize(
    ("kmh", "wire"),
    [(5.39, "021b02"), (5.394, "021b02"), (5.395, "021c02"), (0.005, "020100"), (0.004, "020000")],
)
def test_set_speed_rounds_to_nearest_never_truncates(kmh: float, wire: str) -> None:
    assert bytes(ftms.SetTargetSpeed(kmh)).hex() == wire


def test_negative_incline_rounds_half_away_from_zero() -> None:
    assert bytes(ftms.SetTargetInclination(-0.05)).hex() == "03ffff"


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (ftms.SetTargetSpeed(-1.0), "outside"),
        (ftms.SetTargetSpeed(655.36), "outside"),
        (ftms.SetTargetSpeed(float("nan")), "finite"),
        (ftms.SetTargetSpeed(True), "number"),
        (ftms.SetTargetSpeed("5"), "number"),  # type: ignore[arg-type]
        (ftms.SetTargetInclination(3276.8), "outside"),
    ],
)
def test_request_encoder_refuses_unsendable_values(bad: ControlPointRequest, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        bytes(bad)


def test_unknown_request_op_is_kept_with_its_parameter() -> None:
    r = ControlPointRequest.from_bytes(bytes.fromhex("2a0102"))
    assert isinstance(r, ftms.UnknownRequest)
    assert r.op == 0x2A and r.op.name == "RFU_0x2A"
    assert r.parameter == b"\x01\x02"
    assert bytes(r) == bytes.fromhex("2a0102")


@pytest.mark.parametrize(
    ("wire", "offset"),
    [
        ("02", 1),  # speed parameter missing
        ("021b", 1),  # half a speed
        ("021b0200", 3),  # one byte too many
        ("08", 1),  # stop/pause without parameter
        ("080100", 1),  # stop/pause with two bytes
        ("0800", 1),  # reserved stop/pause parameter
        ("0803", 1),
        ("0701", 1),  # start takes no parameter
    ],
)
def test_malformed_requests_are_parse_errors_naming_the_op(wire: str, offset: int) -> None:
    data = bytes.fromhex(wire)
    with pytest.raises(ParseError) as err:
        ControlPointRequest.from_bytes(data)
    assert err.value.offset == offset
    assert err.value.data[0] == data[0]  # the server answers with this op code


def test_subclass_from_bytes_checks_the_op() -> None:
    with pytest.raises(ParseError, match="SET_TARGET_SPEED"):
        ftms.SetTargetSpeed.from_bytes(bytes.fromhex("07"))
    with pytest.raises(ParseError):
        ControlPointRequest.from_bytes(b"")


# --- Control Point response ---------------------------------------------------------------------


@pytest.mark.parametrize("result", [1, 2, 3, 4, 5])
def test_response_result_codes(result: int) -> None:
    r = ControlPointResponse.from_bytes(bytes([0x80, 0x02, result]))
    assert r.request_op == OpCode.SET_TARGET_SPEED
    assert r.result == ResultCode(result) and r.result.name in ResultCode.__members__
    assert r.ok == (result == 1)
    assert r.spin_down_targets_kmh is None


def test_response_unknown_codes_are_kept() -> None:
    r = ControlPointResponse.from_bytes(bytes.fromhex("80f0090a"))
    assert int(r.request_op) == 0xF0 and int(r.result) == 9
    assert r.result.name == "RFU_0x09"
    assert r.parameter == b"\x0a"
    assert bytes(r) == bytes.fromhex("80f0090a")


def test_response_spin_down_parameter() -> None:
    r = ControlPointResponse.from_bytes(bytes.fromhex("801301" + "e803" + "d007"))
    assert r.spin_down_targets_kmh == (10.0, 20.0)


@pytest.mark.parametrize(("wire", "offset"), [("", 0), ("81", 0), ("80", 1), ("8002", 2)])
def test_response_malformed(wire: str, offset: int) -> None:
    with pytest.raises(ParseError) as err:
        ControlPointResponse.from_bytes(bytes.fromhex(wire))
    assert err.value.offset == offset


# --- Fitness Machine Status: every op code ------------------------------------------------------
STATUS_ROWS: list[tuple[str, StatusOp, Any]] = [
    ("01", StatusOp.RESET, None),
    ("0201", StatusOp.STOPPED_OR_PAUSED_BY_USER, 1),
    ("0202", StatusOp.STOPPED_OR_PAUSED_BY_USER, 2),
    ("03", StatusOp.STOPPED_BY_SAFETY_KEY, None),
    ("04", StatusOp.STARTED_OR_RESUMED_BY_USER, None),
    ("055e01", StatusOp.TARGET_SPEED_CHANGED, 3.5),
    ("06e2ff", StatusOp.TARGET_INCLINE_CHANGED, -3.0),
    ("0737", StatusOp.TARGET_RESISTANCE_LEVEL_CHANGED, 5.5),
    ("08ecff", StatusOp.TARGET_POWER_CHANGED, -20),
    ("0996", StatusOp.TARGET_HEART_RATE_CHANGED, 150),
    ("0af401", StatusOp.TARGETED_EXPENDED_ENERGY_CHANGED, 500),
    ("0be803", StatusOp.TARGETED_NUMBER_OF_STEPS_CHANGED, 1000),
    ("0c2003", StatusOp.TARGETED_NUMBER_OF_STRIDES_CHANGED, 800),
    ("0dd3a400", StatusOp.TARGETED_DISTANCE_CHANGED, 42195),
    ("0e0807", StatusOp.TARGETED_TRAINING_TIME_CHANGED, 1800),
    ("0f3c007800", StatusOp.TARGETED_TIME_IN_TWO_HR_ZONES_CHANGED, (60, 120)),
    ("10010002000300", StatusOp.TARGETED_TIME_IN_THREE_HR_ZONES_CHANGED, (1, 2, 3)),
    ("1101000200030004000500", StatusOp.TARGETED_TIME_IN_FIVE_HR_ZONES_CHANGED, (1, 2, 3, 4, 5)),
    (
        "1224fafa002833",
        StatusOp.INDOOR_BIKE_SIMULATION_PARAMETERS_CHANGED,
        (-1.5, 2.5, 0.004, 0.51),
    ),
    ("133a52", StatusOp.WHEEL_CIRCUMFERENCE_CHANGED, 2105.0),
    ("1402", StatusOp.SPIN_DOWN_STATUS, 2),
    ("15b500", StatusOp.TARGETED_CADENCE_CHANGED, 90.5),
    ("ff", StatusOp.CONTROL_PERMISSION_LOST, None),
]


@pytest.mark.parametrize(("wire", "op", "value"), STATUS_ROWS)
def test_machine_status(wire: str, op: StatusOp, value: Any) -> None:
    status = MachineStatus.from_bytes(bytes.fromhex(wire))
    assert status.op == op
    assert status.value == value
    assert not status.truncated and status.trailing == b""
    assert bytes(status).hex() == wire


def test_status_paused_reads_the_stop_pause_code() -> None:
    assert MachineStatus.from_bytes(b"\x02\x02").paused is True
    assert MachineStatus.from_bytes(b"\x02\x01").paused is False
    assert MachineStatus.from_bytes(b"\x04").paused is None
    assert MachineStatus.from_bytes(b"\x02").paused is None  # truncated


def test_status_unknown_op_keeps_parameter() -> None:
    status = MachineStatus.from_bytes(bytes.fromhex("7a0102"))
    assert status.op.name == "RFU_0x7A" and status.value is None
    assert status.trailing == b"\x01\x02"


def test_status_short_parameter_is_truncated_not_an_error() -> None:
    status = MachineStatus.from_bytes(bytes.fromhex("055e"))
    assert status.op == StatusOp.TARGET_SPEED_CHANGED
    assert status.value is None and status.truncated and status.trailing == b"\x5e"


def test_status_encoder_checks_values() -> None:
    with pytest.raises(EncodeError, match="needs a value"):
        bytes(MachineStatus(StatusOp.TARGET_SPEED_CHANGED))
    with pytest.raises(EncodeError, match="expected 2 values"):
        bytes(MachineStatus(StatusOp.TARGETED_TIME_IN_TWO_HR_ZONES_CHANGED, 5))
    with pytest.raises(ParseError):
        MachineStatus.from_bytes(b"")


# --- Training Status ----------------------------------------------------------------------------


@pytest.mark.parametrize("code", range(0x10))
def test_training_status_codes(code: int) -> None:
    status = TrainingStatus.from_bytes(bytes([0x00, code]))
    assert status.status == TrainingStatusCode(code)
    assert not status.status.name.startswith("RFU")
    assert status.text is None


def test_training_status_string_and_flags() -> None:
    status = TrainingStatus.from_bytes(b"\x03\x0dQuick Start")
    assert status.status == TrainingStatusCode.MANUAL_MODE
    assert status.text == "Quick Start"
    assert status.extended_string
    assert bytes(status) == b"\x03\x0dQuick Start"
    assert bytes(TrainingStatus(TrainingStatusCode.IDLE)) == b"\x00\x01"
    # A string without its flag is ignored (the flag decides).
    assert TrainingStatus.from_bytes(b"\x00\x01junk").text is None
    # Invalid UTF-8 is replaced, not raised.
    assert TrainingStatus.from_bytes(b"\x01\x01\xff").text == "\ufffd"


def test_training_status_flags_only() -> None:
    status = TrainingStatus.from_bytes(b"\x00")
    assert status.status is None and status.text is None
    assert bytes(status) == b"\x00"
    with pytest.raises(ParseError):
        TrainingStatus.from_bytes(b"")


def test_open_enum_rejects_non_codes() -> None:
    with pytest.raises(ValueError):
        OpCode(0x100)
    with pytest.raises(ValueError):
        OpCode("x")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        OpCode(-1)
