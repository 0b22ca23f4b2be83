"""Seeded fuzz cases: a session, a treadmill, and a schedule of faults and intents at phases.

Shape::

    generate(seed) -> Case             random.Random(seed) only: one seed, one case, always
    Case
     ├── mode                          "program" (TOML as users write it) | "manual"
     ├── program_toml                  1-4 simulated minutes: directions, speeds and inclines
     │                                 sometimes above the default caps, distance steps, repeat
     │                                 blocks, short rests
     ├── quirks                        a profile of treadctl.virtual.quirks.QUIRK_PROFILES
     ├── resume_possible               the window / `treadctl run` on a terminal, or headless
     ├── limits                        the defaults, sometimes a small backward budget or a
     │                                 heart-rate maximum
     ├── auto_resume, resume_delay_s   the person: resumes (after putting the safety key back)
     │                                 this long after any latch, or never
     └── steps: (Step, ...)            in order; the driver waits for each step's phase, then
                                       its delay, then does its action
    Step(phase, delay_s, action)
    Action(kind, name, arg, lasting_s) kind "intent" (an AppCore call) | "fault" (the treadmill,
                                       its console, the radio); a lasting fault is cleared by
                                       the driver lasting_s later

Phases (where an action is placed; `scenario` decides when one is reached): START (the first
seconds of the session), RAMP (the belt speeding up to its target), TURNAROUND (slowing for a
turn), HOLD (a turnaround's hold at walking speed), REST (a program rest), PAUSED (the session
latched), RESUMED (right after a resume), LINK_DOWN (between a dropped link and its return),
ANY (whenever it is due).

The faults are every :class:`~treadctl.virtual.simulated_faults.SimulatedFault`, plus the
`Faults` knobs and console actions they do not name (a counted ignore, a late answer,
truncated records, console speed and incline keys, a console start, a high heart rate read by
the treadmill's grips). A dropped link is placed apart, in about one case in seven: the radio
reconnects on the loop's virtual time (see ``scenario``), so it costs no real waiting.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from treadctl.limits import Limits
from treadctl.virtual.quirks import QUIRK_PROFILES
from treadctl.virtual.simulated_faults import SimulatedFault

__all__ = [
    "CONSOLE_FAULTS",
    "INTENTS",
    "KNOB_FAULTS",
    "MAX_PLAN_S",
    "Action",
    "Case",
    "Phase",
    "Step",
    "generate",
]


class Phase(enum.StrEnum):
    START = "start"
    RAMP = "ramp"
    TURNAROUND = "turnaround"
    HOLD = "hold"
    REST = "rest"
    PAUSED = "paused"
    RESUMED = "resumed"
    LINK_DOWN = "link-down"
    ANY = "any"


#: The person's intents, each an AppCore method of that name.
INTENTS = (
    "start_program",
    "start_manual",
    "pause",
    "resume",
    "stop",
    "estop",
    "skip",
    "extend",
    "manual_speed",
    "manual_incline",
    "manual_turn",
    "finish_session",
)
#: Intents that may move a belt (what the checker accepts as the cause of a start).
START_INTENTS = frozenset({"start_program", "start_manual", "resume"})
#: Intents that stop the belt (or pause it).
STOP_INTENTS = frozenset({"pause", "stop", "estop", "finish_session"})

#: Faults beyond SimulatedFault: `Faults` knobs and console actions (a person at the treadmill).
KNOB_FAULTS = ("ignore", "answer-delay", "truncated", "reserved-bit", "hr-high")
CONSOLE_FAULTS = ("console-speed", "console-incline", "console-start")

_LASTING_S = {
    # How long a lasting fault lasts before the driver clears it (the safety key: until the
    # person puts it back).
    SimulatedFault.SILENCE.value: (2.0, 20.0),
    SimulatedFault.REFUSE.value: (2.0, 20.0),
    SimulatedFault.MALFORMED.value: (2.0, 15.0),
    SimulatedFault.REFUSE_ALL.value: (2.0, 15.0),
    SimulatedFault.SAFETY_KEY.value: (2.0, 15.0),
    "answer-delay": (3.0, 20.0),
    "truncated": (2.0, 10.0),
    "reserved-bit": (5.0, 30.0),
    "hr-high": (5.0, 30.0),
}

#: Speed, incline caps of the default limits, per direction (what "above the caps" means).
_SPEED_CAP = {
    "forward": Limits().forward_max_speed_kmh,
    "backward": Limits().backward_max_speed_kmh,
}
_INCLINE_CAP = {
    "forward": Limits().forward_max_incline_pct,
    "backward": Limits().backward_max_incline_pct,
}


@dataclass(frozen=True, slots=True)
class Action:
    kind: str  # "intent" | "fault"
    name: str
    arg: float | int | str | None = None
    lasting_s: float | None = None

    def describe(self) -> str:
        arg = ""
        if isinstance(self.arg, str):
            arg = "(a new program)"
        elif self.arg is not None:
            arg = f"({self.arg:g})"
        lasting = f" for {self.lasting_s:g} s" if self.lasting_s is not None else ""
        return f"{self.kind} {self.name}{arg}{lasting}"


@dataclass(frozen=True, slots=True)
class Step:
    phase: Phase
    delay_s: float
    action: Action

    def describe(self) -> str:
        return f"at {self.phase.value} +{self.delay_s:g} s: {self.action.describe()}"


@dataclass(frozen=True, slots=True)
class Case:
    seed: int
    mode: str  # "program" | "manual"
    program_toml: str | None
    quirks: str
    resume_possible: bool
    limits: Limits
    auto_resume: bool
    resume_delay_s: float
    idle_before_s: float
    #: The session runs at most this long (simulated s) before the person finishes it.
    run_cap_s: float
    steps: tuple[Step, ...] = field(default=())
    connect_strap: bool = False

    def describe(self) -> str:
        person = (
            f"resumes after {self.resume_delay_s:g} s"
            if self.auto_resume
            else "never resumes by themself"
        )
        lines = [
            f"seed {self.seed}: {self.mode} session on a '{self.quirks}' treadmill, "
            f"resume {'possible' if self.resume_possible else 'impossible (headless)'}, "
            f"person {person}{', strap connected' if self.connect_strap else ''}",
        ]
        changed = {k: v for k, v in self.limits.to_dict().items() if v != getattr(Limits(), k)}
        if changed:
            lines.append(f"limits changed: {changed}")
        lines.append(
            f"starts after {self.idle_before_s:g} s idle; finished by {self.run_cap_s:g} s"
        )
        lines.extend(f"  {i}. {s.describe()}" for i, s in enumerate(self.steps, 1))
        return "\n".join(lines)


# --- programs ----------------------------------------------------------------------------------


def _speed_text(rng: random.Random, kmh: float) -> str:
    """A speed as users write it: km/h mostly, sometimes mph or a pace."""
    roll = rng.random()
    if roll < 0.15:
        return f"{kmh / 1.609344:.1f} mph"
    if roll < 0.25 and kmh >= 3.0:
        per_km = round(3600 / kmh)
        return f"{per_km // 60}:{per_km % 60:02d} /km"
    return f"{kmh:.1f} km/h"


def _segment(rng: random.Random, label: str, indent: str) -> tuple[list[str], float]:
    """One segment's TOML lines and its estimated seconds."""
    direction = "forward" if rng.random() < 0.55 else "backward"
    cap = _SPEED_CAP[direction]
    # Above the cap one time in five: the governor clamps it.
    above = rng.random() < 0.2
    kmh = rng.uniform(cap, min(cap * 1.4, 29.0)) if above else rng.uniform(1.0, cap)
    lines = [
        f'{indent}label = "{label}"',
        f'{indent}direction = "{direction}"',
        f'{indent}speed = "{_speed_text(rng, kmh)}"',
    ]
    roll = rng.random()
    if roll < 0.35:
        lines.append(f'{indent}incline = "{rng.uniform(0.5, _INCLINE_CAP[direction]):.1f} %"')
    elif roll < 0.5:
        # Above this direction's cap (a steep deck before a turn to backward is the classic).
        top = _INCLINE_CAP["forward"] * 1.5
        lines.append(f'{indent}incline = "{rng.uniform(_INCLINE_CAP[direction], top):.1f} %"')
    elif roll < 0.55:
        lines.append(f'{indent}incline = "{-rng.uniform(0.5, 3.0):.1f} %"')
    seconds = rng.uniform(10.0, 60.0)
    if rng.random() < 0.25:
        # A distance step, of about ``seconds`` at the speed the governor will allow.
        metres = max(10, round(min(kmh, cap) / 3.6 * seconds / 10) * 10)
        lines.append(f'{indent}distance = "{metres} m"')
        seconds = metres / (min(kmh, cap) / 3.6)
    else:
        seconds = round(seconds)
        lines.append(f'{indent}duration = "{seconds} s"')
    return lines, seconds


