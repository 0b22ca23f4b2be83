"""FIT workout files (Garmin and the apps that write for it), both ways, with Garmin's SDK.

Shape::

    read_fit_workout(data, source, *, choices) -> ImportResult     (imported.py)
    load_fit_workout(path, *, choices)         -> ImportResult     at most MAX_IMPORT_BYTES read
    program_to_fit(program, *, created=None)   -> bytes            a FIT workout file
    export_fit_workout(program, target, *, created=None) -> Path   written whole or not at all

A FIT workout file (FIT SDK "Workout file type", developer.garmin.com/fit/file-types/workout/)
is ``file_id`` (type 5, workout), one ``workout`` (name, sport, ``num_valid_steps``) and its
``workout_step`` messages, in order. A step has a duration (``duration_type`` and
``duration_value``), a target (``target_type``, ``target_value``, ``custom_target_value_low``/
``_high``), an ``intensity``, a ``wkt_step_name`` and ``notes``. A *repeat* step
(``repeat_until_steps_cmplt``) sends the runner back to the step whose ``message_index`` its
``duration_value`` holds, ``target_value`` times in all (the SDK cookbook's "Running 800m
Repeats": ``repeatFrom: 1, repetitions: 5`` runs steps 1–2 five times).

Import (each step's raw value is read, then scaled here: the SDK's ``Decoder`` with scaling,
sub-fields and type names off, so an unknown enum value is a number to name, not a crash):

- **duration** ``time`` (ms) → seconds; ``distance`` (cm) → metres; ``open`` (until the lap
  key) → the person's open-step duration (``OpenStepChoices.duration_s``), refused without
  one; anything else (heart rate, calories, power …) is refused: a treadmill program ends a
  step on time or distance.
- **repeat** ``repeat_until_steps_cmplt`` → a :class:`Block` of the steps from
  ``duration_value`` to the one before, ``target_value`` times (nested repeats nest); the
  other repeat kinds (until a time, a distance, a heart rate …) are refused.
- **target** ``speed`` with ``target_value`` 0: a custom range, ``custom_target_value_low``
  and ``_high`` in mm/s (m/s × 1000). The step runs at the **slower end** of the range. A
  range is a tolerance for a runner outdoors; a belt holds one speed exactly, and the slower
  end is inside what the workout asks while being the gentler choice (this app is above all
  for backward running, where slower is safer, and the person can always speed up). FIT has no
  pace target: Garmin Connect writes a pace range as this speed range (a pace of 5:00–4:30 /km
  is 3.333–3.704 m/s).
  A speed *zone* (``target_value`` 1 … 10) is the watch's own setting, not in the file:
  refused. ``open`` (or none): the person's free-run speed (``OpenStepChoices.speed_kmh``),
  refused without one, except for a timed ``rest`` or ``recovery`` step, which becomes a
  **rest** (the belt stops; the person resumes it). Heart rate, power, cadence and the other
  targets are refused: treadctl sets the belt's speed, it does not follow a heart rate.
- **names**: ``wkt_step_name`` is the label (default: the intensity, "Warm-up", "Recovery" …,
  or "Step N"); ``notes`` is the cue; a repeat step's name is its block's label.
- **direction and incline**: FIT has neither. Every step is forward, except that a name
  starting ``"Backward · "`` — how :func:`program_to_fit` writes a backward step — is read
  back as backward, and a name ending ``" · incline 2 %"`` as that incline. Only those exact
  markers, and the preview says so.

Export: ``file_id`` (workout, manufacturer development, ``time_created``, a serial number from
the program's own text so two programs differ), ``workout`` (the name, sport running,
sub-sport treadmill, ``num_valid_steps``), then per step:

- a segment: ``time`` (ms) or ``distance`` (cm); target ``speed``, custom range from the
  step's speed (low) to 5 % faster (high): the treadmill holds the low end, and a watch that
  times the run with its own sensor reads a treadmill a few percent off, so a range starting
  at the target keeps it from warning about a pace the belt is holding; intensity ``active``.
- a rest: ``time``, target ``open``, intensity ``rest``.
- a block: its steps, then a repeat step back to its first step, ``repeat`` times (also for
  ``repeat = 1``: the block and its label survive a round trip), named with its label.
- the name is the label with the markers above; the cue is the notes. FIT strings are at most
  254 bytes: longer texts are shortened with "…".

Importing an export gives the program back: speeds travel in mm/s (0.0036 km/h), so a speed
on the 0.01 km/h grid comes back exactly; a label or cue over 254 bytes comes back shortened;
the description does not come back (the workout message's ``wkt_description`` is not written:
Garmin Connect does not show it).

Hostile files: at most ``MAX_IMPORT_BYTES``; the header, the declared size (a cut-off file)
and the file CRC are checked before the SDK decodes anything; the SDK's errors become one
sentence; every value is checked for type and range; at most ``MAX_SEGMENTS`` steps.
"""

