"""The device report's file format (``treadctl-device-report``, version 1): writing and reading.

Shape::

    FORMAT, VERSION                         "treadctl-device-report", 1
    report_json(shape, *, created, source, link_notes, guided, findings, writes) -> dict
    read_report(path) -> DeviceShape         ReportError naming the file and the field
    parse_report(data, path) -> DeviceShape  the same, on JSON already loaded
    strip_timestamps(report) -> dict         a report without ``created`` and every ``t``

The format, field by field, and what is left out for privacy: ``docs/device-report.md``. In
short, a report is the :class:`~treadctl.device_shape.DeviceShape` (advertisement, GATT table,
MTU, the stream at rest, the control-point answers, guided findings, deviations) written as
JSON — bytes as lower-case hex, UUIDs as Bleak spells them — plus what is decoded from it for
a person to read (Device Information, feature bits, ranges, each notification) and the
guided test, if one was run. Reading takes back only the shape: the decoded parts are derived
from it and need not be trusted.

Writing is deterministic (same shape, same JSON, key order included), so two reports of the
same treadmill differ only in their timestamps (``strip_timestamps``).
"""

from __future__ import annotations

import enum
import json
import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from protocols import ParseError, fitshow, ftms
from protocols.device_information import DeviceInformation
from treadctl import __version__
from treadctl.device_shape import (
    Advertisement,
    ControlExchange,
    DeviceShape,
    GattCharacteristic,
    GattDescriptor,
    GattService,
    Notification,
)
from treadctl.report.errors import ReportError
from treadctl.report.findings import Finding

__all__ = [
    "FORMAT",
    "PROPERTY_NAMES",
    "VERSION",
    "parse_report",
    "read_report",
    "report_json",
    "strip_timestamps",
]

FORMAT = "treadctl-device-report"
VERSION = 1

#: Bleak's characteristic property names: the only ones a report may carry.
PROPERTY_NAMES = frozenset(
    {
        "broadcast",
        "read",
        "write-without-response",
        "write",
        "notify",
        "indicate",
        "authenticated-signed-writes",
        "extended-properties",
        "reliable-write",
        "writable-auxiliaries",
    }
)

# Names of the UUIDs the project knows, written beside them for a person (never read back).
_NAMES = {
    0x180A: "Device Information",
    0x180D: "Heart Rate",
    0x1826: "Fitness Machine",
    0x2901: "Characteristic User Description",
    0x2902: "Client Characteristic Configuration",
    0x2A23: "System ID",
    0x2A24: "Model Number",
    0x2A25: "Serial Number",
    0x2A26: "Firmware Revision",
    0x2A27: "Hardware Revision",
    0x2A28: "Software Revision",
    0x2A29: "Manufacturer Name",
    0x2A37: "Heart Rate Measurement",
    0x2A50: "PnP ID",
    0x2ACC: "Fitness Machine Feature",
    0x2ACD: "Treadmill Data",
    0x2AD3: "Training Status",
    0x2AD4: "Supported Speed Range",
    0x2AD5: "Supported Inclination Range",
    0x2AD9: "Fitness Machine Control Point",
    0x2ADA: "Fitness Machine Status",
}
_UUID_NAMES = {ftms.uuid16(short): name for short, name in _NAMES.items()}
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ------------------------------------------------------------------------------------------
# Writing


def _plain_deviation(value: object, depth: int = 0) -> bool:
    """A deviation's value as the vocabulary writes it: a scalar, or (a table of level codes,
    a write's characteristic and bytes) a short list of them, two deep at most."""
    if value is None or isinstance(value, str | int | float | bool):
        return True
    return (
        isinstance(value, list)
        and depth < 2
        and len(value) <= 256
        and all(_plain_deviation(item, depth + 1) for item in value)
    )


