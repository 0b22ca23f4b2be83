"""The session runner: a program (or manual mode) on the clock, through the governor, to the link.

Shape (who owns what)::

    SessionRunner
     ├── SafetyGovernor           every belt command is its decision; the runner only asks
     ├── TreadmillLink            samples, statuses, link loss in; governor commands out
     ├── program segments         timing by duration (clock) or by measured distance
     ├── SessionRecorder          header, samples, commands, notices, segments, end
     ├── EnergyIntegrator         ACSM with the backward factor (treadctl.energy)
     └── events → listeners       SegmentStarted, Countdown, Progress, NoticeRaised,
                                  StateChanged, CommandFailedEvent, SessionFinished

Data flow: the link's events call ``_on_link_event``; a periodic tick (``tick_s`` of clock
time) and every sample call the governor with the latest :class:`BeltReading`; the decision's
commands go to a command worker that sends them through the link in order, except stops and
pauses, which are sent at once (the link puts them ahead of any queued command) and clear the
worker's queue. A failed command is reported back to the governor, which stops the belt.

Segment time runs only while the belt runs in the segment's direction (not while stopped,
paused or turning around); distance segments count measured distance over the same periods.
A countdown (``countdown_s``) precedes every segment change. A rest segment stops the belt
for its duration; afterwards the session waits, latched, for the user to resume — nothing
restarts the belt by itself. The user's intents (``start``, ``pause``, ``stop``, ``estop``,
``skip``, ``extend``, ``set_manual``, ``finish``) are plain methods, safe to call from any
coroutine or Qt slot on the loop's thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

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
    MalformedData,
    NotConnected,
    Reconnected,
    Sample,
    StartCancelled,
    StatusChanged,
    TreadmillLink,
    op_name,
)
from treadctl.program import PlannedSegment, Program, Segment
from treadctl.recorder import SessionLogError, SessionRecorder
from treadctl.safety import (
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
    StopReason,
)

logger = logging.getLogger(__name__)


class SessionState(enum.StrEnum):
    READY = "ready"  # not started yet
    RUNNING = "running"
    TURNAROUND = "turnaround"
    STOPPED = "stopped"  # latched: waits for the user (pause, any stop, any fault)
    RESTING = "resting"  # a program rest: belt stopped, rest clock running
    FINISHED = "finished"


class EndReason(enum.StrEnum):
    COMPLETED = "completed"
    STOPPED = "stopped"  # the user ended it, or a stop ended a non-interactive run
    ABORTED = "aborted"  # a fault ended it (link lost, watchdog, failed command)


_FAULTS = {
    StopReason.LINK_LOST,
    StopReason.WATCHDOG,
    StopReason.COMMAND_FAILED,
    StopReason.SAFETY_KEY,
}


# --- events --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SegmentStarted:
    t: float
    planned: PlannedSegment
    next: PlannedSegment | None
    target: SetTarget


@dataclass(frozen=True, slots=True)
class Countdown:
    """``seconds`` until the next segment; ``turnaround`` when it faces the other way."""

    t: float
    seconds: int
    next: PlannedSegment | None
    turnaround: bool


@dataclass(frozen=True, slots=True)
class Progress:
    """One sample, with where the session stands. ``t`` is seconds since the session start."""

    t: float
    sample: Sample
    direction: Direction
    state: SessionState
    segment_index: int | None
    segment_elapsed_s: float
    segment_remaining_s: float | None
    segment_remaining_m: float | None
    energy_kcal: float
    heart_rate_bpm: int | None
    target_speed_kmh: float
    distance_m: float = 0.0  # the session's distance so far (the treadmill's counter may reset)
    session_remaining_s: float | None = None  # estimated, from the segments still to run


@dataclass(frozen=True, slots=True)
class NoticeRaised:
    t: float
    notice: Notice


@dataclass(frozen=True, slots=True)
class StateChanged:
    t: float
    state: SessionState
    stop_reason: StopReason | None


@dataclass(frozen=True, slots=True)
class CommandFailedEvent:
    t: float
    command: Command
    error: str


@dataclass(frozen=True, slots=True)
class SessionFinished:
    t: float
    reason: EndReason
    summary: dict[str, Any]


SessionEvent = (
    SegmentStarted
    | Countdown
    | Progress
    | NoticeRaised
    | StateChanged
    | CommandFailedEvent
    | SessionFinished
)
SessionListener = Callable[[SessionEvent], None]


@dataclass
class _Totals:
    distance_m: float = 0.0
    forward_s: float = 0.0
    backward_s: float = 0.0
    forward_m: float = 0.0
    backward_m: float = 0.0
    max_forward_kmh: float = 0.0
    max_backward_kmh: float = 0.0
    hr_sum: float = 0.0
    hr_count: int = 0
    segments_done: int = 0
    commands: int = 0
    notices: list[str] = field(default_factory=list)


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
    ) -> None:
        self._link = link
        self._clock = clock
        self._limits = limits
        self._program = program
        self._recorder = recorder
        self._profile_name = profile_name
        self._tick_s = tick_s
        self._countdown_s = countdown_s
        self._rest_reminder_s = rest_reminder_s
        self._governor = SafetyGovernor(limits)
        self._energy = EnergyIntegrator(body_mass_kg)
        self._plan: list[PlannedSegment] = program.segments() if program else []
        self._listeners: list[SessionListener] = []
        self._state = SessionState.READY
        self._index: int | None = None
        self._segment_elapsed = 0.0
        self._segment_distance = 0.0
        self._segment_extra_s = 0.0
        self._segment_extra_m = 0.0
        self._countdown_shown: int | None = None
        self._rest_until: float | None = None
        self._manual_target = SetTarget(0.0)
        self._t0 = 0.0
        self._last_tick: float | None = None
        self._reading = BeltReading()
        self._last_distance: float | None = None
        self._last_sample_t: float | None = None
        self._strap_hr: int | None = None
        self._strap_hr_t: float | None = None
        self._since_rest_s = 0.0
        self._rest_reminded = False
        self._totals = _Totals()
        self._queue: asyncio.Queue[Command] = asyncio.Queue()
        self._worker: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._finished: asyncio.Future[EndReason] | None = None
        self._end_reason: EndReason | None = None
        self._speed_sent: tuple[float, float] | None = None  # (clock time, km/h) last on wire
        self._final_stop_reason: StopReason | None = None

    # -- read-only state ------------------------------------------------------------------------

    @property
    def governor(self) -> SafetyGovernor:
        return self._governor

    @property
    def state(self) -> SessionState:
        return self._state

    @property
    def plan(self) -> list[PlannedSegment]:
        return self._plan

    @property
    def segment_index(self) -> int | None:
        return self._index

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
            self._end_rest(early=True)
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
        if self._index is not None and self._state is not SessionState.FINISHED:
            self._next_segment()

    def extend(self, seconds: float) -> None:
        """Make the current segment longer (or, negative, shorter) by ``seconds``; a distance
        segment by the distance its target speed covers in that time."""
        if not self._plan or self._index is None:
            return
        seg = self._plan[self._index].segment
        if seg.distance_m is not None:
            self._segment_extra_m += seconds * seg.speed_kmh / 3.6
        else:
            self._segment_extra_s += seconds

    def set_manual(self, speed_kmh: float, incline_pct: float, direction: Direction) -> None:
        """Manual mode (no program): the target the governor ramps to, within the limits."""
        self._manual_target = SetTarget(speed_kmh, incline_pct, direction)
        if not self._plan:
            self._request(self._manual_target)

    def finish(self, reason: EndReason = EndReason.STOPPED) -> None:
        """End the session: the belt is stopped and the log closed."""
        if self._finished is not None and not self._finished.done():
            self._finished.set_result(reason)

    # -- running ------------------------------------------------------------------------------

    async def run(self, *, start: bool = True) -> EndReason:
        """Run until the program completes or :meth:`finish` is called; returns why it ended.

        ``start=True`` treats calling ``run`` as the user's Start (the headless ``run`` command
        and the app's Start button); ``False`` leaves the belt still until :meth:`start`.
        """
        loop = asyncio.get_running_loop()
        self._finished = loop.create_future()
        self._t0 = self._clock.now()
        self._last_tick = self._t0
        self._link.add_listener(self._on_link_event)
        info = self._link.info
        if info is not None and info.speed_range is not None:
            self._governor.set_speed_grid(info.speed_range.min_kmh, info.speed_range.increment_kmh)
        self._worker = loop.create_task(self._command_worker())
        if self._recorder is not None:
            self._log(self._recorder.start, self._header())
        try:
            if self._plan:
                self._begin_segment(0)
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
        except BaseException:
            # A bug here (or the task being cancelled) must not leave a belt running.
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
        self._end_reason = reason
        stop_reason = (
            StopReason.PROGRAM_END if reason is EndReason.COMPLETED else StopReason.APP_STOP
        )
        paused = self._governor.stop_reason in (StopReason.USER_PAUSE, StopReason.CONSOLE_PAUSE)
        connected = self._link.is_connected
        # A moving or merely paused belt is stopped for good; one already stopped is left be.
        if connected and (self._governor.phase is not Phase.STOPPED or paused):
            self._request(Stop(stop_reason))
        # Let the stop (and anything queued before it was cleared) reach the treadmill.
        await self._drain()
        self._set_state(SessionState.FINISHED)
        summary = self.summary(reason)
        if self._recorder is not None:
            self._log(self._recorder.close, reason.value, summary)
        self._emit(SessionFinished(self.session_time, reason, summary))

    async def _drain(self) -> None:
        """Wait until every command decided so far has been sent (or has failed)."""
        while True:
            await self._queue.join()
            if not self._tasks:
                return
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _log(self, write: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Write to the session log; a failing disk is reported once and never stops control."""
        if self._recorder is not None and self._recorder.closed:
            return  # the session has ended: a late stop must still reach the belt
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
                self._queue.put_nowait(command)
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
        self._totals.notices.append(notice.kind.value)
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
        while not self._queue.empty():
            self._queue.get_nowait()
            self._queue.task_done()

    async def _command_worker(self) -> None:
        while True:
            command = await self._queue.get()
            try:
                await self._send(command)
            finally:
                self._queue.task_done()

    async def _send(self, command: Command) -> None:
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
                    if not await self._pace(v):
                        return
                    await link.set_target_speed(v)
                    self._note_speed_sent(v)
                case SetIncline(incline_pct=p):
                    if info is None or not info.can_set_incline:
                        return  # a flat treadmill: nothing to tilt
                    await link.set_target_inclination(p)
                case StopBelt():
                    await link.stop()
                    self._speed_sent = None
                case PauseBelt():
                    await link.pause()
                    self._speed_sent = None
            self._totals.commands += 1
        except StartCancelled:
            logger.info("%s cancelled by a later stop", command)  # the stop undoes it
        except (NotConnected, ControlUnavailable) as error:
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
            # A stop that failed: nothing more the app can do than say so, loudly.
            self._notice(
                Notice(
                    NoticeKind.COMMAND_FAILED,
                    f"The treadmill did not confirm the stop ({error}). Use its own stop "
                    "button or safety key.",
                )
            )
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
        prev_t = self._last_sample_t
        self._last_sample_t = sample.t
        self._reading = BeltReading(
            sample.speed_kmh, sample.incline_pct, sample.heart_rate_bpm, sample.t, True
        )
        direction = self._governor.direction
        speed = sample.speed_kmh or 0.0
        # Distance: the treadmill's own counter where it has one (some advance in 10 m steps:
        # Urevo E1L), else the integral of the measured speed.
        moved = 0.0
        if sample.distance_m is not None:
            if self._last_distance is not None and sample.distance_m >= self._last_distance:
                moved = sample.distance_m - self._last_distance
            self._last_distance = sample.distance_m
        elif prev_t is not None:
            moved = speed / 3.6 * max(0.0, sample.t - prev_t)
        dt = 0.0 if prev_t is None else max(0.0, sample.t - prev_t)
        if speed > 0 and dt > 0:
            grade = sample.incline_pct or 0.0
            self._energy.add(dt, speed, grade, direction)
        self._account(direction, speed, moved, dt)
        hr = self._current_reading().heart_rate_bpm
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
                segment=self._index,
            )
        self._request(None)
        seg = self._plan[self._index].segment if self._plan and self._index is not None else None
        remaining_s = remaining_m = None
        if seg is not None and seg.duration_s is not None:
            remaining_s = max(0.0, seg.duration_s + self._segment_extra_s - self._segment_elapsed)
        elif seg is not None:
            left = self._remaining_m(seg)
            remaining_m = None if left is None else max(0.0, left)
        self._emit(
            Progress(
                t=self.session_time,
                sample=sample,
                direction=direction,
                state=self._state,
                segment_index=self._index,
                segment_elapsed_s=self._segment_elapsed,
                segment_remaining_s=remaining_s,
                segment_remaining_m=remaining_m,
                energy_kcal=self._energy.kcal,
                heart_rate_bpm=hr,
                target_speed_kmh=self._governor.commanded_speed_kmh,
                distance_m=self._totals.distance_m,
                session_remaining_s=self._session_remaining_s(remaining_s, remaining_m),
            )
        )

    def _session_remaining_s(
        self, segment_left_s: float | None, segment_left_m: float | None
    ) -> float | None:
        """This segment's time left plus the later segments' estimates (ramps not counted)."""
        if not self._plan or self._index is None:
            return None
        seg = self._plan[self._index].segment
        if segment_left_s is None and segment_left_m is not None:
            segment_left_s = segment_left_m / max(seg.speed_kmh / 3.6, 0.1)
        later = sum(p.segment.estimated_duration_s() for p in self._plan[self._index + 1 :])
        return (segment_left_s or 0.0) + later

    def _account(self, direction: Direction, speed: float, moved: float, dt: float) -> None:
        t = self._totals
        t.distance_m += moved
        if speed > 0:
            if direction is Direction.BACKWARD:
                t.backward_s += dt
                t.backward_m += moved
                t.max_backward_kmh = max(t.max_backward_kmh, speed)
            else:
                t.forward_s += dt
                t.forward_m += moved
                t.max_forward_kmh = max(t.max_forward_kmh, speed)
        hr = self._current_reading().heart_rate_bpm
        if hr:
            t.hr_sum += hr
            t.hr_count += 1
        if self._counting():
            self._segment_distance += moved

    # -- segments -----------------------------------------------------------------------------

    def _counting(self) -> bool:
        """Segment time and distance run only while the belt runs (not stopped, not turning
        around: a turnaround starts the moment the segment asks for the other direction)."""
        return (
            self._state is SessionState.RUNNING
            and self._index is not None
            and self._governor.phase is Phase.RUNNING
            and not self._governor.heart_rate_hold  # the program waits for the user
        )

    def _tick(self) -> None:
        now = self._clock.now()
        dt = 0.0 if self._last_tick is None else max(0.0, now - self._last_tick)
        self._last_tick = now
        if self._recorder is not None:
            self._log(
                self._recorder.flush_if_due,
            )
        self._request(None)
        if self._state is SessionState.FINISHED:
            return
        if self._governor.phase is Phase.RUNNING:
            self._since_rest_s += dt
            if self._since_rest_s >= self._rest_reminder_s and not self._rest_reminded:
                self._rest_reminded = True
                self._notice(
                    Notice(
                        NoticeKind.REST_REMINDER,
                        "You have been going for an hour: take about 10 minutes' rest.",
                    )
                )
        if self._state is SessionState.RESTING:
            self._since_rest_s = 0.0
            self._rest_reminded = False
            if self._rest_until is not None and now >= self._rest_until:
                self._end_rest(early=False)
            return
        if not self._plan or self._index is None:
            return
        if self._counting():
            self._segment_elapsed += dt
        seg = self._plan[self._index].segment
        remaining = self._remaining_s(seg)
        if remaining is None:
            return
        if remaining <= 0:
            self._next_segment()
            return
        seconds = math.ceil(remaining)
        if seconds <= self._countdown_s and seconds != self._countdown_shown and self._counting():
            self._countdown_shown = seconds
            nxt = self._plan[self._index + 1] if self._index + 1 < len(self._plan) else None
            turn = (
                nxt is not None
                and not nxt.segment.rest
                and nxt.segment.direction is not self._governor.direction
            )
            self._emit(Countdown(self.session_time, seconds, nxt, turn))

    def _remaining_m(self, seg: Segment) -> float | None:
        if seg.distance_m is None:
            return None
        return seg.distance_m + self._segment_extra_m - self._segment_distance

    def _remaining_s(self, seg: Segment) -> float | None:
        """Seconds left in the segment; for a distance, at the measured (or target) speed."""
        if seg.duration_s is not None:
            return seg.duration_s + self._segment_extra_s - self._segment_elapsed
        left_m = self._remaining_m(seg)
        if left_m is None:
            return None
        speed = self._reading.speed_kmh or seg.speed_kmh
        return left_m / max(speed / 3.6, 0.1)

    def _next_segment(self) -> None:
        assert self._index is not None
        self._totals.segments_done += 1
        if self._index + 1 >= len(self._plan):
            self.finish(EndReason.COMPLETED)
            return
        self._begin_segment(self._index + 1)

    def _begin_segment(self, index: int) -> None:
        self._index = index
        self._segment_elapsed = 0.0
        self._segment_distance = 0.0
        self._segment_extra_s = 0.0
        self._segment_extra_m = 0.0
        self._countdown_shown = None
        planned = self._plan[index]
        seg = planned.segment
        nxt = self._plan[index + 1] if index + 1 < len(self._plan) else None
        target = SetTarget(seg.speed_kmh, seg.incline_pct, seg.direction)
        if self._recorder is not None:
            self._log(
                self._recorder.segment,
                index=index,
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
            self._rest_until = self._clock.now() + (seg.duration_s or 0.0)
            # RESTING first: the stop that follows is the rest, not a stop that ends things.
            self._set_state(SessionState.RESTING)
            self._request(Stop(StopReason.PROGRAM_REST))
            return
        self._request(target)

    def _end_rest(self, *, early: bool) -> None:
        self._rest_until = None
        self._notice(
            Notice(
                NoticeKind.REST_OVER,
                "Rest ended." if early else "Rest over. Press Resume to go on.",
            )
        )
        self._set_state(SessionState.STOPPED)
        assert self._index is not None
        self._next_segment()

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

    def summary(self, reason: EndReason) -> dict[str, Any]:
        t = self._totals
        return {
            "reason": reason.value,
            "stop_reason": self._summary_stop_reason(),
            "duration_s": round(self.session_time, 1),
            "distance_m": round(t.distance_m, 1),
            "forward_minutes": round(t.forward_s / 60, 2),
            "backward_minutes": round(t.backward_s / 60, 2),
            "forward_distance_m": round(t.forward_m, 1),
            "backward_distance_m": round(t.backward_m, 1),
            "energy_kcal": round(self._energy.kcal, 1),
            "max_forward_kmh": t.max_forward_kmh,
            "max_backward_kmh": t.max_backward_kmh,
            "avg_heart_rate_bpm": round(t.hr_sum / t.hr_count) if t.hr_count else None,
            "segments_completed": t.segments_done,
            "segments_total": len(self._plan),
            "program": self._program.name if self._program else None,
        }

    def _summary_stop_reason(self) -> str | None:
        reason = self._final_stop_reason or self._governor.stop_reason
        if reason is None:
            return None
        return reason.value

    @property
    def end_reason(self) -> EndReason | None:
        return self._end_reason


def classify_stop(reason: StopReason | None) -> EndReason:
    """How a session that ends while stopped for ``reason`` counts."""
    return EndReason.ABORTED if reason in _FAULTS else EndReason.STOPPED
