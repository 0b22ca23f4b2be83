"""Declarative field tables: one description of a wire field drives decoding *and* encoding.

Theory of operation
-------------------
A :class:`Field` says how one value sits on the wire: width in bytes, signedness, resolution
(``value = raw * num / den``) and the raw values that mean "data not available". A message
module declares its fields once, in the order the specification lists them, and uses
:func:`read_field` / :func:`pack_field` (or the precompiled :class:`Layout`) in both
directions. Nothing here knows about any particular message.

Rules the helpers enforce, because real treadmills break them:

* A missing byte is never read as zero: a read past the end raises :class:`ParseError` (the
  caller decides whether that means "truncated record" or "malformed").
* Encoding rounds to the nearest raw step (``5.39 km/h`` is ``539``, not ``538``) and refuses
  values the field cannot carry with :class:`EncodeError`.
* "Not available" raw values decode to ``None``; encoding ``None`` writes the first of them.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from protocols import EncodeError, ParseError

Value = int | float

_STRUCT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h"}


@dataclass(frozen=True, slots=True)
class Field:
    """One wire field.

    ``num``/``den`` give the resolution as an exact ratio so that decoding is a single
    correctly-rounded division (``539 * 1 / 100 == 5.39``) rather than an inexact ``* 0.01``.
    A field with ``den == 1`` decodes to ``int``.
    """

    name: str
    width: int
    signed: bool = False
    num: int = 1
    den: int = 1
    not_available: tuple[int, ...] = ()
    unit: str = ""

    @property
    def min_raw(self) -> int:
        return -(1 << (8 * self.width - 1)) if self.signed else 0

    @property
    def max_raw(self) -> int:
        return (1 << (8 * self.width - (1 if self.signed else 0))) - 1

    def to_value(self, raw: int) -> Value | None:
        if raw in self.not_available:
            return None
        return self._scale(raw)

    def _scale(self, raw: int) -> Value:
        return raw * self.num if self.den == 1 else raw * self.num / self.den

    def to_raw(self, value: Value | None) -> int:
        """The raw integer for ``value``: rounded to nearest, range-checked."""
        if value is None:
            if not self.not_available:
                raise EncodeError(
                    f"{self.name}: has no 'not available' value, so None cannot be sent"
                )
            return self.not_available[0]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise EncodeError(f"{self.name}: expected a finite number, got {value!r}")
        # Half away from zero: the nearest step, never truncation (5.39 km/h -> 539).
        scaled = value * self.den / self.num
        raw = math.floor(abs(scaled) + 0.5)
        raw = -raw if scaled < 0 else raw
        if not self.min_raw <= raw <= self.max_raw:
            raise EncodeError(
                f"{self.name}: {value!r}{self.unit and ' ' + self.unit} is outside what the field "
                f"can carry ({self._scale(self.min_raw)}..{self._scale(self.max_raw)})"
            )
        if raw in self.not_available:
            raise EncodeError(
                f"{self.name}: {value!r} encodes to 0x{raw % (1 << (8 * self.width)):X}, "
                "which the specification reserves for 'data not available'"
            )
        return raw


def read_int(data: bytes, offset: int, width: int, signed: bool, what: str) -> int:
    """Read one little-endian integer; a short buffer is a :class:`ParseError`, never zero."""
    end = offset + width
    if end > len(data):
        raise ParseError(
            f"{what}: needs {width} byte(s), {max(len(data) - offset, 0)} left", data, offset
        )
    return int.from_bytes(data[offset:end], "little", signed=signed)


def read_field(data: bytes, offset: int, f: Field) -> tuple[Value | None, int]:
    """Decode ``f`` at ``offset``: the value (``None`` if not available) and the next offset."""
    raw = read_int(data, offset, f.width, f.signed, f.name)
    return f.to_value(raw), offset + f.width


def pack_field(f: Field, value: Value | None) -> bytes:
    return f.to_raw(value).to_bytes(f.width, "little", signed=f.signed)


def read_fields(
    data: bytes, offset: int, fields: Sequence[Field]
) -> tuple[dict[str, Value | None], int]:
    """Decode ``fields`` in order; all must be present (a short buffer is a ParseError)."""
    values: dict[str, Value | None] = {}
    for f in fields:
        values[f.name], offset = read_field(data, offset, f)
    return values, offset


def pack_fields(fields: Sequence[Field], values: Sequence[Value | None]) -> bytes:
    return b"".join(pack_field(f, v) for f, v in zip(fields, values, strict=True))


@dataclass(frozen=True, slots=True)
class Layout:
    """A precompiled run of fields: one ``struct`` call and one generated function decode all.

    Used on the hot path (Treadmill Data at up to 10 Hz, and the codec benchmark): for a given
    flags value the field sequence is fixed, so it is compiled once and cached by the caller.
    Like :mod:`dataclasses`, the decoder is generated source, built only from the field table
    (names are checked identifiers, numbers are ints), so the per-record work is a single
    ``unpack_from`` and one dict display with no Python-level loop. ``uint24`` fields, which
    ``struct`` has no code for, are read as ``H`` + ``B`` and joined.
    """

    fields: tuple[Field, ...]
    size: int = field(init=False)
    unpack: Callable[[bytes, int], dict[str, Value | None]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        codes = ["<"]
        items = []
        raw_names: list[str] = []
        for f in self.fields:
            if not f.name.isidentifier():  # pragma: no cover - guards the generated source
                raise ValueError(f"field name {f.name!r} is not an identifier")
            r = f"r{len(raw_names)}"
            if (f.width, f.signed) in _STRUCT_CODES:
                codes.append(_STRUCT_CODES[f.width, f.signed])
                raw_names.append(r)
                expr = r
            elif f.width == 3 and not f.signed:
                codes.append("HB")
                hi = f"r{len(raw_names) + 1}"
                raw_names += [r, hi]
                expr = f"({r} | {hi} << 16)"
            else:  # pragma: no cover - no such field in FTMS; guarded for future tables
                raise ValueError(f"{f.name}: width {f.width} signed={f.signed} has no layout code")
            value = expr if f.num == 1 else f"{expr} * {int(f.num)}"
            if f.den != 1:
                value = f"{value} / {int(f.den)}"
            if f.not_available:
                na = ", ".join(str(int(v)) for v in f.not_available)
                value = f"(None if {expr} in ({na},) else {value})"
            items.append(f"{f.name!r}: {value}")
        compiled = struct.Struct("".join(codes))
        targets = "".join(f"{n}, " for n in raw_names)
        source = (
            "def unpack(data, offset):\n"
            f"    {targets or '_'} = _unpack_from(data, offset)\n"
            f"    return {{{', '.join(items)}}}\n"
        )
        namespace: dict[str, object] = {"_unpack_from": compiled.unpack_from}
        exec(compile(source, f"<layout {[f.name for f in self.fields]}>", "exec"), namespace)
        object.__setattr__(self, "size", compiled.size)
        object.__setattr__(self, "unpack", namespace["unpack"])
