"""The closed vocabulary of how real FTMS treadmills deviate from the specification.

Shape::

    Deviations(<one typed field per deviation>)    frozen; ``Deviations()`` is a standard device
     ├── from_table(table, where) -> Deviations    names from the vocabulary only (DeviationError)
     ├── merged(other) -> Deviations               ``other``'s non-standard fields win
     ├── changed() -> {name: plain value}          the non-standard fields, JSON-ready
     └── DEVIATION_FIELDS: {name: DeviationField}  what each one means, for docs and reports
    DeviationError(TreadctlError, ValueError)      one line: where, which name, what is wrong

One vocabulary for both sides: the knowledge base (``resources/devices.toml``, read by
:mod:`treadctl.devices.knowledge`) names these fields for each device it knows; the link
(:class:`~treadctl.link.TreadmillLink`) copes with them; the virtual treadmill
(:mod:`treadctl.virtual`) emulates them, so each known device is a treadmill the tests drive.
Each field's default is what the FTMS specification says; each field's metadata says what the
device does and what treadctl does about it (``DEVIATION_FIELDS``; ``docs/devices.md`` is
checked against it by a test).

Plain data: this module imports ``protocols`` and nothing that does I/O, so both the link and
the virtual treadmill (a peripheral that imports nothing of the app) may use it.
"""

from __future__ import annotations

import dataclasses
import enum
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Self

from protocols.ftms import TreadmillDataFlags
from treadctl.errors import TreadctlError

__all__ = [
    "DEVIATION_FIELDS",
    "KMH_PER_MPH",
    "DeviationError",
    "DeviationField",
    "Deviations",
    "SpeedUnit",
]

#: The unit a treadmill reads or writes a speed in, on the wire (FTMS says km/h).
SpeedUnit = Literal["kmh", "mph"]
#: 1 mile = 1.609344 km, exactly.
KMH_PER_MPH = 1.609344

#: What a value of each kind looks like in TOML, for error messages.
Kind = Literal[
    "bool",
    "int",
    "count",
    "seconds",
    "percent",
    "step",
    "unit",
    "speed_range",
    "incline_range",
    "flag",
    "codes",
    "write",
]
_KIND_WORDS: dict[str, str] = {
    "bool": "true or false",
    "int": "a whole number >= 1",
    "count": "a whole number >= 0",
    "seconds": "a number of seconds >= 0",
    "percent": "a number of percent",
    "step": "a number of percent > 0",
    "unit": '"kmh" or "mph"',
    "speed_range": "[min, max, increment] in km/h, min < max, increment > 0",
    "incline_range": "[min, max, increment] in %, min <= max, increment > 0",
    "flag": "a Treadmill Data field group: "
    + ", ".join(f.name.lower() for f in TreadmillDataFlags if f.name and f.value > 1),
    "codes": "[[percent, raw value], ...] with percents rising",
    "write": '["characteristic UUID", "bytes in hex"]',
}


class DeviationError(TreadctlError, ValueError):
    """A name outside the vocabulary, or a value of the wrong kind (the message says where)."""


@dataclass(frozen=True, slots=True)
class DeviationField:
    """What one deviation means: the device's behaviour, and what treadctl does about it."""

    name: str
    group: str
    kind: Kind
    device: str
    link: str


def _dev(default: Any, *, group: str, kind: Kind, device: str, link: str) -> Any:
    return field(
        default=default, metadata={"group": group, "kind": kind, "device": device, "link": link}
    )


