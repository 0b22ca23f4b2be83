"""What a profile operation can be refused with: :class:`ProfileError`, and the PIN's errors.

Shape::

    TreadctlError
     └── ProfileError                  a refusal; the message says why and what to do
          └── PinError                 the admin PIN is wrong, missing or unusable
               ├── PinRequired         none given (a caller may prompt and retry)
               ├── PinNotSet           none set yet
               ├── PinTooShort         .minimum
               ├── WrongPin            .failures (in a row, this one included), .wait_s
               └── PinThrottled        .seconds_left, .failures

The PIN errors are typed so that callers need not read messages. A database the store cannot
use is a :class:`~treadctl.store.StoreError`, not one of these.
"""

from __future__ import annotations

from treadctl.errors import TreadctlError
from treadctl.profiles.pin import MIN_PIN_LENGTH

__all__ = [
    "PinError",
    "PinNotSet",
    "PinRequired",
    "PinThrottled",
    "PinTooShort",
    "ProfileError",
    "WrongPin",
]


class ProfileError(TreadctlError):
    """A profile operation was refused; the message says why and what to do."""


class PinError(ProfileError):
    """The admin PIN is wrong, missing or unusable: one of the subclasses says which."""


class PinRequired(PinError):
    """The change needs the admin PIN and none was given (a caller may prompt and retry)."""


class PinNotSet(PinError):
    """A PIN was to be checked, but no admin PIN is set yet."""


class PinTooShort(PinError):
    """A new admin PIN is shorter than ``minimum`` (:data:`~treadctl.profiles.pin.MIN_PIN_LENGTH`);
    nothing was stored."""

    def __init__(self, message: str, *, minimum: int = MIN_PIN_LENGTH) -> None:
        super().__init__(message)
        self.minimum = minimum


class WrongPin(PinError):
    """The PIN given is not the admin PIN.

    ``failures``: wrong PINs in a row, this one included; ``wait_s``: how long the next check
    will be refused because of it (0 while fewer than
    :data:`~treadctl.profiles.pin.PIN_FREE_ATTEMPTS`).
    """

    def __init__(self, message: str, *, failures: int, wait_s: float) -> None:
        super().__init__(message)
        self.failures = failures
        self.wait_s = wait_s


class PinThrottled(PinError):
    """Too many wrong PINs in a row: no PIN is checked for ``seconds_left`` more seconds."""

    def __init__(self, message: str, *, seconds_left: float, failures: int) -> None:
        super().__init__(message)
        self.seconds_left = seconds_left
        self.failures = failures
