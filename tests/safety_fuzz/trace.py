"""What one fuzz case recorded: the measured belt, the governor, every write, event and action.

Shape::

    Trace(case, limits, spec, data_rate_hz, tick_s, command_timeout_s)
     ├── steps: [StepRecord]     after every driver step: the model's belt (what the person
     │                           stands on) and the current runner's governor (facing, phase,
     │                           commanded speed, stop reason, heart-rate hold)
     ├── writes: [WriteRecord]   every Control Point write the treadmill received, its result,
     │                           and the governor's facing at that instant
     ├── events: [EventRecord]   every core event (notices by kind), with its clock time
     ├── actions: [ActionRecord] every fault and intent the driver did (or skipped), and why
     ├── errors: [str]           exceptions the loop swallowed, tracebacks that were logged,
     │                           the driver's own failure
     └── radio_waits: [...]      (t, what, loop seconds) of each wait on the radio (a strap's
                                 connect, a reconnect): on the loop's virtual time

Every record carries ``t`` (clock seconds) and ``seq``, one counter for all four lists, so the
checker can order a write, an event and an action that share an instant. Records are plain
frozen dataclasses of plain values: a checker test builds (or doctors) them by hand.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from tests.safety_fuzz.generator import Case
from treadctl.limits import Limits
from treadctl.virtual.treadmill import TreadmillSpec

__all__ = ["ActionRecord", "EventRecord", "StepRecord", "Trace", "WriteRecord"]

_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


@dataclass(frozen=True, slots=True)
class StepRecord:
    t: float
    seq: int
    #: The model's belt (``world.model.snapshot()``, brought to the clock's time).
    speed_kmh: float
    incline_pct: float
    state: str  # MachineState name: "STOPPED" | "RUNNING" | "PAUSED"
    #: The current runner (None: no runner, e.g. while disconnected), numbered from 1.
    runner: int | None = None
    kind: str | None = None  # SessionKind name: IDLE | PROGRAM | MANUAL
    session_state: str | None = None
    phase: str | None = None  # governor Phase value
    direction: str | None = None  # the way the person faces, as the governor acts on it
    commanded_kmh: float | None = None
    stop_reason: str | None = None
    hr_hold: bool = False
    connected: bool = True


@dataclass(frozen=True, slots=True)
class WriteRecord:
    t: float
    seq: int
    op: str | None  # request_control, set_target_speed, start_or_resume, stop, pause, ...
    value: float | None
    result: str  # "success", "ignored", "operation_failed", ...
    direction: str | None = None  # the current runner's facing when the write arrived
    phase: str | None = None
    #: The current runner's governor's commanded speed when the write arrived (what it wants
    #: the belt to do now), that runner's number, and its commanded incline.
    commanded_kmh: float | None = None
    runner: int | None = None
    #: That governor's commanded incline (None: none commanded yet).
    commanded_incline_pct: float | None = None


@dataclass(frozen=True, slots=True)
class EventRecord:
    t: float
    seq: int
    kind: str  # the event class name; NoticeRaised as "notice"
    notice: str | None = None  # NoticeKind value for notices
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ActionRecord:
    t: float
    seq: int
    kind: str  # "intent" | "fault" | "clear"
    name: str
    arg: float | int | str | None = None
    note: str = ""  # "auto" (the person's own resume), "skipped: ...", the treadmill's answer
    done: bool = True


@dataclass
class Trace:
    case: Case | None
    limits: Limits
    spec: TreadmillSpec
    data_rate_hz: float = 2.0
    tick_s: float = 0.25
    command_timeout_s: float = 2.0
    #: The resolution of speeds on the wire, in km/h, plus a little (the model is exact:
    #: values within this of a bound are at it): 0.01 km/h, or 0.01 mph
    #: for a treadmill that reads speeds in mph (the link floors each to it).
    wire_kmh: float = 0.011
    #: Whether the treadmill needs Start again and again while it runs (``start_keepalive_s``).
    start_keepalive: bool = False
    #: Whether the treadmill reports its deck (``reports_incline``): one that does not cannot
    #: be seen to be raised at its console.
    reports_incline: bool = True
    steps: list[StepRecord] = field(default_factory=list)
    writes: list[WriteRecord] = field(default_factory=list)
    events: list[EventRecord] = field(default_factory=list)
    actions: list[ActionRecord] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    radio_waits: list[tuple[float, str, float]] = field(default_factory=list)
    #: Real seconds the case took to run (a figure, not part of the trace's digest).
    real_seconds: float = 0.0

    # -- reading ----------------------------------------------------------------------------

    def notices(self, kind: str) -> list[EventRecord]:
        return [e for e in self.events if e.kind == "notice" and e.notice == kind]

    def of(self, kind: str) -> list[EventRecord]:
        return [e for e in self.events if e.kind == kind]

    def done_actions(self) -> list[ActionRecord]:
        return [a for a in self.actions if a.done]

    def step_at(self, t: float) -> StepRecord | None:
        """The last step at or before ``t``."""
        found = None
        for s in self.steps:
            if s.t > t + 1e-9:
                break
            found = s
        return found

    @property
    def end_t(self) -> float:
        return self.steps[-1].t if self.steps else 0.0

    def digest(self) -> str:
        """A hash of everything recorded in virtual time (two runs of a seed compare)."""
        h = hashlib.sha256()
        for records in (self.steps, self.writes, self.events, self.actions, self.radio_waits):
            for r in records:
                h.update(repr(r).encode())
        for error in self.errors:
            # An object's address in a logged message differs from run to run.
            h.update(_ADDRESS.sub("", error).encode())
        return h.hexdigest()[:16]

    def summary(self) -> str:
        """A few lines: what happened, in counts and milestones."""
        ops = Counter(w.op for w in self.writes)
        notices = Counter(e.notice for e in self.events if e.kind == "notice")
        top = max((s.speed_kmh for s in self.steps), default=0.0)
        ends = [f"{e.data.get('reason')} at {e.t:g} s" for e in self.of("SessionEnded")]
        done = [a for a in self.actions if a.done]
        lines = [
            f"{len(self.steps)} steps to t={self.end_t:g} s, belt at most {top:.2f} km/h; "
            f"{self.real_seconds:.2f} s real",
            "writes: " + ", ".join(f"{op} {n}" for op, n in sorted(ops.items(), key=str)),
            "notices: " + ", ".join(f"{k} {n}" for k, n in sorted(notices.items(), key=str)),
            "sessions ended: " + ("; ".join(ends) or "none"),
            "actions:",
        ]
        lines += [
            f"  t={a.t:g} {a.kind} {a.name}"
            + (f"({a.arg:g})" if isinstance(a.arg, int | float) else "")
            + (f" [{a.note}]" if a.note else "")
            for a in self.actions
            if a.done or a.note
        ]
        if len(done) != len(self.actions):
            lines.append(f"  ({len(self.actions) - len(done)} not done)")
        if self.radio_waits:
            lines.append(
                "radio waits: "
                + ", ".join(
                    f"{what} at t={t:g} ({s:.3f} s of the loop)" for t, what, s in self.radio_waits
                )
            )
        if self.errors:
            lines.append("errors: " + " | ".join(e.splitlines()[0] for e in self.errors))
        return "\n".join(lines)
