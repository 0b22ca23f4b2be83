"""End-to-end safety fuzzing: generated programs, faults and intents through real GATT over
Bumble and the application core, each trace checked against every rule (``checker``).

* ``test_fuzz_case``: the default run, ``DEFAULT_CASES`` seeds, one test each (its id is the
  seed), run ahead in ``runs.WORKERS`` worker processes. A case that breaks a rule fails with its
  seed, what it broke and the one-line command that replays it; a case whose every violation is
  a known finding (``checker.KNOWN_FINDINGS``) is an expected failure.
* ``test_fuzz_slow`` (``-m slow``, with ``-s -n0`` to see it): ``SLOW_CASES`` seeds, about an
  hour on two cores; it prints the figures (cases, time, cases per second) and fails listing
  every seed that broke a rule.
* ``test_each_known_finding_still_shows``: each bug this fuzzer found in treadctl/ and not
  fixed yet, pinned to a seed that shows it: once the bug is fixed the seed no longer shows it,
  which fails the run until the finding moves from ``KNOWN_FINDINGS`` to ``FIXED_SEEDS``.

The count: a case takes 0.6-1 s of one core (1-4 simulated minutes; ~1.4 cases/s per core on
the project's machine, measured), so 240 cases on two cores add about 1.5 minutes to the
default run; see ``DEFAULT_CASES``.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterator

import pytest

from tests.safety_fuzz.checker import KNOWN_FINDINGS, check, known_finding
from tests.safety_fuzz.generator import generate
from tests.safety_fuzz.runs import WORKERS, Outcome, Runs, failure_message, known_message
from tests.safety_fuzz.scenario import REPLAY, run_case

#: Cases in the default run: 240 at ~1.4 cases/s per core on two cores is about 90 s (at most
#: ~2 minutes added to `uv run pytest`, with the machine shared).
DEFAULT_CASES = int(os.environ.get("TREADCTL_FUZZ_CASES", "300"))
#: Cases in the slow run (seeds DEFAULT_CASES onwards: the default run's are not repeated).
SLOW_CASES = int(os.environ.get("TREADCTL_FUZZ_SLOW_CASES", "10000"))


@pytest.fixture(scope="module")
def runs(request: pytest.FixtureRequest) -> Iterator[Runs]:
    """The selected default-run cases, all submitted to the workers at once. Under pytest-xdist
    this needs the file's tests in one process (``--dist loadfile``, as pyproject sets): every
    process that ran one of them would submit them all."""
    seeds = [
        seed
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.originalname == "test_fuzz_case"
        and isinstance(seed := item.callspec.params["seed"], int)
    ]
    pool = Runs(seeds)
    yield pool
    pool.close()


def verdict(outcome: Outcome) -> None:
    if outcome.unknown:
        pytest.fail(failure_message(outcome), pytrace=False)
    if outcome.known:
        pytest.xfail(known_message(outcome))


@pytest.mark.parametrize("seed", range(DEFAULT_CASES), ids=lambda seed: f"seed-{seed}")
def test_fuzz_case(seed: int, runs: Runs) -> None:
    verdict(runs.get(seed))


#: The slow run prints a progress line every this many cases (seen with ``-s``).
PROGRESS_EVERY = 250


def _rules_of(outcome: Outcome) -> set[str]:
    """The rules an outcome broke outside the known findings (a violation reads "[rule] ...")."""
    return {v[1 : v.index("]")] for v in outcome.unknown}


@pytest.mark.slow
def test_fuzz_slow() -> None:
    began = time.perf_counter()
    seeds = range(DEFAULT_CASES, DEFAULT_CASES + SLOW_CASES)
    pool = Runs(seeds)
    failed: list[Outcome] = []
    by_rule: dict[str, list[int]] = defaultdict(list)
    by_finding: dict[str, list[int]] = defaultdict(list)
    simulated = 0.0
    done = 0
    try:
        for outcome in pool.as_completed():
            done += 1
            simulated += outcome.simulated_s
            for name in outcome.known:
                by_finding[name].append(outcome.seed)
            if outcome.unknown:
                failed.append(outcome)
                for rule in _rules_of(outcome):
                    by_rule[rule].append(outcome.seed)
                print(f"seed {outcome.seed} FAILED: " + " | ".join(outcome.unknown), flush=True)
            if done % PROGRESS_EVERY == 0:
                took = time.perf_counter() - began
                print(
                    f"{done} cases in {took:.0f} s ({done / took:.2f} cases/s), "
                    f"{len(failed)} failed",
                    flush=True,
                )
    finally:
        pool.close()
    took = time.perf_counter() - began
    lines = [
        f"{SLOW_CASES} cases in {took:.0f} s on {WORKERS} worker(s): "
        f"{SLOW_CASES / took:.2f} cases/s, {simulated / 3600:.1f} simulated hours; "
        f"{len(failed)} failed"
    ]
    lines += [f"  broke {rule}: {sorted(found)}" for rule, found in sorted(by_rule.items())]
    lines += [
        f"  known finding {name}: {len(found)} case(s), e.g. {sorted(found)[:10]}"
        for name, found in sorted(by_finding.items())
    ]
    figures = "\n".join(lines)
    print(figures, flush=True)
    failed.sort(key=lambda o: o.seed)
    assert not failed, "\n\n".join([figures, *(failure_message(o) for o in failed[:20])])


def test_a_failure_names_its_seed_and_the_command_that_replays_it() -> None:
    outcome = Outcome(
        seed=4242,
        violations=(("[ended-still] t=12: a session ended 'completed' with the belt at 2", None),),
        case="seed 4242: ...",
        summary="...",
        digest="0",
        real_s=0.0,
        simulated_s=0.0,
    )
    message = failure_message(outcome)
    assert "seed 4242" in message and "[ended-still]" in message
    assert "uv run python -m tests.safety_fuzz --seed 4242" in message.splitlines()[-1]
    assert REPLAY.format(seed=4242) == "uv run python -m tests.safety_fuzz --seed 4242"


#: Seeds whose cases show determinism where it could be lost: a plain program, a dropped link
#: that reconnects on Bumble's timers, a strap that connects, drops and reconnects.
DETERMINISM_SEEDS = {60: "", 25: "reconnect", 91: "strap reconnect"}


def test_a_case_is_deterministic_for_its_seed() -> None:
    # Two runs of a seed give the same trace (both virtual times: the ManualClock's steps and the
    # loop's, on which the radio reconnects), here and in a worker process as in a fuzz run.
    here = {seed: run_case(generate(seed)) for seed in DETERMINISM_SEEDS}
    pool = Runs(DETERMINISM_SEEDS, workers=2)
    try:
        there = {seed: pool.get(seed) for seed in DETERMINISM_SEEDS}
    finally:
        pool.close()
    for seed, waited in DETERMINISM_SEEDS.items():
        trace = here[seed]
        again = run_case(generate(seed))
        assert trace.digest() == again.digest() == there[seed].digest, seed
        assert [what for _, what, _ in trace.radio_waits if what == waited] == (
            [waited] if waited else []
        ), trace.radio_waits
        # The radio's waits took time on the loop (none of it real: they recur to the bit).
        assert all(s > 0 for _, _, s in trace.radio_waits)
        assert trace.radio_waits == again.radio_waits


def test_the_replay_command_prints_the_summary_and_the_verdict(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from tests.safety_fuzz.__main__ import main

    status = main(["--seed", "60"])
    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("seed 60: program session")
    assert "writes:" in out and out.rstrip().splitlines()[-1].startswith("verdict: pass")


# --- the bugs this fuzzer found in treadctl/, fixed: each seed that showed one stays a case ---

#: finding -> the seed that showed it (its case's description says how) and the profile its
#: case was on (pinned: the profiles a seed is drawn over have widened since); each was fixed
#: in treadctl/ (tests/treadctl/core/test_fuzz_findings.py and test_safety.py reproduce them).
FIXED_SEEDS: dict[str, tuple[int, str]] = {
    "notice-kind-collision": (11, "urevo-e1l"),
    "resume-while-winding-down": (1242, "urevo-e1l"),
    "stop-before-new-session-lost": (66, "technogym"),
    "finish-while-latched-sends-no-stop": (350, "matrix"),
    "stop-resend-burst": (12, "standard"),
    "console-deck-above-cap": (276, "standard"),
    "finished-while-link-down": (137, "urevo-e1l"),
    "commands-queued-behind-slow-answers": (86, "technogym"),
    "off-grid-decrease": (287, "urevo-e1l"),
    "incline-steps-dropped-on-latch": (239, "fitshow"),
    "backward-time-uncounted-while-silent": (938, "fitshow"),
    "resume-into-next-rest": (1175, "standard"),
    "alarm-of-a-replaced-session-lost": (129, "urevo-e1l"),
    "stop-not-written-without-control": (3069, "urevo-e1l"),
    "console-deck-during-turnaround": (469, "kingsmith"),
    "runaway-belt-while-latched": (8388, "kingsmith"),
    "deck-without-incline-control": (20139, "urevo-e1l"),
    "speed-step-behind-the-control-point-after-a-stop": (1037, "matrix"),
    "last-ramp-step-in-the-instant-the-program-ends": (1959, "matrix"),
    "incline-backlog-behind-slow-answers": (3066, "technogym"),
    "incline-jump-in-a-new-session-on-a-moving-belt": (5521, "standard"),
    "start-on-a-fixed-deck-above-every-cap": (40220, "domyos-ts100"),
    "heart-rate-hold-on-a-lagging-belt": (40045, "kingsmith-x21"),
    "stop-before-two-new-sessions-held-only-one": (8592, "kingsmith"),
    "fitshow-key-unheard-while-the-data-is-silent": (724, "fitshow"),
    "unseen-belt-started-at-the-console-never-stopped": (713, "never-final"),
    "stop-never-sent-again-after-the-alarm": (2689, "precor-daemon"),
    "paced-incline-step-above-the-cap": (5568, "iconcept-t01"),
    "end-waits-past-stop-wait-after-slow-answers": (8570, "never-final"),
    "pause-at-the-start-confirmed-by-that-instant": (8840, "fitshow"),
    "resume-on-a-moving-belt-above-the-deck-cap": (9880, "matrix"),
    "wind-down-waiting-on-a-finished-task": (7698, "whole-percent-incline"),
    "belt-over-the-cap-ignoring-speed-never-stopped": (70560, "xterra-t85"),
    # Findings of the checker itself (the app was right): a stop resets the treadmill's
    # incline target to the deck, so the next command counts from there; a stop cannot be
    # written while the treadmill refuses control after a reconnect.
    "checker-incline-after-a-stop-counts-from-the-deck": (60345, "life-fitness"),
    "checker-stop-while-the-treadmill-refuses-control": (61214, "kingsmith-x21"),
}
#: finding -> a seed that shows it, for each one in checker.KNOWN_FINDINGS (not fixed yet).
FINDING_SEEDS: dict[str, int] = {}


@pytest.mark.parametrize("finding", list(FIXED_SEEDS))
def test_a_fixed_finding_stays_fixed(finding: str) -> None:
    seed, quirks = FIXED_SEEDS[finding]
    trace = run_case(generate(seed, quirks=quirks))
    assert [str(v) for v in check(trace)] == []


def test_each_known_finding_still_shows() -> None:
    for finding, seed in FINDING_SEEDS.items():
        trace = run_case(generate(seed))
        assert [v for v in check(trace) if known_finding(v, trace) == finding], (
            f"{finding} no longer shows on seed {seed}: move it to FIXED_SEEDS"
        )


def test_every_known_finding_is_pinned_to_a_seed() -> None:
    assert set(FINDING_SEEDS) == set(KNOWN_FINDINGS)
