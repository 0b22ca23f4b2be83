"""The checker can fail: every rule, shown failing on a doctored trace that breaks it.

Traces are written by hand with `Build` (a belt that follows the writes at the virtual
treadmill's own rates, a governor whose phase, facing and commanded speed the script sets,
records every 0.5 s), or taken from a real run and doctored. Each doctored trace is a clean
one with one thing changed, and the clean one passes every rule, so each failure is the
doctoring's. `test_every_rule_is_shown_failing` keeps the list complete.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from tests.safety_fuzz.checker import RULES, Violation, check, known_finding
from tests.safety_fuzz.generator import generate
from tests.safety_fuzz.scenario import run_case
from tests.safety_fuzz.trace import (
    ActionRecord,
    EventRecord,
    StepRecord,
    Trace,
    WriteRecord,
)
from treadctl.limits import Limits
from treadctl.virtual.treadmill import TreadmillSpec

STEP = 0.25


class Build:
    """A hand-written trace: script what the app and the person do, the belt follows."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.spec = TreadmillSpec()
        self.trace = Trace(None, limits or Limits(), self.spec)
        self.t = 0.0
        self.seq = 0
        self.speed = 0.0
        self.incline = 0.0
        self.state = "STOPPED"
        self.target = 0.0
        self.target_incline = 0.0
        self.phase = "stopped"
        self.direction = "forward"
        self.commanded = 0.0
        self.commanded_incline: float | None = None
        self.runner = 1
        self.kind = "MANUAL"
        self.silent = False
        self.connected = True

    def _seq(self) -> int:
        self.seq += 1
        return self.seq

    # -- what happens -------------------------------------------------------------------

    def act(self, kind: str, name: str, arg: Any = None, note: str = "") -> Build:
        self.trace.actions.append(ActionRecord(self.t, self._seq(), kind, name, arg, note))
        return self

    def intent(self, name: str, arg: Any = None) -> Build:
        return self.act("intent", name, arg)

    def fault(self, name: str, arg: Any = None) -> Build:
        return self.act("fault", name, arg)

    def event(self, kind: str, notice: str | None = None, /, **data: Any) -> Build:
        self.trace.events.append(EventRecord(self.t, self._seq(), kind, notice, data))
        return self

    def notice(self, kind: str, /, **data: Any) -> Build:
        return self.event("notice", kind, **data)

    def gov(self, **fields: Any) -> Build:
        """Set the governor's phase, direction or commanded speed (as of now)."""
        for name, value in fields.items():
            setattr(self, name, value)
        return self

    def write(self, op: str, value: float | None = None, result: str = "success") -> Build:
        self.trace.writes.append(
            WriteRecord(
                self.t,
                self._seq(),
                op,
                value,
                result,
                self.direction,
                self.phase,
                self.commanded,
                self.runner,
                self.commanded_incline,
            )
        )
        if result != "success":
            return self
        match op:
            case "start_or_resume":
                self.state = "RUNNING"
                self.target = self.target or self.spec.min_speed_kmh
            case "stop":
                self.state, self.target = "STOPPED", 0.0
            case "pause":
                self.state = "PAUSED"
            case "set_target_speed":
                assert value is not None
                self.target = value
            case "set_target_inclination":
                assert value is not None
                self.target_incline = value
        return self

    def start(self, speed: float = 1.0, intent: str = "resume") -> Build:
        """The person starts; the governor answers with the start sequence."""
        self.intent(intent)
        if intent in ("start_manual", "start_program"):
            self.event("SessionStarted", kind="MANUAL")
        self.gov(phase="running", commanded=speed)
        return (
            self.write("set_target_speed", speed)
            .write("start_or_resume")
            .write("set_target_speed", speed)
        )

    def ramp(self, *speeds: float) -> Build:
        """One increase a second, to each of ``speeds``."""
        for v in speeds:
            self.run(1.0)
            self.gov(commanded=v).write("set_target_speed", v)
        return self

    def stop(self, intent: str = "stop") -> Build:
        self.intent(intent)
        self.notice("stopped", reason=intent)
        self.gov(phase="stopped", commanded=0.0)
        return self.write("pause" if intent == "pause" else "stop")

    def run(self, seconds: float) -> Build:
        """Let time pass: the belt follows at the spec's rates; a record every 0.5 s."""
        for _ in range(round(seconds / STEP)):
            goal = self.target if self.state == "RUNNING" else 0.0
            if goal > self.speed:
                self.speed = min(goal, self.speed + self.spec.accel_kmh_per_s * STEP)
            else:
                self.speed = max(goal, self.speed - self.spec.decel_kmh_per_s * STEP)
            if self.state == "RUNNING":
                rate = self.spec.incline_rate_pct_per_s * STEP
                delta = self.target_incline - self.incline
                self.incline += max(-rate, min(rate, delta))
            self.t = round(self.t + STEP, 6)
            if not self.silent and abs(self.t * 2 - round(self.t * 2)) < 1e-9:
                self.event("Sample", speed=self.speed, incline=self.incline)
            self.trace.steps.append(
                StepRecord(
                    self.t,
                    self._seq(),
                    self.speed,
                    self.incline,
                    self.state,
                    self.runner,
                    self.kind,
                    "stopped" if self.phase == "stopped" else "running",
                    self.phase,
                    self.direction,
                    self.commanded,
                    None,
                    False,
                    self.connected,
                )
            )
        return self


