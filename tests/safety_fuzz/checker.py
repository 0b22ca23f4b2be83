"""The rules every fuzz trace is checked against: docs/safety.md and treadctl/safety.py's
module doc, on the belt the treadmill measured and on what was commanded.

Shape::

    check(trace) -> [Violation]        every rule in RULES, in order; [] is a pass
    RULES: {name: rule}                 rule(trace) -> [Violation]; its docstring says the rule
    Violation(rule, t, message)         one broken rule, where, and what the trace shows
    KNOWN_FINDINGS                      bugs the fuzzer found in treadctl/ that are not fixed
                                        yet: (name, predicate over a Violation)

"Measured" is the virtual treadmill's model after every driver step (``StepRecord``): the
belt the person stands on. "Commanded" is what reached the treadmill (``WriteRecord``), with
the governor's facing at that instant. Where a rule needs a time bound, it is derived from
the virtual treadmill's spec (``TreadmillSpec``: a belt slows at ``decel_kmh_per_s``, at
``safety_decel_kmh_per_s`` after the safety key) and the governor's own constants, plus the
slack of how the trace is sampled, each named below with its reason; nothing is a guess.

Sampling slack: the driver notes the belt every ``STEP_S`` (0.25 s); the treadmill sends a
record every ``1 / data_rate_hz`` (0.5 s); the runner ticks every ``tick_s`` (0.25 s). A
reaction to something the app learns from a record therefore starts at most one record
period plus one tick after it happened, and is seen at most one driver step after that.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.helpers.session import STEP_S
from tests.safety_fuzz.generator import START_INTENTS, STOP_INTENTS
from tests.safety_fuzz.trace import StepRecord, Trace, WriteRecord
from treadctl.limits import Direction
from treadctl.safety import (
    DECK_TOLERANCE_PCT,
    OVERSPEED_MARGIN_KMH,
    SPEED_TOLERANCE_KMH,
    STEP_INTERVAL_S,
    STILL_KMH,
    STOP_CONFIRM_S,
    STOP_RESENDS,
    STOP_RETRY_GAP_S,
)
from treadctl.session.runner import STOP_WAIT_S

__all__ = ["KNOWN_FINDINGS", "RULES", "Violation", "check", "known_finding"]

#: The governor reads records: speeds in 0.01 km/h, inclines in 0.1 % steps (rounded). The
#: model's exact value may be half a step beyond what the governor read.
HALF_SPEED_STEP = 0.005
HALF_DECK_STEP = 0.05
#: A belt the governor reads as still (its records are rounded to 0.01 km/h).
STILL = STILL_KMH + HALF_SPEED_STEP
#: Float noise in the model's own arithmetic (a belt that holds still does not "speed up").
MODEL_EPS = 1e-6


@dataclass(frozen=True, slots=True)
class Violation:
    rule: str
    t: float
    message: str
    #: What a known finding's predicate needs to recognise it (numbers, the cause).
    data: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"[{self.rule}] t={self.t:g}: {self.message}"


Rule = Callable[[Trace], list[Violation]]
RULES: dict[str, Rule] = {}


def rule(name: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        RULES[name] = fn
        return fn

    return register


def check(trace: Trace) -> list[Violation]:
    """Every rule's violations, rule by rule (each rule reports its first few)."""
    found: list[Violation] = []
    for fn in RULES.values():
        found += fn(trace)[:5]
    return found


# --- reading the trace -------------------------------------------------------------------------


def _slack(trace: Trace) -> float:
    """How late a reaction to a measured change can be seen: a record period (the app learns
    from records), a runner tick (it may act on the next tick) and a driver step (the belt is
    noted every step)."""
    return 1.0 / trace.data_rate_hz + trace.tick_s + STEP_S


def _authorizations(trace: Trace) -> list[tuple[int, float, str]]:
    """(seq, t, what) of every cause a belt may start from: the person's Start, Resume or new
    session in the app, or a Start pressed at the treadmill's console."""
    out = []
    for a in trace.done_actions():
        # A console action the treadmill refused (its answer noted) did nothing.
        if (a.kind == "intent" and a.name in START_INTENTS) or (
            a.kind == "fault" and a.name == "console-start" and not a.note
        ):
            out.append((a.seq, a.t, f"{a.kind} {a.name}"))
    return out


_STOPPING_FAULTS = frozenset({"console-stop", "console-pause", "safety-key"})


def _stop_causes(trace: Trace) -> list[tuple[int, float, str]]:
    """(seq, t, what) of everything after which the belt must stop and stay stopped until a
    start is authorized: a stop, pause or E-stop intent or finishing a session; a console stop
    or pause, the safety key; the app latching for any reason (its "stopped" notice: a
    watchdog, a failed command, a rest, the program's end...); a Start the governor refused
    ("resume_required"); a link back after a loss (its first command is a stop). A console
    action the treadmill refused (a pause while paused: its answer is noted) did nothing."""
    out = []
    for a in trace.done_actions():
        if (a.kind == "intent" and a.name in STOP_INTENTS) or (
            a.kind == "fault" and a.name in _STOPPING_FAULTS and not a.note
        ):
            out.append((a.seq, a.t, f"{a.kind} {a.name}"))
    for e in trace.events:
        if e.kind == "notice" and e.notice in ("stopped", "resume_required"):
            out.append((e.seq, e.t, f"notice {e.notice} ({e.data.get('reason', '')})"))
        elif e.kind == "Reconnected":
            out.append((e.seq, e.t, "link back"))
    return sorted(out)


def _speed_at(trace: Trace, t: float) -> float:
    step = trace.step_at(t)
    return step.speed_kmh if step is not None else 0.0


def _intervals(trace: Trace, names: Iterable[str]) -> list[tuple[float, float, str]]:
    """(from, to, name) of lasting faults named ``names``: from the fault to its clear (the
    refusal knob is shared: clearing refuse or refuse-all ends both)."""
    wanted = set(names)
    out = []
    actions = trace.done_actions()
    for i, a in enumerate(actions):
        if a.kind != "fault" or a.name not in wanted:
            continue
        same = {a.name}
        if a.name in ("refuse", "refuse-all"):
            same = {"refuse", "refuse-all"}
        end = math.inf
        for b in actions[i + 1 :]:
            if b.kind == "clear" and b.name in same:
                end = b.t
                break
        out.append((a.t, end, a.name))
    return out


