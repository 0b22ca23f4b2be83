"""`treadctl export` by session id and --all."""

from __future__ import annotations

from typing import Any

import pytest

from treadctl.cli import main


def test_export_by_id_and_all(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from treadctl.clock import ManualClock
    from treadctl.limits import Direction
    from treadctl.recorder import SessionRecorder

    logs = tmp_path / "logs"
    recorder = SessionRecorder(logs, ManualClock(), session_id="abc123")
    recorder.start({"program": None, "profile": "ana", "limits": {}})
    recorder.segment(
        index=0,
        label="Walk",
        direction=Direction.BACKWARD,
        target_speed_kmh=2.0,
        target_incline_pct=0.0,
    )
    for i in range(3):
        recorder.sample(
            speed_kmh=2.0,
            incline_pct=0.0,
            distance_m=i,
            elapsed_s=i,
            energy_kcal=0.1 * i,
            heart_rate_bpm=None,
            direction=Direction.BACKWARD,
            segment=0,
            at=float(i),
        )
    recorder.close("completed", {})
    out = tmp_path / "out"
    assert (
        main(["export", "abc123", "--format", "csv", "-o", str(out), "--log-dir", str(logs)]) == 0
    )
    written = capsys.readouterr().out.split()
    assert len(written) == 1 and written[0].endswith(".csv")
    rows = (out / written[0].split("/")[-1]).read_text().splitlines()
    assert rows[0].startswith("time_s") and len(rows) == 4
    assert (
        main(
            [
                "export",
                "--all",
                "--profile",
                "ana",
                "--format",
                "fit",
                "-o",
                str(out),
                "--log-dir",
                str(logs),
            ]
        )
        == 0
    )
    assert capsys.readouterr().out.strip().endswith(".fit")
    assert main(["export", "nope", "--format", "tcx", "--log-dir", str(logs)]) == 1
    assert "no session log" in capsys.readouterr().err  # refusals go to stderr
