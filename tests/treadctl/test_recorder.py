"""Tests for treadctl.recorder: the session log written under a ManualClock and read back.

Covers the file's place and permissions, the header, record order and times, the flushing
contract (data reaches the file once a second of clock time has passed; nothing is lost on
close), the end record, and the reader's tolerance: a line cut by a crash, a corrupt line named
by file and line, a log without an end record. A "crash" is simulated by copying the file as it
stands on disk before the recorder is closed: exactly what a kill -9 would leave behind.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import stat
import sys
import threading
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import treadctl
from treadctl.clock import ManualClock
from treadctl.limits import Direction, Limits
from treadctl.recorder import (
    FORMAT_NAME,
    FORMAT_VERSION,
    SessionLogError,
    SessionRecorder,
    read_session_log,
)

START = datetime(2025, 3, 14, 10, 15, 2, 123456, tzinfo=UTC)
PROGRAM = {
    "name": "Backward walking, week 1",
    "source": "builtin:backward-week-1",
    "steps": [{"label": "Warm-up", "direction": "forward", "speed_kmh": 4.5, "duration_s": 300}],
}


def run(main: Callable[[], Awaitable[None]]) -> None:
    async def wrapper() -> None:
        await main()

    asyncio.run(wrapper())


def make(
    directory: Path, clock: ManualClock, session_id: str = "abc123", **kwargs: Any
) -> SessionRecorder:
    return SessionRecorder(
        directory, clock, session_id=session_id, wall_clock=lambda: START, **kwargs
    )


def header(**extra: Any) -> dict[str, Any]:
    return {"program": PROGRAM, "limits": Limits(), **extra}


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def kinds(path: Path) -> list[str]:
    return [record["kind"] for record in lines(path)]


def a_sample(recorder: SessionRecorder, speed: float = 3.0, **fields: Any) -> None:
    recorder.sample(
        speed_kmh=speed,
        incline_pct=1.0,
        distance_m=12.5,
        elapsed_s=15.0,
        energy_kcal=1.2,
        heart_rate_bpm=None,
        direction=Direction.BACKWARD,
        segment=0,
        **fields,
    )


def crash_copy(path: Path, tmp_path: Path) -> Path:
    """The log as a kill -9 would leave it now: whatever has reached the file."""
    copy = tmp_path / "crashed" / path.name
    copy.parent.mkdir(exist_ok=True)
    copy.write_bytes(path.read_bytes())
    return copy


# --- the file ----------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_file_name_and_permissions(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "sessions"
    with make(directory, ManualClock(), session_id="s-1") as recorder:
        path = recorder.start(header())
        assert path == directory / "20250314T101502Z_s-1.jsonl"
        assert recorder.path == path
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        recorder.close("completed")


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    tmp_path.chmod(0o755)
    with make(tmp_path, ManualClock()) as recorder:
        path = recorder.start(header())
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_default_session_id_is_random_hex(tmp_path: Path) -> None:
    first = SessionRecorder(tmp_path, ManualClock())
    second = SessionRecorder(tmp_path, ManualClock())
    assert len(first.session_id) == 12
    int(first.session_id, 16)
    assert first.session_id != second.session_id


@pytest.mark.parametrize("bad", ["", "../x", "a/b", "-lead", "a b", "x" * 65])
def test_session_id_must_be_safe_in_a_file_name(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ValueError, match="session id"):
        SessionRecorder(tmp_path, ManualClock(), session_id=bad)


def test_an_existing_file_is_never_overwritten(tmp_path: Path) -> None:
    with make(tmp_path, ManualClock()) as first:
        first.start(header())
    with (
        make(tmp_path, ManualClock()) as second,
        pytest.raises(SessionLogError, match="File exists"),
    ):
        second.start(header())


# --- header and records ------------------------------------------------------------------


def test_header_is_first_and_complete(tmp_path: Path) -> None:
    clock = ManualClock(start=1000.0)
    treadmill = {"name": "Virtual FTMS", "address": "F0:F1:F2:F3:F4:F5"}
    with make(tmp_path, clock) as recorder:
        path = recorder.start(header(profile="Ana", treadmill=treadmill, mass_kg=61.5))
        # Flushed at once, before any clock time passes.
        first = lines(path)[0]
        recorder.close("completed")
    assert first == {
        "kind": "header",
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "session_id": "abc123",
        "app_version": treadctl.__version__,
        "started_at": "2025-03-14T10:15:02.123Z",
        "clock_start": 1000.0,
        "program": PROGRAM,
        "limits": Limits().to_dict(),
        "profile": "Ana",
        "treadmill": treadmill,
        "mass_kg": 61.5,
    }


def test_manual_mode_has_no_program(tmp_path: Path) -> None:
    with make(tmp_path, ManualClock()) as recorder:
        path = recorder.start({"program": None, "limits": Limits().to_dict(), "mode": "manual"})
    log = read_session_log(path)
    assert (log.header["program"], log.header["mode"]) == (None, "manual")


def test_wall_clock_is_converted_to_utc(tmp_path: Path) -> None:
    cet = timezone(timedelta(hours=1))
    recorder = SessionRecorder(
        tmp_path, ManualClock(), wall_clock=lambda: datetime(2025, 1, 2, 0, 30, tzinfo=cet)
    )
    with recorder:
        path = recorder.start(header())
    assert path.name.startswith("20250101T233000Z_")
    assert lines(path)[0]["started_at"] == "2025-01-01T23:30:00.000Z"


def test_a_naive_wall_clock_is_refused(tmp_path: Path) -> None:
    recorder = SessionRecorder(tmp_path, ManualClock(), wall_clock=lambda: datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="aware"):
        recorder.start(header())
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"limits": {}}, "needs program"),
        ({"program": PROGRAM}, "needs limits"),
        ({"program": {"source": "x"}, "limits": {}}, "'name'"),
        ({"program": PROGRAM, "limits": {}, "session_id": "x"}, "sets session_id"),
        ({"program": PROGRAM, "limits": {}, "kind": "x"}, "sets kind"),
        ({"program": PROGRAM, "limits": {}, "extra": object()}, "cannot write object"),
    ],
)
def test_bad_headers_are_refused_before_the_file_exists(
    tmp_path: Path, fields: dict[str, Any], message: str
) -> None:
    recorder = make(tmp_path, ManualClock())
    with pytest.raises((ValueError, TypeError), match=message):
        recorder.start(fields)
    assert list(tmp_path.iterdir()) == []


def test_records_in_order_with_session_times(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock(start=500.0)
        with make(tmp_path, clock) as recorder:
            path = recorder.start(header())
            recorder.segment(
                index=0,
                label="Backward walk",
                direction=Direction.BACKWARD,
                target_speed_kmh=2.5,
                target_incline_pct=0.0,
                duration_s=60.0,
            )
            recorder.command("set_target_speed", 2.5, result="success", duration_s=0.0412)
            await clock.advance(0.25)
            a_sample(recorder)
            recorder.status("started_by_user")
            recorder.notice("clamped", "Speed limited to 6.0 km/h backward", step="steps[2]")
            recorder.command("start_or_resume", error="timeout")
            recorder.record("heart_rate", bpm=121, rr_s=[0.49, 0.5])
            # A link event carries its own receipt time: `at` is absolute clock time.
            recorder.status("stopped_by_safety_key", at=500.1)
            await clock.advance(2.0)
            recorder.close("completed", {"distance_m": 50.0, "backward_s": 60.0})

        records = lines(path)
        assert [r["kind"] for r in records] == [
            "header",
            "segment",
            "command",
            "sample",
            "status",
            "notice",
            "command",
            "heart_rate",
            "status",
            "end",
        ]
        assert records[1] == {
            "kind": "segment",
            "t": 0.0,
            "index": 0,
            "label": "Backward walk",
            "direction": "backward",
            "target_speed_kmh": 2.5,
            "target_incline_pct": 0.0,
            "duration_s": 60.0,
        }
        assert records[2] == {
            "kind": "command",
            "t": 0.0,
            "op": "set_target_speed",
            "value": 2.5,
            "result": "success",
            "error": None,
            "duration_s": 0.041,
        }
        assert records[3] == {
            "kind": "sample",
            "t": 0.25,
            "speed_kmh": 3.0,
            "incline_pct": 1.0,
            "distance_m": 12.5,
            "elapsed_s": 15.0,
            "energy_kcal": 1.2,
            "heart_rate_bpm": None,
            "direction": "backward",
            "segment": 0,
        }
        assert records[4] == {"kind": "status", "t": 0.25, "status": "started_by_user"}
        assert records[5] == {
            "kind": "notice",
            "t": 0.25,
            "notice": "clamped",
            "message": "Speed limited to 6.0 km/h backward",
            "step": "steps[2]",
        }
        assert records[6]["error"] == "timeout"
        assert records[6]["value"] is None
        assert records[7] == {"kind": "heart_rate", "t": 0.25, "bpm": 121, "rr_s": [0.49, 0.5]}
        assert records[8]["t"] == 0.1
        assert records[9] == {
            "kind": "end",
            "t": 2.25,
            "reason": "completed",
            "summary": {"distance_m": 50.0, "backward_s": 60.0},
        }

    run(main)


def test_values_are_rounded_and_made_json(tmp_path: Path) -> None:
    clock = ManualClock(start=0.123456)
    with make(tmp_path, clock) as recorder:
        path = recorder.start(header())
        recorder.record(
            "probe",
            third=1 / 3,
            nan=float("nan"),
            inf=float("-inf"),
            direction=Direction.FORWARD,
            raw=b"\x01\xff",
            nested={"x": (1.23456, 2)},
            where=Path("a/b"),
            flag=True,
            when=START,
            limits=Limits(),
        )
        recorder.close("completed")
    assert lines(path)[1] == {
        "kind": "probe",
        "t": 0.0,
        "third": 0.333,
        "nan": None,
        "inf": None,
        "direction": "forward",
        "raw": "01ff",
        "nested": {"x": [1.235, 2]},
        "where": str(Path("a/b")),
        "flag": True,
        "when": "2025-03-14T10:15:02.123456+00:00",
        "limits": Limits().to_dict(),
    }
    assert lines(path)[0]["clock_start"] == 0.123


def test_record_misuse_is_refused(tmp_path: Path) -> None:
    recorder = make(tmp_path, ManualClock())
    with pytest.raises(RuntimeError, match="not started"):
        recorder.record("probe")
    with recorder:
        recorder.start(header())
        for kind in ("header", "end", "Sample", "", "a-b"):
            with pytest.raises(ValueError, match="invalid record kind"):
                recorder.record(kind)
        with pytest.raises(ValueError, match="sets t"):
            recorder.record("probe", t=1.0)
        with pytest.raises(ValueError, match="exactly one"):
            recorder.command("stop")
        with pytest.raises(ValueError, match="exactly one"):
            recorder.command("stop", result="success", error="timeout")
        with pytest.raises(TypeError, match="cannot write"):
            recorder.record("probe", thing=object())
        with pytest.raises(RuntimeError, match="already started"):
            recorder.start(header())
    with pytest.raises(RuntimeError, match="closed"):
        recorder.record("probe")
    assert kinds(recorder.path or Path()) == ["header", "end"]


def test_flush_intervals_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="flush_interval_s"):
        make(tmp_path, ManualClock(), flush_interval_s=0)
    with pytest.raises(ValueError, match="fsync_interval_s"):
        make(tmp_path, ManualClock(), fsync_interval_s=float("nan"))


# --- flushing ----------------------------------------------------------------------------


def test_flusher_task_writes_once_a_second_of_clock_time(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock()
        recorder = make(tmp_path, clock)
        path = recorder.start(header())
        flusher = asyncio.create_task(recorder.run_flusher())
        await clock.advance_to(0.2)
        a_sample(recorder, 1.0)
        await clock.advance_to(0.999)
        assert kinds(path) == ["header"]
        assert recorder.pending == 1
        await clock.advance_to(1.0)  # the flusher's tick
        assert kinds(path) == ["header", "sample"]
        assert recorder.pending == 0
        a_sample(recorder, 2.0)  # t = 1.0, just after the tick: waits for the next one
        await clock.advance_to(1.999)
        assert kinds(path) == ["header", "sample"]
        await clock.advance_to(2.0)
        assert kinds(path) == ["header", "sample", "sample"]
        recorder.close("completed")
        await clock.advance_to(3.0)  # the flusher notices the close and returns
        assert flusher.done()
        await flusher

    run(main)


def test_a_crash_loses_at_most_the_last_second(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock()
        recorder = make(tmp_path, clock)
        path = recorder.start(header())
        flusher = asyncio.create_task(recorder.run_flusher())
        for _ in range(53):  # 5.3 s of samples at 10 Hz
            await clock.advance(0.1)
            a_sample(recorder)
        crashed = read_session_log(crash_copy(path, tmp_path))
        assert crashed.interrupted
        last = crashed.of_kind("sample")[-1]["t"]
        assert clock.now() - last <= 1.0
        assert len(crashed.records) == 50  # everything up to the tick at t = 5.0
        recorder.close("stopped")
        flusher.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flusher
        assert len(read_session_log(path).records) == 53  # close writes the rest

    run(main)


def test_flush_if_due_without_a_task(tmp_path: Path) -> None:
    async def main() -> None:
        clock = ManualClock()
        with make(tmp_path, clock) as recorder:
            path = recorder.start(header())
            await clock.advance(0.5)
            a_sample(recorder)
            assert not recorder.flush_if_due()
            assert kinds(path) == ["header"]
            await clock.advance(0.5)
            assert recorder.flush_if_due()
            assert kinds(path) == ["header", "sample"]
            await clock.advance(1.5)
            a_sample(recorder)  # a record arriving when a flush is due triggers it
            assert kinds(path) == ["header", "sample", "sample"]
            recorder.close("completed")

    run(main)


def test_nothing_is_lost_on_close(tmp_path: Path) -> None:
    clock = ManualClock()
    with make(tmp_path, clock) as recorder:
        path = recorder.start(header())
        for index in range(1000):
            a_sample(recorder, index / 100)
        assert kinds(path) == ["header"]  # no clock time passed: all still buffered
        recorder.close("completed", {"samples": 1000})
        recorder.close("stopped")  # a second close changes nothing
    log = read_session_log(path)
    assert [r["speed_kmh"] for r in log.records] == [i / 100 for i in range(1000)]
    assert log.end is not None
    assert log.end["reason"] == "completed"
    assert not log.interrupted


def test_fsync_at_start_every_few_seconds_and_on_close(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    synced: list[float] = []
    real_fsync = os.fsync
    clock = ManualClock()

    def counting_fsync(fd: int) -> None:
        synced.append(clock.now())
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", counting_fsync)

    async def main() -> None:
        # Inline, so the clock is read when each fsync happens (the thread is tested below).
        recorder = make(tmp_path, clock, fsync_in_thread=False)
        recorder.start(header())
        flusher = asyncio.create_task(recorder.run_flusher())
        for _ in range(70):
            await clock.advance(0.1)
            a_sample(recorder)
        recorder.close("completed")
        await clock.advance(1.0)
        await flusher

    run(main)
    assert synced == pytest.approx([0.0, 3.0, 6.0, 7.0])


def forward(clock: ManualClock, to: float) -> None:
    asyncio.run(clock.advance(to - clock.now()))


def test_the_periodic_fsync_does_not_hold_up_the_caller(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A slow disk: the due fsync runs on the recorder's thread while flush returns; close
    waits for it before its own fsync and before closing the file."""
    real_fsync = os.fsync
    release = threading.Event()
    calls: list[str] = []

    def slow_fsync(fd: int) -> None:
        name = threading.current_thread().name
        calls.append(name)
        if name != threading.main_thread().name:
            assert release.wait(10), "never released"
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    clock = ManualClock()
    recorder = make(tmp_path, clock)
    path = recorder.start(header())
    assert calls == [threading.main_thread().name]  # the header's: inline
    forward(clock, 3.0)
    a_sample(recorder, 4.0)
    recorder.flush()  # due: handed to the thread, which is now blocked in fsync
    assert calls[-1] == "session-log-fsync-abc123"
    assert kinds(path) == ["header", "sample"]  # written (and flushed) all the same
    forward(clock, 6.0)
    a_sample(recorder, 5.0)
    recorder.flush()  # due again, but one is in flight: no second thread
    assert len(calls) == 2
    release.set()
    recorder.close("completed")
    assert calls[-1] == threading.main_thread().name  # close's own fsync, after the join
    assert read_session_log(path).end is not None