def _rest(rng: random.Random, indent: str) -> tuple[list[str], float]:
    seconds = rng.randint(3, 20)
    return [f"{indent}rest = true", f'{indent}duration = "{seconds} s"'], float(seconds)


#: A program's plan lasts at most this long (s): the budget (at most 200 s) plus one last
#: segment (at most a minute) always fits; a repeat block that would not is left out.
MAX_PLAN_S = 280.0


def program_toml(rng: random.Random, name: str, budget_s: float) -> str:
    """A program of about ``budget_s`` simulated seconds (at most ``MAX_PLAN_S``), written as
    a user writes one."""
    lines = [f'name = "{name}"', ""]
    total = 0.0
    n = 0
    while total < budget_s or n == 0:
        n += 1
        roll = rng.random()
        if roll < 0.12 and n > 1:
            body, est = _rest(rng, "")
            lines += ["[[steps]]", *body, ""]
            total += est
        elif roll < 0.3:
            repeat = rng.randint(2, 3)
            block_lines = ["[[steps]]", f'label = "Block {n}"', f"repeat = {repeat}", ""]
            block = 0.0
            for j in range(rng.randint(1, 3)):
                if j > 0 and rng.random() < 0.2:
                    body, est = _rest(rng, "  ")
                else:
                    body, est = _segment(rng, f"Step {n}.{j + 1}", "  ")
                block_lines += ["  [[steps.steps]]", *body, ""]
                block += est
            if total + block * repeat > MAX_PLAN_S:
                # A long block repeated would take the program past a few minutes: drop it
                # (a single segment or rest always fits, so the loop still ends).
                n -= 1
                continue
            lines += block_lines
            total += block * repeat
        else:
            body, est = _segment(rng, f"Step {n}", "")
            lines += ["[[steps]]", *body, ""]
            total += est
    return "\n".join(lines)


