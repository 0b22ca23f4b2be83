"""One test per device deviation in the project's FTMS notes (appendix), on bytes built from
the description of each capture. Each test names the device and where the quirk was seen."""

from __future__ import annotations

from protocols import ftms
from protocols.ftms import (
    MachineStatus,
    RecordAssembler,
    StatusOp,
    TrainingStatus,
    TreadmillData,
)


def test_urevo_e1l_bit13_with_step_count_and_coarse_distance() -> None:
    # Urevo E1L/URTM041: flags 0x2584, 18 bytes (blak3r/treadspan captures): speed, distance,
    # energy, heart rate, elapsed time, then 3 bytes of step count behind RFU bit 13.
    data = bytes.fromhex("8425e1000a000000000000000014002a0000")
    assert len(data) == 18
    record = TreadmillData.from_bytes(data)
    assert record.speed_kmh == 2.25
    assert record.total_distance_m == 10  # advances in 10 m steps on this device
    assert record.total_energy_kcal == 0  # Urevo sends 0 instead of "not available"
    assert record.elapsed_time_s == 20
    assert record.reserved_flags == 0x2000
    assert record.trailing == bytes.fromhex("2a0000")
    assert not record.truncated


def test_urevo_spacewalk_flags_259c() -> None:
    # Urevo Spacewalk 3S: 0x259C (pyftms test; hassio-ftms#3): + incline/ramp + elevation.
    data = bytes.fromhex("9c252c0164000000000000000000000500000000003c00070000")
    record = TreadmillData.from_bytes(data)
    assert record.speed_kmh == 3.0 and record.total_distance_m == 100
    assert record.inclination_pct == 0.0 and record.elapsed_time_s == 60
    assert record.total_energy_kcal == 5
    assert record.trailing == bytes.fromhex("070000")


def test_citysports_linker_2484() -> None:
    # CITYSPORTS-Linker: 0x2484 (hughesjs/FitnessMachine test), energy not available.
    data = bytes.fromhex("8424c800320000ffffffffff000f112233")
    record = TreadmillData.from_bytes(data)
    assert record.speed_kmh == 2.0 and record.total_distance_m == 50
    assert record.total_energy_kcal is None
    assert record.energy_per_hour_kcal is None
    assert record.energy_per_minute_kcal is None
    assert record.elapsed_time_s == 0x0F00
    assert record.reserved_flags == 0x2000


def test_kingsmith_bit13_without_bytes() -> None:
    # KingSmith KS-HD-*: bit 13 set, per mcdax/walkingpad-controller, no extra bytes seen.
    record = TreadmillData.from_bytes(bytes.fromhex("04205e010a0000"))
    assert record.speed_kmh == 3.5 and record.total_distance_m == 10
    assert record.trailing == b"" and not record.truncated


def test_matrix_flags_promise_more_than_is_sent() -> None:
    # Matrix: flags 0x1F9E but only 20 bytes (TrackMyIndoorWorkout matrix descriptor).
    data = bytes.fromhex("9e1ff401e803d00700140000000a00ffff320000")
    assert len(data) == 20
    record = TreadmillData.from_bytes(data)
    assert record.truncated
    assert record.speed_kmh == 5.0
    assert record.average_speed_kmh == 10.0
    assert record.total_distance_m == 2000
    assert record.inclination_pct == 2.0 and record.ramp_angle_deg == 0.0
    assert record.positive_elevation_gain_m == 1.0
    assert record.negative_elevation_gain_m is None  # Matrix sends 0xFFFF here
    # 0x1F9E has no pace bits. Total energy is fully present; energy per hour would need two
    # bytes and only one is left: it and everything after it are None, never read as zero.
    assert record.total_energy_kcal == 50
    assert record.energy_per_hour_kcal is None and record.energy_per_minute_kcal is None
    assert record.heart_rate_bpm is None and record.elapsed_time_s is None


def test_life_fitness_negative_elevation_7fff() -> None:
    # Life Fitness sends 0x7FFF in the uint16 Negative Elevation Gain (real captures).
    record = TreadmillData.from_bytes(bytes.fromhex("10002c010a00ff7f"))
    assert record.positive_elevation_gain_m == 1.0
    assert record.negative_elevation_gain_m is None


def test_fitshow_energy_not_available() -> None:
    # FITSHOW FS-BT-T4 (justintout/treadmill README): "Energy Per Hour: 65535 … Per Minute: 255"
    record = TreadmillData.from_bytes(bytes.fromhex("800090011e00ffffff"))
    assert record.total_energy_kcal == 30
    assert record.energy_per_hour_kcal is None and record.energy_per_minute_kcal is None


def test_horizon_idle_frame_all_zeros() -> None:
    record = TreadmillData.from_bytes(bytes.fromhex("04000000000000"))
    assert record.speed_kmh == 0.0 and record.total_distance_m == 0