def test_a_failed_background_fsync_is_reported_at_the_next_flush(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_fsync = os.fsync

    def failing_fsync(fd: int) -> None:
        if threading.current_thread() is not threading.main_thread():
            raise OSError(5, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", failing_fsync)
    clock = ManualClock()
    recorder = make(tmp_path, clock)
    recorder.start(header())
    forward(clock, 3.0)
    a_sample(recorder)  # due: flushed, and the fsync handed to the thread (where it fails)
    with pytest.raises(OSError, match="Input/output error"):
        recorder.wait_synced()
    forward(clock, 6.0)
    a_sample(recorder)  # another, failing in the background too
    # Close joins it first: the error is reported, the file is closed all the same.
    with pytest.raises(SessionLogError, match="Input/output error"):
        recorder.close("stopped")
    assert recorder.closed
    assert isinstance(recorder.failed, OSError)


def test_context_manager_records_why_it_was_left(tmp_path: Path) -> None:
    with pytest.raises(KeyError), make(tmp_path, ManualClock(), session_id="a") as recorder:
        crashed = recorder.start(header())
        raise KeyError("boom")
    with make(tmp_path, ManualClock(), session_id="b") as recorder:
        forgot = recorder.start(header())
    end = read_session_log(crashed).end
    assert end == {
        "kind": "end",
        "t": 0.0,
        "reason": "aborted",
        "summary": {"error": "KeyError: 'boom'"},
    }
    assert read_session_log(forgot).end == {
        "kind": "end",
        "t": 0.0,
        "reason": "unknown",
        "summary": {},
    }


def test_closing_an_unstarted_recorder_writes_nothing(tmp_path: Path) -> None:
    recorder = make(tmp_path / "never", ManualClock())
    recorder.close("aborted")
    assert recorder.closed
    assert not (tmp_path / "never").exists()
    with pytest.raises(RuntimeError):
        recorder.start(header())


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")
def test_a_failing_disk_raises_once_then_drops(tmp_path: Path) -> None:
    # A real write error from the OS: a file size limit, as a full disk would give.
    clock = ManualClock()
    recorder = make(tmp_path, clock)
    path = recorder.start(header())
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    old_handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (path.stat().st_size + 100, hard))
    try:
        for _ in range(10):
            a_sample(recorder)
        with pytest.raises(SessionLogError, match=str(path)):
            recorder.flush()
        assert recorder.failed is not None
        a_sample(recorder)
        recorder.flush()  # silent from now on
        recorder.close("completed")
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, old_handler)
    assert recorder.dropped >= 2
    log = read_session_log(path)  # what did reach the disk is still readable
    assert log.interrupted
    assert log.cut_line is not None