# --- schedules -----------------------------------------------------------------------------


_FAULT_WEIGHTS: dict[str, float] = {
    SimulatedFault.DROP_LINK.value: 0.0,  # placed apart: see _DROP_LINK_RATE
    SimulatedFault.SILENCE.value: 1.0,
    SimulatedFault.CONSOLE_STOP.value: 1.0,
    SimulatedFault.CONSOLE_PAUSE.value: 1.0,
    SimulatedFault.SAFETY_KEY.value: 1.0,
    SimulatedFault.REFUSE.value: 1.0,
    SimulatedFault.NO_ANSWER.value: 1.0,
    SimulatedFault.LOSE_CONTROL.value: 0.7,
    SimulatedFault.MALFORMED.value: 0.7,
    SimulatedFault.DROP_STRAP.value: 0.3,
    SimulatedFault.REFUSE_ALL.value: 0.7,
    "ignore": 1.0,
    "answer-delay": 1.0,
    "truncated": 0.5,
    "reserved-bit": 0.3,
    "hr-high": 0.5,
    "console-speed": 0.8,
    "console-incline": 0.5,
    "console-start": 0.5,
}
#: Share of cases with one dropped link (the reconnect runs on the loop's virtual time).
_DROP_LINK_RATE = 0.15

_PROGRAM_INTENTS = {
    "pause": 2.0,
    "resume": 2.0,
    "stop": 1.0,
    "estop": 1.0,
    "skip": 1.0,
    "extend": 1.0,
    "finish_session": 0.4,
    "start_program": 0.5,
    "start_manual": 0.3,
}
_MANUAL_INTENTS = {
    "pause": 1.5,
    "resume": 1.5,
    "stop": 0.8,
    "estop": 0.8,
    "manual_speed": 3.0,
    "manual_incline": 1.5,
    "manual_turn": 1.5,
    "finish_session": 0.3,
    "start_program": 0.4,
    "start_manual": 0.2,
    "skip": 0.2,  # nothing to skip in manual mode: must do nothing
}


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    names = list(weights)
    return rng.choices(names, [weights[n] for n in names])[0]


def _fault(rng: random.Random, name: str) -> Action:
    arg: float | int | None = None
    if name == "ignore":
        arg = rng.choice([1, 2, 4, 6])  # 4 and more: a stop nobody answers, to the alarm
    elif name == "answer-delay":
        arg = rng.choice([0.5, 1.0, 1.5, 3.0])  # 3 s: past the link's 2 s command timeout
    elif name == "console-speed":
        arg = round(rng.uniform(0.5, 16.0), 1)  # often above a cap (overspeed at the console)
    elif name == "console-incline":
        arg = round(rng.uniform(0.0, 15.0), 1)  # often above the backward cap
    elif name == "hr-high":
        arg = rng.choice([175, 190])
    span = _LASTING_S.get(name)
    lasting = round(rng.uniform(*span), 2) if span is not None else None
    return Action("fault", name, arg, lasting)


