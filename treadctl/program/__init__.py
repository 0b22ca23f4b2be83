"""Interval programs: the TOML format, its validation, the model, and what the app derives from it.

Shape::

    treadctl/program/
     ├── model.py     Program, Segment, Block, Step, PlannedSegment, Repetition, ProfilePoint;
     │                default_label, REST_LABEL; the format's MAX_* bounds
     ├── units.py     parse_speed/incline/duration/distance and format_* (text <-> km/h, %, s, m)
     ├── errors.py    ProgramError: file, step path, field, expected, found
     ├── parser.py    parse_program(text, source), load_program(path); the file's size, nesting
     │                and number limits (MAX_PROGRAM_BYTES, …)
     ├── dump.py      dump_program(program) (parse_program(dump_program(p)) == p), toml_string
     ├── fitting.py   clamp(program, limits) -> (fitted, [ClampNotice])   for display only
     ├── figures.py   program_figures(program, limits) -> ProgramFigures  (total, backward, …)
     ├── builtin.py   BUILTIN_PROGRAMS_DIR, builtin_programs()
     ├── library.py   ProgramLibrary(folder): the person's own programs (DataFolder.programs),
     │                LibraryEntry, ProgramExistsError, export_program, program_file_name
     │
     │   Workouts from other apps (docs/importing.md):
     ├── paces.py     PaceZone (1 mile … marathon), RunPaces (s/km per zone), parse/format_pace
     ├── imported.py  ImportResult: per source step its converted segments, source value and
     │                refusal; OpenStepChoices (free-run speed, open-step duration)
     ├── zwo.py       read_zwo/load_zwo: Zwift run workouts (.zwo) at fractions of race paces
     ├── workout_file.py  load_workout(path), read_workout(data): either format, told apart by
     │                content
     └── fit_workout.py  read_fit_workout/load_fit_workout (FIT workout files → ImportResult);
                      program_to_fit(program) -> bytes, export_fit_workout(program, path)

Model: :class:`Program` holds a tuple of steps, each a :class:`Segment` (a rest is a segment with
``rest=True``, speed 0) or a :class:`Block` (``repeat`` times its own steps). Every step keeps its
``path`` — ``steps[3].steps[1]``, 0-based in TOML array order — so errors, clamp notices and the
editor all name a step the same way.

:func:`clamp` fits a program to a profile's :class:`~treadctl.limits.Limits` *for display*, with
a :class:`ClampNotice` per change (the safety governor clamps again at run time, whatever this
package says). Every problem in a file is one :class:`ProgramError`.

An import never guesses: a step it cannot convert (a pace not given, a free run with no speed,
a target that is not a speed) is a :class:`Refusal` naming the file, the source step and the
field, and an :class:`ImportResult` with any refusal has no program.

Import the names from here (``from treadctl.program import parse_program``); the modules of
the package import from each other's modules directly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from treadctl.program.builtin import BUILTIN_PROGRAMS_DIR, builtin_programs
from treadctl.program.dump import dump_program, toml_string
from treadctl.program.errors import ProgramError
from treadctl.program.figures import ProgramFigures, program_figures
from treadctl.program.fitting import ClampNotice, clamp
from treadctl.program.imported import (
    MAX_IMPORT_BYTES,
    ConvertedSegment,
    ImportedStep,
    ImportResult,
    OpenStepChoices,
    Refusal,
)
from treadctl.program.library import (
    LibraryEntry,
    ProgramExistsError,
    ProgramLibrary,
    export_program,
    program_file_name,
)
from treadctl.program.model import (
    MAX_BLOCK_DEPTH,
    MAX_INCLINE_PCT,
    MAX_REPEAT,
    MAX_SEGMENTS,
    MAX_SPEED_KMH,
    MAX_STEP_DISTANCE_M,
    MAX_STEP_DURATION_S,
    MAX_TEXT_CHARS,
    MIN_INCLINE_PCT,
    REST_LABEL,
    Block,
    PlannedSegment,
    ProfilePoint,
    Program,
    Repetition,
    Segment,
    Step,
    default_label,
)
from treadctl.program.paces import PaceZone, RunPaces, format_pace, parse_pace
from treadctl.program.parser import load_program, parse_program
from treadctl.program.units import (
    SPEED_UNITS,
    display_speed,
    format_distance,
    format_duration,
    format_incline,
    format_speed,
    parse_distance,
    parse_duration,
    parse_incline,
    parse_speed,
)
from treadctl.program.workout_file import (
    WORKOUT_SUFFIXES,
    load_workout,
    read_workout,
    workout_format,
)
from treadctl.program.zwo import load_zwo, read_zwo

if TYPE_CHECKING:
    from treadctl.program.fit_workout import (
        export_fit_workout,
        load_fit_workout,
        program_to_fit,
        read_fit_workout,
    )

# Garmin's FIT SDK takes ~0.2 s to import (its profile tables): loaded on first use of these
# names, not by everything that reads a program (the app window imports this package early).
_FIT_NAMES = ("export_fit_workout", "load_fit_workout", "program_to_fit", "read_fit_workout")


def __getattr__(name: str) -> Any:
    if name in _FIT_NAMES:
        from treadctl.program import fit_workout

        return getattr(fit_workout, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "BUILTIN_PROGRAMS_DIR",
    "MAX_BLOCK_DEPTH",
    "MAX_IMPORT_BYTES",
    "MAX_INCLINE_PCT",
    "MAX_REPEAT",
    "MAX_SEGMENTS",
    "MAX_SPEED_KMH",
    "MAX_STEP_DISTANCE_M",
    "MAX_STEP_DURATION_S",
    "MAX_TEXT_CHARS",
    "MIN_INCLINE_PCT",
    "REST_LABEL",
    "SPEED_UNITS",
    "WORKOUT_SUFFIXES",
    "Block",
    "ClampNotice",
    "ConvertedSegment",
    "ImportResult",
    "ImportedStep",
    "LibraryEntry",
    "OpenStepChoices",
    "PaceZone",
    "PlannedSegment",
    "ProfilePoint",
    "Program",
    "ProgramError",
    "ProgramExistsError",
    "ProgramFigures",
    "ProgramLibrary",
    "Refusal",
    "Repetition",
    "RunPaces",
    "Segment",
    "Step",
    "builtin_programs",
    "clamp",
    "default_label",
    "display_speed",
    "dump_program",
    "export_fit_workout",
    "export_program",
    "format_distance",
    "format_duration",
    "format_incline",
    "format_pace",
    "format_speed",
    "load_fit_workout",
    "load_program",
    "load_workout",
    "load_zwo",
    "parse_distance",
    "parse_duration",
    "parse_incline",
    "parse_pace",
    "parse_program",
    "parse_speed",
    "program_figures",
    "program_file_name",
    "program_to_fit",
    "read_fit_workout",
    "read_workout",
    "read_zwo",
    "toml_string",
    "workout_format",
]
