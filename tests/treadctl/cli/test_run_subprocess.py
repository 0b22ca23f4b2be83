"""`treadctl run` as a user's script runs it: a real subprocess, no terminal, the virtual treadmill.

Every run is `python -m treadctl.cli run ... --simulate` with stdin from /dev/null (so the run
is non-interactive: any stop or pause ends it), its own `--log-dir` and a `--sim-trace` file.
The runs are on virtual time (``--simulate`` without ``--time-scale``): simulated minutes
take a fraction of a real second each, with every safety timing at its real value, and the
same run gives the same trace every time. One run is paced at ``--time-scale`` to show the
watchdog keeps its 3 s there too. They are all started once per module by the `runs` fixture
(the scaled one alone, as a second process on a two-core machine can delay it; then the others
two at a time), and each test reads the outcome of its own. What the belt did is read from the
trace the virtual treadmill wrote; how the session ended, from the session log.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from treadctl.limits import DEFAULT_LIMITS
from treadctl.recorder import SessionLog, read_session_log

# Three one-minute steps: forward, a turnaround to backward, a turnaround to forward.
THREE_MINUTES = """\
name = "Three minutes"
description = "Forward, backward, forward."

[[steps]]
label = "Forward walk"
direction = "forward"
speed = "4 km/h"
duration = "1 min"

[[steps]]
label = "Backward walk"
direction = "backward"
speed = "2.5 km/h"
duration = "1 min"

[[steps]]
label = "Forward again"
direction = "forward"
speed = "3.5 km/h"
duration = "1 min"
"""

WITH_A_REST = """\
name = "With a rest"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "30 s"

[[steps]]
rest = true
duration = "20 s"

[[steps]]
direction = "forward"
speed = "3 km/h"
duration = "30 s"
"""

# steps[1] has a speed without a unit.
INVALID = """\
name = "Broken"

[[steps]]
direction = "forward"
speed = "4 km/h"
duration = "1 min"

