"""The application core, and the one vocabulary front ends speak.

A front end (the window in ``ui/``, the command line in ``treadctl.cli``) builds an
:class:`AppCore`, listens to its events and calls its intents. Everything it needs to name —
the core's events, the link's and the session's events it passes on, the value types they
carry and the errors the engine raises — is importable from here, so no front end reaches into
the link, the wire formats or Bleak (the pattern of h11's ``__init__`` over ``_events``).

Shape::

    treadctl.core
     ├── app_core.py   AppCore: link, strap, person, session switching, what follows a stop,
     │                 a session's end (history import, progression)
     ├── events.py     the core's own events (CoreEvent, CoreListener, SessionKind, StrapState)
     ├── people.py     People: the person on the treadmill, their limits, the history
     ├── strap.py      Strap: the heart-rate strap in use
     └── manual.py     manual mode's steps (pure)

See ``docs/architecture.md`` for how the layers fit together.
"""

from treadctl.core.app_core import LINK_WAIT_S, SHUTDOWN_TIMEOUT_S, AppCore, FittedProgram
from treadctl.core.events import (
    Connecting,
    ConnectionFailed,
    CoreEvent,
    CoreListener,
    Diagnostic,
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
    StrapConnected,
    StrapConnectFailed,
    StrapConnecting,
    StrapDisconnected,
    StrapLost,
    StrapReading,
    StrapReconnecting,
    StrapState,
)
from treadctl.core.manual import MANUAL_INCLINE_STEP_PCT, MANUAL_SPEED_STEP_KMH
from treadctl.core.people import People
from treadctl.core.strap import STRAP_FRESH_S
from treadctl.data_folder import DataFolder
from treadctl.errors import TreadctlError
from treadctl.export import ExportError
from treadctl.limits import DEFAULT_LIMITS, Direction, Limits
from treadctl.link import (
    BleakBackends,
    Connected,
    Disconnected,
    FoundDevice,
    LinkError,
    NoAdapterError,
    Reconnected,
    Reconnecting,
    Sample,
    TreadmillInfo,
)
from treadctl.profiles import Profile, ProfileError
from treadctl.program import PlannedSegment, Program, ProgramError
from treadctl.recorder import SessionLogError
from treadctl.safety import Notice, NoticeKind, SetTarget, StopReason
from treadctl.session import (
    CommandFailedEvent,
    Countdown,
    EndReason,
    NoticeRaised,
    Progress,
    SegmentStarted,
    SessionFinished,
    SessionState,
    SessionSummary,
    StateChanged,
)
from treadctl.store import StoredSession, StoreError

__all__ = [
    "DEFAULT_LIMITS",
    "LINK_WAIT_S",
    "MANUAL_INCLINE_STEP_PCT",
    "MANUAL_SPEED_STEP_KMH",
    "SHUTDOWN_TIMEOUT_S",
    "STRAP_FRESH_S",
    "AppCore",
    "BleakBackends",
    "CommandFailedEvent",
    "Connected",
    "Connecting",
    "ConnectionFailed",
    "CoreEvent",
    "CoreListener",
    "Countdown",
    "DataFolder",
    "Diagnostic",
    "Direction",
    "Disconnected",
    "EndReason",
    "ExportError",
    "FittedProgram",
    "FoundDevice",
    "Limits",
    "LinkError",
    "ManualTargetChanged",
    "Message",
    "NoAdapterError",
    "Notice",
    "NoticeKind",
    "NoticeRaised",
    "People",
    "PersonChanged",
    "PlannedSegment",
    "Profile",
    "ProfileError",
    "Program",
    "ProgramError",
    "Progress",
    "Reconnected",
    "Reconnecting",
    "Sample",
    "ScanFailed",
    "ScanFinished",
    "ScanStarted",
    "SegmentStarted",
    "SessionEnded",
    "SessionFinished",
    "SessionInfo",
    "SessionKind",
    "SessionLogError",
    "SessionShared",
    "SessionStarted",
    "SessionState",
    "SessionSummary",
    "SetTarget",
    "StateChanged",
    "StopAnswered",
    "StopReason",
    "StoreError",
    "StoredSession",
    "StrapConnectFailed",
    "StrapConnected",
    "StrapConnecting",
    "StrapDisconnected",
    "StrapLost",
    "StrapReading",
    "StrapReconnecting",
    "StrapState",
    "TreadctlError",
    "TreadmillInfo",
]
