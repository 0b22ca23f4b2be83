"""Running many fuzz cases: one seed's outcome, and a pool of worker processes for many.

Shape::

    outcome_of(seed) -> Outcome        generate, run, check; plain values (crosses processes);
                                       in a worker, a case past CASE_LIMIT_S real is a failure
    Runs(seeds, workers)               cases submitted at once to `workers` processes (spawned:
     ├── get(seed) -> Outcome          no forked event loop or Bumble state), in seed order;
     ├── as_completed()                with one worker, each case runs here when asked for
     └── close()
    failure_message(outcome)           the seed, what it broke, the one-line replay command
    WORKERS                            TREADCTL_FUZZ_WORKERS, else min(2, CPUs): the machine's
                                       two cores (it is shared: set 1 to keep to one)

Each case is deterministic for its seed (see ``scenario``), so a case run in a worker and the
same case replayed on the command line give the same trace (``Outcome.digest``).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import warnings
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

from tests.safety_fuzz.checker import KNOWN_FINDINGS, check, known_finding
from tests.safety_fuzz.generator import generate
from tests.safety_fuzz.scenario import REPLAY, run_case

__all__ = ["WORKERS", "Outcome", "Runs", "failure_message", "outcome_of", "quiet"]

WORKERS = int(os.environ.get("TREADCTL_FUZZ_WORKERS", min(2, os.cpu_count() or 1)))
#: A case in a worker that has not finished in this many real seconds is a finding of its own
#: (a case takes 0.3-10 s): without the limit a case that never ends holds its worker and the
#: run never reports (a 10⁴ run waited on two such cases for half an hour).
CASE_LIMIT_S = int(os.environ.get("TREADCTL_FUZZ_CASE_LIMIT_S", "120"))


class CaseTooLong(KeyboardInterrupt):
    """A case ran past ``CASE_LIMIT_S`` (raised from the worker's alarm). A KeyboardInterrupt,
    because asyncio lets only that (and SystemExit) out of a callback or a task: anything else
    would be logged there and the case would go on."""


def _too_long(signum: int, frame: object) -> None:
    raise CaseTooLong


@dataclass(frozen=True, slots=True)
class Outcome:
    seed: int
    #: (violation as text, the known finding it is an instance of or None), in rule order.
    violations: tuple[tuple[str, str | None], ...]
    case: str
    summary: str
    digest: str
    real_s: float
    simulated_s: float

    @property
    def unknown(self) -> list[str]:
        return [v for v, known in self.violations if known is None]

    @property
    def known(self) -> set[str]:
        return {known for _, known in self.violations if known is not None}


def outcome_of(seed: int) -> Outcome:
    """Generate, run and check the case of ``seed``."""
    trace = run_case(generate(seed))
    violations = check(trace)
    assert trace.case is not None
    return Outcome(
        seed=seed,
        violations=tuple((str(v), known_finding(v, trace)) for v in violations),
        case=trace.case.describe(),
        summary=trace.summary(),
        digest=trace.digest(),
        real_s=trace.real_seconds,
        simulated_s=trace.end_t,
    )


def _outcome_in_worker(seed: int) -> Outcome:
    """:func:`outcome_of` under the worker's alarm: a case that does not end is reported as a
    failure naming its seed, and the worker goes on to the next."""
    signal.signal(signal.SIGALRM, _too_long)
    signal.alarm(CASE_LIMIT_S)
    try:
        return outcome_of(seed)
    except CaseTooLong:
        text = f"[hang] the case had not ended after {CASE_LIMIT_S} s real"
        return Outcome(seed, ((text, None),), f"seed {seed}", "", "", CASE_LIMIT_S, 0.0)
    finally:
        signal.alarm(0)


def failure_message(outcome: Outcome) -> str:
    """What a failing case prints: its seed, every rule it broke, how to replay it."""
    lines = [f"safety fuzz: seed {outcome.seed} broke {len(outcome.unknown)} rule(s)"]
    lines += [f"  {v}" for v in outcome.unknown]
    if outcome.known:
        lines.append("  (and known findings: " + ", ".join(sorted(outcome.known)) + ")")
    lines += ["", outcome.case, "", outcome.summary, ""]
    lines.append("replay: " + REPLAY.format(seed=outcome.seed))
    return "\n".join(lines)


def known_message(outcome: Outcome) -> str:
    return f"seed {outcome.seed}: only known findings: " + "; ".join(
        f"{name} ({KNOWN_FINDINGS[name][0][:80]}...)" for name in sorted(outcome.known)
    )


def quiet() -> None:
    """No log output (a root handler that drops it, so logging's last resort prints nothing):
    the driver collects what the engine logs at ERROR and above into the trace."""
    logging.getLogger().addHandler(logging.NullHandler())


def _worker_init() -> None:
    # As pytest's own settings in the parent (filterwarnings = error), and no log output.
    warnings.simplefilter("error")
    quiet()
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


class Runs:
    """``seeds`` run in ``workers`` processes (submitted at once), or here with one worker."""

    def __init__(self, seeds: Iterable[int], workers: int = WORKERS) -> None:
        self.seeds = list(seeds)
        self._pool: ProcessPoolExecutor | None = None
        self._futures: dict[int, Future[Outcome]] = {}
        if workers > 1 and len(self.seeds) > 1:
            self._pool = ProcessPoolExecutor(
                workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_init,
            )
            self._futures = {
                seed: self._pool.submit(_outcome_in_worker, seed) for seed in self.seeds
            }

    def get(self, seed: int) -> Outcome:
        if self._pool is None:
            return outcome_of(seed)
        return self._futures[seed].result()

    def as_completed(self) -> Iterator[Outcome]:
        if self._pool is None:
            for seed in self.seeds:
                yield outcome_of(seed)
            return
        for future in as_completed(self._futures.values()):
            yield future.result()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
