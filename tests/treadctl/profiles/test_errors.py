"""The PIN errors are typed: each situation has its own PinError, and none is another's kind."""

from __future__ import annotations

import pytest

from tests.treadctl.profiles.support import PIN
from treadctl.profiles import (
    PinError,
    PinNotSet,
    PinRequired,
    PinThrottled,
    PinTooShort,
    Profiles,
    WrongPin,
)


def test_pin_errors_are_typed(profiles: Profiles) -> None:
    profiles.create("Ana")
    with pytest.raises(PinNotSet, match="no admin PIN is set yet"):
        profiles.verify_pin(PIN)
    with pytest.raises(PinTooShort, match="at least 4") as short:
        profiles.set_pin("123")
    assert short.value.minimum == 4 and not profiles.has_pin()
    profiles.set_pin(PIN)
    with pytest.raises(PinRequired):
        profiles.verify_pin(None)
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert (wrong.value.failures, wrong.value.wait_s) == (1, 0)
    # Each is a PinError, and none is another's kind.
    kinds = (PinNotSet, PinTooShort, PinRequired, WrongPin, PinThrottled)
    assert all(issubclass(kind, PinError) for kind in kinds)
    assert not any(issubclass(a, b) for a in kinds for b in kinds if a is not b)
