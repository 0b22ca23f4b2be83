"""Properties of every decoder: encode → decode is the identity; any bytes → value or ParseError.

The default run draws a few hundred examples per message; ``uv run pytest -m slow`` draws a
million per decoder.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from protocols import ParseError, ftms
from protocols.device_information import PnpId
from protocols.heart_rate import HeartRateMeasurement
from tests.protocols.strategies import ROUND_TRIPS

DECODERS: list[Any] = [
    ftms.TreadmillData.from_bytes,
    ftms.ControlPointRequest.from_bytes,
    ftms.ControlPointResponse.from_bytes,
    ftms.MachineStatus.from_bytes,
    ftms.TrainingStatus.from_bytes,
    ftms.ServiceData.from_bytes,
    ftms.FitnessMachineFeature.from_bytes,
    ftms.SpeedRange.from_bytes,
    ftms.InclinationRange.from_bytes,
    HeartRateMeasurement.from_bytes,
    PnpId.from_bytes,
    ftms.RecordAssembler().feed,
]
SLOW = settings(
    max_examples=1_000_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)


def _ids(items: list[Any]) -> list[str]:
    return [getattr(i[0] if isinstance(i, tuple) else i, "__qualname__", str(i)) for i in items]


@pytest.mark.parametrize(("cls", "strategy"), ROUND_TRIPS, ids=_ids(ROUND_TRIPS))
def test_encode_decode_is_identity(cls: Any, strategy: st.SearchStrategy[Any]) -> None:
    @given(strategy)
    def check(message: Any) -> None:
        assert cls.from_bytes(bytes(message)) == message

    check()


def _decode_anything(decode: Any, data: bytes) -> None:
    try:
        decode(data)
    except ParseError as error:
        assert error.data == data
        assert 0 <= error.offset <= len(data)


@pytest.mark.parametrize("decode", DECODERS, ids=_ids(DECODERS))
def test_any_bytes_give_a_value_or_parse_error(decode: Any) -> None:
    @given(st.binary(max_size=40))
    def check(data: bytes) -> None:
        _decode_anything(decode, data)

    check()


@pytest.mark.slow
@pytest.mark.parametrize(("cls", "strategy"), ROUND_TRIPS, ids=_ids(ROUND_TRIPS))
def test_encode_decode_is_identity_long(cls: Any, strategy: st.SearchStrategy[Any]) -> None:
    @SLOW
    @given(strategy)
    def check(message: Any) -> None:
        assert cls.from_bytes(bytes(message)) == message

    check()


@pytest.mark.slow
@pytest.mark.parametrize("decode", DECODERS, ids=_ids(DECODERS))
def test_any_bytes_give_a_value_or_parse_error_long(decode: Any) -> None:
    @SLOW
    @given(st.binary(max_size=40))
    def check(data: bytes) -> None:
        _decode_anything(decode, data)

    check()
