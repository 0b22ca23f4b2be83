"""The built-in programs: every ``resources/programs/*.toml``, read like any other file.

Shape::

    BUILTIN_PROGRAMS_DIR                 <repository>/resources/programs
    builtin_programs() -> [Program]      in file-name order (the files are numbered)
"""

from __future__ import annotations

from pathlib import Path

from treadctl.program.model import Program
from treadctl.program.parser import load_program

__all__ = ["BUILTIN_PROGRAMS_DIR", "builtin_programs"]

# treadctl/program/builtin.py -> the repository's resources/programs.
BUILTIN_PROGRAMS_DIR = Path(__file__).resolve().parents[2] / "resources" / "programs"


def builtin_programs() -> list[Program]:
    """Every ``resources/programs/*.toml``, in file-name order (the files are numbered)."""
    return [load_program(p) for p in sorted(BUILTIN_PROGRAMS_DIR.glob("*.toml"))]
