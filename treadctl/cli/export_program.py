"""``treadctl export-program PROGRAM --format toml|fit [-o PATH] [--force]``: a program as a file.

PROGRAM is a program file, one of the person's programs (by file name or program name, from
``<data folder>/programs``) or a built-in (by file name or name), as ``treadctl run`` finds
them. ``--format fit`` writes a FIT workout file (``treadctl.program.fit_workout``: a watch or
an app can follow it; backward steps are named "Backward · …"); ``--format toml`` writes the
program file itself (``export_program``: the file's own text, comments kept).

Without ``-o`` the file goes to the current folder, named after the program
(``backward-intervals.fit``); ``-o FOLDER`` puts it there; ``-o FILE`` is the file. An existing
file is replaced only with ``--force``, and never the program's own file. The path written is
printed on stdout. Exit status: 0 written; 1 refused (the file exists, it is the program's own
file) or not writable; 2 no such program, or an invalid one.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from treadctl.cli.errors import EXIT_FAILED, EXIT_OK, UsageError
from treadctl.data_folder import DataFolder

if TYPE_CHECKING:
    from treadctl.program import Program

__all__ = ["add_parser", "find_any_program"]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    command = sub.add_parser(
        "export-program",
        help="write a program as a FIT workout (for a watch) or as a program file",
        description="Write a program as a FIT workout file or as a TOML program file. An "
        "existing file is replaced only with --force, and never the program's own file.",
    )
    command.add_argument(
        "program", help="a program file, one of your programs, or a built-in (name or file)"
    )
    command.add_argument("--format", required=True, choices=("fit", "toml"))
    command.add_argument(
        "-o",
        "--output",
        type=Path,
        help="output file or folder (default: the current folder, named after the program)",
    )
    command.add_argument("--force", action="store_true", help="replace an existing file")
    command.add_argument(
        "--data-dir", type=Path, default=None, help="the data folder (your programs)"
    )
    command.set_defaults(handler=run)


def find_any_program(name: str, folder: DataFolder) -> Program:
    """A program file, else one of the person's programs (file stem or name, case-insensitive),
    else a built-in (``treadctl run``'s rules). ``UsageError`` naming what was looked for."""
    from treadctl.cli.run import find_program
    from treadctl.program import ProgramLibrary, builtin_programs

    path = Path(name)
    if path.suffix != ".toml" and not path.exists():
        wanted = name.casefold()
        for entry in ProgramLibrary(folder.programs).entries():
            if entry.program is None:
                continue
            if wanted in (entry.path.stem.casefold(), entry.program.name.casefold()):
                return entry.program
    try:
        return find_program(name)
    except UsageError:
        builtins = ", ".join(Path(p.source or "").stem for p in builtin_programs())
        raise UsageError(
            f"invalid program: no program file, none of your programs ({folder.programs}) "
            f"and no built-in program is {name!r} (built-ins: {builtins})"
        ) from None


def _say(text: str) -> None:
    print(f"treadctl: export-program: {text}", file=sys.stderr)


def run(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.program import export_fit_workout, export_program, program_file_name

    folder = DataFolder.at(args.data_dir)
    program = find_any_program(args.program, folder)  # ProgramError, UsageError: exit 2
    name = Path(program_file_name(program.name)).with_suffix(f".{args.format}").name
    target: Path = args.output if args.output is not None else Path(name)
    if target.is_dir():
        target = target / name
    if program.source is not None and Path(program.source).exists():
        try:
            own = target.exists() and target.resolve() == Path(program.source).resolve()
        except OSError:
            own = False
        if own:
            _say(f"{target} is the program's own file; choose another output")
            return EXIT_FAILED
    if target.exists() and not args.force:
        _say(f"{target} already exists; use --force to replace it")
        return EXIT_FAILED
    try:
        if args.format == "fit":
            export_fit_workout(program, target)
        else:
            export_program(program, target)
    except OSError as error:
        _say(f"cannot write {target} ({error.strerror or error})")
        return EXIT_FAILED
    out.write(f"{target}\n")
    return EXIT_OK
