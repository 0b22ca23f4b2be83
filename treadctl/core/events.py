"""The application core's own events: what it tells a front end beyond the link's and the
session's events, which it passes on as they are.

Shape::

    CoreEvent =  link events passed on       Connected, Disconnected, Reconnecting, Reconnected,
                                             Sample (every record, in a session or not)
              |  scanning and connecting     ScanStarted, ScanFinished, ScanFailed, Connecting,
                                             ConnectionFailed
              |  the heart-rate strap        StrapConnecting, StrapConnected, StrapConnectFailed,
                                             StrapLost, StrapReconnecting, StrapDisconnected,
                                             StrapReading
              |  sessions                    SessionStarted, then the current session's
                                             SegmentStarted, Countdown, Progress, NoticeRaised,
                                             StateChanged, CommandFailedEvent; SessionEnded;
                                             ManualTargetChanged; StopAnswered
              |  the person                  PersonChanged
              |  the treadmill's own trouble Diagnostic (data that never completes or keeps
                                             failing to decode, a vendor status)
              |  the app itself              Message
              |  after a session             SessionShared (the export folder, the uploads)

Events carry ``t`` only where the link or the session stamped one: the core's own events are
about what happened, not when (a front end shows them as they come).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from treadctl.limits import Limits
from treadctl.link import (
    Connected,
    Disconnected,
    FoundDevice,
    Reconnected,
    Reconnecting,
    Sample,
)
from treadctl.profiles import Profile
from treadctl.program import PlannedSegment, Program
from treadctl.safety import SetTarget
from treadctl.session import (
    CommandFailedEvent,
    Countdown,
    NoticeRaised,
    Progress,
    SegmentStarted,
    SessionFinished,
    StateChanged,
)
from treadctl.store import StoredSession

if TYPE_CHECKING:
    # Only named here: the core never imports the upload clients (a front end hands the core
    # ``treadctl.upload.after_session`` as ``AppCore(share=...)``).
    from treadctl.upload import AfterSessionReport

__all__ = [
    "Connecting",
    "ConnectionFailed",
    "CoreEvent",
    "CoreListener",
    "Diagnostic",
    "ManualTargetChanged",
    "Message",
    "PersonChanged",
    "ScanFailed",
    "ScanFinished",
    "ScanStarted",
    "SessionEnded",
    "SessionInfo",
    "SessionKind",
    "SessionShared",
    "SessionStarted",
    "StopAnswered",
    "StrapConnectFailed",
    "StrapConnected",
    "StrapConnecting",
    "StrapDisconnected",
    "StrapLost",
    "StrapReading",
    "StrapReconnecting",
    "StrapState",
]


class StrapState(enum.Enum):
    NONE = "none"  # no strap in use
    CONNECTING = "connecting"
    CONNECTED = "connected"
    LOST = "lost"  # dropped out; its link reconnects by itself


class SessionKind(enum.Enum):
    IDLE = "idle"  # connected, no session: STOP and the console still go through a governor
    PROGRAM = "program"
    MANUAL = "manual"


@dataclass(frozen=True)
class SessionInfo:
    """What a started session is: its program (None in manual mode) and plan."""

    kind: SessionKind
    program: Program | None
    plan: tuple[PlannedSegment, ...]


# -- scanning and connecting -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScanStarted:
    pass


@dataclass(frozen=True, slots=True)
class ScanFinished:
    devices: tuple[FoundDevice, ...]  # strongest first


@dataclass(frozen=True, slots=True)
class ScanFailed:
    message: str


@dataclass(frozen=True, slots=True)
class Connecting:
    address: str


@dataclass(frozen=True, slots=True)
class ConnectionFailed:
    address: str
    message: str


# -- the heart-rate strap (its own link: losing it is never the treadmill's link lost) -------


@dataclass(frozen=True, slots=True)
class StrapConnecting:
    address: str


@dataclass(frozen=True, slots=True)
class StrapConnected:
    """Connected, or back after a drop-out; ``name`` is its advertised name or its address."""

    address: str
    name: str


@dataclass(frozen=True, slots=True)
class StrapConnectFailed:
    address: str
    message: str


@dataclass(frozen=True, slots=True)
class StrapLost:
    """Dropped out: its link reconnects by itself; sessions use the treadmill's heart rate."""


