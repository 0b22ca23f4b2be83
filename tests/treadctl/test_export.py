"""Tests for treadctl.export: session logs exported as CSV, TCX and FIT, checked by other tools.

Logs are made the way the app makes them: by a real :class:`SessionRunner` on the virtual
treadmill (one short program, under a ManualClock), or — faster, for most tests — written
through :class:`SessionRecorder` from a plan of segments. The exports are then read back by
third-party code only: ``csv`` for CSV; ``xmlschema`` with Garmin's Training Center v2 XSD
(shipped in ``tests/data``) for TCX; Garmin's SDK ``Decoder`` *and* ``fitdecode`` (CRC
checked) for FIT. Counts, distances and durations are compared with the log itself.

The TCX schema leaves ``Extensions`` content to other schemas (``processContents="lax"``),
so the trackpoint speed in ``ns3:TPX/ns3:Speed`` is checked against ``TPX_SUBSET`` below: the
part of Garmin's ActivityExtension v2 schema the exporter uses (the ``TPX`` element, whose
``Speed`` is an ``xsd:double``), written here because the full schema is not shipped.
"""

from __future__ import annotations

import asyncio
import csv
import functools
import io
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import fitdecode  # type: ignore[import-untyped]
import pytest
import xmlschema
from garmin_fit_sdk import Decoder, Stream

from tests.helpers.ftms_client import run
from treadctl.clock import ManualClock
from treadctl.export import (
    FORMATS,
    ExportError,
    ExportFormat,
    ExportSession,
    export_all,
    export_csv,
    export_fit,
    export_session,
    export_tcx,
    load_session,
    output_path,
)
from treadctl.export.csv_export import COLUMNS
from treadctl.export.tcx import ACTIVITY_EXTENSION_NS, TCX_NS
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.link import BleakBackends, TreadmillLink
from treadctl.program import Program, builtin_programs, parse_program
from treadctl.recorder import SessionLog, SessionLogError, SessionRecorder, read_session_log
from treadctl.session import EndReason, SessionRunner
from treadctl.virtual.world import VirtualWorld

START = datetime(2025, 3, 14, 10, 15, 2, 123000, tzinfo=UTC)
TCX_XSD = Path(__file__).parents[1] / "data" / "TrainingCenterDatabasev2.xsd"
TPX_SUBSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="{ACTIVITY_EXTENSION_NS}"
    targetNamespace="{ACTIVITY_EXTENSION_NS}" elementFormDefault="qualified">
  <xsd:element name="TPX">
    <xsd:complexType>
      <xsd:sequence>
        <xsd:element name="Speed" type="xsd:double" minOccurs="0"/>
      </xsd:sequence>
    </xsd:complexType>
  </xsd:element>
