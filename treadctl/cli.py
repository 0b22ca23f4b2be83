"""Command line entry point: ``treadctl``.

Subcommands:

* ``treadctl scan [--simulate]`` lists FTMS treadmills and heart-rate straps in range.
* ``treadctl probe [ADDRESS | --simulate]`` connects, prints what the treadmill offers, then
  streams every decoded sample, status and training status as JSON lines until Ctrl-C (or
  ``--duration``). It is what a user attaches to a bug report, so it prints raw bytes too.

* ``treadctl run PROGRAM [--simulate] [--time-scale N] [--log-dir DIR]`` runs a program
  headless, printing progress. Exit 0 completed, 1 stopped or aborted by a fault, 2 invalid
  program. On a terminal, Enter resumes a stopped session (and pauses a running one), ``q``
  finishes; with no terminal any stop or pause ends the session (belt stopped, log closed).
  With ``--simulate``: ``--sim-fault KIND@SECONDS`` and ``--sim-trace FILE``.

``--simulate`` uses the virtual treadmill (a Bumble peripheral on an in-process radio, reached
through the same Bleak calls as real hardware). Without a Bluetooth adapter, both commands say
so in one line and exit with status 3 — never a traceback. The app window (plain
``treadctl``) arrives with its own issue; until then it says so.
"""

from __future__ import annotations

# Light imports only at the top (asyncio, Bleak and the engine inside the commands): the app
# window is opened through main(), and whatever is imported before it paints delays it.
import argparse
import contextlib
import json
import math
import sys
from collections.abc import AsyncIterator, Callable, Sequence
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

from treadctl import __version__
from treadctl.virtual.simulated_faults import SimulatedFault

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
    run = sub.add_parser("run", help="run a program headless (no window), printing progress")
    run.add_argument("program", help="a program file (.toml) or a built-in program's name")
    run.add_argument("--simulate", action="store_true", help="run on the virtual treadmill")
    run.add_argument("--address", help="the treadmill's address (real hardware)")
    run.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="with --simulate: simulated seconds per real second (e.g. 60)",
    )
    run.add_argument("--log-dir", type=Path, help="where the session log goes")
    run.add_argument(
        "--quirks", default="standard", help="virtual treadmill quirk profile (with --simulate)"
    )
    run.add_argument(
        "--sim-fault",
        action="append",
        default=[],
        metavar="KIND@SECONDS",
        help=f"with --simulate: trigger a fault at a session time; KIND is one of "
        f"{', '.join(SIM_FAULTS)}",
    )
    run.add_argument(
        "--sim-trace", type=Path, help="with --simulate: write the treadmill's trace (JSON Lines)"
    )
    run.add_argument("--profile", help="run with this profile's limits (see `treadctl profiles`)")
    run.add_argument(
        "--strap",
        nargs="?",
        const=STRAP_VIRTUAL,
        metavar="ADDRESS",
        help="use this heart-rate strap (from `scan`); with --simulate and no ADDRESS, the "
        "virtual one",
    )
    run.add_argument("--data-dir", type=Path, help="where the profiles and history live")

    from treadctl.history_cli import add_history_commands, add_profile_commands

    add_profile_commands(sub)
    add_history_commands(sub)

    export = sub.add_parser("export", help="write a session as CSV, TCX or FIT")
    export.add_argument(
        "session", nargs="?", help="a session log (.jsonl) or a session id (from `history`)"
    )
    export.add_argument("--format", required=True, choices=("csv", "tcx", "fit"))
    export.add_argument("-o", "--output", type=Path, help="output file or folder")
    export.add_argument(
        "--all", action="store_true", help="every session (of --profile, if given) into -o"
    )
    export.add_argument("--profile", help="with --all: only this profile's sessions")
    export.add_argument("--log-dir", type=Path, help="where session logs are")
    return parser


#: What ``--sim-fault`` offers: every simulated fault but the console's drop-strap and refuse-all.
SIM_FAULTS = tuple(
    fault.value
    for fault in SimulatedFault
    if fault not in {SimulatedFault.DROP_STRAP, SimulatedFault.REFUSE_ALL}
)