def _command_fault_windows(trace: Trace) -> list[tuple[float, float, str]]:
    """When the treadmill may not carry out or answer a stop at once: refusing everything, late
    answers, ignored writes (until the last one it ignored, plus the link's command timeout
    that reports it), control taken away or refused (until the link has it again)."""
    windows = _intervals(trace, ("refuse-all", "answer-delay"))
    writes = trace.writes
    for a in trace.done_actions():
        if a.kind != "fault":
            continue
        if a.name in ("ignore", "no-answer"):
            count = int(a.arg) if isinstance(a.arg, int | float) else 1
            ignored = [w for w in writes if w.seq > a.seq and w.result == "ignored"][:count]
            end = ignored[-1].t if len(ignored) == count else math.inf
            windows.append((a.t, end + trace.command_timeout_s, a.name))
        elif a.name == "lose-control":
            back = [
                w.t
                for w in writes
                if w.seq > a.seq and w.op == "request_control" and w.result == "success"
            ]
            windows.append((a.t, (back[0] if back else math.inf), a.name))
    # The treadmill refusing control (a device that grants it only at the nth request of a
    # connection, as after a reconnect: seed 61214): no stop can be written until it grants
    # it, from the first refusal until the next grant.
    refused_since: float | None = None
    for w in writes:
        if w.op != "request_control":
            continue
        if w.result == "control_not_permitted" and refused_since is None:
            refused_since = w.t
        elif w.result == "success" and refused_since is not None:
            windows.append((refused_since, w.t, "control refused"))
            refused_since = None
    if refused_since is not None:
        windows.append((refused_since, math.inf, "control refused"))
    return windows


def _overlaps(windows: list[tuple[float, float, str]], t0: float, t1: float) -> bool:
    return any(a <= t1 and b >= t0 for a, b, _ in windows)


def _console_speed_windows(trace: Trace) -> list[tuple[float, float, str]]:
    """A speed set (or a start) at the console, someone at the treadmill: from the key press
    until the governor can have brought the belt back — the belt rising to the console's speed
    at the spec's rate (it crosses the cap on the way), one record and a tick to see it
    (``_slack``), then the belt slowing from there at the spec's rate."""
    out = []
    spec = trace.spec
    for a in trace.done_actions():
        if a.kind == "fault" and a.name in ("console-speed", "console-start"):
            top = float(a.arg) if isinstance(a.arg, int | float) else spec.min_speed_kmh
            rise = top / spec.accel_kmh_per_s
            out.append((a.t, a.t + rise + _slack(trace) + top / spec.decel_kmh_per_s, a.name))
    return out


def _console_deck_windows(trace: Trace) -> list[tuple[float, float, str]]:
    """A deck raised at the console: from the key press until the governor can have brought it
    back — it sees the deck above the cap (and rising) one record and a tick late
    (``_slack``), the deck meanwhile rising at its rate, then coming down at the same rate."""
    out = []
    rate = trace.spec.incline_rate_pct_per_s
    for a in trace.done_actions():
        if a.kind == "fault" and a.name == "console-incline" and isinstance(a.arg, int | float):
            out.append((a.t, a.t + 2 * (_slack(trace) + abs(float(a.arg)) / rate), a.name))
    return out


def _link_down_at(trace: Trace, t: float) -> bool:
    down = False
    for e in trace.events:
        if e.t > t + 1e-9:
            break
        if e.kind == "Disconnected" and not e.data.get("expected"):
            down = True
        elif e.kind in ("Reconnected", "Connected"):
            down = False
    return down


def _app_writes(trace: Trace) -> list[WriteRecord]:
    """What the app wrote to move or halt the belt: not Request Control, and not the repeated
    Start a keep-alive treadmill needs (``start_keepalive_s``: a Start again with no stop or
    pause since the last Start, while the belt runs), which starts nothing."""
    out = []
    last_halt_or_start: str | None = None
    for w in trace.writes:
        if w.op == "request_control":
            continue
        if w.op in ("start_or_resume", "stop", "pause"):
            again = w.op == "start_or_resume" and last_halt_or_start == "start_or_resume"
            last_halt_or_start = w.op
            if again and trace.start_keepalive and _speed_at(trace, w.t) > STILL:
                continue
        out.append(w)
    return out


# --- the rules ---------------------------------------------------------------------------------


@rule("no-start-without-intent")
def no_start_without_intent(trace: Trace) -> list[Violation]:
    """After any stop, nothing moves the belt but a user Start/Resume (or a new session, or
    Start at the console). Commanded: after any stop cause, until one, no start reaches the
    treadmill and no speed above the last one sent before the stop. Measured: once the belt
    has stopped (it left RUNNING: the treadmill carried out a stop, a pause, its console's stop
    or the safety key), until one, it never runs again and never speeds up. (Between a stop
    the app sends and the treadmill carrying it out, the belt still follows its last command:
    a late or refused stop is `stop-reaches-belt`'s business.)

    A new session is allowed its start once it exists (``SessionStarted``): the stops of the
    session it replaces (its latch, its belt stopping) come before that and do not take the
    permission back; the person's own Stop, Pause or E-stop in the app in between does (they
    are allowed in every phase, and the app knows their order).
    """
    person = {
        a.seq
        for a in trace.done_actions()
        if a.kind == "intent" and a.name in ("stop", "estop", "pause")
    }
    timeline: list[tuple[int, str, object]] = []
    for seq, _, what in _authorizations(trace):
        new = what.endswith(("start_program", "start_manual"))
        timeline.append((seq, "new" if new else "allow", what))
    timeline += [(e.seq, "session", e) for e in trace.of("SessionStarted")]
    timeline += [(seq, "stop", what) for seq, _, what in _stop_causes(trace)]
    timeline += [(w.seq, "write", w) for w in trace.writes]
    timeline += [(s.seq, "step", s) for s in trace.steps]
    timeline.sort(key=lambda x: x[0])
    out: list[Violation] = []
    latched, why = True, "the session's beginning"  # commanded: a stop cause since a start
    halted = True  # measured: the belt stopped since a start
    pending = 0  # new sessions asked for and not begun yet (two in one instant: both)
    last_speed = 0.0  # the last speed sent
    last_stop: WriteRecord | None = None  # the last stop or pause the treadmill carried out
    prev: StepRecord | None = None
    cause_t = {seq: t for seq, t, _ in _stop_causes(trace)}
    unknown_at: float | None = None  # a stop at the treadmill the app has not heard of yet
    for seq, kind, item in timeline:
        if kind == "allow":
            latched = halted = False
        elif kind == "new":
            pending += 1
        elif kind == "session":
            if pending:
                pending -= 1
                latched = halted = False
        elif kind == "stop":
            latched, why = True, str(item)
            if seq in person:
                pending = 0
            # A stop made at the treadmill (its console, the key) is known to the app only
            # once it says so ("notice stopped"): what it wrote before then (within the slack
            # of hearing of it) was decided before anyone could know.
            unknown_at = cause_t.get(seq) if str(item).startswith("fault ") else None
        elif kind == "write":
            assert isinstance(item, WriteRecord)
            if item.op in ("stop", "pause") and item.result == "success":
                last_stop = item
            if item.op == "start_or_resume" and item.result == "success" and latched:
                out.append(
                    Violation(
                        "no-start-without-intent",
                        item.t,
                        f"a start reached the treadmill after {why}, with no Start since",
                        {"cause": why},
                    )
                )
            # (A FitShow module tells the key on its status packets only, a record period
            # later at most: within the slack, and only until the app says it stopped.)
            in_flight = unknown_at is not None and item.t <= unknown_at + _slack(trace)
            if item.op == "set_target_speed" and item.result == "success" and item.value:
                if latched and not in_flight and item.value > last_speed + trace.wire_kmh:
                    out.append(
                        Violation(
                            "no-start-without-intent",
                            item.t,
                            f"speed raised {last_speed:g} → {item.value:g} km/h after {why}, "
                            "with no Start since",
                            {"cause": why},
                        )
                    )
                last_speed = item.value
        else:
            assert isinstance(item, StepRecord)
            if prev is not None and halted:
                if item.state == "RUNNING" and prev.state != "RUNNING":
                    out.append(
                        Violation(
                            "no-start-without-intent",
                            item.t,
                            f"the belt started ({prev.state} → RUNNING) after {why}, "
                            "with no Start since",
                            {"cause": why},
                        )
                    )
                elif item.speed_kmh > prev.speed_kmh + MODEL_EPS:
                    out.append(
                        Violation(
                            "no-start-without-intent",
                            item.t,
                            f"the belt sped up {prev.speed_kmh:.3f} → {item.speed_kmh:.3f} km/h "
                            f"after it stopped ({why}), with no Start since",
                            {"cause": why},
                        )
                    )
            stale_stop = (
                last_stop is not None
                and last_stop.phase in ("running", "turnaround")
                and prev is not None
                and last_stop.seq > prev.seq
            )
            # A stop that reached the treadmill while the governor runs again was decided
            # before the person's Start (a stop queued behind a slow answer): it does not take
            # that Start back.
            left = item.state != "RUNNING" and (prev is None or prev.state == "RUNNING")
            if left and not stale_stop:
                halted = latched = True
                if prev is not None:
                    why = f"the belt stopping ({item.state})"
            prev = item
    return out


