"""Device Information Service 0x180A: strings as real devices send them, PnP ID, privacy."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from protocols import EncodeError, ParseError
from protocols import device_information as dis
from protocols.device_information import (
    MAX_STRING_LENGTH,
    DeviceInformation,
    PnpId,
    VendorIdSource,
    decode_string,
    encode_string,
)
from tests.protocols.strategies import device_information, dis_string


@pytest.mark.parametrize(
    ("wire", "text"),
    [
        (b"KINGSMITH", "KINGSMITH"),
        (b"1.2.8\x00", "1.2.8"),
        # A C string and whatever followed it in the device's buffer.
        (b"1.2.8\x00\xff\xff\x00junk", "1.2.8"),
        (b"FS-BT-T4      ", "FS-BT-T4"),
        (b"Horizon\r\n", "Horizon"),
        (b"Sole \xe9", "Sole \ufffd"),  # Latin-1, not UTF-8
        (b"Caf\xc3\xa9", "Café"),
        (b"\x1b[31mred", "\ufffd[31mred"),  # an escape sequence never reaches a terminal
        (b"", None),
        (b"\x00\x00\x00", None),
        (b"   ", None),
    ],
)
def test_strings_as_devices_send_them(wire: bytes, text: str | None) -> None:
    assert decode_string(wire) == text


def test_long_strings_are_capped() -> None:
    assert decode_string(b"x" * 500) == "x" * MAX_STRING_LENGTH
    # A cut that lands before a space does not leave the space behind.
    assert decode_string(b"a" * (MAX_STRING_LENGTH - 1) + b" tail") == "a" * (MAX_STRING_LENGTH - 1)


@given(st.binary(max_size=600))
def test_any_bytes_read_as_a_clean_string_or_none(data: bytes) -> None:
    text = decode_string(data)
    if text is not None:
        assert 0 < len(text) <= MAX_STRING_LENGTH
        assert text == text.rstrip()
        assert "\x00" not in text
        assert not any(unicodedata.category(c)[0] == "C" or c in "\u2028\u2029" for c in text)
        assert decode_string(encode_string(text)) == text


@given(dis_string)
def test_strings_round_trip(text: str) -> None:
    assert decode_string(encode_string(text)) == text


@pytest.mark.parametrize("text", ["", "trailing ", "x" * (MAX_STRING_LENGTH + 1), "a\nb"])
def test_encode_refuses_what_would_not_come_back(text: str) -> None:
    with pytest.raises(EncodeError):
        encode_string(text)


def test_pnp_id() -> None:
    # Bluetooth SIG vendor 0x0059 (Nordic), product 0x1234, version 1.2.8 as BCD 0x0128.
    pnp = PnpId.from_bytes(bytes.fromhex("01590034122801"))
    assert pnp == PnpId(VendorIdSource.BLUETOOTH_SIG, 0x0059, 0x1234, 0x0128)
    assert bytes(pnp).hex() == "01590034122801"


def test_pnp_id_unknown_source_and_trailing_bytes_are_kept() -> None:
    pnp = PnpId.from_bytes(bytes.fromhex("07010002000300ff"))
    assert pnp.vendor_id_source.name == "RFU_0x07"
    assert pnp.trailing == b"\xff"
    assert bytes(pnp).hex() == "07010002000300ff"


@pytest.mark.parametrize(("wire", "offset"), [("", 0), ("01", 1), ("015900341228", 5)])
def test_short_pnp_id_is_a_parse_error(wire: str, offset: int) -> None:
    with pytest.raises(ParseError) as error:
        PnpId.from_bytes(bytes.fromhex(wire))
    assert error.value.offset == offset


def test_from_values_reads_what_is_there_and_skips_the_private_ones() -> None:
    info = DeviceInformation.from_values(
        {
            dis.MANUFACTURER_NAME_UUID: b"KINGSMITH\x00",
            dis.MODEL_NUMBER_UUID: b"KS-HD-Z1D",
            dis.FIRMWARE_REVISION_UUID: b"1.2.8",
            dis.SERIAL_NUMBER_UUID: b"SN123456",
            dis.SYSTEM_ID_UUID: bytes(8),
        }
    )
    assert info == DeviceInformation("KINGSMITH", "KS-HD-Z1D", None, "1.2.8")
    assert info.summary() == "KINGSMITH KS-HD-Z1D, firmware 1.2.8"
    assert "SN123456" not in repr(info)
    assert not {f.uuid for f in dis.FIELDS} & dis.PRIVATE_UUIDS


def test_from_values_with_a_bad_pnp_id() -> None:
    values = {dis.MODEL_NUMBER_UUID: b"T01", dis.PNP_ID_UUID: b"\x01\x02"}
    with pytest.raises(ParseError):
        DeviceInformation.from_values(values)
    errors: list[ParseError] = []
    assert DeviceInformation.from_values(values, errors) == DeviceInformation(model="T01")
    assert len(errors) == 1 and errors[0].data == b"\x01\x02"


def test_summary_and_emptiness() -> None:
    assert DeviceInformation().is_empty and DeviceInformation().summary() == ""
    assert not DeviceInformation(model="T01").is_empty
    assert DeviceInformation(firmware_revision="2.0").summary() == "firmware 2.0"
    assert DeviceInformation(manufacturer="Sole").summary() == "Sole"


@given(device_information())
def test_values_round_trip(info: DeviceInformation) -> None:
    assert DeviceInformation.from_values(info.values()) == info


def test_vendor_id_source_keeps_only_byte_values() -> None:
    assert VendorIdSource(0x80).name == "RFU_0x80"
    with pytest.raises(ValueError):
        VendorIdSource(0x100)