def test_matrix_touchxl_split_record() -> None:
    # Matrix Performance TouchXL: 9f00… (More Data = 1) then 001f… (More Data = 0, speed).
    first = bytes.fromhex("9f002c01e803000a0000000100000009002c0105")
    second = bytes.fromhex("001f5e017832b004000000000000")
    assembler = RecordAssembler()
    assert assembler.feed(first) is None
    assert assembler.pending == 1
    record = assembler.feed(second)
    assert record is not None and assembler.pending == 0
    assert record.speed_kmh == 3.5  # only in the final fragment
    assert record.average_speed_kmh == 3.0 and record.total_distance_m == 1000
    assert record.inclination_pct == 1.0 and record.total_energy_kcal == 9
    assert record.heart_rate_bpm == 120 and record.metabolic_equivalent == 5.0
    assert record.elapsed_time_s == 1200 and record.force_on_belt_n == 0
    assert not record.more_data


def test_technogym_myrun_split_record() -> None:
    # Technogym MyRun: 1f00… then 8006…: energy, MET and elapsed time with the speed.
    first = bytes.fromhex("1f00c8002c01001400000000000000")
    second = bytes.fromhex("8006f4010c00ffffff320a00")
    assembler = RecordAssembler()
    assert assembler.feed(first) is None
    record = assembler.feed(second)
    assert record is not None
    assert record.speed_kmh == 5.0 and record.average_speed_kmh == 2.0
    assert record.total_distance_m == 300 and record.inclination_pct == 2.0
    assert record.total_energy_kcal == 12 and record.energy_per_hour_kcal is None
    assert record.metabolic_equivalent == 5.0 and record.elapsed_time_s == 10


def test_assembler_reset_discards_a_record_cut_by_link_loss() -> None:
    assembler = RecordAssembler()
    assembler.feed(bytes(TreadmillData(more_data=True, total_distance_m=5)))
    assembler.reset()
    record = assembler.feed(bytes(TreadmillData(speed_kmh=1.0)))
    assert record == TreadmillData(speed_kmh=1.0)


def test_assembler_bounds_a_peer_that_never_clears_more_data() -> None:
    assembler = RecordAssembler(max_fragments=3)
    for metres in range(10):
        assembler.feed(TreadmillData(more_data=True, total_distance_m=metres))
    assert assembler.pending == 3
    record = assembler.feed(TreadmillData(speed_kmh=2.0, truncated=True, reserved_flags=0x2000))
    assert record is not None and record.total_distance_m == 9
    assert record.truncated and record.reserved_flags == 0x2000


def test_urevo_padded_status_messages() -> None:
    # Urevo E1L: status notifications `04 00 00` and `02 02 00` (treadspan captures).
    started = MachineStatus.from_bytes(bytes.fromhex("040000"))
    assert started.op == StatusOp.STARTED_OR_RESUMED_BY_USER and not started.truncated
    paused = MachineStatus.from_bytes(bytes.fromhex("020200"))
    assert paused.op == StatusOp.STOPPED_OR_PAUSED_BY_USER and paused.paused is True
    assert paused.trailing == b"\x00"
    # Every deceleration step reported as Target Speed Changed: 2.09 → 1.93 → … → 0.00.
    steps = [
        MachineStatus.from_bytes(bytes([5]) + round(v * 100).to_bytes(2, "little")).value
        for v in (2.09, 1.93, 0.0)
    ]
    assert steps == [2.09, 1.93, 0.0]


def test_urevo_rfu_training_status_values() -> None:
    for code in (0x10, 0x11):
        status = TrainingStatus.from_bytes(bytes([0, code]))
        assert status.status is not None and int(status.status) == code


def test_urevo_zero_inclination_range_decodes() -> None:
    r = ftms.InclinationRange.from_bytes(bytes(6))
    assert (r.min_pct, r.max_pct, r.increment_pct) == (0.0, 0.0, 0.0)


def test_urevo_speed_range_in_mph_steps() -> None:
    # Urevo E1L: 0.96–6.43 km/h in 0.32 km/h steps (0.6–4.0 mph in 0.2 mph steps).
    r = ftms.SpeedRange.from_bytes(bytes.fromhex("600083022000"))
    assert (r.min_kmh, r.max_kmh, r.increment_kmh) == (0.96, 6.43, 0.32)


def test_urevo_answers_as_notification_bytes_are_the_same() -> None:
    # Urevo E1L answers Set Target Inclination with `80 03 01` even before Request Control.
    r = ftms.ControlPointResponse.from_bytes(bytes.fromhex("800301"))
    assert r.request_op == ftms.OpCode.SET_TARGET_INCLINATION and r.ok


def test_fitshow_training_status_flag_without_string() -> None:
    # FS-6041F1 (TrackMyIndoorWorkout#470): read returns `01 01`.
    status = TrainingStatus.from_bytes(bytes.fromhex("0101"))
    assert status.status == ftms.TrainingStatusCode.IDLE and status.text is None


def test_short_training_status_read_does_not_raise() -> None:
    # Wi-linktech 7.4AT-03 (hassio-ftms#36): a Training Status read apparently under 2 bytes.
    assert TrainingStatus.from_bytes(b"\x00").status is None


def test_flags_with_high_byte_are_unsigned() -> None:
    # qdomyos-zwift PR #4818: sign extension of byte 0 >= 0x80 corrupted the flags in C++.
    record = TreadmillData.from_bytes(bytes.fromhex("800064000100020003"))
    assert record.total_energy_kcal == 1 and record.reserved_flags == 0
