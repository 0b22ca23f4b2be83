"""What an import from another app's workout file gives a front end: a preview, then a program.

Shape::

    ImportResult(source, name, description, rows, notes, program)
     ├── rows                 one ImportedStep per step of the source file, in file order
     ├── refusals             every Refusal, in file order (none: ``program`` is set)
     ├── needed_zones         the race paces the refused steps need (PaceZone), to ask for
     ├── needs_speed          a step has no speed (a free run, an open FIT target)
     ├── needs_duration       a step has no end (an open FIT duration)
     ├── require_program()    the Program, or the first refusal's ProgramError
     └── fitted(limits)       clamp(program, limits): the program as it will run, with notices
    ImportedStep(source_path, kind, source_value, converted, refusal)
     └── converted            ConvertedSegment(path, segment, source_value) per segment made
    Refusal(error, zone=None, needs_speed=False, needs_duration=False)
    OpenStepChoices(speed_kmh=None, duration_s=None)   what the person gives for open steps

The rules both importers (``zwo.py``, ``fit_workout.py``) follow:

- **Nothing is guessed.** A step whose speed needs a pace the person has not given, a free run
  with no speed, an open-ended step with no duration, a target treadctl cannot turn into a belt
  speed: each is a :class:`Refusal` carrying a :class:`ProgramError` that names the file, the
  source step (``workout[3] (IntervalsT)``, ``workout_step[4]``) and the field. An import with
  any refusal has no program: the person fixes the file or gives what is missing, and imports
  again.
- **Speeds are rounded to 0.01 km/h**, the resolution of an FTMS speed target (Set Target
  Speed's parameter is a uint16 in 0.01 km/h: ``protocols.ftms.SetTargetSpeed``), so a
  converted speed is one a treadmill can be told exactly.
- **The program passes the format's own validation**: every bound the parser checks
  (``MAX_SPEED_KMH``, step durations and distances, ``MAX_REPEAT``, ``MAX_SEGMENTS``, text
  lengths) is checked per source step with a sentence naming it, and the finished program is
  written and read back through :func:`dump_program`/:func:`parse_program` as a last check.
- **Every step is forward**; a person marks steps backward in the editor (except a FIT file
  that treadctl wrote, which says so in its step names: see ``fit_workout.py``).
- Texts too long for the format (a name, a label, a cue) are shortened, with a note.

Paths: ``ConvertedSegment.path`` is the segment's path in the program (``steps[2].steps[0]``),
the one :func:`~treadctl.program.fitting.clamp`'s notices name; ``ImportedStep.paths`` lists
every path a source step became, so a front end can put a notice beside its source step.
"""

from __future__ import annotations

import math
import os
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from treadctl.limits import Limits
from treadctl.program.dump import dump_program
from treadctl.program.errors import ProgramError
from treadctl.program.fitting import ClampNotice, clamp
from treadctl.program.model import (
    MAX_BLOCK_DEPTH,
    MAX_REPEAT,
    MAX_SEGMENTS,
    MAX_SPEED_KMH,
    MAX_STEP_DISTANCE_M,
    MAX_STEP_DURATION_S,
    MAX_TEXT_CHARS,
    Block,
    Program,
    Segment,
    Step,
)
from treadctl.program.paces import PaceZone
from treadctl.program.parser import parse_program

__all__ = [
    "MAX_IMPORT_BYTES",
    "ConvertedSegment",
    "ImportResult",
    "ImportedStep",
    "OpenStepChoices",
    "Refusal",
]

# The same cap as a program file: a long Zwift run workout is ~20 kB, a FIT workout of a
# hundred steps ~5 kB. Past this a file is a mistake or an attack.
MAX_IMPORT_BYTES = 1 << 20