def report_json(
    shape: DeviceShape,
    *,
    created: datetime,
    source: str,
    link_notes: Sequence[str] = (),
    guided: Mapping[str, Any] | None = None,
    findings: Sequence[Finding] = (),
    writes: Sequence[ControlExchange] = (),
) -> dict[str, Any]:
    """The report of ``shape`` as JSON-ready data (see ``docs/device-report.md``).

    ``source`` is ``"bluetooth"`` or ``"virtual"``; ``guided`` the guided test's section
    (None: not run); ``writes`` every control-point write made, in order.
    """
    return {
        "format": FORMAT,
        "version": VERSION,
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "app": {"name": "treadctl", "version": __version__},
        "source": source,
        "advertisement": _advertisement_json(shape.advertisement),
        "gatt": {
            "mtu": shape.mtu,
            "services": [_service_json(s) for s in shape.services],
        },
        "device_information": _device_information_json(shape),
        "feature": _feature_json(shape.value(ftms.FITNESS_MACHINE_FEATURE_UUID)),
        "ranges": {
            "speed": _range_json(shape.value(ftms.SUPPORTED_SPEED_RANGE_UUID), ftms.SpeedRange),
            "inclination": _range_json(
                shape.value(ftms.SUPPORTED_INCLINATION_RANGE_UUID), ftms.InclinationRange
            ),
        },
        "link_notes": list(link_notes),
        "rest": {
            "seconds": shape.rest_seconds,
            "notifications": [_notification_json(n) for n in shape.rest],
        },
        "control_point": [_exchange_json(e) for e in shape.control],
        "guided": dict(guided) if guided is not None else None,
        "writes": [_exchange_json(e) for e in writes],
        "findings": [_finding_json(f) for f in findings],
        "deviations": dict(shape.deviations),
    }


def _hex(data: bytes | None) -> str | None:
    return None if data is None else data.hex()


def _named(uuid: str) -> dict[str, Any]:
    name = _UUID_NAMES.get(uuid)
    return {"uuid": uuid, **({"name": name} if name else {})}


def _advertisement_json(adv: Advertisement) -> dict[str, Any]:
    return {
        "name": adv.name,
        "service_uuids": list(adv.service_uuids),
        "service_data": {uuid: data.hex() for uuid, data in adv.service_data},
        "manufacturer_data": {
            f"0x{company:04x}": data.hex() for company, data in adv.manufacturer_data
        },
        "tx_power": adv.tx_power,
    }


def _service_json(service: GattService) -> dict[str, Any]:
    return {
        **_named(service.uuid),
        "characteristics": [_characteristic_json(c) for c in service.characteristics],
    }


def _characteristic_json(c: GattCharacteristic) -> dict[str, Any]:
    out: dict[str, Any] = {
        **_named(c.uuid),
        "properties": list(c.properties),
        "value": _hex(c.value),
        "descriptors": [{**_named(d.uuid), "value": _hex(d.value)} for d in c.descriptors],
    }
    if c.read_error is not None:
        out["read_error"] = c.read_error
        out["att_error"] = c.att_error
    if c.withheld:
        out["withheld"] = True
    return out


def _device_information_json(shape: DeviceShape) -> dict[str, Any] | None:
    from protocols.device_information import DEVICE_INFORMATION_SERVICE_UUID

    service = shape.service(DEVICE_INFORMATION_SERVICE_UUID)
    if service is None:
        return None
    values = {c.uuid: c.value for c in service.characteristics if c.value is not None}
    errors: list[ParseError] = []
    info = DeviceInformation.from_values(values, errors)
    pnp = info.pnp_id
    return {
        "manufacturer": info.manufacturer,
        "model": info.model,
        "hardware_revision": info.hardware_revision,
        "firmware_revision": info.firmware_revision,
        "software_revision": info.software_revision,
        "pnp_id": None
        if pnp is None
        else {
            "vendor_id_source": pnp.vendor_id_source.name,
            "vendor_id": pnp.vendor_id,
            "product_id": pnp.product_id,
            "product_version": pnp.product_version,
        },
        "errors": [str(e) for e in errors],
    }


