"""Exports as files (treadctl.export's ``export_session``, ``export_all``, ``output_path`` and
the ``export_*`` writers): where a file goes, what is refused, how bad logs are reported."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.treadctl.export.support import (
    PROGRAM,
    read_csv,
    samples_of,
    write_log,
)
from treadctl.export import (
    ExportError,
    ExportSession,
    export_all,
    export_fit,
    export_session,
    load_session,
    output_path,
)
from treadctl.recorder import SessionLogError, read_session_log


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
