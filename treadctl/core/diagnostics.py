"""Diagnostics that say why: the link's signs of a treadmill in trouble, turned into sentences.

Shape::

    Diagnostics()                   one per connection (reset() on a new one)
     └── see(LinkEvent) -> Diagnostic | None

What it tells, once per cause (a repeat says nothing new):

- records that never complete (the link's "never complete" MalformedData: every notification
  sets More Data) — "connected" with no data is otherwise silence;
- records that keep failing to decode: ``FAILING_RECORDS`` malformed Treadmill Data
  notifications in a row with no record between them; one bad packet now and then is logged
  and skipped, not worth a person's attention;
- a vendor status naming a problem (a FitShow module's safety key out, an E01-E03 error), and
  that it is over when the status is back to normal.

The application core passes each on as a :class:`~treadctl.core.events.Diagnostic` (the
connect page shows it); ``treadctl probe`` prints the same sentences.
"""

from __future__ import annotations

from treadctl.core.events import Diagnostic
from treadctl.link import LinkEvent, MalformedData, Sample, VendorStatus

__all__ = ["FAILING_RECORDS", "Diagnostics"]

#: Malformed Treadmill Data notifications in a row (no record between) before it is told.
FAILING_RECORDS = 5


class Diagnostics:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self._failing = 0
        self._told_failing = False
        self._told_unfinished = False
        self._problem: str | None = None

    def see(self, event: LinkEvent) -> Diagnostic | None:
        """The diagnostic ``event`` makes due, if any."""
        match event:
            case Sample():
                self._failing = 0
                self._told_failing = False
                self._told_unfinished = False
            case MalformedData(characteristic="treadmill_data", error=error):
                if "never complete" in error:
                    if self._told_unfinished:
                        return None
                    self._told_unfinished = True
                    return Diagnostic(
                        "The treadmill is connected but sends no usable data: its records "
                        "never complete (every notification says more is to come). No session "
                        "can run on it; please file a device report (docs/device-report.md)."
                    )
                self._failing += 1
                if self._failing >= FAILING_RECORDS and not self._told_failing:
                    self._told_failing = True
                    return Diagnostic(
                        f"The treadmill's data keeps failing to decode ({self._failing} records "
                        f"in a row): {error}. Sessions stop when no data arrives; please file a "
                        "device report (docs/device-report.md)."
                    )
            case VendorStatus(problem=problem):
                was, self._problem = self._problem, problem
                if problem is not None and problem != was:
                    return Diagnostic(f"The treadmill reports: {problem}.")
                if problem is None and was is not None:
                    return Diagnostic(f"The treadmill no longer reports {was}.", cleared=True)
            case _:
                pass
        return None
