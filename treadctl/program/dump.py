"""Writing a program back as TOML, in the shape people write by hand.

Shape::

    dump_program(program) -> str       parse_program(dump_program(p)) == p
    toml_string(value) -> str          a TOML basic string (also what the editor writes)

Values are normalised on the way out: speeds in km/h, durations in h/min/s, distances in m or
km (the ``format_*`` texts of :mod:`treadctl.program.units`, which read back exactly), and
defaults — a step's default label, a 0 % incline, an empty description — are left out.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from treadctl.program.model import REST_LABEL, Block, Program, Step, default_label
from treadctl.program.units import format_distance, format_duration, format_incline, format_speed

__all__ = ["dump_program", "toml_string"]


def toml_string(value: str) -> str:
    """``value`` as a TOML basic string (shared by the writer and the editor)."""
    # JSON's escapes are all valid TOML basic-string escapes; DEL is the one control character
    # TOML requires escaped that JSON leaves raw.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def dump_program(program: Program) -> str:
    """Write ``program`` in the hand-written shape (``parse_program`` reads it back equal).

    Values are normalised: speeds in km/h, durations in h/min/s, distances in m or km, and
    default labels and a 0 % incline are left out.
    """
    lines = [f"name = {toml_string(program.name)}"]
    if program.description:
        lines.append(f"description = {toml_string(program.description)}")
    _dump_steps(program.steps, (), lines)
    return "\n".join(lines) + "\n"


def _dump_steps(steps: Sequence[Step], indices: tuple[int, ...], lines: list[str]) -> None:
    depth = len(indices)
    indent = "  " * depth
    header = indent + "[[" + ".".join(["steps"] * (depth + 1)) + "]]"
    for i, step in enumerate(steps):
        here = (*indices, i)
        lines.append("")
        lines.append(header)
        for key, value in _step_items(step, here):
            lines.append(f"{indent}{key} = {value}")
        if isinstance(step, Block):
            _dump_steps(step.steps, here, lines)


def _step_items(step: Step, indices: tuple[int, ...]) -> Iterator[tuple[str, str]]:
    if isinstance(step, Block):
        if step.label is not None:
            yield "label", toml_string(step.label)
        yield "repeat", str(step.repeat)
        return
    if step.rest:
        if step.label != REST_LABEL:
            yield "label", toml_string(step.label)
        yield "rest", "true"
    else:
        if step.label != default_label(indices):
            yield "label", toml_string(step.label)
        yield "direction", toml_string(step.direction.value)
        yield "speed", toml_string(format_speed(step.speed_kmh))
        if step.incline_pct != 0:
            yield "incline", toml_string(format_incline(step.incline_pct))
    if step.duration_s is not None:
        yield "duration", toml_string(format_duration(step.duration_s))
    if step.distance_m is not None:
        yield "distance", toml_string(format_distance(step.distance_m))
    if step.cue is not None:
        yield "cue", toml_string(step.cue)