@rule("slow-start")
def slow_start(trace: Trace) -> list[Violation]:
    """The first speed sent after a start is at most the start speed: every speed sent as
    part of a start (before it, since the Start it answers and the last stop, pause or start
    written, and the first after it); and the measured belt, in the first second after it,
    never above the start speed (or above where it was: a belt still coasting down from a
    pause), unless someone set a speed at the console meanwhile."""
    out: list[Violation] = []
    # The treadmill cannot go slower than its minimum: the link asks for that at least.
    start_cap = max(trace.limits.start_speed_kmh, trace.spec.min_speed_kmh) + trace.wire_kmh
    writes = _app_writes(trace)
    allowed = [seq for seq, _, _ in _authorizations(trace)]
    console = _console_speed_windows(trace)
    for i, w in enumerate(writes):
        if w.op != "start_or_resume" or w.result != "success":
            continue
        since = max((seq for seq in allowed if seq < w.seq), default=-1)
        sent: list[WriteRecord] = []
        for before in reversed(writes[:i]):
            if before.op in ("stop", "pause", "start_or_resume") or before.seq < since:
                break
            if before.op == "set_target_speed":
                sent.append(before)
        after = [x for x in writes[i + 1 :] if x.op == "set_target_speed"][:1]
        for x in sent + after:
            if x.value is not None and x.value > start_cap:
                out.append(
                    Violation(
                        "slow-start",
                        x.t,
                        f"{x.value:g} km/h sent with the start at t={w.t:g} (start speed "
                        f"{trace.limits.start_speed_kmh:g})",
                    )
                )
        at_start = _speed_at(trace, w.t)
        if _overlaps(console, w.t, w.t + 1.0):
            continue  # someone at the console set a speed: the belt follows them, not the app
        for s in trace.steps:
            if w.t < s.t <= w.t + 1.0 and s.speed_kmh > max(start_cap, at_start + MODEL_EPS):
                out.append(
                    Violation(
                        "slow-start",
                        s.t,
                        f"the belt at {s.speed_kmh:.2f} km/h within 1 s of the start at t={w.t:g}",
                    )
                )
                break
    return out


def _direction(name: str | None) -> Direction:
    return Direction(name) if name is not None else Direction.FORWARD


@rule("commanded-caps")
def commanded_caps(trace: Trace) -> list[Violation]:
    """Commanded speed ≤ the cap of the way the person faces; commanded incline within the
    limits and the facing direction's cap, in every phase (a turnaround only ever brings the
    deck down, to the new direction's cap, before the flip)."""
    out: list[Violation] = []
    lim = trace.limits
    for w in trace.writes:
        if w.value is None:
            continue
        facing = _direction(w.direction)
        if w.op == "set_target_speed" and w.value > lim.max_speed(facing) + trace.wire_kmh:
            out.append(
                Violation(
                    "commanded-caps",
                    w.t,
                    f"{w.value:g} km/h sent facing {facing.value} (cap {lim.max_speed(facing):g})",
                )
            )
        if w.op == "set_target_inclination":
            cap = lim.max_incline(facing)
            if not (lim.min_incline_pct - 1e-6 <= w.value <= cap + 1e-6):
                out.append(
                    Violation(
                        "commanded-caps",
                        w.t,
                        f"incline {w.value:g} % sent facing {facing.value} in phase {w.phase} "
                        f"(allowed {lim.min_incline_pct:g}..{cap:g})",
                    )
                )
    return out


@rule("ramp-rate")
def ramp_rate(trace: Trace) -> list[Violation]:
    """A commanded speed increase is at most one second of the facing direction's acceleration
    (or one step of a coarser speed grid) and comes no sooner than it allows: never faster than
    the acceleration on the wire. Measured: over any 4-12 s, the belt gains at most that rate
    times the span, plus what a command may lead the belt by (a start speed and two steps)."""
    out: list[Violation] = []
    lim = trace.limits
    grid = trace.spec.speed_increment_kmh
    last: WriteRecord | None = None
    for w in _app_writes(trace):
        if w.op in ("stop", "pause", "start_or_resume"):
            last = None if w.op != "start_or_resume" else last
            continue
        if w.op != "set_target_speed" or w.result != "success" or w.value is None:
            continue
        if last is not None and last.value is not None and w.value > last.value + trace.wire_kmh:
            accel = lim.accel(_direction(w.direction))
            rise = w.value - last.value
            allowed = max(accel, grid)
            gap = max(1.0, (rise - trace.wire_kmh) / accel)  # each end floored to the wire
            if rise > allowed + trace.wire_kmh:
                out.append(
                    Violation(
                        "ramp-rate",
                        w.t,
                        f"speed step {last.value:g} → {w.value:g} km/h facing {w.direction} "
                        f"(at most {allowed:g})",
                        {"rise": rise, "allowed": allowed, "grid": grid},
                    )
                )
            elif w.t - last.t < gap - 1e-6:
                out.append(
                    Violation(
                        "ramp-rate",
                        w.t,
                        f"speed {last.value:g} → {w.value:g} km/h {w.t - last.t:g} s after the "
                        f"last (at least {gap:g} s)",
                    )
                )
        last = w
    # Measured, over windows without a console speed change (someone at the treadmill).
    console = _console_speed_windows(trace)
    steps = trace.steps
    lead = lim.start_speed_kmh + 2 * max(lim.forward_accel_kmh_per_s, grid)
    for i, s in enumerate(steps):
        accel = lim.accel(_direction(s.direction))
        for later in steps[i + 1 :]:
            span = later.t - s.t
            if span > 12.0 or later.runner != s.runner:
                break
            accel = max(accel, lim.accel(_direction(later.direction)))
            if span < 4.0:
                continue
            gained = later.speed_kmh - s.speed_kmh
            if gained > accel * span + lead + MODEL_EPS and not _overlaps(console, s.t, later.t):
                out.append(
                    Violation(
                        "ramp-rate",
                        later.t,
                        f"the belt gained {gained:.2f} km/h in {span:g} s "
                        f"(at most {accel * span + lead:.2f})",
                    )
                )
                return out
    return out
    return out