[[steps]]
direction = "backward"
speed = "2.5"
duration = "1 min"
"""

TIMEOUT_S = 180.0  # real seconds, per run; a hung run fails its test instead of the suite

# The silent treadmill, paced by the wall clock: 23 simulated seconds in about 2.3 real ones.
# The watchdog's 3 s is 0.3 real s here (before, a time scale stretched it to 0.5 s x 10 = 5 s).
SCALE = 10.0
SCALED_SILENCE_AT = 20.0  # forward, steady
# What may follow the watchdog's 3 s before the stop reaches the treadmill: the session
# runner checks the watchdog on its 0.25 s tick, then one control round trip. On virtual time
# a round trip on the in-process link takes no time; paced by the wall clock it takes real
# time (about 1 ms, bench_link) and the loop may be late on a busy machine: 50 real ms allowed.
RUNNER_TICK_S = 0.25
ROUND_TRIP_REAL_S = 0.05

# name: (program, fault, session time, expected end reason)
FAULTS: dict[str, tuple[str, str, float, str]] = {
    "console-stop": ("three", "console-stop", 120.0, "stopped"),  # forward again, steady
    "console-pause": ("three", "console-pause", 40.0, "stopped"),  # forward, steady
    "drop-link": ("three", "drop-link", 100.0, "aborted"),  # backward, steady
    "silence": ("three", "silence", 75.0, "aborted"),  # backward, just after its ramp
    "safety-key": ("three", "safety-key", 63.0, "aborted"),  # during the turnaround hold
    "refuse": ("three", "refuse", 40.0, "aborted"),  # bites at the 60 s turnaround
    "no-answer": ("three", "no-answer", 40.0, "aborted"),  # likewise
}
#: Runs made twice: the same program with the same fault gives the same trace.
REPEATED = ("silence", "drop-link")
WRITE_OPS = {
    "request_control",
    "reset",
    "set_target_speed",
    "set_target_inclination",
    "start_or_resume",
    "stop",
    "pause",
}


@dataclass(frozen=True)
class Run:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    trace_path: Path
    log_dir: Path

    @property
    def trace(self) -> list[dict[str, Any]]:
        text = self.trace_path.read_text(encoding="utf-8") if self.trace_path.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    def log(self) -> SessionLog:
        logs = sorted(self.log_dir.glob("*.jsonl"))
        assert len(logs) == 1, logs
        return read_session_log(logs[0])

    def __str__(self) -> str:
        return f"{' '.join(self.args)} -> {self.returncode}\n{self.stdout[-2000:]}\n{self.stderr}"


def _treadctl(base: Path, name: str, *args: str) -> Run:
    log_dir = base / name / "logs"
    trace = base / name / "trace.jsonl"
    log_dir.parent.mkdir(parents=True)
    argv = (sys.executable, "-m", "treadctl.cli", *args)
    if "--simulate" in args:
        data = base / name / "data"  # the history the run imports its session into
        argv += ("--log-dir", str(log_dir), "--data-dir", str(data), "--sim-trace", str(trace))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    began = time.perf_counter()
    done = subprocess.run(
        argv,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_S,
        env=env,
        check=False,
    )
    return Run(
        argv[3:],
        done.returncode,
        done.stdout,
        done.stderr,
        time.perf_counter() - began,
        trace,
        log_dir,
    )


class Runs:
    """Every run of this module, started at once; ``runs[name]`` waits for that one."""

    def __init__(self, base: Path) -> None:
        programs = {"three": THREE_MINUTES, "rest": WITH_A_REST, "invalid": INVALID}
        self.files = {}
        for key, text in programs.items():
            path = base / f"{key}.toml"
            path.write_text(text, encoding="utf-8")
            self.files[key] = path
        jobs: dict[str, tuple[str, ...]] = {
            "silence-scaled": (
                "run",
                str(self.files["three"]),
                "--simulate",
                "--time-scale",
                f"{SCALE:g}",
                "--sim-fault",
                f"silence@{SCALED_SILENCE_AT:g}",
            ),
            "builtin-30": ("run", "01-backward-walk-week-1", "--simulate"),
            "invalid": ("run", str(self.files["invalid"]), "--simulate"),
            "unknown": ("run", "no-such-program", "--simulate"),
            "rest": ("run", str(self.files["rest"]), "--simulate"),
        }
        for name, (prog, fault, at, _) in FAULTS.items():
            jobs[name] = (
                "run",
                str(self.files[prog]),
                "--simulate",
                "--sim-fault",
                f"{fault}@{at:g}",
            )
        for name in REPEATED:  # the same run again, for the determinism test
            jobs[f"{name}-again"] = jobs[name]
        self._pool = ThreadPoolExecutor(max_workers=2)
        # The wall-clock-paced run goes alone: its watchdog's 3 s is 0.3 real s, and a second
        # process on a two-core machine could delay its loop (virtual time cannot be delayed).
        first = self._pool.submit(_treadctl, base, "silence-scaled", *jobs.pop("silence-scaled"))
        self._futures: dict[str, Future[Run]] = {"silence-scaled": first}

        def after_first(name: str, args: tuple[str, ...]) -> Run:
            first.exception()  # waits for it, whatever its outcome
            return _treadctl(base, name, *args)

        for name, args in jobs.items():
            self._futures[name] = self._pool.submit(after_first, name, args)

    def __getitem__(self, name: str) -> Run:
        run = self._futures[name].result()
        print(f"treadctl {' '.join(run.args)}: exit {run.returncode} in {run.seconds:.1f} s")
        return run

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    all_runs = Runs(tmp_path_factory.mktemp("treadctl-run"))
    try:
        yield all_runs
    finally:
        all_runs.close()


def belt_records(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in trace if r["kind"] == "belt"]


def writes(trace: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in trace if r["kind"] == "write"]


CONSOLE_STOPS = {
    "console-stop": "state: stopped (console_stop)",
    "console-pause": "state: stopped (console_pause)",
    "safety-key": "state: stopped (safety_key)",
}


def belt_stopped(run: Run, since: float) -> bool:
    """Whether the belt was left stopped after session time ``since``.

    The trace has the belt once per simulated second and ends with the session, often before
    the belt's next record: a stop the treadmill accepted (or one made at its console) counts
    as well as a belt record showing it.
    """
    trace = [r for r in run.trace if r["t"] >= since]
    belt = belt_records(trace)
    if belt and (belt[-1]["running"] is False or belt[-1]["speed_kmh"] == 0.0):
        return True
    sent = writes(trace)
    halts = [i for i, w in enumerate(sent) if w["op"] in ("stop", "pause")]
    if halts and sent[halts[-1]]["result"] == "success":
        return not any(w["op"] == "start_or_resume" for w in sent[halts[-1] :])
    fault = next((f for f in CONSOLE_STOPS if f"--sim-fault {f}@" in " ".join(run.args)), None)
    return fault is not None and CONSOLE_STOPS[fault] in run.stdout


# --- completion ----------------------------------------------------------------------------


def test_a_30_minute_builtin_completes_on_virtual_time(runs: Runs) -> None:
    run = runs["builtin-30"]
    assert run.returncode == 0, str(run)
    assert "Traceback" not in run.stderr
    assert "session completed" in run.stdout
    assert "segment 1/" in run.stdout and "TURN AROUND in 1" in run.stdout
    log = run.log()
    assert log.end is not None and log.end["reason"] == "completed"
    summary = log.end["summary"]
    assert summary["segments_completed"] == summary["segments_total"]
    assert log.header["program"]["name"] == "Backward walking, week 1"
    assert log.of_kind("sample") and log.of_kind("segment") and log.of_kind("command")
    assert belt_stopped(run, 0.0)
    last = writes(run.trace)[-1]
    assert (last["op"], last["result"]) == ("stop", "success")


def test_sim_trace_records_have_the_documented_shape(runs: Runs) -> None:
    trace = runs["builtin-30"].trace
    assert trace
    for record in trace:
        if record["kind"] == "write":
            assert set(record) == {"t", "kind", "op", "value", "result"}, record
            assert record["op"] in WRITE_OPS, record
            if record["op"].startswith("set_target_"):
                assert isinstance(record["value"], float), record
            else:
                assert record["value"] is None, record
            assert record["result"] == "success", record
        else:
            assert record["kind"] == "belt", record
            assert set(record) == {"t", "kind", "speed_kmh", "incline_pct", "running"}, record
            assert isinstance(record["speed_kmh"], int | float)
            assert isinstance(record["incline_pct"], int | float)
            assert isinstance(record["running"], bool)
        assert isinstance(record["t"], int | float) and record["t"] >= 0
    times = [r["t"] for r in trace]
    assert times == sorted(times)
    belt = belt_records(trace)
    # Once per simulated second, over the whole session (t is session seconds).
    assert len(belt) == pytest.approx(belt[-1]["t"] - belt[0]["t"] + 1, abs=3)
    first = writes(trace)[:4]
    assert [w["op"] for w in first] == [
        "request_control",
        "set_target_speed",
        "start_or_resume",
        "set_target_speed",
    ]
    assert first[1]["value"] <= 1.0


# --- invalid programs ------------------------------------------------------------------------


def test_an_invalid_program_exits_2_naming_file_step_and_field(runs: Runs) -> None:
    run = runs["invalid"]
    assert run.returncode == 2, str(run)
    assert "Traceback" not in run.stderr + run.stdout
    message = run.stderr.strip()
    assert str(runs.files["invalid"]) in message
    assert "steps[1]" in message and "speed" in message
    assert "expected" in message and "found" in message
    assert len(message.splitlines()) == 1
    assert not run.log_dir.exists() or not list(run.log_dir.iterdir())


def test_an_unknown_program_exits_2_listing_the_builtins(runs: Runs) -> None:
    run = runs["unknown"]
    assert run.returncode == 2, str(run)
    assert "Traceback" not in run.stderr + run.stdout
    assert "no-such-program" in run.stderr and "01-backward-walk-week-1" in run.stderr


# --- faults ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_fault_ends_the_run_with_exit_1_and_nothing_restarts_the_belt(
    name: str, runs: Runs
) -> None:
    _, _, at, end_reason = FAULTS[name]
    run = runs[name]
    assert run.returncode == 1, str(run)
    assert "Traceback" not in run.stderr + run.stdout
    assert f"session {end_reason}" in run.stdout
    trace = run.trace
    after = [r for r in trace if r["t"] >= at]
    assert not [w for w in writes(after) if w["op"] == "start_or_resume"]
    sent = [w["value"] for w in writes(after) if w["op"] == "set_target_speed" and w["value"]]
    assert all(v <= 2.0 for v in sent), sent  # only slow-downs (a turnaround's) after it
    speeds = [r["speed_kmh"] for r in belt_records(after)]
    assert all(b <= a + 0.01 for a, b in itertools.pairwise(speeds)), speeds
    log = run.log()
    assert log.end is not None, "the log was not closed"
    assert log.end["reason"] == end_reason
    assert log.of_kind("sample") and log.of_kind("command") and log.of_kind("notice")
    assert log.end["t"] >= at


@pytest.mark.parametrize("name", list(FAULTS))
def test_a_fault_leaves_the_belt_stopped(name: str, runs: Runs) -> None:
    at = FAULTS[name][2]
    assert belt_stopped(runs[name], at), runs[name]


def test_console_stop_stops_the_belt_without_a_command(runs: Runs) -> None:
    run = runs["console-stop"]
    after = [r for r in run.trace if r["t"] >= 120.0]
    assert writes(after) == []  # the person stopped it; the app sends nothing
    assert "Stopped at the treadmill's console" in run.stdout
    assert run.log().end["summary"]["stop_reason"] == "console_stop"  # type: ignore[index]


def test_a_link_loss_tells_the_person_to_use_the_treadmills_own_stop(runs: Runs) -> None:
    run = runs["drop-link"]
    assert "use the treadmill's own stop button or safety key" in run.stdout
    assert "link_lost" in {n.get("reason") for n in run.log().of_kind("notice")}


@pytest.mark.parametrize("name", ["refuse", "no-answer"])
def test_a_command_fault_is_answered_with_a_stop(name: str, runs: Runs) -> None:
    run = runs[name]
    after = writes([r for r in run.trace if r["t"] >= 40.0])
    expected = {"refuse": "operation_failed", "no-answer": "ignored"}[name]
    assert after and after[0]["op"] == "set_target_speed" and after[0]["result"] == expected
    # Then the stop (for no-answer, after control is asked for again: the timeout voided it).
    ops = [(w["op"], w["result"]) for w in after[1:]]
    assert ("stop", "success") in ops, ops
    assert all(op != "start_or_resume" for op, _ in ops)


def test_refused_writes_keep_the_documented_trace_shape(runs: Runs) -> None:
    for record in writes(runs["refuse"].trace):
        assert record["op"] in WRITE_OPS, record
        if record["op"].startswith("set_target_"):
            assert isinstance(record["value"], float), record


def test_a_rest_without_a_terminal_ends_the_run_when_it_is_over(runs: Runs) -> None:
    # No terminal to press Resume at: the session ends, belt stopped, when the rest is over.
    run = runs["rest"]
    assert run.returncode == 1, str(run)
    assert "Traceback" not in run.stderr + run.stdout
    log = run.log()
    assert log.end is not None and log.end["reason"] == "stopped"
    assert log.end["summary"]["stop_reason"] == "program_rest"
    assert 50.0 <= log.end["t"] <= 52.0  # 30 s walk, then the 20 s rest ran in full
    assert "rest_over" in {n["notice"] for n in log.of_kind("notice")}
    assert belt_records(run.trace)[-1]["speed_kmh"] == 0.0
    assert [w["op"] for w in writes(run.trace)].count("start_or_resume") == 1


# --- the watchdog at its real 3 s, at any speed; determinism ---------------------------------


def watchdog_stop(run: Run) -> tuple[float, float]:
    """(session time of the last treadmill record the app received, of the stop that followed).

    The last record is the session log's last sample (the watchdog counts from it); the stop
    is the first stop the treadmill's trace shows after it."""
    last_record = max(sample["t"] for sample in run.log().of_kind("sample"))
    stops = [w for w in writes(run.trace) if w["op"] == "stop" and w["t"] >= last_record]
    assert stops and stops[0]["result"] == "success", str(run)
    return last_record, stops[0]["t"]


