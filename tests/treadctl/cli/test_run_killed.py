"""kill -9 of a real headless simulated run, mid-session: what the log and the store keep.

The run is a real subprocess (``python -m treadctl.cli run … --simulate --time-scale 6``), so
nothing in this process can flush on its behalf: what the log holds after SIGKILL is exactly
what the recorder had written. Then the store must import that log as interrupted and the
database must pass ``PRAGMA integrity_check``.

It is paced by the wall clock, not on virtual time: the test tells the session time of the
kill from the wall-clock time, and a virtual run would be over before the kill.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import treadctl
from treadctl.recorder import FLUSH_INTERVAL_S
from treadctl.store import DB_FILENAME, Store

# The watchdog's 3 s is 0.5 real s at this scale: a busy two-core machine does not stall the
# run's loop that long (it would stop the run early, and this test would say so).
TIME_SCALE = 6.0
SAMPLES_BEFORE_KILL = 20
POLL_S = 0.05
GIVE_UP_S = 60.0
# Seen a flush land (20 samples on disk), the kill waits this much more real time, so that it
# falls between two flushes rather than just after one (which would prove nothing about the
# one-second bound). 0.23 s real = 1.38 s of session time: not a multiple of the flush period.
KILL_OFFSET_S = 0.23

PROGRAM = """\
name = "Crash test walk"

[[steps]]
label = "Walk"
direction = "forward"
speed = "3 km/h"
duration = "10 min"
"""

REPO = Path(treadctl.__file__).resolve().parent.parent


def samples_in(path: Path) -> int:
    return path.read_bytes().count(b'"kind":"sample"')


def test_kill_9_mid_session_loses_at_most_the_last_second(tmp_path: Path) -> None:
    program = tmp_path / "walk.toml"
    program.write_text(PROGRAM, encoding="utf-8")
    log_dir = tmp_path / "logs"
    output = (tmp_path / "run.out").open("wb")
    with output:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "treadctl.cli",
                "run",
                str(program),
                "--simulate",
                "--time-scale",
                f"{TIME_SCALE:g}",
                "--log-dir",
                str(log_dir),
            ],
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            cwd=REPO,
        )
    try:
        # Another process writes the log: poll the file, every 50 ms, for at most 60 s.
        deadline = time.monotonic() + GIVE_UP_S
        log: Path | None = None
        while log is None or samples_in(log) < SAMPLES_BEFORE_KILL:
            if proc.poll() is not None:
                raise AssertionError(
                    f"the run ended early ({proc.returncode}): "
                    + (tmp_path / "run.out").read_text(encoding="utf-8", errors="replace")
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"no {SAMPLES_BEFORE_KILL} samples within {GIVE_UP_S} s")
            logs = sorted(log_dir.glob("*.jsonl")) if log_dir.is_dir() else []
            log = logs[0] if logs else None
            time.sleep(POLL_S)
        time.sleep(KILL_OFFSET_S)
        killed_at = time.time()
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL

    lines = log.read_text(encoding="utf-8").splitlines()
    header = json.loads(lines[0])
    records = [json.loads(line) for line in lines[1:]]
    assert all(record["kind"] != "end" for record in records)
    samples = [record for record in records if record["kind"] == "sample"]
    assert len(samples) >= SAMPLES_BEFORE_KILL

    # The session time at the kill: the header's wall-clock start and the session clock start
    # together (recorder.start), and session time runs TIME_SCALE times faster than wall time.
    started = datetime.fromisoformat(header["started_at"].replace("Z", "+00:00")).timestamp()
    session_time_at_kill = (killed_at - started) * TIME_SCALE
    # The recorder writes whatever it holds at least every FLUSH_INTERVAL_S of session time,
    # so the newest sample on disk is at most that old, plus one sample period (0.5 s: the
    # virtual treadmill's notification rate; a sample received just after a flush waits for the
    # next), plus slack for the event loop being late and the millisecond-rounded start time:
    # 0.1 s of real time, which is 0.6 s of session time at this scale.
    sample_period_s = 0.5
    slack_s = 0.1 * TIME_SCALE
    lag = session_time_at_kill - samples[-1]["t"]
    assert lag <= FLUSH_INTERVAL_S + sample_period_s + slack_s, (
        f"the log stops {lag:.2f} s of session time before the kill"
    )
    assert lag >= -slack_s  # and holds nothing from after it
    # Everything up to there is on disk: no sample lost in between.
    times = [sample["t"] for sample in samples]
    assert all(
        0 < later - earlier <= 2 * sample_period_s for earlier, later in itertools.pairwise(times)
    )

    data_dir = tmp_path / "data"
    with Store(data_dir) as store:
        report = store.sync(log_dir)
        assert report.ok, report.errors
        session = store.session(header["session_id"])
        assert session is not None
        assert session.interrupted and session.outcome == "interrupted"
        assert session.summary.duration_s >= round(samples[-1]["t"], 1)
        assert session.summary.distance_m > 0
        assert session.summary.forward_minutes > 0
        assert session.program == "Crash test walk"
    with contextlib.closing(sqlite3.connect(data_dir / DB_FILENAME)) as db:
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