from __future__ import annotations

import math
import os
import re
import tempfile
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from garmin_fit_sdk import FIT_EPOCH_S, CrcCalculator, Decoder, Encoder, Profile, Stream

from treadctl.limits import Direction
from treadctl.program.dump import dump_program
from treadctl.program.errors import ProgramError
from treadctl.program.imported import (
    MAX_IMPORT_BYTES,
    ImportResult,
    OpenStepChoices,
    Refusal,
    RowDraft,
    clip,
    count_segments,
    distance_problem,
    duration_problem,
    finish,
    read_bounded,
    repeat_problem,
    round_speed,
    speed_problem,
)
from treadctl.program.model import (
    MAX_SEGMENTS,
    REST_LABEL,
    Block,
    Program,
    Segment,
    Step,
)
from treadctl.program.paces import format_pace
from treadctl.program.units import (
    _Expected,
    _human,
    format_distance,
    format_duration,
    parse_incline,
)

__all__ = [
    "BACKWARD_MARK",
    "HIGH_SPEED_FACTOR",
    "export_fit_workout",
    "load_fit_workout",
    "program_to_fit",
    "read_fit_workout",
]

BACKWARD_MARK = "Backward · "
_INCLINE_MARK_RE = re.compile(r" · incline (-?\d+(?:\.\d+)?) %$")
# The top of an exported speed range, as a factor of the step's speed (see the docstring).
HIGH_SPEED_FACTOR = 1.05
# FIT strings: one length byte per field, NUL included (the SDK refuses longer ones).
_MAX_FIT_STRING_BYTES = 254
PRODUCT = 1

_MESG = {name: num for num, name in Profile["types"]["mesg_num"].items()}
_DURATION = Profile["types"]["wkt_step_duration"]
_TARGET = Profile["types"]["wkt_step_target"]
_FILE = Profile["types"]["file"]
_SPORT = Profile["types"]["sport"]
_DURATION_NUM = {name: num for num, name in _DURATION.items()}
_TARGET_NUM = {name: num for num, name in _TARGET.items()}
_INTENSITY_NUM = {name: num for num, name in Profile["types"]["intensity"].items()}
_WORKOUT_FILE = 5
# Sports whose speeds are a runner's or a walker's: generic, running, walking.
_FOOT_SPORTS = {0, 1, 11}

_INTENSITY_LABEL = {
    _INTENSITY_NUM["warmup"]: "Warm-up",
    _INTENSITY_NUM["cooldown"]: "Cool-down",
    _INTENSITY_NUM["recovery"]: "Recovery",
    _INTENSITY_NUM["rest"]: REST_LABEL,
    _INTENSITY_NUM["interval"]: "Interval",
}
_REST_LIKE = {_INTENSITY_NUM["rest"], _INTENSITY_NUM["recovery"]}


# --- import -----------------------------------------------------------------------------


