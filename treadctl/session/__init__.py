"""A session: a program (or manual mode) run on the clock, through the governor, to the belt.

Shape::

    treadctl.session
     ├── events.py    SessionState, EndReason, classify_stop, the events a runner reports
     ├── timing.py    ProgramTiming: segments, countdowns, rests, skip/extend (pure)
     ├── totals.py    SessionTotals (the accumulator) and SessionSummary (the typed summary)
     └── runner.py    SessionRunner: the async glue between the link, the governor, the timing,
                      the totals and the session log

Front ends do not run sessions themselves: the application core (``treadctl.core``) does.
"""

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
from treadctl.session.runner import SessionRunner
from treadctl.session.timing import ProgramTiming
from treadctl.session.totals import SessionSummary, SessionTotals

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
