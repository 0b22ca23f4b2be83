"""Exports as files (treadctl.export's ``export_session``, ``export_all``, ``output_path``,
``export_file_name`` and the ``export_*`` writers): where a file goes and what it is named,
what is refused, how bad logs are reported."""

from __future__ import annotations

import json
from datetime import UTC, timedelta, timezone
from pathlib import Path

import pytest

from tests.treadctl.export.support import (
    PROGRAM,
    START,
    read_csv,
    samples_of,
    write_log,
)
from treadctl.export import (
    NAME_PROGRAM_MAX,
    ExportError,
    ExportSession,
    ExportSourceError,
    ProtectedFileError,
    export_all,
    export_file_name,
    export_fit,
    export_session,
    load_session,
    output_path,
)
from treadctl.recorder import SessionLogError, read_session_log


def test_export_session_names_the_file_after_the_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write_log(tmp_path / "logs", PROGRAM[:1])
    log = read_session_log(path)
    name = export_file_name(log, "csv")
    here = tmp_path / "here"
    here.mkdir()
    monkeypatch.chdir(here)
    # No out_path: the current folder, not the (data) folder of the log.
    assert export_session(path, "csv") == here / name
    out_dir = tmp_path / "exports"
    out_dir.mkdir()
    assert export_session(path, "tcx", out_dir) == out_dir / export_file_name(log, "tcx")
    assert export_session(path, "fit", tmp_path / "mine.fit") == tmp_path / "mine.fit"
    assert output_path(log, "fit") == here / export_file_name(log, "fit")
    for made in (here / name, out_dir / export_file_name(log, "tcx"), tmp_path / "mine.fit"):
        assert made.stat().st_size > 0
    assert [p.name for p in (tmp_path / "logs").iterdir()] == [path.name]
    assert not [p for p in tmp_path.rglob("*.tmp")]  # the atomic write cleaned up


def test_export_session_refuses_bad_requests(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM[:1])
    with pytest.raises(ValueError, match="unknown export format 'gpx'"):
        export_session(path, "gpx")
    before = path.read_bytes()
    for overwrite in (False, True):
        with pytest.raises(ProtectedFileError, match="is a session log; an export never"):
            export_session(path, "csv", path, overwrite=overwrite)
    assert path.read_bytes() == before


def test_export_all_exports_every_log_and_reports_the_bad_ones(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    good = [write_log(logs, PROGRAM[:2], session_id=f"s{i}") for i in range(2)]
    out = tmp_path / "out"
    # Both started in the same minute with the same program: the second name carries its id.
    assert export_all(good, "fit", out) == [
        out / f"{_local_start()}_export-test.fit",
        out / f"{_local_start()}_export-test_s1.fit",
    ]

    corrupt = logs / "corrupt.jsonl"
    lines = good[0].read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = "{not json\n"
    corrupt.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(ExportError, match=r"1 of 3 logs not exported.*corrupt\.jsonl:4") as info:
        export_all([good[0], corrupt, good[1]], "csv", out)
    assert [p.name for p in info.value.written] == [
        f"{_local_start()}_export-test.csv",
        f"{_local_start()}_export-test_s1.csv",
    ]
    ((failed, error),) = info.value.failures
    assert failed == corrupt and isinstance(error, SessionLogError)
    assert all(p.exists() for p in info.value.written)
    # skip_bad_lines keeps the rest of a hand-damaged log.
    (made,) = export_all([corrupt], "csv", tmp_path / "again", skip_bad_lines=True)
    assert len(read_csv(made)[1]) == len(samples_of(good[0])) - 1


def _local_start() -> str:
    """The test logs' start (10:15 UTC) as this computer's clock shows it, as names carry it."""
    return f"{START.astimezone():%Y-%m-%d_%H%M}"


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


def test_export_file_name_says_when_and_what_in_safe_characters() -> None:
    header = {
        "session_id": "3f9a1c07d2e4",
        "started_at": "2026-12-07T14:30:09+00:00",
        "program": {"name": "Backward intervals"},
    }
    assert export_file_name(header, "csv", tz=UTC) == "2026-12-07_1430_backward-intervals.csv"
    assert export_file_name(header, "fit", tz=timezone(timedelta(hours=-5))) == (
        "2026-12-07_0930_backward-intervals.fit"
    )
    assert export_file_name(header, "tcx", tz=UTC, with_id=True) == (
        "2026-12-07_1430_backward-intervals_3f9a1c07d2e4.tcx"
    )
    hostile = {**header, "program": {"name": "../../etc/passwd \u202e\x00 *?:<>|"}}
    assert export_file_name(hostile, "csv", tz=UTC) == "2026-12-07_1430_etc-passwd.csv"
    assert export_file_name({**header, "program": None}, "csv", tz=UTC).endswith("_manual.csv")
    long = export_file_name({**header, "program": {"name": "Ζ" * 300}}, "csv", tz=UTC)
    assert long == f"2026-12-07_1430_{'ζ' * NAME_PROGRAM_MAX}.csv"
    assert len(long.encode()) < 255
    dots = export_file_name({**header, "program": {"name": "..."}}, "csv", tz=UTC)
    assert dots == "2026-12-07_1430_session.csv"
    with pytest.raises(ExportError, match="started_at is 'soon'"):
        export_file_name({**header, "started_at": "soon"}, "csv")


def test_a_log_that_cannot_be_read_is_a_sentence(tmp_path: Path) -> None:
    # Path.is_dir raises for a name too long: explaining one OSError must not raise another.
    long = tmp_path / ("n" * 300 + ".jsonl")
    with pytest.raises(ExportSourceError, match=r"n\.jsonl cannot be read \(File name too long\)"):
        export_session(long, "csv", tmp_path / "out.csv")
    with pytest.raises(ExportSourceError, match="is a folder, not a session log"):
        export_session(tmp_path, "csv", tmp_path / "out.csv")
    assert list(tmp_path.iterdir()) == []
