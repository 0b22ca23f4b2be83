"""Importing Zwift run workouts (``.zwo``): XML steps at fractions of a race pace -> a program.

Shape::

    read_zwo(data, source, *, paces, choices) -> ImportResult     (imported.py)
    load_zwo(path, *, paces, choices)         -> ImportResult     at most MAX_IMPORT_BYTES read

A file, as Zwift and the tools that write for it lay it out::

    <workout_file>
      <name>Tempo 5 k</name>  <description>…</description>
      <sportType>run</sportType>            only "run" imports: a bike workout is in watts
      <durationType>time</durationType>     "time": Duration in s; "distance": in m
      <workout>
        <Warmup Duration="300" PowerLow="0.7" PowerHigh="0.9" pace="1"/>
        <SteadyState Duration="600" Power="0.95" pace="1">
          <textevent timeoffset="0" message="Settle in"/>
        </SteadyState>
        <IntervalsT Repeat="6" OnDuration="60" OffDuration="120"
                    OnPower="1.1" OffPower="0.8" pace="0"/>
        <Ramp Duration="120" PowerLow="0.8" PowerHigh="1.0" pace="2"/>
        <FreeRide Duration="300"/>
        <Cooldown Duration="300" PowerLow="0.9" PowerHigh="0.6" pace="1"/>
      </workout>
    </workout_file>

What the numbers mean. Sources: the tag and attribute reference generated from every workout
Zwift ships (github.com/h4l/zwift-workout-file-reference, ``zwift_workout_file_tag_reference.md``:
the elements, ``sportType`` "run", ``pace`` on Warmup/Cooldown/Ramp/SteadyState/IntervalsT,
``textevent`` with ``timeoffset``/``distoffset``); Zwift Workout Editor's writer and pace
picker (github.com/breiko83/zwo-editor, ``src/components/Editor/createWorkoutXml.ts``,
``PaceSelector.tsx``: ``durationType``, Duration in metres for distance workouts, ``pace`` 0 …
4); qdomyos-zwift's reader (github.com/cagnulein/qdomyos-zwift, ``src/zwiftworkout.cpp``,
``speedFromPace`` and ``convertTag``).

- ``pace`` picks the race pace a step is written against, **0-based**: 0 = 1 mile, 1 = 5 km,
  2 = 10 km, 3 = half marathon, 4 = marathon (zwo-editor's picker writes these values;
  qdomyos-zwift reads them the same way). Any other value, or no ``pace`` at all, is refused:
  Zwift's own files hold stray values there (8268, 32766 are among those the reference
  counts), and a wrong zone is a wrong speed.
- ``Power`` (and ``PowerLow``/``PowerHigh``, ``OnPower``/``OffPower``) is a fraction that
  multiplies the zone's **speed**: 1.0 is that race pace, 1.1 is a 10 % higher speed.
  qdomyos-zwift computes ``speed = 3600 / pace_seconds_per_km × Power``; zwo-editor's
  ``time = distance / speed / power`` says the same. So 95 % of a 4:30 /km 5 km pace is
  3600 / 270 × 0.95 = 12.67 km/h (a pace of 4:44 /km, not 95 % of the pace's minutes).
- ``durationType`` "distance" makes every ``Duration``/``OnDuration``/``OffDuration`` (and
  ``distoffset``) metres; "time" or none makes them seconds. (qdomyos-zwift reads a run
  workout *without* ``durationType`` as distance, for files from HomeFitnessBuddy; Zwift's own
  run workouts have none and are timed, so here none means time, and the preview shows every
  step's duration.)

How each step converts (every speed rounded to 0.01 km/h):

- **SteadyState**: one segment. With ``PowerLow``/``PowerHigh`` instead of ``Power``: the
  lower end of the range.
- **Warmup, Cooldown, Ramp**: ``PowerLow`` at the start to ``PowerHigh`` at the end, in pieces
  of :data:`RAMP_PIECE_S` (30 s; :data:`RAMP_PIECE_M`, 100 m, in a distance workout), each at
  the ramp's mean over its piece (a linear ramp's mean is its value at the piece's middle). A
  last piece shorter than half a piece joins the one before. The pieces are a block of
  ``repeat = 1`` named "Warm-up", "Ramp" or "Cool-down"; a ramp of one piece, or a flat one,
  is one segment.
- **IntervalsT**: a block, ``Repeat`` times an "Interval" (On) and a "Recovery" (Off) segment
  (``OffDuration="0"``: the Interval only).
- **FreeRide / Freeride**: a segment at the person's free-run speed
  (``OpenStepChoices.speed_kmh``); refused without one.
- **MaxEffort**: refused: an all-out effort has no speed a belt could be set to.
- Anything else: refused, naming the element.

Text events (``textevent``/``TextEvent``) become cues. A cue is shown and spoken when a segment
starts, so a step is split where a text event falls inside it (pieces under 1 s or 1 m are not
made: such a cue joins the piece it falls in); several at one place are joined with " / ". In
an IntervalsT they all go to the Interval segment, shown at each repetition's start (a note
says so when one was timed later). Cadence and the other attributes with no meaning on a
treadmill are ignored, with a note.

Safety of the reader: the file is at most :data:`~treadctl.program.imported.MAX_IMPORT_BYTES`;
it is read with expat directly, and a DOCTYPE is refused where it starts, so no entity can be
declared (no "billion laughs", no external entities); elements nest at most
:data:`MAX_XML_DEPTH` deep and number at most :data:`MAX_XML_ELEMENTS`; a number is a plain
decimal of at most 40 characters, finite and in range. A file that is not a run workout, or not
XML, is one :class:`ProgramError` naming the file (and the line); a step that cannot convert is
a refusal naming the step and the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from treadctl.limits import Direction
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
from treadctl.program.model import MAX_SEGMENTS, Block, Segment, Step
from treadctl.program.paces import PaceZone, RunPaces, format_pace
from treadctl.program.units import _human, format_distance, format_duration

__all__ = [
    "MAX_TEXT_EVENTS",
    "MAX_XML_DEPTH",
    "MAX_XML_ELEMENTS",
    "RAMP_PIECE_M",
    "RAMP_PIECE_S",
    "load_zwo",
    "read_zwo",
]

# workout_file > workout > step > textevent is four levels; nothing Zwift writes goes deeper.
MAX_XML_DEPTH = 16
# A workout of MAX_SEGMENTS steps with a few text events each; far above any real file.
MAX_XML_ELEMENTS = 50_000
MAX_TEXT_EVENTS = 100
# Ramp pieces: short enough that the belt follows the ramp closely (a 0.5 → 1.0 warm-up of
# 5 min at 12 km/h pace moves 0.6 km/h per piece), long enough not to flood the plan.
RAMP_PIECE_S = 30.0
RAMP_PIECE_M = 100.0
# A fraction of a race pace: 3 × a 5 km pace is beyond any human; 0 is standing still.
MAX_FRACTION = 3.0
_MIN_PIECE = 1.0  # s or m: a text event closer than this to a piece's start does not split it

_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_MAX_NUMBER_CHARS = 40

_STEP_LABELS = {
    "Warmup": "Warm-up",
    "Cooldown": "Cool-down",
    "Ramp": "Ramp",
    "SteadyState": "Steady",
    "FreeRide": "Free run",
    "Freeride": "Free run",
}
_TEXT_EVENTS = ("textevent", "TextEvent")
# Attributes read (per kind), and those known to mean nothing on a treadmill.
_RAMP_ATTRS = ("Duration", "PowerLow", "PowerHigh", "pace", "Power")
_STEADY_ATTRS = ("Duration", "Power", "PowerLow", "PowerHigh", "pace")
_INTERVAL_ATTRS = (
    "Repeat",
    "OnDuration",
    "OffDuration",
    "OnPower",
    "OffPower",
    "PowerOnLow",
    "PowerOnHigh",
    "PowerOffLow",
    "PowerOffHigh",
    "pace",
)
_FREE_ATTRS = ("Duration",)


@dataclass
class _Node:
    tag: str
    attrs: dict[str, str]
    line: int
    children: list[_Node] = field(default_factory=list)
    text: list[str] = field(default_factory=list)

    def child(self, tag: str) -> _Node | None:
        for node in self.children:
            if node.tag.lower() == tag.lower():
                return node
        return None

    def content(self) -> str:
        return "".join(self.text).strip()


class _Refused(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(str(refusal))
        self.refusal = refusal


# expat's own words where they would puzzle a person ("found no element found").
_EXPAT_SAYS = {
    expat.errors.codes[expat.errors.XML_ERROR_NO_ELEMENTS]: (
        "the end of the file before its elements close (a cut-off or empty file)"
    ),
}


def _parse_xml(data: bytes, source: str) -> _Node:
    """The element tree of ``data``, bounded; one ProgramError for anything else."""
    parser = expat.ParserCreate()
    # No parameter entities, and no DOCTYPE at all (below): nothing can be declared.
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.buffer_text = True
    stack: list[_Node] = []
    root: list[_Node] = []
    count = 0

    def here(expected: str, found: str) -> _Refused:
        # The line only: inside a declaration expat's column is past its start, not at it.
        return _Refused(
            Refusal(
                ProgramError(source, None, None, expected, found, line=parser.CurrentLineNumber)
            )
        )

    def doctype(name: str, *_: object) -> None:
        raise here(
            "a workout file without a DOCTYPE (a .zwo file declares no entities)",
            f"<!DOCTYPE {name[:40]}>",
        )

    def entity(name: str, *_: object) -> None:
        raise here("a workout file that declares no entities", f"an entity {name[:40]!r}")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal count
        count += 1
        if count > MAX_XML_ELEMENTS:
            raise here(f"at most {MAX_XML_ELEMENTS} XML elements", "more")
        if len(stack) >= MAX_XML_DEPTH:
            raise here(f"XML elements nested at most {MAX_XML_DEPTH} deep", "deeper nesting")
        node = _Node(tag, attrs, parser.CurrentLineNumber)
        if stack:
            stack[-1].children.append(node)
        else:
            root.append(node)
        stack.append(node)

    def end(_tag: str) -> None:
        stack.pop()

    def text(data: str) -> None:
        if stack:
            stack[-1].text.append(data)

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.UnparsedEntityDeclHandler = entity
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except _Refused as refused:
        raise refused.refusal.error from None
    except expat.ExpatError as exc:
        raise ProgramError(
            source,
            None,
            None,
            "well-formed XML (a Zwift .zwo workout)",
            _EXPAT_SAYS.get(exc.code, expat.ErrorString(exc.code) or "something else"),
            line=exc.lineno,
            column=exc.offset + 1,
        ) from None
    return root[0]


def _show(value: str | None) -> str:
    if value is None:
        return "nothing"
    text = value if len(value) <= 40 else value[:37] + "..."
    return f'"{text}"'


@dataclass(frozen=True, slots=True)
class _Piece:
    start: float
    length: float
    fraction: float | None  # None: a free run (the person's speed)
    cue: str | None = None


class _Reader:
    """One workout's steps -> rows and program steps."""

    def __init__(
        self, source: str, paces: RunPaces, choices: OpenStepChoices, distance: bool
    ) -> None:
        self.source = source
        self.paces = paces
        self.choices = choices
        self.distance = distance
        self.notes: list[str] = []

    # --- fields -------------------------------------------------------------------------

    def refuse(
        self,
        path: str,
        key: str | None,
        expected: str,
        found: str,
        *,
        zone: PaceZone | None = None,
        needs_speed: bool = False,
    ) -> _Refused:
        return _Refused(
            Refusal(
                ProgramError(self.source, path, key, expected, found),
                zone=zone,
                needs_speed=needs_speed,
            )
        )

    def number(self, node: _Node, key: str, path: str) -> float | None:
        text = node.attrs.get(key)
        if text is None:
            return None
        stripped = text.strip()
        if len(stripped) > _MAX_NUMBER_CHARS or not _NUMBER_RE.fullmatch(stripped):
            raise self.refuse(path, key, "a plain decimal number", _show(text))
        value = float(stripped)
        if not math.isfinite(value):
            raise self.refuse(path, key, "a finite number", _show(text))
        return value

    def length(self, node: _Node, key: str, path: str, *, zero: bool = False) -> float:
        """A Duration-like attribute: seconds, or metres in a distance workout."""
        value = self.number(node, key, path)
        unit = "metres" if self.distance else "seconds"
        if value is None:
            raise self.refuse(path, key, f"a length in {unit}", "nothing")
        if zero and value == 0:
            return 0.0
        problem = distance_problem(value) if self.distance else duration_problem(value)
        if problem is not None:
            raise self.refuse(path, key, f"{problem} (in {unit})", _show(node.attrs[key]))
        return value

    def fraction(self, node: _Node, path: str, single: str, low: str, high: str) -> float:
        """``single`` (e.g. Power), else the lower end of ``low``/``high``."""
        keys = [single] if single in node.attrs else [k for k in (low, high) if k in node.attrs]
        if not keys:
            raise self.refuse(
                path, single, "a fraction of the race pace (1.0 is the pace itself)", "nothing"
            )
        values = []
        for key in keys:
            value = self.number(node, key, path)
            assert value is not None
            if not 0 < value <= MAX_FRACTION:
                raise self.refuse(
                    path,
                    key,
                    f"a fraction of the race pace above 0 and at most {MAX_FRACTION:g}",
                    _show(node.attrs[key]),
                )
            values.append(value)
        return min(values)

    def zone(self, node: _Node, path: str) -> PaceZone:
        text = node.attrs.get("pace")
        expected = "a race pace 0 to 4 (0 1 mile, 1 5 km, 2 10 km, 3 half marathon, 4 marathon)"
        if text is None:
            raise self.refuse(path, "pace", expected, "nothing")
        try:
            return PaceZone.from_zwo(text)
        except ValueError:
            raise self.refuse(path, "pace", expected, _show(text)) from None

    def zone_speed(self, zone: PaceZone, path: str) -> float:
        speed = self.paces.speed_kmh(zone)
        if speed is None:
            raise self.refuse(
                path,
                "pace",
                f"your {zone.describe} (this step is written against it)",
                "none given",
                zone=zone,
            )
        return speed

    def speed(self, base: float, fraction: float, path: str, key: str, text: str) -> float:
        speed = round_speed(base * fraction)
        problem = speed_problem(speed)
        if problem is not None:
            raise self.refuse(
                path, key, f"{problem} (the fraction × the race pace)", f"{text}: {speed:g} km/h"
            )
        return speed

    def measure(self, value: float) -> str:
        return format_distance(value) if self.distance else format_duration(value)

    def ignored(self, node: _Node, path: str, known: Sequence[str]) -> None:
        extra = sorted(k for k in node.attrs if k not in known)
        if extra:
            self.notes.append(f"{path}: ignored {', '.join(extra)} (treadctl sets a speed only)")

    # --- text events ----------------------------------------------------------------------

    def text_events(self, node: _Node, path: str) -> list[tuple[float, str]]:
        events: list[tuple[float, str]] = []
        other: set[str] = set()
        for child in node.children:
            if child.tag not in _TEXT_EVENTS:
                other.add(child.tag)
                continue
            if len(events) >= MAX_TEXT_EVENTS:
                raise self.refuse(
                    path, "textevent", f"at most {MAX_TEXT_EVENTS} text events in a step", "more"
                )
            message = (child.attrs.get("message") or "").strip()
            if not message:
                self.notes.append(f"{path}: a text event with no message was left out")
                continue
            key = "distoffset" if self.distance else "timeoffset"
            if key not in child.attrs and not self.distance and "TimeOffset" in child.attrs:
                key = "TimeOffset"
            offset = self.number(child, key, f"{path}.{child.tag}") if key in child.attrs else 0.0
            assert offset is not None
            if offset < 0:
                raise self.refuse(
                    f"{path}.{child.tag}", key, "an offset of 0 or more", _show(child.attrs[key])
                )
            events.append((offset, message))
        for tag in sorted(other):
            self.notes.append(f"{path}: ignored <{tag}> (not a text event)")
        return sorted(events, key=lambda e: e[0])

    def place_cues(
        self, pieces: list[_Piece], events: list[tuple[float, str]], path: str
    ) -> list[_Piece]:
        """Split ``pieces`` where a text event starts, and give each piece its cues."""
        total = pieces[-1].start + pieces[-1].length
        for offset, _ in events:
            if offset >= total:
                self.notes.append(
                    f"{path}: a text event at {self.measure(offset)} is past the step's end "
                    f"({self.measure(total)}): shown at its start"
                )
                continue
            for i, piece in enumerate(pieces):
                end = piece.start + piece.length
                if piece.start + _MIN_PIECE <= offset <= end - _MIN_PIECE:
                    pieces[i : i + 1] = [
                        _Piece(piece.start, offset - piece.start, piece.fraction),
                        _Piece(offset, end - offset, piece.fraction),
                    ]
                    break
        # Each text event goes to the last piece starting at or before it (allowing for the
        # pieces not split off because they would have been shorter than _MIN_PIECE).
        texts: list[list[str]] = [[] for _ in pieces]
        for offset, message in events:
            at = 0
            if offset < total:
                for i, piece in enumerate(pieces):
                    if piece.start <= offset + _MIN_PIECE:
                        at = i
            texts[at].append(message)
        return [
            _Piece(piece.start, piece.length, piece.fraction, self.cue(texts[i], path))
            for i, piece in enumerate(pieces)
        ]

    def cue(self, texts: Sequence[str], path: str) -> str | None:
        if not texts:
            return None
        text, was = clip(" / ".join(texts), "cue")
        if was:
            self.notes.append(f"{path}: its text events were shortened to fit one cue")
        return text

    # --- steps ----------------------------------------------------------------------------

    def segment(self, label: str, speed: float, length: float, cue: str | None) -> Segment:
        return Segment(
            label=label,
            direction=Direction.FORWARD,
            speed_kmh=speed,
            duration_s=None if self.distance else length,
            distance_m=length if self.distance else None,
            cue=cue,
        )

    def step(self, node: _Node, index: int) -> RowDraft:
        path = f"workout[{index}] ({node.tag[:40]})"
        draft = RowDraft(path, node.tag[:40], "")
        try:
            if node.tag in ("Warmup", "Cooldown", "Ramp"):
                self.ramp(node, path, draft)
            elif node.tag == "SteadyState":
                self.steady(node, path, draft)
            elif node.tag == "IntervalsT":
                self.intervals(node, path, draft)
            elif node.tag in ("FreeRide", "Freeride"):
                self.free(node, path, draft)
            elif node.tag == "MaxEffort":
                draft.source_value = "an all-out effort"
                raise self.refuse(
                    path,
                    None,
                    "a step with a target pace (a belt cannot follow an all-out effort: "
                    "make it a SteadyState at the pace you mean)",
                    "MaxEffort",
                )
            else:
                raise self.refuse(
                    path,
                    None,
                    "a step of a run workout (Warmup, Ramp, SteadyState, IntervalsT, Cooldown, "
                    "FreeRide)",
                    f"<{node.tag[:40]}>",
                )
        except _Refused as refused:
            draft.refusal = refused.refusal
            draft.steps.clear()
            draft.converted.clear()
        return draft

    def paced(self, node: _Node, path: str) -> tuple[PaceZone, float | None]:
        zone = self.zone(node, path)
        return zone, self.paces.get(zone)

    def zone_text(self, zone: PaceZone, seconds_per_km: float | None) -> str:
        pace = "not given" if seconds_per_km is None else format_pace(seconds_per_km)
        return f"{zone.describe} ({pace})"

    def steady(self, node: _Node, path: str, draft: RowDraft) -> None:
        length = self.length(node, "Duration", path)
        fraction = self.fraction(node, path, "Power", "PowerLow", "PowerHigh")
        zone, pace = self.paced(node, path)
        lower = "" if "Power" in node.attrs else " (the lower end of its range)"
        value = f"{_pct(fraction)} of {self.zone_text(zone, pace)}{lower}"
        draft.source_value = f"{value}, {self.measure(length)}"
        events = self.text_events(node, path)
        self.ignored(node, path, _STEADY_ATTRS)
        base = self.zone_speed(zone, path)
        key = "Power" if "Power" in node.attrs else "PowerLow"
        speed = self.speed(base, fraction, path, key, _pct(fraction))
        pieces = self.place_cues([_Piece(0.0, length, fraction)], events, path)
        self.emit(draft, "Steady", pieces, lambda _p: (speed, value))

    def ramp(self, node: _Node, path: str, draft: RowDraft) -> None:
        label = _STEP_LABELS[node.tag]
        length = self.length(node, "Duration", path)
        if "PowerLow" in node.attrs or "PowerHigh" in node.attrs:
            start = self.fraction(node, path, "PowerLow", "PowerLow", "PowerLow")
            end = self.fraction(node, path, "PowerHigh", "PowerHigh", "PowerHigh")
        else:
            start = end = self.fraction(node, path, "Power", "Power", "Power")
        zone, pace = self.paced(node, path)
        draft.source_value = (
            f"{_pct(start)} → {_pct(end)} of {self.zone_text(zone, pace)}, {self.measure(length)}"
        )
        events = self.text_events(node, path)
        self.ignored(node, path, _RAMP_ATTRS)
        base = self.zone_speed(zone, path)
        unit = RAMP_PIECE_M if self.distance else RAMP_PIECE_S
        pieces = [_Piece(0.0, length, start)]  # a flat "ramp" is one segment
        if start != end:
            pieces = []
            edge = 0.0
            while edge < length:
                size = min(unit, length - edge)
                if length - (edge + size) < unit / 2:
                    size = length - edge  # a short remainder joins this piece
                # A linear ramp's mean over a piece is its value at the piece's middle.
                fraction = start + (end - start) * (edge + size / 2) / length
                pieces.append(_Piece(edge, size, fraction))
                edge += size
        pieces = self.place_cues(pieces, events, path)

        def target(piece: _Piece) -> tuple[float, str]:
            assert piece.fraction is not None
            text = f"{_pct(piece.fraction)} of {zone.describe}"
            near_start = abs(piece.fraction - start) <= abs(piece.fraction - end)
            key = "PowerLow" if near_start else "PowerHigh"
            return self.speed(base, piece.fraction, path, key, _pct(piece.fraction)), text

        self.emit(draft, label, pieces, target)

    def emit(
        self,
        draft: RowDraft,
        label: str,
        pieces: list[_Piece],
        target: Callable[[_Piece], tuple[float, str]],
    ) -> None:
        segments: list[Segment] = []
        for n, piece in enumerate(pieces, 1):
            speed, text = target(piece)
            name = label if len(pieces) == 1 else f"{label} {n}/{len(pieces)}"
            segment = self.segment(name, speed, piece.length, piece.cue)
            segments.append(segment)
            draft.converted.append((segment, text))
        step: Step = segments[0] if len(segments) == 1 else Block(label, 1, tuple(segments))
        draft.steps.append(step)

    def intervals(self, node: _Node, path: str, draft: RowDraft) -> None:
        repeat_value = self.number(node, "Repeat", path)
        if repeat_value is None:
            raise self.refuse(path, "Repeat", "a whole number of repetitions", "nothing")
        problem = repeat_problem(repeat_value)
        if problem is not None:
            raise self.refuse(path, "Repeat", problem, _show(node.attrs["Repeat"]))
        repeat = int(repeat_value)
        on = self.length(node, "OnDuration", path)
        off = self.length(node, "OffDuration", path, zero=True)
        on_fraction = self.fraction(node, path, "OnPower", "PowerOnLow", "PowerOnHigh")
        off_fraction = (
            self.fraction(node, path, "OffPower", "PowerOffLow", "PowerOffHigh") if off else 0.0
        )
        zone, pace = self.paced(node, path)
        on_text = f"{_pct(on_fraction)} of {zone.describe}"
        off_text = f"{_pct(off_fraction)} of {zone.describe}"
        draft.source_value = (
            f"{repeat} × ({self.measure(on)} at {_pct(on_fraction)}"
            + (f" + {self.measure(off)} at {_pct(off_fraction)}" if off else "")
            + f") of {self.zone_text(zone, pace)}"
        )
        events = self.text_events(node, path)
        self.ignored(node, path, _INTERVAL_ATTRS)
        base = self.zone_speed(zone, path)
        on_key = "OnPower" if "OnPower" in node.attrs else "PowerOnLow"
        off_key = "OffPower" if "OffPower" in node.attrs else "PowerOffLow"
        on_speed = self.speed(base, on_fraction, path, on_key, _pct(on_fraction))
        if any(offset > 0 for offset, _ in events):
            self.notes.append(
                f"{path}: its text events are shown when each interval starts (a cue is "
                "spoken at a segment's start)"
            )
        on_segment = self.segment("Interval", on_speed, on, self.cue([m for _, m in events], path))
        segments = [on_segment]
        draft.converted.append((on_segment, on_text))
        if off:
            off_speed = self.speed(base, off_fraction, path, off_key, _pct(off_fraction))
            off_segment = self.segment("Recovery", off_speed, off, None)
            segments.append(off_segment)
            draft.converted.append((off_segment, off_text))
        block = Block("Intervals", repeat, tuple(segments))
        if count_segments((block,)) > MAX_SEGMENTS:
            raise self.refuse(
                path, "Repeat", f"at most {MAX_SEGMENTS} segments with repetitions", str(repeat)
            )
        draft.steps.append(block)

    def free(self, node: _Node, path: str, draft: RowDraft) -> None:
        length = self.length(node, "Duration", path)
        draft.source_value = f"a free run (no target), {self.measure(length)}"
        events = self.text_events(node, path)
        self.ignored(node, path, (*_FREE_ATTRS, "FlatRoad"))
        speed = self.choices.speed_kmh
        if speed is None:
            raise self.refuse(
                path,
                "speed",
                "a speed for this free run (the file leaves it to the runner)",
                "none given",
                needs_speed=True,
            )
        pieces = self.place_cues([_Piece(0.0, length, None)], events, path)
        self.emit(draft, "Free run", pieces, lambda _p: (speed, "your free-run speed"))


