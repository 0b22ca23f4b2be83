"""The export model (treadctl.export.load_session): laps that tile the session, a distance that
only grows, manual sessions, interrupted and cut logs; then every format made from one model,
for a log a real :class:`SessionRunner` wrote on the virtual treadmill and for every built-in
program (`check_all_formats` in ``support``).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.helpers.ftms_client import run
from tests.treadctl.export.support import (
    PROGRAM,
    START,
    Phase,
    T,
    check_all_formats,
    phases_of,
    read_fit,
    validate_tcx,
    write_log,
)
from treadctl.clock import ManualClock
from treadctl.export import load_session
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.link import BleakBackends, TreadmillLink
from treadctl.program import Program, builtin_programs, parse_program
from treadctl.recorder import SessionRecorder, read_session_log
from treadctl.session import EndReason, SessionRunner
from treadctl.virtual.world import VirtualWorld

# --- the model ----------------------------------------------------------------------------------


def test_laps_follow_the_program_segments(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM)
    session = load_session(read_session_log(path))
    assert [lap.name for lap in session.laps] == [
        "Warm-up \u2014 forward",
        "Backward walk \u2014 backward",
        "Rest \u2014 rest, belt stopped",
        "Cool-down \u2014 forward",
    ]
    assert [lap.trigger for lap in session.laps] == ["time", "time", "time", "distance"]
    assert [len(lap.samples) for lap in session.laps] == [20, 20, 10, 15]
    # Laps tile the session: from 0, each to the next's start, the last to the end.
    assert session.laps[0].start_t == 0.0
    for before, after in zip(session.laps, session.laps[1:], strict=False):
        assert before.end_t == after.start_t
    assert session.laps[-1].end_t == session.duration_s == 65.0
    assert sum(lap.distance_m for lap in session.laps) == session.samples[-1].distance_m
    assert session.laps[1].backward_s == 20.0 and session.laps[1].forward_s == 0.0
    assert session.laps[2].rest and session.laps[2].distance_m == 0.0
    assert session.end_reason == "completed" and not session.interrupted
    assert session.started_at == START


def test_a_segment_without_samples_gets_no_lap(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, empty_segments=[2])
    session = load_session(read_session_log(path))
    assert [lap.segment for lap in session.laps] == [0, 1, 3]
    # The skipped segment's moment goes to the lap before it: no gap in time.
    assert session.laps[1].end_t == session.laps[2].start_t


def test_session_distance_never_goes_back_when_the_counter_does(tmp_path: Path) -> None:
    clock = ManualClock()
    recorder = SessionRecorder(tmp_path, clock, session_id="reset", wall_clock=lambda: START)
    path = recorder.start({"program": None, "limits": DEFAULT_LIMITS})
    # A treadmill that resets its counter mid-session (e.g. after a reconnect), then a
    # treadmill with no counter at all: speed is integrated.
    for t, counter in [(1, 10.0), (2, 12.0), (3, 0.0), (4, 3.0), (5, None), (6, None)]:
        recorder.sample(
            speed_kmh=3.6,
            incline_pct=None,
            distance_m=counter,
            elapsed_s=None,
            energy_kcal=None,
            heart_rate_bpm=None,
            direction=Direction.FORWARD,
            segment=None,
            at=float(t),
        )
    recorder.close("stopped", at=6.0)
    session = load_session(read_session_log(path))
    assert [s.distance_m for s in session.samples] == [0.0, 2.0, 2.0, 5.0, 6.0, 7.0]
    (lap,) = session.laps
    assert lap.distance_m == 7.0 and session.distance_m == 7.0
    assert lap.energy_kcal == 0.0


def test_manual_session_is_one_lap_naming_both_directions(tmp_path: Path) -> None:
    phases = [
        Phase(None, Direction.FORWARD, 4.0, 120.0),
        Phase(None, Direction.BACKWARD, 2.0, 60.0),
    ]
    path = write_log(tmp_path, phases, manual=True)
    session = load_session(read_session_log(path))
    assert session.manual and session.program_name is None
    (lap,) = session.laps
    assert lap.direction is None and lap.trigger == "manual"
    assert lap.name == "Manual \u2014 forward 2.0 min, backward 1.0 min"
    assert len(lap.samples) == 180


# --- interrupted logs ---------------------------------------------------------------------------


def test_an_interrupted_log_exports_everything_up_to_its_last_line(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, end=False)
    log, files = check_all_formats(path, tmp_path / "out")
    assert log.interrupted
    session = load_session(log)
    assert session.end_reason == "interrupted" and session.interrupted
    last = log.records[-1]
    assert session.duration_s == last["t"] == 65.0
    assert session.samples[-1].t == last["t"]
    assert session.distance_m == session.samples[-1].distance_m
    notes = validate_tcx(files["tcx"]).findtext(f"{T}Activities/{T}Activity/{T}Notes", "")
    assert "interrupted" in notes


def test_a_log_cut_mid_line_still_exports(tmp_path: Path) -> None:
    path = write_log(tmp_path, PROGRAM, end=False)
    with path.open("ab") as f:
        f.write(b'{"kind":"sample","t":66.0,"speed_')
    log, _ = check_all_formats(path, tmp_path / "out")
    assert log.cut_line is not None


# --- a real session -----------------------------------------------------------------------------

TINY = """
name = "Tiny backward session"
description = "Forward, backward, forward by distance."
[[steps]]
label = "Warm-up"
direction = "forward"
speed = "3 km/h"
duration = "10 s"
[[steps]]
label = "Backward walk"
direction = "backward"
speed = "2 km/h"
duration = "10 s"
[[steps]]
label = "Cool-down"
direction = "forward"
speed = "3 km/h"
distance = "10 m"
"""


def test_a_real_session_exports_in_every_format(tmp_path: Path) -> None:
    """SessionRunner on the virtual treadmill, through the real link, to a log, to files."""
    logs = tmp_path / "logs"

    async def scenario() -> Path:
        clock = ManualClock()
        async with VirtualWorld(clock) as world:
            link = TreadmillLink(clock, backends=BleakBackends.of(world))
            await link.connect(world.treadmill_address)
            recorder = SessionRecorder(logs, clock, wall_clock=lambda: START)
            runner = SessionRunner(
                link, clock, DEFAULT_LIMITS, parse_program(TINY), recorder=recorder
            )
            task = asyncio.ensure_future(runner.run())
            for _ in range(1000):  # at most 250 s of session time; it needs about 45
                if task.done():
                    break
                await clock.advance(0.25)
            assert task.done() and task.result() is EndReason.COMPLETED
            await link.disconnect()
        assert recorder.path is not None
        return recorder.path

    paths: list[Path] = []

    async def main() -> None:
        paths.append(await scenario())

    run(main)
    (path,) = paths
    log, files = check_all_formats(path, tmp_path / "out")
    assert log.end is not None and log.end["reason"] == "completed"
    summary = log.end["summary"]
    session = load_session(log)
    assert [lap.label for lap in session.laps] == ["Warm-up", "Backward walk", "Cool-down"]
    assert [lap.direction for lap in session.laps] == [
        Direction.FORWARD,
        Direction.BACKWARD,
        Direction.FORWARD,
    ]
    # The exporter counts distance as the runner does: they agree.
    assert session.samples[-1].distance_m == pytest.approx(summary["distance_m"], abs=0.1)
    fit = read_fit(files["fit"])
    (fit_session,) = fit.messages["session_mesgs"]
    assert fit_session["total_distance"] == pytest.approx(summary["distance_m"], abs=0.01)
    assert fit_session["total_elapsed_time"] == pytest.approx(summary["duration_s"], abs=1e-3)
    backward = [r for r in fit.records_fitdecode if r["direction"] == "backward"]
    assert backward and all(r["enhanced_speed"] > 0 for r in backward)
    notes = [lap.findtext(f"{T}Notes") for lap in validate_tcx(files["tcx"]).iter(f"{T}Lap")]
    assert notes[1] == "Backward walk \u2014 backward"


# --- built-in programs --------------------------------------------------------------------------


@pytest.mark.parametrize("program", builtin_programs(), ids=lambda p: p.name)
def test_every_builtin_program_round_trips(tmp_path: Path, program: Program) -> None:
    phases = phases_of(program)
    # A sample every 10 s keeps the files small; the structure is what is checked here.
    path = write_log(tmp_path, phases, interval=10.0)
    log, files = check_all_formats(path, tmp_path / "out")
    session = load_session(log)
    assert len(session.laps) == len(program.segments())
    backward_laps = [lap for lap in session.laps if lap.direction is Direction.BACKWARD]
    if not all(p.rest for p in phases if p.direction is Direction.BACKWARD):
        assert backward_laps
    notes = [lap.findtext(f"{T}Notes", "") for lap in validate_tcx(files["tcx"]).iter(f"{T}Lap")]
    assert [n.endswith("\u2014 backward") for n in notes] == [
        lap.direction is Direction.BACKWARD and not lap.rest for lap in session.laps
    ]
    fit = read_fit(files["fit"])
    steps = fit.messages["workout_step_mesgs"]
    assert [s["wkt_step_name"] for s in steps] == notes
    (fit_session,) = fit.messages["session_mesgs"]
    assert log.end is not None
    assert fit_session["total_distance"] == log.end["summary"]["distance_m"]
    assert fit_session["total_elapsed_time"] == pytest.approx(log.end["summary"]["duration_s"])
