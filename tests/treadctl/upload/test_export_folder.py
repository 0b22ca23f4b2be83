"""The export folder: the export's names and rules, nothing overwritten, failures as sentences."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.treadctl.export.support import PROGRAM, read_fit, validate_tcx, write_log
from treadctl.export import export_file_name, read_log
from treadctl.upload import ExportFolder, export_to_folder


@pytest.fixture
def log(tmp_path: Path) -> Path:
    return write_log(tmp_path / "data" / "sessions", PROGRAM, session_id="abc123")


def test_each_format_is_written_under_the_exports_name(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "stick"
    out.mkdir()
    result = export_to_folder(log, ExportFolder(out, ("fit", "tcx")))
    assert result.problems == []
    names = [export_file_name(read_log(log), fmt) for fmt in ("fit", "tcx")]
    assert result.written == [out / name for name in names]
    fit = read_fit(out / names[0])
    assert len(fit.messages["record_mesgs"]) == len(read_log(log).of_kind("sample"))
    validate_tcx(out / names[1])


def test_twice_is_already_there_not_a_second_file(log: Path, tmp_path: Path) -> None:
    setting = ExportFolder(tmp_path, ("fit",))
    first = export_to_folder(log, setting)
    second = export_to_folder(log, setting)
    assert second.written == [] and second.already == first.written
    assert second.problems == []


def test_another_sessions_file_of_that_name_is_kept(log: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    taken = out / export_file_name(read_log(log), "csv")
    taken.write_text("somebody else's session\n")
    result = export_to_folder(log, ExportFolder(out, ("csv",)))
    assert taken.read_text() == "somebody else's session\n"
    assert result.written == [out / export_file_name(read_log(log), "csv", with_id=True)]
    assert result.written[0].name.endswith("_abc123.csv")


def test_a_missing_folder_is_a_sentence_and_not_created(log: Path, tmp_path: Path) -> None:
    gone = tmp_path / "usb-stick" / "treadctl"
    result = export_to_folder(log, ExportFolder(gone))
    assert result.written == []
    assert result.problems == [
        f"the export folder {gone} is not there (a drive not plugged in?); the session is "
        "kept in its log, and `treadctl export` can write it later"
    ]
    assert not gone.parent.exists()
    assert log.exists()


def test_a_read_only_folder_is_a_sentence(
    log: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A read-only mount (a locked SD card); chmod would not do as root, who writes anyway.
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda path, how: False if how == os.W_OK else real_access(path, how)
    )
    result = export_to_folder(log, ExportFolder(tmp_path))
    assert result.written == []
    assert result.problems == [
        f"the export folder {tmp_path} cannot be written (read only, or not yours); the "
        "session is kept in its log, and `treadctl export` can write it elsewhere"
    ]


def test_an_unreadable_log_is_a_sentence(tmp_path: Path) -> None:
    result = export_to_folder(tmp_path / "missing.jsonl", ExportFolder(tmp_path))
    assert result.written == []
    assert result.problems[0].startswith("the session could not be exported: ")
    assert "does not exist" in result.problems[0]
