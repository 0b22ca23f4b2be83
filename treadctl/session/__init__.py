"""A session: a program (or manual mode) run on the clock, through the governor, to the belt.

Shape::

    treadctl.session
     ├── events.py    SessionState, EndReason, classify_stop, the events a runner reports
     ├── timing.py    ProgramTiming: segments, countdowns, rests, skip/extend (pure)
     ├── totals.py    SessionTotals (the accumulator) and SessionSummary (the typed summary)
     └── runner.py    SessionRunner: the async glue between the link, the governor, the timing,
                      the totals and the session log

Front ends do not run sessions themselves: the application core (``treadctl.core``) does.

``SessionRunner`` is imported on first use (PEP 562 ``__getattr__``): it brings the link and
Bleak with it, and the history and export commands, which only need the totals, should not pay
for that at every start.
"""

from typing import TYPE_CHECKING, Any

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
    classify_stop,
)
from treadctl.session.timing import ProgramTiming
from treadctl.session.totals import SessionSummary, SessionTotals

if TYPE_CHECKING:
    from treadctl.session.runner import SessionRunner

__all__ = [
    "CommandFailedEvent",
    "Countdown",
    "EndReason",
    "NoticeRaised",
    "ProgramTiming",
    "Progress",
    "SegmentStarted",
    "SessionEvent",
    "SessionFinished",
    "SessionListener",
    "SessionRunner",
    "SessionState",
    "SessionSummary",
    "SessionTotals",
    "StateChanged",
    "classify_stop",
]


def __getattr__(name: str) -> Any:
    if name == "SessionRunner":
        from treadctl.session.runner import SessionRunner

        return SessionRunner
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