def _intent(rng: random.Random, name: str) -> Action:
    arg: float | int | str | None = None
    if name == "extend":
        arg = rng.choice([-20.0, -5.0, 10.0, 30.0])
    elif name == "manual_speed":
        arg = rng.choice([-4, -2, -1, 1, 2, 4, 8, 12, 30])
    elif name == "manual_incline":
        arg = rng.choice([-6, -2, 1, 3, 6, 12])
    elif name == "start_program":
        arg = program_toml(rng, "A new session", rng.uniform(30.0, 90.0))
    return Action("intent", name, arg)


def _phases(mode: str, has_rest: bool, has_turn: bool, resume_possible: bool) -> dict[Phase, float]:
    # Headless, any stop ends the session: there is no "while paused" nor "after a resume".
    weights = {
        Phase.RAMP: 2.0,
        Phase.PAUSED: 1.5 if resume_possible else 0.0,
        Phase.RESUMED: 1.0 if resume_possible else 0.0,
        Phase.ANY: 1.5,
        Phase.TURNAROUND: 1.5 if has_turn else 0.0,
        Phase.HOLD: 1.5 if has_turn else 0.0,
        Phase.REST: 1.5 if has_rest and mode == "program" else 0.0,
    }
    return {p: w for p, w in weights.items() if w > 0}


def _stopping(rng: random.Random) -> Action:
    """Something that latches a session: the person's pause, stop or E-stop, or the console's."""
    name = _pick(
        rng,
        {
            "pause": 3.0,
            "stop": 1.0,
            "estop": 1.0,
            "console-pause": 1.0,
            "console-stop": 0.7,
            "safety-key": 0.5,
        },
    )
    if name.startswith(("console", "safety")):
        return _fault(rng, name)
    return _intent(rng, name)


def _schedule(rng: random.Random, mode: str, toml: str | None, resume_possible: bool) -> list[Step]:
    has_rest = toml is not None and "rest = true" in toml
    has_turn = mode == "manual" or (
        toml is not None and '"backward"' in toml and '"forward"' in toml
    )
    steps: list[Step] = []
    if mode == "manual":
        # Something to move: faster, maybe steeper, maybe a turn (a backward start too).
        steps.append(Step(Phase.START, 0.0, Action("intent", "manual_speed", rng.randint(2, 14))))
        if rng.random() < 0.5:
            steps.append(Step(Phase.ANY, rng.uniform(0, 20), _intent(rng, "manual_incline")))
        if rng.random() < 0.4:
            steps.append(Step(Phase.ANY, rng.uniform(0, 40), Action("intent", "manual_turn")))
    if rng.random() < 0.3:
        # Something in the first seconds (the start sequence, the slow start).
        steps.append(Step(Phase.START, rng.choice([0.0, 0.25, 0.5, 1.0]), _any_action(rng, mode)))
    phases = _phases(mode, has_rest, has_turn, resume_possible)
    drop_link = rng.random() < _DROP_LINK_RATE
    n = rng.randint(1, 5)
    drop_at = rng.randrange(n) if drop_link else -1
    for i in range(n):
        phase = rng.choices(list(phases), list(phases.values()))[0]
        delay = rng.choice([0.0, 0.0, 0.25, 0.5, 1.0, 2.0, rng.uniform(0.0, 10.0)])
        # What brings the phase about, where the session would not come to it by itself.
        if phase is Phase.PAUSED:
            steps.append(Step(Phase.ANY, delay, _stopping(rng)))
            delay = rng.uniform(0.25, 5.0)
        elif phase is Phase.RESUMED:
            steps.append(Step(Phase.ANY, delay, _stopping(rng)))
            steps.append(Step(Phase.PAUSED, rng.uniform(0.5, 4.0), _intent(rng, "resume")))
            delay = rng.choice([0.0, 0.25, 0.5, 1.0, 2.0])
        elif phase is Phase.RAMP and mode == "manual":
            up = Action("intent", "manual_speed", rng.randint(2, 10))
            steps.append(Step(Phase.ANY, rng.uniform(0.0, 10.0), up))
        elif phase in (Phase.TURNAROUND, Phase.HOLD) and mode == "manual":
            steps.append(Step(Phase.ANY, rng.uniform(0.0, 10.0), Action("intent", "manual_turn")))
        if i == drop_at:
            steps.append(Step(phase, delay, Action("fault", SimulatedFault.DROP_LINK.value)))
            if rng.random() < 0.5:
                # Something the person does while the link is down.
                name = _pick(
                    rng,
                    {
                        "stop": 1,
                        "estop": 1,
                        "pause": 1,
                        "resume": 1,
                        "finish_session": 1,
                        "start_manual": 0.5,
                    },
                )
                steps.append(Step(Phase.LINK_DOWN, 0.0, _intent(rng, name)))
            continue
        steps.append(Step(phase, delay, _any_action(rng, mode)))
    return steps


