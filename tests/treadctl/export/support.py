"""Export test support: session logs made the way the app makes them, and exports read back.

Logs are written through :class:`SessionRecorder` from a plan of segments (`write_log`, from
`Phase` lists such as `PROGRAM`), as the runner writes them; `test_model` also makes one with a
real :class:`SessionRunner` on the virtual treadmill. The exports are then read back by
third-party code only: ``csv`` for CSV (`read_csv`); ``xmlschema`` with Garmin's Training
Center v2 XSD (shipped in ``tests/data``) for TCX (`validate_tcx`); Garmin's SDK ``Decoder``
*and* ``fitdecode`` (CRC checked) for FIT (`read_fit`). `check_all_formats` exports a log in
every format and compares counts, distances and durations with the log itself.

The TCX schema leaves ``Extensions`` content to other schemas (``processContents="lax"``),
so the trackpoint speed in ``ns3:TPX/ns3:Speed`` is checked against ``TPX_SUBSET`` below: the
part of Garmin's ActivityExtension v2 schema the exporter uses (the ``TPX`` element, whose
``Speed`` is an ``xsd:double``), written here because the full schema is not shipped.
"""

from __future__ import annotations

import csv
import functools
import io
import math
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fitdecode  # type: ignore[import-untyped]
import pytest
import xmlschema
from garmin_fit_sdk import Decoder, Stream

from treadctl.clock import ManualClock
from treadctl.export import (
    FORMATS,
    ExportFormat,
    export_session,
    load_session,
)
from treadctl.export.tcx import ACTIVITY_EXTENSION_NS, TCX_NS
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.program import Program
from treadctl.recorder import SessionLog, SessionRecorder, read_session_log

START = datetime(2025, 3, 14, 10, 15, 2, 123000, tzinfo=UTC)
TCX_XSD = Path(__file__).parents[2] / "data" / "TrainingCenterDatabasev2.xsd"
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
