"""``treadctl probe [ADDRESS | --simulate]``: what a treadmill offers, then every record.

With ``--report FILE`` it writes a device report instead (``treadctl.report``, format in
``docs/device-report.md``) and exits: advertisement, GATT table, Device Information, features,
ranges, the data at rest (``--rest-seconds``), the answers to Request Control and Reset, and,
only with ``--guided`` and a confirmation that nobody stands on the belt (a terminal, or
``--yes``), a guided test that moves the belt through a session's safety governor. With
``--simulate`` a report is made on virtual time (no waiting).

It connects, prints what the treadmill says about itself (its Device Information too:
manufacturer, model, firmware...), then streams every decoded sample,
status and training status as JSON lines until Ctrl-C (or ``--duration``). It is what a user
attaches to a bug report, so it prints raw bytes too.
"""

from __future__ import annotations

import argparse
import math
from pathlib import Path
from typing import Any, TextIO

from treadctl import __version__
from treadctl.cli.backends import add_device_argument, backends, device_from
from treadctl.cli.errors import EXIT_OK, EXIT_USAGE
from treadctl.cli.output import emit

#: With --report: how long the stream at rest is recorded by default (report.collect's).
DEFAULT_REST_SECONDS = 3.0

__all__ = ["add_parser"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    probe = sub.add_parser(
        "probe", help="connect, print features and ranges, stream samples as JSON lines"
    )
    probe.add_argument("address", nargs="?", help="the treadmill's address (from `scan`)")
    probe.add_argument("--simulate", action="store_true", help="probe the virtual treadmill")
    probe.add_argument(
        "--quirks", default="standard", help="virtual treadmill quirk profile (with --simulate)"
    )
    add_device_argument(probe)
    probe.add_argument("--duration", type=float, default=None, help="stop after this many seconds")
    probe.add_argument(
        "--report",
        type=Path,
        metavar="FILE",
        help="write a device report (JSON, privacy-clean: no address, no serial number) to "
        "FILE and exit; docs/device-report.md says how to file it",
    )
    probe.add_argument(
        "--force",
        action="store_true",
        help="with --report: replace FILE if it exists (else an existing file is refused)",
    )
    probe.add_argument(
        "--rest-seconds",
        type=float,
        default=DEFAULT_REST_SECONDS,
        metavar="S",
        help=f"with --report: record the data at rest this long (default {DEFAULT_REST_SECONDS:g})",
    )
    probe.add_argument(
        "--guided",
        action="store_true",
        help="with --report: also run the guided test, which MOVES THE BELT (slowest speed, one "
        "step up, stop); asks first that nobody stands on it",
    )
    probe.add_argument(
        "--yes",
        action="store_true",
        help="with --guided: nobody stands on the belt (for use without a terminal)",
    )
    probe.set_defaults(handler=run)


def run(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from treadctl.cli.probe_report import report_command

    if args.report is None:
        if args.guided or args.yes:
            out.write("probe: --guided and --yes go with --report FILE\n")
            return EXIT_USAGE
        return asyncio.run(probe_command(args, out))
    if not (args.rest_seconds >= 0 and math.isfinite(args.rest_seconds)):
        out.write(f"probe: --rest-seconds must be 0 or more, got {args.rest_seconds}\n")
        return EXIT_USAGE
    if args.simulate:
        # Nobody watches a simulated report being made: on virtual time it takes no waiting
        # (treadctl.virtual_time), and every timing in it is still at its real value.
        from treadctl import virtual_time

        return virtual_time.run(report_command(args, out))
    return asyncio.run(report_command(args, out))


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
        case link.VendorStatus():
            return {
                "kind": "vendor_status",
                "t": t,
                "state": event.status.state,
                "error_code": event.status.error_code,
                "problem": event.problem,
            }
        case link.HeartRateSample():
            return {"kind": "heart_rate", "t": t, "bpm": event.heart_rate_bpm}
        case _:
            return {"kind": type(event).__name__.lower(), "t": t}


def _info_record(info: Any) -> dict[str, Any]:
    import dataclasses

    def rng(r: Any) -> dict[str, float] | None:
        if r is None:
            return None
        return {k: getattr(r, k) for k in r.__dataclass_fields__}

    device = info.device_information
    return {
        "kind": "info",
        "address": info.address,
        "name": info.name,
        "device_information": dataclasses.asdict(device) if device is not None else None,
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


async def probe_command(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    from treadctl.clock import RealClock
    from treadctl.core.diagnostics import Diagnostics
    from treadctl.link import TreadmillLink

    if not args.simulate and not args.address:
        out.write("probe: give the treadmill's ADDRESS (see `treadctl scan`) or --simulate\n")
        return EXIT_USAGE
    device = device_from(args)
    async with backends(args.simulate, args.quirks, device=device) as (bleak, world):
        address = args.address or (world.treadmill_address if world else None)
        assert address is not None  # checked above
        clock = RealClock()
        start = clock.now()
        link = TreadmillLink(clock, backends=bleak)
        # Events that arrive while connecting (the first training status) wait until the info
        # line is out, so a report always opens with what the treadmill is.
        held: list[dict[str, Any]] = []
        holding = True

        diagnostics = Diagnostics()

        def on_event(event: Any) -> None:
            records = [_event_record(event, start)]
            diagnostic = diagnostics.see(event)
            if diagnostic is not None:
                # The sentence the connect page shows, for a person reading along.
                records.append(
                    {
                        "kind": "diagnostic",
                        "t": records[0]["t"],
                        "text": diagnostic.text,
                        "cleared": diagnostic.cleared,
                    }
                )
            for record in records:
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