def clean() -> Build:
    """Forward: start, ramp to 3 km/h, run, stop, stand."""
    b = Build().run(1.0)
    b.intent("start_manual").event("SessionStarted", kind="MANUAL")
    b.gov(phase="running", commanded=1.0)
    b.write("set_target_speed", 1.0).write("start_or_resume").write("set_target_speed", 1.0)
    return b.ramp(1.5, 2.0, 2.5, 3.0).run(10.0).stop().run(10.0)


def turning(countdown: bool = True) -> Build:
    """Forward at 3 km/h, a turnaround (slow to 2, the 5-4-3-2-1 hold), backward ramping to 3."""
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0, 2.5, 3.0).run(5.0)
    b.notice("turnaround_started", to="backward").gov(phase="turnaround", commanded=2.0)
    b.write("set_target_speed", 2.0).run(0.75)  # the belt is down at 2 km/h: the hold begins
    for seconds in (5, 4, 3, 2, 1):
        if countdown:
            b.notice("turnaround_countdown", seconds=seconds, to="backward")
        b.run(1.0)
    b.run(0.25).notice("direction_changed", direction="backward")
    b.gov(phase="running", direction="backward")
    return b.ramp(2.25, 2.5, 2.75, 3.0).run(5.0).stop().run(5.0)


def backward(top: float) -> Build:
    """Facing backward from the start, ramping by a second of backward acceleration a second
    to ``top`` km/h."""
    b = Build().gov(direction="backward").run(1.0).start(1.0, "start_manual")
    speeds = []
    v = 1.0
    while v < top - 1e-9:
        v = round(min(top, v + b.trace.limits.backward_accel_kmh_per_s), 6)
        speeds.append(v)
    return b.ramp(*speeds)


def rules_broken(trace: Trace) -> set[str]:
    return {v.rule for v in check(trace)}


def test_the_clean_traces_pass() -> None:
    assert check(clean().trace) == []
    assert check(turning().trace) == []
    assert check(backward(6.0).run(5.0).stop().run(5.0).trace) == []


# --- one doctored trace per rule, breaking that rule alone ---------------------------------------


def start_without_intent() -> Trace:
    b = clean()
    b.write("start_or_resume").run(3.0)  # after the stop, no Start
    return b.trace


def fast_start() -> Trace:
    b = Build().run(1.0).start(2.5, "start_manual").run(5.0)
    return b.trace


def over_the_cap() -> Trace:
    # Facing backward at its cap (6 km/h), then a quarter more: within a second's acceleration,
    # within the belt's overspeed allowance, but above the cap as a command.
    b = backward(6.0).run(1.0)
    return b.gov(commanded=6.25).write("set_target_speed", 6.25).run(5.0).stop().run(5.0).trace


