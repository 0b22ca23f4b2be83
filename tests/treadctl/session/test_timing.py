"""A program's timing (treadctl.session.timing): one test per rule of its docstring, then the
edge cases, all by feeding numbers (no clock, no I/O, no asyncio).

`Drive` runs a `ProgramTiming` the way the session runner does — a tick every 0.25 s with what
the runner knows of the belt — and notes every event with the time it came at. Plans are written
as TOML steps, the way users write programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from treadctl.limits import Direction
from treadctl.program import PlannedSegment, parse_program
from treadctl.session.timing import (
    CountdownDue,
    ProgramComplete,
    ProgramTiming,
    RestOver,
    RestReminderDue,
    SegmentDue,
    TimingEvent,
    TimingInputs,
)

F, B = Direction.FORWARD, Direction.BACKWARD
TICK = 0.25
HOUR = 3600.0


def run(length: str, direction: str = "forward", speed: str = "6 km/h") -> str:
    """A ``[[steps]]`` segment of a duration (``"60 s"``) or a distance (``"400 m"``)."""
    key = "distance" if length.endswith((" m", " km")) else "duration"
    return f'[[steps]]\ndirection = "{direction}"\nspeed = "{speed}"\n{key} = "{length}"\n'


def rest(duration: str) -> str:
    return f'[[steps]]\nrest = true\nduration = "{duration}"\n'


def plan(*steps: str) -> list[PlannedSegment]:
    return parse_program('name = "Test"\n' + "".join(steps), source="<test>").segments()


def moving(direction: Direction = F, speed_kmh: float | None = None) -> TimingInputs:
    """The belt runs in the segment's direction: segment time runs."""
    return TimingInputs(
        running=True, counting=True, resting=False, direction=direction, speed_kmh=speed_kmh
    )


#: Stopped or paused: nothing runs.
STILL = TimingInputs(running=False, counting=False, resting=False, direction=F, speed_kmh=0.0)
#: A turnaround or a heart-rate hold: the belt runs, the segment waits.
HELD = TimingInputs(running=True, counting=False, resting=False, direction=F, speed_kmh=2.0)
#: A program rest: the belt is stopped, the rest's clock runs.
RESTING = TimingInputs(running=False, counting=False, resting=True, direction=F, speed_kmh=0.0)


def of[E](kind: type[E], events: list[TimingEvent]) -> list[E]:
    return [e for e in events if isinstance(e, kind)]


@dataclass
class Drive:
    """The runner's tick loop in miniature: a tick every 0.25 s; every event noted with its
    time in ``log``."""

    timing: ProgramTiming
    t: float = 0.0
    log: list[tuple[float, TimingEvent]] = field(default_factory=list)

    def begin(self) -> list[TimingEvent]:
        return self._note(self.timing.begin(self.t))

    def run(self, seconds: float, belt: TimingInputs, tick: float = TICK) -> list[TimingEvent]:
        events: list[TimingEvent] = []
        for _ in range(round(seconds / tick)):
            self.t = round(self.t + tick, 6)
            events += self._note(self.timing.tick(self.t, tick, belt))
        return events

    def skip(self) -> list[TimingEvent]:
        return self._note(self.timing.skip(self.t))

    def resume(self) -> list[TimingEvent]:
        return self._note(self.timing.end_rest_early(self.t))

    def countdowns(self) -> list[tuple[float, int]]:
        return [(t, e.seconds) for (t, e) in self.log if isinstance(e, CountdownDue)]

    def _note(self, events: list[TimingEvent]) -> list[TimingEvent]:
        self.log += [(self.t, e) for e in events]
        return events


def started(*steps: str, countdown_s: int = 3, rest_reminder_s: float = HOUR) -> Drive:
    drive = Drive(
        ProgramTiming(plan(*steps), countdown_s=countdown_s, rest_reminder_s=rest_reminder_s)
    )
    drive.begin()
    return drive


