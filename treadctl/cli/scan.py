"""``treadctl scan [--simulate] [--timeout S] [--json]``: FTMS treadmills and straps in range."""

from __future__ import annotations

import argparse
from typing import TextIO

from treadctl.cli.backends import backends
from treadctl.cli.errors import EXIT_OK
from treadctl.cli.output import emit

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = sub.add_parser("scan", help="list FTMS treadmills and heart-rate straps in range")
    scan.add_argument("--simulate", action="store_true", help="scan the virtual radio")
    scan.add_argument("--timeout", type=float, default=5.0, help="seconds to scan (default 5)")
    scan.add_argument("--json", action="store_true", help="one JSON object per device")
    scan.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    return asyncio.run(scan_command(args, out))


async def scan_command(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.link import scan

    async with backends(args.simulate) as (bleak, _world):
        found = await scan(args.timeout, backends=bleak)
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