</xsd:schema>
"""
T = f"{{{TCX_NS}}}"
AX = f"{{{ACTIVITY_EXTENSION_NS}}}"


@functools.cache
def tcx_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema([str(TCX_XSD), TPX_SUBSET])


# --- making logs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Phase:
    """A stretch of a synthetic session: a program segment, or a manual-mode stretch."""

    label: str | None
    direction: Direction
    speed_kmh: float
    seconds: float
    incline_pct: float = 0.0
    rest: bool = False
    distance_m: float | None = None  # a distance segment's planned length


def phases_of(program: Program) -> list[Phase]:
    phases = []
    for planned in program.segments():
        seg = planned.segment
        phases.append(
            Phase(
                seg.label,
                seg.direction,
                0.0 if seg.rest else seg.speed_kmh,
                seg.estimated_duration_s(),
                seg.incline_pct,
                seg.rest,
                seg.distance_m,
            )
        )
    return phases


PROGRAM = [
    Phase("Warm-up", Direction.FORWARD, 4.0, 20.0),
    Phase("Backward walk", Direction.BACKWARD, 2.0, 20.0, incline_pct=1.0),
    Phase("Rest", Direction.FORWARD, 0.0, 10.0, rest=True),
    Phase("Cool-down", Direction.FORWARD, 3.5, 15.0, distance_m=15.0),
]


def write_log(
    directory: Path,
    phases: Sequence[Phase],
    *,
    manual: bool = False,
    interval: float = 1.0,
    heart_rate: bool = True,
    end: bool = True,
    session_id: str = "export-test",
    empty_segments: Sequence[int] = (),
) -> Path:
    """A session log as the runner writes it: header, a ``segment`` record per phase (not in
    manual mode), samples every ``interval`` s with a treadmill counter in whole metres (as the
    virtual treadmill's), and the end record with a summary — or, with ``end=False``, the file
    as a crash leaves it. Phases listed in ``empty_segments`` get a segment record and no
    samples (a segment skipped at once)."""
    clock = ManualClock()
    recorder = SessionRecorder(directory, clock, session_id=session_id, wall_clock=lambda: START)
    program = None
    if not manual:
        program = {
            "name": "Export test",
            "source": "<test>",
            "segments": [
                {
                    "index": i,
                    "label": p.label,
                    "direction": p.direction.value,
                    "speed_kmh": p.speed_kmh,
                    "incline_pct": p.incline_pct,
                    "duration_s": None if p.distance_m is not None else p.seconds,
                    "distance_m": p.distance_m,
                    "rest": p.rest,
                    "path": f"steps[{i}]",
                }
                for i, p in enumerate(phases)
            ],
        }
    path = recorder.start(
        {
            "program": program,
            "mode": "manual" if manual else "program",
            "limits": DEFAULT_LIMITS,
            "profile": "Ana",
            "treadmill": {"name": "Virtual Treadmill", "address": "F0:F1:F2:F3:F4:F5"},
        }
    )
    t = 0.0
    metres = 0.0
    first_counter: int | None = None
    kcal = 0.0
    backward_s = 0.0
    n = 0
    for index, phase in enumerate(phases):
        if not manual:
            recorder.segment(
                index=index,
                label=phase.label,
                direction=phase.direction,
                target_speed_kmh=None if phase.rest else phase.speed_kmh,
                target_incline_pct=None if phase.rest else phase.incline_pct,
                rest=phase.rest,
                at=t,
            )
        if index in empty_segments:
            continue
        steps = max(1, math.ceil(phase.seconds / interval))
        for _ in range(steps):
            t += interval
            metres += phase.speed_kmh / 3.6 * interval
            kcal += (0.08 if phase.speed_kmh > 0 else 0.02) * interval
            if phase.direction is Direction.BACKWARD and phase.speed_kmh > 0:
                backward_s += interval
            n += 1
            if first_counter is None:
                first_counter = math.floor(metres)
            recorder.sample(
                speed_kmh=phase.speed_kmh,
                incline_pct=phase.incline_pct,
                distance_m=math.floor(metres),
                elapsed_s=math.floor(t),
                energy_kcal=round(kcal, 2),
                heart_rate_bpm=90 + n % 40 if heart_rate else None,
                direction=phase.direction,
                segment=None if manual else index,
                at=t,
            )
    if not end:
        # What a kill -9 leaves: everything flushed so far, no end record.
        recorder.flush()
        crashed = directory / "crashed" / path.name
        crashed.parent.mkdir(exist_ok=True)
        crashed.write_bytes(path.read_bytes())
        recorder.close("aborted", at=t)
        return crashed
    recorder.close(
        "completed",
        {
            "duration_s": round(t, 1),
            # As the runner counts it: what the counter grew by from the first sample.
            "distance_m": float(math.floor(metres) - (first_counter or 0)),
            "backward_minutes": round(backward_s / 60, 2),
            "energy_kcal": round(kcal, 1),
        },
        at=t,
    )
    return path


def samples_of(path: Path) -> list[dict[str, Any]]:
    return read_session_log(path).of_kind("sample")


# --- reading exports back -----------------------------------------------------------------------


def read_csv(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    text = path.read_text(encoding="utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    return list(reader.fieldnames or []), list(reader)


def validate_tcx(path: Path) -> ET.Element:
    tcx_schema().validate(str(path))
    return ET.parse(path).getroot()


@dataclass
class FitRead:
    messages: dict[str, Any]  # message name (e.g. "lap_mesgs") → decoded messages
    records_fitdecode: list[dict[str, Any]]


def read_fit(path: Path) -> FitRead:
    """Decode with both decoders; fail on any error, a bad CRC included."""
    decoder = Decoder(Stream.from_file(str(path)))
    assert decoder.is_fit()
    assert decoder.check_integrity()
    # A Decoder reads its stream once: integrity and messages need one each.
    messages, errors = Decoder(Stream.from_file(str(path))).read(enable_crc_check=True)
    assert errors == []
    records = []
    with fitdecode.FitReader(
        str(path),
        check_crc=fitdecode.CrcCheck.RAISE,
        error_handling=fitdecode.ErrorHandling.RAISE,
    ) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record":
                records.append({f.name: f.value for f in frame.fields})
    return FitRead(dict(messages), records)


def check_all_formats(log_path: Path, out_dir: Path) -> tuple[SessionLog, dict[ExportFormat, Path]]:
    """Export ``log_path`` in every format and check each file against the log."""
    log = read_session_log(log_path)
    samples = log.of_kind("sample")
    session = load_session(log)
    files = {fmt: export_session(log_path, fmt, out_dir) for fmt in FORMATS}

    _, rows = read_csv(files["csv"])
    assert len(rows) == len(samples)

    root = validate_tcx(files["tcx"])
    laps = root.findall(f"{T}Activities/{T}Activity/{T}Lap")
    assert len(laps) == len(session.laps)
    points = root.findall(f".//{T}Trackpoint")
    assert len(points) == len(samples)
    distances = [float(p.findtext(f"{T}DistanceMeters", "nan")) for p in points]
    assert distances == sorted(distances)

    fit = read_fit(files["fit"])
    assert len(fit.messages["record_mesgs"]) == len(samples)
    assert len(fit.records_fitdecode) == len(samples)
    assert len(fit.messages["lap_mesgs"]) == len(session.laps)
    (fit_session,) = fit.messages["session_mesgs"]
    assert fit_session["num_laps"] == len(session.laps)
    assert fit_session["total_elapsed_time"] == pytest.approx(session.duration_s, abs=1e-3)
    if samples:
        last = fit.messages["record_mesgs"][-1]
        assert last["distance"] == pytest.approx(session.samples[-1].distance_m, abs=0.01)
    return log, files


# --- the model ----------------------------------------------------------------------------------


def test_laps_follow_the_program_segments(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM)
    session = load_session(read_session_log(path))
    assert [lap.name for lap in session.laps] == [
        "Warm-up \u2014 forward",
        "Backward walk \u2014 backward",
        "Rest \u2014 rest, belt stopped",
        "Cool-down \u2014 forward",
    ]
    assert [lap.trigger for lap in session.laps] == ["time", "time", "time", "distance"]
    assert [len(lap.samples) for lap in session.laps] == [20, 20, 10, 15]
    # Laps tile the session: from 0, each to the next's start, the last to the end.
    assert session.laps[0].start_t == 0.0
    for before, after in zip(session.laps, session.laps[1:], strict=False):
        assert before.end_t == after.start_t
    assert session.laps[-1].end_t == session.duration_s == 65.0
    assert sum(lap.distance_m for lap in session.laps) == session.samples[-1].distance_m
    assert session.laps[1].backward_s == 20.0 and session.laps[1].forward_s == 0.0
    assert session.laps[2].rest and session.laps[2].distance_m == 0.0
    assert session.end_reason == "completed" and not session.interrupted
    assert session.started_at == START


def test_a_segment_without_samples_gets_no_lap(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, empty_segments=[2])
    session = load_session(read_session_log(path))
    assert [lap.segment for lap in session.laps] == [0, 1, 3]
    # The skipped segment's moment goes to the lap before it: no gap in time.
    assert session.laps[1].end_t == session.laps[2].start_t


def test_session_distance_never_goes_back_when_the_counter_does(tmp_path: Path) -> None:
    clock = ManualClock()
    recorder = SessionRecorder(tmp_path, clock, session_id="reset", wall_clock=lambda: START)
    path = recorder.start({"program": None, "limits": DEFAULT_LIMITS})
    # A treadmill that resets its counter mid-session (e.g. after a reconnect), then a
    # treadmill with no counter at all: speed is integrated.
    for t, counter in [(1, 10.0), (2, 12.0), (3, 0.0), (4, 3.0), (5, None), (6, None)]:
        recorder.sample(
            speed_kmh=3.6,
            incline_pct=None,
            distance_m=counter,
            elapsed_s=None,
            energy_kcal=None,
            heart_rate_bpm=None,
            direction=Direction.FORWARD,
            segment=None,
            at=float(t),
        )
    recorder.close("stopped", at=6.0)
    session = load_session(read_session_log(path))
    assert [s.distance_m for s in session.samples] == [0.0, 2.0, 2.0, 5.0, 6.0, 7.0]
    (lap,) = session.laps
    assert lap.distance_m == 7.0 and session.distance_m == 7.0
    assert lap.energy_kcal == 0.0


def test_manual_session_is_one_lap_naming_both_directions(tmp_path: Path) -> None:
    phases = [
        Phase(None, Direction.FORWARD, 4.0, 120.0),
        Phase(None, Direction.BACKWARD, 2.0, 60.0),
    ]
    path = write_log(tmp_path, phases, manual=True)
    session = load_session(read_session_log(path))
    assert session.manual and session.program_name is None
    (lap,) = session.laps
    assert lap.direction is None and lap.trigger == "manual"
    assert lap.name == "Manual \u2014 forward 2.0 min, backward 1.0 min"
    assert len(lap.samples) == 180


# --- CSV ----------------------------------------------------------------------------------------


def test_csv_has_a_row_per_sample_and_units_in_the_header(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM)
    out = export_csv(read_session_log(path), tmp_path / "s.csv")
    header, rows = read_csv(out)
    assert header == list(COLUMNS)
    for name in ("time_s", "speed_kmh", "incline_pct", "distance_m", "heart_rate_bpm"):
        assert name in header
    samples = samples_of(path)
    assert len(rows) == len(samples)
    for row, sample in zip(rows, samples, strict=True):
        assert float(row["time_s"]) == sample["t"]
        assert float(row["speed_kmh"]) == sample["speed_kmh"]
        assert float(row["treadmill_distance_m"]) == sample["distance_m"]
        assert int(row["heart_rate_bpm"]) == sample["heart_rate_bpm"]
        assert row["direction"] == sample["direction"]
        assert int(row["segment"]) == sample["segment"]
    assert rows[25]["segment_label"] == "Backward walk" and rows[25]["direction"] == "backward"
    assert rows[0]["time_utc"] == "2025-03-14T10:15:03.123Z"
    assert out.read_bytes().count(b"\r\n") == len(rows) + 1


def test_csv_leaves_unmeasured_values_empty(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:1], heart_rate=False, manual=True)
    _, rows = read_csv(export_csv(read_session_log(path), tmp_path / "s.csv"))
    assert {row["heart_rate_bpm"] for row in rows} == {""}
    assert {row["segment"] for row in rows} == {""} and {row["segment_label"] for row in rows} == {
        ""
    }


# --- TCX ----------------------------------------------------------------------------------------


def test_tcx_validates_with_a_lap_per_segment_and_direction_in_notes(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM)
    out = export_tcx(read_session_log(path), tmp_path / "s.tcx")
    root = validate_tcx(out)
    (activity,) = root.findall(f"{T}Activities/{T}Activity")
    assert activity.get("Sport") == "Running"
    assert activity.findtext(f"{T}Id") == "2025-03-14T10:15:02.123Z"
    laps = activity.findall(f"{T}Lap")
    assert [lap.findtext(f"{T}Notes") for lap in laps] == [
        "Warm-up \u2014 forward",
        "Backward walk \u2014 backward",
        "Rest \u2014 rest, belt stopped",
        "Cool-down \u2014 forward",
    ]
    assert [lap.findtext(f"{T}Intensity") for lap in laps] == [
        "Active",
        "Active",
        "Resting",
        "Active",
    ]
    assert [lap.findtext(f"{T}TriggerMethod") for lap in laps] == [
        "Time",
        "Time",
        "Time",
        "Distance",
    ]
    assert [float(lap.findtext(f"{T}TotalTimeSeconds", "")) for lap in laps] == [20, 20, 10, 15]
    backward = laps[1]
    assert backward.get("StartTime") == "2025-03-14T10:15:22.123Z"
    points = backward.findall(f"{T}Track/{T}Trackpoint")
    assert len(points) == 20
    first = points[0]
    assert first.findtext(f"{T}Time") == "2025-03-14T10:15:23.123Z"
    assert first.findtext(f"{T}HeartRateBpm/{T}Value") is not None
    speed = first.findtext(f"{T}Extensions/{AX}TPX/{AX}Speed")
    assert speed is not None and float(speed) == pytest.approx(2.0 / 3.6, abs=1e-3)
    all_points = root.findall(f".//{T}Trackpoint")
    distances = [float(p.findtext(f"{T}DistanceMeters", "nan")) for p in all_points]
    assert distances == sorted(distances)
    total = sum(float(lap.findtext(f"{T}DistanceMeters", "")) for lap in laps)
    assert total == distances[-1]


def test_the_tcx_check_would_catch_a_bad_trackpoint_extension(tmp_path: Path) -> None:
    # The core schema accepts anything in Extensions; the TPX subset is what checks the speed.
    path = write_log(tmp_path, PROGRAM[:1])
    text = export_tcx(read_session_log(path), tmp_path / "s.tcx").read_text(encoding="utf-8")
    assert tcx_schema().is_valid(text)
    bad = text.replace("<ns3:Speed>", "<ns3:Speed>fast", 1)
    assert not tcx_schema().is_valid(bad)
    assert xmlschema.XMLSchema(str(TCX_XSD)).is_valid(bad)


def test_tcx_without_heart_rate_or_samples_is_still_valid(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:2], heart_rate=False)
    root = validate_tcx(export_tcx(read_session_log(path), tmp_path / "no-hr.tcx"))
    assert root.find(f".//{T}HeartRateBpm") is None
    # A session stopped before the first sample: one lap, no Track (a Track needs a point).
    path = write_log(tmp_path / "empty", [], session_id="empty")
    root = validate_tcx(export_tcx(read_session_log(path), tmp_path / "empty.tcx"))
    (lap,) = root.findall(f".//{T}Lap")
    assert lap.find(f"{T}Track") is None


# --- FIT ----------------------------------------------------------------------------------------


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


# --- interrupted logs ---------------------------------------------------------------------------


def test_an_interrupted_log_exports_everything_up_to_its_last_line(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, end=False)
    log, files = check_all_formats(path, tmp_path / "out")
    assert log.interrupted
    session = load_session(log)
    assert session.end_reason == "interrupted" and session.interrupted
    last = log.records[-1]
    assert session.duration_s == last["t"] == 65.0
    assert session.samples[-1].t == last["t"]
    assert session.distance_m == session.samples[-1].distance_m
    notes = validate_tcx(files["tcx"]).findtext(f"{T}Activities/{T}Activity/{T}Notes", "")
    assert "interrupted" in notes


def test_a_log_cut_mid_line_still_exports(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, end=False)
    with path.open("ab") as f:
        f.write(b'{"kind":"sample","t":66.0,"speed_')
    log, _ = check_all_formats(path, tmp_path / "out")
    assert log.cut_line is not None


# --- a real session -----------------------------------------------------------------------------

TINY = """
name = "Tiny backward session"
description = "Forward, backward, forward by distance."
[[steps]]
label = "Warm-up"
direction = "forward"
speed = "3 km/h"
duration = "10 s"
[[steps]]
label = "Backward walk"
direction = "backward"
speed = "2 km/h"
duration = "10 s"
[[steps]]
label = "Cool-down"
direction = "forward"
speed = "3 km/h"
distance = "10 m"
"""


def test_a_real_session_exports_in_every_format(tmp_path: Path) -> None:
    """SessionRunner on the virtual treadmill, through the real link, to a log, to files."""
    logs = tmp_path / "logs"

    async def scenario() -> Path:
        clock = ManualClock()
        async with VirtualWorld(clock) as world:
            link = TreadmillLink(clock, backends=BleakBackends.of(world))
            await link.connect(world.treadmill_address)
            recorder = SessionRecorder(logs, clock, wall_clock=lambda: START)
            runner = SessionRunner(
                link, clock, DEFAULT_LIMITS, parse_program(TINY), recorder=recorder
            )
            task = asyncio.ensure_future(runner.run())
            for _ in range(1000):  # at most 250 s of session time; it needs about 45
                if task.done():
                    break
                await clock.advance(0.25)
            assert task.done() and task.result() is EndReason.COMPLETED
            await link.disconnect()
        assert recorder.path is not None
        return recorder.path

    paths: list[Path] = []

    async def main() -> None:
        paths.append(await scenario())

    run(main)
    (path,) = paths
    log, files = check_all_formats(path, tmp_path / "out")
    assert log.end is not None and log.end["reason"] == "completed"
    summary = log.end["summary"]
    session = load_session(log)
    assert [lap.label for lap in session.laps] == ["Warm-up", "Backward walk", "Cool-down"]
    assert [lap.direction for lap in session.laps] == [
        Direction.FORWARD,
        Direction.BACKWARD,
        Direction.FORWARD,
    ]
    # The exporter counts distance as the runner does: they agree.
    assert session.samples[-1].distance_m == pytest.approx(summary["distance_m"], abs=0.1)
    fit = read_fit(files["fit"])
    (fit_session,) = fit.messages["session_mesgs"]
    assert fit_session["total_distance"] == pytest.approx(summary["distance_m"], abs=0.01)
    assert fit_session["total_elapsed_time"] == pytest.approx(summary["duration_s"], abs=1e-3)
    backward = [r for r in fit.records_fitdecode if r["direction"] == "backward"]
    assert backward and all(r["enhanced_speed"] > 0 for r in backward)
    notes = [lap.findtext(f"{T}Notes") for lap in validate_tcx(files["tcx"]).iter(f"{T}Lap")]
    assert notes[1] == "Backward walk \u2014 backward"


# --- built-in programs --------------------------------------------------------------------------


@pytest.mark.parametrize("program", builtin_programs(), ids=lambda p: p.name)
def test_every_builtin_program_round_trips(tmp_path: Path, program: Program) -> None:
    phases = phases_of(program)
    # A sample every 10 s keeps the files small; the structure is what is checked here.
    path = write_log(tmp_path, phases, interval=10.0)
    log, files = check_all_formats(path, tmp_path / "out")
    session = load_session(log)
    assert len(session.laps) == len(program.segments())
    backward_laps = [lap for lap in session.laps if lap.direction is Direction.BACKWARD]
    if not all(p.rest for p in phases if p.direction is Direction.BACKWARD):
        assert backward_laps
    notes = [lap.findtext(f"{T}Notes", "") for lap in validate_tcx(files["tcx"]).iter(f"{T}Lap")]
    assert [n.endswith("\u2014 backward") for n in notes] == [
        lap.direction is Direction.BACKWARD and not lap.rest for lap in session.laps
    ]
    fit = read_fit(files["fit"])
    steps = fit.messages["workout_step_mesgs"]
    assert [s["wkt_step_name"] for s in steps] == notes
    (fit_session,) = fit.messages["session_mesgs"]
    assert log.end is not None
    assert fit_session["total_distance"] == log.end["summary"]["distance_m"]
    assert fit_session["total_elapsed_time"] == pytest.approx(log.end["summary"]["duration_s"])


# --- choosing the file --------------------------------------------------------------------------


def test_export_session_names_the_file_after_the_log(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:1])
    assert export_session(path, "csv") == path.with_suffix(".csv")
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    assert export_session(path, "tcx", out_dir) == out_dir / f"{path.stem}.tcx"
    assert export_session(path, "fit", tmp_path / "mine.fit") == tmp_path / "mine.fit"
    assert output_path(path, "fit") == path.with_suffix(".fit")
    for made in (path.with_suffix(".csv"), out_dir / f"{path.stem}.tcx", tmp_path / "mine.fit"):
        assert made.stat().st_size > 0
    assert not [p for p in tmp_path.rglob("*.tmp")]  # the atomic write cleaned up


def test_export_session_refuses_bad_requests(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:1])
    with pytest.raises(ValueError, match="unknown export format 'gpx'"):
        export_session(path, "gpx")
    before = path.read_bytes()
    with pytest.raises(ExportError, match="refusing to overwrite the session log"):
        export_session(path, "csv", path)
    assert path.read_bytes() == before


def test_export_all_exports_every_log_and_reports_the_bad_ones(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    good = [write_log(logs, PROGRAM[:2], session_id=f"s{i}") for i in range(2)]
    out = tmp_path / "out"
    assert export_all(good, "fit", out) == [out / f"{p.stem}.fit" for p in good]

    corrupt = logs / "corrupt.jsonl"
    lines = good[0].read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "{not json\n"
    corrupt.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ExportError, match=r"1 of 3 logs not exported.*corrupt\.jsonl:4") as info:
        export_all([good[0], corrupt, good[1]], "csv", out)
    assert info.value.written == (out / f"{good[0].stem}.csv", out / f"{good[1].stem}.csv")
    ((failed, error),) = info.value.failures
    assert failed == corrupt and isinstance(error, SessionLogError)
    assert all(p.exists() for p in info.value.written)
    # skip_bad_lines keeps the rest of a hand-damaged log.
    (made,) = export_all([corrupt], "csv", out, skip_bad_lines=True)
    assert len(read_csv(made)[1]) == len(samples_of(good[0])) - 1


def test_a_hand_edited_value_is_named_in_the_error(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:1])
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    record = json.loads(lines[5])
    assert record["kind"] == "sample"
    record["speed_kmh"] = "fast"
    lines[5] = json.dumps(record) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ExportError, match=r"sample at t=4 s\): speed_kmh is 'fast'"):
        export_session(path, "fit", tmp_path / "x.fit")
    assert not (tmp_path / "x.fit").exists()


def test_writers_accept_the_model_as_well_as_the_log(tmp_path: Path) -> None:
    session = load_session(read_session_log(write_log(tmp_path, PROGRAM[:2])))
    assert isinstance(session, ExportSession)
    first = export_fit(session, tmp_path / "a.fit").read_bytes()
    again = export_fit(read_session_log(session.path), tmp_path / "b.fit").read_bytes()
    assert first == again  # exports are a function of the log alone