# --- segments -------------------------------------------------------------------------------


def test_begin_makes_the_first_segment_due_with_the_one_after_it() -> None:
    p = plan(run("60 s"), run("60 s", "backward", "3 km/h"))
    timing = ProgramTiming(p)
    assert timing.index is None and timing.segment is None
    assert timing.begin(0.0) == [SegmentDue(p[0], p[1])]
    assert timing.index == 0 and timing.segment == p[0].segment
    assert timing.segments_done == 0


def test_segment_time_runs_only_while_counting() -> None:
    d = started(run("60 s"), run("60 s"))
    assert d.run(20, moving()) == []
    assert d.run(100, STILL) == []  # stopped or paused
    assert d.run(100, HELD) == []  # turning around, or held by the heart-rate rule
    assert d.timing.segment_elapsed_s == 20.0
    assert d.timing.segment_remaining_s(None) == 40.0


def test_a_duration_segment_ends_when_its_time_has_run() -> None:
    d = started(run("60 s"), run("30 s", "backward", "3 km/h"), run("60 s"))
    p = d.timing.plan
    d.run(60, moving())
    assert [(t, e) for (t, e) in d.log if isinstance(e, SegmentDue)] == [
        (0.0, SegmentDue(p[0], p[1])),
        (60.0, SegmentDue(p[1], p[2])),
    ]
    assert d.timing.index == 1 and d.timing.segments_done == 1
    assert d.timing.segment_elapsed_s == 0.0  # the new segment's time starts from nothing


def test_the_last_segment_ending_completes_the_program() -> None:
    d = started(run("10 s"), run("10 s"))
    d.run(10, moving())
    assert of(ProgramComplete, d.run(10, moving())) == [ProgramComplete()]
    assert d.log[-1] == (20.0, ProgramComplete())
    assert d.timing.segments_done == 2
    # the last segment due says so: nothing after it
    assert of(SegmentDue, [e for (_, e) in d.log])[-1].next is None


def test_a_distance_segment_counts_the_measured_metres() -> None:
    d = started(run("400 m"), run("60 s"))
    d.timing.count_distance(150.0)
    assert d.timing.segment_remaining_m() == 250.0
    assert of(SegmentDue, d.run(1, moving(speed_kmh=6.0))) == []
    d.timing.count_distance(260.0)
    assert d.timing.segment_remaining_m() == -10.0  # may be negative just before it ends
    p = d.timing.plan
    assert of(SegmentDue, d.run(TICK, moving(speed_kmh=6.0))) == [SegmentDue(p[1], None)]


def test_metres_counted_in_one_segment_do_not_carry_into_the_next() -> None:
    d = started(run("400 m"), run("200 m"))
    d.timing.count_distance(450.0)
    d.run(TICK, moving(speed_kmh=6.0))
    assert d.timing.index == 1
    assert d.timing.segment_remaining_m() == 200.0


def test_a_duration_segment_has_no_metres_left() -> None:
    d = started(run("60 s"))
    d.timing.count_distance(100.0)
    assert d.timing.segment_remaining_m() is None


# --- a distance segment's time left -----------------------------------------------------------


def test_a_distance_segments_time_left_is_estimated_at_the_measured_speed() -> None:
    d = started(run("400 m", speed="6 km/h"))
    d.timing.count_distance(100.0)
    assert d.timing.segment_remaining_s(3.6) == pytest.approx(300.0)  # 300 m at 1 m/s


@pytest.mark.parametrize("measured", [None, 0.0])
def test_a_distance_segments_time_left_is_at_its_target_while_the_belt_is_not_measured_to_move(
    measured: float | None,
) -> None:
    d = started(run("400 m", speed="6 km/h"))
    d.timing.count_distance(100.0)
    assert d.timing.segment_remaining_s(measured) == pytest.approx(180.0)  # 300 m at 6 km/h


