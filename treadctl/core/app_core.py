"""The application core: a session's whole life, for the window and the command line alike.

Shape (who owns what)::

    AppCore(clock, backends, folder, *, base_limits, resume_possible, ...)
     ├── link: TreadmillLink          the treadmill; no front end ever sees it
     ├── strap: Strap                 the heart-rate strap in use, if any (core.strap)
     ├── people: People               who runs the next session, their limits, the history
     ├── runner: SessionRunner|None   one at a time, of one of three kinds (SessionKind):
     │     IDLE     while connected and no session runs: no log, never started. It exists so
     │              that STOP, a console start and a lost link go through a runner and its
     │              governor between sessions too (the engine has no other path to the belt).
     │     PROGRAM  a program fitted to the person's limits, recorded in folder.sessions
     │     MANUAL   manual mode, recorded; targets stepped by the manual intents
     ├── share                        what becomes of a kept session after its end (the front
     │                                ends pass treadctl.upload.after_session; None for a
     │                                simulation): run on a daemon thread, SessionShared after
     ├── listeners                    one interface: every CoreEvent (core.events), in order
     └── intents                      scan, connect, connect_strap, disconnect_strap, choose,
                                      refresh_person, start_program, run_program, start_manual,
                                      resume, pause, stop, estop, skip, extend, finish_session,
                                      manual_speed, manual_incline, manual_turn, shutdown

Every belt intent is a call on the current runner, so it passes the safety governor. Intents
are plain methods, safe to call from any coroutine or Qt slot on the loop's thread; the ones
that need the loop (scanning, connecting, switching sessions) start a task and report through
events, and have an ``async`` twin that waits for the outcome (``connect``, ``run_program``),
which the command line uses.

What follows a stop — decided here, for every front end:

* ``resume_possible=True`` (the window; ``treadctl run`` on a terminal): a stop of any kind
  latches the session; nothing moves until the person resumes, finishes or starts another.
* ``resume_possible=False`` (``treadctl run`` without a terminal): nobody can resume, so any
  stop or pause ends the session (``classify_stop``: a fault is ``aborted``). While the link is
  down (a lost link, or a command that failed as it went) it first waits up to ``LINK_WAIT_S``
  for the link to come back — the governor's first command then is a stop — because the app
  cannot stop a belt it cannot reach.
* Either way a session ends only once the belt is seen still (the runner waits for it, and
  ends "aborted" if it is not), and the next one begins from the belt as last measured, facing
  the way the person faces: a new session on a moving belt slows it or turns it round first.

A session's end, for every front end: the runner has stopped the belt and closed the log; the
core imports the log into the history, takes the person's backward step if one came due
(``People.session_ended``), then reports ``SessionEnded`` and goes back to an idle runner. A
kept session then goes to ``share`` off the loop (the export folder, the uploads: they block on
the disk and the network); ``SessionShared`` reports it, and ``sessions_shared()`` waits for it
(``treadctl run`` does, before it exits; the window does not wait to close: the upload queue
finishes at the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import threading
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from protocols.ftms import StopOrPause
from treadctl.clock import Clock, wait_for
from treadctl.core.diagnostics import Diagnostics
from treadctl.core.events import (
    Connecting,
    ConnectionFailed,
    CoreEvent,
    CoreListener,
    ManualTargetChanged,
    Message,
    PersonChanged,
    ScanFailed,
    ScanFinished,
    ScanStarted,
    SessionEnded,
    SessionInfo,
    SessionKind,
    SessionShared,
    SessionStarted,
    StopAnswered,
)
from treadctl.core.manual import first_target, step_incline, step_speed, turned
from treadctl.core.people import People
from treadctl.core.strap import Strap
from treadctl.data_folder import DataFolder
from treadctl.devices.settings import DeviceSettingsStore
from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.link import (
    BleakBackends,
    CommandAnswered,
    Connected,
    Disconnected,
    FoundDevice,
    HeartRateLink,
    LinkError,
    LinkEvent,
    Reconnected,
    Reconnecting,
    Sample,
    TreadmillInfo,
    TreadmillLink,
    scan,
)
from treadctl.program import Program, clamp, program_figures
from treadctl.recorder import SessionRecorder
from treadctl.safety import NoticeKind, SetTarget, StopReason
from treadctl.session import (
    EndReason,
    NoticeRaised,
    SessionEvent,
    SessionFinished,
    SessionRunner,
    SessionState,
    StateChanged,
    classify_stop,
)

if TYPE_CHECKING:
    from treadctl.upload import AfterSessionReport

__all__ = ["LINK_WAIT_S", "SHUTDOWN_TIMEOUT_S", "AppCore", "FittedProgram", "in_daemon_thread"]

logger = logging.getLogger(__name__)

#: How long closing waits for the stop to reach the belt and the log to close. Ending a session
#: to start another waits longer: the runner's own wait to see the belt still, plus this.
SHUTDOWN_TIMEOUT_S = 5.0

#: How long (clock seconds) a session nobody can resume waits for a lost link to come back, so
#: the belt can be told to stop, before it ends anyway.
LINK_WAIT_S = 60.0

# Notices an idle runner raises that would only confuse: there is no session to resume.
_IDLE_QUIET = {
    NoticeKind.STARTED_AT_CONSOLE,
    NoticeKind.STOPPED,
    NoticeKind.RESUME_REQUIRED,
    NoticeKind.LINK_RESTORED,
}


def in_daemon_thread[T](work: Callable[..., T], *args: Any) -> asyncio.Future[T]:
    """``work(*args)`` on a daemon thread of its own, its result (or exception) on the loop.

    Not ``asyncio.to_thread``: its pool's threads are joined when the interpreter exits, so a
    window closed during an upload would hang until the upload's time-out; a daemon thread
    ends with the process. (Nothing it leaves half done is lost: see ``_share_session``.)"""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return  # cancelled meanwhile (the core shut down)
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        result: T | None = None
        error: BaseException | None = None
        try:
            result = work(*args)
        except BaseException as raised:  # noqa: BLE001 - whatever it is, or the await never ends
            error = raised
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="treadctl-after-session", daemon=True).start()
    return future


@dataclasses.dataclass(frozen=True)
class FittedProgram:
    """A program as it will run for the current person, and what fitting it changed.

    ``notices`` are sentences; the last one says where the person's backward minutes per
    session end, when the program has more.
    """

    program: Program
    notices: tuple[str, ...]


class AppCore:
    """See the module docstring."""

    def __init__(
        self,
        clock: Clock,
        backends: BleakBackends,
        folder: DataFolder,
        *,
        base_limits: Limits = DEFAULT_LIMITS,
        resume_possible: bool = True,
        scan_timeout_s: float = 3.0,
        fsync_interval_s: float | None = None,
        people: People | None = None,
        link: TreadmillLink | None = None,
        strap_link: HeartRateLink | None = None,
        share: Callable[[str], AfterSessionReport] | None = None,
    ) -> None:
        self._clock = clock
        # What becomes of a kept session after its end (treadctl.upload.after_session: the
        # export folder, the uploads), or None: the front end decides (never a simulation).
        self._share = share
        self._sharing: set[asyncio.Future[Any]] = set()
        self._backends = backends
        self.folder = folder
        self._resume_possible = resume_possible
        self._scan_timeout_s = scan_timeout_s
        self._fsync_interval_s = fsync_interval_s
        self._listeners: list[CoreListener] = []
        self._tasks: set[asyncio.Task[Any]] = set()
        self._names: dict[str, str] = {}  # address -> advertised name, from scans
        self.people = people or People(folder, base_limits=base_limits)
        self._link = link or TreadmillLink(clock, backends=backends)
        if self._link.device_settings is None and self.people.available:
            # What the person said about a treadmill (its console's unit...), kept per
            # treadmill beside the profiles; the link reads it at every connect.
            self._link.device_settings = DeviceSettingsStore(self.people.profiles).lookup
        self._link.add_listener(self._on_link_event)
        self.strap = Strap(
            clock,
            strap_link or HeartRateLink(clock, backends=backends),
            self._emit,
            self._spawn,
            self._names,
        )
        self._runner: SessionRunner | None = None
        self._kind: SessionKind | None = None
        self._session_task: asyncio.Task[EndReason | None] | None = None
        self._switch_lock = asyncio.Lock()
        self._starting = False
        # A switch to a new session under way (the old one winding down): a stop, pause or
        # E-stop meanwhile goes to the runner winding down and holds the new session's start.
        self._switching = 0  # switches to a session asked for and not yet done
        self._holds = 0  # switches asked for before a Stop pressed meanwhile: open, not started
        self._winding: SessionRunner | None = None
        self._closing = False
        self._manual = first_target(self.people.limits)
        # The way the person on the belt faces: theirs, not a session's. It carries from one
        # session (or idle runner) to the next, so a new session begins from it.
        self._facing = Direction.FORWARD
        self._last_sample: Sample | None = None  # the belt as last measured
        self._diagnostics = Diagnostics()

    # -- listeners --------------------------------------------------------------------------------

    def add_listener(self, listener: CoreListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: CoreListener) -> None:
        self._listeners.remove(listener)

    def _emit(self, event: CoreEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken front end (a widget, a printer) must not stop the session's control.
                logger.exception("core listener %r failed on %s", listener, type(event).__name__)

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> asyncio.Task[Any]:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # the loop holds tasks only weakly
        task.add_done_callback(self._tasks.discard)
        return task

    # -- read-only state --------------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        """The limits the next session runs with: the person's, or the base limits."""
        return self.people.limits

    @property
    def profile_name(self) -> str | None:
        """The profile the next session is recorded for (None: no profile chosen)."""
        return self.people.name

    @property
    def closing(self) -> bool:
        """True once ``shutdown`` began: whatever ends now ends because the app closes."""
        return self._closing

    @property
    def is_connected(self) -> bool:
        return self._link.is_connected

    @property
    def address(self) -> str | None:
        return self._link.address if self._link.is_connected else None

    @property
    def session_kind(self) -> SessionKind | None:
        """The current runner's kind; ``None`` while not connected."""
        return self._kind

    @property
    def in_session(self) -> bool:
        return self._kind in (SessionKind.PROGRAM, SessionKind.MANUAL)

    @property
    def session_active(self) -> bool:
        """A program or manual session runs and has not finished (its runner may still be
        winding down after it ended: that one is over for the person)."""
        return self.in_session and self.session_state is not SessionState.FINISHED

    @property
    def session_state(self) -> SessionState | None:
        return self._runner.state if self._runner is not None else None

    def now(self) -> float:
        """The clock's time: what a ``Sample.t`` is measured on (how old the last record is)."""
        return self._clock.now()

    @property
    def session_time(self) -> float:
        """Seconds since the current session started (0 without one)."""
        return self._runner.session_time if self._runner is not None else 0.0

    @property
    def manual_target(self) -> SetTarget:
        return self._manual

    @property
    def last_sample(self) -> Sample | None:
        """The belt as last measured (None: no record since connecting, or the link is gone)."""
        return self._last_sample

    @property
    def clock(self) -> Clock:
        """The core's clock: what a record's ``t`` is measured on (virtual in tests)."""
        return self._clock

    # -- scanning and connecting ------------------------------------------------------------------

    def scan(self) -> None:
        self._spawn(self.scan_devices())

    async def scan_devices(self) -> list[FoundDevice]:
        """Scan (``ScanStarted``, then ``ScanFinished`` or ``ScanFailed``); [] on failure."""
        self._emit(ScanStarted())
        try:
            found = await scan(self._scan_timeout_s, backends=self._backends)
        except LinkError as error:
            self._emit(ScanFailed(str(error)))
            return []
        self._names.update({d.address: d.name for d in found if d.name})
        self._emit(ScanFinished(tuple(found)))
        return found

    def connect_to(self, address: str) -> None:
        self._spawn(self._connect_reporting(address))

    def scan_then_connect(self, address: str) -> None:
        """Fill the device list, then connect to ``address`` (``--simulate`` at start)."""

        async def both() -> None:
            await self.scan_devices()
            await self._connect_reporting(address)

        self._spawn(both())

    async def _connect_reporting(self, address: str) -> None:
        with contextlib.suppress(LinkError):
            await self.connect(address)  # ConnectionFailed said why

    async def connect(self, address: str) -> TreadmillInfo:
        """Connect to the treadmill at ``address`` (ending a session on another one first);
        an idle runner follows. Raises LinkError (after ``ConnectionFailed``)."""
        if self._link.is_connected and self._link.address == address:
            assert self._link.info is not None
            return self._link.info
        self._emit(Connecting(address))
        self._diagnostics.reset()  # what the last treadmill had says nothing of this one
        try:
            if self._link.is_connected or self._link.address is not None:
                await self._end_current()
                await self._link.disconnect()
            info = await self._link.connect(address)
        except LinkError as error:
            self._emit(ConnectionFailed(address, str(error)))
            raise
        # `Connected` is passed on from the link's own event; the idle runner follows.
        await self._switch(None, SessionKind.IDLE)
        return info

    # -- the heart-rate strap ---------------------------------------------------------------------

    def connect_strap(self, address: str) -> asyncio.Task[None] | None:
        """Use the strap at ``address``; returns the task connecting it (None: nothing to do)."""
        if self._closing:
            return None
        return self.strap.connect(address)

    def disconnect_strap(self) -> None:
        self.strap.disconnect()

    # -- the person -------------------------------------------------------------------------------

    def choose(self, name: str | None) -> bool:
        """Run the next sessions as profile ``name`` (None: nobody, the base limits).

        Refused (False, with a ``Message``) while a session runs: it keeps the limits and the
        profile it started with, and switching people mid-session would mislabel its log.
        Raises ProfileError or StoreError when ``name`` cannot be used.
        """
        if self.session_active:
            self._emit(Message("Finish the session before switching profiles."))
            return False
        profile = self.people.choose(name)
        self._emit(PersonChanged(profile, self.people.limits))
        return True

    def refresh_person(self) -> None:
        """The current person was edited (limits, name) or deleted: read them again. A
        session that runs keeps the limits it started with."""
        profile = self.people.refresh()
        self._emit(PersonChanged(profile, self.people.limits))

    def fit(self, program: Program) -> FittedProgram:
        """``program`` as it will run for the current person (the governor re-checks every
        command: this is what the person is shown, and what the runner is given)."""
        limits = self.limits
        fitted, clamped = clamp(program, limits)
        notices = [str(n) for n in clamped]
        budget = limits.backward_minutes_per_session
        if program_figures(fitted, limits).backward_cut:
            notices.append(
                f"backward minutes stop at {budget:g} per session (your limit), then backward "
                "steps are walked forward"
            )
        return FittedProgram(fitted, tuple(notices))

    # -- sessions ---------------------------------------------------------------------------------

    def start_program(self, program: Program) -> None:
        """Start ``program``, fitted to the person's limits (the runner's own Start: slow
        start, through the governor)."""
        if self._check_connected():
            self._spawn(self._switch(self.fit(program).program, SessionKind.PROGRAM))

    def start_manual(self) -> None:
        if self._check_connected():
            self._spawn(self._switch(None, SessionKind.MANUAL))

    async def run_program(self, program: Program) -> SessionEnded:
        """Start ``program`` and wait until its session has ended (``treadctl run``)."""
        if not self._check_connected():
            raise LinkError("not connected to a treadmill")
        ended = asyncio.get_running_loop().create_future()

        def on_event(event: CoreEvent) -> None:
            if isinstance(event, SessionEnded) and not ended.done():
                ended.set_result(event)

        self.add_listener(on_event)
        try:
            if await self._switch(self.fit(program).program, SessionKind.PROGRAM) is None:
                raise LinkError("the session could not start: the treadmill is not connected")
            task = self._session_task
            result: SessionEnded = await ended
            if task is not None:
                await asyncio.shield(task)  # wound down: its runner has let go of the link
        finally:
            self.remove_listener(on_event)
        return result

    def _check_connected(self) -> bool:
        if self._link.is_connected:
            return True
        self._emit(Message("Not connected to a treadmill: connect first."))
        return False

    def _switch(
        self, program: Program | None, kind: SessionKind
    ) -> Coroutine[Any, Any, SessionRunner | None]:
        """End the current runner (belt stopped, log closed) and start one of ``kind``;
        returns it (None: closing, or the link went down meanwhile).

        Not itself a coroutine: a switch to a session counts as under way from the moment it
        is asked for, before its task first runs, so a Stop pressed in the same instant holds
        the new session's start (``_stop_target``)."""
        if kind is SessionKind.IDLE:
            return self._switch_locked(program, kind)
        self._switching += 1
        return self._counted_switch(program, kind)

    async def _counted_switch(
        self, program: Program | None, kind: SessionKind
    ) -> SessionRunner | None:
        try:
            return await self._switch_locked(program, kind)
        finally:
            self._switching -= 1
            if not self._switching:
                # A hold meant for a session that never began (closing, link down) lapses.
                self._holds = 0

    async def _switch_locked(
        self, program: Program | None, kind: SessionKind
    ) -> SessionRunner | None:
        async with self._switch_lock:
            if kind is SessionKind.IDLE and self._runner is not None:
                # A session started while this switch waited (the user pressed Start as the
                # last one ended): it is what runs now. Ending it here would also go wrong, as
                # its runner may not have begun to run, and a finish before that is lost.
                return None
            self._starting = kind is not SessionKind.IDLE
            try:
                await self._end_current()
            finally:
                self._starting = False
            if self._closing or not self._link.is_connected:
                return None
            limits = self.limits
            recorder = None
            if kind is not SessionKind.IDLE:
                recorder = (
                    SessionRecorder(self.folder.sessions, self._clock)
                    if self._fsync_interval_s is None
                    else SessionRecorder(
                        self.folder.sessions,
                        self._clock,
                        fsync_interval_s=self._fsync_interval_s,
                    )
                )
            runner = SessionRunner(
                self._link,
                self._clock,
                limits,
                program,
                recorder=recorder,
                profile_name=self.profile_name if kind is not SessionKind.IDLE else None,
                direction=self._facing,
                last_sample=self._last_sample,
            )
            runner.add_listener(lambda event: self._on_session_event(runner, kind, recorder, event))
            # Whether a strap is in use or not: one connected later counts in this session too.
            runner.attach_heart_rate(self.strap.link)
            self._runner, self._kind = runner, kind
            self._manual = first_target(self.limits)
            if kind is not SessionKind.IDLE:
                # Before the runner runs: its first SegmentStarted comes with its first step.
                self._emit(SessionStarted(SessionInfo(kind, program, tuple(runner.plan))))
                if kind is SessionKind.MANUAL:
                    t = self._manual
                    runner.set_manual(t.speed_kmh, t.incline_pct, t.direction)
                    self._emit(ManualTargetChanged(t))
            held = kind is not SessionKind.IDLE and self._holds > 0
            start = kind is not SessionKind.IDLE and not held
            if held:
                self._holds -= 1
                self._emit(Message("Stopped before the new session began: press Start when ready."))
            self._session_task = self._spawn(self._run(runner, kind, start))
            return runner

    async def _run(self, runner: SessionRunner, kind: SessionKind, start: bool) -> EndReason | None:
        try:
            return await runner.run(start=start)
        except Exception as error:
            # The runner stops the belt on its own faults; what is left is to say so.
            logger.exception("session runner failed")
            self._emit(Message(f"The session ended with an error: {error}"))
            return None
        finally:
            runner.detach_heart_rate(self.strap.link)
            self._facing = runner.governor.direction
            if self._runner is runner:
                # Ended by itself (completed, or ended after a stop): not replaced. Back to an
                # idle runner.
                self._runner = self._kind = None
                if kind is not SessionKind.IDLE and not self._closing:
                    self._spawn(self._switch(None, SessionKind.IDLE))

    async def _idle_after_reconnect(self) -> None:
        runner = await self._switch(None, SessionKind.IDLE)
        if runner is not None:
            runner.stop()

    async def _end_current(self) -> None:
        runner, task = self._runner, self._session_task
        self._runner = self._kind = None
        self._session_task = None
        if runner is None or task is None:
            return
        runner.finish(EndReason.STOPPED)
        self._winding = runner
        # Closing is bounded short (the person asked to close); anything else waits for the
        # runner's own bound on seeing the belt still, so its verdict (stopped, or aborted with
        # the alarm) is what ends the session, not a cancellation in the middle of it.
        bound = SHUTDOWN_TIMEOUT_S + (0.0 if self._closing else runner.stop_wait_s)
        try:
            await asyncio.wait_for(asyncio.shield(task), bound)
        except TimeoutError:
            logger.error("the session did not wind down within %s s", bound)
        finally:
            if self._winding is runner:
                self._winding = None

    # -- the person's intents (each one a runner call, so each one passes the governor) ------------

    def resume(self) -> None:
        if self._runner is not None and self.in_session:
            self._runner.start()

    def pause(self) -> None:
        runner = self._stop_target()
        if runner is not None:
            runner.pause()

    def stop(self) -> None:
        runner = self._stop_target()
        if runner is None:
            self._no_runner()
            return
        runner.stop()

    def estop(self) -> None:
        runner = self._stop_target()
        if runner is None:
            self._no_runner()
            return
        runner.estop()

    def _stop_target(self) -> SessionRunner | None:
        """Where a stop, pause or E-stop goes: the current runner, or while a switch winds one
        down, that one (it still drives the belt); a new session being switched to then opens
        without starting."""
        if self._switching:
            # Every session asked for before it (two Starts and a Stop in one instant: found
            # by the safety fuzzer, seed 8592) opens without starting, not only the next one.
            self._holds = self._switching
        return self._runner or self._winding

    def _no_runner(self) -> None:
        self._emit(
            Message(
                "Not connected: the app cannot reach the belt. Use the treadmill's own stop "
                "button or safety key."
            )
        )

    def skip(self) -> None:
        if self._runner is not None and self._kind is SessionKind.PROGRAM:
            self._runner.skip()

    def extend(self, seconds: float) -> None:
        if self._runner is not None and self._kind is SessionKind.PROGRAM:
            self._runner.extend(seconds)

    def finish_session(self) -> None:
        """End the session: the runner stops the belt and closes the log."""
        if self._runner is not None and self.in_session:
            self._runner.finish(EndReason.STOPPED)

    def manual_speed(self, steps: int) -> None:
        self._set_manual(step_speed(self._manual, steps, self.limits))

    def manual_incline(self, steps: int) -> None:
        self._set_manual(step_incline(self._manual, steps, self.limits))

    def manual_turn(self) -> None:
        """Face the other way: the governor runs the turnaround (slow, hold, flip)."""
        self._set_manual(turned(self._manual, self.limits))

    def _set_manual(self, target: SetTarget) -> None:
        if self._runner is None or self._kind is not SessionKind.MANUAL:
            return
        self._manual = target
        self._runner.set_manual(target.speed_kmh, target.incline_pct, target.direction)
        self._emit(ManualTargetChanged(target))

    async def shutdown(self) -> None:
        """Stop the belt (through the runner), close the log, disconnect the treadmill and the
        strap. Idempotent. The history stays open (``people.close()``)."""
        self._closing = True
        runner = self._runner
        if runner is not None:
            # An explicit stop, not just finish: finish leaves a belt it believes stopped
            # alone, and a belt started at the console between sessions must stop too.
            runner.stop()
        await self._end_current()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        await self._link.disconnect()
        await self.strap.close()

    # -- engine events → listeners ----------------------------------------------------------------

    def _on_link_event(self, event: LinkEvent) -> None:
        diagnostic = self._diagnostics.see(event)
        if diagnostic is not None:
            self._emit(diagnostic)
        match event:
            case CommandAnswered(request=StopOrPause()):
                self._emit(StopAnswered())
            case Sample():
                self._last_sample = event
                self._emit(event)
            case Disconnected():
                self._last_sample = None  # what it said no longer describes the belt
                self._emit(event)
            case Reconnected():
                self._emit(event)
                if self._runner is None and self._winding is None and not self._closing:
                    # A session ended while the link was down, and no runner was made since:
                    # nothing watched the belt meanwhile, so the idle runner's first command
                    # is a stop.
                    self._spawn(self._idle_after_reconnect())
            case Connected() | Reconnecting():
                self._emit(event)
            case _:
                pass

    def _on_session_event(
        self,
        runner: SessionRunner,
        kind: SessionKind,
        recorder: SessionRecorder | None,
        event: SessionEvent,
    ) -> None:
        if kind is SessionKind.IDLE:
            if (
                runner is self._runner
                and isinstance(event, NoticeRaised)
                and event.notice.kind not in _IDLE_QUIET
            ):
                self._emit(event)
            return
        if isinstance(event, SessionFinished):
            # Also for a session being replaced: it did end, and its log is closed.
            self._session_ended(event, recorder)
            return
        if runner is not self._runner:
            # Winding down after being replaced: its state is no longer on screen, but what it
            # says of the belt still is (a stop it cannot get through ends in the lasting alarm).
            if isinstance(event, NoticeRaised):
                self._emit(event)
            return
        self._emit(event)
        if isinstance(event, StateChanged) and event.state is SessionState.STOPPED:
            self._after_stop(runner, event.stop_reason)

    def _after_stop(self, runner: SessionRunner, reason: StopReason | None) -> None:
        if self._resume_possible:
            return  # latched: the person resumes, finishes or starts another session
        if reason is StopReason.LINK_LOST or not self._link.is_connected:
            # The app cannot stop a belt it cannot reach: wait for the link (the governor's
            # first command then is a stop), whatever stopped the session first.
            self._spawn(self._finish_when_reachable(runner))
        else:
            runner.finish(classify_stop(reason))

    async def _finish_when_reachable(self, runner: SessionRunner) -> None:
        back = asyncio.Event()

        def on_event(event: LinkEvent) -> None:
            # Added after the runner's own listener, so it runs after it: the runner has
            # already handled this Reconnected (its governor answered with a stop, which
            # finishing waits for) when this one runs.
            if isinstance(event, Reconnected):
                back.set()

        self._link.add_listener(on_event)
        try:
            await wait_for(self._clock, back.wait(), LINK_WAIT_S)
        except TimeoutError:
            pass  # not back in time: end anyway; the notice told the person to use the treadmill
        finally:
            self._link.remove_listener(on_event)
        runner.finish(EndReason.ABORTED)

    def _session_ended(self, finished: SessionFinished, recorder: SessionRecorder | None) -> None:
        log_path = recorder.path if recorder is not None else None
        stored = None
        if log_path is not None:
            stored = self.people.session_ended(log_path)
        missing = None
        if recorder is not None and recorder.lost_from is not None:
            # The recorder kept the session going when the disk failed (control first); the
            # ending must not then claim a whole record of it.
            missing = max(0.0, finished.t - recorder.lost_from)
        ended = SessionEnded(
            finished, log_path, stored, self._starting, self._closing, log_missing_s=missing
        )
        self._emit(ended)
        if stored is not None:
            self._emit(PersonChanged(self.people.current, self.people.limits))
        if stored is not None and self._share is not None:
            self._sharing.add(self._spawn(self._share_session(self._share, stored.id)))

    async def _share_session(
        self, share: Callable[[str], AfterSessionReport], session_id: str
    ) -> None:
        """The session's export and uploads, off the loop (they block on the disk and the
        network for up to their time-outs, and the loop runs the belt's control). A daemon
        thread: closing the app does not wait for an upload, which the upload queue finishes
        at the next start (it is never sent twice: treadctl.upload.queue)."""
        try:
            report = await in_daemon_thread(share, session_id)
        except Exception:
            # after_session puts every failure of its own into its report; anything else is
            # a bug, which must not end the core's next session.
            logger.exception("sharing session %s failed", session_id)
            self._emit(Message(f"Session {session_id} was not exported or uploaded: an error."))
            return
        self._emit(SessionShared(report))

    async def sessions_shared(self) -> None:
        """Wait until every kept session's export and uploads are done (``SessionShared``
        emitted): a command that exits after its session waits for this first."""
        while pending := [task for task in self._sharing if not task.done()]:
            await asyncio.wait(pending)
        self._sharing.clear()
