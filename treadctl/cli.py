"""Command line entry point: ``treadctl``.

Subcommands:

* ``treadctl scan [--simulate]`` lists FTMS treadmills and heart-rate straps in range.
* ``treadctl probe [ADDRESS | --simulate]`` connects, prints what the treadmill offers, then
  streams every decoded sample, status and training status as JSON lines until Ctrl-C (or
  ``--duration``). It is what a user attaches to a bug report, so it prints raw bytes too.

``--simulate`` uses the virtual treadmill (a Bumble peripheral on an in-process radio, reached
through the same Bleak calls as real hardware). Without a Bluetooth adapter, both commands say
so in one line and exit with status 3 — never a traceback. The app window (plain
``treadctl``) arrives with its own issue; until then it says so.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import AsyncIterator, Sequence
from enum import Enum
from typing import Any, TextIO

from treadctl import __version__

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_NO_ADAPTER = 3


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treadctl",
        description="Drive a Bluetooth FTMS treadmill through scripted interval sessions.",
    )
    parser.add_argument("--version", action="version", version=f"treadctl {__version__}")
    parser.add_argument(
        "--simulate", action="store_true", help="use the virtual treadmill instead of Bluetooth"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    scan = sub.add_parser("scan", help="list FTMS treadmills and heart-rate straps in range")
    scan.add_argument("--simulate", action="store_true", help="scan the virtual radio")
    scan.add_argument("--timeout", type=float, default=5.0, help="seconds to scan (default 5)")
    scan.add_argument("--json", action="store_true", help="one JSON object per device")

    probe = sub.add_parser(
        "probe", help="connect, print features and ranges, stream samples as JSON lines"
    )
    probe.add_argument("address", nargs="?", help="the treadmill's address (from `scan`)")
    probe.add_argument("--simulate", action="store_true", help="probe the virtual treadmill")
    probe.add_argument(
        "--quirks", default="standard", help="virtual treadmill quirk profile (with --simulate)"
    )
    probe.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    return parser


def _plain(value: object) -> Any:
    """JSON-ready: enums by name (IntEnums would otherwise print as bare numbers), bytes as
    hex, tuples as lists."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def emit(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(_plain(record), default=str) + "\n")
    out.flush()


@contextlib.asynccontextmanager
async def _backends(simulate: bool, quirks: str = "standard") -> AsyncIterator[Any]:
    """The Bleak backends to use, and (with --simulate) the virtual world that serves them."""
    from treadctl.link import BleakBackends

    if not simulate:
        yield BleakBackends(), None
        return
    from treadctl.clock import RealClock
    from treadctl.virtual.world import VirtualWorld

    async with VirtualWorld(RealClock(), quirks=quirks, with_strap=True) as world:
        yield BleakBackends(world.scanner_backend(), world.client_backend()), world


async def run_scan(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.link import scan

    async with _backends(args.simulate) as (backends, _world):
        found = await scan(args.timeout, backends=backends)
    if args.json:
        for device in found:
            emit(
                out,
                {
                    "kind": device.kind,
                    "name": device.name,
                    "address": device.address,
                    "rssi": device.rssi,
                },
            )
        return EXIT_OK
    if not found:
        out.write("No FTMS treadmills or heart-rate straps found.\n")
        return EXIT_OK
    out.write(f"{'kind':<11}{'name':<28}{'address':<20}{'rssi':>5}\n")
    for device in found:
        rssi = "" if device.rssi is None else str(device.rssi)
        out.write(f"{device.kind:<11}{device.name or '?':<28}{device.address:<20}{rssi:>5}\n")
    return EXIT_OK


def _event_record(event: Any, start: float) -> dict[str, Any]:
    """One JSON line for a link event; ``t`` is seconds since the probe started."""
    from treadctl import link

    t = round(event.t - start, 3)

    match event:
        case link.Sample():
            return {
                "kind": "sample",
                "t": t,
                **event.record.present_fields(),
                **({"truncated": True} if event.record.truncated else {}),
                **(
                    {"reserved_flags": event.record.reserved_flags}
                    if event.record.reserved_flags
                    else {}
                ),
                **({"trailing": event.record.trailing} if event.record.trailing else {}),
                "raw": list(event.raw),
            }
        case link.StatusChanged():
            return {
                "kind": "status",
                "t": t,
                "op": event.status.op,
                "value": event.status.value,
                "raw": bytes(event.status),
            }
        case link.TrainingStatusChanged():
            return {
                "kind": "training_status",
                "t": t,
                "status": event.status.status,
                "text": event.status.text,
            }
        case link.MalformedData():
            return {
                "kind": "malformed",
                "t": t,
                "characteristic": event.characteristic,
                "raw": event.data,
                "error": event.error,
            }
        case link.HeartRateSample():
            return {"kind": "heart_rate", "t": t, "bpm": event.heart_rate_bpm}
        case _:
            return {"kind": type(event).__name__.lower(), "t": t}


def _info_record(info: Any) -> dict[str, Any]:
    def rng(r: Any) -> dict[str, float] | None:
        if r is None:
            return None
        return {k: getattr(r, k) for k in r.__dataclass_fields__}

    return {
        "kind": "info",
        "address": info.address,
        "name": info.name,
        "machine_features": [
            f.name
            for f in type(info.feature.machine_features)
            if f in info.feature.machine_features
        ],
        "target_settings": [
            f.name for f in type(info.feature.target_settings) if f in info.feature.target_settings
        ],
        "feature_raw": bytes(info.feature),
        "speed_range": rng(info.speed_range),
        "inclination_range": rng(info.inclination_range),
        "control_point": info.has_control_point,
        "training_status": info.has_training_status,
        "mtu": info.mtu,
        "notes": list(info.notes),
        "app_version": __version__,
    }


async def run_probe(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.clock import RealClock
    from treadctl.link import TreadmillLink

    if not args.simulate and not args.address:
        out.write("probe: give the treadmill's ADDRESS (see `treadctl scan`) or --simulate\n")
        return EXIT_USAGE
    async with _backends(args.simulate, args.quirks) as (backends, world):
        address = args.address or world.treadmill_address
        clock = RealClock()
        start = clock.now()
        link = TreadmillLink(clock, backends=backends)
        # Events that arrive while connecting (the first training status) wait until the info
        # line is out, so a report always opens with what the treadmill is.
        held: list[dict[str, Any]] = []
        holding = True

        def on_event(event: Any) -> None:
            record = _event_record(event, start)
            if holding:
                held.append(record)
            else:
                emit(out, record)

        link.add_listener(on_event)
        info = await link.connect(address)
        emit(out, _info_record(info))
        for record in held:
            emit(out, record)
        holding = False
        try:
            if args.duration is None:
                await asyncio.Event().wait()  # until Ctrl-C
            else:
                await clock.sleep(args.duration)
        finally:
            await link.disconnect()
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from treadctl.link import ConnectFailed, LinkError, NoAdapterError

    runner = {"scan": run_scan, "probe": run_probe}.get(args.command or "")
    if runner is None:
        print(
            "treadctl: the app window is not built yet. Today: `treadctl scan`, "
            "`treadctl probe` (both take --simulate); run `treadctl --help`.",
            file=sys.stderr,
        )
        return EXIT_OK
    try:
        return asyncio.run(runner(args, sys.stdout))
    except KeyboardInterrupt:
        return EXIT_OK
    except NoAdapterError as error:
        print(f"treadctl: {error}. Try --simulate to use the virtual treadmill.", file=sys.stderr)
        return EXIT_NO_ADAPTER
    except (ConnectFailed, LinkError) as error:
        print(f"treadctl: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())