def test_a_distance_segments_time_left_is_estimated_at_no_less_than_0_1_m_s() -> None:
    d = started(run("400 m", speed="6 km/h"))
    d.timing.count_distance(100.0)
    assert d.timing.segment_remaining_s(0.18) == pytest.approx(3000.0)  # 0.05 m/s counts as 0.1


def test_a_duration_segments_time_left_does_not_depend_on_speed() -> None:
    d = started(run("60 s"))
    d.run(15, moving())
    assert d.timing.segment_remaining_s(None) == d.timing.segment_remaining_s(12.0) == 45.0


# --- countdowns -----------------------------------------------------------------------------


def test_a_countdown_precedes_a_segment_change_once_per_second() -> None:
    d = started(run("10 s"), run("10 s"))
    d.run(10, moving())
    assert d.countdowns() == [(7.0, 3), (8.0, 2), (9.0, 1)]
    assert isinstance(d.log[-1][1], SegmentDue) and d.log[-1][0] == 10.0


def test_a_countdown_lasts_countdown_s_whole_seconds() -> None:
    d = started(run("10 s"), run("10 s"), countdown_s=5)
    d.run(10, moving())
    assert [s for (_, s) in d.countdowns()] == [5, 4, 3, 2, 1]


def test_a_countdown_runs_only_while_counting() -> None:
    d = started(run("10 s"), run("10 s"))
    d.run(7.5, moving())
    assert d.countdowns() == [(7.0, 3)]
    assert d.run(30, STILL) == []
    assert d.run(30, HELD) == []
    d.run(2.5, moving())
    assert [s for (_, s) in d.countdowns()] == [3, 2, 1]  # went on where it stood, none twice


def test_a_countdown_says_turnaround_when_the_next_segment_faces_the_other_way() -> None:
    d = started(run("10 s"), run("10 s", "backward", "3 km/h"))
    p = d.timing.plan
    countdowns = of(CountdownDue, d.run(9.5, moving(F)))
    assert countdowns == [CountdownDue(s, p[1], turnaround=True) for s in (3, 2, 1)]


def test_a_countdown_to_a_segment_facing_the_same_way_is_no_turnaround() -> None:
    d = started(run("10 s"), run("10 s", speed="8 km/h"))
    assert [c.turnaround for c in of(CountdownDue, d.run(9.5, moving(F)))] == [False] * 3


def test_a_rest_in_between_is_not_a_turnaround() -> None:
    d = started(run("10 s"), rest("1 min"), run("10 s", "backward", "3 km/h"))
    p = d.timing.plan
    countdowns = of(CountdownDue, d.run(9.5, moving(F)))
    assert countdowns == [CountdownDue(s, p[1], turnaround=False) for s in (3, 2, 1)]


def test_the_turnaround_is_judged_by_the_way_the_person_faces_now() -> None:
    # A backward segment walked forward (the governor turned it: the backward budget is spent):
    # going on forward is no turnaround, going backward is one.
    d = started(run("10 s", "backward", "3 km/h"), run("10 s"), run("10 s", "backward", "3 km/h"))
    assert [c.turnaround for c in of(CountdownDue, d.run(10, moving(F)))] == [False] * 3
    assert [c.turnaround for c in of(CountdownDue, d.run(10, moving(F)))] == [True] * 3


def test_the_countdown_before_the_end_has_no_next_segment() -> None:
    d = started(run("10 s"))
    countdowns = of(CountdownDue, d.run(9.5, moving()))
    assert countdowns == [CountdownDue(s, None, turnaround=False) for s in (3, 2, 1)]


def test_a_distance_segment_counts_down_at_the_measured_speed() -> None:
    d = started(run("100 m"), run("60 s"))
    d.timing.count_distance(97.5)
    assert of(CountdownDue, d.run(TICK, moving(speed_kmh=3.6))) == [
        CountdownDue(3, d.timing.plan[1], turnaround=False)
    ]  # 2.5 m at 1 m/s
    d.timing.count_distance(1.0)
    assert [c.seconds for c in of(CountdownDue, d.run(TICK, moving(speed_kmh=3.6)))] == [2]


