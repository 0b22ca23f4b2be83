"""Hypothesis strategies that build every protocol message from valid raw wire values.

Values are drawn as raw integers and scaled with the field's own resolution, so every drawn
value is exactly representable and encode → decode must give it back unchanged.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from protocols import device_information as dis
from protocols import ftms
from protocols.fields import Field, Value
from protocols.heart_rate import HeartRateMeasurement


def field_value(f: Field, allow_none: bool = True) -> st.SearchStrategy[Value | None]:
    raw = st.integers(f.min_raw, f.max_raw).filter(lambda r: r not in f.not_available)
    values: st.SearchStrategy[Value | None] = raw.map(f.to_value)
    if allow_none and f.not_available:
        values = values | st.none()
    return values


@st.composite
def treadmill_data(draw: st.DrawFn, with_extras: bool = True) -> ftms.TreadmillData:
    kwargs: dict[str, Any] = {}
    more_data = draw(st.booleans())
    speed_group = ftms._TREADMILL_GROUPS[0][1][0]
    kwargs["speed_kmh"] = None if more_data else draw(field_value(speed_group))
    for _, group in ftms._TREADMILL_GROUPS[1:]:
        if draw(st.booleans()):
            for f in group:
                kwargs[f.name] = draw(field_value(f))
    if with_extras:
        kwargs["reserved_flags"] = draw(st.integers(0, 7)) << 13
        kwargs["trailing"] = draw(st.binary(max_size=6))
    return ftms.TreadmillData(more_data=more_data, **kwargs)


def request(cls: type[ftms.ControlPointRequest]) -> st.SearchStrategy[ftms.ControlPointRequest]:
    if cls is ftms.StopOrPause:
        return st.builds(ftms.StopOrPause, pause=st.booleans())
    params = {f.name: field_value(f, allow_none=False) for f in cls.PARAMS}
    return st.fixed_dictionaries(params).map(lambda kw: cls(**kw))


unknown_request = st.builds(
    ftms.UnknownRequest,
    request_op=st.integers(0x15, 0xFF).map(ftms.OpCode),
    parameter=st.binary(max_size=18),
)

any_request = st.one_of(*(request(cls) for cls in ftms._REQUEST_TYPES.values()), unknown_request)


@st.composite
def machine_status(draw: st.DrawFn) -> ftms.MachineStatus:
    op = ftms.StatusOp(draw(st.integers(0, 0xFF)))
    params = ftms._STATUS_PARAMS.get(op, ())
    value: Any = None
    if len(params) == 1:
        value = draw(field_value(params[0], allow_none=False))
    elif params:
        value = tuple(draw(field_value(f, allow_none=False)) for f in params)
    return ftms.MachineStatus(op, value, draw(st.binary(max_size=4)))


@st.composite
def training_status(draw: st.DrawFn) -> ftms.TrainingStatus:
    status = draw(st.none() | st.integers(0, 0xFF).map(ftms.TrainingStatusCode))
    text = None if status is None else draw(st.none() | st.text(min_size=1, max_size=20))
    return ftms.TrainingStatus(
        status,
        text,
        extended_string=draw(st.booleans()),
        reserved_flags=draw(st.integers(0, 0x3F)) << 2,
    )


response = st.builds(
    ftms.ControlPointResponse,
    request_op=st.integers(0, 0xFF).map(ftms.OpCode),
    result=st.integers(0, 0xFF).map(ftms.ResultCode),
    parameter=st.binary(max_size=17),
)

service_data = st.builds(
    ftms.ServiceData,
    flags=st.integers(0, 0xFF).map(ftms.ServiceDataFlags),
    machine_type=st.none() | st.integers(0, 0xFFFF).map(ftms.MachineType),
)

feature = st.builds(
    ftms.FitnessMachineFeature,
    machine_features=st.integers(0, 2**32 - 1).map(ftms.MachineFeature),
    target_settings=st.integers(0, 2**32 - 1).map(ftms.TargetSettingFeature),
)

speed_range = st.builds(
    ftms.SpeedRange, *(field_value(f, allow_none=False) for f in ftms._SPEED_RANGE_FIELDS)
)
inclination_range = st.builds(
    ftms.InclinationRange,
    *(field_value(f, allow_none=False) for f in ftms._INCLINATION_RANGE_FIELDS),
)


@st.composite
def heart_rate(draw: st.DrawFn) -> HeartRateMeasurement:
    wide = draw(st.booleans())
    rr = tuple(draw(st.lists(st.integers(0, 0xFFFF).map(lambda r: r / 1024), max_size=9)))
    return HeartRateMeasurement(
        heart_rate_bpm=draw(st.integers(0, 0xFFFF if wide else 0xFF)),
        sensor_contact=draw(st.none() | st.booleans()),
        energy_expended_kj=draw(st.none() | st.integers(0, 0xFFFF)),
        rr_intervals_s=rr,
        wide=wide,
        # With RR intervals present, every full pair is an interval: only an odd byte trails.
        trailing=draw(st.binary(max_size=1) if rr else st.binary(max_size=4)),
    )


#: A DIS string that comes back unchanged: printable, no trailing white space, within the cap.
dis_string = st.text(
    st.characters(blacklist_categories=("C", "Zl", "Zp")),
    min_size=1,
    max_size=dis.MAX_STRING_LENGTH,
).filter(lambda s: s == s.rstrip())

pnp_id = st.builds(
    dis.PnpId,
    vendor_id_source=st.integers(0, 0xFF).map(dis.VendorIdSource),
    vendor_id=st.integers(0, 0xFFFF),
    product_id=st.integers(0, 0xFFFF),
    product_version=st.integers(0, 0xFFFF),
    trailing=st.binary(max_size=4),
)


@st.composite
def device_information(draw: st.DrawFn) -> dis.DeviceInformation:
    strings = {f.attribute: draw(st.none() | dis_string) for f in dis.FIELDS if f.kind == "string"}
    return dis.DeviceInformation(**strings, pnp_id=draw(st.none() | pnp_id))


# (message class, strategy): every message that has an encode -> decode identity.
ROUND_TRIPS: list[tuple[Any, st.SearchStrategy[Any]]] = [
    (ftms.TreadmillData, treadmill_data()),
    (ftms.ControlPointRequest, any_request),
    (ftms.ControlPointResponse, response),
    (ftms.MachineStatus, machine_status()),
    (ftms.TrainingStatus, training_status()),
    (ftms.ServiceData, service_data),
    (ftms.FitnessMachineFeature, feature),
    (ftms.SpeedRange, speed_range),
    (ftms.InclinationRange, inclination_range),
    (HeartRateMeasurement, heart_rate()),
    (dis.PnpId, pnp_id),
]
