"""Diagnostics that say why (treadctl/core/diagnostics.py): link events in, sentences out."""

from __future__ import annotations

from protocols.fitshow import FitShowState, FitShowStatus
from protocols.ftms import TreadmillData
from treadctl.core.diagnostics import FAILING_RECORDS, Diagnostics
from treadctl.core.events import Diagnostic
from treadctl.link import MalformedData, Sample, VendorStatus


def malformed(error: str = "record too short (at byte 2 of 0400)") -> MalformedData:
    return MalformedData(1.0, "treadmill_data", b"\x04\x00", error)


def sample() -> Sample:
    record = TreadmillData(speed_kmh=3.0)
    return Sample(2.0, 3.0, None, None, None, None, None, record, ())


def test_records_that_keep_failing_are_told_once_after_a_run_of_them() -> None:
    d = Diagnostics()
    said = [d.see(malformed()) for _ in range(FAILING_RECORDS * 3)]
    told = [s for s in said if s is not None]
    assert said.index(told[0]) == FAILING_RECORDS - 1 and len(told) == 1
    assert f"({FAILING_RECORDS} records in a row): record too short" in told[0].text
    # A record in between starts the count again (one bad packet now and then is not told).
    d.see(sample())
    assert [d.see(malformed()) for _ in range(FAILING_RECORDS - 1)] == [None] * 4
    assert d.see(malformed()) is not None


def test_other_characteristics_do_not_count() -> None:
    d = Diagnostics()
    status = MalformedData(1.0, "machine_status", b"", "empty")
    assert all(d.see(status) is None for _ in range(FAILING_RECORDS * 2))


def test_records_that_never_complete_are_told_at_once() -> None:
    d = Diagnostics()
    why = "48 notifications with More Data set and none ending a record: ... never complete"
    first = d.see(malformed(why))
    assert first is not None and "never complete" in first.text
    assert d.see(malformed(why)) is None


def test_a_vendor_problem_is_told_when_it_comes_and_when_it_goes() -> None:
    d = Diagnostics()

    def status(state: FitShowState, code: int | None = None) -> VendorStatus:
        s = FitShowStatus(state, code)
        return VendorStatus(0.0, s, s.problem)

    assert d.see(status(FitShowState.RUNNING)) is None
    assert d.see(status(FitShowState.ERROR, 2)) == Diagnostic(
        "The treadmill reports: E02: control board fault."
    )
    assert d.see(status(FitShowState.ERROR, 2)) is None
    assert d.see(status(FitShowState.SAFETY_KEY)) == Diagnostic(
        "The treadmill reports: safety key removed."
    )
    assert d.see(status(FitShowState.IDLE)) == Diagnostic(
        "The treadmill no longer reports safety key removed.", cleared=True
    )
    d.reset()
    assert d.see(status(FitShowState.IDLE)) is None
