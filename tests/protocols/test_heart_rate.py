"""Heart Rate Measurement 0x2A37: every flag bit, both widths."""

from __future__ import annotations

import pytest

from protocols import EncodeError, ParseError
from protocols.heart_rate import HeartRateMeasurement


@pytest.mark.parametrize(
    ("wire", "bpm", "contact", "energy", "rr"),
    [
        ("0048", 72, None, None, ()),
        ("012c01", 300, None, None, ()),
        ("0448", 72, False, None, ()),
        ("0648", 72, True, None, ()),
        ("0848e803", 72, None, 1000, ()),
        ("10480004", 72, None, None, (1.0,)),
        ("1048000400020001", 72, None, None, (1.0, 0.5, 0.25)),
        ("1e780104e803", 120, True, 1025, (0.9765625,)),
    ],
)
def test_heart_rate_fields(
    wire: str, bpm: int, contact: bool | None, energy: int | None, rr: tuple[float, ...]
) -> None:
    m = HeartRateMeasurement.from_bytes(bytes.fromhex(wire))
    assert (m.heart_rate_bpm, m.sensor_contact, m.energy_expended_kj, m.rr_intervals_s) == (
        bpm,
        contact,
        energy,
        rr,
    )
    assert bytes(m).hex() == wire


def test_reserved_bits_ignored_and_odd_byte_kept() -> None:
    m = HeartRateMeasurement.from_bytes(bytes.fromhex("f0480004ff"))
    assert m.heart_rate_bpm == 72 and m.rr_intervals_s == (1.0,)
    assert m.trailing == b"\xff"


@pytest.mark.parametrize(("wire", "offset"), [("", 0), ("00", 1), ("0148", 1), ("0848e8", 2)])
def test_truncated_mandatory_fields_are_parse_errors(wire: str, offset: int) -> None:
    with pytest.raises(ParseError) as err:
        HeartRateMeasurement.from_bytes(bytes.fromhex(wire))
    assert err.value.offset == offset


def test_narrow_format_refuses_wide_rate() -> None:
    with pytest.raises(EncodeError, match="uint16"):
        bytes(HeartRateMeasurement(heart_rate_bpm=300))