@rule("incline-rate")
def incline_rate(trace: Trace) -> list[Violation]:
    """The commanded deck moves at most ``incline_rate`` a second, both ways (a person facing
    the rear feels a sudden tilt either way): two incline commands reaching the treadmill are
    at least a second apart and differ by at most that rate (plus one step of the treadmill's
    incline grid, which the link rounds to). The one exception is a start on a deck above the
    cap of the way the person faces: the belt is measured still, and the deck is brought down
    to the cap in one command before the belt moves (its own motor sets the pace). After a
    deck moved at the console, or after the treadmill stopped (a stop sets its incline target
    to the deck where it stands: a command that never got there is forgotten), a command is
    measured from the deck as it stands (seed 60345: 2.5 % asked before a pause, the deck left
    at 1.4 % by the stop, the next session's first step 1.4 → 0 %)."""
    out: list[Violation] = []
    lim = trace.limits
    step = lim.incline_rate_pct_per_s + trace.spec.incline_increment_pct + 1e-6
    last: WriteRecord | None = None
    for w in _app_writes(trace):
        if w.op != "set_target_inclination" or w.result != "success" or w.value is None:
            continue
        if last is not None and last.value is not None:
            still = _speed_at(trace, w.t) <= STILL
            change = abs(w.value - last.value)
            at = trace.step_at(w.t)
            if at is not None and (
                any(
                    a.kind == "fault" and a.name == "console-incline" and last.t <= a.t <= w.t
                    for a in trace.done_actions()
                )
                or any(s.state == "STOPPED" for s in trace.steps if last.t < s.t <= w.t)
            ):
                # The deck was moved at the console, or the treadmill stopped, since: the
                # command moves it from where it stands (measured), not from the last command.
                change = min(change, abs(w.value - at.incline_pct))
            if not still and change > step:
                out.append(
                    Violation(
                        "incline-rate",
                        w.t,
                        f"incline {last.value:g} → {w.value:g} % in one command (at most "
                        f"{lim.incline_rate_pct_per_s:g} %/s)",
                        {"last_seq": last.seq, "seq": w.seq},
                    )
                )
            elif not still and change > 1e-6 and w.t - last.t < STEP_INTERVAL_S - 1e-6:
                out.append(
                    Violation(
                        "incline-rate",
                        w.t,
                        f"incline {last.value:g} → {w.value:g} % {w.t - last.t:g} s after the "
                        f"last (at least {STEP_INTERVAL_S:g} s apart)",
                    )
                )
        last = w
    return out


def _deck_send_back_unheeded(
    trace: Trace, windows: list[tuple[float, float, str]], t: float
) -> bool:
    """Whether, in the console-deck window around ``t``, an incline command before ``t`` went
    unanswered or was refused."""
    for a, b, _ in windows:
        if a <= t <= b and any(
            w.op == "set_target_inclination" and w.result != "success" and a <= w.t <= t
            for w in trace.writes
        ):
            return True
    return False


@rule("belt-caps")
def belt_caps(trace: Trace) -> list[Violation]:
    """A person never stands on a belt above the speed cap of the way they face plus the
    governor's own allowance for a belt run faster at the console (OVERSPEED_MARGIN_KMH: the
    governor intervenes above it), nor, while it moves, on a deck above that way's incline cap
    plus the deck tolerance. A speed raised at the console is allowed the time for the governor
    to see it (a record and a tick) and to bring the belt back (the spec's rate); a deck raised
    there, what it rises at its rate in that time."""
    out: list[Violation] = []
    lim = trace.limits
    console = _console_speed_windows(trace)
    console_deck = _console_deck_windows(trace)
    samples = trace.of("Sample")
    # What a deck raised at the console rises above the cap before the governor, seeing it, has
    # it sent back (and a driver step to see it turn).
    deck_overshoot = trace.spec.incline_rate_pct_per_s * (_slack(trace) + STEP_S)
    for s in trace.steps:
        if s.direction is None or s.speed_kmh <= STILL:
            continue
        facing = Direction(s.direction)
        speed_cap = lim.max_speed(facing) + OVERSPEED_MARGIN_KMH + HALF_SPEED_STEP
        deck_cap = lim.max_incline(facing) + DECK_TOLERANCE_PCT + HALF_DECK_STEP
        if not trace.reports_incline and any(a <= s.t for a, _, _ in console_deck):
            # A deck raised at the console of a treadmill that reports none is out of the
            # app's sight for good (a known limit: docs/safety.md).
            deck_cap = math.inf
        elif _overlaps(console_deck, s.t, s.t):
            deck_cap += deck_overshoot
            last_record = max((e.t for e in samples if e.t <= s.t + 1e-9), default=-math.inf)
            if _deck_send_back_unheeded(trace, console_deck, s.t) or (
                s.t - last_record > _slack(trace) + STEP_S
            ):
                # (Or no record shows the deck: the governor is blind until the watchdog stops
                # the belt, which `watchdog` judges.)
                # The treadmill ignored or refused the command bringing the deck back: it
                # rises on until the governor's stop lands (`fault-stops`,
                # `stop-reaches-belt` judge that).
                deck_cap = math.inf
        if s.speed_kmh > speed_cap and not _overlaps(console, s.t, s.t):
            out.append(
                Violation(
                    "belt-caps",
                    s.t,
                    f"facing {facing.value} on a belt at {s.speed_kmh:.2f} km/h (cap "
                    f"{lim.max_speed(facing):g})",
                )
            )
        if s.incline_pct > deck_cap and s.phase != "stopped":
            # (Latched, the belt is being stopped: a deck on a belt that does not obey its
            # stop is `stop-reaches-belt`'s business, as its speed is.)
            out.append(
                Violation(
                    "belt-caps",
                    s.t,
                    f"facing {facing.value} on a moving belt ({s.speed_kmh:.2f} km/h) with the "
                    f"deck at {s.incline_pct:.2f} % (cap {lim.max_incline(facing):g})",
                    {"deck": s.incline_pct, "direction": facing.value},
                )
            )
    return out