# --- reading -----------------------------------------------------------------------------


def write_log(tmp_path: Path, samples: int = 3, *, close: bool = True) -> Path:
    recorder = make(tmp_path, ManualClock(), session_id=f"log{samples}{int(close)}")
    path = recorder.start(header())
    for index in range(samples):
        a_sample(recorder, float(index))
    recorder.flush()
    if close:
        recorder.close("completed", {"samples": samples})
        return path
    copy = crash_copy(path, tmp_path)
    recorder.close("completed")
    return copy


def test_read_back(tmp_path: Path) -> None:
    log = read_session_log(write_log(tmp_path))
    assert log.header["program"] == PROGRAM
    assert Limits.from_dict(log.header["limits"]) == Limits()
    assert log.session_id == "log31"
    assert [r["speed_kmh"] for r in log.of_kind("sample")] == [0.0, 1.0, 2.0]
    assert log.end is not None
    assert log.end["summary"] == {"samples": 3}
    assert (log.interrupted, log.cut_line, log.bad_lines) == (False, None, ())


def test_a_log_without_end_is_interrupted(tmp_path: Path) -> None:
    log = read_session_log(write_log(tmp_path, close=False))
    assert log.interrupted
    assert log.end is None
    assert len(log.records) == 3
    assert log.cut_line is None


