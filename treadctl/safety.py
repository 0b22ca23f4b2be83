"""The safety governor: the only path from intent to belt commands. Pure and deterministic.

Theory of operation
-------------------
``SafetyGovernor.decide(now, belt, request)`` takes the time, the measured belt state and at
most one request, and returns a :class:`Decision`: the belt commands it allows *now*, in the
order to send them, and the notices it raises. It does no I/O and keeps no clock: the session
runner calls it on every request, on every sample, and on a periodic tick (≥ 4 Hz), and sends
the commands through the link. Called again with nothing new, it returns nothing new.

Phases::

    STOPPED ──Start (user)──► RUNNING ──SetTarget with the other direction──► TURNAROUND
       ▲                        │  ▲                                              │
       └──── any stop ──────────┘  └──── held ≤ turnaround speed for hold_s ──────┘

* **STOPPED** is latched. Every stop — app Stop, E-stop, user Pause, console stop or pause,
  safety key, link loss, watchdog, a failed command — lands here with its ``stop_reason``, and
  *nothing* leaves it except an explicit user :class:`Start` request (which the runner only
  issues for a user's action). The first speed after it is at most the start speed.
* **RUNNING** follows the target through ramps: a speed increase is at most one second of the
  direction's acceleration and comes at least one second after the previous one (so the rate
  never exceeds the acceleration); decreases are never limited. Incline moves at most
  ``incline_rate`` per second, both ways (a person facing the rear feels a sudden tilt either
  way). Targets beyond the direction's caps are clamped, with a notice.
* **TURNAROUND** replaces a direction change while the belt moves: slow to the turnaround speed
  at once, bring the incline within the new direction's cap, then hold for
  ``turnaround_hold_s`` with a countdown, and flip and ramp from there. The hold counts only
  while the **measured** belt is at or below the turnaround speed *and* the **measured** deck is
  within the new direction's cap: a command is a plan, the person stands on what the treadmill
  reports. A treadmill that reports no incline is given the time its deck needs at the slowest
  credible rate (``SLOWEST_DECK_RATE_PCT_PER_S``) while the belt runs, and the person is told.
* **Start and resume** begin from the measured belt, facing the way the person faces now (the
  application core carries it from session to session). Facing the other way needs a still
  belt and a deck within that direction's cap; otherwise the belt starts facing the way that is
  safe (the current one, or the one whose cap admits the deck, because some decks move only
  while the belt runs) and a turnaround brings it round. A start on a belt still moving, with
  the deck above the cap of the way the person faces, is refused: the stop goes on first.
* **Every stop is confirmed** by the belt it stops: after a stop or pause the measured speed
  must fall, and reach the still speed. A stop that fails (``STOP_RETRY_GAP_S`` after it went
  out, so that refusals do not spend every resend at once), or is not followed by a slowing
  belt within ``STOP_CONFIRM_S``, is sent again, ``STOP_RESENDS`` times at most; then
  ``STOP_NOT_CONFIRMED`` is raised (a lasting alarm: use the treadmill's own stop). A console
  stop or the safety key that leaves the belt running gets a stop from us.
  ``stop_confirmed`` says when the belt has been seen still since the last stop.
* **The belt not following is a fault** (``BELT_NOT_FOLLOWING``: stop, lasting alarm naming the
  likely cause). Once the belt has had time to settle on a command (``SETTLE_S``), a measured
  speed that stays off it — faster than asked beyond the device's increment, or well slower —
  for ``DIVERGE_S`` *and* ``DIVERGE_RECORDS`` records in a row is one; so is a belt that
  speeds up after it was told to slow down. A ratio near 1.609 or 0.621 names the usual cause:
  the treadmill reads the app's km/h as mph, or the reverse (Horizon 7.0AT / JFTM T202,
  qdomyos-zwift #4904, #4721; Bowflex T9, #4210). So is a belt over the person's cap (raised at
  the console) that, told to slow down, has not slowed by ``SLOWING_KMH`` for ``DIVERGE_S``.
  One odd record (a lone 0 km/h mid-run, seen on
  Domyos and Merach treadmills, qdomyos-zwift #1699) resets the count and stops nothing; data
  keeps feeding the watchdog whatever it says.
* **Heart rate** over the profile's maximum: slow to walking and raise ``HEART_RATE_HIGH`` (the
  runner pauses the program); speed may not rise again until the user's :class:`Start`.
* **Watchdog**: no sample for ``watchdog_s`` while the belt moves → stop.
* **Backward budget**: once ``backward_minutes_per_session`` are used, backward targets become
  forward walking (turnaround included), with a notice.
* **Link loss**: latched as a stop; the app cannot reach the belt, so the notice tells the
  person to use the treadmill's own stop. When the link is back, the first command is a stop.
* Stop, Pause and E-stop are always allowed, in every phase, and come first in their decision.
"""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass, field
from typing import Any

from treadctl.limits import Direction, Limits

#: Measured speeds within this of a goal count as there (belts report 0.01 km/h steps).
SPEED_TOLERANCE_KMH = 0.05
#: Minimum time between two speed increases, and between two incline steps.
STEP_INTERVAL_S = 1.0
#: How far above its cap the measured belt may run before the governor intervenes (console).
OVERSPEED_MARGIN_KMH = 0.3
#: A measured belt at or below this is standing still (belts report 0.01 km/h steps; a coasting
#: belt's last records read a few hundredths).
STILL_KMH = 0.1
#: A measured deck within this of a cap counts as within it (decks report 0.1 % steps).
DECK_TOLERANCE_PCT = 0.1
#: For a treadmill that reports no incline: the slowest a deck motor credibly moves (real decks
#: move 0.3–1 %/s; the virtual one 0.5 %/s). Its deck is taken to need that long, counted only
#: while the belt runs (many decks move only then).
SLOWEST_DECK_RATE_PCT_PER_S = 0.25
#: A stop must show as a slowing belt within this; else it is sent again.
STOP_CONFIRM_S = 2.0
#: How many times a stop is sent again before the lasting alarm.
STOP_RESENDS = 3
#: A stop the treadmill refused (or did not answer) is sent again this long after the last
#: one went out, not at once: a refusal arrives within milliseconds, and sending at once
#: would spend every resend (and raise the alarm) in the same instant.
STOP_RETRY_GAP_S = 0.5
#: Once the stop alarm is up, a stop is still sent this often while the belt is not seen still.
STOP_AFTER_ALARM_S = 5.0
#: A fall in the measured speed this large counts as the belt slowing.
SLOWING_KMH = 0.2
#: Time a belt is given to reach a speed command before a difference counts: this, plus the
#: change at the slowest credible belt rate (our ramps step at most one second of acceleration
#: a second; belts change speed at 0.5–1.5 km/h/s).
SETTLE_S = 8.0
SLOWEST_BELT_RATE_KMH_PER_S = 0.5
#: A difference must last this long, over this many records in a row, to be a fault.
DIVERGE_S = 3.0
DIVERGE_RECORDS = 3
#: Faster than asked by more than the device's increment plus this; slower by more than this
#: part of the command (and at least DIVERGE_BELOW_MIN_KMH).
DIVERGE_ABOVE_KMH = 0.15
DIVERGE_BELOW_PART = 0.2
DIVERGE_BELOW_MIN_KMH = 0.5
#: After a decrease, a belt measured this much faster than when it was told is speeding up.
RISE_AFTER_DECREASE_KMH = 0.5
#: Speed ratios that name a unit mix-up (1 mile = 1.609344 km), and how near counts.
KMH_PER_MPH = 1.609344
UNIT_RATIO_TOLERANCE = 0.06
_EPS = 1e-9


