"""``treadctl probe --report FILE``: collect a device report and write it (see ``probe``).

The options are parsed by :mod:`treadctl.cli.probe`; this is the command's body: the guided
test's confirmation (a terminal, or ``--yes``), the collection (:mod:`treadctl.report.collect`)
on the platform's Bluetooth or the virtual treadmill (a quirk profile, or ``--device FILE``),
and the file written with a line saying what to do with it.
"""

from __future__ import annotations

import argparse
from typing import TextIO

from treadctl.cli.backends import backends, device_from
from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE

__all__ = ["GUIDED_WARNING", "report_command"]


GUIDED_WARNING = (
    "The guided test MOVES THE BELT: it starts it at the treadmill's slowest speed, speeds it "
    "up by 1 km/h, then stops it, in about 15 seconds. Nobody may stand on the belt."
)


async def report_command(args: argparse.Namespace, out: TextIO) -> int:
    """``probe --report FILE``: collect a device report (treadctl.report) and write it."""
    import json
    import sys

    from treadctl.clock import Clock, LoopClock, RealClock
    from treadctl.report.collect import collect_report

    if not args.simulate and not args.address:
        out.write("probe: give the treadmill's ADDRESS (see `treadctl scan`) or --simulate\n")
        return EXIT_USAGE
    terminal = sys.stdin is not None and sys.stdin.isatty()
    if args.guided and not args.yes and not terminal:
        out.write(
            "probe: --guided moves the belt and asks first that nobody stands on it; without "
            "a terminal to ask on, say so with --yes\n"
        )
        return EXIT_USAGE

    async def confirm() -> bool:
        out.write(GUIDED_WARNING + "\n")
        out.flush()
        if args.yes:
            out.write("Nobody on the belt (--yes): starting.\n")
            return True
        import asyncio

        loop = asyncio.get_running_loop()
        answer = await loop.run_in_executor(
            None, input, "Is the belt clear, with nobody on it? Type yes to start: "
        )
        return answer.strip().lower() == "yes"

    from treadctl.export import ExportError, write_file

    try:
        # Before the treadmill is asked anything (a guided test moves the belt): a report
        # that could not be written would be work lost, and a belt moved for nothing.
        write_file(args.report, None, overwrite=args.force)
    except ExportError as error:
        out.write(f"probe: {error}\n")
        return EXIT_FAILED
    device = device_from(args)
    clock: Clock = LoopClock() if args.simulate else RealClock()
    shaped = backends(args.simulate, args.quirks, clock, with_strap=False, device=device)
    async with shaped as (bleak, world):
        address = args.address or (world.treadmill_address if world else None)
        assert address is not None  # checked above
        report = await collect_report(
            address,
            clock,
            bleak,
            source="virtual" if args.simulate else "bluetooth",
            rest_seconds=args.rest_seconds,
            guided=args.guided,
            confirm=confirm,
        )
    try:
        write_file(
            args.report,
            (json.dumps(report, indent=2) + "\n").encode("utf-8"),
            overwrite=args.force,
        )
    except ExportError as error:
        out.write(f"probe: {error}\n")
        return EXIT_FAILED
    for finding in report["findings"]:
        out.write(f"finding: {finding['text']}\n")
    out.write(
        f"Device report written to {args.report}. It holds no address and no serial number; "
        "read it, then attach it to an issue (docs/device-report.md).\n"
    )
    return EXIT_OK