@pytest.mark.parametrize("tail", [b'{"kind":"sample","t":0.7,"spe', b"{", b"\0" * 512])
def test_a_last_line_cut_mid_write_is_ignored(tmp_path: Path, tail: bytes) -> None:
    path = write_log(tmp_path, close=False)
    with path.open("ab") as file:
        file.write(tail)
    log = read_session_log(path)
    assert log.interrupted
    assert len(log.records) == 3
    assert log.cut_line == (5 if tail.strip(b"\0") else None)


def test_a_complete_last_line_missing_only_its_newline_is_kept(tmp_path: Path) -> None:
    path = write_log(tmp_path, close=False)
    with path.open("ab") as file:
        file.write(b'{"kind":"end","t":3.0,"reason":"completed","summary":{}}')
    log = read_session_log(path)
    assert not log.interrupted
    assert log.cut_line is None


def corrupt_line(path: Path, number: int, text: bytes) -> None:
    content = path.read_bytes().split(b"\n")
    content[number - 1] = text
    path.write_bytes(b"\n".join(content))


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"kind":"sample","t":1.0,', "not JSON"),
        (b"[1, 2]", "expected a JSON object, found list"),
        (b'{"t": 1.0}', "no 'kind'"),
        (b'{"kind":"sample"}', "needs a number 't'"),
        (b'{"kind":"sample","t":"soon"}', "needs a number 't'"),
        (b'{"kind":"sample","t":1.0,"label":"\xff"}', "not UTF-8"),
        (b'{"kind":"header","t":1.0}', "a second header"),
    ],
)
def test_a_corrupt_middle_line_names_file_and_line(
    tmp_path: Path, text: bytes, reason: str
) -> None:
    path = write_log(tmp_path)
    corrupt_line(path, 3, text)
    with pytest.raises(SessionLogError, match=reason) as caught:
        read_session_log(path)
    assert caught.value.path == path
    assert caught.value.line == 3
    assert str(caught.value).startswith(f"{path}:3: corrupt line")

    log = read_session_log(path, skip_bad_lines=True)
    assert [bad.line for bad in log.bad_lines] == [3]
    assert reason in log.bad_lines[0].error
    assert [r["speed_kmh"] for r in log.records] == [0.0, 2.0]  # the lines around it survive
    assert not log.interrupted