class Phase(enum.StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    TURNAROUND = "turnaround"


class StopReason(enum.StrEnum):
    NOT_STARTED = "not_started"
    APP_STOP = "app_stop"
    ESTOP = "estop"
    USER_PAUSE = "user_pause"
    CONSOLE_STOP = "console_stop"
    CONSOLE_PAUSE = "console_pause"
    SAFETY_KEY = "safety_key"
    LINK_LOST = "link_lost"
    WATCHDOG = "watchdog"
    COMMAND_FAILED = "command_failed"
    PROGRAM_REST = "program_rest"
    PROGRAM_END = "program_end"
    BELT_NOT_FOLLOWING = "belt_not_following"
    DECK_TOO_STEEP = "deck_too_steep"
    TREADMILL_ERROR = "treadmill_error"


# --- requests ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SetTarget:
    """The steady state wanted now (a program step, or manual mode)."""

    speed_kmh: float
    incline_pct: float = 0.0
    direction: Direction = Direction.FORWARD


@dataclass(frozen=True, slots=True)
class Start:
    """The user explicitly starts or resumes. The only request that can move a stopped belt."""


@dataclass(frozen=True, slots=True)
class Pause:
    """The user pauses: the belt is paused and the governor latches."""


@dataclass(frozen=True, slots=True)
class Stop:
    reason: StopReason = StopReason.APP_STOP


@dataclass(frozen=True, slots=True)
class EStop:
    pass


@dataclass(frozen=True, slots=True)
class ConsoleStopped:
    """The treadmill reported a stop or pause made at its console (FTMS status 0x02)."""

    pause: bool = False


@dataclass(frozen=True, slots=True)
class ConsoleStarted:
    """The treadmill reported a start made at its console (FTMS status 0x04)."""


@dataclass(frozen=True, slots=True)
class SafetyKeyPulled:
    pass


@dataclass(frozen=True, slots=True)
class LinkLost:
    pass


@dataclass(frozen=True, slots=True)
class LinkRestored:
    pass


@dataclass(frozen=True, slots=True)
class CommandFailed:
    """A command the governor allowed did not take effect (refused, timed out, link error)."""

    detail: str = ""


@dataclass(frozen=True, slots=True)
class TreadmillErrorReported:
    """The treadmill says it is in error (a FitShow module's E01-E03): ``problem`` names it."""

    problem: str


@dataclass(frozen=True, slots=True)
class StopFailed:
    """A stop or pause the governor sent was refused or not answered: it is sent again."""

    detail: str = ""


Request = (
    SetTarget
    | Start
    | Pause
    | Stop
    | EStop
    | ConsoleStopped
    | ConsoleStarted
    | SafetyKeyPulled
    | LinkLost
    | LinkRestored
    | CommandFailed
    | StopFailed
    | TreadmillErrorReported
)


@dataclass(frozen=True, slots=True)
class BeltReading:
    """What was last measured. ``last_sample_t`` is the clock time of the last sample."""

    speed_kmh: float | None = None
    incline_pct: float | None = None
    heart_rate_bpm: int | None = None
    last_sample_t: float | None = None
    connected: bool = True


# --- outputs -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StartBelt:
    """Start or resume the belt at this speed (the link orders speed and start per device)."""

    speed_kmh: float


@dataclass(frozen=True, slots=True)
class SetSpeed:
    speed_kmh: float


@dataclass(frozen=True, slots=True)
class SetIncline:
    incline_pct: float


@dataclass(frozen=True, slots=True)
class StopBelt:
    pass


@dataclass(frozen=True, slots=True)
class PauseBelt:
    pass


Command = StartBelt | SetSpeed | SetIncline | StopBelt | PauseBelt


class NoticeKind(enum.StrEnum):
    STOPPED = "stopped"
    RESUME_REQUIRED = "resume_required"
    STARTED = "started"
    SPEED_CLAMPED = "speed_clamped"
    INCLINE_CLAMPED = "incline_clamped"
    TURNAROUND_STARTED = "turnaround_started"
    TURNAROUND_COUNTDOWN = "turnaround_countdown"
    DIRECTION_CHANGED = "direction_changed"
    HEART_RATE_HIGH = "heart_rate_high"
    WATCHDOG = "watchdog"
    LINK_LOST = "link_lost"
    LINK_RESTORED = "link_restored"
    OVERSPEED = "overspeed"
    OVER_INCLINE = "over_incline"
    STARTED_AT_CONSOLE = "started_at_console"
    BACKWARD_BUDGET_EXHAUSTED = "backward_budget_exhausted"
    COMMAND_FAILED = "command_failed"
    STOP_RESENT = "stop_resent"
    STOP_NOT_CONFIRMED = "stop_not_confirmed"
    DECK_WAIT = "deck_wait"
    BELT_NOT_FOLLOWING = "belt_not_following"
    TREADMILL_ERROR = "treadmill_error"
    # Raised by the session runner, not the governor; one vocabulary for the log and the UI.
    REST_REMINDER = "rest_reminder"
    REST_OVER = "rest_over"
    LOG_FAILED = "log_failed"


#: Names a notice's session-log record sets itself (see ``treadctl.recorder``).
NOTICE_RECORD_FIELDS = frozenset({"kind", "t", "notice", "message", "at"})


@dataclass(frozen=True, slots=True)
class Notice:
    kind: NoticeKind
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # The session log writes a notice as one flat record beside these names; a data key
        # among them would make logging the notice fail, and the notice never reach the person.
        taken = NOTICE_RECORD_FIELDS & self.data.keys()
        if taken:
            raise ValueError(f"notice data may not use {sorted(taken)}")


@dataclass(frozen=True, slots=True)
class Decision:
    commands: tuple[Command, ...] = ()
    notices: tuple[Notice, ...] = ()


LINK_LOST_MESSAGE = (
    "Connection to the treadmill lost. The app cannot stop the belt: use the treadmill's own "
    "stop button or safety key."
)

_STOP_MESSAGES = {
    StopReason.NOT_STARTED: "Not started.",
    StopReason.APP_STOP: "Stopped.",
    StopReason.ESTOP: "Emergency stop.",
    StopReason.USER_PAUSE: "Paused.",
    StopReason.CONSOLE_STOP: "Stopped at the treadmill's console.",
    StopReason.CONSOLE_PAUSE: "Paused at the treadmill's console.",
    StopReason.SAFETY_KEY: "Safety key pulled: the treadmill stopped.",
    StopReason.LINK_LOST: "Stopped: the connection to the treadmill is lost.",
    StopReason.WATCHDOG: "No data from the treadmill: the belt was told to stop.",
    StopReason.COMMAND_FAILED: "A command to the treadmill failed: the belt was told to stop.",
    StopReason.PROGRAM_REST: "Rest: the belt is stopped.",
    StopReason.PROGRAM_END: "Program complete.",
    StopReason.BELT_NOT_FOLLOWING: "The belt does not follow the app: it was told to stop.",
    StopReason.TREADMILL_ERROR: "The treadmill reports an error: the belt was told to stop.",
    StopReason.DECK_TOO_STEEP: "The deck is too steep and takes no incline command: the belt "
    "was told to stop.",
}


@dataclass(slots=True)
class _Divergence:
    """A measured speed off its command, being counted (see the module doc)."""

    kind: str  # "above" | "below" | "rising"
    since: float
    records: int


@dataclass(slots=True)
class _StopWatch:
    """A stop (or pause) waiting to be seen in the measured belt."""

    command: StopBelt | PauseBelt | None  # None: a stop made at the treadmill, not by us
    progress_t: float  # when it was sent, or the belt last slowed
    best_kmh: float | None  # the slowest the belt was measured since
    resends: int = 0
    alarmed: bool = False
    measured: bool = False  # any record of the belt since it was sent
    failed: str | None = None  # why the last one failed (refused, no answer), to send again


def _not_following_message(kind: str, measured: float, asked: float, slowest: float) -> str:
    """The alarm's words: what was measured, what was asked, the likely cause. ``slowest`` is
    the most a belt that ignores speed commands runs at (its start)."""
    ratio = measured / asked if asked > 0 else math.inf
    said = f"The belt ran at {measured:.1f} km/h where {asked:.1f} km/h was asked"
    if abs(ratio - KMH_PER_MPH) <= UNIT_RATIO_TOLERANCE * KMH_PER_MPH:
        cause = (
            f" (×{ratio:.2f}): this treadmill seems to read the app's km/h as mph. Set its "
            "console to km/h, or report the model."
        )
    elif abs(ratio - 1 / KMH_PER_MPH) <= UNIT_RATIO_TOLERANCE / KMH_PER_MPH:
        cause = (
            f" (×{ratio:.2f}): this treadmill seems to read the app's speed in the other unit "
            "(mph as km/h). Check its console's unit, or report the model."
        )
    elif kind == "rising":
        cause = ": it sped up after it was told to slow down."
    elif kind == "above":
        cause = ": faster than asked (was it changed at the treadmill's console?)."
    elif STILL_KMH < measured <= slowest + SPEED_TOLERANCE_KMH:
        # Start, stop and incline work, speed does not: FitShow FS-BT-02 firmware 1.2.8 in an
        # Xterra T85, a Sperax RM-01 (hassio-ftms #26).
        cause = (
            ": it stays at its starting speed, so this treadmill seems to ignore the app's "
            "speed commands (some FitShow consoles do). Report the model."
        )
    else:
        cause = ": the belt does not follow the app's commands."
    return f"{said}{cause} The belt was told to stop."


def _floor2(value: float) -> float:
    """Round down to 0.01 (the wire resolution): a ramp step never overshoots its allowance."""
    return math.floor(value * 100 + 1e-6) / 100


class SafetyGovernor:
    """See the module docstring. One instance per session."""

    def __init__(self, limits: Limits, *, direction: Direction = Direction.FORWARD) -> None:
        self._limits = limits
        self._phase = Phase.STOPPED
        self._stop_reason: StopReason | None = StopReason.NOT_STARTED
        self._direction = direction
        self._target = SetTarget(0.0, 0.0, direction)
        self._commanded_speed = 0.0
        self._commanded_incline: float | None = None
        self._last_increase_t = -math.inf
        self._last_incline_t = -math.inf
        self._running_since = -math.inf
        self._pending_direction: Direction | None = None
        self._hold_since: float | None = None
        self._countdown_shown: int | None = None
        self._hr_hold = False
        self._backward_s = 0.0
        self._budget_spent = False
        self._last_tick: float | None = None
        self._link_lost = False
        self._last_clamp: tuple[float, float] | None = None
        self._last_overspeed_t = -math.inf
        #: (when, speed) a belt over the cap was first seen, or last seen slowing.
        self._overspeed: tuple[float, float] | None = None
        self._last_overdeck_t: float | None = None  # a deck above the cap: when last re-sent
        self._deck_record: tuple[float, float | None] | None = None  # (record time, deck)
        self._grid: tuple[float, float] | None = None
        self._stop_watch: _StopWatch | None = None
        self._speed_cmd_t = -math.inf  # when the speed command last changed
        self._settle_s = SETTLE_S  # how long the belt has to follow that change
        self._decrease: tuple[float, float] | None = None  # (when, measured then) of a slow-down
        self._divergence: _Divergence | None = None
        self._record_t: float | None = None  # the last record counted
        # Where the deck is at most, for a treadmill that does not report it (None: unknown).
        self._deck_bound: float | None = None
        self._deck_wait_said = False
        self._incline_control = True  # whether the treadmill takes incline commands
        self._fixed_deck: float | None = None  # a deck known not to move, in percent
        self._start_asked: float | None = None  # a Start waiting for the first record: when

    def set_fixed_deck(self, pct: float | None) -> None:
        """A deck known to stand at ``pct`` and never move (the Domyos TS100's 15 %), known
        before any record says so: no start on it above every cap."""
        self._fixed_deck = pct

    def set_incline_control(self, available: bool) -> None:
        """Whether the treadmill takes incline commands. Without them a deck raised at the
        console above the cap of the way the person faces cannot be sent back: the belt is
        stopped instead (the Urevo E1L reports an all-zero inclination range and a deck)."""
        self._incline_control = available

    def incline_not_sent(self, last_sent_pct: float | None) -> None:
        """Incline commands decided here were dropped before they reached the treadmill (a
        latch cleared the runner's queue): the deck was last told ``last_sent_pct`` (None:
        nothing yet), and the next step counts from there."""
        self._commanded_incline = last_sent_pct

    def set_speed_grid(self, low_kmh: float, step_kmh: float) -> None:
        """The treadmill's speed grid (Supported Speed Range minimum and increment).

        Ramp steps land on it, so the link never has to round them: rounded separately, a
        0.25 km/h ramp on a 0.1 km/h grid becomes 2.2 then 2.5 — a 0.3 km/h step. Where the
        grid is coarser than one second of acceleration (Urevo E1L: 0.32 km/h), each step is
        one grid step, paced so the average rate still holds.
        """
        self._grid = (low_kmh, step_kmh) if step_kmh > 0 else None

    def _on_grid(self, kmh: float) -> float:
        """``kmh`` moved down onto the speed grid (values below the grid are left alone: the
        treadmill cannot go slower than its minimum, the link clamps them up)."""
        if self._grid is None or kmh < self._grid[0]:
            return _floor2(kmh)
        low, step = self._grid
        return round(low + math.floor((kmh - low) / step + 1e-6) * step, 2)

    # -- read-only state ----------------------------------------------------------------------

    @property
    def limits(self) -> Limits:
        return self._limits

    @property
    def phase(self) -> Phase:
        return self._phase

    @property
    def stop_reason(self) -> StopReason | None:
        return self._stop_reason

    @property
    def resume_required(self) -> bool:
        """True while latched stopped, or held for heart rate: only the user's Start moves on."""
        return self._phase is Phase.STOPPED or self._hr_hold

    @property
    def direction(self) -> Direction:
        return self._direction

    @property
    def target(self) -> SetTarget:
        return self._target

    @property
    def commanded_speed_kmh(self) -> float:
        return self._commanded_speed

    @property
    def commanded_incline_pct(self) -> float | None:
        return self._commanded_incline

    @property
    def backward_seconds(self) -> float:
        return self._backward_s

    @property
    def heart_rate_hold(self) -> bool:
        return self._hr_hold

    @property
    def stop_confirmed(self) -> bool:
        """No stop is waiting to be seen: the belt was measured still since the last stop (or
        none was made)."""
        # While the link is down nothing can be seen: a stop watched before it went is void,
        # and the belt may have been started at its console meanwhile.
        return self._stop_watch is None and not self._link_lost

    @property
    def stop_given_up(self) -> bool:
        """The last stop was sent again ``STOP_RESENDS`` times and the belt was still not seen
        to stop (the lasting alarm is up)."""
        return self._stop_watch is not None and self._stop_watch.alarmed

    @property
    def turnaround_direction(self) -> Direction | None:
        """The direction a turnaround in progress will flip to."""
        return self._pending_direction if self._phase is Phase.TURNAROUND else None

    # -- the decision -------------------------------------------------------------------------

    def decide(self, now: float, belt: BeltReading, request: Request | None = None) -> Decision:
        out = _Out()
        if self._commanded_incline is None and belt.incline_pct is not None:
            self._commanded_incline = belt.incline_pct  # start from where the deck is
        self._integrate(now, belt)
        if request is not None:
            self._apply(request, now, belt, out)
        self._watch_stop(now, belt, out)
        if self._phase is not Phase.STOPPED:
            self._watch(now, belt, out)
        else:
            self._watch_latched(now, belt, out)
            self._watch_start_asked(now, belt, out)
        if self._phase is not Phase.STOPPED:
            self._advance(now, belt, out)
        return out.decision()

    # -- requests -----------------------------------------------------------------------------

    def _apply(self, request: Request, now: float, belt: BeltReading, out: _Out) -> None:
        match request:
            case EStop():
                self._latch(StopReason.ESTOP, out, StopBelt(), now, belt)
            case Stop(reason=reason):
                self._latch(reason, out, StopBelt(), now, belt)
            case Pause():
                self._latch(StopReason.USER_PAUSE, out, PauseBelt(), now, belt)
            case ConsoleStopped(pause=pause):
                # The person halted the belt at the machine; a command from us would turn a
                # console pause into a stop, so none is sent. Latched all the same.
                reason = StopReason.CONSOLE_PAUSE if pause else StopReason.CONSOLE_STOP
                self._latch(reason, out, None, now, belt)
            case SafetyKeyPulled():
                self._latch(StopReason.SAFETY_KEY, out, None, now, belt)
            case TreadmillErrorReported(problem=problem):
                # The console halts the belt on its own error codes; a stop from us as well,
                # in case this one does not, and a lasting alarm naming the code.
                out.notice(
                    NoticeKind.TREADMILL_ERROR,
                    f"The treadmill reports {problem}: the belt was told to stop. Check the "
                    "treadmill before going on.",
                    {"problem": problem},
                )
                self._latch(StopReason.TREADMILL_ERROR, out, StopBelt(), now, belt)
            case LinkLost():
                if not self._link_lost:  # a command that failed with it may have said so first
                    self._link_lost = True
                    out.notice(NoticeKind.LINK_LOST, LINK_LOST_MESSAGE)
                self._stop_watch = None  # nothing can be sent or seen until it is back
                self._latch(StopReason.LINK_LOST, out, None, now, belt, watch=False)
            case LinkRestored():
                if self._link_lost:
                    self._link_lost = False
                    # The belt may be running on its own; tell it to stop before anything else.
                    out.command(StopBelt())
                    self._stop_watch = _StopWatch(StopBelt(), now, belt.speed_kmh)
                    out.notice(
                        NoticeKind.LINK_RESTORED,
                        "Connection back. The belt was told to stop; press Resume to go on.",
                    )
            case CommandFailed(detail=detail):
                out.notice(NoticeKind.COMMAND_FAILED, f"Command failed: {detail}")
                if self._phase is not Phase.STOPPED:
                    self._latch(StopReason.COMMAND_FAILED, out, StopBelt(), now, belt)
            case StopFailed(detail=detail):
                watch = self._stop_watch
                if watch is not None:
                    watch.failed = f"the treadmill did not confirm it ({detail})"
                    self._retry_failed_stop(watch, now, out)
            case ConsoleStarted():
                if self._phase is Phase.STOPPED:
                    out.notice(
                        NoticeKind.STARTED_AT_CONSOLE,
                        "The belt was started at the treadmill. The session stays paused "
                        "until you press Resume.",
                    )
            case Start():
                self._start(now, belt, out)
            case _:
                self._set_target(request, now, out)

    def _latch(
        self,
        reason: StopReason,
        out: _Out,
        command: StopBelt | PauseBelt | None,
        now: float,
        belt: BeltReading,
        *,
        watch: bool = True,
    ) -> None:
        if command is not None:
            out.command(command, first=True)
        if watch:
            # Seen through in the measured belt (_watch_stop). A stop made at the treadmill is
            # watched too: a belt that keeps running after it gets a stop from us.
            self._stop_watch = _StopWatch(command, now, belt.speed_kmh)
        was, was_reason = self._phase, self._stop_reason
        self._start_asked = None  # a stop before the first record: nothing starts after it
        self._phase = Phase.STOPPED
        self._stop_reason = reason
        self._commanded_speed = 0.0
        self._pending_direction = None
        self._hold_since = None
        self._countdown_shown = None
        self._hr_hold = False
        # Told every time something new stopped it: a safety key pulled while paused matters.
        if was is not Phase.STOPPED or command is not None or reason is not was_reason:
            out.notice(NoticeKind.STOPPED, _STOP_MESSAGES[reason], {"reason": reason.value})

    def _start(self, now: float, belt: BeltReading, out: _Out) -> None:
        if self._hr_hold and self._phase is not Phase.STOPPED:
            self._hr_hold = False  # the user resumes after a heart-rate hold
            self._last_increase_t = now
            out.notice(NoticeKind.STARTED, "Resumed.")
            return
        if self._phase is not Phase.STOPPED:
            return
        if not belt.connected or self._link_lost:
            out.notice(NoticeKind.RESUME_REQUIRED, "Not connected to the treadmill.")
            return
        if belt.last_sample_t is None:
            # Nothing measured yet (the first record is on its way, or never comes: a console
            # that needs a setup first): the belt starts once a record says where it stands,
            # never blind (_watch_start_asked).
            if self._start_asked is None:
                self._start_asked = now
            return
        self._start_asked = None
        deck = self._deck(belt)
        if not self._incline_control and not any(self._deck_within(deck, way) for way in Direction):
            # A deck above every cap that no command can lower (one fixed at 15 %, the
            # Domyos TS100's; one raised at the console of a treadmill without incline
            # control): no way of facing is safe, so the belt does not start.
            forward, backward = (self._limits.max_incline(way) for way in Direction)
            out.notice(
                NoticeKind.OVER_INCLINE,
                f"The deck stands at {deck:.1f} %, above your limits ({forward:g} % facing "
                f"forward, {backward:g} % facing backward), and this treadmill takes no "
                "incline command: the belt does not start. Lower the deck at the console; a "
                "deck that cannot move needs a higher limit, set by an admin.",
                {"measured": deck, "cap": max(forward, backward)},
            )
            return
        measured = belt.speed_kmh
        if (
            measured is not None
            and measured > STILL_KMH
            and not self._deck_within(deck, self._direction)
        ):
            # The belt has not stopped yet and the person stands facing a way whose cap is
            # below the deck (raised at the console, or a treadmill that ignores commands): a
            # resume now would take over a belt that is unsafe as it is, and no flip may come
            # while it moves. The stop under way goes on (safety fuzzer, 9880).
            cap = self._limits.max_incline(self._direction)
            out.notice(
                NoticeKind.OVER_INCLINE,
                f"The belt still moves ({measured:.1f} km/h) with the deck at {deck:.1f} %, "
                f"above your limit facing {self._direction.value} ({cap:g} %): it must stop "
                "before it starts again. Press Resume once it has stopped.",
                {"measured": deck, "cap": cap},
            )
            return
        want = self._effective_target().direction
        face = self._facing_for_start(want, belt, out)
        incline = self._commanded_incline
        if incline is not None:
            capped = self._cap_incline(incline, face)
            if abs(capped - incline) > _EPS:
                # The deck stands above this direction's cap: bring it down before the belt
                # moves (the belt is still; the deck's own motor sets the pace), and on decks
                # that move only while the belt runs, while the person faces the safe way.
                self._set_incline_command(capped, now)
                out.command(SetIncline(capped))
        target = self._effective_target()
        first = self._limits.start_speed_kmh
        if target.speed_kmh > 0:
            first = min(first, self._cap_speed(target.speed_kmh, face))
        first = self._on_grid(first)
        self._phase = Phase.RUNNING
        self._stop_reason = None
        self._stop_watch = None  # the person moves the belt on purpose
        self._commanded_speed = first
        self._last_increase_t = now
        self._running_since = now
        self._speed_cmd_t = now
        self._settle_s = SETTLE_S + first / SLOWEST_BELT_RATE_KMH_PER_S
        self._decrease = None
        self._overspeed = None  # a new start is watched afresh
        out.command(StartBelt(first))
        out.notice(NoticeKind.STARTED, f"Starting at {first:.1f} km/h.", {"speed_kmh": first})
        if want is not face:
            self._begin_turnaround(want, out)

    def _facing_for_start(self, want: Direction, belt: BeltReading, out: _Out) -> Direction:
        """The way the person faces as the belt starts; it may differ from ``want`` (then a
        turnaround follows the start).

        Turning on the spot needs a belt measured still and a deck within the new direction's
        cap. A deck above the current direction's cap makes the person face the way whose cap
        admits it (the deck comes down while the belt runs that way), if the belt is still.
        """
        face = self._direction
        measured = belt.speed_kmh
        still = measured is not None and measured <= STILL_KMH
        deck = self._deck(belt)
        if want is not face and still and self._deck_within(deck, want):
            face = want
        elif not self._deck_within(deck, face) and still:
            safe = max(Direction, key=self._limits.max_incline)
            face = safe
        if face is not self._direction:
            self._direction = face
            message = f"Facing {face.value}."
            if face is not want:
                message = f"Facing {face.value} while the deck comes down."
            out.notice(NoticeKind.DIRECTION_CHANGED, message, {"direction": face.value})
        return face

    def _deck(self, belt: BeltReading) -> float:
        """The deck as measured; for a treadmill that reports none, as high as it may still be."""
        if belt.incline_pct is not None:
            return belt.incline_pct
        if self._fixed_deck is not None:
            return self._fixed_deck  # before its first record: the link says so from then on
        if self._deck_bound is not None:
            return self._deck_bound
        return 0.0 if self._commanded_incline is None else self._commanded_incline

    def _deck_within(self, deck: float, direction: Direction) -> bool:
        return deck <= self._limits.max_incline(direction) + DECK_TOLERANCE_PCT

    def _set_incline_command(self, pct: float, now: float) -> None:
        self._commanded_incline = pct
        self._last_incline_t = now
        # A deck that reports nothing is taken to rise at once and to fall at the slowest rate.
        if self._deck_bound is None or pct > self._deck_bound:
            self._deck_bound = pct

    def _set_target(self, request: SetTarget, now: float, out: _Out) -> None:
        self._target = request
        target = self._effective_target()
        speed = self._cap_speed(target.speed_kmh, target.direction)
        incline = self._cap_incline(target.incline_pct, target.direction)
        clamp = (speed, incline)
        if clamp != self._last_clamp:
            if speed < target.speed_kmh - _EPS:
                out.notice(
                    NoticeKind.SPEED_CLAMPED,
                    f"{target.speed_kmh:.1f} km/h {target.direction.value} is above the limit; "
                    f"using {speed:.1f} km/h.",
                    {"requested": target.speed_kmh, "allowed": speed},
                )
            if abs(incline - target.incline_pct) > _EPS:
                out.notice(
                    NoticeKind.INCLINE_CLAMPED,
                    f"Incline {target.incline_pct:g} % {target.direction.value} is outside the "
                    f"limits; using {incline:g} %.",
                    {"requested": target.incline_pct, "allowed": incline},
                )
            self._last_clamp = clamp
        if self._phase is Phase.RUNNING and target.direction is not self._direction:
            self._begin_turnaround(target.direction, out)
        elif self._phase is Phase.TURNAROUND and target.direction is self._direction:
            # Changed back before the flip: no turnaround needed any more.
            self._phase = Phase.RUNNING
            self._pending_direction = None
            self._hold_since = None
            self._countdown_shown = None
            self._last_increase_t = now
        elif self._phase is Phase.TURNAROUND:
            self._pending_direction = target.direction

    def _effective_target(self) -> SetTarget:
        """The target after the backward budget: once spent, backward becomes forward walking."""
        t = self._target
        if self._budget_spent and t.direction is Direction.BACKWARD:
            return SetTarget(
                min(t.speed_kmh, self._limits.walking_speed_kmh), t.incline_pct, Direction.FORWARD
            )
        return t

    def _begin_turnaround(self, new: Direction, out: _Out) -> None:
        self._phase = Phase.TURNAROUND
        self._pending_direction = new
        self._hold_since = None
        self._countdown_shown = None
        self._deck_wait_said = False
        out.notice(
            NoticeKind.TURNAROUND_STARTED,
            f"Turnaround: slowing to {self._limits.turnaround_speed_kmh:.1f} km/h, then turn to "
            f"face {new.value}.",
            {"to": new.value},
        )

    # -- caps ---------------------------------------------------------------------------------

    def _cap_speed(self, kmh: float, direction: Direction) -> float:
        cap = self._limits.max_speed(direction)
        if self._hr_hold:
            cap = min(cap, self._limits.hr_slow_speed(direction))
        return max(0.0, min(kmh, cap)) if math.isfinite(kmh) else 0.0

    def _cap_incline(self, pct: float, direction: Direction) -> float:
        if not math.isfinite(pct):
            return max(self._limits.min_incline_pct, 0.0)
        return min(max(pct, self._limits.min_incline_pct), self._limits.max_incline(direction))

    # -- watching the measurements ------------------------------------------------------------

    def _integrate(self, now: float, belt: BeltReading) -> None:
        last, self._last_tick = self._last_tick, now
        if last is None or now <= last:
            return
        # Measured, or (a reading gone stale while the data is silent: it may say 0 after a
        # stop) commanded: a budget counts on the side of more backward time, never less.
        moving = self._phase is not Phase.STOPPED and (
            (belt.speed_kmh or 0.0) > 0 or self._commanded_speed > 0
        )
        if moving and self._direction is Direction.BACKWARD:
            self._backward_s += now - last
        bound, goal = self._deck_bound, self._commanded_incline
        if bound is not None and goal is not None and bound > goal and moving:
            self._deck_bound = max(goal, bound - SLOWEST_DECK_RATE_PCT_PER_S * (now - last))

    def _watch(self, now: float, belt: BeltReading, out: _Out) -> None:
        if not belt.connected:
            self._link_lost = True
            out.notice(NoticeKind.LINK_LOST, LINK_LOST_MESSAGE)
            self._stop_watch = None
            self._latch(StopReason.LINK_LOST, out, None, now, belt, watch=False)
            return
        reference = max(belt.last_sample_t or -math.inf, self._running_since)
        if now - reference > self._limits.watchdog_s:
            out.notice(
                NoticeKind.WATCHDOG,
                f"No data from the treadmill for {self._limits.watchdog_s:g} s.",
                {"silent_s": now - reference},
            )
            self._latch(StopReason.WATCHDOG, out, StopBelt(), now, belt)
            return
        max_hr = self._limits.max_heart_rate_bpm
        hr = belt.heart_rate_bpm
        if max_hr is not None and hr is not None and hr > max_hr and not self._hr_hold:
            self._hr_hold = True
            slow = self._limits.hr_slow_speed(self._direction)
            out.notice(
                NoticeKind.HEART_RATE_HIGH,
                f"Heart rate {hr} bpm is over your maximum of {max_hr}: slowing to "
                f"{slow:.1f} km/h. Press Resume when ready.",
                {"heart_rate_bpm": hr, "max_bpm": max_hr},
            )
            measured = belt.speed_kmh
            if (
                self._phase is Phase.RUNNING
                and measured is not None
                and measured < self._commanded_speed - _EPS
            ):
                # The belt lags its command (speeds refused or answered late: the KingSmith
                # X21 refuses them for 2.5 s after a start): held where it is, not brought up
                # to where the ramp had got, while the heart rate is too high (safety fuzzer).
                held = max(self._on_grid(measured), min(self._commanded_speed, self._slowest()))
                if held < self._commanded_speed - _EPS:
                    self._commanded_speed = held
                    self._speed_command(held, now, belt, out, decrease=True)
        budget = self._limits.backward_minutes_per_session * 60
        if not self._budget_spent and self._backward_s >= budget:
            self._budget_spent = True
            out.notice(
                NoticeKind.BACKWARD_BUDGET_EXHAUSTED,
                f"{self._limits.backward_minutes_per_session:g} backward minutes done for this "
                "session: the rest is forward walking.",
            )
            if self._phase is Phase.RUNNING and self._direction is Direction.BACKWARD:
                self._begin_turnaround(Direction.FORWARD, out)
        measured = belt.speed_kmh
        cap = self._limits.max_speed(self._direction)
        over = measured is not None and measured > cap + OVERSPEED_MARGIN_KMH
        if measured is None or not over:
            self._overspeed = None
        elif self._overspeed is None or measured < self._overspeed[1] - SLOWING_KMH:
            self._overspeed = (now, measured)  # first seen over, or slowing since
        elif now - self._overspeed[0] >= DIVERGE_S - _EPS:
            # Told to slow down, and not slowing: a treadmill that ignores speed commands
            # (FitShow FS-BT-02 firmware 1.2.8 in an Xterra T85), or someone holding + at the
            # console. A person over their cap, maybe facing the rear, is not left there
            # (safety fuzzer, seed 70560: 14.9 km/h facing backward for 200 s).
            self._overspeed = None
            out.notice(
                NoticeKind.BELT_NOT_FOLLOWING,
                f"The belt stays at {measured:.1f} km/h, over the {cap:.1f} km/h limit, and "
                "does not slow down when told (was it set at the treadmill's console, or does "
                "this treadmill ignore the app's speed?). The belt was told to stop.",
                {"divergence": "over_cap", "measured": measured, "commanded": cap},
            )
            self._latch(StopReason.BELT_NOT_FOLLOWING, out, StopBelt(), now, belt)
            return
        if over and now - self._last_overspeed_t >= STEP_INTERVAL_S:
            # Someone raised the speed at the console past this person's cap.
            self._last_overspeed_t = now
            self._commanded_speed = min(self._commanded_speed, cap)
            self._speed_command(self._commanded_speed, now, belt, out)
            out.notice(
                NoticeKind.OVERSPEED,
                f"Belt at {measured:.1f} km/h is over the {cap:.1f} km/h limit: slowing down.",
                {"measured": measured, "cap": cap},
            )
            return
        self._watch_deck(now, belt, out)
        self._watch_following(now, belt, out)

    def _watch_latched(self, now: float, belt: BeltReading, out: _Out) -> None:
        """Stopped, a belt measured above this person's cap (sped up at the console) gets a
        stop, once a second while it stays there, with a notice: being latched is no licence
        for a runaway belt, even after the stop alarm gave up."""
        measured, cap = belt.speed_kmh, self._limits.max_speed(self._direction)
        if (
            measured is None
            or not belt.connected
            or self._link_lost
            or measured <= cap + OVERSPEED_MARGIN_KMH
            or now - self._last_overspeed_t < STEP_INTERVAL_S - _EPS
        ):
            return
        self._last_overspeed_t = now
        out.command(StopBelt(), first=True)
        out.notice(
            NoticeKind.OVERSPEED,
            f"Belt at {measured:.1f} km/h is over the {cap:.1f} km/h limit while stopped: it "
            "was told to stop.",
            {"measured": measured, "cap": cap},
        )

    def _watch_start_asked(self, now: float, belt: BeltReading, out: _Out) -> None:
        """A Start asked for before any record: carried out with the first one, or given up
        (with a notice) when none came within the watchdog time."""
        asked = self._start_asked
        if asked is None:
            return
        if belt.last_sample_t is not None:
            self._start(now, belt, out)
        elif now - asked >= self._limits.watchdog_s - _EPS:
            self._start_asked = None
            # A belt nobody can see may run all the same (started at its console): told to
            # stop, as the watchdog would.
            out.command(StopBelt(), first=True)
            out.notice(
                NoticeKind.RESUME_REQUIRED,
                f"No data from the treadmill for {self._limits.watchdog_s:g} s: the belt was "
                "not started, and was told to stop in case it runs. Check the treadmill, then "
                "press Start again.",
            )

    def _watch_deck(self, now: float, belt: BeltReading, out: _Out) -> None:
        """A deck measured above the cap of the way the person faces (raised at the console:
        every command of ours is within it) is sent back to the planned incline, once per
        ``STEP_INTERVAL_S`` while it stays above, with one notice per excursion."""
        deck, cap = belt.incline_pct, self._limits.max_incline(self._direction)
        previous, record_t = self._deck_record, belt.last_sample_t
        if record_t is not None and (previous is None or record_t > previous[0]):
            self._deck_record = (record_t, deck)
        # Running or turning round: until the flip the person faces the way they did.
        if self._phase is Phase.STOPPED or deck is None or deck <= cap + DECK_TOLERANCE_PCT:
            self._last_overdeck_t = None
            return
        last = self._last_overdeck_t
        if last is None:
            # Our own commands only bring a deck down towards the cap (a start on a steep deck
            # lowers it as the belt runs): only one rising above it was raised at the console.
            before = previous[1] if previous is not None else None
            if before is None or self._deck_record == previous or deck <= before + _EPS:
                return
        elif now - last < STEP_INTERVAL_S - _EPS:
            return
        first = last is None
        self._last_overdeck_t = now
        if not self._incline_control:
            out.notice(
                NoticeKind.OVER_INCLINE,
                f"Deck at {deck:.1f} % is over the {cap:g} % limit facing "
                f"{self._direction.value} and this treadmill takes no incline command: stopping "
                "the belt. Lower the deck at the console, then press Resume.",
                {"measured": deck, "cap": cap},
            )
            self._latch(StopReason.DECK_TOO_STEEP, out, StopBelt(), now, belt)
            return
        planned = min(self._commanded_incline if self._commanded_incline is not None else 0.0, cap)
        self._set_incline_command(planned, now)
        out.command(SetIncline(planned))
        if first:
            out.notice(
                NoticeKind.OVER_INCLINE,
                f"Deck at {deck:.1f} % is over the {cap:g} % limit facing "
                f"{self._direction.value}: bringing it down to {planned:g} %.",
                {"measured": deck, "cap": cap},
            )

    def _watch_following(self, now: float, belt: BeltReading, out: _Out) -> None:
        """Count records whose speed is off its command; a lasting one is a fault."""
        if belt.last_sample_t is None or belt.last_sample_t == self._record_t:
            return  # no new record: only records count, not ticks
        self._record_t = belt.last_sample_t
        measured, asked = belt.speed_kmh, self._commanded_speed
        if measured is None:
            return
        kind = self._off_command(now, measured, asked)
        if kind is None:
            self._divergence = None
            return
        d = self._divergence
        if d is None or d.kind != kind:
            self._divergence = d = _Divergence(kind, now, 0)
        d.records += 1
        if d.records < DIVERGE_RECORDS or now - d.since < DIVERGE_S - _EPS:
            return
        self._divergence = None
        out.notice(
            NoticeKind.BELT_NOT_FOLLOWING,
            _not_following_message(kind, measured, asked, self._slowest()),
            # Not "kind": the session log names its record kinds so (docs/session-log.md).
            {"divergence": kind, "measured": measured, "commanded": asked},
        )
        self._latch(StopReason.BELT_NOT_FOLLOWING, out, StopBelt(), now, belt)

    def _slowest(self) -> float:
        """The most a started belt runs at when it takes no speed command: the start speed,
        or the treadmill's own minimum when that is higher."""
        low = self._grid[0] if self._grid is not None else 0.0
        return max(low, self._limits.start_speed_kmh)

    def _off_command(self, now: float, measured: float, asked: float) -> str | None:
        """How a record is off its command ("above", "below", "rising"), or None."""
        if self._decrease is not None:
            when, then = self._decrease
            if now - when > SETTLE_S:
                self._decrease = None
            elif measured > max(then, asked) + RISE_AFTER_DECREASE_KMH:
                return "rising"
        if now - self._speed_cmd_t < self._settle_s - _EPS or asked <= 0:
            return None
        low, step = self._grid if self._grid is not None else (0.0, 0.0)
        expected = max(asked, low)  # the link sends nothing below the treadmill's minimum
        if measured > expected + step + DIVERGE_ABOVE_KMH:
            return "above"
        if measured < expected - max(DIVERGE_BELOW_MIN_KMH, DIVERGE_BELOW_PART * expected):
            return "below"
        return None

    def _retry_failed_stop(self, watch: _StopWatch, now: float, out: _Out) -> None:
        """Send a failed stop again once ``STOP_RETRY_GAP_S`` has passed since the last one."""
        why = watch.failed
        if why is not None and now - watch.progress_t >= STOP_RETRY_GAP_S - _EPS:
            watch.failed = None
            self._send_stop_again(watch, now, out, why)

    def _watch_stop(self, now: float, belt: BeltReading, out: _Out) -> None:
        """See a stop through in the measured belt (see the module doc)."""
        watch = self._stop_watch
        if watch is None or not belt.connected:
            return
        measured = belt.speed_kmh
        # Only a record made after the stop went out says what the belt did with it: one from
        # the same instant was read before it, and a start sent just before the stop may yet
        # move the belt (a pause at the instant of a start, the belt at 0: safety fuzzer, 8840).
        seen = belt.last_sample_t is not None and belt.last_sample_t > watch.progress_t
        if seen and measured is not None:
            watch.measured = True
            if measured <= STILL_KMH:
                self._stop_watch = None
                if watch.alarmed:
                    out.notice(NoticeKind.STOPPED, "The belt has stopped.", {"confirmed": True})
                return
            if watch.best_kmh is None or measured < watch.best_kmh - SLOWING_KMH:
                watch.best_kmh = measured
                watch.progress_t = now
                return
        if watch.failed is not None:
            self._retry_failed_stop(watch, now, out)
            return
        if now - watch.progress_t >= STOP_CONFIRM_S - _EPS:
            why = "the belt did not slow down" if watch.measured else "no data shows it slowing"
            self._send_stop_again(watch, now, out, why)

    def _send_stop_again(self, watch: _StopWatch, now: float, out: _Out, why: str) -> None:
        if watch.resends < STOP_RESENDS:
            watch.resends += 1
            watch.progress_t = now
            command = watch.command or StopBelt()
            watch.command = command
            out.command(command, first=True)
            out.notice(
                NoticeKind.STOP_RESENT,
                f"Stop sent again ({watch.resends} of {STOP_RESENDS}): {why}.",
                {"attempt": watch.resends},
            )
        elif not watch.alarmed:
            watch.alarmed = True
            watch.progress_t = now
            # Without a single record since the stop, "did not stop" would be a guess: say what
            # is known (the stop cannot be seen) and ask for the same action.
            said = (
                "The treadmill did not stop"
                if watch.measured
                else "The treadmill sends no data: the app cannot see the belt stop"
            )
            out.notice(
                NoticeKind.STOP_NOT_CONFIRMED,
                f"{said}: use its own stop button or safety key.",
                {"measured": watch.measured},
            )
        elif now - watch.progress_t >= STOP_AFTER_ALARM_S - _EPS:
            # The alarm is up and the belt is still not seen still: the stop goes on being
            # sent, quietly (the alarm says it all), in case the treadmill hears it now (one
            # that answered late came back and was never told again: safety fuzzer, 2689).
            watch.progress_t = now
            out.command(watch.command or StopBelt(), first=True)

    # -- motion -------------------------------------------------------------------------------

    def _advance(self, now: float, belt: BeltReading, out: _Out) -> None:
        if self._phase is Phase.TURNAROUND:
            self._turnaround(now, belt, out)
            return
        target = self._effective_target()
        if target.direction is not self._direction:  # pragma: no cover - defence in depth
            # Every path that changes the target or the direction already starts a turnaround;
            # should one ever not, the belt still never runs a person the wrong way round.
            self._begin_turnaround(target.direction, out)
            self._turnaround(now, belt, out)
            return
        goal = self._cap_speed(target.speed_kmh, self._direction)
        self._move_speed(goal, now, belt, out)
        self._move_incline(self._cap_incline(target.incline_pct, self._direction), now, out)

    def _speed_command(
        self,
        kmh: float,
        now: float,
        belt: BeltReading,
        out: _Out,
        *,
        decrease: bool = False,
    ) -> None:
        change = abs(kmh - (belt.speed_kmh if belt.speed_kmh is not None else kmh))
        self._speed_cmd_t = now
        self._settle_s = SETTLE_S + change / SLOWEST_BELT_RATE_KMH_PER_S
        self._divergence = None
        if decrease and belt.speed_kmh is not None:
            self._decrease = (now, belt.speed_kmh)
        out.command(SetSpeed(kmh))

    def _move_speed(self, goal: float, now: float, belt: BeltReading, out: _Out) -> None:
        if goal <= 0:
            # A zero target is not a stop (stops are explicit requests): crawl at start speed.
            goal = self._limits.start_speed_kmh
        if self._commanded_speed > goal + _EPS:
            # Decreases are never limited. On the treadmill's grid (floored, as the link would):
            # the next increase then counts from the speed the belt was really given.
            down = self._on_grid(goal)  # at most goal: below the commanded speed
            self._commanded_speed = down
            self._speed_command(down, now, belt, out, decrease=True)
            return
        if self._commanded_speed >= goal - _EPS or self._hr_hold:
            return
        if now - self._last_increase_t < STEP_INTERVAL_S - _EPS:
            return
        accel = self._limits.accel(self._direction)
        new = self._on_grid(min(goal, self._commanded_speed + accel * STEP_INTERVAL_S))
        if new <= self._commanded_speed + _EPS and self._grid is not None:
            # A grid coarser than a second of acceleration: one grid step, when it is due.
            new = self._on_grid(self._commanded_speed + self._grid[1] + 1e-6)
            if new > goal + _EPS:
                return
            if now - self._last_increase_t < (new - self._commanded_speed) / accel - _EPS:
                return
        if new > self._commanded_speed + _EPS:
            self._commanded_speed = new
            self._last_increase_t = now
            self._speed_command(new, now, belt, out)

    def _move_incline(self, goal: float, now: float, out: _Out) -> None:
        # A treadmill that reports no incline is taken to be flat until told otherwise.
        current = 0.0 if self._commanded_incline is None else self._commanded_incline
        if abs(goal - current) < _EPS:
            self._commanded_incline = current
            return
        if now - self._last_incline_t < STEP_INTERVAL_S - _EPS:
            return
        step = self._limits.incline_rate_pct_per_s * STEP_INTERVAL_S
        new = current + max(-step, min(step, goal - current))
        # Steps land exactly on the goal at the end; rounding here could stall small rates.
        new = goal if abs(goal - new) < 1e-6 else round(new, 6)
        self._set_incline_command(new, now)
        out.command(SetIncline(new))

    def _turnaround(self, now: float, belt: BeltReading, out: _Out) -> None:
        assert self._pending_direction is not None
        new = self._pending_direction
        slow = self._limits.turnaround_speed_kmh
        if self._commanded_speed > slow + _EPS:
            self._commanded_speed = slow
            self._speed_command(slow, now, belt, out, decrease=True)
        incline_goal = min(self._commanded_incline or 0.0, self._limits.max_incline(new))
        incline_goal = max(incline_goal, self._limits.min_incline_pct)
        self._move_incline(incline_goal, now, out)
        measured = belt.speed_kmh
        speed_ok = measured is not None and measured <= slow + SPEED_TOLERANCE_KMH
        deck = self._deck(belt)
        deck_ok = self._deck_within(deck, new)
        if speed_ok and not deck_ok and not self._deck_wait_said:
            self._deck_wait_said = True
            cap = self._limits.max_incline(new)
            if belt.incline_pct is None:
                wait = (deck - cap) / SLOWEST_DECK_RATE_PCT_PER_S
                message = (
                    f"This treadmill does not report its incline: allowing its deck {wait:.0f} s "
                    f"to come down to {cap:g} % before you turn around."
                )
            else:
                message = f"Wait: the deck comes down to {cap:g} % before you turn around."
            out.notice(
                NoticeKind.DECK_WAIT, message, {"deck_pct": deck, "cap_pct": cap, "to": new.value}
            )
        if not (speed_ok and deck_ok):
            # The hold counts only while both hold, measured: a plan is not a belt.
            self._hold_since = None
            self._countdown_shown = None
            return
        if self._hold_since is None:
            self._hold_since = now
        remaining = self._limits.turnaround_hold_s - (now - self._hold_since)
        if remaining > _EPS:
            seconds = max(1, math.ceil(remaining - _EPS))
            if seconds != self._countdown_shown:
                self._countdown_shown = seconds
                out.notice(
                    NoticeKind.TURNAROUND_COUNTDOWN,
                    f"Turn around in {seconds}",
                    {"seconds": seconds, "to": new.value},
                )
            return
        self._direction = new
        self._phase = Phase.RUNNING
        self._pending_direction = None
        self._hold_since = None
        self._countdown_shown = None
        self._last_increase_t = now
        out.notice(
            NoticeKind.DIRECTION_CHANGED,
            f"Now facing {new.value}.",
            {"direction": new.value},
        )


class _Out:
    """Collects one decision's commands and notices; stops go first."""

    def __init__(self) -> None:
        self._commands: list[Command] = []
        self._notices: list[Notice] = []

    def command(self, command: Command, *, first: bool = False) -> None:
        if first:
            self._commands.insert(0, command)
        else:
            self._commands.append(command)

    def notice(self, kind: NoticeKind, message: str, data: dict[str, Any] | None = None) -> None:
        self._notices.append(Notice(kind, message, data or {}))

    def decision(self) -> Decision:
        return Decision(tuple(self._commands), tuple(self._notices))
