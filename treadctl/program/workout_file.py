"""A workout file from another app, whichever format it is: ``load_workout(path)``.

Shape::

    workout_format(data) -> "fit" | "zwo" | None     by content: ".FIT" at bytes 8–11, or XML
    read_workout(data, source, *, paces, choices) -> ImportResult    the file's bytes
    load_workout(path, *, paces, choices) -> ImportResult           at most MAX_IMPORT_BYTES

A front end that converts one file again and again as the person types (the app's import
preview) reads it once (``read_bounded``) and calls ``read_workout`` on the bytes: the
preview stays the file it was opened from, even if the file changes on disk meanwhile.

The format is read from the content, not the name: a FIT file says ".FIT" in its header, and
a .zwo file is XML. A file that is neither is one :class:`ProgramError` naming it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from treadctl.program.errors import ProgramError
from treadctl.program.imported import ImportResult, OpenStepChoices, read_bounded
from treadctl.program.paces import RunPaces

__all__ = ["WORKOUT_SUFFIXES", "load_workout", "read_workout", "workout_format"]

WORKOUT_SUFFIXES = (".zwo", ".fit")


def workout_format(data: bytes) -> Literal["fit", "zwo"] | None:
    """``"fit"`` for a FIT file, ``"zwo"`` for XML (a Zwift workout, once read), else None."""
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit"
    text = data.removeprefix(b"\xef\xbb\xbf").lstrip()
    if text.startswith(b"<"):
        return "zwo"
    return None


def read_workout(
    data: bytes,
    source: str,
    *,
    paces: RunPaces | None = None,
    choices: OpenStepChoices | None = None,
) -> ImportResult:
    """Convert a Zwift run workout or a FIT workout file from its bytes (see ``zwo.py`` and
    ``fit_workout.py``); ``source`` names it in every sentence."""
    kind = workout_format(data)
    if kind == "fit":
        from treadctl.program.fit_workout import read_fit_workout

        return read_fit_workout(data, source, choices=choices)
    if kind == "zwo":
        from treadctl.program.zwo import read_zwo

        return read_zwo(data, source, paces=paces or RunPaces(), choices=choices)
    raise ProgramError(
        source,
        None,
        None,
        "a Zwift run workout (.zwo, XML) or a FIT workout file (.fit)",
        "neither",
    )


def load_workout(
    path: str | Path,
    *,
    paces: RunPaces | None = None,
    choices: OpenStepChoices | None = None,
) -> ImportResult:
    """Read and convert a Zwift run workout or a FIT workout file (see ``zwo.py`` and
    ``fit_workout.py``); ``paces`` are the runner's race paces a .zwo file needs."""
    data = read_bounded(path, "workout file")
    return read_workout(data, str(path), paces=paces, choices=choices)