def test_a_record_after_the_end_is_reported(tmp_path: Path) -> None:
    path = write_log(tmp_path)
    with path.open("ab") as file:
        file.write(b'{"kind":"sample","t":9.0}\n\n')
    with pytest.raises(SessionLogError, match=r":6: corrupt line: a 'sample' record after"):
        read_session_log(path)
    log = read_session_log(path, skip_bad_lines=True)
    assert [bad.line for bad in log.bad_lines] == [6]
    assert log.end is not None


def test_blank_lines_are_ignored(tmp_path: Path) -> None:
    path = write_log(tmp_path)
    corrupt_line(path, 3, b"  ")
    assert len(read_session_log(path).records) == 2


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (b'{"kind":"head', "unreadable header"),
        (b'{"kind":"sample","t":0}\n', "not a treadctl session log"),
        (b'{"kind":"header","format":"other"}\n', "not a treadctl session log"),
        (
            b'{"kind":"header","format":"treadctl-session-log","version":99,"session_id":"x"}\n',
            "newer treadctl",
        ),
        (b'{"kind":"header","format":"treadctl-session-log","version":"1"}\n', "format version"),
        (b'{"kind":"header","format":"treadctl-session-log","version":1}\n', "no session_id"),
    ],
)
def test_a_bad_header_is_always_an_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(content)
    with pytest.raises(SessionLogError, match=reason) as caught:
        read_session_log(path, skip_bad_lines=True)
    assert caught.value.line == 1
