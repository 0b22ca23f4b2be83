"""The deviation vocabulary (treadctl.devices.deviations): closed, typed, documented."""

from __future__ import annotations

import dataclasses
from typing import Any, get_args

import pytest

from protocols.ftms import TreadmillDataFlags
from treadctl.devices.deviations import DEVIATION_FIELDS, DeviationError, Deviations, Kind


def test_the_default_is_the_standard_and_every_field_is_documented() -> None:
    assert Deviations().changed() == {}
    assert list(DEVIATION_FIELDS) == [f.name for f in dataclasses.fields(Deviations)]
    for spec in DEVIATION_FIELDS.values():
        assert spec.group and spec.device.endswith(".") and spec.link.endswith(".")
        assert spec.kind in get_args(Kind)


def test_a_table_of_names_reads_into_typed_values() -> None:
    d = Deviations.from_table(
        {
            "requires_control": False,
            "distance_step_m": 10,
            "speed_range_kmh": [0.96, 6.43, 0.32],
            "split_after": "expended_energy",
        },
        "f.toml: device 'x': deviations",
    )
    assert d.requires_control is False and d.distance_step_m == 10
    assert d.speed_range_kmh == (0.96, 6.43, 0.32)
    assert d.split_after is TreadmillDataFlags.EXPENDED_ENERGY
    assert d.changed() == {
        "requires_control": False,
        "speed_range_kmh": [0.96, 6.43, 0.32],
        "split_after": "expended_energy",
        "distance_step_m": 10,
    }


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"needs_start_first": True}, "needs_start_first: not a known deviation"),
        ({"requires_control": "no"}, "requires_control: expected true or false, got 'no'"),
        ({"distance_step_m": 0}, "distance_step_m: expected a whole number >= 1"),
        ({"control_refusals": -1}, "control_refusals: expected a whole number >= 0"),
        ({"speed_refused_after_start_s": -1}, "speed_refused_after_start_s: expected a number"),
        ({"distance_step_m": True}, "distance_step_m: expected a whole number"),
        ({"speed_range_kmh": [6.0, 1.0, 0.1]}, "speed_range_kmh: expected \\[min, max"),
        ({"speed_range_kmh": [1.0, 6.0]}, "speed_range_kmh: expected"),
        ({"split_after": "more_data"}, "split_after: expected a Treadmill Data field group"),
        ({"split_after": 7}, "split_after: expected"),
        ({"incline_step_pct": 0}, "incline_step_pct: expected a number of percent > 0"),
        ({"inclination_range_pct": [5, -6, 1]}, "inclination_range_pct: expected"),
        ({"incline_codes": [[0, 0]]}, "incline_codes: expected \\[\\[percent"),
        ({"incline_codes": [[1, 60], [0, 0]]}, "incline_codes: expected"),
        ({"incline_codes": [[0, 0], [1, 99999]]}, "incline_codes: expected"),
        ({"unlock_write": ["not-a-uuid", "aa"]}, 'unlock_write: expected \\["characteristic'),
        (
            {"unlock_write": ["59554c55-0000-6666-8888-4d4552414348", "zz"]},
            "unlock_write: expected",
        ),
        ({"unlock_write": ["59554c55-0000-6666-8888-4d4552414348", ""]}, "unlock_write: expected"),
        ({"fixed_incline_pct": "steep"}, "fixed_incline_pct: expected a number of percent"),
    ],
)
def test_anything_outside_the_vocabulary_is_one_line_naming_where_and_the_key(
    table: dict[str, Any], message: str
) -> None:
    with pytest.raises(DeviationError, match=f"^f.toml: device 'x': deviations: {message}") as e:
        Deviations.from_table(table, "f.toml: device 'x': deviations")
    assert "\n" not in str(e.value)
    assert isinstance(e.value, ValueError)


def test_merged_puts_the_other_non_standard_fields_on_top() -> None:
    base = Deviations(needs_start_before_speed=True, distance_step_m=10)
    top = Deviations(distance_step_m=5, requires_control=False)
    merged = base.merged(top)
    assert merged == Deviations(
        needs_start_before_speed=True, distance_step_m=5, requires_control=False
    )
    assert base.merged(Deviations()) == base
