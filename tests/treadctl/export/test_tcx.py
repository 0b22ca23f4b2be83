"""TCX export (treadctl.export.tcx), validated against Garmin's Training Center v2 XSD plus the
trackpoint-extension subset ``support.TPX_SUBSET``."""

from __future__ import annotations

from pathlib import Path

import pytest
import xmlschema

from tests.treadctl.export.support import (
    AX,
    PROGRAM,
    TCX_XSD,
    T,
    tcx_schema,
    validate_tcx,
    write_log,
)
from treadctl.export import export_tcx
from treadctl.recorder import read_session_log


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
