"""Wire formats for the Fitness Machine Service and the Heart Rate Service.

Sans-io: bytes in, frozen dataclasses out, and back. No asyncio, no Qt, no Bluetooth stack.
Every decoder raises only :class:`ParseError` (a :class:`ValueError`), which carries the
offending bytes and the offset where decoding failed.
"""

from __future__ import annotations


class ParseError(ValueError):
    """The peer sent bytes we cannot decode.

    ``data`` is the whole buffer that was being decoded, ``offset`` the byte position at which
    decoding failed.
    """

    def __init__(self, message: str, data: bytes, offset: int) -> None:
        super().__init__(f"{message} (at byte {offset} of {bytes(data).hex() or 'empty buffer'})")
        self.data = bytes(data)
        self.offset = offset


class EncodeError(ValueError):
    """Our side asked to encode a value the wire format cannot carry (e.g. out of range)."""


__all__ = ["EncodeError", "ParseError"]