def test_a_segment_shorter_than_the_countdown_counts_down_from_what_it_has() -> None:
    d = started(run("2 s"), run("10 s"))
    d.run(2, moving())
    assert d.countdowns() == [(0.25, 2), (1.0, 1)]


# --- rests ----------------------------------------------------------------------------------


def rest_program() -> Drive:
    """10 s forward, then a one-minute rest beginning at t=10, then 10 s forward."""
    d = started(run("10 s"), rest("1 min"), run("10 s"))
    p = d.timing.plan
    assert of(SegmentDue, d.run(10, moving())) == [SegmentDue(p[1], p[2])]
    assert d.t == 10.0
    return d


def test_a_rest_lasts_its_duration_from_the_moment_it_begins() -> None:
    d = rest_program()
    p = d.timing.plan
    assert d.run(59.75, RESTING) == []
    assert d.run(TICK, RESTING) == [RestOver(early=False), SegmentDue(p[2], None)]
    assert d.t == 70.0
    assert d.timing.segments_done == 2


def test_a_rest_ends_by_its_clock_while_not_counting_whatever_the_ticks() -> None:
    d = rest_program()
    p = d.timing.plan
    # One tick a minute after the rest began, with no time counted in between: over.
    assert d.timing.tick(70.0, 0.0, RESTING) == [RestOver(early=False), SegmentDue(p[2], None)]


def test_a_rest_has_no_countdown() -> None:
    d = rest_program()
    assert of(CountdownDue, d.run(60, RESTING)) == []


def test_a_rest_that_ends_the_program_completes_it() -> None:
    d = started(run("10 s"), rest("1 min"))
    d.run(10, moving())
    assert d.run(60, RESTING) == [RestOver(early=False), ProgramComplete()]


def test_resuming_during_a_rest_ends_it_early_and_the_next_segment_is_due() -> None:
    d = rest_program()
    p = d.timing.plan
    d.run(20, RESTING)
    assert d.resume() == [RestOver(early=True), SegmentDue(p[2], None)]
    assert d.run(50, RESTING) == []  # the rest's clock is gone with it


def test_skip_during_a_rest_ends_it_early_as_resuming_does() -> None:
    d = rest_program()
    p = d.timing.plan
    d.run(20, RESTING)
    assert d.skip() == [RestOver(early=True), SegmentDue(p[2], None)]
    assert d.timing.segments_done == 2
    assert d.run(50, RESTING) == []


def test_ending_a_rest_early_outside_a_rest_does_nothing() -> None:
    d = started(run("10 s"), run("10 s"))
    assert d.resume() == []
    assert d.timing.index == 0
    assert ProgramTiming([]).end_rest_early(0.0) == []


def test_a_rests_time_left_runs_with_its_clock() -> None:
    d = rest_program()
    d.run(30, RESTING)
    assert d.timing.segment_remaining_s(None) == 30.0


def test_extend_during_a_rest_lengthens_it() -> None:
    d = rest_program()
    d.timing.extend(60)
    assert d.run(60, RESTING) == []


# --- skip -----------------------------------------------------------------------------------


def test_skip_goes_to_the_next_segment_now() -> None:
    d = started(run("60 s"), run("60 s", "backward", "3 km/h"), run("60 s"))
    p = d.timing.plan
    d.run(58, moving())  # counting down
    assert d.skip() == [SegmentDue(p[1], p[2])]
    assert d.timing.segments_done == 1
    assert d.timing.segment_elapsed_s == 0.0
    d.run(60, moving(B))
    assert [s for (t, s) in d.countdowns() if t > 58] == [3, 2, 1]  # a fresh countdown


