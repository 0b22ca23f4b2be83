"""CSV export (treadctl.export.csv_export), read back with the standard library's ``csv``."""

from __future__ import annotations

from pathlib import Path

from tests.treadctl.export.support import (
    PROGRAM,
    read_csv,
    samples_of,
    write_log,
)
from treadctl.export import export_csv
from treadctl.export.csv_export import COLUMNS
from treadctl.recorder import read_session_log


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
