"""How a `treadctl run` ends when the person or the disk ends it: true words, a true status.

Real processes where the trouble is the operating system's: Ctrl-C is a real SIGINT sent to a
real `python -m treadctl.cli run`, and a disk that fills is a real file-size limit
(``RLIMIT_FSIZE``: the kernel refuses writes past it with EFBIG, as a full disk refuses them
with ENOSPC; Python ignores SIGXFSZ, so the write fails instead of killing the process). The
folder that cannot hold a log is a path under a regular file (root, which runs the tests here,
may write into a read-only folder, but not under a file).
"""

from __future__ import annotations

import math
import os
import re
import resource
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.treadctl.cli.support import cli
from treadctl.cli import main
from treadctl.recorder import read_session_log

TIMEOUT_S = 120


def _program(path: Path, minutes: int, speed: str = "5 km/h") -> Path:
    path.write_text(
        f'name = "Walk"\n[[steps]]\ndirection = "forward"\nspeed = "{speed}"\n'
        f'duration = "{minutes} min"\n',
        encoding="utf-8",
    )
    return path


def _argv(*args: str) -> list[str]:
    return [sys.executable, "-m", "treadctl.cli", *args]


def test_ctrl_c_stops_the_belt_prints_the_summary_and_exits_1(tmp_path: Path) -> None:
    program = _program(tmp_path / "p.toml", 30)
    data, logs = tmp_path / "data", tmp_path / "logs"
    trace = tmp_path / "trace.jsonl"
    # Paced by the wall clock (20 simulated seconds a real one): the signal lands mid-session,
    # sent once the belt is reported at speed (a line read, not a sleep).
    process = subprocess.Popen(
        _argv(
            "run",
            str(program),
            "--simulate",
            "--time-scale",
            "20",
            "--data-dir",
            str(data),
            "--log-dir",
            str(logs),
            "--sim-trace",
            str(trace),
        ),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if re.search(r"forward 5\.0 km/h, \d+ m", line):
                process.send_signal(signal.SIGINT)
                break
        rest, err = process.communicate(timeout=TIMEOUT_S)
    finally:
        if process.poll() is None:
            process.kill()
    out = "".join(lines) + rest
    assert process.returncode == 1, out + err
    assert "Traceback" not in err and "CancelledError" not in err, err
    assert "Ctrl-C: stopping the belt" in out
    assert "state: stopped (app_stop)" in out  # the app's STOP, through the governor
    (summary,) = [line for line in out.splitlines() if line.startswith("session ")]
    assert summary.startswith("session stopped (Ctrl-C): "), summary
    # Ended only once the belt was seen still: the log's end says "stopped", not "aborted",
    # and the treadmill's last belt record is a still belt.
    log = read_session_log(next(logs.glob("*.jsonl")))
    assert log.end is not None and log.end["reason"] == "stopped"
    assert log.end["summary"]["stop_reason"] == "app_stop"
    assert log.end["t"] < 29 * 60
    last = [line for line in trace.read_text().splitlines() if '"kind": "belt"' in line][-1]
    assert '"speed_kmh": 0.0' in last and '"running": false' in last
    assert "history: session " in out  # imported, as any ended session


def _fsize_limit(limit: int) -> Callable[[], None]:
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return apply


def test_a_log_that_could_not_be_written_whole_is_an_incomplete_ending(tmp_path: Path) -> None:
    program = _program(tmp_path / "p.toml", 8)
    data, logs = tmp_path / "data", tmp_path / "logs"
    cli(data, "profiles", "list")  # the database made before the limit (it stays small)
    done = subprocess.run(
        _argv("run", str(program), "--simulate", "--data-dir", str(data), "--log-dir", str(logs)),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        # The file system "fills" after 60 kB of log: about 3 of the 8 minutes.
        preexec_fn=_fsize_limit(60_000),
        check=False,
    )
    out = done.stdout
    assert done.returncode == 1, out + done.stderr
    assert "Traceback" not in done.stderr
    match = re.search(r"^incomplete log: (\d+) minutes? not recorded$", out, re.MULTILINE)
    assert match, out
    assert "session completed: " not in out
    assert "session completed but its log is incomplete: " in out
    # N is what the file lacks: from its last record to the session's end.
    log = read_session_log(next(logs.glob("*.jsonl")))
    assert log.end is None  # the end record could not be written either
    last_t = max(record["t"] for record in log.records)
    assert last_t < 5 * 60
    # (The session's end is the program's 8 minutes plus its wind-down, a few seconds.)
    assert (
        math.ceil((8 * 60 - last_t) / 60) <= int(match[1]) <= math.ceil((8 * 60 + 30 - last_t) / 60)
    )


def test_a_log_folder_under_a_file_is_refused_before_anything_starts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = _program(tmp_path / "p.toml", 1)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    data = tmp_path / "data"
    code = main(
        ["run", str(program), "--simulate", "--data-dir", str(data),
         "--log-dir", str(blocker / "logs")]
    )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    assert err == (
        f"treadctl: cannot write session logs to {blocker / 'logs'} (Not a directory); nothing "
        "was started: choose another folder with --log-dir\n"
    )
    assert "segment" not in out and "state:" not in out  # nothing connected, nothing ran


def test_a_session_whose_log_cannot_be_made_never_starts_the_belt(tmp_path: Path) -> None:
    # The same folder, reached past the command line's check (the app has none): the runner
    # refuses to start a session it cannot record, and the belt never moves. (Before, the
    # session ran on, its belt moving, while every sample raised.)
    import asyncio

    from treadctl import virtual_time
    from treadctl.cli.backends import backends
    from treadctl.clock import LoopClock
    from treadctl.core import AppCore, DataFolder, EndReason, Sample
    from treadctl.program import load_program

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    program = load_program(_program(tmp_path / "p.toml", 1))

    speeds: list[float] = []

    def on_event(event: object) -> None:
        if isinstance(event, Sample) and event.speed_kmh is not None:
            speeds.append(event.speed_kmh)

    async def scenario() -> EndReason:
        clock = LoopClock()
        folder = DataFolder.at(tmp_path / "data", sessions=blocker / "logs")
        async with backends(True, "standard", clock, with_strap=False) as (bleak, world):
            assert world is not None
            core = AppCore(clock, bleak, folder, resume_possible=False)
            core.add_listener(on_event)
            try:
                await core.connect(world.treadmill_address)
                ended = await asyncio.wait_for(core.run_program(program), 600)
                await clock.sleep(10.0)  # a belt started by mistake would show by now
            finally:
                await core.shutdown()
                core.people.close()
        return ended.finished.reason

    assert virtual_time.run(scenario()) is EndReason.ABORTED
    assert speeds and max(speeds) == 0.0
