"""The admin PIN's rules: how it is hashed and checked, and how long wrong PINs make one wait.

Shape::

    hash_pin(pin) -> {"scheme": "scrypt", "n", "r", "p", "dklen", "salt", "hash"}   stored form
    _pin_matches(pin, stored) -> bool                    constant-time check against it
    pin_delay_s(failures) -> seconds                     the wait after that many wrong PINs
    pin_wait(failures, since, now) -> (since, seconds left)   the wait as it stands ``now``
    describe_wait(seconds) -> "1 min 20 s"

The rules, and why:

* The PIN is stored only as a scrypt hash with a random salt (:data:`SCRYPT_N`,
  :data:`SCRYPT_R`, :data:`SCRYPT_P`; the parameters are stored with the hash so they can be
  raised later), and verified with a constant-time comparison. It has at least
  :data:`MIN_PIN_LENGTH` characters.
* Wrong PINs are throttled: after :data:`PIN_FREE_ATTEMPTS` (3) wrong PINs in a row, every
  further check is refused until a delay has passed since the last wrong one:
  :data:`PIN_FIRST_DELAY_S` (5 s), doubling with each further wrong PIN, at most
  :data:`PIN_MAX_DELAY_S` (5 min). Times are ``monotonic`` readings (one clock for every
  process of a boot); a wait that started in the future (after a reboot) restarts from now.

Nothing here touches the database: :class:`~treadctl.profiles.registry.Profiles` keeps the
hash and the wrong-PIN count in the store's settings and applies these rules to them.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from typing import Any

__all__ = [
    "MIN_PIN_LENGTH",
    "PIN_FIRST_DELAY_S",
    "PIN_FREE_ATTEMPTS",
    "PIN_MAX_DELAY_S",
    "SCRYPT_DKLEN",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SCRYPT_SALT_BYTES",
    "describe_wait",
    "hash_pin",
    "pin_delay_s",
    "pin_wait",
]

SCRYPT_N = 2**15  # CPU/memory cost: 128 * N * r bytes = 32 MiB, ~0.1 s per check
SCRYPT_R = 8
SCRYPT_P = 1
SCRYPT_DKLEN = 32
SCRYPT_SALT_BYTES = 16
_SCRYPT_MAXMEM = 64 * 1024 * 1024  # OpenSSL's default ceiling (32 MiB) is just below N=2^15
MIN_PIN_LENGTH = 4

PIN_FREE_ATTEMPTS = 3  # wrong PINs in a row before the first wait
PIN_FIRST_DELAY_S = 5.0  # the first wait; each further wrong PIN doubles it
PIN_MAX_DELAY_S = 300.0  # never more than 5 minutes (the admin may be standing there)


def pin_delay_s(failures: int) -> float:
    """How long checks are refused after ``failures`` wrong PINs in a row (0: not at all)."""
    if failures < PIN_FREE_ATTEMPTS:
        return 0.0
    doublings = min(failures - PIN_FREE_ATTEMPTS, 16)  # 5 s * 2**6 is past the cap already
    return min(PIN_FIRST_DELAY_S * float(2**doublings), PIN_MAX_DELAY_S)


def pin_wait(failures: int, since: float, now: float) -> tuple[float, float]:
    """(when the wait started, seconds left of it) after ``failures`` wrong PINs in a row, the
    last one at ``since``, as it stands at ``now`` (all ``monotonic`` readings).

    A start that is not a time or lies in the future means the clock began again (a reboot):
    the wait restarts from ``now`` rather than lasting until the clock catches up.
    """
    delay = pin_delay_s(failures)
    if not delay:
        return since, 0.0
    if not math.isfinite(since) or since > now:
        since = now
    return since, max(0.0, since + delay - now)


def describe_wait(seconds: float) -> str:
    """``"5 s"``, ``"1 min 20 s"``, ``"5 min"``: a wait, rounded up to whole seconds."""
    whole = max(1, math.ceil(seconds - 1e-9))
    minutes, rest = divmod(whole, 60)
    if not minutes:
        return f"{rest} s"
    return f"{minutes} min {rest} s" if rest else f"{minutes} min"


def hash_pin(pin: str, *, salt: bytes | None = None) -> dict[str, Any]:
    """The stored form of a PIN: scrypt parameters, salt and hash (hex). Never the PIN."""
    salt = secrets.token_bytes(SCRYPT_SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(
        pin.encode("utf-8"),
        salt=salt,
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_DKLEN,
        maxmem=_SCRYPT_MAXMEM,
    )
    return {
        "scheme": "scrypt",
        "n": SCRYPT_N,
        "r": SCRYPT_R,
        "p": SCRYPT_P,
        "dklen": SCRYPT_DKLEN,
        "salt": salt.hex(),
        "hash": digest.hex(),
    }


def _pin_matches(pin: str, stored: dict[str, Any]) -> bool:
    n, r, p, dklen = (int(stored[k]) for k in ("n", "r", "p", "dklen"))
    digest = hashlib.scrypt(
        pin.encode("utf-8"),
        salt=bytes.fromhex(stored["salt"]),
        n=n,
        r=r,
        p=p,
        dklen=dklen,
        maxmem=max(_SCRYPT_MAXMEM, 256 * n * r),
    )
    # Constant time: how long a wrong PIN takes to refuse says nothing about how close it was.
    return hmac.compare_digest(digest, bytes.fromhex(stored["hash"]))