def test_skip_in_the_last_segment_completes_the_program() -> None:
    d = started(run("60 s"), run("60 s"))
    d.skip()
    assert d.skip() == [ProgramComplete()]
    assert d.timing.segments_done == 2


def test_skip_before_the_program_begins_or_in_manual_mode_does_nothing() -> None:
    assert ProgramTiming(plan(run("60 s"))).skip(0.0) == []
    manual = ProgramTiming([])
    manual.begin(0.0)
    assert manual.skip(1.0) == []
    assert manual.segments_done == 0


# --- extend ---------------------------------------------------------------------------------


def test_extend_lengthens_a_duration_segment_by_seconds() -> None:
    d = started(run("60 s"), run("60 s"))
    d.run(30, moving())
    d.timing.extend(60)
    assert d.timing.segment_remaining_s(None) == 90.0
    assert of(SegmentDue, d.run(89.75, moving())) == []
    assert of(SegmentDue, d.run(TICK, moving())) != []
    assert d.t == 120.0


def test_extend_negative_shortens_a_duration_segment() -> None:
    d = started(run("2 min"), run("60 s"))
    d.run(30, moving())
    d.timing.extend(-60)
    assert d.timing.segment_remaining_s(None) == 30.0
    d.run(30, moving())
    assert [t for (t, e) in d.log if isinstance(e, SegmentDue)] == [0.0, 60.0]


def test_shortening_past_the_time_already_run_ends_the_segment_at_the_next_tick() -> None:
    d = started(run("60 s"), run("60 s"))
    p = d.timing.plan
    d.run(40, moving())
    d.timing.extend(-30)
    assert d.timing.segment_remaining_s(None) == -10.0
    assert of(SegmentDue, d.run(TICK, moving())) == [SegmentDue(p[1], None)]


def test_extend_lengthens_a_distance_segment_by_what_its_target_speed_covers() -> None:
    d = started(run("400 m", speed="6 km/h"))
    d.timing.extend(60)  # one minute at 6 km/h: 100 m
    assert d.timing.segment_remaining_m() == pytest.approx(500.0)
    assert d.timing.segment_remaining_s(None) == pytest.approx(300.0)
    assert d.timing.segment_elapsed_s == 0.0


def test_extend_negative_shortens_a_distance_segment() -> None:
    d = started(run("400 m", speed="6 km/h"), run("60 s"))
    d.timing.extend(-60)
    assert d.timing.segment_remaining_m() == pytest.approx(300.0)
    d.timing.count_distance(300.0)
    assert of(SegmentDue, d.run(TICK, moving(speed_kmh=6.0))) != []


def test_extend_ends_with_its_segment() -> None:
    d = started(run("60 s"), run("60 s"))
    d.timing.extend(60)
    d.skip()
    assert d.timing.segment_remaining_s(None) == 60.0


def test_extend_before_the_program_begins_or_in_manual_mode_does_nothing() -> None:
    timing = ProgramTiming(plan(run("60 s")))
    timing.extend(60)
    timing.begin(0.0)
    assert timing.segment_remaining_s(None) == 60.0
    manual = ProgramTiming([])
    manual.extend(60)
    assert manual.segment_remaining_s(None) is None


def test_extend_during_a_countdown_counts_down_in_full_again() -> None:
    d = started(run("10 s"), run("10 s"))
    d.run(7.25, moving())
    assert [s for (_, s) in d.countdowns()] == [3]
    d.timing.extend(60)
    assert [c.seconds for c in of(CountdownDue, d.run(62.75, moving()))] == [3, 2, 1]


# --- the session's time left ------------------------------------------------------------------


def test_the_sessions_time_left_adds_the_later_segments_estimates() -> None:
    # 60 s, then 400 m at 6 km/h (240 s), then a 2-minute rest
    d = started(run("60 s"), run("400 m", speed="6 km/h"), rest("2 min"))
    assert d.timing.session_remaining_s(30.0, None) == pytest.approx(30 + 240 + 120)
    d.skip()
    assert d.timing.session_remaining_s(None, None) == pytest.approx(120.0)


