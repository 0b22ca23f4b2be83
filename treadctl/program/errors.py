"""The one error a program file can give: :class:`ProgramError`, naming where and why.

Shape::

    ProgramError(file, step, field, expected, found, *, line=None, column=None)
        str(): "week1.toml: steps[3].steps[1]: speed: expected a speed with a unit (...),
                found "4.5""

Every problem in a file is one ``ProgramError`` (the parser, the loader and the editor raise
nothing else for a bad file). It is a :class:`~treadctl.errors.TreadctlError` and, being about
bad input, a ``ValueError`` too. It pickles with every field (the default pickling of
exceptions drops keyword-only arguments).
"""

from __future__ import annotations

from treadctl.errors import TreadctlError

__all__ = ["ProgramError"]


class ProgramError(TreadctlError, ValueError):
    """A program file that cannot be used, and exactly where and why.

    ``file`` is the path or source name given to the loader; ``step`` the step's path
    (``steps[3].steps[1]``, 0-based) or ``None`` for the top level; ``field`` the key
    (``None`` when the whole step or file is at fault); ``line``/``column`` are set for TOML
    syntax errors only.
    """

    def __init__(
        self,
        file: str,
        step: str | None,
        field: str | None,
        expected: str,
        found: str,
        *,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.file = file
        self.step = step
        self.field = field
        self.expected = expected
        self.found = found
        self.line = line
        self.column = column
        parts = [file]
        if line is not None:
            parts.append(f"line {line}" if column is None else f"line {line}, column {column}")
        if step is not None:
            parts.append(step)
        if field is not None:
            # An unknown key is the file's own text, and a file may hold one of a megabyte.
            parts.append(field if len(field) <= 60 else field[:57] + "...")
        super().__init__(": ".join(parts) + f": expected {expected}, found {found}")

    def __reduce__(self) -> tuple[object, ...]:
        # Keyword-only arguments are not replayed by the default pickling of exceptions.
        return (
            _rebuild_error,
            (self.file, self.step, self.field, self.expected, self.found, self.line, self.column),
        )


def _rebuild_error(
    file: str,
    step: str | None,
    field: str | None,
    expected: str,
    found: str,
    line: int | None,
    column: int | None,
) -> ProgramError:
    return ProgramError(file, step, field, expected, found, line=line, column=column)
