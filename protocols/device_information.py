"""Device Information Service 0x180A (DIS v1.1), both directions: what a device says it is.

Shape::

    DeviceInformation(manufacturer, model, hardware_revision, firmware_revision,
                      software_revision, pnp_id)                    frozen, every field optional
     ├── from_values({uuid: bytes}, errors=None) -> DeviceInformation
     └── values() -> {uuid: bytes}                                  what a server serves
    PnpId(vendor_id_source, vendor_id, product_id, product_version)  0x2A50, 7 bytes
    decode_string(bytes) -> str | None / encode_string(str) -> bytes the "utf8s" fields
    FIELDS                    (attribute, UUID, kind) of every characteristic read, as data
    PRIVATE_UUIDS             Serial Number 0x2A25 and System ID 0x2A23: never read, never kept

Theory of operation
-------------------
The strings (DIS §3.1–3.6, format ``utf8s``) are read the way real devices write them, not
the way the specification does: a value may carry a C terminator and whatever followed it in
the device's buffer (``"1.2.8\\x00\\xff\\xff"``), trailing spaces from a fixed-width field,
bytes that are not UTF-8, or control characters. Decoding cuts at the first NUL, replaces
what is not valid UTF-8 or not printable with U+FFFD, drops trailing white space and keeps at
most :data:`MAX_STRING_LENGTH` characters. A string can therefore always be read: an empty
one is "absent" (``None``), never an error. Only the PnP ID (DIS §3.9), a fixed 7-byte
record, can be unreadable (:class:`~protocols.ParseError` when shorter; bytes after it are
kept in ``trailing``).

Serial Number (0x2A25) and System ID (0x2A23, which embeds the device's address on many
stacks) identify the person's own unit, not the model. :class:`DeviceInformation` has no
field for them, and device reports skip their values (:data:`PRIVATE_UUIDS`).
"""

from __future__ import annotations

import enum
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Literal, Self

from protocols import EncodeError, ParseError
from protocols.fields import Field, pack_field, read_field

__all__ = [
    "DEVICE_INFORMATION_SERVICE_UUID",
    "FIELDS",
    "FIRMWARE_REVISION_UUID",
    "HARDWARE_REVISION_UUID",
    "MANUFACTURER_NAME_UUID",
    "MAX_STRING_LENGTH",
    "MODEL_NUMBER_UUID",
    "PNP_ID_UUID",
    "PRIVATE_UUIDS",
    "SERIAL_NUMBER_UUID",
    "SOFTWARE_REVISION_UUID",
    "SYSTEM_ID_UUID",
    "DeviceInformation",
    "DisField",
    "PnpId",
    "VendorIdSource",
    "decode_string",
    "encode_string",
]


def _uuid16(short: int) -> str:
    return f"0000{short:04x}-0000-1000-8000-00805f9b34fb"


DEVICE_INFORMATION_SERVICE_UUID = _uuid16(0x180A)
SYSTEM_ID_UUID = _uuid16(0x2A23)
MODEL_NUMBER_UUID = _uuid16(0x2A24)
SERIAL_NUMBER_UUID = _uuid16(0x2A25)
FIRMWARE_REVISION_UUID = _uuid16(0x2A26)
HARDWARE_REVISION_UUID = _uuid16(0x2A27)
SOFTWARE_REVISION_UUID = _uuid16(0x2A28)
MANUFACTURER_NAME_UUID = _uuid16(0x2A29)
PNP_ID_UUID = _uuid16(0x2A50)

#: Characteristics that identify one unit (and, for System ID, often its address): never read.
PRIVATE_UUIDS = frozenset({SERIAL_NUMBER_UUID, SYSTEM_ID_UUID})

#: The longest string kept, in characters. Real values are a few to ~30 characters; a longer
#: one is a firmware filling the ATT value with garbage, and a report or a label need no more.
MAX_STRING_LENGTH = 64

_REPLACEMENT = "\ufffd"


def decode_string(data: bytes | bytearray | memoryview) -> str | None:
    """A DIS ``utf8s`` value as a clean, printable string; ``None`` when nothing is left.

    Never raises: cut at the first NUL, invalid UTF-8 and non-printable characters replaced
    by U+FFFD, trailing white space dropped, at most :data:`MAX_STRING_LENGTH` characters.
    """
    raw = bytes(data).split(b"\x00", 1)[0]
    text = raw.decode("utf-8", errors="replace").rstrip()
    # Control, format and line-breaking characters (an ESC would reach a terminal, a newline
    # would break a one-line label) become the replacement character.
    text = "".join(_REPLACEMENT if _unprintable(c) else c for c in text)
    text = text[:MAX_STRING_LENGTH].rstrip()
    return text or None


def _unprintable(char: str) -> bool:
    category = unicodedata.category(char)
    return category.startswith("C") or category in ("Zl", "Zp")