def steep_ramp() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(2.0).run(5.0).stop().run(5.0)
    return b.trace


def backward_too_fast() -> Trace:
    # The belt runs 6.5 km/h for two seconds where 6 was commanded (the person faces backward).
    b = backward(6.0).run(6.0).stop().run(5.0)
    tops = [s.t for s in b.trace.steps if s.speed_kmh >= 6.0]
    b.trace.steps = [
        dataclasses.replace(s, speed_kmh=6.5) if tops[0] + 2 <= s.t <= tops[0] + 4 else s
        for s in b.trace.steps
    ]
    return b.trace


def steep_deck_backward() -> Trace:
    # After the flip, the deck measured at 6 % (backward cap 5) while the belt runs.
    b = turning()
    flip = b.trace.notices("direction_changed")[0].t
    b.trace.steps = [
        dataclasses.replace(s, incline_pct=6.0) if flip + 2 <= s.t <= flip + 4 else s
        for s in b.trace.steps
    ]
    return b.trace


def steep_flip() -> Trace:
    # The deck measured at 8 % (above the backward cap) through the hold, the flip regardless.
    b = turning()
    flip = b.trace.notices("direction_changed")[0].t
    b.trace.steps = [
        dataclasses.replace(s, incline_pct=8.0) if flip - 5 <= s.t <= flip else s
        for s in b.trace.steps
    ]
    return b.trace


def early_flip() -> Trace:
    # The flip comes 2 s into the hold, the countdown (shown a second apart) still at 3.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0, 2.5, 3.0).run(5.0)
    b.notice("turnaround_started", to="backward").gov(phase="turnaround", commanded=2.0)
    b.write("set_target_speed", 2.0).run(0.75)
    for seconds in (5, 4, 3, 2, 1):
        b.notice("turnaround_countdown", seconds=seconds, to="backward").run(0.5)
    b.notice("direction_changed", direction="backward").gov(phase="running", direction="backward")
    return b.run(5.0).stop().run(5.0).trace


def no_countdown() -> Trace:
    return turning(countdown=False).trace


def quick_countdown() -> Trace:
    # The belt held at 2 km/h for 5.25 s (the flip rule is kept), but the person was shown
    # 5-4-3-2-1 in the last two seconds of it.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0, 2.5, 3.0).run(5.0)
    b.notice("turnaround_started", to="backward").gov(phase="turnaround", commanded=2.0)
    b.write("set_target_speed", 2.0).run(4.0)
    for seconds in (5, 4, 3, 2, 1):
        b.notice("turnaround_countdown", seconds=seconds, to="backward").run(0.5)
    b.run(0.25).notice("direction_changed", direction="backward")
    b.gov(phase="running", direction="backward")
    return b.ramp(2.25, 2.5).run(3.0).stop().run(5.0).trace


def stop_not_carried_out() -> Trace:
    # The stop reaches the treadmill, but the belt runs on at 3 km/h, and no alarm comes.
    b = clean()
    stop = next(w.t for w in b.trace.writes if w.op == "stop")
    b.trace.steps = [
        dataclasses.replace(s, speed_kmh=3.0, state="RUNNING") if s.t > stop else s
        for s in b.trace.steps
    ]
    return b.trace


def failed_command_runs_on() -> Trace:
    # A speed command failed (the notice), and the governor goes on running the belt.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(1.0)
    b.notice("command_failed")
    return b.run(4.0).stop().run(3.0).trace


def silent_treadmill() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0)
    b.gov(silent=True).run(6.0)  # no record for 6 s, the governor still runs the belt
    return b.gov(silent=False).stop().run(3.0).trace


def moves_after_reconnect() -> Trace:
    # The link goes and comes back; the first command is a speed, the stop only after it.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(3.0)
    b.event("Disconnected", expected=False).notice("stopped", reason="link_lost")
    b.gov(phase="stopped", commanded=0.0, connected=False).run(0.5)
    b.event("Reconnected").gov(connected=True, commanded=2.0).write("set_target_speed", 2.0)
    return b.run(0.25).gov(commanded=0.0).write("stop").run(5.0).trace