def _check_container(data: bytes, source: str) -> bytes:
    """The FIT file's bytes (header to CRC) after checking size, header and CRC."""
    if len(data) > MAX_IMPORT_BYTES:
        raise ProgramError(
            source,
            None,
            None,
            f"a FIT file of at most {MAX_IMPORT_BYTES // 1024} kB",
            f"{len(data)} bytes",
        )
    header_size = data[0] if data else 0
    if len(data) < 12 or header_size not in (12, 14) or data[8:12] != b".FIT":
        raise ProgramError(
            source, None, None, 'a FIT file (a header saying ".FIT")', "something else"
        )
    data_size = int.from_bytes(data[4:8], "little")
    whole = header_size + data_size + 2
    if len(data) < whole:
        raise ProgramError(
            source,
            None,
            None,
            f"a whole FIT file ({whole} bytes, as its header says)",
            f"{len(data)} bytes: the file is cut short",
        )
    if header_size == 14:
        stated = int.from_bytes(data[12:14], "little")
        # 0 means "not computed", which the FIT protocol allows.
        if stated not in (0, CrcCalculator.calculate_crc(data, 0, 12)):
            raise ProgramError(
                source, None, None, "a FIT header whose CRC matches", "a damaged header"
            )
    computed = CrcCalculator.calculate_crc(data, 0, whole - 2)
    stored = int.from_bytes(data[whole - 2 : whole], "little")
    if computed != stored:
        raise ProgramError(
            source,
            None,
            None,
            "a FIT file whose CRC matches its contents",
            f"CRC 0x{stored:04x} where the contents give 0x{computed:04x} (a damaged file)",
        )
    return data[:whole]


def _decode(data: bytes, source: str) -> dict[str, list[dict[str, Any]]]:
    # Raw values: no scaling, no sub-fields, no type names. Each value is scaled and named
    # here, once, so an unknown enum value stays a number and units cannot be applied twice.
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
        apply_scale_and_offset=False,
        convert_datetimes_to_dates=False,
        convert_types_to_strings=False,
        enable_crc_check=True,
        expand_sub_fields=False,
        expand_components=False,
        merge_heart_rates=False,
    )
    if errors:
        text = str(errors[0]).strip() or type(errors[0]).__name__
        raise ProgramError(source, None, None, "a FIT file Garmin's FIT SDK can read", text[:120])
    # The SDK's stubs type the messages for its default (converted) mode; raw values differ.
    found: dict[str, Any] = {**messages}
    return found


def _named(table: Mapping[int, str], value: object) -> str:
    if isinstance(value, int) and value in table:
        return table[value]
    return f"value {value!r}"[:60]


@dataclass
class _Item:
    """A converted top-level step, and the first source step it covers."""

    first: int
    step: Step | None  # None: refused