@pytest.mark.parametrize(
    ("name", "silent_at", "round_trip_s"),
    [
        ("silence", FAULTS["silence"][2], 0.0),  # virtual time
        ("silence-scaled", SCALED_SILENCE_AT, SCALE * ROUND_TRIP_REAL_S),
    ],
)
def test_a_silent_treadmill_is_stopped_3_s_after_its_last_record_at_any_speed(
    name: str, silent_at: float, round_trip_s: float, runs: Runs
) -> None:
    run = runs[name]
    assert run.returncode == 1, str(run)
    assert "session aborted" in run.stdout
    log = run.log()
    assert log.header["limits"]["watchdog_s"] == DEFAULT_LIMITS.watchdog_s == 3.0
    assert "watchdog" in {n.get("reason") for n in log.of_kind("notice")}
    last_record, stop = watchdog_stop(run)
    # A wall-clock run triggers the silence a scheduling delay after its time (a loaded
    # machine: a record at 20.009 s); the watchdog counts from the record all the same.
    assert silent_at - 1.0 <= last_record <= silent_at + round_trip_s
    watchdog = DEFAULT_LIMITS.watchdog_s
    # Never before the 3 s (nor stretched: a scaled run used to wait 0.5 s x the scale).
    assert watchdog <= stop - last_record <= watchdog + RUNNER_TICK_S + round_trip_s, (
        f"stopped {stop - last_record:.3f} s after the last record"
    )
    assert belt_stopped(run, stop)


@pytest.mark.parametrize("name", REPEATED)
def test_the_same_run_gives_the_same_trace(name: str, runs: Runs) -> None:
    first, again = runs[name], runs[f"{name}-again"]
    assert first.returncode == again.returncode == 1
    assert first.trace_path.read_bytes() == again.trace_path.read_bytes()
    assert first.trace
