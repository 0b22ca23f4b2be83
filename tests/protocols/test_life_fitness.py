"""The Life Fitness setup as data (protocols.life_fitness), against the sources' bytes."""

from __future__ import annotations

from protocols import life_fitness as lf


def test_the_setup_is_the_sources_sequence_with_nothing_of_the_person() -> None:
    # TrackMyIndoorWorkout lib/devices/life_fitness.dart, life_fitness_mixin.dart prePumpConfig.
    assert [(s.characteristic[4:8], s.value.hex(), s.after_s) for s in lf.SETUP] == [
        ("58dc", "01", 2.0),
        ("2a8a", "00", 2.0),  # first name: empty
        ("2a90", "00", 0.5),  # last name: empty
        ("2a87", "00", 0.5),  # email: empty
        ("2a80", "23", 0.5),  # age 35
        ("2a8c", "02", 0.5),  # gender unspecified
        ("2aa2", "656e", 0.5),  # "en"
        ("4cf2", lf.TOKEN.hex(), 0.5),
        ("e85e", "00", 0.5),
        ("2a98", "b036", 0.5),  # 70 kg in 0.005 kg: 14000
        ("2a8e", "aa00", 0.5),  # 170 cm
        ("69e2", "00000001b85b5d", 0.5),
        ("58dc", "02", 0.5),
    ]
    assert lf.TOKEN.hex(" ") == (
        "66 37 37 61 62 38 32 62 37 61 32 34 34 30 30 37 "
        "38 66 33 33 63 35 61 61 36 65 65 37 61 33 31 62"
    )


def test_every_characteristic_it_writes_is_served_by_one_of_its_two_services() -> None:
    written = {s.characteristic for s in lf.SETUP}
    assert written <= lf.SETUP_CHARACTERISTICS
    assert lf.SETUP_CHARACTERISTICS - written == {lf.STATUS_UUID}  # subscribed, not written
    assert set(lf.CONTROL_CHARACTERISTICS).isdisjoint(lf.USER_CHARACTERISTICS)
    # The vendor ones on qdomyos-zwift's bases; User Data on the Bluetooth base.
    assert lf.UNITS_UUID == "ce78e85e-9cb6-11e5-8994-feff819cdc9f"
    assert lf.FIRST_NAME_UUID == "00002a8a-0000-1000-8000-00805f9b34fb"
