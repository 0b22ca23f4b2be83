"""Race paces (treadctl.program.paces): zones, parsing and formatting, RunPaces."""

from __future__ import annotations

import pytest

from treadctl.program import PaceZone, RunPaces, display_speed, format_pace, parse_pace


@pytest.mark.parametrize(
    ("text", "seconds_per_km"),
    [
        ("4:30/km", 270.0),
        ("4:30 /km", 270.0),
        (" 4:30 min/km ", 270.0),
        ("10:00/km", 600.0),
        # 7:15 per mile = 435 s / 1.609344 km = 270.2945… s per km
        ("7:15/mi", 435 / 1.609344),
        ("7:15 /mile", 435 / 1.609344),
    ],
)
def test_paces_parse_to_seconds_per_km(text: str, seconds_per_km: float) -> None:
    assert parse_pace(text) == pytest.approx(seconds_per_km, rel=1e-15)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("4:30", "per km or mile"),
        ("4.5 km/h", "per km or mile"),
        ("4:75/km", "per km or mile"),  # seconds 75: not a pace
        ("1:59/km", "from 2:00 /km to 60:00 /km"),  # faster than 30 km/h
        ("61:00/km", "from 2:00 /km to 60:00 /km"),
    ],
)
def test_a_bad_pace_says_what_was_expected(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_pace(text)


def test_paces_format_rounded_to_the_second_per_km_or_mile() -> None:
    assert format_pace(270.0) == "4:30 /km"
    assert format_pace(270.4) == "4:30 /km"
    # 270 s/km × 1.609344 = 434.52 s per mile → 7:15 (rounded)
    assert format_pace(270.0, "mi") == "7:15 /mi"


def test_zones_have_zwo_numbers_from_0_and_names_for_the_command_line() -> None:
    assert [z.zwo_index for z in PaceZone] == [0, 1, 2, 3, 4]
    assert PaceZone.from_zwo("0") is PaceZone.MILE
    assert PaceZone.from_zwo(" 4 ") is PaceZone.MARATHON
    for bad in ("5", "-1", "1.0", "", "8268"):
        with pytest.raises(ValueError):
            PaceZone.from_zwo(bad)
    assert PaceZone.parse("5K") is PaceZone.K5
    assert PaceZone.parse("half-marathon") is PaceZone.HALF
    assert PaceZone.parse("1 mi") is PaceZone.MILE
    with pytest.raises(ValueError, match="expected one of mile, 5k, 10k, half, marathon"):
        PaceZone.parse("3k")


def test_run_paces_hold_a_pace_per_given_zone_and_turn_it_into_a_speed() -> None:
    paces = RunPaces.parse(["5k=5:00/km", "marathon=12:00/mi"])
    assert paces.given == {PaceZone.K5, PaceZone.MARATHON}
    assert paces.get(PaceZone.K5) == 300.0
    assert paces.speed_kmh(PaceZone.K5) == 12.0  # 3600 / 300
    # 12:00 /mi is 5 mph = 8.04672 km/h
    assert paces.speed_kmh(PaceZone.MARATHON) == pytest.approx(8.04672)
    assert paces.get(PaceZone.K10) is None and paces.speed_kmh(PaceZone.K10) is None
    assert paces.with_pace(PaceZone.K10, 360.0).speed_kmh(PaceZone.K10) == 10.0


@pytest.mark.parametrize(
    ("items", "says"),
    [
        (["5k"], "expected ZONE=PACE"),
        (["3k=4:00/km"], "no pace zone '3k'"),
        (["5k=4:00/km", "5K=4:10/km"], "5 km pace is given twice"),
        (["5k=fast"], "expected a pace"),
    ],
)
def test_run_paces_parse_refuses_with_a_sentence(items: list[str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        RunPaces.parse(items)


def test_run_paces_refuse_a_pace_outside_the_plausible_range() -> None:
    with pytest.raises(ValueError, match="5 km pace must be"):
        RunPaces(k5=float("nan"))
    with pytest.raises(ValueError, match="marathon pace must be"):
        RunPaces(marathon=10.0)


def test_display_speed_in_kmh_and_mph() -> None:
    assert display_speed(12.666) == "12.67 km/h"
    assert display_speed(12.0) == "12 km/h"
    # 16.09344 km/h is exactly 10 mph
    assert display_speed(16.09344, "mph") == "10 mph"
    # 12 / 1.609344 = 7.4564… mph
    assert display_speed(12.0, "mph") == "7.46 mph"
    with pytest.raises(ValueError, match="one of km/h, mph"):
        display_speed(1.0, "knots")


def test_run_paces_round_trip_through_the_dict_a_profile_stores() -> None:
    paces = RunPaces.parse(["5k=4:30/km", "marathon=8:00/mi"])
    # 8:00 /mi = 480 s / 1.609344 km = 298.258… s per km
    assert paces.to_dict() == {"5k": 270.0, "marathon": pytest.approx(298.2582, abs=1e-4)}
    assert RunPaces.from_dict(paces.to_dict()) == paces
    assert RunPaces().to_dict() == {}
    assert RunPaces.from_dict({"10k": 360}) == RunPaces(k10=360.0)


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ([270.0], "expected a mapping of zone to seconds per km"),
        ({"3k": 270.0}, "no pace zone '3k'"),
        ({"5k": "4:30"}, "5 km pace: expected seconds per km"),
        ({"5k": True}, "5 km pace: expected seconds per km"),
        ({"5k": 10.0}, "5 km pace must be from 120 to 3600"),
    ],
)
def test_run_paces_from_a_dict_refuse_what_is_not_one(data: object, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        RunPaces.from_dict(data)


def test_typed_paces_go_over_stored_ones_and_a_pace_can_be_cleared() -> None:
    stored = RunPaces(mile=240.0, k5=300.0)
    typed = RunPaces(k5=270.0, half=400.0)
    assert stored.merged(typed) == RunPaces(mile=240.0, k5=270.0, half=400.0)
    assert stored.merged(RunPaces()) == stored
    assert stored.with_pace(PaceZone.MILE, None) == RunPaces(k5=300.0)
