"""The window's core hands a kept session to the upload package (``ui.app._after_session``);
the window's own tests run on the virtual treadmill, whose sessions are never shared."""

from __future__ import annotations

from pathlib import Path

from treadctl.data_folder import DataFolder
from ui.app import _after_session


def test_the_windows_share_reaches_after_session(tmp_path: Path) -> None:
    report = _after_session(DataFolder.at(tmp_path), "s-unknown")
    assert report.session_id == "s-unknown"
    assert report.export is None and report.uploads == []
    assert len(report.problems) == 1 and "no session s-unknown" in report.problems[0]
