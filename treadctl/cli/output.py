"""What the commands print: JSON lines for programs to read, clock texts and speeds in the
person's unit for people."""

from __future__ import annotations

import configparser
import json
from enum import Enum
from pathlib import Path
from typing import Any, TextIO

__all__ = ["clock_text", "emit", "plain", "speed_unit"]

# The app's choice of unit (ui.settings_view: key display/speed_unit in settings.ini), whose
# values are the unit's label; the pace units show speeds in their own system.
_IMPERIAL = ("mph", "min/mi")


def plain(value: object) -> Any:
    """JSON-ready: enums by name (IntEnums would otherwise print as bare numbers), bytes as
    hex, tuples as lists."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bytes | bytearray):
        return bytes(value).hex()
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def emit(out: TextIO, record: dict[str, Any]) -> None:
    out.write(json.dumps(plain(record), default=str) + "\n")
    out.flush()


def clock_text(seconds: float) -> str:
    """``h:mm:ss``."""
    seconds = max(0, int(seconds))
    return f"{seconds // 3600:d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def speed_unit(settings: Path, given: str | None = None) -> str:
    """``"km/h"`` or ``"mph"``: ``given`` (``--unit``), else the app's setting in
    ``settings`` (a pace unit counts as its system's speed unit), else km/h. A settings file
    that cannot be read is the default, not an error: it only chooses how speeds look."""
    if given is not None:
        return given
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read(settings, encoding="utf-8")
        value = parser.get("display", "speed_unit", fallback="km/h")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return "km/h"
    return "mph" if value.strip() in _IMPERIAL else "km/h"
