"""The Life Fitness setup: what a Life Fitness console must be written before its FTMS
Treadmill Data flows, as data.

Shape::

    STATUS_UUID (…51de, notify), CONTROL1_UUID (…58dc), CONTROL2_UUID (…69e2)   its control
                                                                              service (4b90)
    TOKEN_UUID (…4cf2), UNITS_UUID (…e85e), and Bluetooth User Data            its user
    characteristics: FIRST_NAME_UUID 0x2A8A … HEIGHT_UUID 0x2A8E               service (4b91)
    SetupWrite(after_s, characteristic, value, what)   one write, after_s after the one before
    SETUP: tuple[SetupWrite, ...]                      the whole sequence, in order
    CONTROL1_BEGIN (01) / CONTROL1_END (02)            control1's two values: a console sends
                                                       data once it was given both, in order

Theory of operation
-------------------
Sources: TrackMyIndoorWorkout ``lib/devices/gadgets/life_fitness_mixin.dart`` (``prePumpConfig``)
and ``lib/devices/life_fitness.dart`` (the values), which give the order and the waits; and
qdomyos-zwift ``src/devices/lifefitnesstreadmill/lifefitnesstreadmill.cpp``, which gives the
vendor characteristics' full UUIDs (TrackMyIndoorWorkout compares only their 16-bit part,
characters 4-8, so ``51de`` there is ``5da551de-9cb2-…`` here). Without it, TrackMyIndoorWorkout
#462 reports, a Life Fitness treadmill connects, sends nothing and soon disconnects.

1. subscribe to the status characteristic (0x51DE; what it says is not needed here);
2. 2 s later write 01 to control1 (0x58DC);
3. 2 s later the user data, 0.5 s apart: first name, last name, email, age, gender,
   language, the 32-character value of 0x4CF2, 00 to 0xE85E, weight, height;
4. 0.5 s later ``00 00 00 01 b8 5b 5d`` to control2 (0x69E2); 0.5 s later 02 to control1.

**What treadctl tells it.** Never the person: the link does not know who stands on the belt,
and a console in a gym is no place for a name. Names and email are empty strings (one 00, the
terminator TrackMyIndoorWorkout puts after each); age, gender, weight and height are round
figures of nobody (35 years, "unspecified", 70 kg, 170 cm); the console may use them for its
own energy estimate, which is never a safety input. Language "en".

**What is not known.** 0x4CF2: TrackMyIndoorWorkout sends the fixed 32 characters below; an
older qdomyos-zwift sent another fixed 32 characters; its newest sends the HMAC of the person's
Life Fitness account, fetched from Life Fitness's web service. So the value may be one account's
token and a console may want the person's own; treadctl logs in nowhere and sends
TrackMyIndoorWorkout's. 0xE85E: 00 here as in TrackMyIndoorWorkout; qdomyos-zwift's newest writes
01 and calls it "metric units". The services' full UUIDs are not in either source (only
``4b90`` / ``4b91``): the virtual treadmill's are inferred, and the link looks for the
characteristics, never for the services.

No I/O: the link (``treadctl.link.treadmill``) writes this sequence on its clock, the virtual
treadmill (``treadctl.virtual.peripheral``) serves these characteristics and waits for it.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "AGE_UUID",
    "CONTROL1_BEGIN",
    "CONTROL1_END",
    "CONTROL1_UUID",
    "CONTROL2_UUID",
    "CONTROL2_VALUE",
    "CONTROL_CHARACTERISTICS",
    "CONTROL_SERVICE_UUID",
    "EMAIL_UUID",
    "FIRST_NAME_UUID",
    "GENDER_UUID",
    "HEIGHT_UUID",
    "LANGUAGE_UUID",
    "LAST_NAME_UUID",
    "LONG_WAIT_S",
    "SETUP",
    "SETUP_CHARACTERISTICS",
    "SHORT_WAIT_S",
    "STATUS_UUID",
    "TOKEN",
    "TOKEN_UUID",
    "UNITS_UUID",
    "UNITS_VALUE",
    "USER_CHARACTERISTICS",
    "USER_SERVICE_UUID",
    "WEIGHT_UUID",
    "SetupWrite",
]


def _sig(uuid16: int) -> str:
    """A Bluetooth SIG assigned number on the base UUID, as Bleak spells it."""
    return f"0000{uuid16:04x}-0000-1000-8000-00805f9b34fb"


# -- the control service (TrackMyIndoorWorkout: 4b90) -------------------------------------------
#: Inferred: 4b90 on the base its characteristics share (the sources name only 4b90).
CONTROL_SERVICE_UUID = "5da54b90-9cb2-11e5-8994-feff819cdc9f"
#: Status ("current state" in qdomyos-zwift, which waits for 07, then 04 01): notify.
STATUS_UUID = "5da551de-9cb2-11e5-8994-feff819cdc9f"
CONTROL1_UUID = "5da558dc-9cb2-11e5-8994-feff819cdc9f"
CONTROL2_UUID = "5da569e2-9cb2-11e5-8994-feff819cdc9f"

# -- the user service (TrackMyIndoorWorkout: 4b91) ----------------------------------------------
#: Inferred, as the control service's.
USER_SERVICE_UUID = "5da54b91-9cb2-11e5-8994-feff819cdc9f"
#: The 32 ASCII characters of TrackMyIndoorWorkout (qdomyos-zwift: an account's HMAC).
TOKEN_UUID = "5da54cf2-9cb2-11e5-8994-feff819cdc9f"
#: Another base than the others' (qdomyos-zwift's UUID).
UNITS_UUID = "ce78e85e-9cb6-11e5-8994-feff819cdc9f"
# Bluetooth User Data characteristics [GATT Specification Supplement].
FIRST_NAME_UUID = _sig(0x2A8A)  # utf8s
LAST_NAME_UUID = _sig(0x2A90)  # utf8s
EMAIL_UUID = _sig(0x2A87)  # utf8s
AGE_UUID = _sig(0x2A80)  # uint8, years
GENDER_UUID = _sig(0x2A8C)  # uint8: 0 male, 1 female, 2 unspecified
LANGUAGE_UUID = _sig(0x2AA2)  # utf8s, ISO 639-1
WEIGHT_UUID = _sig(0x2A98)  # uint16, 0.005 kg
HEIGHT_UUID = _sig(0x2A8E)  # uint16, 0.01 m

CONTROL1_BEGIN = b"\x01"
CONTROL1_END = b"\x02"
CONTROL2_VALUE = bytes.fromhex("00000001b85b5d")
TOKEN = b"f77ab82b7a2440078f33c5aa6ee7a31b"
UNITS_VALUE = b"\x00"

#: An empty utf8s, terminated (TrackMyIndoorWorkout writes the text, then 00).
_EMPTY = b"\x00"
# Round figures of nobody (the module docstring says why).
_AGE_YEARS = 35
_GENDER_UNSPECIFIED = 2
_WEIGHT_KG = 70.0
_HEIGHT_CM = 170

#: TrackMyIndoorWorkout's waits: after the status subscription and after control1's 01, then
#: between every other write.
LONG_WAIT_S = 2.0
SHORT_WAIT_S = 0.5


@dataclass(frozen=True, slots=True)
class SetupWrite:
    """One write of the setup: ``value`` to ``characteristic``, ``after_s`` seconds after the
    write before it (the first: after the status subscription). ``what`` names it for notes."""

    after_s: float
    characteristic: str
    value: bytes
    what: str


#: The setup, in order (see the module docstring).
SETUP: tuple[SetupWrite, ...] = (
    SetupWrite(LONG_WAIT_S, CONTROL1_UUID, CONTROL1_BEGIN, "control1 (begin)"),
    SetupWrite(LONG_WAIT_S, FIRST_NAME_UUID, _EMPTY, "first name (empty)"),
    SetupWrite(SHORT_WAIT_S, LAST_NAME_UUID, _EMPTY, "last name (empty)"),
    SetupWrite(SHORT_WAIT_S, EMAIL_UUID, _EMPTY, "email (empty)"),
    SetupWrite(SHORT_WAIT_S, AGE_UUID, bytes([_AGE_YEARS]), "age"),
    SetupWrite(SHORT_WAIT_S, GENDER_UUID, bytes([_GENDER_UNSPECIFIED]), "gender"),
    SetupWrite(SHORT_WAIT_S, LANGUAGE_UUID, b"en", "language"),
    SetupWrite(SHORT_WAIT_S, TOKEN_UUID, TOKEN, "0x4CF2 value"),
    SetupWrite(SHORT_WAIT_S, UNITS_UUID, UNITS_VALUE, "0xE85E value"),
    SetupWrite(
        SHORT_WAIT_S, WEIGHT_UUID, round(_WEIGHT_KG / 0.005).to_bytes(2, "little"), "weight"
    ),
    SetupWrite(SHORT_WAIT_S, HEIGHT_UUID, _HEIGHT_CM.to_bytes(2, "little"), "height"),
    SetupWrite(SHORT_WAIT_S, CONTROL2_UUID, CONTROL2_VALUE, "control2"),
    SetupWrite(SHORT_WAIT_S, CONTROL1_UUID, CONTROL1_END, "control1 (end)"),
)

#: The control service's characteristics, in the virtual treadmill's order.
CONTROL_CHARACTERISTICS = (STATUS_UUID, CONTROL1_UUID, CONTROL2_UUID)
#: The user service's, in the order the setup writes them.
USER_CHARACTERISTICS = (
    FIRST_NAME_UUID,
    LAST_NAME_UUID,
    EMAIL_UUID,
    AGE_UUID,
    GENDER_UUID,
    LANGUAGE_UUID,
    TOKEN_UUID,
    UNITS_UUID,
    WEIGHT_UUID,
    HEIGHT_UUID,
)
#: Every characteristic the setup touches.
SETUP_CHARACTERISTICS = frozenset(CONTROL_CHARACTERISTICS + USER_CHARACTERISTICS)