def test_the_sessions_time_left_times_a_distance_segments_metres_at_its_target_speed() -> None:
    d = started(run("400 m", speed="6 km/h"), run("60 s"))
    assert d.timing.session_remaining_s(None, 100.0) == pytest.approx(60 + 60)
    # a time left given wins over the metres
    assert d.timing.session_remaining_s(10.0, 100.0) == pytest.approx(10 + 60)


def test_the_sessions_time_left_is_unknown_before_the_program_begins_and_in_manual_mode() -> None:
    assert ProgramTiming(plan(run("60 s"))).session_remaining_s(10.0, None) is None
    manual = ProgramTiming([])
    manual.begin(0.0)
    assert manual.session_remaining_s(10.0, None) is None


# --- rest reminder --------------------------------------------------------------------------


def reminders(events: list[TimingEvent]) -> int:
    return len(of(RestReminderDue, events))


def test_a_rest_reminder_is_due_once_the_belt_has_run_rest_reminder_s() -> None:
    d = Drive(ProgramTiming([]))
    assert reminders(d.run(HOUR - 1, moving(), tick=1.0)) == 0
    assert d.run(1, moving(), tick=1.0) == [RestReminderDue()]


def test_the_rest_reminder_is_not_repeated_until_a_rest() -> None:
    d = Drive(ProgramTiming([]))
    assert reminders(d.run(3 * HOUR, moving(), tick=1.0)) == 1


def test_the_rest_reminder_counts_only_time_the_belt_runs() -> None:
    d = Drive(ProgramTiming([]))
    d.run(HOUR / 2, moving(), tick=1.0)
    assert reminders(d.run(HOUR, STILL, tick=1.0)) == 0  # stopped or paused
    d.run(HOUR / 4, HELD, tick=1.0)  # a turnaround or a hold: the belt runs
    assert reminders(d.run(HOUR / 4 - 1, moving(), tick=1.0)) == 0
    assert reminders(d.run(1, moving(), tick=1.0)) == 1


def test_a_rest_starts_the_count_again() -> None:
    d = started(run("50 min"), rest("10 min"), run("90 min"), rest_reminder_s=HOUR)
    assert reminders(d.run(50 * 60, moving(), tick=1.0)) == 0
    events = d.run(10 * 60, RESTING, tick=1.0)
    assert of(RestOver, events) == [RestOver(early=False)]
    assert reminders(d.run(HOUR - 1, moving(), tick=1.0)) == 0  # not 50 min + 60 min
    assert reminders(d.run(1, moving(), tick=1.0)) == 1


def test_a_rest_after_the_reminder_arms_it_again() -> None:
    d = started(run("60 min"), rest("10 min"), run("90 min"))
    assert reminders(d.run(HOUR, moving(), tick=1.0)) == 1
    d.run(10 * 60, RESTING, tick=1.0)
    assert reminders(d.run(HOUR, moving(), tick=1.0)) == 1


def test_manual_mode_only_reminds() -> None:
    d = Drive(ProgramTiming([]))
    assert d.begin() == []
    d.timing.count_distance(1000.0)
    for belt in (moving(), moving(B, 5.0), STILL, HELD):
        d.run(HOUR, belt, tick=1.0)
    assert [e for (_, e) in d.log] == [RestReminderDue()]
    assert d.timing.index is None and d.timing.segment is None
    assert d.timing.segment_remaining_s(5.0) is None
    assert d.timing.segment_remaining_m() is None
    assert d.timing.segments_done == 0


def test_the_reminder_interval_is_a_parameter() -> None:
    d = Drive(ProgramTiming([], rest_reminder_s=90.0))
    d.run(89.75, moving())
    assert d.run(TICK, moving()) == [RestReminderDue()]
    assert d.t == 90.0
