"""Profiles for a shared laptop: each person's limits, the admin PIN, backward progression.

Shape::

    treadctl/profiles/
     ├── registry.py      Profiles(store): the rules over the store's tables (create, select,
     │                    limits and who may raise them, the PIN's checks, guest sessions,
     │                    progression applied);
     ├── profile.py       Profile: one person's record (limits, progression cap, dates)
     ├── pin.py           the admin PIN's rules: scrypt hash, constant-time check, wrong-PIN waits
     ├── progression.py   Progression and next_progression(profile, sessions, now): the next
     │                    backward-minutes step; Progression.describe(), its one wording
     └── errors.py        ProfileError and the typed PIN errors

Import the names from here (``from treadctl.profiles import Profiles``); the modules of the
package import from each other's modules directly.
"""

from __future__ import annotations

from treadctl.profiles.errors import (
    PinError,
    PinNotSet,
    PinRequired,
    PinThrottled,
    PinTooShort,
    ProfileError,
    WrongPin,
)
from treadctl.profiles.pin import (
    MIN_PIN_LENGTH,
    PIN_FIRST_DELAY_S,
    PIN_FREE_ATTEMPTS,
    PIN_MAX_DELAY_S,
    SCRYPT_DKLEN,
    SCRYPT_N,
    SCRYPT_P,
    SCRYPT_R,
    SCRYPT_SALT_BYTES,
    describe_wait,
    hash_pin,
    pin_delay_s,
    pin_wait,
)
from treadctl.profiles.profile import Profile
from treadctl.profiles.progression import (
    PROGRESSION_INTERVAL,
    PROGRESSION_MIN_STEP_MIN,
    PROGRESSION_RATE,
    PROGRESSION_SESSIONS,
    Progression,
    next_progression,
)
from treadctl.profiles.registry import (
    MAX_NAME_LENGTH,
    MORE_PERMISSIVE,
    Profiles,
    cap_raised,
    raised_fields,
)

__all__ = [
    "MAX_NAME_LENGTH",
    "MIN_PIN_LENGTH",
    "MORE_PERMISSIVE",
    "PIN_FIRST_DELAY_S",
    "PIN_FREE_ATTEMPTS",
    "PIN_MAX_DELAY_S",
    "PROGRESSION_INTERVAL",
    "PROGRESSION_MIN_STEP_MIN",
    "PROGRESSION_RATE",
    "PROGRESSION_SESSIONS",
    "SCRYPT_DKLEN",
    "SCRYPT_N",
    "SCRYPT_P",
    "SCRYPT_R",
    "SCRYPT_SALT_BYTES",
    "PinError",
    "PinNotSet",
    "PinRequired",
    "PinThrottled",
    "PinTooShort",
    "Profile",
    "ProfileError",
    "Profiles",
    "Progression",
    "WrongPin",
    "cap_raised",
    "describe_wait",
    "hash_pin",
    "next_progression",
    "pin_delay_s",
    "pin_wait",
    "raised_fields",
]
