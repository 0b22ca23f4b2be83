"""``treadctl run PROGRAM``: a session headless — the application core, a printer, the keyboard.

Shape::

    run_command(args, out)            asyncio.run of the below
     ├── AppCore(clock, backends,     the same core the window uses (treadctl.core): it fits
     │           folder, ...)         the program to the person's limits, runs the session,
     │                                decides what follows a stop, imports the log into the
     │                                history and applies progression
     ├── Printer                      the core's events as lines on a terminal
     ├── the keyboard                 on a terminal: Enter resumes a stopped session (and pauses
     │                                a running one), ``q`` finishes; without one, nobody can
     │                                resume, so the core ends the session at any stop
     └── with --simulate              --sim-fault KIND@SECONDS (treadctl.virtual.simulated_faults),
                                      --sim-trace FILE, --time-scale N, --quirks NAME,
                                      --device FILE (a device report's treadmill)

Time, with --simulate. By default the run is on virtual time (treadctl.virtual_time): the
event loop jumps to the next timer whenever every task waits, so the session runs as fast as
the CPU allows (a 30-minute program in seconds), gives the same trace every run, and every
safety timing — the 3 s stale-data watchdog, control-point timeouts — is at its real value.
That is the default because a simulated run is almost always a check, a script or a test;
nobody can follow it live, so on virtual time the keyboard is not read and any stop ends the
session, as without a terminal. ``--time-scale N`` paces the run by the wall clock instead (N
simulated seconds per real second; 1 is real time), for a demo a person watches and resumes
from the keyboard. It changes no limit: a stall of the host of w real seconds looks like N·w
simulated seconds without data, so under heavy load a scaled run can stop on the stale-data
watchdog when the treadmill did not go silent. That errs towards stopping, which is
acceptable for a demo and never happens on virtual time.

Exit 0 completed, 1 stopped or aborted by a fault, 2 invalid program or option.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treadctl.cli.backends import add_device_argument, backends, device_from
from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, EXIT_USAGE, UsageError
from treadctl.cli.output import clock_text, plain
from treadctl.errors import TreadctlError
from treadctl.virtual.simulated_faults import SimulatedFault

if TYPE_CHECKING:
    from treadctl.program import Program
    from treadctl.upload import AfterSessionReport
    from treadctl.virtual.world import VirtualWorld

__all__ = [
    "SIM_FAULTS",
    "STRAP_VIRTUAL",
    "VIRTUAL_TIME_FSYNC_S",
    "add_parser",
    "find_program",
    "parse_fault",
]

#: ``--strap`` without an address, with ``--simulate``: the virtual treadmill's own strap.
STRAP_VIRTUAL = "virtual"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    run = sub.add_parser("run", help="run a program headless (no window), printing progress")
    run.add_argument("program", help="a program file (.toml) or a built-in program's name")
    run.add_argument("--simulate", action="store_true", help="run on the virtual treadmill")
    run.add_argument("--address", help="the treadmill's address (real hardware)")
    run.add_argument(
        "--time-scale",
        type=float,
        metavar="N",
        help="with --simulate: pace the run by the wall clock, N simulated seconds per real "
        "second (1: real time), to watch it; without it a simulated run is on virtual time, "
        "as fast as the CPU allows",
    )
    run.add_argument("--log-dir", type=Path, help="where the session log goes")
    run.add_argument(
        "--quirks", default="standard", help="virtual treadmill quirk profile (with --simulate)"
    )
    add_device_argument(run)
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
    run.set_defaults(handler=run_command)


def run_command(args: argparse.Namespace, out: TextIO) -> int:
    import asyncio

    if _virtual_time(args):
        from treadctl import virtual_time

        return virtual_time.run(run_headless(args, out))
    return asyncio.run(run_headless(args, out))


def _virtual_time(args: argparse.Namespace) -> bool:
    """Whether the run is on virtual time: simulated, and not paced by ``--time-scale``."""
    return bool(args.simulate) and args.time_scale is None


#: On virtual time, the session log is fsynced once a simulated minute: at hundreds of simulated
#: seconds per real second, every 3 s (the real cadence) would cost more CPU than the session.
#: The log is still written every simulated second, so a killed run keeps all but the last.
VIRTUAL_TIME_FSYNC_S = 60.0

#: What ``--sim-fault`` offers: every simulated fault but the console's drop-strap and refuse-all.
SIM_FAULTS = tuple(
    fault.value
    for fault in SimulatedFault
    if fault not in {SimulatedFault.DROP_STRAP, SimulatedFault.REFUSE_ALL}
)


def parse_fault(text: str) -> tuple[str, float]:
    kind, sep, at = text.partition("@")
    if not sep or kind not in SIM_FAULTS:
        raise UsageError(f"--sim-fault {text!r}: expected KIND@SECONDS, KIND one of {SIM_FAULTS}")
    try:
        seconds = float(at)
    except ValueError:
        raise UsageError(f"--sim-fault {text!r}: {at!r} is not a number of seconds") from None
    if not seconds >= 0:
        raise UsageError(f"--sim-fault {text!r}: seconds must be 0 or more")
    return kind, seconds


def find_program(name: str) -> Program:
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
    raise UsageError(
        f"invalid program: no program file or built-in program {name!r} (built-ins: {names})"
    )


async def run_headless(args: argparse.Namespace, out: TextIO) -> int:
    """``treadctl run``: the application core, a printer and the keyboard.

    Exit 0 completed, 1 stopped or aborted. What follows a stop (with no terminal: the end of
    the session), the history import and the progression are the core's, as in the window.
    """
    import asyncio

    from treadctl.clock import Clock, LoopClock, RealClock, ScaledClock
    from treadctl.core import AppCore, DataFolder, EndReason
    from treadctl.upload import after_session

    program = find_program(args.program)
    faults = [parse_fault(f) for f in args.sim_fault]
    if not args.simulate and (faults or args.sim_trace or args.time_scale is not None):
        out.write("run: --sim-fault, --sim-trace and --time-scale need --simulate\n")
        return EXIT_USAGE
    if not args.simulate and not args.address:
        out.write("run: give --address ADDRESS (see `treadctl scan`) or --simulate\n")
        return EXIT_USAGE
    if not args.simulate and args.strap == STRAP_VIRTUAL:
        out.write("run: --strap needs an ADDRESS (see `treadctl scan`) without --simulate\n")
        return EXIT_USAGE
    scale: float | None = args.time_scale
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        out.write("run: --time-scale must be above 0\n")
        return EXIT_USAGE
    device = device_from(args)  # a bad report is refused before anything starts
    clock: Clock
    if _virtual_time(args):
        clock = LoopClock()  # the VirtualTimeLoop's time (run_command)
    elif scale is None or scale == 1.0:
        clock = RealClock()
    else:
        clock = ScaledClock(scale)
    terminal = sys.stdin is not None and sys.stdin.isatty()
    # On virtual time nobody can follow the session live: no keyboard, and a stop ends it.
    interactive = terminal and not _virtual_time(args)
    folder = DataFolder.at(args.data_dir, sessions=args.log_dir)
    # Before anything connects: a session with nowhere to keep its log is refused while the
    # belt is still (the runner refuses one too, but only once connected).
    check_log_folder(folder.sessions)

    with_strap = args.strap is not None  # the virtual world's strap only if one is wanted
    async with backends(
        args.simulate, args.quirks, clock, with_strap=with_strap, device=device
    ) as (
        bleak,
        world,
    ):
        core = AppCore(
            clock,
            bleak,
            folder,
            resume_possible=interactive,
            # fsync every 3 *real* seconds: at --time-scale 60 a simulated cadence would fsync
            # 20 times a second and starve the treadmill's data. On virtual time no cadence is
            # real; VIRTUAL_TIME_FSYNC_S keeps the fsyncs from costing more than the session.
            fsync_interval_s=VIRTUAL_TIME_FSYNC_S if _virtual_time(args) else 3.0 * (scale or 1.0),
            # Never for a simulated session: an export folder or a training log holds only
            # what a person ran.
            share=None if world is not None else partial(after_session, folder=folder),
        )
        interrupt = _Interrupt(core, out)
        try:
            _choose_person(core, args.profile, out)
            fitted = core.fit(program)  # shown (and run) fitted; the governor re-checks
            for notice in fitted.notices:
                out.write(f"limit: {notice}\n")
            if terminal and not interactive:
                out.write(
                    "virtual time: the run goes as fast as it can and a stop ends it; "
                    "--time-scale N paces it to watch and resume from the keyboard\n"
                )
            printer = _Printer(out, core, interactive)
            core.add_listener(printer)
            await interrupt.guard(core.connect(args.address or _virtual(world).treadmill_address))
            if args.strap is not None:
                strap_address = (
                    _virtual(world).strap_address if args.strap == STRAP_VIRTUAL else args.strap
                )
                strap = core.connect_strap(strap_address or "")
                if strap is not None:
                    await interrupt.guard(strap)
            trace = _Trace(world, core, clock, args.sim_trace) if world and args.sim_trace else None
            fault_tasks = [
                asyncio.ensure_future(_fault_at(world, core, clock, kind, at))
                for kind, at in faults
            ]
            keyboard = _watch_keyboard(core) if interactive else None
            try:
                ended = await interrupt.guard(core.run_program(program))
                # The export folder and the uploads (as the profile says) before exiting: a
                # Ctrl-C meanwhile leaves an upload to the queue, never sent twice.
                await interrupt.guard(core.sessions_shared())
            finally:
                for task in fault_tasks:
                    task.cancel()
                if keyboard is not None:
                    keyboard()
                if trace is not None:
                    trace.close()
        finally:
            await core.shutdown()
            core.people.close()
            # After the shutdown: a Ctrl-C while it stops the belt is still a stop, not a crash.
            interrupt.close()
        summary = ended.finished.summary
        reason = ended.finished.reason
        note = ended.log_note
        how = f"{reason.value} (Ctrl-C)" if interrupt.pressed else reason.value
        if note is not None:
            how += " but its log is incomplete"
        out.write(
            f"session {how}: {summary.distance_m:.0f} m in "
            f"{clock_text(summary.duration_s)}, backward {summary.backward_minutes:.1f} min, "
            f"{summary.energy_kcal or 0:.0f} kcal. Log: {ended.log_path}\n"
        )
        if note is not None:
            # Not "completed": the record of it is not whole, and a script must see that.
            out.write(f"{note}\n")
        if ended.stored is not None:
            whose = ended.stored.profile or "no profile"
            out.write(f"history: session {ended.stored.id} ({whose})\n")
        for report in printer.shared:
            for line in _shared_lines(report):
                out.write(f"after the session: {line}\n")
        complete = reason is EndReason.COMPLETED and note is None and not interrupt.pressed
        return EXIT_OK if complete else EXIT_FAILED


def check_log_folder(folder: Path) -> None:
    """Refuse (SessionLogError: exit 1) a session log folder that cannot hold a log: made if
    missing, as the recorder makes it, and a file created and removed in it. Permissions alone
    would not tell (root writes anywhere; a full disk has them all)."""
    import tempfile

    from treadctl.recorder import SessionLogError

    try:
        if not folder.is_dir():
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder.chmod(0o700)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise SessionLogError(
            f"cannot write session logs to {folder} ({error.strerror or error}); nothing was "
            "started: choose another folder with --log-dir"
        ) from None


def _choose_person(core: Any, name: str | None, out: TextIO) -> None:
    """Who runs: ``--profile``, else the current person, the same one the app has chosen (the
    history keeps it: ``treadctl profiles select``), else nobody (the default limits)."""
    people = core.people
    if name is not None:
        core.choose(name)  # StoreError or ProfileError: refused, a sentence, exit 1
        out.write(f"profile {core.profile_name}\n")
        return
    if not people.available:
        out.write(
            f"no profiles or history ({people.error}): the session runs at the default limits "
            "and is recorded under no profile\n"
        )
        return
    current = people.profiles.current()
    if current is None:
        out.write("profile: none chosen (treadctl profiles select NAME, or --profile)\n")
        return
    core.choose(current.name)
    out.write(f"profile {current.name} (the current one; --profile to run as another)\n")


class _Interrupt:
    """Ctrl-C during a run: the app's STOP, then the end of the session.

    The stop is the core's own (``AppCore.stop``: the governor's stop, re-sent until the belt
    is seen slowing), and the session then ends the way any does: its wind-down waits to see
    the belt still (else it ends "aborted", with the governor's lasting alarm), the log is
    closed and imported, and the summary printed; the exit status is 1. Before the session
    has begun (still connecting), Ctrl-C cancels the connecting; ``shutdown`` then stops any
    belt the link reaches. Without this, asyncio cancelled the run in the middle of whatever
    it awaited: a CancelledError traceback, no summary, exit 0.
    """

    def __init__(self, core: Any, out: TextIO) -> None:
        import asyncio
        import signal

        self._core = core
        self._out = out
        self._loop = asyncio.get_running_loop()
        self._main = asyncio.current_task()
        self._cancelled = False  # a Ctrl-C before the session began
        self._guarding = False
        self.pressed = False
        self._installed = False
        try:
            self._loop.add_signal_handler(signal.SIGINT, self._on_sigint)
            self._installed = True
        except (NotImplementedError, RuntimeError, ValueError):
            pass  # no signal handlers here (Windows, not the main thread): KeyboardInterrupt

    async def guard(self, step: Any) -> Any:
        """Await ``step`` (connecting, the session) in this task, as it was: a task of its own
        would let the idle runner act in between. A Ctrl-C before the session began cancels
        this task (``_on_sigint``); that is raised here as :class:`RunInterrupted`, and so is
        one that came between two steps."""
        import asyncio

        if self._cancelled:
            step.close()
            raise self._interrupted()
        self._guarding = True
        try:
            return await step
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if self._cancelled and task is not None and task.uncancel() == 0:
                raise self._interrupted() from None
            raise
        finally:
            self._guarding = False

    @staticmethod
    def _interrupted() -> RunInterrupted:
        return RunInterrupted(
            "interrupted by Ctrl-C before the session began; the belt was not started"
        )

    def _on_sigint(self) -> None:
        if self._core.in_session:
            self._out.write(
                "\nCtrl-C: still waiting for the belt to stop\n"
                if self.pressed
                else "\nCtrl-C: stopping the belt; the session ends once it is seen still\n"
            )
            self._out.flush()
            self.pressed = True
            self._core.stop()  # the app's STOP: through the governor, confirmed by the belt
            self._core.finish_session()
        elif not self.pressed and not self._cancelled:
            # Before the session (connecting): nothing to stop yet but what shutdown stops.
            # After it (shutting down, the belt being stopped): nothing to interrupt.
            self._cancelled = True
            if self._guarding and self._main is not None:
                self._main.cancel()

    def close(self) -> None:
        import signal

        if self._installed:
            self._loop.remove_signal_handler(signal.SIGINT)
            self._installed = False


class RunInterrupted(TreadctlError):
    """Ctrl-C before a session began (exit 1)."""


def _virtual(world: VirtualWorld | None) -> VirtualWorld:
    assert world is not None, "checked: an address is needed without --simulate"
    return world


class _Printer:
    """The core's events as the lines a person reads on a terminal."""

    def __init__(self, out: TextIO, core: Any, interactive: bool) -> None:
        self._out = out
        self._core = core
        self._interactive = interactive
        self._last_print = -math.inf
        #: What became of the session (export folder, uploads): printed after its summary.
        self.shared: list[AfterSessionReport] = []

    def __call__(self, event: Any) -> None:
        from treadctl.core import (
            Countdown,
            Message,
            NoticeRaised,
            Progress,
            SegmentStarted,
            SessionShared,
            SessionState,
            StateChanged,
            StrapConnected,
            StrapConnectFailed,
            StrapLost,
        )

        out = self._out
        t = f"[{clock_text(self._core.session_time)}]"
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
            case SessionShared(report=report):
                self.shared.append(report)
                return
            case _:
                return
        out.flush()


def _shared_lines(report: AfterSessionReport) -> list[str]:
    """The report's sentences; a service set to "ask" cannot ask here: say how to upload."""
    return report.sentences(
        ask=lambda service: (
            f"{service.label}: not uploaded (set to ask): "
            f"treadctl upload {report.session_id} --service {service.value}"
        )
    )


class _Trace:
    """``--sim-trace``: the virtual treadmill's trace as JSON Lines, stamped with the program
    session's time (records from before it began, while connecting, are not part of it)."""

    def __init__(self, world: Any, core: Any, clock: Any, path: Path) -> None:
        self._world = world
        self._core = core
        self._clock = clock
        self._t0: float | None = None  # the clock time the program's session began
        self._file = path.open("w", encoding="utf-8")
        world.treadmill.add_trace_listener(self.write)

    def write(self, record: dict[str, Any]) -> None:
        from treadctl.core import SessionKind

        if self._t0 is None:
            if self._core.session_kind is not SessionKind.PROGRAM:
                return
            self._t0 = self._clock.now() - self._core.session_time
        record = {**record, "t": round(self._clock.now() - self._t0, 3)}
        self._file.write(json.dumps(plain(record)) + "\n")

    def close(self) -> None:
        world = self._world
        world.treadmill.remove_trace_listener(self.write)
        # A last belt record, so the trace shows how the session left the belt.
        world.model.advance_to(self._clock.now())
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


async def _fault_at(world: Any, core: Any, clock: Any, kind: str, at: float) -> None:
    """Trigger a virtual-treadmill fault at session time ``at`` (simulated seconds)."""
    from treadctl.core import SessionKind
    from treadctl.virtual.simulated_faults import trigger

    while core.session_kind is not SessionKind.PROGRAM or core.session_time < at:
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