def speed_before_the_stop() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(3.0)
    b.intent("pause").notice("stopped", reason="user_pause").gov(phase="stopped", commanded=0.0)
    b.write("set_target_inclination", 0.0).write("pause").run(5.0)
    return b.trace


def completed_moving() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(3.0)
    return b.event("SessionEnded", reason="completed").run(5.0).trace


def never_ends() -> Trace:
    b = clean()
    b.trace.steps = [dataclasses.replace(s, kind="PROGRAM") for s in b.trace.steps]
    b.intent("finish_session")
    return b.run(40.0).trace


def faster_in_a_heart_rate_hold() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(2.0)
    b.notice("heart_rate_high", heart_rate_bpm=180)
    return b.ramp(2.5).run(3.0).trace


def not_slower_in_a_heart_rate_hold() -> Trace:
    # At 5 km/h forward, a heart rate over the maximum: nothing slows the belt to walking.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(*[1.5 + 0.5 * i for i in range(8)])
    b.run(3.0).notice("heart_rate_high", heart_rate_bpm=180)
    return b.run(6.0).stop().run(6.0).trace


def too_long_backward() -> Trace:
    b = Build(Limits(backward_minutes_per_session=0.25)).run(1.0)
    b.gov(direction="backward").start(1.0, "start_manual").ramp(1.25, 1.5).run(40.0)
    return b.stop().run(3.0).trace


def deck_jump() -> Trace:
    # The deck commanded from 0 to 3 % in one command while the belt runs.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(1.0)
    b.gov(commanded_incline=1.0).write("set_target_inclination", 1.0).run(1.0)
    b.gov(commanded_incline=3.0).write("set_target_inclination", 3.0)
    return b.run(6.0).stop().run(5.0).trace


def an_error() -> Trace:
    b = clean()
    b.trace.errors.append("swallowed by the loop: Task exception was never retrieved")
    return b.trace


def resend_burst() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(2.0).stop()
    for attempt in (1, 2, 3):
        b.notice("stop_resent", attempt=attempt).write("stop", result="operation_failed")
    return b.notice("stop_not_confirmed").run(5.0).trace


def stale_speed() -> Trace:
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(2.0)
    b.gov(phase="turnaround", commanded=2.0).notice("turnaround_started", to="backward")
    # An increase queued before the turnaround reaches the belt after it, a second before the
    # slow-down behind it (the same instant would not count: no belt moves in no time).
    b.write("set_target_speed", 2.5).run(1.0)
    return b.write("set_target_speed", 2.0).run(2.0).stop().run(3.0).trace


def superseded_at_once() -> Build:
    # As `stale_speed`, but the slow-down follows in the same instant: not stale.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(2.0)
    b.gov(phase="turnaround", commanded=2.0).notice("turnaround_started", to="backward")
    b.write("set_target_speed", 2.5).write("set_target_speed", 2.0)
    return b.run(2.0).stop().run(3.0)


def test_a_command_replaced_in_the_same_instant_is_not_stale() -> None:
    assert "stale-command" not in rules_broken(superseded_at_once().trace)


def stale_incline() -> Trace:
    # Incline steps decided a second apart reach the treadmill late, the last of them after the
    # governor has since brought its command back down to 1 %.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(1.0)
    b.gov(commanded_incline=1.0).write("set_target_inclination", 1.0).run(1.0)
    b.gov(commanded_incline=1.0).write("set_target_inclination", 2.0)
    return b.run(6.0).stop().run(5.0).trace


