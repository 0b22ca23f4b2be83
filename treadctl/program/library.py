"""A person's own programs: the program files in the data folder's ``programs`` folder.

Shape::

    ProgramLibrary(folder)                  folder: DataFolder.programs (<root>/programs)
     ├── entries() -> [LibraryEntry]        every *.toml there, by file name; one that no longer
     │                                      reads is an entry too, with the reason (never dropped)
     ├── path_for(name) -> Path             a new file name for a program called ``name``
     │                                      (program_file_name(name): the name it starts from)
     ├── contains(path) -> bool             whether ``path`` is one of the library's files
     ├── import_file(source, replace=False) -> Path   a checked copy into the library
     ├── save(program, replace=False) -> Path         a program made here (an imported
     │                                      workout) written into the library
     └── export_program(program, target)    a copy elsewhere (the file as written, if it has one)

The built-in programs stay where they are (``builtin.py``); a front end lists both, and marks
these as the person's. The folder is made on the first write, private to the user (0700) like
the sessions folder; files are written 0600.
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from treadctl.program.dump import dump_program
from treadctl.program.errors import ProgramError
from treadctl.program.model import Program
from treadctl.program.parser import load_program

__all__ = [
    "LibraryEntry",
    "ProgramExistsError",
    "ProgramLibrary",
    "export_program",
    "program_file_name",
]

SUFFIX = ".toml"
# A file name stays well under every file system's 255-byte limit, with room for "-99.toml".
_MAX_STEM = 60


class ProgramExistsError(FileExistsError):
    """An import would replace a program already in the library; ``path`` is that file."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path.name} is already one of your programs")
        self.path = path


@dataclass(frozen=True)
class LibraryEntry:
    """One file of the library: its program, or why it cannot be used (``error``)."""

    path: Path
    program: Program | None
    error: ProgramError | None = None

    @property
    def usable(self) -> bool:
        return self.program is not None


def _slug(name: str) -> str:
    """``"Backward intervals, week 2"`` -> ``"backward-intervals-week-2"`` (ASCII, short)."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug[:_MAX_STEM].rstrip("-") or "program"


def program_file_name(name: str) -> str:
    """A file name for a program called ``name``: ``"backward-intervals.toml"``."""
    return _slug(name) + SUFFIX


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` readable by the user only (a program may name a person)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(data)


def export_program(program: Program, target: Path) -> Path:
    """Write ``program`` to ``target``: its file's own text when it has one (comments kept),
    otherwise ``dump_program``. Replaces ``target``: the caller has asked first."""
    source = Path(program.source) if program.source else None
    data: bytes | None = None
    if source is not None and source.is_file():
        data = source.read_bytes()
        try:
            # The file on disk may have changed since it was read: only what was shown goes out.
            if load_program(source) != program:
                data = None
        except ProgramError:
            data = None
    if data is None:
        data = dump_program(program).encode("utf-8")
    target.write_bytes(data)
    return target


class ProgramLibrary:
    """See the module docstring."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def entries(self) -> list[LibraryEntry]:
        """Every program file in the library, in file-name order; unreadable ones included."""
        try:
            paths = sorted(p for p in self.folder.glob(f"*{SUFFIX}") if p.is_file())
        except OSError:
            return []
        found = []
        for path in paths:
            try:
                found.append(LibraryEntry(path, load_program(path)))
            except ProgramError as error:
                # The parser bounds size, nesting and numbers: every bad file is this error.
                found.append(LibraryEntry(path, None, error))
        return found

    def contains(self, path: Path) -> bool:
        try:
            return Path(path).resolve().parent == self.folder.resolve()
        except OSError:
            return False

    def path_for(self, name: str) -> Path:
        """A file in the library for a program called ``name`` that is not taken yet."""
        stem = _slug(name)
        path = self.folder / program_file_name(name)
        number = 2
        while path.exists():
            path = self.folder / f"{stem}-{number}{SUFFIX}"
            number += 1
        return path

    def make_folder(self) -> None:
        self.folder.mkdir(mode=0o700, parents=True, exist_ok=True)

    def save(self, program: Program, *, replace: bool = False) -> Path:
        """Write ``program`` into the library as ``program_file_name(program.name)``.

        Raises ``ProgramExistsError`` when that file is there and ``replace`` is not given
        (nothing is written), ``OSError`` when the library cannot be written.
        """
        target = self.folder / program_file_name(program.name)
        if target.exists() and not replace:
            raise ProgramExistsError(target)
        self.make_folder()
        _write_private(target, dump_program(program).encode("utf-8"))
        return target

    def import_file(self, source: Path, *, replace: bool = False) -> Path:
        """Copy the program file ``source`` into the library under its own name.

        Raises the parser's ``ProgramError`` for a file that is not a usable program (nothing
        is copied), ``ProgramExistsError`` when a program of that file name is already there
        and ``replace`` is not given, ``OSError`` when the library cannot be written.
        """
        source = Path(source)
        load_program(source)  # the parser's own sentence for a bad file
        data = source.read_bytes()
        target = self.folder / (source.stem + SUFFIX)
        if source.resolve() == target.resolve():
            return target  # already in the library
        if target.exists() and not replace:
            raise ProgramExistsError(target)
        self.make_folder()
        _write_private(target, data)
        return target