@dataclass(frozen=True, slots=True)
class OpenStepChoices:
    """What the person gives for the steps a file leaves open.

    ``speed_kmh``: the speed of every step with no speed target (a ZWO free run, a FIT step
    with an open target). ``duration_s``: the length of every FIT step that ends "when you
    press lap". ``None``: such steps are refused.
    """

    speed_kmh: float | None = None
    duration_s: float | None = None

    def __post_init__(self) -> None:
        if self.speed_kmh is not None and not 0 < self.speed_kmh <= MAX_SPEED_KMH:
            raise ValueError(f"a free-run speed above 0 and at most {MAX_SPEED_KMH:g} km/h")
        if self.duration_s is not None and not 0 < self.duration_s <= MAX_STEP_DURATION_S:
            raise ValueError("an open-step duration above 0 s and at most 24 h")


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why one source step cannot become part of a program, and what would let it.

    ``zone``: the race pace the step is written against and the person has not given;
    ``needs_speed``/``needs_duration``: the file leaves the speed or the end to the runner.
    """

    error: ProgramError
    zone: PaceZone | None = None
    needs_speed: bool = False
    needs_duration: bool = False

    def __str__(self) -> str:
        return str(self.error)


@dataclass(frozen=True, slots=True)
class ConvertedSegment:
    """One segment an import made, with the source value it came from (``"95 % of 5 km
    pace"``, ``"2.5–3 m/s"``). ``path`` is its path in the program."""

    path: str
    segment: Segment
    source_value: str

    @property
    def speed_kmh(self) -> float:
        return self.segment.speed_kmh


@dataclass(frozen=True, slots=True)
class ImportedStep:
    """One step of the source file: what it said and what it became (or why it did not).

    ``source_path`` names it as errors do (``workout[3] (IntervalsT)``); ``kind`` is its type
    in the source format; ``source_value`` its target as the file says it.
    """

    source_path: str
    kind: str
    source_value: str
    converted: tuple[ConvertedSegment, ...] = ()
    refusal: Refusal | None = None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImportResult:
    """See the module docstring. ``program`` is None when any step is refused."""

    source: str
    name: str
    description: str
    rows: tuple[ImportedStep, ...]
    notes: tuple[str, ...] = ()
    program: Program | None = None
    top_refusals: tuple[Refusal, ...] = field(default=())

    @property
    def refusals(self) -> list[Refusal]:
        found = [row.refusal for row in self.rows if row.refusal is not None]
        return [*found, *self.top_refusals]

    @property
    def needed_zones(self) -> frozenset[PaceZone]:
        return frozenset(r.zone for r in self.refusals if r.zone is not None)

    @property
    def needs_speed(self) -> bool:
        return any(r.needs_speed for r in self.refusals)

    @property
    def needs_duration(self) -> bool:
        return any(r.needs_duration for r in self.refusals)

    def require_program(self) -> Program:
        """The program; the first refusal's :class:`ProgramError` when there is one."""
        refusals = self.refusals
        if refusals:
            raise refusals[0].error
        assert self.program is not None  # no refusal: finish() made one
        return self.program

    def fitted(self, limits: Limits) -> tuple[Program, list[ClampNotice]]:
        """The program as a profile's ``limits`` will run it, with a notice per change."""
        return clamp(self.require_program(), limits)


# --- for the importers ------------------------------------------------------------------


def round_speed(kmh: float) -> float:
    """To 0.01 km/h, the resolution a treadmill is commanded in (FTMS)."""
    return round(kmh, 2)


def speed_problem(kmh: float) -> str | None:
    """What is wrong with a converted speed (an ``expected`` text), or None."""
    if not math.isfinite(kmh) or kmh <= 0:
        return "a speed above 0 km/h"
    if kmh > MAX_SPEED_KMH:
        return f"a speed of at most {MAX_SPEED_KMH:g} km/h"
    return None


def duration_problem(seconds: float) -> str | None:
    if not math.isfinite(seconds) or seconds <= 0:
        return "a duration above 0 s"
    if seconds > MAX_STEP_DURATION_S:
        return "a duration of at most 24 h per step"
    return None


def distance_problem(metres: float) -> str | None:
    if not math.isfinite(metres) or metres <= 0:
        return "a distance above 0 m"
    if metres > MAX_STEP_DISTANCE_M:
        return "a distance of at most 100 km per step"
    return None


def repeat_problem(repeat: float) -> str | None:
    if not math.isfinite(repeat) or repeat != int(repeat) or not 1 <= repeat <= MAX_REPEAT:
        return f"a whole number of repetitions from 1 to {MAX_REPEAT}"
    return None


def clip(text: str, key: str) -> tuple[str, bool]:
    """``text`` shortened to the format's length for ``key`` (with "…"), and whether it was."""
    limit = MAX_TEXT_CHARS[key]
    if len(text) <= limit:
        return text, False
    return text[: limit - 1] + "…", True


def count_segments(steps: Sequence[Step]) -> int:
    return sum(1 if isinstance(s, Segment) else s.repeat * count_segments(s.steps) for s in steps)


def block_depth(step: Step) -> int:
    if isinstance(step, Segment):
        return 0
    return 1 + max((block_depth(s) for s in step.steps), default=0)


def read_bounded(path: str | Path, what: str) -> bytes:
    """The bytes of ``path``, never more than :data:`MAX_IMPORT_BYTES` read; a ProgramError
    naming the file for a missing, unreadable or too large one (``what``: "FIT file")."""
    name = str(path)
    expected = f"a {what} of at most {MAX_IMPORT_BYTES // 1024} kB"
    try:
        with open(path, "rb") as file:
            info = os.fstat(file.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise ProgramError(name, None, None, f"a {what}", "a folder")
            if stat.S_ISREG(info.st_mode) and info.st_size > MAX_IMPORT_BYTES:
                raise ProgramError(
                    name, None, None, expected, f"a file of {info.st_size / (1 << 20):.1f} MB"
                )
            data = file.read(MAX_IMPORT_BYTES + 1)
    except IsADirectoryError:
        raise ProgramError(name, None, None, f"a {what}", "a folder") from None
    except OSError as exc:
        raise ProgramError(
            name, None, None, f"a readable {what}", exc.strerror or str(exc)
        ) from None
    if len(data) > MAX_IMPORT_BYTES:
        raise ProgramError(name, None, None, expected, "more than that")
    return data


@dataclass
class RowDraft:
    """A row while an importer works: segments without their final paths yet."""

    source_path: str
    kind: str
    source_value: str
    steps: list[Step] = field(default_factory=list)
    converted: list[tuple[Segment, str]] = field(default_factory=list)
    refusal: Refusal | None = None


def _with_paths(
    steps: Sequence[Step], parent: str | None, moved: dict[int, Step]
) -> tuple[Step, ...]:
    result: list[Step] = []
    for i, step in enumerate(steps):
        path = f"steps[{i}]" if parent is None else f"{parent}.steps[{i}]"
        new: Step
        if isinstance(step, Block):
            new = replace(step, path=path, steps=_with_paths(step.steps, path, moved))
        else:
            new = replace(step, path=path)
        moved[id(step)] = new
        result.append(new)
    return tuple(result)


def _paths(step: Step) -> list[str]:
    if isinstance(step, Segment):
        return [step.path]
    return [step.path, *(p for s in step.steps for p in _paths(s))]


def finish(
    source: str,
    name: str,
    description: str,
    drafts: Sequence[RowDraft],
    steps: Sequence[Step],
    notes: Sequence[str],
) -> ImportResult:
    """Give the converted steps their paths, check the whole, and make the result.

    ``steps`` are the program's top-level steps (the importer's tree, built from the drafts'
    own step objects). With any refusal there is no program.
    """
    notes = list(notes)
    clipped_name, was = clip(name.strip() or Path(source).stem or "Imported workout", "name")
    if was:
        notes.append(f"the name was shortened to {MAX_TEXT_CHARS['name']} characters")
    clipped_description, was = clip(description, "description")
    if was:
        notes.append(f"the description was shortened to {MAX_TEXT_CHARS['description']} characters")
    moved: dict[int, Step] = {}
    placed = _with_paths(steps, None, moved)
    rows = []
    for draft in drafts:
        converted = tuple(
            ConvertedSegment(placed_seg.path, placed_seg, text)
            for seg, text in draft.converted
            if isinstance(placed_seg := moved.get(id(seg)), Segment)
        )
        paths = tuple(p for s in draft.steps if id(s) in moved for p in _paths(moved[id(s)]))
        rows.append(
            ImportedStep(
                draft.source_path, draft.kind, draft.source_value, converted, draft.refusal, paths
            )
        )
    top: list[Refusal] = []
    if not placed and not any(d.refusal for d in drafts):
        top.append(Refusal(ProgramError(source, None, "steps", "at least one step", "none")))
    total = count_segments(placed)
    if total > MAX_SEGMENTS:
        top.append(
            Refusal(
                ProgramError(
                    source,
                    None,
                    "steps",
                    f"at most {MAX_SEGMENTS} segments with repetitions expanded",
                    f"{total}",
                )
            )
        )
    if any(block_depth(s) > MAX_BLOCK_DEPTH for s in placed):
        top.append(
            Refusal(
                ProgramError(
                    source,
                    None,
                    "steps",
                    f"repeats nested at most {MAX_BLOCK_DEPTH} deep",
                    "deeper",
                )
            )
        )
    program: Program | None = None
    if not top and not any(d.refusal for d in drafts):
        program = Program(clipped_name, clipped_description, placed, source=source)
        # The last check: the program reads back through the format's own parser unchanged,
        # so everything the parser would refuse in a hand-written file is refused here too.
        try:
            again = parse_program(dump_program(program), source)
        except ProgramError as exc:
            top.append(Refusal(exc))
            program = None
        else:
            if again != program:
                top.append(
                    Refusal(
                        ProgramError(
                            source,
                            None,
                            None,
                            "a program that reads back unchanged",
                            "one that does not",
                        )
                    )
                )
                program = None
    return ImportResult(
        source=source,
        name=clipped_name,
        description=clipped_description,
        rows=tuple(rows),
        notes=tuple(notes),
        program=program,
        top_refusals=tuple(top),
    )