def parse_fault(text: str) -> tuple[str, float]:
    kind, sep, at = text.partition("@")
    if not sep or kind not in SIM_FAULTS:
        raise ValueError(f"--sim-fault {text!r}: expected KIND@SECONDS, KIND one of {SIM_FAULTS}")
    try:
        seconds = float(at)
    except ValueError:
        raise ValueError(f"--sim-fault {text!r}: {at!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise ValueError(f"--sim-fault {text!r}: seconds must be 0 or more")
    return kind, seconds


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
async def _backends(
    simulate: bool, quirks: str = "standard", clock: Any = None
) -> AsyncIterator[Any]:
    """The Bleak backends to use, and (with --simulate) the virtual world that serves them."""
    from treadctl.link import BleakBackends

    if not simulate:
        yield BleakBackends(), None
        return
    from treadctl.clock import RealClock
    from treadctl.virtual.world import VirtualWorld

    async with VirtualWorld(clock or RealClock(), quirks=quirks, with_strap=True) as world:
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
    import asyncio

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


def find_session_log(session: str, log_dir: Path) -> Path:
    """A session log path, or the log in ``log_dir`` whose file name ends with ``_<id>``."""
    path = Path(session)
    if path.suffix == ".jsonl" or path.exists():
        return path
    matches = sorted(log_dir.glob(f"*_{session}.jsonl"))
    if not matches:
        raise FileNotFoundError(f"no session log for {session!r} in {log_dir}")
    return matches[-1]


def run_export(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.export import ExportError, export_all, export_session
    from treadctl.recorder import SessionLogError, read_session_log

    log_dir = args.log_dir or default_log_dir()
    try:
        if args.all:
            logs = sorted(log_dir.glob("*.jsonl"))
            if args.profile is not None:
                logs = [
                    p
                    for p in logs
                    if read_session_log(p, skip_bad_lines=True).header.get("profile")
                    == args.profile
                ]
            if not logs:
                out.write(f"export: no sessions in {log_dir}\n")
                return EXIT_FAILED
            written = export_all(logs, args.format, args.output or Path.cwd())
        else:
            if not args.session:
                out.write("export: give a SESSION (log file or id), or --all\n")
                return EXIT_USAGE
            path = find_session_log(args.session, log_dir)
            written = [export_session(path, args.format, args.output)]
    except (ExportError, SessionLogError, FileNotFoundError) as error:
        out.write(f"export: {error}\n")
        return EXIT_FAILED
    for path in written:
        out.write(f"{path}\n")
    return EXIT_OK


def find_program(name: str) -> Any:
    """A program file, or a built-in by file stem or name (case-insensitive)."""
    from treadctl.program import builtin_programs, load_program

    path = Path(name)
    if path.suffix == ".toml" or path.exists():
        return load_program(path)
    wanted = name.casefold()
    for program in builtin_programs():
        stem = Path(program.source or "").stem.casefold()
        if wanted in (program.name.casefold(), stem) or stem.split("-", 1)[-1] == wanted:
            return program
    names = ", ".join(Path(p.source or "").stem for p in builtin_programs())
    raise FileNotFoundError(f"no program file or built-in program {name!r} (built-ins: {names})")


def default_log_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("treadctl")) / "sessions"


async def run_headless(args: argparse.Namespace, out: TextIO) -> int:
    """``treadctl run``: the application core, a printer and the keyboard.

    Exit 0 completed, 1 stopped or aborted. What follows a stop (with no terminal: the end of
    the session), the history import and the progression are the core's, as in the window.
    """
    import asyncio

    from treadctl.clock import RealClock, ScaledClock
    from treadctl.core import AppCore, DataFolder, EndReason

    program = find_program(args.program)
    faults = [parse_fault(f) for f in args.sim_fault]
    if not args.simulate and (faults or args.sim_trace or args.time_scale != 1.0):
        out.write("run: --sim-fault, --sim-trace and --time-scale need --simulate\n")
        return EXIT_USAGE
    if not args.simulate and not args.address:
        out.write("run: give --address ADDRESS (see `treadctl scan`) or --simulate\n")
        return EXIT_USAGE
    if not args.simulate and args.strap == STRAP_VIRTUAL:
        out.write("run: --strap needs an ADDRESS (see `treadctl scan`) without --simulate\n")
        return EXIT_USAGE
    if args.time_scale <= 0:
        out.write("run: --time-scale must be above 0\n")
        return EXIT_USAGE
    clock = RealClock() if args.time_scale == 1.0 else ScaledClock(args.time_scale)
    interactive = sys.stdin is not None and sys.stdin.isatty()
    folder = DataFolder.at(args.data_dir, sessions=args.log_dir)

    async with _backends(args.simulate, args.quirks, clock) as (backends, world):
        core = AppCore(
            clock,
            backends,
            folder,
            resume_possible=interactive,
            # fsync every 3 *real* seconds: at --time-scale 60 a simulated cadence would fsync
            # 20 times a second on the event loop's thread and starve the treadmill's data.
            fsync_interval_s=3.0 * args.time_scale,
            # Under --time-scale N, a stall of the host's event loop for w real seconds looks
            # like N·w simulated seconds without data. Keep the watchdog at least half a real
            # second so it catches a silent treadmill, not a busy laptop (the log records the
            # value used).
            watchdog_floor_s=0.5 * args.time_scale if args.time_scale > 1.0 else 0.0,
        )
        try:
            if args.profile is not None:
                core.choose(args.profile)
                out.write(f"profile {args.profile}\n")
            fitted = core.fit(program)  # shown (and run) fitted; the governor re-checks
            for notice in fitted.notices:
                out.write(f"limit: {notice}\n")
            if core.limits.watchdog_s < 0.5 * args.time_scale and args.time_scale > 1.0:
                out.write(
                    f"time scale {args.time_scale:g}: watchdog {0.5 * args.time_scale:g} "
                    "simulated s\n"
                )
            printer = _Printer(out, core, interactive)
            core.add_listener(printer)
            await core.connect(args.address or world.treadmill_address)
            if args.strap is not None:
                address = world.strap_address if args.strap == STRAP_VIRTUAL else args.strap
                strap = core.connect_strap(address)
                if strap is not None:
                    await strap
            trace = _Trace(world, core, args.sim_trace) if world and args.sim_trace else None
            fault_tasks = [
                asyncio.ensure_future(_fault_at(world, core, clock, kind, at))
                for kind, at in faults
            ]
            keyboard = _watch_keyboard(core) if interactive else None
            try:
                ended = await core.run_program(program)
            finally:
                for task in fault_tasks:
                    task.cancel()
                if keyboard is not None:
                    keyboard()
                if trace is not None:
                    trace.close(clock)
        finally:
            await core.shutdown()
            core.people.close()
        summary = ended.finished.summary
        reason = ended.finished.reason
        out.write(
            f"session {reason.value}: {summary.distance_m:.0f} m in "
            f"{_clock_text(summary.duration_s)}, backward {summary.backward_minutes:.1f} min, "
            f"{summary.energy_kcal or 0:.0f} kcal. Log: {ended.log_path}\n"
        )
        if ended.stored is not None:
            whose = ended.stored.profile or "no profile"
            out.write(f"history: session {ended.stored.id} ({whose})\n")
        return EXIT_OK if reason is EndReason.COMPLETED else EXIT_FAILED


#: ``--strap`` without an address, with ``--simulate``: the virtual treadmill's own strap.
STRAP_VIRTUAL = "virtual"


class _Printer:
    """The core's events as the lines a person reads on a terminal."""

    def __init__(self, out: TextIO, core: Any, interactive: bool) -> None:
        self._out = out
        self._core = core
        self._interactive = interactive
        self._last_print = -math.inf

    def __call__(self, event: Any) -> None:
        from treadctl.core import (
            Countdown,
            Message,
            NoticeRaised,
            Progress,
            SegmentStarted,
            SessionState,
            StateChanged,
            StrapConnected,
            StrapConnectFailed,
            StrapLost,
        )

        out = self._out
        t = f"[{_clock_text(self._core.session_time)}]"
        match event:
            case SegmentStarted(planned=p):
                seg = p.segment
                what = (
                    f"rest {seg.duration_s:g} s"
                    if seg.rest
                    else f"{seg.direction.value} {seg.speed_kmh:g} km/h, "
                    f"incline {seg.incline_pct:g} %"
                )
                where = f" ({p.position})" if p.position else ""
                out.write(f"{t} segment {p.index + 1}/{p.total}: {seg.label}{where} - {what}\n")
                if seg.cue:
                    out.write(f"{t}   cue: {seg.cue}\n")
            case Countdown(seconds=n, turnaround=turn):
                out.write(f"{t}   {'TURN AROUND in' if turn else 'next segment in'} {n}\n")
            case NoticeRaised(notice=notice):
                out.write(f"{t} notice: {notice.message}\n")
            case StateChanged(state=state, stop_reason=reason):
                out.write(f"{t} state: {state.value}{f' ({reason.value})' if reason else ''}\n")
                if state is SessionState.STOPPED and self._interactive:
                    out.write("    press Enter to resume, or type q and Enter to finish\n")
            case Progress(sample=sample, segment_remaining_s=left_s, segment_remaining_m=left_m):
                now = self._core.session_time
                if now - self._last_print >= 10.0:
                    self._last_print = now
                    left = (
                        f", {left_s:.0f} s left"
                        if left_s is not None
                        else (f", {left_m:.0f} m left" if left_m is not None else "")
                    )
                    out.write(
                        f"{t} {event.direction.value} {sample.speed_kmh or 0:.1f} km/h, "
                        f"{sample.distance_m or 0} m{left}\n"
                    )
            case StrapConnected(name=name):
                out.write(f"heart-rate strap: {name}\n")
            case StrapConnectFailed(message=text):
                out.write(f"heart-rate strap not connected: {text}\n")
            case StrapLost():
                out.write(f"{t} heart-rate strap lost: using the treadmill's hand grips\n")
            case Message(text=text):
                out.write(f"{text}\n")
            case _:
                return
        out.flush()


class _Trace:
    """``--sim-trace``: the virtual treadmill's trace as JSON Lines, stamped with session time."""

    def __init__(self, world: Any, core: Any, path: Path) -> None:
        self._world = world
        self._core = core
        self._file = path.open("w", encoding="utf-8")
        world.treadmill.add_trace_listener(self.write)

    def write(self, record: dict[str, Any]) -> None:
        record = {**record, "t": round(self._core.session_time, 3)}
        self._file.write(json.dumps(_plain(record)) + "\n")

    def close(self, clock: Any) -> None:
        world = self._world
        world.treadmill.remove_trace_listener(self.write)
        # A last belt record, so the trace shows how the session left the belt.
        world.model.advance_to(clock.now())
        belt = world.model.snapshot()
        self.write(
            {
                "kind": "belt",
                "speed_kmh": round(belt.speed_kmh, 3),
                "incline_pct": round(belt.incline_pct, 3),
                "running": belt.state.name == "RUNNING",
            }
        )
        self._file.close()


def _clock_text(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


async def _fault_at(world: Any, core: Any, clock: Any, kind: str, at: float) -> None:
    """Trigger a virtual-treadmill fault at session time ``at`` (simulated seconds)."""
    from treadctl.virtual.simulated_faults import trigger

    while core.session_time < at:
        await clock.sleep(min(0.25, at - core.session_time + 1e-3))
    await trigger(world, SimulatedFault(kind))


def _watch_keyboard(core: Any) -> Any:
    """On a terminal: Enter resumes a stopped session, ``q`` finishes it. Returns a remover."""
    import asyncio

    from treadctl.core import SessionState

    loop = asyncio.get_running_loop()

    def on_line() -> None:
        line = sys.stdin.readline()
        if not line or line.strip().lower() in ("q", "quit"):
            core.finish_session()
        elif core.session_state in (SessionState.STOPPED, SessionState.RESTING):
            core.resume()
        else:
            core.pause()  # Enter while running pauses: a keyboard is a stop button too

    loop.add_reader(sys.stdin.fileno(), on_line)
    return lambda: loop.remove_reader(sys.stdin.fileno())


def main(argv: Sequence[str] | None = None, *, app: Callable[..., int] | None = None) -> int:
    """Run the command line. ``app`` opens the window when no subcommand is given: the console
    script passes ``ui.app.run_app`` (see ``ui/launcher.py``), so treadctl never imports ui."""
    words = sys.argv[1:] if argv is None else list(argv)
    if app is not None and set(words) <= {"--simulate"}:
        # The app's own command line, opened before the parser of every subcommand is built:
        # until its window has painted, every millisecond here is one the person waits.
        return app(simulate=bool(words))
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        if app is None:
            print("treadctl: no app window in this build; see `treadctl --help`.", file=sys.stderr)
            return EXIT_USAGE
        # Before anything else is imported: the window paints first, then loads the rest.
        return app(simulate=args.simulate)
    import asyncio

    from treadctl.link import ConnectFailed, LinkError, NoAdapterError
    from treadctl.profiles import ProfileError
    from treadctl.program import ProgramError

    if args.command == "export":
        return run_export(args, sys.stdout)
    if getattr(args, "handler", None) is not None:  # profiles, history
        result: int = args.handler(args, sys.stdout)
        return result
    runner = {"scan": run_scan, "probe": run_probe, "run": run_headless}[args.command]
    try:
        return asyncio.run(runner(args, sys.stdout))
    except KeyboardInterrupt:
        return EXIT_OK
    except ProfileError as error:
        print(f"treadctl: {error}", file=sys.stderr)
        return EXIT_FAILED
    except (ProgramError, FileNotFoundError) as error:
        print(f"treadctl: invalid program: {error}", file=sys.stderr)
        return EXIT_USAGE
    except ValueError as error:
        print(f"treadctl: {error}", file=sys.stderr)
        return EXIT_USAGE
    except NoAdapterError as error:
        print(f"treadctl: {error}. Try --simulate to use the virtual treadmill.", file=sys.stderr)
        return EXIT_NO_ADAPTER
    except (ConnectFailed, LinkError) as error:
        print(f"treadctl: {error}", file=sys.stderr)
        return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main())  # headless subcommands only; `treadctl` itself also opens the app