@dataclass(frozen=True, slots=True)
class Deviations:
    """How one treadmill deviates from FTMS v1.0; every default is the standard behaviour.

    Each field is documented in its metadata (``device``: what the treadmill does; ``link``:
    what treadctl does about it), read through :data:`DEVIATION_FIELDS`.
    """

    # -- Control Point ---------------------------------------------------------------------
    responses_as_notifications: bool = _dev(
        False,
        group="control point",
        kind="bool",
        device="Answers Control Point requests with notifications, not indications, whatever "
        "the CCCD says (it also declares Notify on the Control Point).",
        link="Subscribes as Bleak does (notify wins when both are declared); an answer is an "
        "answer however it arrives.",
    )
    requires_control: bool = _dev(
        True,
        group="control point",
        kind="bool",
        device="false: obeys commands without Request Control first.",
        link="Requests control anyway (harmless); a treadmill answering Request Control with "
        "'op code not supported' is taken not to need it.",
    )
    requires_indications: bool = _dev(
        True,
        group="control point",
        kind="bool",
        device="false: takes Control Point writes with indications off (no ATT error 0xFD).",
        link="Nothing: it always subscribes first.",
    )
    single_procedure: bool = _dev(
        True,
        group="control point",
        kind="bool",
        device="false: takes a write while an earlier one is unanswered (no ATT error 0xFE).",
        link="Nothing: it runs one procedure at a time anyway.",
    )
    accepts_write_without_response: bool = _dev(
        False,
        group="control point",
        kind="bool",
        device="Takes Write Commands (write without response) on the Control Point too.",
        link="Nothing: it writes with response, so every write is acknowledged.",
    )
    drops_link_on_speed_while_stopped: bool = _dev(
        False,
        group="control point",
        kind="bool",
        device="Drops the BLE link when given Set Target Speed while stopped (no answer).",
        link="Starts the belt before its first speed (with needs_start_before_speed).",
    )
    unlock_write: tuple[str, bytes] | None = _dev(
        None,
        group="control point",
        kind="write",
        device="Answers every Control Point request with Control Not Permitted until these "
        "bytes ([characteristic UUID, hex]) are written to a vendor characteristic.",
        link="Writes them once per connection, before anything else, when the treadmill has "
        "that characteristic; a failed write is noted and control is asked for anyway.",
    )
    request_control_twice: bool = _dev(
        False,
        group="control point",
        kind="bool",
        device="Leaves the first Request Control after connecting unanswered and without "
        "effect; a second one is granted.",
        link="Sends Request Control, gives it 0.5 s (as the peers wait), then sends it again.",
    )
    control_refusals: int = _dev(
        0,
        group="control point",
        kind="count",
        device="Answers Request Control with Control Not Permitted this many times in a row "
        "before it grants control.",
        link="Asks again after 0.5, 1 and 2 s (that many times at most); a stop asked for "
        "meanwhile ends the asking, so it is not kept waiting behind it.",
    )
    control_lost_after_pause: bool = _dev(
        False,
        group="control point",
        kind="bool",
        device="Withdraws control after a Pause, silently (no status 0xFF): the next command "
        "gets Control Not Permitted.",
        link="Asks for control again before the first command after a pause.",
    )
    speed_refused_after_start_s: float = _dev(
        0.0,
        group="control point",
        kind="seconds",
        device="Answers Set Target Speed with Control Not Permitted for this long after a "
        "Start (its belt's start-up).",
        link="After a start, sends a refused speed again every 0.5 s until this long and 1 s "
        "more has passed, then gives up (the start fails and the belt is stopped); a stop "
        "meanwhile cancels it.",
    )
    start_keepalive_s: float = _dev(
        0.0,
        group="control point",
        kind="seconds",
        device="Stops a belt started over the Control Point unless Start or Resume comes "
        "again at least this often (a Start while running is answered success).",
        link="Sends Start again every third of that, only while the belt is wanted running: "
        "after a start succeeded and before any stop, pause, console stop or safety key "
        "(each ends it, and a Start already queued is dropped).",
    )
    # -- Machine Status and Training Status --------------------------------------------------
    padded_status: bool = _dev(
        False,
        group="status",
        kind="bool",
        device="Pads Machine Status notifications with zero bytes (04 00 00, 02 02 00).",
        link="Nothing: trailing bytes are ignored by the decoder.",
    )
    short_training_status: bool = _dev(
        False,
        group="status",
        kind="bool",
        device="Training Status reads back shorter than its two bytes while idle.",
        link="Nothing breaks: the decoder reads the missing status as unknown (pyftms "
        "raised EOFError there) and the connect goes on; the short read is noted and "
        "observed.",
    )
    start_key_as_stop_status: bool = _dev(
        False,
        group="status",
        kind="bool",
        device="Its console's Start key sends status 02 01 (stopped by the user) and starts "
        "nothing: the peer app is to answer with Request Control and Start.",
        link="Never answers it: a belt starts only from the person's Start in the app, never "
        "because the treadmill asked. The status reads as the stop it says; nothing moves.",
    )
    fitshow_vendor_status: bool = _dev(
        False,
        group="status",
        kind="bool",
        device="A FitShow module: serves the vendor service 0xFFF0 beside FTMS, whose status "
        "packets (0xFFF1) say when the safety key is out (state 6) or the console shows an "
        "error (state 5: E01 signal cable, E02 control board, E03 speed sensor); FTMS does not.",
        link="Subscribes to 0xFFF1 whenever a treadmill serves it (detected from the GATT "
        "table): the safety key reads as FTMS's safety-key stop, an error stops the belt with "
        "an alarm naming the code, and each is a diagnostic on the connect page and in probe.",
    )
    training_status_flag_without_string: bool = _dev(
        False,
        group="status",
        kind="bool",
        device="Training Status sets 'string present' with no string (01 01).",
        link="Nothing: the decoder reads the status and no string.",
    )
    # -- Characteristics ---------------------------------------------------------------------
    has_ranges: bool = _dev(
        True,
        group="characteristics",
        kind="bool",
        device="false: serves no Supported Speed / Inclination Range although it takes targets.",
        link="Detected at connect: that control is disabled (a stop is still possible), and "
        "the link records it as observed.",
    )
    zero_inclination_range: bool = _dev(
        False,
        group="characteristics",
        kind="bool",
        device="Supported Inclination Range is all zeros, yet incline commands succeed.",
        link="Detected at connect: an empty range disables incline control.",
    )
    speed_range_kmh: tuple[float, float, float] | None = _dev(
        None,
        group="characteristics",
        kind="speed_range",
        device="Its Supported Speed Range (min, max, increment in km/h), where it is odd (for "
        "instance mph steps written as km/h).",
        link="Reads the range as served; the governor puts its ramp steps on that grid.",
    )
    inclination_range_pct: tuple[float, float, float] | None = _dev(
        None,
        group="characteristics",
        kind="incline_range",
        device="Its Supported Inclination Range (min, max, increment in %), where it is unusual "
        "(down to -6 %, up to 40 %).",
        link="Reads the range as served; the person's incline limits bound every command "
        "whatever the range allows.",
    )
    # -- Incline -----------------------------------------------------------------------------
    incline_step_pct: float | None = _dev(
        None,
        group="incline",
        kind="step",
        device="Takes incline targets only on this grid (whole percents: 0.5 % is refused with "
        "Invalid Parameter), coarser than its Supported Inclination Range says.",
        link="Puts incline targets on this grid, towards flat.",
    )
    incline_codes: tuple[tuple[float, int], ...] | None = _dev(
        None,
        group="incline",
        kind="codes",
        device="Reads Set Target Inclination as a level code from a table ([percent, raw "
        "value] pairs), not as 0.1 %.",
        link="Sends the code of the table's level at or below the target (towards flat).",
    )
    incline_codes_in_data: bool = _dev(
        False,
        group="incline",
        kind="bool",
        device="Reports its incline in the same level codes (raw value / 10 where FTMS puts "
        "percent).",
        link="Reads the code back into a percent; a code not in the table is no reading.",
    )
    fixed_incline_pct: float | None = _dev(
        None,
        group="incline",
        kind="percent",
        device="Has a deck fixed at this incline: it offers no incline control and reports no "
        "incline.",
        link="Offers no incline control and gives the safety loop this deck where records "
        "carry none (never flatter than it is).",
    )
    reports_incline: bool = _dev(
        True,
        group="incline",
        kind="bool",
        device="false: its records carry no incline, although it takes incline targets.",
        link="Nothing is made up: the commanded incline is never taken as a reading; the "
        "safety loop times the deck at its slowest credible rate. Seen at run time, it is "
        "observed.",
    )
    # -- Treadmill Data ----------------------------------------------------------------------
    split_after: TreadmillDataFlags | None = _dev(
        None,
        group="treadmill data",
        kind="flag",
        device="Splits every record with More Data after this field group, whatever the MTU.",
        link="Merges the fragments into one record (FTMS §4.19).",
    )
    step_count_records: bool = _dev(
        False,
        group="treadmill data",
        kind="bool",
        device="Sets RFU flag bit 13 and appends a 3-byte step count to every record.",
        link="Nothing: RFU bits and trailing bytes are ignored (FTMP §4.4.2).",
    )
    speed_without_flag: bool = _dev(
        False,
        group="treadmill data",
        kind="bool",
        device="Sets flag bit 0 (More Data: no speed) in every record, yet puts the speed at "
        "bytes 2..4, and never sends a final fragment.",
        link="Clears the bit before decoding, so each notification is one record with its "
        "speed. Unknown, no record ever completes: a Start waits for one and gives up, "
        "nothing moves.",
    )
    never_final_record: bool = _dev(
        False,
        group="treadmill data",
        kind="bool",
        device="Sets More Data in every notification: no record ever ends.",
        link="Cannot read a speed from it: once more notifications than a record can hold "
        "went unfinished it says why (MalformedData, a diagnostic on the connect page) and "
        "observes it; with no record a Start never starts the belt, and the watchdog stops "
        "one that was moving.",
    )
    life_fitness_setup: bool = _dev(
        False,
        group="treadmill data",
        kind="bool",
        device="A Life Fitness console: sends no Treadmill Data until a setup is written to "
        "its vendor services (0x4B90, 0x4B91): 01 to control1, user data, a fixed "
        "32-character value, control2, 02 to control1 (TrackMyIndoorWorkout "
        "life_fitness_mixin.dart, qdomyos-zwift lifefitnesstreadmill.cpp).",
        link="Writes it once per connection (again after a reconnect), on its clock (about "
        "10 s), before it reports connected: names and email empty, round figures of nobody "
        "for age, gender, weight and height, never the person's. A failed write or a missing "
        "characteristic is a note. Unknown, no data ever comes: a Start waits for a record, "
        "gives up after the watchdog time and says there is no data; nothing moves.",
    )
    records_cut_at: int = _dev(
        0,
        group="treadmill data",
        kind="count",
        device="Sends only this many bytes of each record, fewer than its flags promise (0: "
        "whole records).",
        link="Nothing: the decoder keeps the fields that arrived and marks the record "
        "truncated; a field cut off is no reading.",
    )
    energy_is_elapsed_time: bool = _dev(
        False,
        group="treadmill data",
        kind="bool",
        device="Puts elapsed seconds in the Expended Energy field: a believable calorie figure "
        "that is not one.",
        link="Takes no energy from its records.",
    )
    distance_step_m: int = _dev(
        1,
        group="treadmill data",
        kind="int",
        device="Total distance advances in steps of this many metres.",
        link="Nothing: distance is a reading, not a safety input.",
    )
    # -- Units -------------------------------------------------------------------------------
    speed_command_unit: SpeedUnit = _dev(
        "kmh",
        group="units",
        kind="unit",
        device='Reads the Set Target Speed value in this unit ("mph": 0x01F4 is 5.00 mph), '
        "whatever its console shows.",
        link="Sends speeds in that unit, rounded down to 0.01 (the slower side). Unknown, the "
        "belt runs 1.609 times faster than asked: the safety loop's divergence alarm stops it "
        "and names the unit mix-up.",
    )
    speed_data_unit: SpeedUnit = _dev(
        "kmh",
        group="units",
        kind="unit",
        device="Reports speeds (Treadmill Data, Supported Speed Range) in this unit.",
        link="Converts them to km/h as they arrive, before the safety loop or anyone reads them.",
    )
    unit_follows_console: bool = _dev(
        False,
        group="units",
        kind="bool",
        device="Speaks the unit its console is set to, both ways: mph while the console shows "
        "miles. Nothing on the wire says which; the entry's other deviations describe it with "
        "its console in km.",
        link="Takes this treadmill's console-unit setting (treadctl.devices.settings); without "
        "one it assumes miles, the safe side: wrong, the belt runs 0.62 times slower than "
        "asked, never faster. Saying 'km' needs the admin PIN.",
    )
    # -- The belt ----------------------------------------------------------------------------
    ignores_speed_while_stopped: bool = _dev(
        False,
        group="belt",
        kind="bool",
        device="Answers success to Set Target Speed while stopped, but keeps its own speed.",
        link="Sets the speed again after every start (speed, start, speed).",
    )
    ignores_speed_control: bool = _dev(
        False,
        group="belt",
        kind="bool",
        device="Answers success to Set Target Speed and keeps its own speed, running or not; "
        "start, stop and incline work.",
        link="Offers no speed control, so the belt is never started at a speed nobody sets. "
        "Unknown, the safety loop sees the belt stay at its starting speed, stops it and says "
        "the treadmill seems to ignore speed commands.",
    )
    needs_start_before_speed: bool = _dev(
        False,
        group="belt",
        kind="bool",
        device="Refuses (or worse) a Set Target Speed while stopped.",
        link="Starts first: stop (so a paused belt does not resume its old speed), start, "
        "speed. Also learned at run time from a refused speed.",
    )

    # -- reading and writing -----------------------------------------------------------------

    @classmethod
    def from_table(cls, table: Mapping[str, Any], where: str) -> Self:
        """Deviations from a TOML table of vocabulary names; a :class:`DeviationError` whose
        one line starts with ``where`` and names the key, for anything outside it."""
        values: dict[str, Any] = {}
        for key, raw in table.items():
            spec = DEVIATION_FIELDS.get(key)
            if spec is None:
                raise DeviationError(
                    f"{where}: {key}: not a known deviation (see docs/devices.md; known: "
                    f"{', '.join(DEVIATION_FIELDS)})"
                )
            values[key] = _parse(spec, raw, f"{where}: {key}")
        return cls(**values)

    def merged(self, other: Deviations) -> Self:
        """These deviations with ``other``'s non-standard ones on top."""
        changes = {
            f.name: getattr(other, f.name)
            for f in dataclasses.fields(other)
            if getattr(other, f.name) != f.default
        }
        return dataclasses.replace(self, **changes)

    def changed(self) -> dict[str, Any]:
        """The non-standard fields as plain, JSON-ready values (in vocabulary order)."""
        return {
            f.name: _plain(getattr(self, f.name))
            for f in dataclasses.fields(self)
            if getattr(self, f.name) != f.default
        }


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, enum.Enum):
        return (value.name or str(value.value)).lower()
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    value = float(raw)
    return value if math.isfinite(value) else None


