"""Session accounting (treadctl.session.totals): one test per rule of its docstring, fed numbers;
then a property test that the three places counting a session from its log agree — the
history import (``treadctl.store.summarize``), the exports (``treadctl.export.load_session``) and
a ``SessionTotals`` fed the same samples.
"""

from __future__ import annotations

import json
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.clock import ManualClock
from treadctl.export import load_session
from treadctl.limits import Direction, Limits
from treadctl.recorder import SessionRecorder, read_session_log
from treadctl.session.totals import SessionSummary, SessionTotals
from treadctl.store import summarize

F, B = Direction.FORWARD, Direction.BACKWARD
DOCS = Path(__file__).resolve().parents[3] / "docs"

#: The end summary's keys, in the order the runner has always written them.
END_SUMMARY_KEYS = [
    "reason",
    "stop_reason",
    "duration_s",
    "distance_m",
    "forward_minutes",
    "backward_minutes",
    "forward_distance_m",
    "backward_distance_m",
    "energy_kcal",
    "max_forward_kmh",
    "max_backward_kmh",
    "avg_heart_rate_bpm",
    "segments_completed",
    "segments_total",
    "program",
]


def fed(*samples: tuple[float, float | None, float | None, Direction]) -> SessionTotals:
    """Totals of ``(t, speed_kmh, counter_m, direction)`` samples."""
    totals = SessionTotals()
    for t, speed, counter, direction in samples:
        totals.add(t, speed, counter, direction)
    return totals


# --- distance -------------------------------------------------------------------------------


def test_the_first_sample_adds_nothing() -> None:
    totals = SessionTotals()
    assert totals.last_t is None
    # A counter that starts where the last session left it, at speed: nothing moved yet.
    assert totals.add(5.0, 8.0, 1234.0, F) == 0.0
    assert totals.distance_m == 0.0 and totals.forward_s == 0.0
    assert totals.last_t == 5.0
    assert fed((5.0, 8.0, None, F)).distance_m == 0.0


def test_distance_is_the_counters_increases() -> None:
    totals = SessionTotals()
    moved = [totals.add(t, 3.6, c, F) for t, c in enumerate([100.0, 101.0, 103.5, 103.5])]
    assert moved == [0.0, 1.0, 2.5, 0.0]
    assert totals.distance_m == 3.5


def test_a_counter_that_resets_adds_nothing_then_counts_from_where_it_restarted() -> None:
    # Several treadmills reset their counter to 0 at a console stop.
    counters = [100.0, 150.0, 0.0, 20.0]
    totals = fed(*((float(t), 3.6, c, F) for t, c in enumerate(counters)))
    assert totals.distance_m == 50.0 + 0.0 + 20.0


def test_a_counter_that_steps_back_adds_nothing() -> None:
    counters = [100.0, 150.0, 140.0, 145.0]
    totals = fed(*((float(t), 3.6, c, F) for t, c in enumerate(counters)))
    assert totals.distance_m == 50.0 + 0.0 + 5.0


def test_a_counter_in_10_m_steps_is_taken_as_it_comes() -> None:
    # Urevo E1L: the counter advances 10 m at a time, whatever the speed says meanwhile.
    counters = [0.0, 0.0, 10.0, 10.0, 10.0, 20.0]
    totals = fed(*((float(t), 12.0, c, F) for t, c in enumerate(counters)))
    assert totals.distance_m == 20.0


def test_without_a_counter_the_speed_is_integrated_over_the_interval() -> None:
    # each sample's speed over the time since the sample before
    totals = fed((0.0, 3.6, None, F), (1.0, 3.6, None, F), (3.0, 7.2, None, F))
    assert totals.distance_m == pytest.approx(0.0 + 1.0 + 4.0)


def test_a_sample_earlier_than_the_one_before_adds_no_time() -> None:
    totals = fed((10.0, 3.6, None, F), (9.0, 3.6, None, F))
    assert totals.distance_m == 0.0 and totals.forward_s == 0.0
    assert totals.last_t == 9.0


# --- per direction --------------------------------------------------------------------------


def test_time_and_distance_per_direction_count_only_while_moving() -> None:
    totals = fed(
        (0.0, 3.6, None, F),
        (1.0, 3.6, None, F),
        (2.0, 3.6, None, F),
        (3.0, 0.0, None, F),  # stopped: its interval counts nowhere
        (4.0, None, None, B),  # not measured: neither
        (5.0, 1.8, None, B),  # the interval before a moving sample, in its direction
        (6.0, 1.8, None, B),
    )
    assert (totals.forward_s, totals.backward_s) == (2.0, 2.0)
    assert totals.forward_m == pytest.approx(2.0)
    assert totals.backward_m == pytest.approx(1.0)
    assert totals.distance_m == pytest.approx(3.0)


