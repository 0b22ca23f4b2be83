"""The case generator: one seed, one case; the cases cover what the fuzzer promises.

Over the default run's seeds the schedules hold every fault (each SimulatedFault and each knob
and console action), every intent, every phase, both kinds of session, both answers to "can
someone resume", every quirk profile; and the programs parse as users' files do, last 1-4
minutes, and reach above the default caps, with distance steps, repeat blocks and rests.
"""

from __future__ import annotations

from collections import Counter

import pytest

from tests.safety_fuzz.generator import (
    CHECKED_PROFILES,
    CONSOLE_FAULTS,
    INTENTS,
    KNOB_FAULTS,
    MAX_PLAN_S,
    WIDER_PROFILES,
    Case,
    Phase,
    generate,
)
from tests.safety_fuzz.test_fuzz import DEFAULT_CASES
from treadctl.limits import Direction, Limits
from treadctl.program import Program, parse_program
from treadctl.virtual.quirks import QUIRK_PROFILES
from treadctl.virtual.simulated_faults import SimulatedFault


@pytest.fixture(scope="module")
def cases() -> list[Case]:
    return [generate(seed) for seed in range(DEFAULT_CASES)]


def programs(cases: list[Case]) -> list[Program]:
    texts = [c.program_toml for c in cases if c.program_toml is not None]
    texts += [
        s.action.arg for c in cases for s in c.steps if isinstance(s.action.arg, str)
    ]  # the new sessions started mid-run
    return [parse_program(text, source="generated") for text in texts]


def test_a_seed_always_gives_the_same_case() -> None:
    assert generate(1234) == generate(1234)
    assert generate(1234) != generate(1235)


def test_the_schedules_hold_every_fault_intent_and_phase(cases: list[Case]) -> None:
    actions = Counter(s.action.name for c in cases for s in c.steps)
    for fault in (*(f.value for f in SimulatedFault), *KNOB_FAULTS, *CONSOLE_FAULTS):
        assert actions[fault] > 0, fault
    for intent in INTENTS:
        assert actions[intent] > 0, intent
    phases = Counter(s.phase for c in cases for s in c.steps)
    assert set(phases) == set(Phase)
    # A dropped link in about one case in seven (placed apart from the other faults).
    assert len(cases) * 0.08 <= actions[SimulatedFault.DROP_LINK.value] <= len(cases) * 0.25


def test_both_sessions_both_resume_answers_every_treadmill(cases: list[Case]) -> None:
    assert {c.mode for c in cases} == {"program", "manual"}
    assert {c.resume_possible for c in cases} == {True, False}
    # Every profile of the knowledge base, the first-drawn ones most.
    drawn = Counter(c.quirks for c in cases)
    assert len(set(QUIRK_PROFILES) - set(drawn)) <= 3  # a few hundred cases: nearly all
    assert {generate(seed).quirks for seed in range(2000)} == set(QUIRK_PROFILES)
    first = sum(drawn[name] for name in CHECKED_PROFILES)
    assert 0.5 * len(cases) <= first <= 0.7 * len(cases)
    assert {"standard", "urevo-e1l", "kingsmith"} <= set(CHECKED_PROFILES) <= set(QUIRK_PROFILES)
    assert set(CHECKED_PROFILES) | set(WIDER_PROFILES) == set(QUIRK_PROFILES)
    assert any(c.limits.max_heart_rate_bpm for c in cases)
    assert any(c.limits.backward_minutes_per_session < 1 for c in cases)


def test_programs_are_written_as_users_write_them(cases: list[Case]) -> None:
    texts = [c.program_toml for c in cases if c.program_toml is not None]
    joined = "\n".join(texts)
    for written in ("km/h", "mph", " /km", "distance = ", "repeat = ", "rest = true", " %"):
        assert written in joined, written
    parsed = programs(cases)
    segments = [p.segment for prog in parsed for p in prog.segments()]
    forward = [s for s in segments if not s.rest and s.direction is Direction.FORWARD]
    backward = [s for s in segments if not s.rest and s.direction is Direction.BACKWARD]
    # Above the default caps (12 / 6 km/h, 10 / 5 %), and below the minimum incline.
    assert any(s.speed_kmh > 12 for s in forward) and any(s.speed_kmh > 6 for s in backward)
    assert any(s.incline_pct > 10 for s in forward) and any(s.incline_pct > 5 for s in backward)
    assert any(s.incline_pct < 0 for s in segments if not s.rest)
    rests = [s.duration_s for s in segments if s.rest]
    assert rests and max(r or 0 for r in rests) <= 20  # short rests: seconds


def test_programs_last_one_to_four_minutes(cases: list[Case]) -> None:
    for case in cases:
        if case.program_toml is None:
            continue
        program = parse_program(case.program_toml, source=f"seed {case.seed}")
        total = 0.0
        for planned in program.segments():
            seg = planned.segment
            if seg.duration_s is not None:
                total += seg.duration_s
            else:
                assert seg.distance_m is not None
                # At the speed the governor allows facing that way (the default caps).
                cap = Limits().max_speed(seg.direction)
                total += seg.distance_m / (min(seg.speed_kmh, cap) / 3.6)
        # The plan (ramps, turnarounds and stops come on top; the run is capped at run_cap_s).
        assert 40 <= total <= MAX_PLAN_S + 20, (case.seed, total)
        assert case.run_cap_s <= 260