def _parse(spec: DeviationField, raw: Any, where: str) -> Any:
    """``raw`` (from TOML) as a value of ``spec``'s kind; DeviationError naming ``where``."""
    value = _convert(spec.kind, raw)
    if value is None:
        raise DeviationError(f"{where}: expected {_KIND_WORDS[spec.kind]}, got {raw!r}")
    return value


def _convert(kind: Kind, raw: Any) -> Any:
    match kind:
        case "bool":
            return raw if isinstance(raw, bool) else None
        case "int" | "count":
            least = 1 if kind == "int" else 0
            ok = isinstance(raw, int) and not isinstance(raw, bool) and raw >= least
            return raw if ok else None
        case "seconds":
            number = _number(raw)
            return number if number is not None and number >= 0 else None
        case "percent":
            return _number(raw)
        case "step":
            number = _number(raw)
            return number if number is not None and number > 0 else None
        case "incline_range":
            if not isinstance(raw, list) or len(raw) != 3:
                return None
            low, high, step = (_number(v) for v in raw)
            if low is None or high is None or step is None or low > high or step <= 0:
                return None
            return (low, high, step)
        case "unit":
            return raw if raw in ("kmh", "mph") else None
        case "speed_range":
            if not isinstance(raw, list) or len(raw) != 3:
                return None
            low, high, step = (_number(v) for v in raw)
            if low is None or high is None or step is None or not (0 <= low < high) or step <= 0:
                return None
            return (low, high, step)
        case "flag":
            if not isinstance(raw, str):
                return None
            member = TreadmillDataFlags.__members__.get(raw.upper())
            return member if member is not None and member.value > 1 else None
        case "codes":
            return _codes(raw)
        case "write":
            return _write(raw)


