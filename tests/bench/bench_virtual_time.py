"""Benchmark: simulated seconds per CPU second of a whole program on virtual time.

Run on demand (not part of `uv run pytest`):

    uv run python tests/bench/bench_virtual_time.py [--program NAME] [--rates 2,10]
        [--profile FILE] [--bumble-logging] [--with-strap] [--fsync S] [--json]

The built-in ``01-backward-walk-week-1`` (30 minutes of segments and turnarounds) runs
headless through the application core — ``AppCore`` fitting it, the session runner and
governor, the session log and its import into a temporary history, the link over Bleak over
Bumble to the virtual treadmill — on a ``VirtualTimeLoop`` with a ``LoopClock``: what
``treadctl run PROGRAM --simulate`` does, without the printer. One run per notification rate
(2 Hz is ``--simulate``'s; 10 Hz a chatty real treadmill's), from connecting to the core's
shutdown; as ``treadctl run`` without ``--strap``, the virtual world has no strap, and the
log is fsynced every ``VIRTUAL_TIME_FSYNC_S`` simulated seconds. The figure is simulated
session seconds per CPU second of this process (fsync threads and system time included);
wall seconds are shown beside it.

``--profile FILE`` writes a cProfile of the first rate's run (read it with ``python -m
pstats FILE``). For the before/after figures of what made it fast: ``--bumble-logging``
formats every HCI packet as Bumble does by itself (``treadctl.virtual.radio`` skips that while
Bumble's debug logging is off), ``--with-strap`` adds the strap that advertises unused all
along, ``--fsync S`` fsyncs the log every S simulated seconds.

Target: ≥ 200 simulated s per CPU s at 2 Hz. ``--json`` prints ``{"sim_s_per_cpu_s_2hz",
"sim_s_per_cpu_s_10hz", ...}`` last.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import tempfile
import time
from pathlib import Path

from treadctl import virtual_time
from treadctl.cli.run import VIRTUAL_TIME_FSYNC_S, find_program
from treadctl.clock import LoopClock
from treadctl.core import AppCore, BleakBackends, DataFolder, EndReason
from treadctl.virtual import radio
from treadctl.virtual.world import VirtualWorld

PROGRAM = "01-backward-walk-week-1"


async def one_run(
    program_name: str, rate_hz: float, data_dir: Path, *, with_strap: bool, fsync_s: float
) -> dict[str, float]:
    program = find_program(program_name)
    clock = LoopClock()
    async with VirtualWorld(clock, data_rate_hz=rate_hz, with_strap=with_strap) as world:
        core = AppCore(
            clock, BleakBackends.of(world), DataFolder.at(data_dir), fsync_interval_s=fsync_s
        )
        try:
            await core.connect(world.treadmill_address)
            began = clock.now()
            ended = await core.run_program(program)
            simulated = clock.now() - began
        finally:
            await core.shutdown()
            core.people.close()
    assert ended.finished.reason is EndReason.COMPLETED, ended.finished.reason
    return {"simulated_s": simulated, "session_s": ended.finished.summary.duration_s}


def measure(
    program: str, rate_hz: float, profile: Path | None, *, with_strap: bool, fsync_s: float
) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        profiler = cProfile.Profile() if profile is not None else None
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        figures = virtual_time.run(
            one_run(program, rate_hz, Path(tmp), with_strap=with_strap, fsync_s=fsync_s)
        )
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        if profiler is not None and profile is not None:
            profiler.dump_stats(profile)
    return {
        **figures,
        "cpu_s": cpu,
        "wall_s": wall,
        "sim_s_per_cpu_s": figures["simulated_s"] / cpu,
        "sim_s_per_wall_s": figures["simulated_s"] / wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", default=PROGRAM)
    parser.add_argument("--rates", default="2,10", help="notification rates, Hz, comma-separated")
    parser.add_argument("--profile", type=Path, help="write a cProfile of the first rate's run")
    parser.add_argument(
        "--bumble-logging",
        action="store_true",
        help="format every HCI packet as Bumble does by itself (the 'before' figure)",
    )
    parser.add_argument("--with-strap", action="store_true", help="an unused strap, advertising")
    parser.add_argument(
        "--fsync", type=float, default=VIRTUAL_TIME_FSYNC_S, help="fsync period, simulated s"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.bumble_logging:
        radio.QUIET_HCI_LOGGING = False
    rates = [float(r) for r in args.rates.split(",")]
    results = {}
    for i, rate in enumerate(rates):
        results[rate] = measure(
            args.program,
            rate,
            args.profile if i == 0 else None,
            with_strap=args.with_strap,
            fsync_s=args.fsync,
        )
    print(f"{args.program} on virtual time, through the application core")
    print(f"{'rate':<8}{'simulated s':>13}{'CPU s':>9}{'wall s':>9}{'sim s / CPU s':>15}")
    for rate, f in results.items():
        print(
            f"{rate:>4g} Hz {f['simulated_s']:>13.0f}{f['cpu_s']:>9.2f}{f['wall_s']:>9.2f}"
            f"{f['sim_s_per_cpu_s']:>15.0f}"
        )
    print("target: >= 200 simulated s per CPU s at 2 Hz")
    if args.json:
        out: dict[str, float] = {}
        for rate, f in results.items():
            tag = f"{rate:g}hz"
            out[f"sim_s_per_cpu_s_{tag}"] = round(f["sim_s_per_cpu_s"], 1)
            out[f"sim_s_per_wall_s_{tag}"] = round(f["sim_s_per_wall_s"], 1)
            out[f"cpu_s_{tag}"] = round(f["cpu_s"], 3)
            out[f"simulated_s_{tag}"] = round(f["simulated_s"], 1)
        print(json.dumps(out))


if __name__ == "__main__":
    main()