@rule("flip-after-hold")
def flip_after_hold(trace: Trace) -> list[Violation]:
    """A flip of the way the person faces while the belt moves comes only after the measured
    belt held at or below the turnaround speed for the whole hold, with the deck within the new
    direction's cap throughout: every record the treadmill sent in the hold (and the one in
    force as it began), and the belt itself from one record period into it. Facing the other
    way at a start needs a still belt and the deck within that direction's cap (the
    tolerances, plus half a record step: the governor reads rounded records)."""
    out: list[Violation] = []
    lim = trace.limits
    slow = lim.turnaround_speed_kmh + SPEED_TOLERANCE_KMH + HALF_SPEED_STEP
    steps = trace.steps
    # The governor says when it flips (its notice, at the exact time); a flip seen between two
    # steps without one is checked as of the later step.
    samples = trace.of("Sample")
    flips = [(e.t, str(e.data.get("direction"))) for e in trace.notices("direction_changed")]
    for prev, s in itertools.pairwise(steps):
        if (
            prev.runner == s.runner
            and s.runner is not None
            and prev.direction != s.direction
            and s.direction is not None
            and not any(prev.t - 1e-9 <= t <= s.t + 1e-9 and d == s.direction for t, d in flips)
        ):
            flips.append((s.t, s.direction))
    for tf, new in sorted(set(flips)):
        cap = lim.max_incline(Direction(new)) + DECK_TOLERANCE_PCT + HALF_DECK_STEP
        at = trace.step_at(tf)
        if at is not None and at.speed_kmh <= STILL:
            # Turning on the spot, at a start: a still belt, the deck within the new cap.
            if at.incline_pct > cap:
                out.append(
                    Violation(
                        "flip-after-hold",
                        tf,
                        f"faced {new} on a still belt with the deck at {at.incline_pct:.2f} % "
                        f"(cap {lim.max_incline(Direction(new)):g})",
                    )
                )
            continue
        begin = tf - lim.turnaround_hold_s
        # What the treadmill reported through the hold (the record in force as it began, and
        # every one in it), and the belt itself from one record period in: between records
        # nobody can see it, so the hold may begin on a record a period old.
        in_force = [e for e in samples if e.t <= begin + 1e-9][-1:]
        reported = in_force + [e for e in samples if begin + 1e-9 < e.t <= tf + 1e-9]
        seen_from = begin + 1.0 / trace.data_rate_hz
        window = [s for s in steps if seen_from - 1e-9 <= s.t <= tf + 1e-9]
        fast = [(e.t, float(e.data["speed"])) for e in reported if e.data.get("speed") is not None]
        fast = [(t, v) for t, v in fast if v > slow]
        fast += [(s.t, s.speed_kmh) for s in window if s.speed_kmh > slow]
        steep = [
            (e.t, float(e.data["incline"])) for e in reported if e.data.get("incline") is not None
        ]
        steep = [(t, v) for t, v in steep if v > cap]
        steep += [(s.t, s.incline_pct) for s in window if s.incline_pct > cap]
        if fast:
            t, v = min(fast)
            out.append(
                Violation(
                    "flip-after-hold",
                    tf,
                    f"turned to face {new} with the belt at {v:.2f} km/h at t={t:g}, within "
                    f"the {lim.turnaround_hold_s:g} s hold",
                )
            )
        if steep:
            t, v = min(steep)
            out.append(
                Violation(
                    "flip-after-hold",
                    tf,
                    f"turned to face {new} with the deck at {v:.2f} % at t={t:g}, within the "
                    f"hold (cap {lim.max_incline(Direction(new)):g})",
                )
            )
    return out


def _start_flips(trace: Trace) -> set[int]:
    """Seqs of the flips made at a start (facing the other way on a still belt, or the safe way
    on a steep deck): the governor's "started" notice follows them in the same decision."""
    out = set()
    notices = [e for e in trace.events if e.kind == "notice"]
    for i, e in enumerate(notices):
        if e.notice != "direction_changed":
            continue
        for later in notices[i + 1 :]:
            if later.t > e.t + 1e-9 or later.notice == "direction_changed":
                break
            if later.notice == "started":
                out.add(e.seq)
                break
    return out


@rule("hold-countdown")
def hold_countdown(trace: Trace) -> list[Violation]:
    """A turnaround's flip comes after its whole countdown: the person was shown
    "Turn around in N" ... "1" (N the hold's seconds, rounded up) for the new direction, the N
    at least the hold before the flip, each next number a second after the last (a countdown
    that started again, the belt or deck having left the limits, counts from its last N)."""
    out: list[Violation] = []
    hold = trace.limits.turnaround_hold_s
    n = math.ceil(hold - 1e-9)
    at_start = _start_flips(trace)
    for flip in trace.notices("direction_changed"):
        if flip.seq in at_start:
            continue
        new = flip.data.get("direction")
        begun = [
            e.seq
            for e in trace.notices("turnaround_started")
            if e.seq < flip.seq and e.data.get("to") == new
        ]
        since = begun[-1] if begun else -1
        shown = [
            e
            for e in trace.notices("turnaround_countdown")
            if since < e.seq < flip.seq and e.data.get("to") == new
        ]
        firsts = [i for i, e in enumerate(shown) if e.data.get("seconds") == n]
        counted = shown[firsts[-1] :] if firsts else []
        numbers = [e.data.get("seconds") for e in counted]
        problem = None
        if numbers != list(range(n, 0, -1)):
            problem = f"the countdown shown was {numbers or 'nothing'}"
        elif flip.t - counted[0].t < hold - 1e-6:
            problem = f"the countdown began {flip.t - counted[0].t:g} s before it (hold {hold:g} s)"
        else:
            early = [e for e in counted if e.t < counted[0].t + (n - int(e.data["seconds"])) - 1e-6]
            if early:
                problem = f"'{early[0].data['seconds']}' was shown at t={early[0].t:g}, too soon"
        if problem is not None:
            out.append(
                Violation(
                    "hold-countdown",
                    flip.t,
                    f"turned to face {new} at t={flip.t:g}: {problem}",
                )
            )
    return out


#: Stop reasons of the treadmill's own stops (the app latches on them, sending nothing).
_AT_THE_TREADMILL = ("console_stop", "console_pause", "safety_key")