#: rule -> the doctored traces that break it, and no other rule.
DOCTORED: dict[str, tuple[Callable[[], Trace], ...]] = {
    "no-start-without-intent": (start_without_intent,),
    "slow-start": (fast_start,),
    "commanded-caps": (over_the_cap,),
    "ramp-rate": (steep_ramp,),
    "incline-rate": (deck_jump,),
    "belt-caps": (backward_too_fast, steep_deck_backward),
    "flip-after-hold": (steep_flip, early_flip),
    "hold-countdown": (no_countdown, quick_countdown),
    "stop-reaches-belt": (stop_not_carried_out,),
    "fault-stops": (failed_command_runs_on,),
    "watchdog": (silent_treadmill,),
    "first-command-after-reconnect": (moves_after_reconnect,),
    "stop-first": (speed_before_the_stop,),
    "ended-still": (completed_moving,),
    "session-ends": (never_ends,),
    "heart-rate-hold": (faster_in_a_heart_rate_hold, not_slower_in_a_heart_rate_hold),
    "backward-budget": (too_long_backward,),
    "no-errors": (an_error,),
    "stop-resends": (resend_burst,),
    "stale-command": (stale_speed, stale_incline),
}

#: Doctored traces whose one change breaks more than one rule, and which.
ALSO_BROKEN: dict[str, set[str]] = {
    # Flipping 2 s into the hold is too early for the countdown as well.
    "early_flip": {"hold-countdown"},
}


def test_every_rule_is_shown_failing() -> None:
    assert set(DOCTORED) == set(RULES)


@pytest.mark.parametrize(
    ("rule", "doctored"),
    [(rule, fn) for rule, fns in sorted(DOCTORED.items()) for fn in fns],
    ids=lambda x: x if isinstance(x, str) else x.__name__,
)
def test_a_doctored_trace_breaks_its_rule_alone(rule: str, doctored: Callable[[], Trace]) -> None:
    found = check(doctored())
    assert [v for v in found if v.rule == rule], f"{rule} did not fail on {doctored.__name__}"
    assert {v.rule for v in found} == {rule} | ALSO_BROKEN.get(doctored.__name__, set()), found
    assert all(isinstance(v, Violation) and v.message for v in found)


def test_a_hold_may_begin_on_a_record_a_period_old() -> None:
    # Between two records nobody sees the belt: at the hold's first instant it may still be
    # above the turnaround speed, if no record says so.
    b = turning()
    flip = b.trace.notices("direction_changed")[0].t
    begin = flip - b.trace.limits.turnaround_hold_s
    b.trace.steps = [
        dataclasses.replace(s, speed_kmh=2.25) if abs(s.t - begin) < 1e-9 else s
        for s in b.trace.steps
    ]
    assert "flip-after-hold" not in rules_broken(b.trace)
    # A record that says so fails it, and so does the belt a record period into the hold.
    reported = turning()
    reported.trace.events = [
        dataclasses.replace(e, data={**e.data, "speed": 2.25})
        if e.kind == "Sample" and begin + 1 <= e.t <= begin + 1.5
        else e
        for e in reported.trace.events
    ]
    assert rules_broken(reported.trace) == {"flip-after-hold"}
    later = turning()
    later.trace.steps = [
        dataclasses.replace(s, speed_kmh=2.25) if abs(s.t - (begin + 0.75)) < 1e-9 else s
        for s in later.trace.steps
    ]
    assert rules_broken(later.trace) == {"flip-after-hold"}


def console_pause_then_start(stop_after: float) -> Trace:
    # Paused at the console and started again there at once: the app latches and watches, and
    # sends its own stop ``stop_after`` seconds later.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5).run(2.0)
    b.fault("console-pause").fault("console-start")
    b.notice("stopped", reason="console_pause").gov(phase="stopped", commanded=0.0)
    return b.run(stop_after).write("stop").run(5.0).trace


def test_a_belt_started_again_at_the_console_is_stopped_after_the_watch() -> None:
    assert check(console_pause_then_start(2.0)) == []
    assert rules_broken(console_pause_then_start(4.0)) == {"stop-reaches-belt"}


