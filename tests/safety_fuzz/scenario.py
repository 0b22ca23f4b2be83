"""One fuzz case end to end: the application core, the real link, real GATT over Bumble, the
virtual treadmill, on a ManualClock (``tests.helpers.core.core_scenario``), in an event loop on
virtual time (``treadctl.virtual_time``).

Shape::

    run_case(case) -> Trace            a fresh VirtualTimeLoop; never raises for a failing case:
                                       what went wrong (a swallowed exception, a logged
                                       traceback, the driver's own failure) is in
                                       ``trace.errors``
    Driver(case, scn, trace).run()     start the session, then each step of the schedule: wait
                                       for its phase, wait its delay, do its action; meanwhile
                                       clear lasting faults when due, let the person resume
                                       after a latch (if they do), wait out dropped links;
                                       finally finish the session and watch the belt a while

Simulated time moves only through the driver's 0.25 s steps (``STEP_S``). After each step the
model is brought to the clock's time (``TreadmillModel.advance_to``: the peripheral does the
same before every record and write, and the model is exact for any step), so ``StepRecord``
holds the belt the person stands on *now*, not as of the last record.

Two virtual times, as in ``tests.helpers.session``: the ManualClock the app and the treadmill
read (the case's time, ``t`` in every record), moved only by the driver; and the loop's, on
which Bumble's controllers advertise, connect and reconnect, and which jumps to their next
timer whenever everything waits. Connecting (before the clock starts) and a dropped link (the
``drop-link`` fault, or a KingSmith that drops it on a speed while stopped) are waited out on
the loop's time *without* moving the clock, so in the case's time the link is down for no time
at all, unless a reconnect attempt fails and the link's backoff (on the clock) gets involved:
then the driver steps the clock between the loop's waits. A strap dropped with ``drop-strap``
is waited for the same way; each wait is noted in ``trace.radio_waits`` (in loop seconds).

So nothing waits on real time, and a case is deterministic: the same seed gives the same
trace (``Trace.digest``), drops and reconnects included, however loaded the machine is.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import math
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any

from tests.helpers.core import CoreScenario, core_scenario
from tests.helpers.session import STEP_S
from tests.safety_fuzz.generator import START_INTENTS, Action, Case, Phase, Step
from tests.safety_fuzz.trace import ActionRecord, EventRecord, StepRecord, Trace, WriteRecord
from treadctl import virtual_time
from treadctl.core import (
    CommandFailedEvent,
    CoreEvent,
    Disconnected,
    ManualTargetChanged,
    Message,
    NoticeRaised,
    Reconnected,
    Reconnecting,
    Sample,
    SegmentStarted,
    SessionEnded,
    SessionStarted,
    SessionState,
    StateChanged,
)
from treadctl.core.events import StrapConnected, StrapLost, StrapReconnecting
from treadctl.devices.deviations import KMH_PER_MPH, Deviations
from treadctl.program import parse_program
from treadctl.safety import Phase as GovernorPhase
from treadctl.safety import StopReason
from treadctl.session import SessionRunner
from treadctl.virtual.simulated_faults import SimulatedFault, clear, trigger
from treadctl.virtual.treadmill import MachineState, TreadmillSpec
from treadctl.virtual.world import VirtualWorld

__all__ = ["REPLAY", "Driver", "run_case"]

#: The one-line command that replays a case (what a failing test prints).
REPLAY = "uv run python -m tests.safety_fuzz --seed {seed}"

#: How long (simulated s) a step waits for its phase before it is skipped.
PHASE_WAIT_S = 45.0
#: How long a step waits for a ramp (a program's segments last up to a minute).
RAMP_WAIT_S = 90.0
#: A phase that needs a session is given up after this long without one.
NO_SESSION_S = 5.0
#: After the person finishes a session: how long its end may take (the runner waits up to
#: 30 s for a still belt, plus sending the stop again), and how long the belt is watched after.
END_WAIT_S = 60.0
WATCH_AFTER_S = 8.0
#: Seconds of the loop's time a dropped link (or strap) may take to come back before the case
#: gives up (Bumble's controllers reconnect within a second or two of it).
RECONNECT_WAIT_S = 15.0
#: How long (loop seconds) the driver lets the radio work before it steps the clock once more,
#: while a reconnect attempt waits out the link's backoff on the clock.
RADIO_WAIT_S = 0.5
#: At most this many resumes by the person on their own (a fault that keeps stopping the belt
#: would otherwise be resumed forever).
MAX_AUTO_RESUMES = 6


class _LogCatcher(logging.Handler):
    """Errors and tracebacks the engine logged (it logs what it swallows to keep control)."""

    def __init__(self, trace: Trace, clock_now: Any) -> None:
        super().__init__(level=logging.ERROR)
        self.trace = trace
        self.now = clock_now

    def emit(self, record: logging.LogRecord) -> None:
        text = f"logged at t={self.now():g}: {record.name}: {record.getMessage()}"
        if record.exc_info and record.exc_info[1] is not None:
            text += "\n" + "".join(traceback.format_exception(*record.exc_info))
        self.trace.errors.append(text)


def run_case(case: Case) -> Trace:
    """Run ``case`` in a fresh event loop on virtual time and return what it recorded."""
    trace = Trace(case, case.limits, TreadmillSpec())
    began = time.perf_counter()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(
            lambda _, ctx: trace.errors.append(
                f"swallowed by the loop: {ctx.get('message')}: {ctx.get('exception')!r}"
            )
        )
        with tempfile.TemporaryDirectory(prefix="treadctl-fuzz-") as tmp:
            async with core_scenario(
                Path(tmp),
                limits=case.limits,
                resume_possible=case.resume_possible,
                quirks=case.quirks,
            ) as scn:
                driver = Driver(case, scn, trace)
                catcher = _LogCatcher(trace, scn.clock.now)
                root = logging.getLogger()
                root.addHandler(catcher)
                try:
                    await driver.run()
                except Exception:  # noqa: BLE001 - whatever it was, the trace says so
                    trace.errors.append("the driver failed:\n" + traceback.format_exc())
                finally:
                    driver.close()
                    root.removeHandler(catcher)

    try:
        virtual_time.run(main())
    except Exception:  # noqa: BLE001 - a case that cannot even run is a failing case
        trace.errors.append("the case failed to run:\n" + traceback.format_exc())
    trace.real_seconds = time.perf_counter() - began
    return trace


def _as_the_link_sends(spec: TreadmillSpec, d: Deviations) -> TreadmillSpec:
    """The treadmill's spec with the incline grid the link rounds commands to: a coarser step
    (``incline_step_pct``) or the gaps of a level table (``incline_codes``)."""
    grid = max(spec.incline_increment_pct, d.incline_step_pct or 0.0)
    if d.incline_codes is not None:
        levels = sorted(pct for pct, _ in d.incline_codes)
        grid = max([grid, *(b - a for a, b in itertools.pairwise(levels))])
    return dataclasses.replace(spec, incline_increment_pct=grid)


class Driver:
    """Drives one case on a connected core scenario; see the module docstring."""

    def __init__(self, case: Case, scn: CoreScenario, trace: Trace) -> None:
        self.case = case
        self.scn = scn
        self.trace = trace
        self.world: VirtualWorld = scn.world
        deviations = scn.world.treadmill.deviations
        trace.spec = _as_the_link_sends(scn.world.model.spec, deviations)
        if deviations.speed_command_unit == "mph":
            trace.wire_kmh = 0.01 * KMH_PER_MPH + 0.001
        trace.start_keepalive = deviations.start_keepalive_s > 0
        trace.reports_incline = deviations.reports_incline
        self._seq = 0
        self._runners: list[SessionRunner] = []
        self._closed = False
        self._lasting: list[tuple[float, Action]] = []  # (clear at, the fault)
        self._latched_since: float | None = None
        self._auto_resumes = 0
        self._hold_auto = False
        self._finished = False
        self._last_start = -1  # index in trace.actions of the last start-type intent
        self._session_start = 0.0
        self._link_handled = 0  # seq of the last Disconnected waited out
        self._strap_handled = 0
        self._prev_speed = 0.0
        scn.core.add_listener(self._on_event)
        scn.world.treadmill.add_trace_listener(self._on_write)

    def close(self) -> None:
        """Stop recording (the core's shutdown that follows is not part of the case)."""
        self._closed = True

    # -- recording --------------------------------------------------------------------------

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _runner_no(self, runner: SessionRunner | None) -> int | None:
        if runner is None:
            return None
        for i, known in enumerate(self._runners, 1):
            if known is runner:
                return i
        self._runners.append(runner)
        return len(self._runners)

    def _governor_units(self, op: str | None, value: float | None) -> float | None:
        """A written value in the units the governor decided it in (km/h, percent): the wire
        carries mph to a treadmill that reads speeds so, and a level's code to one that takes
        incline codes (``treadctl.devices.deviations``)."""
        d = self.scn.world.treadmill.deviations
        if value is None:
            return None
        if op == "set_target_speed" and d.speed_command_unit == "mph":
            return round(value * KMH_PER_MPH, 4)
        if op == "set_target_inclination" and d.incline_codes is not None:
            code = round(value * 10)
            return next((pct for pct, c in d.incline_codes if c == code), value)
        return value

    def _on_write(self, record: dict[str, Any]) -> None:
        if self._closed or record.get("kind") != "write":
            return
        runner = self.scn.core._runner
        g = runner.governor if runner is not None else None
        self.trace.writes.append(
            WriteRecord(
                t=self.scn.now,
                seq=self._next_seq(),
                op=record["op"],
                value=self._governor_units(record["op"], record["value"]),
                result=record["result"],
                direction=g.direction.value if g is not None else None,
                phase=g.phase.value if g is not None else None,
                commanded_kmh=g.commanded_speed_kmh if g is not None else None,
                runner=self._runner_no(runner),
                commanded_incline_pct=g.commanded_incline_pct if g is not None else None,
            )
        )

    def _on_event(self, event: CoreEvent) -> None:
        if self._closed:
            return
        data: dict[str, Any] = {}
        notice = None
        match event:
            case NoticeRaised(notice=n):
                notice = n.kind.value
                data = dict(n.data)
            case StateChanged(state=state, stop_reason=reason):
                data = {"state": state.value, "reason": reason.value if reason else None}
            case SessionEnded(finished=finished):
                data = {
                    "reason": finished.reason.value,
                    "next_starting": event.next_starting,
                    "closing": event.closing,
                }
            case SessionStarted(info=info):
                data = {"kind": info.kind.name}
            case Disconnected(expected=expected):
                data = {"expected": expected}
            case CommandFailedEvent(command=command, error=error):
                data = {"command": type(command).__name__, "error": error}
            case Message(text=text):
                data = {"text": text}
            case Sample(speed_kmh=speed, incline_pct=incline):
                data = {"speed": speed, "incline": incline}
            case SegmentStarted(planned=planned, target=target):
                data = {
                    "index": planned.index,
                    "rest": planned.segment.rest,
                    "direction": target.direction.value,
                    "speed": target.speed_kmh,
                }
            case ManualTargetChanged(target=target):
                data = {
                    "speed": target.speed_kmh,
                    "incline": target.incline_pct,
                    "direction": target.direction.value,
                }
            case Reconnected() | Reconnecting() | StrapLost() | StrapConnected():
                pass
            case StrapReconnecting():
                pass
            case _:
                return  # progress, countdowns, readings: many, and nothing a rule needs
        kind = "notice" if notice is not None else type(event).__name__
        self.trace.events.append(EventRecord(self.scn.now, self._next_seq(), kind, notice, data))

    def _record_step(self) -> None:
        core = self.scn.core
        model = self.world.model
        if self.scn.now > model.now:
            model.advance_to(self.scn.now)
        belt = model.snapshot()
        runner = core._runner
        g = runner.governor if runner is not None else None
        kind = core.session_kind
        self.trace.steps.append(
            StepRecord(
                t=self.scn.now,
                seq=self._next_seq(),
                speed_kmh=belt.speed_kmh,
                incline_pct=belt.incline_pct,
                state=belt.state.name,
                runner=self._runner_no(runner),
                kind=kind.name if kind is not None else None,
                session_state=core.session_state.value if core.session_state else None,
                phase=g.phase.value if g is not None else None,
                direction=g.direction.value if g is not None else None,
                commanded_kmh=g.commanded_speed_kmh if g is not None else None,
                stop_reason=g.stop_reason.value if g is not None and g.stop_reason else None,
                hr_hold=g.heart_rate_hold if g is not None else False,
                connected=core.is_connected,
            )
        )

    def _act(self, action: Action, note: str = "", *, done: bool = True) -> None:
        self.trace.actions.append(
            ActionRecord(
                self.scn.now, self._next_seq(), action.kind, action.name, action.arg, note, done
            )
        )

    # -- driving ----------------------------------------------------------------------------

    async def tick(self) -> None:
        """One driver step, then what is due: clears, the person's resume, a lost link."""
        self._prev_speed = self.world.model.snapshot().speed_kmh
        await self.scn.step()
        self._record_step()
        await self._clear_due()
        await self._wait_out_drops()
        self._maybe_resume()

    async def run_for(self, seconds: float) -> None:
        for _ in range(math.ceil(seconds / STEP_S - 1e-9)):
            await self.tick()

    async def run(self) -> None:
        case = self.case
        self._record_step()
        await self.run_for(case.idle_before_s)
        self._session_start = self.scn.now
        if case.connect_strap and self.world.strap_address is not None:
            task = self.scn.core.connect_strap(self.world.strap_address)
            if task is not None:
                loop = asyncio.get_running_loop()
                began = loop.time()
                await asyncio.wait_for(task, RECONNECT_WAIT_S)
                self.trace.radio_waits.append((self.scn.now, "strap connect", loop.time() - began))
        start = Action("intent", "start_program" if case.mode == "program" else "start_manual")
        await self.perform(start, case.program_toml)
        steps = list(case.steps)
        while steps:
            step = steps.pop(0)
            if self._over():
                self._act(step.action, f"skipped: the run is over ({step.phase.value})", done=False)
                continue
            if step.phase is Phase.LINK_DOWN:
                self._act(step.action, "skipped: the link was not down", done=False)
                continue
            self._hold_auto = step.phase is Phase.PAUSED
            try:
                reached = await self._wait_phase(step.phase)
                if not reached:
                    self._act(step.action, f"skipped: never {step.phase.value}", done=False)
                    continue
                await self.run_for(step.delay_s)
            finally:
                self._hold_auto = False
            if step.action.name == SimulatedFault.DROP_LINK.value:
                during = steps.pop(0) if steps and steps[0].phase is Phase.LINK_DOWN else None
                await self._drop_link(step, during)
                continue
            await self.perform(step.action)
        # The rest of the session, then the person finishes it.
        while not self._over() and self._busy():
            await self.tick()
        if self.scn.core.session_active:
            await self.perform(Action("intent", "finish_session"))
        deadline = self.scn.now + END_WAIT_S
        while self._busy() and self.scn.now < deadline:
            await self.tick()
        await self.run_for(WATCH_AFTER_S)

    def _busy(self) -> bool:
        """A session runs, or one is being switched to (the old one winding down)."""
        core = self.scn.core
        return core.session_active or (core._runner is None and core.is_connected)

    def _over(self) -> bool:
        return self.scn.now - self._session_start >= self.case.run_cap_s

    async def _wait_phase(self, phase: Phase) -> bool:
        since = len(self.trace.actions)
        # A program comes to its turns and rests when it comes to them: wait for those until
        # the run is over; anything else comes soon or not at all.
        structural = phase in (Phase.TURNAROUND, Phase.HOLD, Phase.REST)
        wait = self.case.run_cap_s if structural else PHASE_WAIT_S
        if phase is Phase.RAMP:
            wait = RAMP_WAIT_S  # a program ramps at its next segment: within a minute or so
        deadline = self.scn.now + wait
        idle_since: float | None = None
        while not self._reached(phase, since):
            if self.scn.now >= deadline or self._over():
                return False
            if phase not in (Phase.ANY, Phase.START, Phase.RESUMED):
                # No session (it ended, and none is being started): the phase cannot come.
                if self.scn.core.session_active:
                    idle_since = None
                elif idle_since is None:
                    idle_since = self.scn.now
                elif self.scn.now - idle_since >= NO_SESSION_S:
                    return False
            await self.tick()
        return True

    def _reached(self, phase: Phase, since: int) -> bool:
        """Whether ``phase`` holds now; ``since``: the number of actions when the wait began."""
        core = self.scn.core
        runner = core._runner
        active = core.session_active and runner is not None
        belt = self.world.model.snapshot()
        if phase is Phase.ANY:
            return True
        if phase is Phase.START:
            return core.session_active  # the session exists (its start is a task)
        if phase is Phase.RESUMED:
            # A start or resume was the last thing done, or came while waiting.
            return self._last_start >= since - 1 and self._last_start >= 0
        if not active or runner is None:
            return False
        g = runner.governor
        if phase is Phase.RAMP:
            cap = g.limits.max_speed(g.direction)
            return (
                g.phase is GovernorPhase.RUNNING
                and g.commanded_speed_kmh < min(g.target.speed_kmh, cap) - 0.05
                and belt.state is MachineState.RUNNING
                and belt.speed_kmh > self._prev_speed + 1e-6
            )
        if phase is Phase.TURNAROUND:
            return g.phase is GovernorPhase.TURNAROUND
        if phase is Phase.HOLD:
            slow = g.limits.turnaround_speed_kmh + 0.05
            return g.phase is GovernorPhase.TURNAROUND and belt.speed_kmh <= slow
        if phase is Phase.REST:
            return core.session_state is SessionState.RESTING
        if phase is Phase.PAUSED:
            return core.session_state is SessionState.STOPPED
        return False  # pragma: no cover - LINK_DOWN is handled by the caller

    # -- the person -------------------------------------------------------------------------

    def _maybe_resume(self) -> None:
        """The person resumes a latched session after a while, if they do (not headless)."""
        core = self.scn.core
        case = self.case
        if core.session_active and core.session_state is SessionState.STOPPED:
            if self._latched_since is None:
                self._latched_since = self.scn.now
        else:
            self._latched_since = None
            return
        if not (case.auto_resume and case.resume_possible) or self._hold_auto:
            return
        runner = core._runner
        if runner is not None and runner.governor.stop_reason is StopReason.PROGRAM_END:
            return  # "Program complete": the person does not resume a finished program
        if self._auto_resumes >= MAX_AUTO_RESUMES or self._finished:
            return
        if self.scn.now - self._latched_since < case.resume_delay_s:
            return
        if not self.world.model.safety_key_in:
            # The person puts the key back before pressing Resume.
            self.world.treadmill.insert_safety_key()
            self._lasting = [(t, a) for t, a in self._lasting if a.name != "safety-key"]
            self._act(Action("clear", "safety-key"), "auto")
        self._auto_resumes += 1
        self._latched_since = None
        self._do_intent(Action("intent", "resume"), None, note="auto")

    # -- actions ----------------------------------------------------------------------------

    async def perform(self, action: Action, program: str | None = None) -> None:
        if action.kind == "intent":
            self._do_intent(action, program)
            return
        await self._do_fault(action)

    def _do_intent(self, action: Action, program: str | None, note: str = "") -> None:
        core = self.scn.core
        name = action.name
        if not core.is_connected:
            note = (note + " " if note else "") + "link down"
        self._act(action, note.strip())
        if name in START_INTENTS:
            self._last_start = len(self.trace.actions) - 1
        if name in ("start_program", "start_manual", "finish_session"):
            # Someone who finished a session does not resume it (until they start another).
            self._finished = name == "finish_session"
        match name:
            case "start_program":
                text = action.arg if isinstance(action.arg, str) else program
                assert text is not None
                core.start_program(parse_program(text, source=f"seed {self.case.seed}"))
            case "start_manual":
                core.start_manual()
            case "extend":
                assert isinstance(action.arg, int | float)
                core.extend(float(action.arg))
            case "manual_speed" | "manual_incline":
                assert isinstance(action.arg, int | float)
                getattr(core, name)(int(action.arg))
            case _:
                getattr(core, name)()

    async def _do_fault(self, action: Action) -> None:
        treadmill = self.world.treadmill
        faults = treadmill.faults
        note = ""
        name = action.name
        if name in {f.value for f in SimulatedFault}:
            result = await trigger(self.world, SimulatedFault(name))
            if result.name != "SUCCESS":
                note = f"answered {result.name.lower()}"
        elif name == "ignore":
            assert isinstance(action.arg, int)
            faults.ignore_commands(count=action.arg)
        elif name == "answer-delay":
            assert isinstance(action.arg, int | float)
            faults.answer_delay(float(action.arg))
        elif name == "truncated":
            faults.truncated_records = True
        elif name == "reserved-bit":
            faults.reserved_bit_records = True
        elif name == "hr-high":
            assert isinstance(action.arg, int)
            treadmill.heart_rate_bpm = action.arg
        elif name == "console-speed":
            assert isinstance(action.arg, int | float)
            note = treadmill.console_set_speed(float(action.arg)).name.lower()
        elif name == "console-incline":
            assert isinstance(action.arg, int | float)
            note = treadmill.console_set_incline(float(action.arg)).name.lower()
        elif name == "console-start":
            note = treadmill.console_start().name.lower()
        else:  # pragma: no cover - a generator/driver mismatch
            raise ValueError(f"unknown fault {name}")
        self._act(action, "" if note == "success" else note)
        if action.lasting_s is not None:
            self._lasting.append((self.scn.now + action.lasting_s, action))
        if name == SimulatedFault.DROP_STRAP.value:
            await self._wait_strap()

    async def _clear_due(self) -> None:
        due = [(t, a) for t, a in self._lasting if t <= self.scn.now + 1e-9]
        if not due:
            return
        self._lasting = [(t, a) for t, a in self._lasting if t > self.scn.now + 1e-9]
        for _, action in due:
            await self._clear(action)

    async def _clear(self, action: Action) -> None:
        treadmill = self.world.treadmill
        faults = treadmill.faults
        name = action.name
        note = ""
        match name:
            case "safety-key":
                note = treadmill.insert_safety_key().name.lower()
            case "silence" | "malformed" | "refuse" | "refuse-all":
                await clear(self.world, SimulatedFault(name))
            case "answer-delay":
                faults.answer_delay(0.0)
            case "truncated":
                faults.truncated_records = False
            case "reserved-bit":
                faults.reserved_bit_records = False
            case "hr-high":
                treadmill.heart_rate_bpm = None
        self._act(Action("clear", name), "" if note in ("", "success") else note)

    # -- the radio --------------------------------------------------------------------------

    async def _drop_link(self, step: Step, during: Step | None) -> None:
        await self._do_fault(step.action)
        await self.scn.clock.settle()  # the app hears of it; no time passes
        if during is not None:
            await self.perform(during.action)
        await self._wait_out_drops()

    async def _wait_out_drops(self) -> None:
        """Wait (the loop's time; the clock stands still) for a dropped link to come back."""
        drops = [
            e
            for e in self.trace.events
            if e.kind == "Disconnected" and not e.data["expected"] and e.seq > self._link_handled
        ]
        if not drops:
            return
        self._link_handled = drops[-1].seq
        await self._wait_for("Reconnected", "Reconnecting", after=drops[-1].seq, what="reconnect")

    async def _wait_strap(self) -> None:
        await self.scn.clock.settle()
        lost = [
            e for e in self.trace.events if e.kind == "StrapLost" and e.seq > self._strap_handled
        ]
        if not lost:
            return
        self._strap_handled = lost[-1].seq
        await self._wait_for(
            "StrapConnected", "StrapReconnecting", after=lost[-1].seq, what="strap reconnect"
        )

    async def _wait_for(self, done: str, retrying: str, *, after: int, what: str) -> None:
        """Wait on the loop's time (the radio's) for a ``done`` event after ``after``; once the
        link says it is ``retrying``, or for a treadmill whose setup the link writes on the
        clock, step the clock between waits (its backoff, its setup sleep on it)."""
        loop = asyncio.get_running_loop()
        began = loop.time()
        events = self.scn.events
        stepped = 0
        while not any(e.kind == done and e.seq > after for e in self.trace.events):
            # The radio's own time: the waits that ended in a clock step were the clock's.
            if loop.time() - began - stepped * RADIO_WAIT_S > RECONNECT_WAIT_S:
                self.trace.errors.append(
                    f"the {what} did not happen within {RECONNECT_WAIT_S} s of the loop's time"
                )
                return
            events.changed.clear()
            try:
                await asyncio.wait_for(events.changed.wait(), RADIO_WAIT_S)
            except TimeoutError:
                # The link waits on the clock once it retries (its backoff), or while it
                # writes a setup on it (a Life Fitness console, after every reconnect).
                on_clock = self.world.treadmill.deviations.life_fitness_setup and done == (
                    "Reconnected"
                )
                if on_clock or any(e.kind == retrying and e.seq > after for e in self.trace.events):
                    stepped += 1
                    await self.scn.step()
                    self._record_step()
        note = what + (f", {stepped} clock steps" if stepped else "")
        self.trace.radio_waits.append((self.scn.now, note, loop.time() - began))