def _write(raw: Any) -> tuple[str, bytes] | None:
    if not isinstance(raw, list) or len(raw) != 2 or not all(isinstance(v, str) for v in raw):
        return None
    uuid, value = raw
    if not _UUID.fullmatch(uuid.lower()):
        return None
    try:
        data = bytes.fromhex(value)
    except ValueError:
        return None
    return (uuid.lower(), data) if data else None


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _codes(raw: Any) -> tuple[tuple[float, int], ...] | None:
    if not isinstance(raw, list) or len(raw) < 2:
        return None
    pairs: list[tuple[float, int]] = []
    for item in raw:
        if not isinstance(item, list) or len(item) != 2:
            return None
        pct, code = _number(item[0]), item[1]
        if pct is None or isinstance(code, bool) or not isinstance(code, int):
            return None
        if not -0x8000 <= code <= 0x7FFF:
            return None
        pairs.append((pct, code))
    percents = [p for p, _ in pairs]
    if percents != sorted(set(percents)):
        return None
    return tuple(pairs)


#: Every deviation's meaning, in vocabulary order (the dataclass's field order).
DEVIATION_FIELDS: Mapping[str, DeviationField] = {
    f.name: DeviationField(
        f.name, f.metadata["group"], f.metadata["kind"], f.metadata["device"], f.metadata["link"]
    )
    for f in dataclasses.fields(Deviations)
}