def encode_string(text: str) -> bytes:
    """``text`` as a DIS server sends it: UTF-8, no terminator.

    Refuses (:class:`~protocols.EncodeError`) what :func:`decode_string` would not give back
    unchanged: empty, longer than :data:`MAX_STRING_LENGTH`, trailing white space, or a
    control character.
    """
    if decode_string(text.encode("utf-8", errors="surrogatepass")) != text:
        raise EncodeError(
            f"device information string {text!r} is empty, longer than {MAX_STRING_LENGTH} "
            "characters, ends in white space or holds a control character"
        )
    return text.encode("utf-8")


class VendorIdSource(enum.IntEnum):
    """PnP ID Vendor ID Source [DIS §3.9.1.1]; other values are kept as ``RFU_0x..``."""

    BLUETOOTH_SIG = 0x01
    USB_IF = 0x02

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if not isinstance(value, int) or not 0 <= value <= 0xFF:
            return None
        member = int.__new__(cls, value)
        member._name_ = f"RFU_0x{value:02X}"
        member._value_ = value
        return member


_PNP_FIELDS = (
    Field("vendor_id_source", 1),
    Field("vendor_id", 2),
    Field("product_id", 2),
    Field("product_version", 2),
)
_PNP_SIZE = sum(f.width for f in _PNP_FIELDS)


@dataclass(frozen=True, slots=True)
class PnpId:
    """PnP ID 0x2A50 [DIS §3.9]: who made the device, as a vendor and product number.

    ``product_version`` is the vendor's own number (often BCD, 0xJJMN = JJ.M.N). Bytes after
    the 7 of the record are kept in ``trailing`` so that re-encoding gives them back.
    """

    vendor_id_source: VendorIdSource
    vendor_id: int
    product_id: int
    product_version: int
    trailing: bytes = b""

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview) -> Self:
        buf = bytes(data)
        values: list[int] = []
        offset = 0
        for f in _PNP_FIELDS:
            value, offset = read_field(buf, offset, f)
            values.append(int(value or 0))
        source, vendor, product, version = values
        return cls(VendorIdSource(source), vendor, product, version, buf[_PNP_SIZE:])

    def __bytes__(self) -> bytes:
        numbers = (self.vendor_id_source, self.vendor_id, self.product_id, self.product_version)
        return (
            b"".join(pack_field(f, int(v)) for f, v in zip(_PNP_FIELDS, numbers, strict=True))
            + self.trailing
        )


@dataclass(frozen=True, slots=True)
class DisField:
    """One characteristic of the service that :class:`DeviceInformation` reads."""

    attribute: str
    uuid: str
    kind: Literal["string", "pnp_id"]


#: Every characteristic read, in the order DIS lists them; both directions use this table.
FIELDS: tuple[DisField, ...] = (
    DisField("manufacturer", MANUFACTURER_NAME_UUID, "string"),
    DisField("model", MODEL_NUMBER_UUID, "string"),
    DisField("hardware_revision", HARDWARE_REVISION_UUID, "string"),
    DisField("firmware_revision", FIRMWARE_REVISION_UUID, "string"),
    DisField("software_revision", SOFTWARE_REVISION_UUID, "string"),
    DisField("pnp_id", PNP_ID_UUID, "pnp_id"),
)


@dataclass(frozen=True, slots=True)
class DeviceInformation:
    """What a device's Device Information Service says; every field is optional.

    Deliberately without Serial Number and System ID (see the module docstring).
    """

    manufacturer: str | None = None
    model: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None
    pnp_id: PnpId | None = None

    @classmethod
    def from_values(
        cls, values: Mapping[str, bytes], errors: list[ParseError] | None = None
    ) -> Self:
        """Decode the characteristics in ``values`` (UUID → value as read; others ignored).

        An unreadable PnP ID raises :class:`~protocols.ParseError`, unless ``errors`` is a
        list: then it is appended there and the field left ``None``.
        """
        found: dict[str, str | PnpId | None] = {}
        for f in FIELDS:
            raw = values.get(f.uuid)
            if raw is None:
                continue
            if f.kind == "string":
                found[f.attribute] = decode_string(raw)
                continue
            try:
                found[f.attribute] = PnpId.from_bytes(raw)
            except ParseError as error:
                if errors is None:
                    raise
                errors.append(error)
        return cls(**found)  # type: ignore[arg-type]  # each kind goes to its own attribute

    def values(self) -> dict[str, bytes]:
        """The value of each characteristic a server would serve (absent fields left out)."""
        out: dict[str, bytes] = {}
        for f in FIELDS:
            value = getattr(self, f.attribute)
            if value is None:
                continue
            out[f.uuid] = encode_string(value) if isinstance(value, str) else bytes(value)
        return out

    @property
    def is_empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))

    def summary(self) -> str:
        """One line for a person: ``"KINGSMITH KS-HD-Z1D, firmware 1.2.8"`` (may be empty)."""
        head = " ".join(v for v in (self.manufacturer, self.model) if v)
        if self.firmware_revision:
            return (
                f"{head}, firmware {self.firmware_revision}"
                if head
                else (f"firmware {self.firmware_revision}")
            )
        return head