def late_stop_then_start(stop_phase: str) -> Trace:
    # The app latched (its stop delayed by a slow treadmill); the person resumes; the stop
    # reaches the belt after that, then the start that answers the Resume.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(1.0)
    b.notice("stopped", reason="command_failed").gov(phase="stopped", commanded=0.0).run(1.0)
    b.intent("resume").gov(phase="running", commanded=1.0).run(0.5)
    b.gov(phase=stop_phase).write("stop").run(2.0).gov(phase="running")
    b.write("set_target_speed", 1.0).write("start_or_resume").write("set_target_speed", 1.0)
    return b.run(5.0).stop().run(4.0).trace


def test_a_stop_decided_before_the_resume_does_not_take_it_back() -> None:
    assert "no-start-without-intent" not in rules_broken(late_stop_then_start("running"))
    # A stop that reaches the treadmill with the governor latched again takes it back.
    assert "no-start-without-intent" in rules_broken(late_stop_then_start("stopped"))


def test_a_refused_console_pause_is_no_stop() -> None:
    # The treadmill answered "operation failed" (it was paused already): nothing was stopped,
    # so the start that follows needs no new Start.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5).run(2.0)
    b.act("fault", "console-pause", note="answered operation_failed")
    b.ramp(2.0).run(3.0)
    assert "no-start-without-intent" not in rules_broken(b.trace)


def test_the_belt_following_its_last_command_until_a_stop_arrives_is_allowed() -> None:
    # The app latched (the stop goes out but is ignored): the belt keeps its last command
    # for a moment; only a new speed or start would break the rule.
    b = Build().run(1.0).start(1.0, "start_manual").ramp(1.5, 2.0).run(0.5)
    b.fault("ignore", 1).notice("stopped", reason="watchdog").gov(phase="stopped", commanded=0.0)
    b.write("stop", result="ignored").run(1.0).write("stop").run(4.0)
    assert "no-start-without-intent" not in rules_broken(b.trace)


# --- doctored real traces ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def real() -> Trace:
    """A real run that passes: a program case of the generator, through GATT and the core."""
    trace = run_case(generate(REAL_SEED, quirks="standard"))
    assert trace.errors == []
    assert [str(v) for v in check(trace) if known_finding(v, trace) is None] == []
    return trace


#: A seed whose case (a program on a standard treadmill) starts, ramps, turns to face backward
#: and stops, and passes: see `real`.
REAL_SEED = 50


def test_a_real_trace_with_a_start_nobody_asked_for_fails(real: Trace) -> None:
    trace = dataclasses.replace(real, writes=list(real.writes))
    last = trace.steps[-1]
    trace.writes.append(
        WriteRecord(last.t, last.seq + 1, "start_or_resume", None, "success", "forward", "stopped")
    )
    assert "no-start-without-intent" in rules_broken(trace)


def test_a_real_trace_with_a_belt_that_speeds_up_after_its_stop_fails(real: Trace) -> None:
    stops = [w for w in real.writes if w.op == "stop" and w.result == "success"]
    assert stops
    after = stops[-1].t + 5.0
    trace = dataclasses.replace(
        real,
        steps=[
            dataclasses.replace(s, speed_kmh=s.speed_kmh + 0.5 * (s.t - after))
            if s.t > after
            else s
            for s in real.steps
        ],
    )
    assert "no-start-without-intent" in rules_broken(trace)


def test_a_real_trace_with_a_faster_backward_belt_fails(real: Trace) -> None:
    trace = dataclasses.replace(
        real,
        steps=[
            dataclasses.replace(s, speed_kmh=s.speed_kmh * 2.5)
            if s.direction == "backward" and s.speed_kmh > 2.5
            else s
            for s in real.steps
        ],
    )
    assert "belt-caps" in rules_broken(trace)


def test_a_real_trace_with_a_faster_command_fails(real: Trace) -> None:
    speeds = [i for i, w in enumerate(real.writes) if w.op == "set_target_speed"]
    assert speeds
    writes = list(real.writes)
    w = writes[speeds[len(speeds) // 2]]
    writes[speeds[len(speeds) // 2]] = dataclasses.replace(w, value=14.0)
    trace = dataclasses.replace(real, writes=writes)
    assert {"commanded-caps", "stale-command"} <= rules_broken(trace)