def _feature_json(raw: bytes | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    try:
        feature = ftms.FitnessMachineFeature.from_bytes(raw)
    except ParseError as error:
        return {"raw": raw.hex(), "error": str(error)}
    return {
        "raw": raw.hex(),
        "machine_features": _flag_names(feature.machine_features),
        "target_settings": _flag_names(feature.target_settings),
    }


def _flag_names(flags: Any) -> list[str]:
    named = [f.name for f in type(flags) if f in flags and f.name]
    known = 0
    for f in type(flags):
        if f in flags:
            known |= int(f)
    rest = int(flags) & ~known
    return named + [f"bit_{bit}" for bit in range(32) if rest & (1 << bit)]


def _range_json(raw: bytes | None, kind: type[ftms.SpeedRange | ftms.InclinationRange]) -> Any:
    if raw is None:
        return None
    try:
        decoded = kind.from_bytes(raw)
    except ParseError as error:
        return {"raw": raw.hex(), "error": str(error)}
    return {"raw": raw.hex(), **{k: getattr(decoded, k) for k in decoded.__dataclass_fields__}}


def _notification_json(n: Notification) -> dict[str, Any]:
    return {
        "t": round(n.t, 3),
        **{
            ("characteristic" if k == "uuid" else k): v for k, v in _named(n.characteristic).items()
        },
        "raw": n.data.hex(),
        "decoded": _decoded(n.characteristic, n.data),
    }


def _decoded(uuid: str, data: bytes) -> dict[str, Any]:
    """What a notification says, for a person; ``{"error": ...}`` when it does not decode."""
    try:
        if uuid == ftms.TREADMILL_DATA_UUID:
            record = ftms.TreadmillData.from_bytes(data)
            return {
                "more_data": record.more_data,
                **record.present_fields(),
                **({"truncated": True} if record.truncated else {}),
            }
        if uuid == ftms.FITNESS_MACHINE_STATUS_UUID:
            status = ftms.MachineStatus.from_bytes(data)
            return {"op": status.op.name, "value": _plain(status.value)}
        if uuid == ftms.TRAINING_STATUS_UUID:
            training = ftms.TrainingStatus.from_bytes(data)
            return {
                "status": training.status.name if training.status is not None else None,
                "text": training.text,
            }
        if uuid == ftms.FITNESS_MACHINE_CONTROL_POINT_UUID:
            answer = ftms.ControlPointResponse.from_bytes(data)
            return {"request_op": answer.request_op.name, "result": answer.result.name}
        if uuid == fitshow.FITSHOW_NOTIFY_UUID:
            vendor = fitshow.FitShowStatus.from_bytes(data)
            if vendor is None:
                return {}  # another kind of FitShow packet
            return {
                "fitshow_state": _plain(vendor.state),
                "error_code": vendor.error_code,
                "problem": vendor.problem,
            }
    except ParseError as error:
        return {"error": str(error)}
    return {}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.name
    return value


def _exchange_json(e: ControlExchange) -> dict[str, Any]:
    return {
        "t": round(e.t, 3),
        "request": e.request,
        "written": e.written.hex(),
        "answer": _hex(e.answer),
        "result": e.result,
        "error": e.error,
        "att_error": e.att_error,
    }


def _finding_json(f: Finding) -> dict[str, Any]:
    return {"kind": f.kind, "text": f.text, **_jsonable(dict(f.values))}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def strip_timestamps(report: Any) -> Any:
    """``report`` without ``created`` and without every ``t``: what two reports of the same
    treadmill must agree on."""
    if isinstance(report, dict):
        return {k: strip_timestamps(v) for k, v in report.items() if k not in ("created", "t")}
    if isinstance(report, list):
        return [strip_timestamps(v) for v in report]
    return report


# ------------------------------------------------------------------------------------------
# Reading


def read_report(path: Path) -> DeviceShape:
    """The shape in the report at ``path``; :class:`ReportError` naming the file and the
    field when it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ReportError(path, "", f"cannot be read: {error}") from error
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ReportError(
            path, "", f"not JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from error
    return parse_report(data, path)


def parse_report(data: Any, path: Path | str = "<report>") -> DeviceShape:
    """The shape in report ``data`` (JSON as loaded); see :func:`read_report`."""
    r = _Reader(path)
    top = r.mapping(data, "")
    if top.get("format") != FORMAT:
        r.fail("format", f"expected {FORMAT!r}, got {top.get('format')!r}")
    version = top.get("version")
    if version != VERSION:
        r.fail("version", f"this treadctl reads version {VERSION}, the report is {version!r}")
    gatt = r.mapping(r.need(top, "gatt", ""), "gatt")
    services = tuple(
        r.service(s, f"gatt.services[{i}]")
        for i, s in enumerate(r.sequence(r.need(gatt, "services", "gatt"), "gatt.services"))
    )
    mtu = r.optional_int(gatt.get("mtu"), "gatt.mtu")
    adv_data = top.get("advertisement")
    advertisement = Advertisement() if adv_data is None else r.advertisement(adv_data)
    rest = r.mapping(r.need(top, "rest", ""), "rest")
    rest_seconds = r.number(r.need(rest, "seconds", "rest"), "rest.seconds")
    notifications = tuple(
        r.notification(n, f"rest.notifications[{i}]")
        for i, n in enumerate(
            r.sequence(r.need(rest, "notifications", "rest"), "rest.notifications")
        )
    )
    control = tuple(
        r.exchange(e, f"control_point[{i}]")
        for i, e in enumerate(r.sequence(top.get("control_point", []), "control_point"))
    )
    speed_ratio = None
    for i, finding in enumerate(r.sequence(top.get("findings", []), "findings")):
        item = r.mapping(finding, f"findings[{i}]")
        if item.get("kind") == "speed_ratio":
            speed_ratio = r.number(r.need(item, "ratio", f"findings[{i}]"), f"findings[{i}].ratio")
    deviations = r.mapping(top.get("deviations", {}), "deviations")
    for name, value in deviations.items():
        if not _plain_deviation(value):
            r.fail(
                f"deviations.{name}",
                f"expected a plain value or a list of them, got {type(value).__name__}",
            )
    if not services:
        r.fail("gatt.services", "no services: this report has no GATT table")
    return DeviceShape(
        advertisement=advertisement,
        services=services,
        mtu=mtu,
        rest_seconds=rest_seconds,
        rest=notifications,
        control=control,
        speed_ratio=speed_ratio,
        deviations=MappingProxyType(dict(deviations)),
    )


class _Reader:
    """Checks one report's fields, raising ReportError with the file and the field."""

    def __init__(self, path: Path | str) -> None:
        self.path = path

    def fail(self, field: str, problem: str) -> Any:
        raise ReportError(self.path, field, problem)

    def need(self, where: Mapping[str, Any], key: str, field: str) -> Any:
        if key not in where:
            self.fail(f"{field}.{key}" if field else key, "missing")
        return where[key]

    def mapping(self, value: Any, field: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            self.fail(field, f"expected an object, got {_kind(value)}")
        return value  # type: ignore[no-any-return]

    def sequence(self, value: Any, field: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(field, f"expected a list, got {_kind(value)}")
        return value  # type: ignore[no-any-return]

    def string(self, value: Any, field: str) -> str:
        if not isinstance(value, str):
            self.fail(field, f"expected a string, got {_kind(value)}")
        return value  # type: ignore[no-any-return]

    def optional_string(self, value: Any, field: str) -> str | None:
        return None if value is None else self.string(value, field)

    def number(self, value: Any, field: str) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(field, f"expected a number, got {_kind(value)}")
        if not math.isfinite(value):
            self.fail(field, "expected a finite number")
        return float(value)

    def optional_int(self, value: Any, field: str) -> int | None:
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(field, f"expected a whole number, got {_kind(value)}")
        return int(value)

    def uuid(self, value: Any, field: str) -> str:
        text = self.string(value, field).lower()
        if not _UUID.match(text):
            self.fail(field, f"expected a 128-bit UUID (xxxxxxxx-xxxx-...), got {value!r}")
        return text

    def hex(self, value: Any, field: str) -> bytes:
        text = self.string(value, field)
        try:
            return bytes.fromhex(text)
        except ValueError:
            return self.fail(field, f"expected hexadecimal bytes, got {text!r}")  # type: ignore[no-any-return]

    def optional_hex(self, value: Any, field: str) -> bytes | None:
        return None if value is None else self.hex(value, field)

    def advertisement(self, value: Any) -> Advertisement:
        where = "advertisement"
        adv = self.mapping(value, where)
        uuids = tuple(
            self.uuid(u, f"{where}.service_uuids[{i}]")
            for i, u in enumerate(
                self.sequence(adv.get("service_uuids", []), f"{where}.service_uuids")
            )
        )
        data = self.mapping(adv.get("service_data", {}), f"{where}.service_data")
        service_data = tuple(
            (self.uuid(k, f"{where}.service_data"), self.hex(v, f"{where}.service_data.{k}"))
            for k, v in data.items()
        )
        manufacturer: list[tuple[int, bytes]] = []
        companies = self.mapping(adv.get("manufacturer_data", {}), f"{where}.manufacturer_data")
        for k, v in companies.items():
            field = f"{where}.manufacturer_data.{k}"
            try:
                company = int(k, 16)
            except ValueError:
                self.fail(field, "expected a company identifier in hexadecimal, e.g. 0x0059")
            if not 0 <= company <= 0xFFFF:
                self.fail(field, "a company identifier is 16 bits")
            manufacturer.append((company, self.hex(v, field)))
        return Advertisement(
            name=self.optional_string(adv.get("name"), f"{where}.name"),
            service_uuids=uuids,
            service_data=service_data,
            manufacturer_data=tuple(manufacturer),
            tx_power=self.optional_int(adv.get("tx_power"), f"{where}.tx_power"),
        )

    def service(self, value: Any, field: str) -> GattService:
        item = self.mapping(value, field)
        listed = self.sequence(item.get("characteristics", []), f"{field}.characteristics")
        characteristics = tuple(
            self.characteristic(c, f"{field}.characteristics[{i}]") for i, c in enumerate(listed)
        )
        uuid = self.uuid(self.need(item, "uuid", field), f"{field}.uuid")
        return GattService(uuid, characteristics)

    def descriptor(self, value: Any, field: str) -> GattDescriptor:
        item = self.mapping(value, field)
        uuid = self.uuid(self.need(item, "uuid", field), f"{field}.uuid")
        return GattDescriptor(uuid, self.optional_hex(item.get("value"), f"{field}.value"))

    def characteristic(self, value: Any, field: str) -> GattCharacteristic:
        item = self.mapping(value, field)
        properties = self.sequence(self.need(item, "properties", field), f"{field}.properties")
        for i, name in enumerate(properties):
            if name not in PROPERTY_NAMES:
                self.fail(
                    f"{field}.properties[{i}]",
                    f"unknown property {name!r} (known: {', '.join(sorted(PROPERTY_NAMES))})",
                )
        listed = self.sequence(item.get("descriptors", []), f"{field}.descriptors")
        descriptors = tuple(
            self.descriptor(d, f"{field}.descriptors[{i}]") for i, d in enumerate(listed)
        )
        withheld = item.get("withheld", False)
        if not isinstance(withheld, bool):
            self.fail(f"{field}.withheld", f"expected true or false, got {_kind(withheld)}")
        return GattCharacteristic(
            uuid=self.uuid(self.need(item, "uuid", field), f"{field}.uuid"),
            properties=tuple(properties),
            value=self.optional_hex(item.get("value"), f"{field}.value"),
            descriptors=descriptors,
            read_error=self.optional_string(item.get("read_error"), f"{field}.read_error"),
            att_error=self.optional_int(item.get("att_error"), f"{field}.att_error"),
            withheld=withheld,
        )

    def notification(self, value: Any, field: str) -> Notification:
        item = self.mapping(value, field)
        uuid = self.need(item, "characteristic", field)
        return Notification(
            t=self.number(item.get("t", 0.0), f"{field}.t"),
            characteristic=self.uuid(uuid, f"{field}.characteristic"),
            data=self.hex(self.need(item, "raw", field), f"{field}.raw"),
        )

    def exchange(self, value: Any, field: str) -> ControlExchange:
        item = self.mapping(value, field)
        return ControlExchange(
            t=self.number(item.get("t", 0.0), f"{field}.t"),
            request=self.string(self.need(item, "request", field), f"{field}.request"),
            written=self.hex(self.need(item, "written", field), f"{field}.written"),
            answer=self.optional_hex(item.get("answer"), f"{field}.answer"),
            result=self.optional_string(item.get("result"), f"{field}.result"),
            error=self.optional_string(item.get("error"), f"{field}.error"),
            att_error=self.optional_int(item.get("att_error"), f"{field}.att_error"),
        )


def _kind(value: Any) -> str:
    return {
        type(None): "null",
        bool: "true/false",
        int: "a number",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "an object",
    }.get(type(value), type(value).__name__)