def _any_action(rng: random.Random, mode: str) -> Action:
    if rng.random() < 0.55:
        return _fault(rng, _pick(rng, _FAULT_WEIGHTS))
    return _intent(rng, _pick(rng, _PROGRAM_INTENTS if mode == "program" else _MANUAL_INTENTS))


#: The deviations of the profiles the fuzzer was first drawn over (``CHECKED_PROFILES``).
#: Every other profile is drawn too (``WIDER_PROFILES``): the driver records each write in
#: the governor's units (km/h, percent) whatever the wire carries (mph, incline codes).
CHECKED_DEVIATIONS = frozenset(
    {
        "responses_as_notifications",
        "requires_control",
        "requires_indications",
        "single_procedure",
        "accepts_write_without_response",
        "drops_link_on_speed_while_stopped",
        "padded_status",
        "has_ranges",
        "zero_inclination_range",
        "training_status_flag_without_string",
        "split_after",
        "step_count_records",
        "distance_step_m",
        "ignores_speed_while_stopped",
        "needs_start_before_speed",
        "speed_range_kmh",
        "fitshow_vendor_status",
    }
)
#: The quirk profiles a case is drawn from first (sorted: the same seed, the same profile).
CHECKED_PROFILES = sorted(
    name for name, q in QUIRK_PROFILES.items() if set(q.deviations.changed()) <= CHECKED_DEVIATIONS
)
#: Every other profile of the knowledge base. A case is moved onto one of them in
#: ``WIDER_SHARE`` of the seeds, by a random stream of its own: a seed's case on the first
#: profiles stays what it was when a finding was pinned to it.
WIDER_PROFILES = sorted(set(QUIRK_PROFILES) - set(CHECKED_PROFILES))
WIDER_SHARE = 0.4


def generate(seed: int, *, quirks: str | None = None) -> Case:
    """The case of ``seed`` (the same every time: only ``random.Random(seed)`` and the
    profile's own stream are used). ``quirks`` puts the same case on that profile instead
    (a finding pinned before the profiles were widened keeps its case)."""
    rng = random.Random(seed)
    mode = "program" if rng.random() < 0.7 else "manual"
    budget = rng.uniform(45.0, 200.0)  # plus ramps, turnarounds, stops: 1-4 minutes in all
    toml = program_toml(rng, f"Fuzz {seed}", budget) if mode == "program" else None
    # "no-ranges" offers no speed control (the link refuses to drive it): fewer such cases.
    names = CHECKED_PROFILES
    drawn = rng.choices(names, [0.3 if n == "no-ranges" else 1.0 for n in names])[0]
    wider = random.Random(f"treadctl-fuzz-profile-{seed}")
    if wider.random() < WIDER_SHARE:
        drawn = wider.choice(WIDER_PROFILES)
    quirks = quirks or drawn
    resume_possible = rng.random() < 0.75
    limits = Limits()
    roll = rng.random()
    if roll < 0.15:
        limits = Limits(backward_minutes_per_session=rng.choice([0.25, 0.5, 1.0]))
    elif roll < 0.3:
        limits = Limits(max_heart_rate_bpm=rng.choice([120, 150, 170]))
    steps = _schedule(rng, mode, toml, resume_possible)
    # A heart rate over a maximum needs a maximum: the grips' reading is only read against one.
    if any(s.action.name == "hr-high" for s in steps) and limits.max_heart_rate_bpm is None:
        limits = Limits(max_heart_rate_bpm=170)
    connect_strap = any(s.action.name == SimulatedFault.DROP_STRAP.value for s in steps)
    run_cap = (budget if mode == "program" else rng.uniform(60.0, 200.0)) + 60.0
    return Case(
        seed=seed,
        mode=mode,
        program_toml=toml,
        quirks=quirks,
        resume_possible=resume_possible,
        limits=limits,
        auto_resume=rng.random() < 0.8,
        resume_delay_s=round(rng.uniform(1.0, 8.0), 2),
        idle_before_s=rng.choice([0.0, 0.0, 0.5, 2.0]),
        run_cap_s=round(min(run_cap, 260.0), 1),
        steps=tuple(steps),
        connect_strap=connect_strap,
    )