class _Reader:
    def __init__(self, source: str, choices: OpenStepChoices) -> None:
        self.source = source
        self.choices = choices
        self.notes: list[str] = []

    def refuse(
        self,
        path: str,
        key: str | None,
        expected: str,
        found: str,
        *,
        needs_speed: bool = False,
        needs_duration: bool = False,
    ) -> _Refused:
        return _Refused(
            Refusal(
                ProgramError(self.source, path, key, expected, found),
                needs_speed=needs_speed,
                needs_duration=needs_duration,
            )
        )

    def integer(self, msg: Mapping[str, Any], key: str, path: str) -> int | None:
        value = msg.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.refuse(path, key, "a whole number", _show(value))
        return value

    def text(self, msg: Mapping[str, Any], key: str, path: str) -> str | None:
        value = msg.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.refuse(path, key, "a text", _show(value))
        return value.replace("\x00", "").strip() or None

    def steps(self, messages: list[dict[str, Any]]) -> tuple[list[RowDraft], list[Step]]:
        drafts: list[RowDraft] = []
        items: list[_Item] = []
        for index, msg in enumerate(messages):
            path = f"workout_step[{index}]"
            draft = RowDraft(path, "", "")
            drafts.append(draft)
            is_repeat = False
            try:
                stated = self.integer(msg, "message_index", path)
                if stated is not None and stated != index:
                    raise self.refuse(
                        path,
                        "message_index",
                        f"{index} (the steps numbered in order from 0)",
                        str(stated),
                    )
                duration_type = self.integer(msg, "duration_type", path)
                draft.kind = _named(_DURATION, duration_type)
                if duration_type == _DURATION_NUM["repeat_until_steps_cmplt"]:
                    is_repeat = True
                    self.repeat(msg, index, path, draft, items)
                else:
                    items.append(_Item(index, self.step(msg, index, path, draft, duration_type)))
            except _Refused as refused:
                draft.refusal = refused.refusal
                draft.steps.clear()
                draft.converted.clear()
                if not is_repeat:
                    # A refused repeat leaves its steps ungrouped: there is no program anyway.
                    items.append(_Item(index, None))
        return drafts, [item.step for item in items if item.step is not None]

    def repeat(
        self,
        msg: Mapping[str, Any],
        index: int,
        path: str,
        draft: RowDraft,
        items: list[_Item],
    ) -> None:
        draft.kind = "repeat"
        start = self.integer(msg, "duration_value", path)
        count = self.integer(msg, "target_value", path)
        if start is None or not 0 <= start < index:
            raise self.refuse(
                path,
                "duration_value",
                "the index of an earlier step to repeat from",
                "nothing" if start is None else str(start),
            )
        at = next((i for i, item in enumerate(items) if item.first == start), None)
        if at is None:
            raise self.refuse(
                path,
                "duration_value",
                "the first step of a group (repeats that overlap cannot be followed)",
                str(start),
            )
        problem = repeat_problem(count) if count is not None else "a number of repetitions"
        if problem is not None:
            raise self.refuse(
                path, "target_value", problem, "nothing" if count is None else str(count)
            )
        assert count is not None
        name = self.text(msg, "wkt_step_name", path)
        label, _ = clip(name, "label") if name else (None, False)
        draft.source_value = f"steps {start}–{index - 1}, {count} times"
        inner = tuple(item.step for item in items[at:] if item.step is not None)
        del items[at:]
        if not inner:
            items.append(_Item(start, None))
            return
        block = Block(label, count, inner)
        if count_segments((block,)) > MAX_SEGMENTS:
            items.append(_Item(start, None))
            raise self.refuse(
                path,
                "target_value",
                f"at most {MAX_SEGMENTS} segments with repetitions",
                str(count),
            )
        items.append(_Item(start, block))
        draft.steps.append(block)

    def step(
        self,
        msg: Mapping[str, Any],
        index: int,
        path: str,
        draft: RowDraft,
        duration_type: int | None,
    ) -> Step:
        intensity = self.integer(msg, "intensity", path)
        duration_s: float | None = None
        distance_m: float | None = None
        value = self.integer(msg, "duration_value", path)
        if duration_type == _DURATION_NUM["time"]:
            duration_s = self.measure(value, 1000, path, duration_problem, "ms")
            length = format_duration(duration_s)
        elif duration_type == _DURATION_NUM["distance"]:
            distance_m = self.measure(value, 100, path, distance_problem, "cm")
            length = format_distance(distance_m)
        elif duration_type == _DURATION_NUM["open"]:
            if self.choices.duration_s is None:
                draft.source_value = "open (until the lap key)"
                raise self.refuse(
                    path,
                    "duration_type",
                    "a duration for this open step (it ends when the runner presses lap)",
                    "none given",
                    needs_duration=True,
                )
            duration_s = self.choices.duration_s
            length = f"{format_duration(duration_s)} (your open-step duration)"
        else:
            raise self.refuse(
                path,
                "duration_type",
                "a time, a distance or open (a treadmill step ends on time or distance)",
                _named(_DURATION, duration_type),
            )
        label, direction, incline = self.label(msg, index, path, intensity)
        cue_text = self.text(msg, "notes", path)
        cue = None
        if cue_text is not None:
            cue, was = clip(cue_text, "cue")
            if was:
                self.notes.append(f"{path}: its notes were shortened to fit a cue")
        secondary = self.integer(msg, "secondary_target_type", path)
        if secondary is not None and secondary != _TARGET_NUM["open"]:
            self.notes.append(f"{path}: ignored its secondary {_named(_TARGET, secondary)} target")
        target = self.integer(msg, "target_type", path)
        if target is None or target == _TARGET_NUM["open"]:
            if duration_s is not None and intensity in _REST_LIKE:
                draft.source_value = f"no target, {_named(_INTENSITY, intensity)}, {length}"
                rest = Segment(
                    label=label or _default_label(intensity, index),
                    direction=Direction.FORWARD,
                    speed_kmh=0.0,
                    duration_s=duration_s,
                    cue=cue,
                    rest=True,
                )
                draft.converted.append((rest, "a rest: the belt stops"))
                draft.steps.append(rest)
                return rest
            draft.source_value = f"no target, {length}"
            if self.choices.speed_kmh is None:
                raise self.refuse(
                    path,
                    "target_type",
                    "a speed for this step (it has no target: the file leaves it to the runner)",
                    "none given",
                    needs_speed=True,
                )
            speed = self.choices.speed_kmh
            text = "your free-run speed"
        elif target == _TARGET_NUM["speed"]:
            speed, text = self.speed(msg, path)
            draft.source_value = f"{text}, {length}"
        else:
            draft.source_value = f"a {_named(_TARGET, target)} target, {length}"
            raise self.refuse(
                path,
                "target_type",
                "a speed target or none (treadctl sets the belt's speed: it cannot follow a "
                f"{_named(_TARGET, target).replace('_', ' ')} target)",
                _named(_TARGET, target),
            )
        if direction is Direction.BACKWARD:
            text += ", backward (from the step's name)"
        segment = Segment(
            label=label or _default_label(intensity, index),
            direction=direction,
            speed_kmh=speed,
            incline_pct=incline,
            duration_s=duration_s,
            distance_m=distance_m,
            cue=cue,
        )
        draft.converted.append((segment, text))
        draft.steps.append(segment)
        return segment

    def measure(
        self,
        value: int | None,
        scale: int,
        path: str,
        problem: Callable[[float], str | None],
        unit: str,
    ) -> float:
        if value is None:
            raise self.refuse(path, "duration_value", f"a length in {unit}", "nothing")
        result = value / scale
        said = problem(result)
        if said is not None:
            raise self.refuse(path, "duration_value", f"{said} ({unit} × {scale})", str(value))
        return float(result)

    def speed(self, msg: Mapping[str, Any], path: str) -> tuple[float, str]:
        zone = self.integer(msg, "target_value", path)
        if zone not in (None, 0):
            raise self.refuse(
                path,
                "target_value",
                "a custom speed range (target_value 0); a speed zone is the watch's own "
                "setting, which the file does not hold",
                f"speed zone {zone}",
            )
        low = self.integer(msg, "custom_target_value_low", path)
        high = self.integer(msg, "custom_target_value_high", path)
        given = [v for v in (low, high) if v is not None]
        if not given:
            raise self.refuse(
                path,
                "custom_target_value_low",
                "a speed range in mm/s (m/s × 1000)",
                "nothing",
            )
        slow = min(given)
        key = "custom_target_value_low" if slow == low else "custom_target_value_high"
        speed = round_speed(slow / 1000 * 3.6)
        problem = speed_problem(speed)
        if problem is not None:
            raise self.refuse(path, key, f"{problem} (mm/s × 3.6 / 1000)", str(slow))
        if len(given) == 2 and low != high:
            lo, hi = sorted(given)
            text = f"{_ms(lo)}–{_ms(hi)} m/s ({_pace(lo)} – {_pace(hi)}), the slower end"
        else:
            text = f"{_ms(slow)} m/s ({_pace(slow)})"
        return speed, text

    def label(
        self, msg: Mapping[str, Any], index: int, path: str, intensity: int | None
    ) -> tuple[str | None, Direction, float]:
        name = self.text(msg, "wkt_step_name", path)
        direction = Direction.FORWARD
        incline = 0.0
        if name is None:
            return None, direction, incline
        if name.startswith(BACKWARD_MARK):
            direction = Direction.BACKWARD
            name = name[len(BACKWARD_MARK) :]
        if m := _INCLINE_MARK_RE.search(name):
            try:
                incline = parse_incline(f"{m[1]} %")
            except _Expected as exc:
                raise self.refuse(path, "wkt_step_name", exc.expected, _show(m[0])) from None
            name = name[: m.start()]
        name = name.strip()
        if not name:
            return None, direction, incline
        label, was = clip(name, "label")
        if was:
            self.notes.append(f"{path}: its name was shortened to fit a label")
        return label, direction, incline


