"""Benchmark: the link's control round trip against a bare Bumble round trip, and streaming CPU.

Run on demand (not part of `uv run pytest`):

    uv run python tests/bench/bench_link.py [--trips N] [--stream-seconds S] [--json]

(a) ours: `TreadmillLink.set_target_speed`, from the call to the confirmed 0x80 answer
    (queue, control check, encode, Bleak write over the Bumble backend, indication, decode).
(b) bare: a Bumble central writes the same Set Target Speed bytes to the virtual treadmill's
    control point and awaits the indication — no Bleak, no link. Same process, same run.
(c) CPU % of one core while the link streams 10 Hz Treadmill Data for S seconds, next to the
    virtual treadmill streaming with no client (both run in this process, so (c) includes the
    treadmill's own cost; the baseline shows how much).

Target: ours p50 ≤ 1.5 × bare p50. ``--json`` prints ``{"ours_rtt_p50_ms", "ours_rtt_p99_ms",
"bare_rtt_p50_ms", "bare_rtt_p99_ms", "ratio_p50", "cpu_pct_10hz"}`` last.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time

from bumble.core import UUID
from bumble.device import Peer

from protocols.ftms import FITNESS_MACHINE_CONTROL_POINT_UUID, RequestControl, SetTargetSpeed
from treadctl.clock import RealClock
from treadctl.link import BleakBackends, Sample, TreadmillLink
from treadctl.virtual.world import VirtualWorld


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def bare_round_trips(world: VirtualWorld, trips: int) -> list[float]:
    central = await world.radio.central()
    connection = await central.connect(world.treadmill_address)
    try:
        peer = Peer(connection)
        await peer.discover_services()
        await peer.discover_characteristics()
        cp = peer.get_characteristics_by_uuid(UUID(FITNESS_MACHINE_CONTROL_POINT_UUID))[0]
        answers: asyncio.Queue[bytes] = asyncio.Queue()
        await peer.subscribe(cp, answers.put_nowait, prefer_notify=False)
        await peer.write_value(cp, bytes(RequestControl()), with_response=True)
        await answers.get()
        times = []
        for i in range(trips):
            payload = bytes(SetTargetSpeed(1.0 + (i % 50) / 10))
            start = time.perf_counter()
            await peer.write_value(cp, payload, with_response=True)
            await answers.get()
            times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        await connection.disconnect()


async def our_round_trips(world: VirtualWorld, trips: int) -> list[float]:
    link = TreadmillLink(RealClock(), backends=BleakBackends.of(world))
    await link.connect(world.treadmill_address)
    try:
        await link.request_control()
        times = []
        for i in range(trips):
            start = time.perf_counter()
            await link.set_target_speed(1.0 + (i % 50) / 10)
            times.append((time.perf_counter() - start) * 1000)
        return times
    finally:
        await link.disconnect()


async def cpu_while(seconds: float, with_link: bool) -> tuple[float, int]:
    clock = RealClock()
    async with VirtualWorld(clock, data_rate_hz=10.0) as world:
        samples = 0
        link = None
        if with_link:
            link = TreadmillLink(clock, backends=BleakBackends.of(world))

            def count(event: object) -> None:
                nonlocal samples
                samples += isinstance(event, Sample)

            link.add_listener(count)
            await link.connect(world.treadmill_address)
            world.treadmill.console_start()
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(seconds)
        cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        if link is not None:
            await link.disconnect()
        return cpu, samples


async def measure(trips: int, stream_seconds: float) -> dict[str, float]:
    async with VirtualWorld(RealClock()) as world:
        await bare_round_trips(world, 20)  # warm-up
        bare = await bare_round_trips(world, trips)
    async with VirtualWorld(RealClock()) as world:
        await our_round_trips(world, 20)
        ours = await our_round_trips(world, trips)
    idle_cpu, _ = await cpu_while(stream_seconds, with_link=False)
    cpu, samples = await cpu_while(stream_seconds, with_link=True)
    figures = {
        "ours_rtt_p50_ms": statistics.median(ours),
        "ours_rtt_p99_ms": percentile(ours, 99),
        "bare_rtt_p50_ms": statistics.median(bare),
        "bare_rtt_p99_ms": percentile(bare, 99),
        "cpu_pct_10hz": cpu,
    }
    figures["ratio_p50"] = figures["ours_rtt_p50_ms"] / figures["bare_rtt_p50_ms"]
    figures["_cpu_pct_treadmill_alone"] = idle_cpu
    figures["_samples"] = samples
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trips", type=int, default=500)
    parser.add_argument("--stream-seconds", type=float, default=10.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    f = asyncio.run(measure(args.trips, args.stream_seconds))
    print(f"Control round trip, {args.trips} Set Target Speed each")
    print(f"{'':<28}{'p50 ms':>10}{'p99 ms':>10}")
    print(
        f"{'ours (link over Bleak)':<28}{f['ours_rtt_p50_ms']:>10.3f}{f['ours_rtt_p99_ms']:>10.3f}"
    )
    bare = "bare Bumble write+indicate"
    print(f"{bare:<28}{f['bare_rtt_p50_ms']:>10.3f}{f['bare_rtt_p99_ms']:>10.3f}")
    print(f"{'ratio p50':<28}{f['ratio_p50']:>10.2f}   (target <= 1.5)")
    print(
        f"CPU, {args.stream_seconds:g} s at 10 Hz: {f['cpu_pct_10hz']:.1f} % of one core "
        f"with the link ({f['_samples']} samples); virtual treadmill alone "
        f"{f['_cpu_pct_treadmill_alone']:.1f} %"
    )
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in f.items() if not k.startswith("_")}))


if __name__ == "__main__":
    main()