@rule("stop-reaches-belt")
def stop_reaches_belt(trace: Trace) -> list[Violation]:
    """Every stop, E-stop or pause intent, finishing a session, a stopping fault, the app
    latching, a link come back: the measured belt is still within a bound, or the lasting alarm
    STOP_NOT_CONFIRMED was raised, or the link is down, or the person started it again first.

    The bound: from the speed at the cause, the spec's deceleration (the safety key's own,
    harder braking after the key), plus the sampling slack, plus STOP_CONFIRM_S when the
    treadmill stopped itself (the app watches before it sends a stop of its own). While the
    treadmill may not carry out or answer a stop (refusing all, ignoring writes, late answers,
    control taken), each of the governor's 1 + STOP_RESENDS stops is allowed its confirmation
    time (STOP_CONFIRM_S, or the command timeout that reports an ignored one) plus the slack,
    and any answer delay."""
    out: list[Violation] = []
    spec = trace.spec
    slack = _slack(trace)
    faulty = _command_fault_windows(trace)
    delays = [
        float(a.arg)
        for a in trace.done_actions()
        if a.name == "answer-delay" and isinstance(a.arg, int | float)
    ]
    per_attempt = max(STOP_CONFIRM_S, trace.command_timeout_s) + slack + max(delays, default=0.0)
    allows = _authorizations(trace)
    alarms = [e.t for e in trace.notices("stop_not_confirmed")]
    drops = [e.t for e in trace.of("Disconnected") if not e.data.get("expected")]
    for seq, tc, what in _stop_causes(trace):
        v0 = _speed_at(trace, tc)
        decel = spec.safety_decel_kmh_per_s if what == "fault safety-key" else spec.decel_kmh_per_s
        bound = v0 / decel + slack
        if what.startswith("notice stopped") and any(r in what for r in _AT_THE_TREADMILL):
            # The treadmill stopped itself (its console, its key): the governor sends no stop
            # of its own, it watches; a belt still running (started again at the console) gets
            # one once it has not slowed for STOP_CONFIRM_S.
            bound += STOP_CONFIRM_S
        loose = v0 / spec.decel_kmh_per_s + (1 + STOP_RESENDS) * per_attempt
        if _overlaps(faulty, tc - trace.command_timeout_s, tc + loose):
            bound = loose
        deadline = tc + bound
        if deadline > trace.end_t:
            continue  # the trace ends first: nothing to say
        still = next(
            (
                s.t
                for s in trace.steps
                if tc - 1e-9 <= s.t <= deadline + 1e-9 and s.speed_kmh <= STILL
            ),
            None,
        )
        if still is not None:
            continue
        if any(tc - 1e-9 <= t <= deadline + 1e-9 for t in alarms):
            continue
        if any(tc - 1e-9 <= t <= deadline + 1e-9 for t in drops) or _link_down_at(trace, deadline):
            continue
        if any(s > seq and t <= deadline + 1e-9 for s, t, _ in allows):
            continue
        out.append(
            Violation(
                "stop-reaches-belt",
                deadline,
                f"after {what} at t={tc:g} ({v0:.2f} km/h) the belt is still at "
                f"{_speed_at(trace, deadline):.2f} km/h {bound:.2f} s later, with no alarm",
                {"cause": what, "cause_t": tc, "cause_seq": seq},
            )
        )
    return out


#: Notices of a fault the governor latches on (it says "stopped" in the same decision).
_FAULT_NOTICES = frozenset({"command_failed", "watchdog", "belt_not_following", "link_lost"})


@rule("fault-stops")
def fault_stops(trace: Trace) -> list[Violation]:
    """Every fault stops the belt: a command that failed, data gone silent, a belt not
    following, a lost link (noticed or a Disconnected), a stop or pause at the console, the
    safety key. While the governor runs the belt, each one latches it (phase "stopped") within
    the slack of hearing of it; the belt itself is then `stop-reaches-belt`'s business."""
    out: list[Violation] = []
    slack = _slack(trace)
    triggers: list[tuple[int, float, str]] = [
        (e.seq, e.t, f"notice {e.notice}") for e in trace.events if e.notice in _FAULT_NOTICES
    ]
    triggers += [
        (e.seq, e.t, "the link lost")
        for e in trace.of("Disconnected")
        if not e.data.get("expected")
    ]
    triggers += [
        (a.seq, a.t, f"fault {a.name}")
        for a in trace.done_actions()
        if a.kind == "fault" and a.name in _STOPPING_FAULTS and not a.note
    ]
    for seq, t, what in sorted(triggers):
        before = next((s for s in reversed(trace.steps) if s.seq < seq), None)
        if before is None or before.phase not in ("running", "turnaround"):
            continue
        deadline = t + slack
        if deadline > trace.end_t:
            continue
        after = [s for s in trace.steps if s.seq > seq and s.t <= deadline + 1e-9]
        if any(
            s.phase not in ("running", "turnaround") or s.runner != before.runner for s in after
        ):
            continue
        if any(
            e.kind == "StateChanged" and e.data.get("state") == "stopped" and seq < e.seq
            for e in trace.events
            if e.t <= deadline + 1e-9
        ):
            continue  # latched, and resumed by the person within the same instant
        out.append(
            Violation(
                "fault-stops",
                deadline,
                f"after {what} at t={t:g} the governor still runs the belt "
                f"({after[-1].phase if after else before.phase}) {slack:g} s later",
                {"cause": what},
            )
        )
    return out


@rule("watchdog")
def watchdog(trace: Trace) -> list[Violation]:
    """Data going silent stops the belt: with no record for the watchdog time (3 s) while the
    governor runs the belt, it latches (its stop goes out, "stopped" with reason watchdog)
    within the watchdog of the last record (or of the start, if later) plus a tick and a
    driver step."""
    out: list[Violation] = []
    samples = [e.t for e in trace.of("Sample")]
    limit = trace.limits.watchdog_s + trace.tick_s + STEP_S
    reference: float | None = None
    runner: int | None = None
    k = 0
    for s in trace.steps:
        while k < len(samples) and samples[k] <= s.t + 1e-9:
            k += 1
        last = samples[k - 1] if k else -math.inf
        moving = s.phase in ("running", "turnaround") and s.connected
        if not moving or s.runner != runner:
            runner = s.runner
            reference = s.t if moving else None
            continue
        if reference is None:
            reference = s.t
        since = max(last, reference)
        if s.t - since > limit + 1e-9:
            out.append(
                Violation(
                    "watchdog",
                    s.t,
                    f"no record since t={since:g} and the governor still runs the belt "
                    f"({s.speed_kmh:.2f} km/h) {s.t - since:g} s later",
                )
            )
            reference = s.t  # once per silence
    return out


@rule("stop-resends")
def stop_resends(trace: Trace) -> list[Violation]:
    """A stop that is refused, unanswered or not followed by a slowing belt is sent again, at
    most STOP_RESENDS times (docs/safety.md, "Every stop is confirmed"), then the lasting
    alarm: never two in the same burst — each resend at least STOP_RETRY_GAP_S after the last
    (a refused one waits that long; one the belt did not follow, STOP_CONFIRM_S), less a tick
    (the governor decides on ticks)."""
    out: list[Violation] = []
    previous: float | None = None
    gap = STOP_RETRY_GAP_S - trace.tick_s
    for e in trace.notices("stop_resent"):
        attempt = int(e.data.get("attempt", 0))
        if attempt > STOP_RESENDS:
            out.append(Violation("stop-resends", e.t, f"stop sent again a {attempt}th time"))
        if attempt >= 2 and previous is not None and e.t - previous < gap:
            out.append(
                Violation(
                    "stop-resends",
                    e.t,
                    f"stop sent again (attempt {attempt}) {e.t - previous:g} s after the last "
                    f"(at least {STOP_RETRY_GAP_S:g} s apart)",
                )
            )
        previous = e.t
    return out