_INTENSITY = Profile["types"]["intensity"]


def _default_label(intensity: int | None, index: int) -> str:
    """A step with no name: its intensity ("Warm-up", "Recovery" …), else "Step N" (1-based,
    counting the file's steps)."""
    if intensity is not None and intensity in _INTENSITY_LABEL:
        return _INTENSITY_LABEL[intensity]
    return f"Step {index + 1}"


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


def _ms(mm_per_s: int) -> str:
    """``2500`` (mm/s) → ``"2.5"`` (m/s)."""
    return f"{mm_per_s / 1000:.3f}".rstrip("0").rstrip(".")


def _pace(mm_per_s: int) -> str:
    """A speed in mm/s as a pace: 1 km takes 1 000 000 / mm_per_s seconds."""
    return format_pace(1_000_000 / mm_per_s)


def _show(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def read_fit_workout(
    data: bytes, source: str = "<bytes>", *, choices: OpenStepChoices | None = None
) -> ImportResult:
    """Convert a FIT workout file (its bytes).

    Raises :class:`ProgramError` for a file that is not a usable FIT workout at all (not FIT,
    cut short, a CRC that does not match, an activity file, no steps); a step that cannot
    convert is a refusal in the result (and the result has no program).
    """
    messages = _decode(_check_container(data, source), source)
    file_ids = messages.get("file_id_mesgs") or []
    kind = file_ids[0].get("type") if file_ids else None
    if kind != _WORKOUT_FILE:
        raise ProgramError(
            source,
            None,
            "file_id",
            "a FIT workout file (file type workout)",
            "no file_id" if not file_ids else f"a file of type {_named(_FILE, kind)}",
        )
    workouts = messages.get("workout_mesgs") or []
    workout = workouts[0] if workouts else {}
    sport = workout.get("sport")
    if sport is not None and (not isinstance(sport, int) or sport not in _FOOT_SPORTS):
        raise ProgramError(
            source,
            "workout",
            "sport",
            "a running or walking workout (its speeds are a runner's)",
            _named(_SPORT, sport),
        )
    steps = messages.get("workout_step_mesgs") or []
    if not steps:
        raise ProgramError(source, None, "workout_step", "at least one workout step", "none")
    if len(steps) > MAX_SEGMENTS:
        raise ProgramError(
            source, None, "workout_step", f"at most {MAX_SEGMENTS} steps", f"{len(steps)}"
        )
    reader = _Reader(source, choices or OpenStepChoices())
    notes: list[str] = []
    stated = workout.get("num_valid_steps")
    if isinstance(stated, int) and stated != len(steps):
        notes.append(f"the workout says {stated} steps and holds {len(steps)}: all were read")
    name = workout.get("wkt_name")
    drafts, program_steps = reader.steps(steps)
    if any(c.direction is Direction.BACKWARD for d in drafts for c, _ in (d.converted or [])):
        notes.append('steps named "Backward · …" were read as backward (as treadctl writes them)')
    return finish(
        source,
        name.replace("\x00", "") if isinstance(name, str) else Path(source).stem,
        "",
        drafts,
        program_steps,
        [*notes, *reader.notes],
    )


def load_fit_workout(path: str | Path, *, choices: OpenStepChoices | None = None) -> ImportResult:
    """Read and convert a FIT workout file; never more than ``MAX_IMPORT_BYTES`` is read."""
    data = read_bounded(path, "FIT workout file")
    return read_fit_workout(data, str(path), choices=choices)


# --- export -----------------------------------------------------------------------------


def _fit_text(text: str) -> str:
    """``text`` within a FIT string's 254 bytes (UTF-8), shortened with "…" if need be."""
    if len(text.encode("utf-8")) <= _MAX_FIT_STRING_BYTES:
        return text
    room = _MAX_FIT_STRING_BYTES - len("…".encode())
    cut = text.encode("utf-8")[:room].decode("utf-8", "ignore")
    return cut + "…"


def _step_name(segment: Segment) -> str:
    prefix = BACKWARD_MARK if segment.direction is Direction.BACKWARD and not segment.rest else ""
    suffix = f" · incline {_human(segment.incline_pct, '%')}" if segment.incline_pct else ""
    room = _MAX_FIT_STRING_BYTES - len((prefix + suffix).encode("utf-8"))
    label = segment.label
    if len(label.encode("utf-8")) > room:
        label = label.encode("utf-8")[: room - 3].decode("utf-8", "ignore") + "…"
    return prefix + label + suffix


def _mm_per_s(kmh: float) -> int:
    return round(kmh / 3.6 * 1000)


def _messages(steps: tuple[Step, ...], out: list[dict[str, Any]]) -> None:
    for step in steps:
        if isinstance(step, Block):
            first = len(out)
            _messages(step.steps, out)
            out.append(
                {
                    "mesg_num": _MESG["workout_step"],
                    "message_index": len(out),
                    "wkt_step_name": _fit_text(step.label) if step.label else None,
                    "duration_type": "repeat_until_steps_cmplt",
                    "duration_value": first,
                    "target_type": "open",
                    "target_value": step.repeat,
                }
            )
            continue
        if step.duration_s is not None:
            duration = {"duration_type": "time", "duration_value": round(step.duration_s * 1000)}
        else:
            assert step.distance_m is not None
            duration = {"duration_type": "distance", "duration_value": round(step.distance_m * 100)}
        if step.rest:
            target: dict[str, Any] = {"target_type": "open", "intensity": "rest"}
        else:
            low = _mm_per_s(step.speed_kmh)
            target = {
                "target_type": "speed",
                "target_value": 0,
                "custom_target_value_low": low,
                "custom_target_value_high": max(low + 1, round(low * HIGH_SPEED_FACTOR)),
                "intensity": "active",
            }
        out.append(
            {
                "mesg_num": _MESG["workout_step"],
                "message_index": len(out),
                "wkt_step_name": _fit_text(_step_name(step)),
                **duration,
                **target,
                "notes": _fit_text(step.cue) if step.cue else None,
            }
        )


def program_to_fit(program: Program, *, created: datetime | None = None) -> bytes:
    """``program`` as a FIT workout file (see the module docstring); ``created`` (default: now)
    is the file's ``time_created``."""
    when = created if created is not None else datetime.now(UTC)
    steps: list[dict[str, Any]] = []
    _messages(program.steps, steps)
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": _MESG["file_id"],
            "type": "workout",
            "manufacturer": "development",
            "product": PRODUCT,
            # A device keeps workouts apart by type, manufacturer, product and serial: the
            # program's own text makes the serial (uint32z: 0 is invalid).
            "serial_number": zlib.crc32(dump_program(program).encode("utf-8")) or 1,
            "time_created": max(0, math.floor(when.timestamp()) - FIT_EPOCH_S),
            "product_name": "treadctl",
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": _MESG["workout"],
            "wkt_name": _fit_text(program.name),
            "sport": "running",
            "sub_sport": "treadmill",
            "num_valid_steps": len(steps),
        }
    )
    for message in steps:
        encoder.write_mesg({k: v for k, v in message.items() if v is not None})
    return encoder.close()


def export_fit_workout(program: Program, target: Path, *, created: datetime | None = None) -> Path:
    """Write ``program_to_fit(program)`` to ``target``, whole or not at all (a temporary file
    in the same folder, then renamed). Replaces ``target``: the caller has asked first."""
    data = program_to_fit(program, created=created)
    target = Path(target)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".", suffix=".fit.part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
