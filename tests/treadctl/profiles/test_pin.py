"""The admin PIN: stored only as a salted scrypt hash, set and changed, and wrong PINs
throttled — the rules of treadctl.profiles.pin, and Profiles applying them to the store."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import pytest

from tests.treadctl.profiles.support import PIN, Now, Ticks
from treadctl.limits import DEFAULT_LIMITS
from treadctl.profiles import (
    PIN_MAX_DELAY_S,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    PinError,
    PinRequired,
    PinThrottled,
    PinTooShort,
    Profiles,
    WrongPin,
    describe_wait,
    pin_delay_s,
    pin_wait,
)
from treadctl.store import Store


def test_pin_set_verify_and_change(profiles: Profiles) -> None:
    assert not profiles.has_pin()
    with pytest.raises(PinError, match="at least 4"):
        profiles.set_pin("12")
    profiles.set_pin(PIN)
    profiles.verify_pin(PIN)
    with pytest.raises(PinError, match=r"^wrong admin PIN$"):
        profiles.verify_pin("999999")
    with pytest.raises(PinRequired, match="needs the old one"):
        profiles.set_pin("1111")
    with pytest.raises(PinError, match="wrong old admin PIN: the PIN was not changed"):
        profiles.set_pin("1111", old="999999")
    profiles.verify_pin(PIN)
    profiles.set_pin("1111", old=PIN)
    profiles.verify_pin("1111")
    with pytest.raises(PinError):
        profiles.verify_pin(PIN)


def test_the_pin_is_stored_only_as_a_salted_scrypt_hash(
    profiles: Profiles, store: Store, data_dir: Path
) -> None:
    profiles.set_pin(PIN)
    stored = json.loads(store.execute("SELECT value FROM settings WHERE key = 'admin_pin'")[0][0])
    assert set(stored) == {"scheme", "n", "r", "p", "dklen", "salt", "hash"}
    assert (stored["scheme"], stored["n"], stored["r"], stored["p"]) == (
        "scrypt",
        SCRYPT_N,
        SCRYPT_R,
        SCRYPT_P,
    )
    expected = hashlib.scrypt(
        PIN.encode(),
        salt=bytes.fromhex(stored["salt"]),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=stored["dklen"],
        maxmem=64 * 1024 * 1024,
    )
    assert stored["hash"] == expected.hex()
    # Nowhere on disk in clear: the database, its WAL and shared memory.
    for path in data_dir.iterdir():
        content = path.read_bytes()
        assert PIN.encode() not in content
        assert PIN.encode("utf-16-le") not in content
    # A random salt: the same PIN set again hashes differently.
    profiles.set_pin(PIN, old=PIN)
    again = json.loads(store.execute("SELECT value FROM settings WHERE key = 'admin_pin'")[0][0])
    assert again["salt"] != stored["salt"] and again["hash"] != stored["hash"]


def test_delays_double_from_5_s_up_to_5_min() -> None:
    assert [pin_delay_s(n) for n in range(11)] == [
        0, 0, 0, 5, 10, 20, 40, 80, 160, 300, 300,
    ]  # fmt: skip
    assert pin_delay_s(10_000) == PIN_MAX_DELAY_S
    assert [describe_wait(s) for s in (0.2, 5, 59.5, 60, 80, 300)] == [
        "1 s", "5 s", "1 min", "1 min", "1 min 20 s", "5 min",
    ]  # fmt: skip


def test_three_wrong_pins_start_a_growing_wait_and_a_right_pin_ends_it(
    profiles: Profiles, ticks: Ticks
) -> None:
    profiles.set_pin(PIN)
    for failures in (1, 2):
        with pytest.raises(WrongPin, match=r"^wrong admin PIN$") as wrong:
            profiles.verify_pin("000000")
        assert (wrong.value.failures, wrong.value.wait_s) == (failures, 0)
    assert profiles.pin_wait_s() == 0
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert str(wrong.value) == (
        "wrong admin PIN (3 wrong PINs in a row: the next try is possible in 5 s)"
    )
    assert (wrong.value.failures, wrong.value.wait_s) == (3, 5)

    # Refused while the wait runs, even the right PIN, and the refusals count nothing.
    ticks.value += 4
    for pin in ("000000", PIN):
        with pytest.raises(PinThrottled) as throttled:
            profiles.verify_pin(pin)
        assert str(throttled.value) == "3 wrong admin PINs in a row: try again in 1 s"
        assert throttled.value.seconds_left == pytest.approx(1)
        assert throttled.value.failures == 3
    assert profiles.pin_wait_s() == pytest.approx(1)

    # Each further wrong PIN doubles the wait, up to 5 minutes.
    waits = []
    for _ in range(8):
        ticks.value += profiles.pin_wait_s()
        with pytest.raises(WrongPin) as wrong:
            profiles.verify_pin("000000")
        waits.append(wrong.value.wait_s)
    assert waits == [10, 20, 40, 80, 160, 300, 300, 300]
    ticks.value += 299
    with pytest.raises(PinThrottled, match="try again in 1 s"):
        profiles.verify_pin(PIN)

    # After the wait the right PIN is checked, and it starts the count again.
    ticks.value += 1
    profiles.verify_pin(PIN)
    assert profiles.pin_wait_s() == 0
    with pytest.raises(WrongPin) as wrong:
        profiles.verify_pin("000000")
    assert (wrong.value.failures, wrong.value.wait_s) == (1, 0)


def test_the_wait_holds_across_connections_and_restarts_after_a_reboot(
    profiles: Profiles, data_dir: Path, now: Now
) -> None:
    profiles.set_pin(PIN)
    for _ in range(3):
        with pytest.raises(WrongPin):
            profiles.verify_pin("000000")
    # Another process (the app's worker thread, `treadctl profiles`): its own connection.
    with Store(data_dir) as other_store:
        other = Profiles(other_store, now=now, monotonic=Ticks(1002.0))
        with pytest.raises(PinThrottled, match="try again in 3 s"):
            other.verify_pin(PIN)
    # After a reboot the clock starts low again: the wait restarts from now, it is not endless.
    with Store(data_dir) as other_store:
        rebooted = Ticks(20.0)
        other = Profiles(other_store, now=now, monotonic=rebooted)
        with pytest.raises(PinThrottled, match="try again in 5 s"):
            other.verify_pin(PIN)
        rebooted.value += 5
        other.verify_pin(PIN)


def test_changing_the_pin_and_raising_limits_are_throttled_too(
    profiles: Profiles, ticks: Ticks
) -> None:
    profiles.create("Ana")
    profiles.set_pin(PIN)
    with pytest.raises(PinTooShort):
        profiles.set_pin("12", old="000000")  # refused before the old PIN is checked
    for _ in range(2):
        with pytest.raises(WrongPin, match="wrong old admin PIN: the PIN was not changed"):
            profiles.set_pin("1111", old="000000")
    with pytest.raises(WrongPin) as wrong:
        profiles.set_limit("Ana", "forward_max_speed_kmh", 14, pin="000000")
    assert str(wrong.value) == (
        "wrong admin PIN: raising forward_max_speed_kmh 14 (default 12) for 'Ana' was refused "
        "(3 wrong PINs in a row: the next try is possible in 5 s)"
    )
    with pytest.raises(PinThrottled) as throttled:
        profiles.set_limit("Ana", "forward_max_speed_kmh", 14, pin=PIN)
    assert str(throttled.value) == (
        "3 wrong admin PINs in a row: try again in 5 s (raising forward_max_speed_kmh 14 "
        "(default 12) for 'Ana' was refused)"
    )
    with pytest.raises(PinThrottled, match=r"try again in 5 s \(the PIN was not changed\)"):
        profiles.set_pin("1111", old=PIN)
    with pytest.raises(PinThrottled):
        profiles.set_progression_cap("Ana", 20, pin=PIN)
    assert profiles.get("Ana").limits == DEFAULT_LIMITS
    # Lowering needs no PIN, so no wait either.
    assert profiles.set_limit("Ana", "forward_max_speed_kmh", 9).limits.forward_max_speed_kmh == 9
    ticks.value += 5
    profiles.set_pin("1111", old=PIN)
    profiles.verify_pin("1111")


def test_a_wait_restarts_from_now_when_its_start_is_not_in_the_past() -> None:
    assert pin_wait(2, 100.0, 200.0) == (100.0, 0.0)  # fewer than three: no wait at all
    assert pin_wait(3, 100.0, 103.0) == (100.0, 2.0)
    assert pin_wait(4, 100.0, 200.0) == (100.0, 0.0)  # over
    assert pin_wait(3, 500.0, 20.0) == (20.0, 5.0)  # after a reboot
    assert pin_wait(3, math.nan, 20.0) == (20.0, 5.0)
