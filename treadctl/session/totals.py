"""Session accounting, once: what a session's samples add up to.

Shape::

    SessionTotals()                      the accumulator, fed one measured sample at a time
     ├── add(t, speed_kmh, counter_m,    → metres moved since the sample before
     │       direction, heart_rate_bpm)
     └── summary(...) -> SessionSummary
    SessionSummary                       the typed summary: the log's end record, the history's
     └── to_record() -> dict             row and the figures a front end prints or shows
                                         (reading a log's, tolerantly, is the store's job)

Three places count a session from its samples, and they must agree to the metre: the runner
(live, from the link's samples), the history import (from the log's sample records, for a log
whose end record is missing or partial) and the exports (the session distance of every sample
and each lap's time per direction). All three feed :class:`SessionTotals`.

The rules:

* **Distance** is the treadmill's own counter where it reports one — only its increases count,
  so a counter that resets to 0 mid-session (at a console stop, on several treadmills) or steps
  back adds nothing, and one that advances in 10 m steps (Urevo E1L) is taken as it comes —
  else the measured speed integrated over the time since the sample before.
* **Time per direction** counts a sample's interval (since the sample before it; the first
  sample has none) while the belt moves, in the direction the session faced then. Distance per
  direction likewise. So the laps of an export add up to the summary's minutes.
* **Heart rate** averages the samples that have one (0 is "no contact" and does not count).
* **Top speeds** are per direction, of the measured belt.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from treadctl.limits import Direction

__all__ = ["SessionSummary", "SessionTotals"]


@dataclass(frozen=True, slots=True)
class SessionSummary:
    """A session's totals and how it ended.

    ``reason`` is the session's end reason (``completed``, ``stopped``, ``aborted``; None while
    unknown: a log that never ended) and ``stop_reason`` the governor's last stop reason
    (``treadctl.safety.StopReason`` values). ``energy_kcal`` and ``avg_heart_rate_bpm`` are
    None when nothing measured them. The keys of :meth:`to_record` are the session log's
    ``end.summary`` (``docs/session-log.md``).
    """

    reason: str | None = None
    stop_reason: str | None = None
    duration_s: float = 0.0
    distance_m: float = 0.0
    forward_minutes: float = 0.0
    backward_minutes: float = 0.0
    forward_distance_m: float = 0.0
    backward_distance_m: float = 0.0
    energy_kcal: float | None = None
    max_forward_kmh: float = 0.0
    max_backward_kmh: float = 0.0
    avg_heart_rate_bpm: int | None = None
    segments_completed: int | None = None
    segments_total: int | None = None
    program: str | None = None

    def to_record(self) -> dict[str, Any]:
        """The summary as the log's end record carries it."""
        return asdict(self)


@dataclass
class SessionTotals:
    """The accumulator (see the module doc for its rules)."""

    distance_m: float = 0.0
    forward_s: float = 0.0
    backward_s: float = 0.0
    forward_m: float = 0.0
    backward_m: float = 0.0
    max_forward_kmh: float = 0.0
    max_backward_kmh: float = 0.0
    heart_rate_sum: int = 0
    heart_rate_count: int = 0
    _last_counter: float | None = None
    _last_t: float | None = None

    @property
    def last_t(self) -> float | None:
        """The time of the last sample added (None before any)."""
        return self._last_t

    def add(
        self,
        t: float,
        speed_kmh: float | None,
        counter_m: float | None,
        direction: Direction,
        heart_rate_bpm: int | None = None,
    ) -> float:
        """Count one sample; returns the metres the belt moved since the sample before."""
        speed = speed_kmh or 0.0
        prev_t = self._last_t
        dt = 0.0 if prev_t is None else max(0.0, t - prev_t)
        self._last_t = t
        moved = 0.0
        if counter_m is not None:
            if self._last_counter is not None and counter_m >= self._last_counter:
                moved = counter_m - self._last_counter
            self._last_counter = counter_m
        else:
            moved = speed / 3.6 * dt
        self.distance_m += moved
        if speed > 0:
            if direction is Direction.BACKWARD:
                self.backward_s += dt
                self.backward_m += moved
                self.max_backward_kmh = max(self.max_backward_kmh, speed)
            else:
                self.forward_s += dt
                self.forward_m += moved
                self.max_forward_kmh = max(self.max_forward_kmh, speed)
        if heart_rate_bpm:
            self.heart_rate_sum += heart_rate_bpm
            self.heart_rate_count += 1
        return moved

    @property
    def avg_heart_rate_bpm(self) -> int | None:
        if not self.heart_rate_count:
            return None
        return round(self.heart_rate_sum / self.heart_rate_count)

    def summary(
        self,
        *,
        duration_s: float,
        energy_kcal: float | None,
        reason: str | None = None,
        stop_reason: str | None = None,
        segments_completed: int | None = None,
        segments_total: int | None = None,
        program: str | None = None,
    ) -> SessionSummary:
        """The totals so far, rounded as the log keeps them."""
        return SessionSummary(
            reason=reason,
            stop_reason=stop_reason,
            duration_s=round(duration_s, 1),
            distance_m=round(self.distance_m, 1),
            forward_minutes=round(self.forward_s / 60, 2),
            backward_minutes=round(self.backward_s / 60, 2),
            forward_distance_m=round(self.forward_m, 1),
            backward_distance_m=round(self.backward_m, 1),
            energy_kcal=None if energy_kcal is None else round(energy_kcal, 1),
            max_forward_kmh=self.max_forward_kmh,
            max_backward_kmh=self.max_backward_kmh,
            avg_heart_rate_bpm=self.avg_heart_rate_bpm,
            segments_completed=segments_completed,
            segments_total=segments_total,
            program=program,
        )