@rule("first-command-after-reconnect")
def first_command_after_reconnect(trace: Trace) -> list[Violation]:
    """When a lost link is back, the app's first command is a stop: the first write after it
    (control requests aside) is a stop, and a belt still moving then gets one within the
    command timeout plus the slack (unless it is seen still first)."""
    out: list[Violation] = []
    writes = _app_writes(trace)
    for e in trace.of("Reconnected"):
        first = next((w for w in writes if w.seq > e.seq), None)
        if first is not None and first.op not in ("stop", "pause"):
            out.append(
                Violation(
                    "first-command-after-reconnect",
                    first.t,
                    f"the first command after the link came back at t={e.t:g} was {first.op}",
                )
            )
            continue
        deadline = e.t + trace.command_timeout_s + _slack(trace)
        if deadline > trace.end_t or _speed_at(trace, e.t) <= STILL:
            continue
        stopped = first is not None and first.t <= deadline
        still = any(e.t <= s.t <= deadline and s.speed_kmh <= STILL for s in trace.steps)
        if not (stopped or still):
            step = next((s for s in trace.steps if s.seq > e.seq), None)
            out.append(
                Violation(
                    "first-command-after-reconnect",
                    deadline,
                    f"the link came back at t={e.t:g} with the belt at "
                    f"{_speed_at(trace, e.t):.2f} km/h and no stop followed",
                    {"runner": step.runner if step is not None else None},
                )
            )
    return out


def _superseded(trace: Trace, w: WriteRecord, limit: float | None) -> bool:
    """Whether ``w`` was replaced within the same instant by a write the treadmill carried out:
    a stop or pause, or the same command at no more than ``limit`` (the governor's value). The
    belt follows the last command, and none moves in no time: such a write never acted on it.
    On a belt that is not running, a stop or pause the treadmill refused (it is stopped
    already: FTMS answers "operation failed") does as well: the speed was only stored.
    """
    at = trace.step_at(w.t)
    running = at is not None and at.state == "RUNNING"
    for later in trace.writes:
        if later.seq <= w.seq:
            continue
        if later.t > w.t + 1e-9:
            return False
        if later.op in ("stop", "pause") and (later.result == "success" or not running):
            return True
        if later.result != "success":
            continue
        if (
            later.op == w.op
            and later.value is not None
            and limit is not None
            and later.value <= limit + trace.wire_kmh
        ):
            return True
    return False


@rule("stale-command")
def stale_command(trace: Trace) -> list[Violation]:
    """What reaches the belt is what the governor wants now: no speed the treadmill carries out
    is above the current governor's commanded speed at that instant, and no incline above its
    commanded incline (a command decided earlier and queued must not take the belt faster, or
    the deck higher, than the governor has since decided, e.g. in a turnaround). Inclines are
    compared within half a step of the treadmill's incline grid, which the link rounds to. A
    write the treadmill did not carry out (ignored, refused), or one replaced in the same
    instant (`_superseded`), never acted on the belt."""
    out: list[Violation] = []
    half_grid = trace.spec.incline_increment_pct / 2 + 1e-6
    for w in trace.writes:
        if w.value is None or w.result != "success":
            continue
        if (
            w.op == "set_target_speed"
            and w.commanded_kmh is not None
            and w.value > w.commanded_kmh + trace.wire_kmh
            and not _superseded(trace, w, w.commanded_kmh)
        ):
            out.append(
                Violation(
                    "stale-command",
                    w.t,
                    f"{w.value:g} km/h written while the governor ({w.phase}, facing "
                    f"{w.direction}) commanded {w.commanded_kmh:g}",
                )
            )
        if (
            w.op == "set_target_inclination"
            and w.commanded_incline_pct is not None
            and w.value > w.commanded_incline_pct + half_grid
            and not _superseded(trace, w, w.commanded_incline_pct + half_grid)
        ):
            out.append(
                Violation(
                    "stale-command",
                    w.t,
                    f"incline {w.value:g} % written while the governor ({w.phase}, facing "
                    f"{w.direction}) commanded {w.commanded_incline_pct:g} %",
                )
            )
    return out


@rule("stop-first")
def stop_first(trace: Trace) -> list[Violation]:
    """A stop, E-stop or pause is sent before anything else: the first command the treadmill
    receives after the intent (connected), before any later Start, is that stop or pause."""
    out: list[Violation] = []
    writes = _app_writes(trace)
    allows = [seq for seq, _, _ in _authorizations(trace)]
    for a in trace.done_actions():
        if a.kind != "intent" or a.name not in ("stop", "estop", "pause") or "link down" in a.note:
            continue
        until = min((seq for seq in allows if seq > a.seq), default=math.inf)
        first = next((w for w in writes if a.seq < w.seq < until), None)
        if (
            first is not None
            and first.op not in ("stop", "pause")
            and not _link_down_at(trace, first.t)
        ):
            out.append(
                Violation(
                    "stop-first",
                    first.t,
                    f"after the {a.name} at t={a.t:g} the first command was {first.op}",
                    {"intent_seq": a.seq},
                )
            )
    return out


@rule("ended-still")
def ended_still(trace: Trace) -> list[Violation]:
    """A session reported "completed" (or "stopped") ended with the belt still; one that did
    not see its belt still ends "aborted"."""
    out: list[Violation] = []
    for e in trace.of("SessionEnded"):
        reason = e.data.get("reason")
        speed = _speed_at(trace, e.t)
        if reason != "aborted" and speed > STILL:
            out.append(
                Violation(
                    "ended-still",
                    e.t,
                    f"a session ended '{reason}' with the belt at {speed:.2f} km/h",
                )
            )
    return out


@rule("session-ends")
def session_ends(trace: Trace) -> list[Violation]:
    """Finishing a session ends it: the runner waits at most STOP_WAIT_S from the finish for a
    still belt, and the stops it sends again meanwhile fit in that; a driver step more for the
    end."""
    out: list[Violation] = []
    ends = [e.t for e in trace.of("SessionEnded")]
    for a in trace.done_actions():
        if a.kind == "intent" and a.name == "finish_session" and "link down" not in a.note:
            active = trace.step_at(a.t)
            if active is None or active.kind not in ("PROGRAM", "MANUAL"):
                continue
            if active.session_state == "finished":
                continue
            deadline = a.t + STOP_WAIT_S + _slack(trace) + STEP_S
            if deadline > trace.end_t:
                continue
            if not any(a.t - 1e-9 <= t <= deadline for t in ends):
                out.append(
                    Violation(
                        "session-ends",
                        deadline,
                        f"the session finished at t={a.t:g} had not ended by t={deadline:g}",
                    )
                )
    return out