@dataclass(frozen=True, slots=True)
class StrapReconnecting:
    attempt: Reconnecting


@dataclass(frozen=True, slots=True)
class StrapDisconnected:
    """Let go on purpose (``disconnect_strap``, shutdown)."""


@dataclass(frozen=True, slots=True)
class StrapReading:
    """A measurement made with skin contact."""

    bpm: int


# -- sessions --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionStarted:
    """A program or manual session begins (before its first segment's event)."""

    info: SessionInfo


@dataclass(frozen=True, slots=True)
class SessionEnded:
    """A program or manual session ended: its belt stopped, its log closed and imported.

    ``stored`` is the history's record of it (None when the history cannot be used);
    ``next_starting`` is True when another session is being started in its place (the same
    person's turn goes on); ``closing`` when it ended because the front end is closing.
    ``log_missing_s`` is how much of the session (seconds, to its end) its log lost to a
    failed write (a full disk); ``log_note`` says so in the words every front end shows.
    """

    finished: SessionFinished
    log_path: Path | None
    stored: StoredSession | None
    next_starting: bool
    closing: bool
    log_missing_s: float | None = None

    @property
    def log_note(self) -> str | None:
        """``"incomplete log: N minutes not recorded"`` when the log lost part of the session
        (None when it is whole). Minutes round up: a lost half-minute is not "0 minutes"."""
        if self.log_missing_s is None:
            return None
        minutes = max(1, math.ceil(self.log_missing_s / 60 - 1e-9))
        return f"incomplete log: {minutes} minute{'s' if minutes != 1 else ''} not recorded"


@dataclass(frozen=True, slots=True)
class ManualTargetChanged:
    target: SetTarget


@dataclass(frozen=True, slots=True)
class StopAnswered:
    """The treadmill answered a stop or pause the app sent (what a screen may wait for)."""


# -- the person and the app ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonChanged:
    """Who runs the next session (None: nobody chosen) and the limits it runs with."""

    profile: Profile | None
    limits: Limits


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Why a connected treadmill misbehaves, in a sentence a person can act on (its data never
    completes, keeps failing to decode; it says its safety key is out or shows an error code).
    ``cleared``: the trouble it names is over (the status is back to normal)."""

    text: str
    cleared: bool = False


@dataclass(frozen=True, slots=True)
class Message:
    """Something the app itself has to say (not a safety notice: those are NoticeRaised)."""

    text: str


@dataclass(frozen=True, slots=True)
class SessionShared:
    """What became of a kept session after its end (``SessionEnded`` came first): the files
    written into the person's export folder, the uploads tried, the services to ask about, and
    what went wrong, in sentences (``report.sentences()``)."""

    report: AfterSessionReport


CoreEvent = (
    Connected
    | Disconnected
    | Reconnecting
    | Reconnected
    | Sample
    | ScanStarted
    | ScanFinished
    | ScanFailed
    | Connecting
    | ConnectionFailed
    | StrapConnecting
    | StrapConnected
    | StrapConnectFailed
    | StrapLost
    | StrapReconnecting
    | StrapDisconnected
    | StrapReading
    | SessionStarted
    | SegmentStarted
    | Countdown
    | Progress
    | NoticeRaised
    | StateChanged
    | CommandFailedEvent
    | SessionEnded
    | ManualTargetChanged
    | StopAnswered
    | PersonChanged
    | Diagnostic
    | Message
    | SessionShared
)
CoreListener = Callable[[CoreEvent], None]
