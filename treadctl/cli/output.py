"""What the commands print: JSON lines for programs to read, clock texts for people."""

from __future__ import annotations

import json
from enum import Enum
from typing import Any, TextIO

__all__ = ["clock_text", "emit", "plain"]


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
