"""The field-table helpers that every message uses."""

from __future__ import annotations

import pytest

from protocols import EncodeError, ParseError
from protocols.fields import Field, Layout, pack_field, read_field, read_int

SPEED = Field("speed", 2, den=100, unit="km/h")
INCLINE = Field("incline", 2, signed=True, den=10, not_available=(0x7FFF,))


def test_resolution_is_exact() -> None:
    assert SPEED.to_value(539) == 5.39
    assert INCLINE.to_value(-30) == -3.0
    assert Field("n", 1).to_value(7) == 7 and isinstance(Field("n", 1).to_value(7), int)


def test_not_available_both_ways() -> None:
    assert INCLINE.to_value(0x7FFF) is None
    assert pack_field(INCLINE, None) == b"\xff\x7f"
    with pytest.raises(EncodeError, match="not available"):
        pack_field(SPEED, None)
    with pytest.raises(EncodeError, match="reserves"):
        pack_field(INCLINE, 3276.7)


def test_ranges() -> None:
    assert (INCLINE.min_raw, INCLINE.max_raw) == (-32768, 32767)
    assert (SPEED.min_raw, SPEED.max_raw) == (0, 65535)
    with pytest.raises(EncodeError, match=r"outside .*\(0\.0\.\.655\.35\)"):
        pack_field(SPEED, 655.36)
    with pytest.raises(EncodeError, match="finite"):
        pack_field(SPEED, float("inf"))


def test_a_missing_byte_is_never_zero() -> None:
    with pytest.raises(ParseError) as err:
        read_int(b"\x01", 0, 2, False, "speed")
    assert err.value.offset == 0 and "needs 2 byte(s), 1 left" in str(err.value)
    with pytest.raises(ParseError) as past:
        read_field(b"\x01", 3, SPEED)
    assert "0 left" in str(past.value)


def test_layout_matches_field_by_field_reading() -> None:
    fields = (SPEED, Field("distance", 3), INCLINE, Field("hr", 1))
    layout = Layout(fields)
    assert layout.size == 8
    data = bytes.fromhex("1b02a08601ff7f78")
    assert layout.unpack(data, 0) == {
        "speed": 5.39,
        "distance": 100_000,
        "incline": None,
        "hr": 120,
    }
