"""Differential test: our Treadmill Data decoder agrees with pyftms on spec-conformant records.

pyftms raises on leftover bytes and has no notion of reserved bits or truncation, so only
conformant records (no reserved bits, no trailing bytes) are compared. pyftms also reads the
largest raw value of *every* field as "not available", where the specification names such
values for a few fields only; there the two may differ by design, and nowhere else.
"""

from __future__ import annotations

import io
from typing import Any

from hypothesis import given
from pyftms.models.realtime_data.treadmill import TreadmillData as PyftmsTreadmillData
from pyftms.serializer import get_serializer

from protocols.ftms import TreadmillData
from tests.protocols.strategies import treadmill_data

_PYFTMS = get_serializer(PyftmsTreadmillData)


def pyftms_decode(data: bytes) -> Any:
    return _PYFTMS.deserialize(io.BytesIO(data))


def close(ours: float | None, theirs: float | None, field_max: float | None = None) -> bool:
    if theirs is None and ours is not None and ours == field_max:
        return True  # pyftms's blanket "max raw = not available"
    if ours is None or theirs is None:
        return ours is None and theirs is None
    return abs(ours - theirs) < 1e-9


def pyftms_can_decode(record: TreadmillData) -> bool:
    # pyftms builds its elevation pair with both values required and crashes (TypeError) when
    # one of them is "not available"; that is a pyftms bug, not a disagreement on the wire.
    pos, neg = record.positive_elevation_gain_m, record.negative_elevation_gain_m
    return not record.more_data and (pos is None) == (neg is None)


@given(treadmill_data(with_extras=False).filter(pyftms_can_decode))
def test_same_values_as_pyftms(record: TreadmillData) -> None:
    data = bytes(record)
    ours = TreadmillData.from_bytes(data)
    theirs = pyftms_decode(data)
    assert close(ours.speed_kmh, theirs.speed_instant, 655.35)
    assert close(ours.average_speed_kmh, theirs.speed_average, 655.35)
    assert close(ours.total_distance_m, theirs.distance_total, 0xFFFFFF)
    incline = theirs.inclination.inclination if theirs.inclination else None
    assert close(ours.inclination_pct, incline)
    energy = theirs.energy
    assert close(ours.total_energy_kcal, energy.energy_total if energy else None)
    assert close(ours.heart_rate_bpm, theirs.heart_rate, 0xFF)
    assert close(ours.elapsed_time_s, theirs.time_elapsed, 0xFFFF)
