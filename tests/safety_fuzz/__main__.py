"""Replay one fuzz case: ``uv run python -m tests.safety_fuzz --seed N``.

Prints the case (its program, treadmill, schedule), the trace summary and the verdict: every
rule it broke (and the known finding it is an instance of, if any), or "pass". Exit status 0
on a pass, 1 on a failure. ``--program`` also prints the program's TOML, ``--steps`` every
driver step (the measured belt and the governor), ``--writes`` every write, event and action,
``--around T`` only those within 10 s of T.

``--seeds A:B [--workers N]`` runs seeds A to B-1 instead and prints each failing seed, the
seeds of each known finding, and the figures (cases, time, cases per second).
"""

from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def main(argv: list[str] | None = None) -> int:
    from tests.safety_fuzz.checker import check, known_finding
    from tests.safety_fuzz.generator import generate
    from tests.safety_fuzz.runs import quiet
    from tests.safety_fuzz.scenario import run_case
    from tests.safety_fuzz.trace import ActionRecord, EventRecord, WriteRecord

    # As in the workers: no log output (what the engine logs at ERROR and above is in the trace).
    quiet()

    parser = argparse.ArgumentParser(prog="python -m tests.safety_fuzz", description=__doc__)
    parser.add_argument("--seed", type=int, help="the case's seed")
    parser.add_argument(
        "--quirks", default=None, help="with --seed: the same case on this profile instead"
    )
    parser.add_argument("--seeds", help="A:B, run seeds A to B-1 (a sample, with figures)")
    parser.add_argument("--workers", type=int, default=None, help="with --seeds: processes")
    parser.add_argument("--program", action="store_true", help="print the program's TOML")
    parser.add_argument("--steps", action="store_true", help="print every driver step")
    parser.add_argument("--writes", action="store_true", help="print every write and event")
    parser.add_argument(
        "--around", type=float, default=None, help="with --steps/--writes: only ±10 s of this t"
    )
    args = parser.parse_args(argv)
    if args.seeds is not None:
        return sample(args.seeds, args.workers)
    if args.seed is None:
        parser.error("give --seed N (or --seeds A:B)")

    case = generate(args.seed, quirks=args.quirks)
    print(case.describe())
    if args.program and case.program_toml:
        print(case.program_toml)
    trace = run_case(case)
    print(trace.summary())
    lo, hi = -1e9, 1e9
    if args.around is not None:
        lo, hi = args.around - 10, args.around + 10
    if args.steps:
        for s in trace.steps:
            if not lo <= s.t <= hi:
                continue
            print(
                f"  t={s.t:7.2f} belt {s.state:7} {s.speed_kmh:6.2f} km/h {s.incline_pct:5.2f} % | "
                f"#{s.runner} {s.kind} {s.session_state} {s.phase} {s.direction} "
                f"cmd {s.commanded_kmh} {s.stop_reason or ''}{' HR' if s.hr_hold else ''}"
                f"{'' if s.connected else ' link down'}"
            )
    if args.writes:
        merged: list[WriteRecord | EventRecord | ActionRecord] = [
            *trace.writes,
            *trace.events,
            *trace.actions,
        ]
        for r in sorted(merged, key=lambda r: r.seq):
            if getattr(r, "kind", None) == "Sample" or not lo <= r.t <= hi:
                continue
            print(f"  {r}")
    violations = check(trace)
    if not violations:
        print(f"verdict: pass (digest {trace.digest()})")
        return 0
    print(f"verdict: FAIL, {len(violations)} violation(s) (digest {trace.digest()})")
    for v in violations:
        known = known_finding(v, trace)
        print(f"  {v}" + (f"\n    known finding: {known}" if known else ""))
    return 1


def sample(seeds: str, workers: int | None) -> int:
    import time
    from collections import defaultdict

    from tests.safety_fuzz.runs import WORKERS, Runs

    first, _, last = seeds.partition(":")
    chosen = range(int(first), int(last))
    began = time.perf_counter()
    runs = Runs(chosen, workers if workers is not None else WORKERS)
    failed: list[int] = []
    by_finding: dict[str, list[int]] = defaultdict(list)
    simulated = 0.0
    try:
        for outcome in runs.as_completed():
            simulated += outcome.simulated_s
            for name in outcome.known:
                by_finding[name].append(outcome.seed)
            if outcome.unknown:
                failed.append(outcome.seed)
                print(f"seed {outcome.seed} FAILED: " + " | ".join(outcome.unknown), flush=True)
    finally:
        runs.close()
    took = time.perf_counter() - began
    for name, found in sorted(by_finding.items()):
        print(f"known finding {name}: {len(found)} case(s), seeds {sorted(found)[:20]}")
    print(
        f"{len(chosen)} cases in {took:.1f} s: {len(chosen) / took:.2f} cases/s, "
        f"{simulated / 3600:.2f} simulated hours; {len(failed)} failed {sorted(failed)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
