"""FitShow vendor status packets (protocols/fitshow.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols import EncodeError, ParseError
from protocols.fitshow import FitShowState, FitShowStatus, frame, unframe


def test_a_safety_key_status_as_a_module_sends_it() -> None:
    # 02 51 06 57 03: state 6, checksum 0x51 ^ 0x06.
    status = FitShowStatus.from_bytes(bytes.fromhex("0251065703"))
    assert status == FitShowStatus(FitShowState.SAFETY_KEY)
    assert status.problem == "safety key removed"


def test_an_error_status_names_the_console_code() -> None:
    status = FitShowStatus(FitShowState.ERROR, 3)
    assert FitShowStatus.from_bytes(status.to_bytes()) == status
    assert status.problem == "E03: speed sensor fault"
    assert FitShowStatus(FitShowState.ERROR, 42).problem == "error code 42"
    assert FitShowStatus(FitShowState.ERROR).problem == "an error (no code given)"


def test_running_data_after_the_state_is_not_an_error_code() -> None:
    payload = bytes([0x51, 3, 45, 2, 10, 0, 5, 0, 20, 0, 100, 0, 0])  # running at 4.5 km/h
    status = FitShowStatus.from_bytes(frame(payload))
    assert status == FitShowStatus(FitShowState.RUNNING) and status.problem is None


def test_other_packets_and_unknown_states() -> None:
    assert FitShowStatus.from_bytes(frame(bytes([0x50, 0x02, 140, 10]))) is None  # speed info
    assert FitShowStatus.from_bytes(frame(bytes([0x51, 99]))) == FitShowStatus(99)


@pytest.mark.parametrize(
    ("packet", "why"),
    [
        ("025103", "at least 4 bytes"),
        ("0351065703", "starts with 02"),
        ("0251065702", "ends with 03"),
        ("0251065803", "checksum"),
        ("02515103", "state byte"),
    ],
)
def test_a_damaged_packet_is_a_parse_error(packet: str, why: str) -> None:
    with pytest.raises(ParseError, match=why):
        FitShowStatus.from_bytes(bytes.fromhex(packet))


def test_frame_refuses_what_no_packet_carries() -> None:
    with pytest.raises(EncodeError):
        frame(b"")
    with pytest.raises(EncodeError):
        frame(bytes(23))


@given(st.binary(min_size=1, max_size=22))
def test_frame_and_unframe_round_trip(payload: bytes) -> None:
    assert unframe(frame(payload)) == payload


@given(st.binary(max_size=30))
def test_any_bytes_decode_or_raise_parse_error(data: bytes) -> None:
    # Anything else (an IndexError, a ValueError from the enum) would fail this.
    try:
        status = FitShowStatus.from_bytes(data)
    except ParseError as error:
        assert error.data == data
    else:
        assert status is None or isinstance(status, FitShowStatus)
