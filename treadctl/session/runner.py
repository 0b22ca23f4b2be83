"""The session runner: a program (or manual mode) on the clock, through the governor, to the link.

Shape (who owns what)::

    SessionRunner
     ├── SafetyGovernor           every belt command is its decision; the runner only asks
     ├── ProgramTiming            segments, countdowns, rests, skip/extend (pure: .timing)
     ├── SessionTotals            distance, time and speed per direction (pure: .totals)
     ├── TreadmillLink            samples, statuses, link loss in; governor commands out
     ├── SessionRecorder          header, samples, commands, notices, segments, end
     ├── EnergyIntegrator         ACSM with the backward factor (treadctl.energy)
     └── events → listeners       SegmentStarted, Countdown, Progress, NoticeRaised,
                                  StateChanged, CommandFailedEvent, SessionFinished (.events)

This module is the async glue: the decisions are the governor's (what the belt may do) and
the timing's (what the program asks for when). Data flow: the link's events call
``_on_link_event``; a periodic tick (``tick_s`` of clock time) and every sample call the
governor with the latest :class:`BeltReading` and the timing with the time; the decision's
commands go to a command worker that sends them through the link in order, except stops and
pauses, which are sent at once (the link puts them ahead of any queued command) and clear the
worker's queue. A failed command is reported back to the governor, which stops the belt.

A rest segment stops the belt for its duration; afterwards the session waits, latched, for the
user to resume — nothing restarts the belt by itself. The user's intents (``start``,
``pause``, ``stop``, ``estop``, ``skip``, ``extend``, ``set_manual``, ``finish``) are plain
methods, safe to call from any coroutine or Qt slot on the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable
from typing import Any

from protocols.fitshow import FitShowState
from protocols.ftms import StatusOp
from treadctl.clock import Clock
from treadctl.energy import EnergyIntegrator
from treadctl.limits import Direction, Limits
from treadctl.link import (
    CommandAnswered,
    CommandError,
    ControlUnavailable,
    Disconnected,
    HeartRateLink,
    HeartRateSample,
    LinkError,
    LinkEvent,
    LinkLostDuringCommand,
    MalformedData,
    NotConnected,
    Reconnected,
    Sample,
    StartCancelled,
    StatusChanged,
    TreadmillLink,
    VendorStatus,
    op_name,
)
from treadctl.program import PlannedSegment, Program
from treadctl.recorder import SessionLogError, SessionRecorder
from treadctl.safety import (
    STEP_INTERVAL_S,
    STILL_KMH,
    BeltReading,
    Command,
    CommandFailed,
    ConsoleStarted,
    ConsoleStopped,
    Decision,
    EStop,
    LinkLost,
    LinkRestored,
    Notice,
    NoticeKind,
    Pause,
    PauseBelt,
    Phase,
    Request,
    SafetyGovernor,
    SafetyKeyPulled,
    SetIncline,
    SetSpeed,
    SetTarget,
    Start,
    StartBelt,
    Stop,
    StopBelt,
    StopFailed,
    StopReason,
    TreadmillErrorReported,
)
from treadctl.session.events import (
    CommandFailedEvent,
    Countdown,
    EndReason,
    NoticeRaised,
    Progress,
    SegmentStarted,
    SessionEvent,
    SessionFinished,
    SessionListener,
    SessionState,
    StateChanged,
)
from treadctl.session.timing import (
    CountdownDue,
    ProgramComplete,
    ProgramTiming,
    RestOver,
    RestReminderDue,
    SegmentDue,
    TimingEvent,
    TimingInputs,
)
from treadctl.session.totals import SessionSummary, SessionTotals

logger = logging.getLogger(__name__)

#: How long (clock seconds) a session's end waits to see the belt still before it ends anyway,
#: "aborted" (the governor has sent the stop again meanwhile, then raised its lasting alarm): a
#: belt from 16 km/h at a gentle 1 km/h/s needs 16 s, and three stops sent again 6 s more.
STOP_WAIT_S = 30.0


class SessionRunner:
    """Runs one session. See the module docstring for the rules it keeps."""

    def __init__(
        self,
        link: TreadmillLink,
        clock: Clock,
        limits: Limits,
        program: Program | None = None,
        *,
        recorder: SessionRecorder | None = None,
        profile_name: str | None = None,
        body_mass_kg: float = 70.0,
        tick_s: float = 0.25,
        countdown_s: int = 3,
        rest_reminder_s: float = 3600.0,
        direction: Direction = Direction.FORWARD,
        last_sample: Sample | None = None,
        stop_wait_s: float = STOP_WAIT_S,
    ) -> None:
        self._link = link
        self._clock = clock
        self._limits = limits
        self._program = program
        self._recorder = recorder
        self._profile_name = profile_name
        self._tick_s = tick_s
        self._stop_wait_s = stop_wait_s
        # The way the person faces now (the core carries it from session to session).
        self._governor = SafetyGovernor(limits, direction=direction)
        self._energy = EnergyIntegrator(body_mass_kg)
        self._plan: list[PlannedSegment] = program.segments() if program else []
        self._timing = ProgramTiming(
            self._plan, countdown_s=countdown_s, rest_reminder_s=rest_reminder_s
        )
        self._listeners: list[SessionListener] = []
        self._state = SessionState.READY
        self._manual_target = SetTarget(0.0)
        self._t0 = clock.now()  # again when it runs; small and positive until then
        self._last_tick: float | None = None
        self._reading = BeltReading()
        self._last_sample_t: float | None = None
        if last_sample is not None:
            # Begin from the belt as last measured (it may still be moving: a new session on a
            # running belt starts from there, not from a belt assumed still).
            self._reading = BeltReading(
                last_sample.speed_kmh,
                last_sample.incline_pct,
                last_sample.heart_rate_bpm,
                last_sample.t,
                True,
            )
            self._last_sample_t = last_sample.t
        self._strap_hr: int | None = None
        self._strap_hr_t: float | None = None
        self._totals = SessionTotals()
        # Commands wait here one procedure at a time, each with its number in the sequence of
        # its kind (`_decided`): one overtaken by a later command of the same kind before it
        # went out, and above what the governor wants now, is dropped, so a treadmill that
        # answers late never gets a ramp step decided before a slow-down. (Overtaken steps of
        # a ramp still go out one by one: skipping to the last would be one big step.)
        self._queue: asyncio.Queue[tuple[Command, int]] = asyncio.Queue()
        self._decided: dict[type[Command], int] = {}
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished: asyncio.Future[EndReason] | None = None
        self._end_reason: EndReason | None = None
        self._speed_sent: tuple[float, float] | None = None  # (clock time, km/h) last on wire
        self._incline_sent: float | None = None  # the last incline the treadmill accepted
        self._incline_sent_t = -math.inf  # when its answer came
        self._final_stop_reason: StopReason | None = None
        self._early_finish: EndReason | None = None

    # -- read-only state ------------------------------------------------------------------------

    @property
    def governor(self) -> SafetyGovernor:
        return self._governor

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def _ending(self) -> bool:
        """Finished (or finishing): :meth:`finish` was called or the program completed."""
        return self._early_finish is not None or (
            self._finished is not None and self._finished.done()
        )

    @property
    def stop_wait_s(self) -> float:
        """How long (clock seconds) winding down waits to see the belt still."""
        return self._stop_wait_s

    @property
    def plan(self) -> list[PlannedSegment]:
        return self._plan

    @property
    def segment_index(self) -> int | None:
        return self._timing.index

    @property
    def session_time(self) -> float:
        return self._clock.now() - self._t0

    def attach_heart_rate(self, strap: HeartRateLink) -> None:
        """Take heart rate from a strap too (it wins over the treadmill's while fresh)."""
        strap.add_listener(self._on_strap_event)

    def detach_heart_rate(self, strap: HeartRateLink) -> None:
        """Stop taking heart rate from ``strap``; its last reading stops counting at once.

        Harmless when ``strap`` is not attached. Without it, a strap kept for many sessions
        would hold on to every runner it was ever attached to.
        """
        with contextlib.suppress(ValueError):
            strap.remove_listener(self._on_strap_event)
        self._strap_hr = self._strap_hr_t = None

    def _on_strap_event(self, event: LinkEvent) -> None:
        # Only its readings: a strap dropping out is not the treadmill's link being lost.
        if isinstance(event, HeartRateSample):
            self._on_link_event(event)

    def add_listener(self, listener: SessionListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: SessionListener) -> None:
        self._listeners.remove(listener)

    def _emit(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # A broken listener (a widget, a printer) must not stop the session's control.
                logger.exception("session listener %r failed on %s", listener, type(event).__name__)

    # -- user intents -------------------------------------------------------------------------

    def start(self) -> None:
        """The user starts or resumes. The only way the belt moves after any stop."""
        if self._state is SessionState.RESTING:
            self._follow(self._timing.end_rest_early(self._clock.now()))
            if self._state is SessionState.RESTING:
                return  # the next segment is a rest too: it begins, the belt stays still
        self._request(Start())

    resume = start

    def pause(self) -> None:
        self._request(Pause())

    def stop(self) -> None:
        """Stop the belt; the session stays open (resume, or finish)."""
        self._request(Stop(StopReason.APP_STOP))

    def estop(self) -> None:
        self._request(EStop())

    def skip(self) -> None:
        """Go to the next segment now (through the governor's ramps and turnarounds)."""
        if self._state is not SessionState.FINISHED:
            self._follow(self._timing.skip(self._clock.now()))

    def extend(self, seconds: float) -> None:
        """Make the current segment longer (or, negative, shorter) by ``seconds``; a distance
        segment by the distance its target speed covers in that time."""
        self._timing.extend(seconds)

    def set_manual(self, speed_kmh: float, incline_pct: float, direction: Direction) -> None:
        """Manual mode (no program): the target the governor ramps to, within the limits."""
        self._manual_target = SetTarget(speed_kmh, incline_pct, direction)
        if not self._plan:
            self._request(self._manual_target)

    def finish(self, reason: EndReason = EndReason.STOPPED) -> None:
        """End the session: the belt is stopped and the log closed.

        Before :meth:`run` has begun it is kept, and ``run`` then ends at once, starting
        nothing (a session replaced as soon as it was made: the core switches runners).
        """
        if self._finished is None:
            self._early_finish = self._early_finish or reason
        elif not self._finished.done():
            self._finished.set_result(reason)
            if self._governor.phase is not Phase.STOPPED and self._link.is_connected:
                # Stopped in this instant, not when the wind-down runs: a step decided in the
                # same instant (the program's last ramp step, found by the safety fuzzer) is
                # dropped from the queue rather than written before the stop.
                self._request(Stop(_stop_reason_for(reason)))

    # -- running ------------------------------------------------------------------------------

    async def run(self, *, start: bool = True) -> EndReason:
        """Run until the program completes or :meth:`finish` is called; returns why it ended.

        ``start=True`` treats calling ``run`` as the user's Start (the headless ``run`` command
        and the app's Start button); ``False`` leaves the belt still until :meth:`start`.
        """
        loop = asyncio.get_running_loop()
        self._finished = loop.create_future()
        if self._early_finish is not None:
            self._finished.set_result(self._early_finish)
            start = False  # finished before it ran: nothing to start
        self._t0 = self._clock.now()
        self._last_tick = self._t0
        self._link.add_listener(self._on_link_event)
        info = self._link.info
        if info is not None and info.speed_range is not None:
            self._governor.set_speed_grid(info.speed_range.min_kmh, info.speed_range.increment_kmh)
        if info is not None:
            self._governor.set_incline_control(info.can_set_incline)
            self._governor.set_fixed_deck(self._link.deviations.fixed_incline_pct)
        self._worker = loop.create_task(self._command_worker())
        if self._recorder is not None:
            self._log(self._recorder.start, self._header())
            if not self._recorder.started or self._recorder.failed is not None:
                # No log, no session: a session nobody can find afterwards is not one to move
                # a belt for. It ends here, before anything starts (the notice said why).
                if not self._finished.done():
                    self._finished.set_result(EndReason.ABORTED)
                self._early_finish = self._early_finish or EndReason.ABORTED
                start = False
        try:
            if self._plan:
                self._follow(self._timing.begin(self._clock.now()))
            else:
                self._request(self._manual_target)
            if start:
                self.start()
            ticker = loop.create_task(self._ticker())
            ticker.add_done_callback(self._on_ticker_done)
            try:
                reason = await self._finished
            finally:
                ticker.cancel()
                # Its own failure, if any, was handled by _on_ticker_done.
                await asyncio.gather(ticker, return_exceptions=True)
            await self._wind_down(reason)
            return reason
        except asyncio.CancelledError:
            # Cancelled (the program closing before the wind-down ended): not a bug, so no
            # traceback, but the belt is still told to stop.
            logger.warning("session cancelled before it wound down: stopping the belt")
            with contextlib.suppress(LinkError):
                await asyncio.shield(self._link.stop())
            raise
        except Exception:
            # A bug here must not leave a belt running.
            logger.exception("session runner ended abnormally: stopping the belt")
            with contextlib.suppress(LinkError):
                await asyncio.shield(self._link.stop())
            raise
        finally:
            self._link.remove_listener(self._on_link_event)
            if self._worker is not None:
                self._worker.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._worker

    def _on_ticker_done(self, ticker: asyncio.Task[None]) -> None:
        # The tick feeds the watchdog and the program clock; if it dies the session cannot go
        # on safely, so it ends (and the belt is stopped) rather than hang.
        if not ticker.cancelled() and ticker.exception() is not None:
            logger.error("session tick failed", exc_info=ticker.exception())
            self.finish(EndReason.ABORTED)

    async def _ticker(self) -> None:
        deadline = self._clock.now()
        while True:
            deadline += self._tick_s
            await self._clock.sleep_until(deadline)
            self._tick()

    async def _wind_down(self, reason: EndReason) -> None:
        stop_reason = _stop_reason_for(reason)
        paused = self._governor.stop_reason in (StopReason.USER_PAUSE, StopReason.CONSOLE_PAUSE)
        connected = self._link.is_connected
        governor = self._governor
        # The wait for a still belt counts from the finish, not from when the queue drained: a
        # session ends within ``stop_wait_s`` of being finished, however slow the answers.
        deadline = self._clock.now() + self._stop_wait_s
        # A latched session's belt may run all the same (started at the console, or a stop
        # the governor gave up sending): measured moving with no stop under way is stopped too.
        # One slowing under a watched stop (ours, or the console's) is left to that stop.
        unattended = (
            (self._reading.speed_kmh or 0.0) > STILL_KMH
            and (governor.stop_confirmed or governor.stop_given_up)
        ) or (
            # Never seen, in a session that ran: it may run (started at the console).
            self._reading.speed_kmh is None and self._early_finish is None
        )
        # A moving or merely paused belt is stopped for good; one already stopped is left be.
        if connected and (governor.phase is not Phase.STOPPED or paused or unattended):
            self._request(Stop(stop_reason))
        # Let the stop (and anything queued before it was cleared) reach the treadmill.
        await self._drain()
        if not await self._belt_seen_still(deadline):
            # Nothing is "completed" while the belt was last seen moving: the person has been
            # told (the governor's lasting alarm, or the link-lost notice) to stop it.
            reason = EndReason.ABORTED
        self._end_reason = reason
        self._set_state(SessionState.FINISHED)
        summary = self.summary(reason)
        if self._recorder is not None:
            self._log(self._recorder.close, reason.value, summary.to_record())
        self._emit(SessionFinished(self.session_time, reason, summary))

    async def _belt_seen_still(self, deadline: float) -> bool:
        """Wait (until ``deadline`` at most) until the governor has seen the belt still since
        the last stop; the governor sends a stop again meanwhile if the belt does not slow.
        False when it was not seen still: the wait ran out, or the link is gone."""
        while not self._governor.stop_confirmed:
            if not self._link.is_connected:
                # A reading from before the link went says nothing about the belt now.
                return False
            if self._clock.now() >= deadline:
                return False
            await self._clock.sleep(self._tick_s)
            self._request(None)
            await self._drain()
        return True

    async def _drain(self) -> None:
        """Wait until every command decided so far has been sent (or has failed)."""
        while True:
            await self._queue.join()
            # A finished task is not waited for, even if its discard callback has not run: one
            # that stayed in the set made this loop spin forever (safety fuzzer, 7698: a start
            # sent eagerly as the link dropped, a session finished while it was down).
            for task in [t for t in self._tasks if t.done()]:
                self._tasks.discard(task)
                if not task.cancelled():
                    task.exception()  # retrieved: _send reports its own failures
            if not self._tasks:
                return
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _log(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Write to the session log; a failing disk is reported once and never stops control."""
        if self._recorder is not None and (
            self._recorder.closed or (write != self._recorder.start and not self._recorder.started)
        ):
            # Ended (a late stop must still reach the belt), or never began (no folder for it).
            return
        try:
            write(*args, **kwargs)
        except SessionLogError as error:
            logger.error("session log failed: %s", error)
            self._emit(
                NoticeRaised(
                    self.session_time,
                    Notice(NoticeKind.LOG_FAILED, f"The session log could not be written: {error}"),
                )
            )

    # -- the governor ---------------------------------------------------------------------------

    def _request(self, request: Request | None) -> None:
        if self._state is SessionState.FINISHED and not isinstance(request, Stop | EStop):
            return
        if self._ending and isinstance(request, Start | SetTarget):
            # Finished, winding down: nothing may move the belt again (a Resume pressed as
            # "Program complete" shows would otherwise start it on a session that is over).
            return
        decision = self._governor.decide(self._clock.now(), self._current_reading(), request)
        self._carry_out(decision)

    def _current_reading(self) -> BeltReading:
        r = self._reading
        hr = r.heart_rate_bpm
        strap_fresh = self._strap_hr_t is not None and self._clock.now() - self._strap_hr_t <= 5.0
        if self._strap_hr is not None and strap_fresh:
            hr = self._strap_hr  # a strap is the better signal when it is fresh
        return BeltReading(r.speed_kmh, r.incline_pct, hr, self._last_sample_t, r.connected)

    def _carry_out(self, decision: Decision) -> None:
        # Commands before notices: a notice's listeners (the window relayouting, the log)
        # must not delay a stop. A stop starts eagerly, so its write is under way before this
        # returns, not after whatever the event loop has queued.
        for command in decision.commands:
            if isinstance(command, StopBelt | PauseBelt):
                self._clear_queue()
                self._spawn(self._send(command), eager=True)
            else:
                number = self._decided.get(type(command), 0) + 1
                self._decided[type(command)] = number
                self._queue.put_nowait((command, number))
        for notice in decision.notices:
            self._notice(notice)
        if self._governor.phase is Phase.STOPPED:
            # Latched, maybe with no command of our own (console stop, safety key, lost link):
            # nothing decided before the latch may still reach the belt.
            self._clear_queue()
            self._link.cancel_start()
        self._sync_state()

    def _notice(self, notice: Notice) -> None:
        if self._recorder is not None:
            self._log(self._recorder.notice, notice.kind.value, notice.message, **notice.data)
        self._emit(NoticeRaised(self.session_time, notice))

    def _sync_state(self) -> None:
        phase = self._governor.phase
        if self._state in (SessionState.FINISHED,):
            return
        if phase is Phase.STOPPED:
            reason = self._governor.stop_reason
            if self._state is SessionState.RESTING and reason is StopReason.PROGRAM_REST:
                return
            if reason is StopReason.NOT_STARTED:
                return
            self._set_state(SessionState.STOPPED)
        elif phase is Phase.TURNAROUND:
            self._set_state(SessionState.TURNAROUND)
        else:
            self._set_state(SessionState.RUNNING)

    def _set_state(self, state: SessionState) -> None:
        if state is self._state:
            return
        self._state = state
        reason = self._governor.stop_reason if state is SessionState.STOPPED else None
        self._emit(StateChanged(self.session_time, state, reason))

    # -- commands -----------------------------------------------------------------------------

    def _clear_queue(self) -> None:
        dropped_incline = False
        while not self._queue.empty():
            command, _ = self._queue.get_nowait()
            self._queue.task_done()
            dropped_incline |= isinstance(command, SetIncline)
        if dropped_incline:
            # The governor counted those steps as commanded; after a Resume its next step must
            # count from what the deck was really told, or it moves by more than the rate.
            self._governor.incline_not_sent(self._incline_sent)

    async def _command_worker(self) -> None:
        while True:
            command, number = await self._queue.get()
            try:
                if not self._overtaken(command, number):
                    await self._send(command, number)
            finally:
                self._queue.task_done()

    def _overtaken(self, command: Command, number: int | None) -> bool:
        """Whether a later command of the same kind was decided after this one, and this one
        asks for more than the governor now does (a faster belt); an incline is always left
        to the latest one (:meth:`_pace_incline` steps towards it from what was sent)."""
        if number is None or self._decided.get(type(command), 0) == number:
            return False
        match command:
            case SetSpeed(speed_kmh=v):
                return v > self._governor.commanded_speed_kmh + 1e-9
            case SetIncline():
                return True
            case _:
                return False

    async def _pace_incline(self, pct: float, number: int | None) -> float | None:
        """The incline to write for a decided ``pct``, paced *on the wire*: a second after the
        last one was answered and at most the incline rate from it, so a treadmill answering
        late gets the deck's steps one by one rather than a backlog back to back or one jump
        (found by the safety fuzzer, seed 3066: 10 % then 5 %). The governor is told what goes
        out, so its next step counts from there. A belt measured still takes ``pct`` at once
        (a start on a steep deck brings it down before the belt moves). None: latched or
        overtaken meanwhile."""
        # Nothing sent yet by this session (a new one on a moving belt): from the measured deck.
        sent = self._incline_sent if self._incline_sent is not None else self._reading.incline_pct
        if sent is None or (self._reading.speed_kmh or 0.0) <= STILL_KMH:
            return pct
        due = self._incline_sent_t + STEP_INTERVAL_S
        if self._clock.now() < due:
            await self._clock.sleep_until(due)
            if self._overtaken(SetIncline(pct), number):
                return None
            if self._governor.phase is Phase.STOPPED:
                # Latched while it waited: no deck step after the stop; the governor decides
                # again (from what was sent) when it needs the deck moved.
                self._governor.incline_not_sent(self._incline_sent)
                return None
        if (self._reading.speed_kmh or 0.0) <= STILL_KMH:
            return pct
        step = self._limits.incline_rate_pct_per_s * STEP_INTERVAL_S
        paced = round(min(max(pct, sent - step), sent + step), 6)
        cap = self._limits.max_incline(self._governor.direction)
        if pct <= cap < paced:
            # Down from a deck above the cap (raised at the console, or where a new session
            # found it): to the cap in one command, as the governor brings it (the deck's own
            # motor sets the pace); never a command above the cap (seed 5568).
            paced = round(max(pct, cap), 6)
        if abs(paced - pct) > 1e-9:
            self._governor.incline_not_sent(paced)
        return paced

    async def _send(self, command: Command, number: int | None = None) -> None:
        link = self._link
        info = link.info
        try:
            match command:
                case StartBelt(speed_kmh=v):
                    try:
                        await link.start_at(v)
                        self._note_speed_sent(v)
                    finally:
                        await self._stop_if_latched()
                case SetSpeed(speed_kmh=v):
                    if not await self._pace(v) or self._overtaken(command, number):
                        return  # latched, or replaced while it waited for its pace
                    await link.set_target_speed(v)
                    self._note_speed_sent(v)
                case SetIncline(incline_pct=p):
                    if info is None or not info.can_set_incline:
                        return  # a flat treadmill: nothing to tilt
                    paced = await self._pace_incline(p, number)
                    if paced is None:
                        return
                    await link.set_target_inclination(paced)
                    self._incline_sent, self._incline_sent_t = paced, self._clock.now()
                case StopBelt():
                    await link.stop()
                    self._speed_sent = None
                case PauseBelt():
                    await link.pause()
                    self._speed_sent = None
        except StartCancelled:
            logger.info("%s cancelled by a later stop", command)  # the stop undoes it
            if isinstance(command, SetIncline):
                # Counted as commanded when decided: the next step counts from what was sent.
                self._governor.incline_not_sent(self._incline_sent)
        except (NotConnected, LinkLostDuringCommand) as error:
            # Failed *because* the link went away, whichever of the two arrives first: a link
            # loss (the belt cannot be reached; its stop follows when the link is back).
            logger.warning("%s: %s", command, error)
            self._emit(CommandFailedEvent(self.session_time, command, str(error)))
            self._request(LinkLost())
        except ControlUnavailable as error:
            if isinstance(command, StopBelt | PauseBelt):
                logger.warning("could not send %s: %s", command, error)
                return
            self._command_failed(command, error)
        except (CommandError, LinkError) as error:
            self._command_failed(command, error)

    async def _stop_if_latched(self) -> None:
        """A start that reached the belt after the session latched (the console stop raced
        the start's last step) is undone: the belt never runs while the session is stopped."""
        if self._governor.phase is Phase.STOPPED and self._link.is_connected:
            # Halted again the way it was latched: a pause the person asked for stays a pause
            # on the treadmill (its console's Start then resumes, as after any pause).
            pause = self._governor.stop_reason in (StopReason.USER_PAUSE, StopReason.CONSOLE_PAUSE)
            logger.warning(
                "a start completed after a %s: %s the belt again",
                "pause" if pause else "stop",
                "pausing" if pause else "stopping",
            )
            with contextlib.suppress(LinkError):
                await (self._link.pause() if pause else self._link.stop())

    def _note_speed_sent(self, kmh: float) -> None:
        self._speed_sent = (self._clock.now(), kmh)

    async def _pace(self, kmh: float) -> bool:
        """Hold a speed increase until the acceleration allows it *on the wire*.

        The governor paces increases by when it decides them; a slow link (answers late, a
        start sequence still in flight) could otherwise deliver two steps back to back.
        Returns False when the session latched meanwhile: the step is dropped.
        """
        if self._speed_sent is None:
            return True
        sent_at, sent = self._speed_sent
        if kmh <= sent:
            return True  # decreases go at once
        accel = self._limits.accel(self._governor.direction)
        due = sent_at + max(1.0, (kmh - sent) / accel)
        if self._clock.now() < due:
            await self._clock.sleep_until(due)
        return self._governor.phase is not Phase.STOPPED

    def _command_failed(self, command: Command, error: Exception) -> None:
        logger.warning("%s failed: %s", command, error)
        self._emit(CommandFailedEvent(self.session_time, command, str(error)))
        if isinstance(command, StopBelt | PauseBelt):
            # The governor sends it again (bounded), then raises its lasting alarm.
            self._request(StopFailed(str(error)))
            return
        self._request(CommandFailed(str(error)))

    def _spawn(self, coro: Any, *, eager: bool = False) -> None:
        loop = asyncio.get_running_loop()
        task: asyncio.Task[Any] = asyncio.Task(coro, loop=loop, eager_start=eager)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- link events --------------------------------------------------------------------------

    def _on_link_event(self, event: LinkEvent) -> None:
        match event:
            case Sample():
                self._on_sample(event)
            case StatusChanged(status=status):
                if self._recorder is not None:
                    self._log(self._recorder.status, status.op.name.lower(), value=status.value)
                if status.op is StatusOp.STOPPED_OR_PAUSED_BY_USER:
                    self._request(ConsoleStopped(pause=bool(status.paused)))
                elif status.op is StatusOp.STOPPED_BY_SAFETY_KEY:
                    self._request(SafetyKeyPulled())
                elif status.op is StatusOp.STARTED_OR_RESUMED_BY_USER:
                    self._request(ConsoleStarted())
            case VendorStatus(status=status, problem=problem):
                if problem is not None and status.state == FitShowState.ERROR:
                    self._request(TreadmillErrorReported(problem))
            case Disconnected(expected=expected):
                r = self._reading
                self._reading = BeltReading(
                    r.speed_kmh, r.incline_pct, r.heart_rate_bpm, None, False
                )
                if not expected:
                    self._request(LinkLost())
            case Reconnected():
                r = self._reading
                self._reading = BeltReading(
                    r.speed_kmh, r.incline_pct, r.heart_rate_bpm, None, True
                )
                self._request(LinkRestored())
            case CommandAnswered(request=request, result=result, error=error):
                if self._recorder is not None:
                    value = getattr(request, "kmh", None)
                    if value is None:
                        value = getattr(request, "pct", None)
                    self._log(
                        self._recorder.command,
                        op_name(request),
                        value,
                        result=result.name.lower() if result is not None else None,
                        error=error,
                    )
            case MalformedData(characteristic=characteristic, error=error):
                if self._recorder is not None:
                    self._log(
                        self._recorder.record,
                        "malformed",
                        characteristic=characteristic,
                        error=error,
                        raw=event.data.hex(),
                    )
            case HeartRateSample(heart_rate_bpm=bpm, sensor_contact=contact):
                if contact is not False:
                    self._strap_hr, self._strap_hr_t = bpm, self._clock.now()
            case _:
                pass

    def _on_sample(self, sample: Sample) -> None:
        # The session's own samples only (not the one it was begun from): energy and totals
        # count from its first.
        prev_t = self._totals.last_t
        self._last_sample_t = sample.t
        self._reading = BeltReading(
            sample.speed_kmh, sample.incline_pct, sample.heart_rate_bpm, sample.t, True
        )
        direction = self._governor.direction
        speed = sample.speed_kmh or 0.0
        dt = 0.0 if prev_t is None else max(0.0, sample.t - prev_t)
        if speed > 0 and dt > 0:
            grade = sample.incline_pct or 0.0
            self._energy.add(dt, speed, grade, direction)
        hr = self._current_reading().heart_rate_bpm
        moved = self._totals.add(sample.t, sample.speed_kmh, sample.distance_m, direction, hr)
        if self._counting():
            self._timing.count_distance(moved)
        timing = self._timing
        if self._recorder is not None:
            self._log(
                self._recorder.sample,
                speed_kmh=sample.speed_kmh,
                incline_pct=sample.incline_pct,
                distance_m=sample.distance_m,
                elapsed_s=sample.elapsed_s,
                energy_kcal=round(self._energy.kcal, 2),
                heart_rate_bpm=hr,
                direction=direction,
                segment=timing.index,
            )
        self._request(None)
        seg = timing.segment
        remaining_s = remaining_m = None
        if seg is not None and seg.duration_s is not None:
            remaining_s = max(0.0, timing.segment_remaining_s(sample.speed_kmh) or 0.0)
        elif seg is not None:
            left = timing.segment_remaining_m()
            remaining_m = None if left is None else max(0.0, left)
        self._emit(
            Progress(
                t=self.session_time,
                sample=sample,
                direction=direction,
                state=self._state,
                segment_index=timing.index,
                segment_elapsed_s=timing.segment_elapsed_s,
                segment_remaining_s=remaining_s,
                segment_remaining_m=remaining_m,
                energy_kcal=self._energy.kcal,
                heart_rate_bpm=hr,
                target_speed_kmh=self._governor.commanded_speed_kmh,
                distance_m=self._totals.distance_m,
                session_remaining_s=timing.session_remaining_s(remaining_s, remaining_m),
            )
        )

    # -- segments -----------------------------------------------------------------------------

    def _counting(self) -> bool:
        """Segment time and distance run only while the belt runs (not stopped, not turning
        around: a turnaround starts the moment the segment asks for the other direction)."""
        return (
            self._state is SessionState.RUNNING
            and self._timing.index is not None
            and self._governor.phase is Phase.RUNNING
            and not self._governor.heart_rate_hold  # the program waits for the user
        )

    def _tick(self) -> None:
        now = self._clock.now()
        dt = 0.0 if self._last_tick is None else max(0.0, now - self._last_tick)
        self._last_tick = now
        if self._recorder is not None:
            self._log(self._recorder.flush_if_due)
        self._request(None)
        if self._state is SessionState.FINISHED:
            return
        inputs = TimingInputs(
            running=self._governor.phase is Phase.RUNNING,
            counting=self._counting(),
            resting=self._state is SessionState.RESTING,
            direction=self._governor.direction,
            speed_kmh=self._reading.speed_kmh,
        )
        self._follow(self._timing.tick(now, dt, inputs))

    def _follow(self, events: list[TimingEvent]) -> None:
        """Carry out what the program's timing says is due."""
        for event in events:
            match event:
                case SegmentDue(planned=planned, next=nxt):
                    self._begin_segment(planned, nxt)
                case CountdownDue(seconds=seconds, next=nxt, turnaround=turn):
                    self._emit(Countdown(self.session_time, seconds, nxt, turn))
                case RestOver(early=early):
                    self._notice(
                        Notice(
                            NoticeKind.REST_OVER,
                            "Rest ended." if early else "Rest over. Press Resume to go on.",
                        )
                    )
                    self._set_state(SessionState.STOPPED)
                case ProgramComplete():
                    self.finish(EndReason.COMPLETED)
                case RestReminderDue():
                    self._notice(
                        Notice(
                            NoticeKind.REST_REMINDER,
                            "You have been going for an hour: take about 10 minutes' rest.",
                        )
                    )

    def _begin_segment(self, planned: PlannedSegment, nxt: PlannedSegment | None) -> None:
        seg = planned.segment
        target = SetTarget(seg.speed_kmh, seg.incline_pct, seg.direction)
        if self._recorder is not None:
            self._log(
                self._recorder.segment,
                index=planned.index,
                label=seg.label,
                direction=seg.direction,
                target_speed_kmh=None if seg.rest else seg.speed_kmh,
                target_incline_pct=None if seg.rest else seg.incline_pct,
                rest=seg.rest,
                path=seg.path,
                cue=seg.cue,
            )
        self._emit(SegmentStarted(self.session_time, planned, nxt, target))
        if seg.rest:
            # RESTING first: the stop that follows is the rest, not a stop that ends things.
            self._set_state(SessionState.RESTING)
            self._request(Stop(StopReason.PROGRAM_REST))
            return
        self._request(target)

    # -- header and summary ---------------------------------------------------------------------

    def _header(self) -> dict[str, Any]:
        program: dict[str, Any] | None = None
        if self._program is not None:
            program = {
                "name": self._program.name,
                "description": self._program.description,
                "source": self._program.source,
                "segments": [
                    {
                        "index": p.index,
                        "label": p.segment.label,
                        "direction": p.segment.direction.value,
                        "speed_kmh": p.segment.speed_kmh,
                        "incline_pct": p.segment.incline_pct,
                        "duration_s": p.segment.duration_s,
                        "distance_m": p.segment.distance_m,
                        "rest": p.segment.rest,
                        "path": p.segment.path,
                    }
                    for p in self._plan
                ],
            }
        info = self._link.info
        return {
            "program": program,
            "mode": "program" if self._program else "manual",
            "limits": self._limits.to_dict(),
            "profile": self._profile_name,
            "treadmill": None
            if info is None
            else {
                "address": info.address,
                "name": info.name,
                "speed_range": None
                if info.speed_range is None
                else list(
                    (
                        info.speed_range.min_kmh,
                        info.speed_range.max_kmh,
                        info.speed_range.increment_kmh,
                    )
                ),
                "notes": list(info.notes),
            },
        }

    def summary(self, reason: EndReason) -> SessionSummary:
        return self._totals.summary(
            reason=reason.value,
            stop_reason=self._summary_stop_reason(),
            duration_s=self.session_time,
            energy_kcal=self._energy.kcal,
            segments_completed=self._timing.segments_done,
            segments_total=len(self._plan),
            program=self._program.name if self._program else None,
        )

    def _summary_stop_reason(self) -> str | None:
        reason = self._final_stop_reason or self._governor.stop_reason
        if reason is None:
            return None
        return reason.value

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason


def _stop_reason_for(reason: EndReason) -> StopReason:
    """The governor's stop reason for a session ending for ``reason``."""
    return StopReason.PROGRAM_END if reason is EndReason.COMPLETED else StopReason.APP_STOP
