"""The console script's last guard: a bug is a report file and one sentence."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadctl.cli.crash import guarded


def test_a_bug_is_a_report_file_and_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def buggy() -> int:
        table: dict[str, int] = {}
        return table["no such key"]

    assert guarded(buggy, folder=tmp_path / "reports") == 1
    err = capsys.readouterr().err
    (report,) = (tmp_path / "reports").iterdir()
    assert "Traceback" not in err and err.count("\n") == 1
    assert "KeyError: 'no such key'" in err and str(report) in err
    assert "Traceback (most recent call last)" in report.read_text()
    assert "buggy" in report.read_text()


def test_a_report_nobody_can_write_is_shown_rather_than_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    import tempfile

    # The system's temporary folder (the fallback) is unusable too: a path under a file.
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(a_file / "tmp"))

    def buggy() -> int:
        raise RuntimeError("boom")

    assert guarded(buggy, folder=a_file / "reports") == 1
    err = capsys.readouterr().err
    assert "RuntimeError: boom" in err and "Traceback" in err


def test_the_exit_status_and_ctrl_c_pass_through(tmp_path: Path) -> None:
    assert guarded(lambda: 2, folder=tmp_path) == 2

    def interrupted() -> int:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        guarded(interrupted, folder=tmp_path)
    assert not list(tmp_path.iterdir())