@rule("heart-rate-hold")
def heart_rate_hold(trace: Trace) -> list[Violation]:
    """A heart rate over the maximum slows the belt to walking, and the commanded speed does not
    rise again until the person's Start/Resume (or a stop ends the hold). Measured: the belt is
    at or below the walking speed of the hold (``Limits.hr_slow_speed``) within the time the
    spec's deceleration needs from where it was, plus the slack."""
    out: list[Violation] = []
    lim = trace.limits
    writes = _app_writes(trace)
    ends_at = sorted(
        [(seq, t) for seq, t, _ in _authorizations(trace)]
        + [(seq, t) for seq, t, _ in _stop_causes(trace)]
    )
    ends = [seq for seq, _ in ends_at]
    for e in trace.notices("heart_rate_high"):
        until = next((seq for seq in ends if seq > e.seq), math.inf)
        before = [w for w in writes if w.seq < e.seq and w.op != "start_or_resume"]
        if before and before[-1].op in ("stop", "pause"):
            # Held as the belt starts again (the person's Resume with the heart rate still
            # high): it may reach the start speed, no more.
            ceiling = max(lim.start_speed_kmh, trace.spec.min_speed_kmh)
        else:
            previous = [w.value for w in before if w.op == "set_target_speed"]
            ceiling = previous[-1] if previous and previous[-1] is not None else math.inf
        for w in writes:
            if not (e.seq < w.seq < until) or w.op != "set_target_speed" or w.value is None:
                continue
            if w.value > ceiling + trace.wire_kmh:
                out.append(
                    Violation(
                        "heart-rate-hold",
                        w.t,
                        f"speed rose to {w.value:g} km/h during the heart-rate hold from t={e.t:g}",
                    )
                )
                break
            ceiling = min(ceiling, w.value)
    # Measured: the belt comes down to the hold's walking speed (that of the way the person
    # faces) at the spec's rate, unless the hold ends first or someone at the console speeds it.
    console = _console_speed_windows(trace)
    for e in trace.notices("heart_rate_high"):
        until_seq = next((seq for seq in ends if seq > e.seq), math.inf)
        at = trace.step_at(e.t)
        if at is None or at.direction is None:
            continue
        slow = lim.hr_slow_speed(Direction(at.direction))
        v0 = at.speed_kmh
        deadline = e.t + max(0.0, v0 - slow) / trace.spec.decel_kmh_per_s + _slack(trace)
        if deadline > trace.end_t or _overlaps(console, e.t, deadline):
            continue
        if any(seq == until_seq and t <= deadline for seq, t in ends_at):
            continue  # the hold ended (a Start, a stop) before the belt had to be down
        seen = [s for s in trace.steps if e.t <= s.t <= deadline + 1e-9]
        if seen and all(s.speed_kmh > slow + SPEED_TOLERANCE_KMH + HALF_SPEED_STEP for s in seen):
            out.append(
                Violation(
                    "heart-rate-hold",
                    deadline,
                    f"the heart-rate hold from t={e.t:g} left the belt at "
                    f"{seen[-1].speed_kmh:.2f} km/h (walking {slow:g})",
                )
            )
    return out


@rule("backward-budget")
def backward_budget(trace: Trace) -> list[Violation]:
    """Once a session's backward minutes are used, backward becomes forward walking: per
    runner, the time the governor runs a moving belt facing backward is at most the budget plus
    one turnaround to forward (slowing from the backward cap at the spec's rate, the hold) and
    a driver step. A speed set at the console during that turnaround (someone at the treadmill)
    holds it back by as long as the belt takes to rise and be brought back, and a new hold.
    Once the budget is used, time in a turnaround is not counted: a fault that stops the
    belt in it means another one after the Resume, each bounded by its own rules."""
    out: list[Violation] = []
    lim = trace.limits
    budget = lim.backward_minutes_per_session * 60
    allowance = (
        (lim.backward_max_speed_kmh - lim.turnaround_speed_kmh) / trace.spec.decel_kmh_per_s
        + lim.turnaround_hold_s
        + _slack(trace)
    )
    allowance += sum(
        b - a + lim.turnaround_hold_s
        for a, b, name in _console_speed_windows(trace)
        if name == "console-speed"
    )
    used: dict[int, float] = {}
    prev: StepRecord | None = None
    for s in trace.steps:
        if (
            prev is not None
            and s.runner is not None
            and s.runner == prev.runner
            and prev.direction == Direction.BACKWARD.value
            and prev.phase != "stopped"
            and prev.speed_kmh > 0
            # Once the minutes are used, a turnaround (facing backward it can only be one to
            # forward) is the way out, not more backward training: after a stop in it (a
            # fault), the Resume turns the person round again from the start.
            and not (prev.phase == "turnaround" and used.get(s.runner, 0.0) >= budget)
        ):
            used[s.runner] = used.get(s.runner, 0.0) + (s.t - prev.t)
            if used[s.runner] > budget + allowance + 1e-6:
                out.append(
                    Violation(
                        "backward-budget",
                        s.t,
                        f"{used[s.runner]:g} s facing backward on a moving belt in one session "
                        f"(budget {budget:g} s)",
                    )
                )
                used[s.runner] = -math.inf
        prev = s
    return out


def _first_and_last(text: str) -> str:
    """An error's first line and, for a traceback, its last (the exception itself)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[0] if len(lines) < 2 else f"{lines[0]} — {lines[-1].strip()}"


@rule("no-errors")
def no_errors(trace: Trace) -> list[Violation]:
    """No exception escaped: nothing the event loop swallowed, no traceback or error logged
    (the engine logs what it catches to keep control), no session ended with an error, the
    driver itself ran through."""
    out = [Violation("no-errors", trace.end_t, _first_and_last(e)) for e in trace.errors]
    out += [
        Violation("no-errors", e.t, str(e.data.get("text")))
        for e in trace.of("Message")
        if "error" in str(e.data.get("text", ""))
    ]
    return out


# --- known findings ----------------------------------------------------------------------------
#
# Bugs in treadctl/ this fuzzer found and that are not fixed yet (another engineer owns
# treadctl/ now). Each has a strict xfail test of its own (test_fuzz.py: it fails once the bug
# is fixed, and the finding is then removed from here). A fuzz case whose every violation is an
# instance of one of these is reported as an expected failure, not a pass: anything else in the
# same case still fails it.


Finding = Callable[[Violation, Trace], bool]


#: Bugs this fuzzer found in treadctl/ and not fixed yet: name -> (what, predicate). Every
#: other one found so far is fixed, and its seed is a regression case (test_fuzz.py).
KNOWN_FINDINGS: dict[str, tuple[str, Finding]] = {
    # name: (what is wrong, which violations are instances of it). None open: the last one,
    # "incline-backlog-behind-slow-answers" (seed 3066), is fixed by pacing incline on the wire.
}


def known_finding(violation: Violation, trace: Trace) -> str | None:
    """The name of the known finding ``violation`` is an instance of, if any."""
    for name, (_, matches) in KNOWN_FINDINGS.items():
        if matches(violation, trace):
            return name
    return None