def test_a_counter_step_on_a_still_belt_counts_in_the_distance_but_in_no_direction() -> None:
    # The belt coasts its last metre while the speed already reads 0.
    totals = fed((0.0, 3.6, 0.0, B), (1.0, 3.6, 1.0, B), (2.0, 0.0, 2.0, B))
    assert totals.distance_m == 2.0
    assert (totals.backward_m, totals.forward_m) == (1.0, 0.0)
    assert (totals.backward_s, totals.forward_s) == (1.0, 0.0)


def test_top_speeds_are_per_direction_of_the_measured_belt() -> None:
    totals = fed(
        (0.0, 4.0, None, F),
        (1.0, 9.5, None, F),
        (2.0, 2.0, None, F),
        (3.0, 3.25, None, B),
        (4.0, 5.5, None, B),
        (5.0, None, None, B),
    )
    assert (totals.max_forward_kmh, totals.max_backward_kmh) == (9.5, 5.5)
    assert (fed().max_forward_kmh, fed().max_backward_kmh) == (0.0, 0.0)


# --- heart rate -----------------------------------------------------------------------------


def test_heart_rate_averages_the_samples_that_have_one() -> None:
    totals = SessionTotals()
    for t, hr in enumerate([None, 0, 120, 130, 0, 125, None]):  # 0 is "no contact"
        totals.add(float(t), 5.0, None, F, hr)
    assert totals.heart_rate_count == 3
    assert totals.avg_heart_rate_bpm == 125


def test_heart_rate_average_is_in_whole_beats() -> None:
    totals = SessionTotals()
    for t, hr in enumerate([120, 121, 121]):
        totals.add(float(t), 5.0, None, F, hr)
    assert totals.avg_heart_rate_bpm == 121  # 120.67


def test_no_heart_rate_measured_is_none() -> None:
    totals = SessionTotals()
    totals.add(0.0, 5.0, None, F, None)
    totals.add(1.0, 5.0, None, F, 0)
    assert totals.avg_heart_rate_bpm is None
    assert totals.summary(duration_s=1.0, energy_kcal=None).avg_heart_rate_bpm is None


# --- summary --------------------------------------------------------------------------------


def test_summary_rounds_as_the_log_keeps_them() -> None:
    totals = SessionTotals(
        distance_m=1234.5678,
        forward_s=754.321,
        backward_s=62.0,
        forward_m=1000.04,
        backward_m=234.5278,
        max_forward_kmh=9.876,
        max_backward_kmh=4.321,
    )
    summary = totals.summary(duration_s=816.3456, energy_kcal=98.7654)
    assert summary.duration_s == 816.3
    assert summary.distance_m == 1234.6
    assert summary.forward_minutes == 12.57  # 754.321 s
    assert summary.backward_minutes == 1.03  # 62 s
    assert summary.forward_distance_m == 1000.0
    assert summary.backward_distance_m == 234.5
    assert summary.energy_kcal == 98.8
    assert (summary.max_forward_kmh, summary.max_backward_kmh) == (9.876, 4.321)  # as measured
    assert totals.summary(duration_s=1.0, energy_kcal=None).energy_kcal is None


def test_summary_carries_how_the_session_ended() -> None:
    summary = SessionTotals().summary(
        duration_s=60.0,
        energy_kcal=5.0,
        reason="stopped",
        stop_reason="app_stop",
        segments_completed=2,
        segments_total=5,
        program="Backward walking, week 1",
    )
    assert (summary.reason, summary.stop_reason) == ("stopped", "app_stop")
    assert (summary.segments_completed, summary.segments_total) == (2, 5)
    assert summary.program == "Backward walking, week 1"
    bare = SessionTotals().summary(duration_s=0.0, energy_kcal=None)
    assert (bare.reason, bare.stop_reason, bare.segments_completed, bare.program) == (None,) * 4


def test_to_record_keys_are_the_end_summarys_in_the_order_the_runner_wrote_them() -> None:
    assert list(SessionSummary().to_record()) == END_SUMMARY_KEYS


def test_to_record_is_the_summary_as_the_end_record_carries_it() -> None:
    totals = fed((0.0, 6.0, 0.0, F), (60.0, 6.0, 100.0, F))
    summary = totals.summary(duration_s=60.0, energy_kcal=7.25, reason="completed")
    record = summary.to_record()
    assert json.loads(json.dumps(record)) == record  # plain JSON values
    assert record == {
        "reason": "completed",
        "stop_reason": None,
        "duration_s": 60.0,
        "distance_m": 100.0,
        "forward_minutes": 1.0,
        "backward_minutes": 0.0,
        "forward_distance_m": 100.0,
        "backward_distance_m": 0.0,
        "energy_kcal": 7.2,
        "max_forward_kmh": 6.0,
        "max_backward_kmh": 0.0,
        "avg_heart_rate_bpm": None,
        "segments_completed": None,
        "segments_total": None,
        "program": None,
    }


