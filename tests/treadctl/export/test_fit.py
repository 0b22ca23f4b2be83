"""FIT export (treadctl.export.fit), decoded by Garmin's SDK and by ``fitdecode``, CRC checked."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import fitdecode  # type: ignore[import-untyped]
import pytest
from garmin_fit_sdk import Decoder, Stream

from tests.treadctl.export.support import (
    PROGRAM,
    START,
    Phase,
    read_fit,
    write_log,
)
from treadctl.export import export_fit
from treadctl.limits import Direction
from treadctl.recorder import read_session_log


def test_fit_decodes_and_matches_the_log(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM)
    log = read_session_log(path)
    out = export_fit(log, tmp_path / "s.fit")
    fit = read_fit(out)
    m = fit.messages
    (file_id,) = m["file_id_mesgs"]
    assert file_id["type"] == "activity" and file_id["manufacturer"] == "development"
    assert file_id["time_created"] == START.replace(microsecond=0)
    assert file_id["serial_number"] and file_id["product_name"] == "treadctl"
    samples = log.of_kind("sample")
    assert len(m["record_mesgs"]) == len(fit.records_fitdecode) == len(samples)
    # Session distance counts from the first sample, as the runner's does.
    counted = [float(s["distance_m"] - samples[0]["distance_m"]) for s in samples]
    assert [r["distance"] for r in m["record_mesgs"]] == counted
    assert [r["heart_rate"] for r in m["record_mesgs"]] == [s["heart_rate_bpm"] for s in samples]
    assert [r["developer_fields"][0] for r in m["record_mesgs"]] == [
        s["direction"] for s in samples
    ]
    assert [r["distance"] for r in fit.records_fitdecode] == counted
    assert fit.records_fitdecode[25]["enhanced_speed"] == pytest.approx(2.0 / 3.6, abs=1e-3)
    assert fit.records_fitdecode[25]["direction"] == "backward"
    stamps = [r["timestamp"] for r in m["record_mesgs"]]
    assert stamps == sorted(stamps)
    assert stamps[0] == START.replace(microsecond=0) + timedelta(seconds=1)

    assert log.end is not None
    summary = log.end["summary"]
    (session,) = m["session_mesgs"]
    assert session["sport"] == "running" and session["sub_sport"] == "treadmill"
    assert session["total_elapsed_time"] == summary["duration_s"] == 65.0
    assert session["total_timer_time"] == summary["duration_s"]
    assert session["total_distance"] == summary["distance_m"] == m["record_mesgs"][-1]["distance"]
    assert session["num_laps"] == 4 and session["first_lap_index"] == 0
    assert session["start_time"] == START.replace(microsecond=0)
    (activity,) = m["activity_mesgs"]
    assert activity["num_sessions"] == 1 and activity["total_timer_time"] == 65.0
    events = [(e["event"], e["event_type"]) for e in m["event_mesgs"]]
    assert events == [("timer", "start"), ("timer", "stop_all")]

    laps = m["lap_mesgs"]
    assert [lap["developer_fields"][1] for lap in laps] == [
        "Warm-up \u2014 forward",
        "Backward walk \u2014 backward",
        "Rest \u2014 rest, belt stopped",
        "Cool-down \u2014 forward",
    ]
    assert [lap["developer_fields"][0] for lap in laps] == [
        "forward",
        "backward",
        "none (rest)",
        "forward",
    ]
    assert [lap["total_elapsed_time"] for lap in laps] == [20, 20, 10, 15]
    assert sum(lap["total_distance"] for lap in laps) == session["total_distance"]
    assert [lap["intensity"] for lap in laps] == ["active", "active", "rest", "active"]
    assert [lap["lap_trigger"] for lap in laps] == ["time", "time", "time", "session_end"]
    assert {(lap["sport"], lap["sub_sport"]) for lap in laps} == {("running", "treadmill")}
    steps = m["workout_step_mesgs"]
    assert [lap["wkt_step_index"] for lap in laps] == [0, 1, 2, 3]
    assert [s["wkt_step_name"] for s in steps] == [lap["developer_fields"][1] for lap in laps]
    assert steps[3]["duration_type"] == "distance" and steps[3]["duration_distance"] == 15.0
    assert steps[0]["duration_type"] == "time" and steps[0]["duration_time"] == 20.0
    (field_names) = [d["field_name"] for d in m["field_description_mesgs"]]
    assert field_names == ["direction", "lap_name"]


def test_a_damaged_fit_file_is_caught_by_both_decoders(tmp_path: Path) -> None:
    # The check in read_fit is only worth something if a damaged file fails it.
    out = export_fit(read_session_log(write_log(tmp_path, PROGRAM[:1])), tmp_path / "s.fit")
    data = bytearray(out.read_bytes())
    data[len(data) // 2] ^= 0xFF
    out.write_bytes(bytes(data))
    assert not Decoder(Stream.from_file(str(out))).check_integrity()
    with (
        pytest.raises(fitdecode.FitCRCError),
        fitdecode.FitReader(str(out), check_crc=fitdecode.CrcCheck.RAISE) as reader,
    ):
        for _ in reader:
            pass


def test_manual_fit_has_one_lap_and_no_workout(tmp_path: Path) -> None:
    phases = [Phase(None, Direction.FORWARD, 4.0, 30.0), Phase(None, Direction.BACKWARD, 2, 30)]
    out = export_fit(read_session_log(write_log(tmp_path, phases, manual=True)), tmp_path / "m.fit")
    fit = read_fit(out)
    (lap,) = fit.messages["lap_mesgs"]
    assert lap["developer_fields"] == {
        0: "forward and backward",
        1: "Manual \u2014 forward 0.5 min, backward 0.5 min",
    }
    assert "wkt_step_index" not in lap
    assert "workout_mesgs" not in fit.messages