def _pct(fraction: float) -> str:
    return _human(fraction * 100, "%")


def read_zwo(
    data: bytes,
    source: str = "<string>",
    *,
    paces: RunPaces,
    choices: OpenStepChoices | None = None,
) -> ImportResult:
    """Convert a Zwift run workout (the file's bytes) with the runner's ``paces``.

    Raises :class:`ProgramError` for a file that is not a usable run workout at all (not XML,
    a DOCTYPE, a bike workout, no ``<workout>``); a step that cannot convert is a refusal in
    the result (and the result has no program).
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ProgramError(
            source,
            None,
            None,
            f"a workout file of at most {MAX_IMPORT_BYTES // 1024} kB",
            f"{len(data)} bytes",
        )
    root = _parse_xml(data, source)
    if root.tag != "workout_file":
        raise ProgramError(
            source, None, None, "a Zwift workout (<workout_file>)", f"<{root.tag[:40]}>"
        )
    sport_node = root.child("sportType")
    sport = sport_node.content() if sport_node is not None else None
    if sport is None or sport.lower() != "run":
        raise ProgramError(
            source,
            None,
            "sportType",
            '"run" (a Zwift run workout: bike workouts are in watts, which no belt speed follows)',
            _show(sport),
        )
    notes: list[str] = []
    duration_node = root.child("durationType")
    duration_type = duration_node.content().lower() if duration_node is not None else None
    if duration_type not in (None, "time", "distance"):
        raise ProgramError(
            source, None, "durationType", '"time" or "distance"', _show(duration_type)
        )
    if duration_type is None:
        notes.append("no durationType: every Duration is read as seconds, as in Zwift's own")
    workouts = [n for n in root.children if n.tag == "workout"]
    if len(workouts) != 1:
        raise ProgramError(
            source, None, "workout", "one <workout> element holding the steps", str(len(workouts))
        )
    steps = workouts[0].children
    if len(steps) > MAX_SEGMENTS:
        raise ProgramError(
            source, None, "workout", f"at most {MAX_SEGMENTS} steps", f"{len(steps)} steps"
        )
    reader = _Reader(source, paces, choices or OpenStepChoices(), duration_type == "distance")
    drafts: list[RowDraft] = []
    for index, node in enumerate(steps):
        if node.tag in _TEXT_EVENTS:
            reader.notes.append(f"workout[{index}]: a text event outside any step was left out")
            continue
        drafts.append(reader.step(node, index))
    name_node = root.child("name")
    description_node = root.child("description")
    program_steps = [step for draft in drafts for step in draft.steps]
    return finish(
        source,
        name_node.content() if name_node is not None else Path(source).stem,
        description_node.content() if description_node is not None else "",
        drafts,
        program_steps,
        [*notes, *reader.notes],
    )


def load_zwo(
    path: str | Path, *, paces: RunPaces, choices: OpenStepChoices | None = None
) -> ImportResult:
    """Read and convert a .zwo file; never more than ``MAX_IMPORT_BYTES`` is read."""
    data = read_bounded(path, "Zwift workout file")
    return read_zwo(data, str(path), paces=paces, choices=choices)