def documented_end_summary_keys() -> set[str]:
    """The end summary keys docs/session-log.md names: in the `end` table and the example."""
    text = (DOCS / "session-log.md").read_text(encoding="utf-8")
    row = next(line for line in text.splitlines() if line.startswith("| `summary` |"))
    keys = set(re.findall(r"`(\w+)`", row.split("|")[3]))
    example = next(line for line in text.splitlines() if line.startswith('{"kind":"end"'))
    return keys | set(json.loads(example)["summary"])


def test_the_session_log_doc_names_only_end_summary_keys_that_exist() -> None:
    assert documented_end_summary_keys() <= set(END_SUMMARY_KEYS)


# --- the three readers agree --------------------------------------------------------------------


@dataclass(frozen=True)
class LoggedSample:
    t_ms: int  # whole milliseconds: the log keeps 3 decimals, so the readers see these exactly
    speed_kmh: float | None
    counter_m: float | None
    direction: Direction
    heart_rate_bpm: int | None
    new_segment: bool  # a program segment starts just before this sample

    @property
    def t(self) -> float:
        return self.t_ms / 1000


#: Measured speeds: not measured, still, or moving (in hundredths, as the wire has them).
SPEEDS = st.none() | st.just(0.0) | st.integers(1, 1600).map(lambda v: v / 100)


@st.composite
def sessions(draw: st.DrawFn) -> list[LoggedSample]:
    gaps = draw(st.lists(st.integers(0, 5000), max_size=40))
    counter = draw(st.sampled_from(["always", "never", "sometimes"]))
    t_ms = 0
    samples = []
    for gap in gaps:
        t_ms += gap
        if counter == "never" or (counter == "sometimes" and draw(st.booleans())):
            counter_m = None
        else:  # resets and steps back included
            counter_m = draw(st.integers(0, 20_000)) / 10
        samples.append(
            LoggedSample(
                t_ms=t_ms,
                speed_kmh=draw(SPEEDS),
                counter_m=counter_m,
                direction=draw(st.sampled_from(Direction)),
                heart_rate_bpm=draw(st.none() | st.integers(0, 220)),
                new_segment=draw(st.booleans()),
            )
        )
    return samples


def write_interrupted_log(directory: Path, samples: list[LoggedSample]) -> Path:
    """The samples as the runner logs them, in a log a crash cut before its end record."""
    recorder = SessionRecorder(
        directory,
        ManualClock(),
        session_id="prop",
        wall_clock=lambda: datetime(2025, 3, 3, 9, 0, tzinfo=UTC),
    )
    path = recorder.start({"program": {"name": "Mixed"}, "limits": Limits(), "profile": None})
    index = 0
    for s in samples:
        if s.new_segment:
            recorder.segment(
                index=index,
                label=f"Segment {index}",
                direction=s.direction,
                target_speed_kmh=3.0,
                target_incline_pct=0.0,
                duration_s=60.0,
                at=s.t,
            )
            index += 1
        recorder.sample(
            speed_kmh=s.speed_kmh,
            incline_pct=0.0,
            distance_m=s.counter_m,
            elapsed_s=None,
            energy_kcal=None,
            heart_rate_bpm=s.heart_rate_bpm,
            direction=s.direction,
            segment=index - 1 if index else None,
            at=s.t,
        )
    recorder.close("stopped", {}, at=samples[-1].t if samples else 0.0)
    lines = path.read_bytes().splitlines(keepends=True)
    assert json.loads(lines[-1])["kind"] == "end"
    path.write_bytes(b"".join(lines[:-1]))
    return path


@given(sessions())
def test_the_store_the_exports_and_the_totals_count_a_log_alike(
    samples: list[LoggedSample],
) -> None:
    totals = SessionTotals()
    for s in samples:
        totals.add(s.t, s.speed_kmh, s.counter_m, s.direction, s.heart_rate_bpm)
    duration = samples[-1].t if samples else 0.0

    with tempfile.TemporaryDirectory() as directory:
        path = write_interrupted_log(Path(directory), samples)
        stored = summarize(path)
        exported = load_session(read_session_log(path))

    assert exported.interrupted
    assert stored == totals.summary(duration_s=duration, energy_kcal=None, program="Mixed")
    assert exported.distance_m == totals.distance_m
    if samples:  # every sample carries the session distance so far
        assert exported.samples[-1].distance_m == totals.distance_m
    lap_forward_s = sum(lap.forward_s for lap in exported.laps)
    lap_backward_s = sum(lap.backward_s for lap in exported.laps)
    assert lap_forward_s == pytest.approx(totals.forward_s, abs=1e-6)
    assert lap_backward_s == pytest.approx(totals.backward_s, abs=1e-6)
    # the laps add up to the summary's minutes, within its rounding (0.005 min)
    assert abs(lap_forward_s - stored.forward_minutes * 60) <= 0.3 + 1e-6
    assert abs(lap_backward_s - stored.backward_minutes * 60) <= 0.3 + 1e-6
