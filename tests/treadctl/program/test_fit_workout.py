"""FIT workout files (treadctl.program.fit_workout): import of files written with Garmin's SDK
``Encoder``, export decoded by the SDK's ``Decoder`` and by ``fitdecode``, the round trip, and
hostile files."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fitdecode  # type: ignore[import-untyped]
import pytest
from garmin_fit_sdk import Decoder, Encoder, Profile, Stream

from treadctl.limits import Direction
from treadctl.program import (
    MAX_IMPORT_BYTES,
    Block,
    ImportResult,
    OpenStepChoices,
    Program,
    ProgramError,
    Segment,
    builtin_programs,
    display_speed,
    dump_program,
    parse_program,
)
from treadctl.program.fit_workout import (
    BACKWARD_MARK,
    export_fit_workout,
    load_fit_workout,
    program_to_fit,
    read_fit_workout,
)

MESG = {name: num for num, name in Profile["types"]["mesg_num"].items()}
CREATED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def fit_file(
    steps: list[dict[str, Any]],
    *,
    file_type: str = "workout",
    sport: str = "running",
    name: str = "Garmin intervals",
) -> bytes:
    """A FIT workout written with Garmin's SDK, as a watch app would write one."""
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": MESG["file_id"],
            "type": file_type,
            "manufacturer": "garmin",
            "product": 1,
            "serial_number": 1234,
            "time_created": 1_000_000_000,
        }
    )
    encoder.write_mesg(
        {
            "mesg_num": MESG["workout"],
            "wkt_name": name,
            "sport": sport,
            "num_valid_steps": len(steps),
        }
    )
    for index, step in enumerate(steps):
        encoder.write_mesg({"mesg_num": MESG["workout_step"], "message_index": index, **step})
    return encoder.close()


def time_step(seconds: float, **more: Any) -> dict[str, Any]:
    return {"duration_type": "time", "duration_value": round(seconds * 1000), **more}


def speed_range(low_ms: float, high_ms: float) -> dict[str, Any]:
    return {
        "target_type": "speed",
        "target_value": 0,
        "custom_target_value_low": round(low_ms * 1000),
        "custom_target_value_high": round(high_ms * 1000),
    }


GARMIN_STEPS = [
    # 0: warm-up, 10 min, 2.5–3.0 m/s: the slower end, 2.5 m/s × 3.6 = 9 km/h
    time_step(600, intensity="warmup", notes="Easy does it", **speed_range(2.5, 3.0)),
    # 1: 400 m at 3.333 m/s (low = high): 3.333 × 3.6 = 11.9988 → 12.0 km/h
    {
        "duration_type": "distance",
        "duration_value": 40_000,  # cm
        "intensity": "active",
        "wkt_step_name": "Fast 400",
        **speed_range(3.333, 3.333),
    },
    # 2: recovery 90 s, no target: a rest (the belt stops)
    time_step(90, intensity="recovery", target_type="open"),
    # 3: repeat steps 1–2 five times in all
    {
        "duration_type": "repeat_until_steps_cmplt",
        "duration_value": 1,
        "target_type": "open",
        "target_value": 5,
        "wkt_step_name": "800s",
    },
    # 4: until the lap key, no target: needs the person's duration and speed
    {"duration_type": "open", "target_type": "open", "intensity": "active"},
    # 5: cool-down, 5 min, a range written high-to-low: still the slower end,
    #    2.2 m/s × 3.6 = 7.92 km/h
    time_step(300, intensity="cooldown", **speed_range(2.6, 2.2)),
]


def read(steps: list[dict[str, Any]], **kwargs: Any) -> ImportResult:
    return read_fit_workout(fit_file(steps), "garmin.fit", **kwargs)


def test_a_garmin_workout_converts_to_hand_computed_speeds() -> None:
    result = read(GARMIN_STEPS, choices=OpenStepChoices(speed_kmh=8.0, duration_s=300.0))
    assert result.refusals == []
    program = result.require_program()
    assert program.name == "Garmin intervals"
    warmup, block, lap, cooldown = program.steps
    assert isinstance(warmup, Segment)
    assert (warmup.label, warmup.speed_kmh, warmup.duration_s) == ("Warm-up", 9.0, 600.0)
    assert warmup.cue == "Easy does it"
    assert isinstance(block, Block) and block.repeat == 5 and block.label == "800s"
    fast, recovery = block.steps
    assert isinstance(fast, Segment) and isinstance(recovery, Segment)
    assert (fast.label, fast.speed_kmh, fast.distance_m) == ("Fast 400", 12.0, 400.0)
    assert recovery.rest and recovery.duration_s == 90.0 and recovery.label == "Recovery"
    assert isinstance(lap, Segment)
    assert (lap.label, lap.speed_kmh, lap.duration_s) == ("Step 5", 8.0, 300.0)
    assert isinstance(cooldown, Segment) and cooldown.speed_kmh == 7.92
    assert all(s.direction is Direction.FORWARD for s in (warmup, fast, lap, cooldown))


def test_the_preview_names_source_values_and_speeds_in_both_units() -> None:
    result = read(GARMIN_STEPS, choices=OpenStepChoices(speed_kmh=8.0, duration_s=300.0))
    rows = result.rows
    assert [r.source_path for r in rows] == [f"workout_step[{i}]" for i in range(6)]
    # 2.5 m/s is a pace of 1000/2.5 = 400 s = 6:40 /km; 3 m/s: 333.3 s = 5:33 /km
    assert rows[0].source_value == "2.5–3 m/s (6:40 /km – 5:33 /km), the slower end, 10 min"
    assert rows[1].source_value == "3.333 m/s (5:00 /km), 400 m"
    assert rows[2].converted[0].source_value == "a rest: the belt stops"
    assert rows[3].kind == "repeat" and rows[3].source_value == "steps 1–2, 5 times"
    assert rows[3].paths == ("steps[1]", "steps[1].steps[0]", "steps[1].steps[1]")
    # 9 km/h / 1.609344 = 5.5923 mph; 12 km/h = 7.4565 mph; 7.92 km/h = 4.9212 mph
    assert [display_speed(rows[i].converted[0].speed_kmh, "mph") for i in (0, 1, 5)] == [
        "5.59 mph",
        "7.46 mph",
        "4.92 mph",
    ]
    assert display_speed(rows[5].converted[0].speed_kmh) == "7.92 km/h"


def test_open_steps_are_refused_until_the_person_gives_speed_and_duration() -> None:
    result = read(GARMIN_STEPS)
    assert result.program is None
    assert result.needs_duration and not result.needs_speed  # the first refusal of step 4
    assert str(result.refusals[0]) == (
        "garmin.fit: workout_step[4]: duration_type: expected a duration for this open step "
        "(it ends when the runner presses lap), found none given"
    )
    result = read(GARMIN_STEPS, choices=OpenStepChoices(duration_s=60.0))
    assert result.needs_speed
    assert str(result.refusals[0]) == (
        "garmin.fit: workout_step[4]: target_type: expected a speed for this step (it has no "
        "target: the file leaves it to the runner), found none given"
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            time_step(60, target_type="speed", target_value=3),
            "workout_step[0]: target_value: expected a custom speed range (target_value 0); "
            "a speed zone is the watch's own setting, which the file does not hold, "
            "found speed zone 3",
        ),
        (
            time_step(60, target_type="heart_rate", target_value=2),
            "workout_step[0]: target_type: expected a speed target or none (treadctl sets the "
            "belt's speed: it cannot follow a heart rate target), found heart_rate",
        ),
        (
            {"duration_type": "hr_less_than", "duration_value": 140, **speed_range(2, 2)},
            "workout_step[0]: duration_type: expected a time, a distance or open (a treadmill "
            "step ends on time or distance), found hr_less_than",
        ),
        (
            # 4 294 967 294 ms is 49.7 days
            {"duration_type": "time", "duration_value": 4_294_967_294, **speed_range(2, 2)},
            "duration_value: expected a duration of at most 24 h per step (ms × 1000), "
            "found 4294967294",
        ),
        (
            {"duration_type": "time", "duration_value": 0, **speed_range(2, 2)},
            "duration_value: expected a duration above 0 s (ms × 1000), found 0",
        ),
        (
            # 60 m/s is 216 km/h
            time_step(60, **speed_range(60, 61)),
            "custom_target_value_low: expected a speed of at most 30 km/h (mm/s × 3.6 / 1000), "
            "found 60000",
        ),
        (
            time_step(60, **speed_range(0, 3)),
            "custom_target_value_low: expected a speed above 0 km/h",
        ),
        (
            time_step(60, target_type="speed", target_value=0),
            "custom_target_value_low: expected a speed range in mm/s (m/s × 1000), found nothing",
        ),
    ],
)
def test_a_step_that_cannot_convert_is_refused_naming_step_and_field(
    step: dict[str, Any], message: str
) -> None:
    result = read([step])
    assert result.program is None
    assert message in str(result.refusals[0])
    assert str(result.refusals[0]).startswith("garmin.fit: workout_step[0]: ")


@pytest.mark.parametrize(
    ("repeat", "message"),
    [
        (
            {"duration_value": 5, "target_value": 2},
            "workout_step[2]: duration_value: expected the index of an earlier step to "
            "repeat from, found 5",
        ),
        (
            {"duration_value": 0, "target_value": 0},
            "workout_step[2]: target_value: expected a whole number of repetitions from 1 "
            "to 100, found 0",
        ),
        (
            {"duration_value": 0, "target_value": 101},
            "found 101",
        ),
    ],
)
def test_a_repeat_that_cannot_be_followed_is_refused(repeat: dict[str, Any], message: str) -> None:
    steps = [
        time_step(60, **speed_range(2, 2)),
        time_step(60, **speed_range(2, 2)),
        {"duration_type": "repeat_until_steps_cmplt", "target_type": "open", **repeat},
    ]
    result = read(steps)
    assert result.program is None
    assert message in str(result.refusals[0])


def test_nested_repeats_nest_and_overlapping_ones_are_refused() -> None:
    step = time_step(60, **speed_range(2, 2))
    repeat = {"duration_type": "repeat_until_steps_cmplt", "target_type": "open"}
    nested = [
        step,
        step,
        {**repeat, "duration_value": 1, "target_value": 3},  # steps 1 × 3
        {**repeat, "duration_value": 0, "target_value": 2},  # steps 0–2 × 2
    ]
    program = read(nested).require_program()
    (outer,) = program.steps
    assert isinstance(outer, Block) and outer.repeat == 2
    assert isinstance(outer.steps[1], Block) and outer.steps[1].repeat == 3
    assert len(program.segments()) == 2 * (1 + 3)
    overlapping = [
        step,
        step,
        {**repeat, "duration_value": 0, "target_value": 3},  # steps 0–1 × 3
        step,
        {**repeat, "duration_value": 1, "target_value": 2},  # from inside the group above
    ]
    result = read(overlapping)
    assert "workout_step[4]: duration_value: expected the first step of a group" in str(
        result.refusals[0]
    )


def test_a_backward_marker_in_a_name_is_read_as_backward() -> None:
    result = read(
        [
            time_step(
                120,
                wkt_step_name=f"{BACKWARD_MARK}Retro walk · incline 2 %",
                **speed_range(0.7, 0.8),
            )
        ]
    )
    (step,) = result.require_program().steps
    assert isinstance(step, Segment)
    # 0.7 m/s × 3.6 = 2.52 km/h
    assert (step.direction, step.label, step.incline_pct, step.speed_kmh) == (
        Direction.BACKWARD,
        "Retro walk",
        2.0,
        2.52,
    )
    assert "backward (from the step's name)" in result.rows[0].converted[0].source_value


# --- whole-file problems ----------------------------------------------------------------


def good() -> bytes:
    return fit_file([time_step(60, **speed_range(2, 2))])


def test_a_cut_off_file_is_one_sentence() -> None:
    data = good()
    with pytest.raises(ProgramError) as caught:
        read_fit_workout(data[:-10], "cut.fit")
    assert str(caught.value) == (
        f"cut.fit: expected a whole FIT file ({len(data)} bytes, as its header says), "
        f"found {len(data) - 10} bytes: the file is cut short"
    )


def test_a_wrong_crc_is_one_sentence() -> None:
    data = bytearray(good())
    data[20] ^= 0xFF  # a byte of the messages: the file CRC no longer matches
    with pytest.raises(
        ProgramError,
        match=r"^bad\.fit: expected a FIT file whose CRC matches "
        r"its contents, found CRC 0x[0-9a-f]{4} where the contents give "
        r"0x[0-9a-f]{4} \(a damaged file\)$",
    ):
        read_fit_workout(bytes(data), "bad.fit")


def test_a_damaged_header_is_one_sentence() -> None:
    data = bytearray(good())
    data[12] ^= 0xFF  # the header's own CRC
    with pytest.raises(ProgramError, match="expected a FIT header whose CRC matches"):
        read_fit_workout(bytes(data), "bad.fit")


@pytest.mark.parametrize("data", [b"", b"hello", b"<workout_file/>", b"\x0e" + b"\x00" * 20])
def test_something_that_is_not_fit_is_one_sentence(data: bytes) -> None:
    with pytest.raises(ProgramError) as caught:
        read_fit_workout(data, "x.fit")
    assert (
        str(caught.value)
        == 'x.fit: expected a FIT file (a header saying ".FIT"), found something else'
    )


def test_an_activity_file_is_not_a_workout() -> None:
    with pytest.raises(ProgramError) as caught:
        read_fit_workout(fit_file([], file_type="activity"), "run.fit")
    assert str(caught.value) == (
        "run.fit: file_id: expected a FIT workout file (file type workout), found a file of "
        "type activity"
    )


def test_a_cycling_workout_is_refused() -> None:
    with pytest.raises(ProgramError, match="workout: sport: expected a running or walking"):
        read_fit_workout(fit_file([time_step(60)], sport="cycling"), "ride.fit")


def test_a_workout_without_steps_is_one_sentence() -> None:
    with pytest.raises(ProgramError, match="workout_step: expected at least one workout step"):
        read_fit_workout(fit_file([]), "empty.fit")


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.fit"
    path.write_bytes(good() + b"\x00" * MAX_IMPORT_BYTES)
    with pytest.raises(ProgramError, match="expected a FIT workout file of at most 1024 kB"):
        load_fit_workout(path)


def test_a_garbled_message_is_the_sdks_sentence_not_a_traceback() -> None:
    # A definition message naming a base type that does not exist, in a file whose CRC is
    # right: the SDK refuses it, and that is one sentence.
    from garmin_fit_sdk import CrcCalculator

    body = bytes([0x40, 0, 0, 0, 0, 1, 0, 1, 0x7F])  # field 0, size 1, base type 0x7F
    header = bytearray(14)
    header[0], header[1] = 14, 0x20
    header[2:4] = (2200).to_bytes(2, "little")
    header[4:8] = len(body).to_bytes(4, "little")
    header[8:12] = b".FIT"
    header[12:14] = CrcCalculator.calculate_crc(bytes(header), 0, 12).to_bytes(2, "little")
    data = bytes(header) + body
    data += CrcCalculator.calculate_crc(data, 0, len(data)).to_bytes(2, "little")
    with pytest.raises(ProgramError) as caught:
        read_fit_workout(data, "odd.fit")
    assert str(caught.value).startswith("odd.fit: expected a FIT file Garmin's FIT SDK can read")


# --- export -----------------------------------------------------------------------------

EXPORTED = """\
name = "Backward intervals"
description = "Not in FIT"

[[steps]]
label = "Warm-up"
direction = "forward"
speed = "4.5 km/h"
duration = "5 min"
cue = "Hold the rails"

[[steps]]
label = "Intervals"
repeat = 3
  [[steps.steps]]
  label = "Retro walk"
  direction = "backward"
  speed = "2.52 km/h"
  incline = "2 %"
  duration = "2 min"

  [[steps.steps]]
  repeat = 2
    [[steps.steps.steps]]
    label = "Jog"
    direction = "forward"
    speed = "9 km/h"
    distance = "400 m"

[[steps]]
rest = true
duration = "10 min"
cue = "Drink"
"""


def sdk_steps(data: bytes) -> list[tuple[Any, ...]]:
    decoder = Decoder(Stream.from_byte_array(bytearray(data)))
    assert decoder.check_integrity()
    messages, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
        apply_scale_and_offset=False,
        expand_sub_fields=False,
        merge_heart_rates=False,
        expand_components=False,
    )
    assert errors == []
    assert messages["file_id_mesgs"][0]["type"] == "workout"
    workout = messages["workout_mesgs"][0]
    assert workout["num_valid_steps"] == len(messages["workout_step_mesgs"])
    return [_step_tuple(m) for m in messages["workout_step_mesgs"]]


FIELD_NAMES = {
    num: field["name"] for num, field in Profile["messages"][MESG["workout_step"]]["fields"].items()
}


def fitdecode_steps(path: Path) -> list[tuple[Any, ...]]:
    steps = []
    with fitdecode.FitReader(
        str(path),
        check_crc=fitdecode.CrcCheck.RAISE,
        error_handling=fitdecode.ErrorHandling.RAISE,
    ) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "workout_step":
                # fitdecode names a dynamic field after its sub-field (duration_time …): the
                # profile's field numbers say which field each is; enums by name, the rest raw.
                steps.append(
                    {
                        FIELD_NAMES[f.def_num]: f.value if f.def_num in (1, 3, 7) else f.raw_value
                        for f in frame.fields
                        if f.def_num in FIELD_NAMES
                    }
                )
    return [_step_tuple(m) for m in steps]


def _step_tuple(m: Mapping[str, Any]) -> tuple[Any, ...]:
    return (
        m.get("message_index"),
        m.get("wkt_step_name"),
        m.get("duration_type"),
        m.get("duration_value"),
        m.get("target_type"),
        m.get("target_value"),
        m.get("custom_target_value_low"),
        m.get("custom_target_value_high"),
        m.get("intensity"),
        m.get("notes"),
    )


def test_an_export_decodes_with_the_sdk_and_fitdecode_to_the_same_steps(tmp_path: Path) -> None:
    program = parse_program(EXPORTED)
    path = export_fit_workout(program, tmp_path / "out.fit", created=CREATED)
    data = path.read_bytes()
    expected = [
        # 4.5 km/h = 1.25 m/s = 1250 mm/s; the top of the range 5 % faster: 1312.5 → 1312
        (0, "Warm-up", "time", 300_000, "speed", 0, 1250, 1312, "active", "Hold the rails"),
        # 2.52 km/h = 0.7 m/s = 700 mm/s; 735 mm/s at the top
        (
            1,
            "Backward · Retro walk · incline 2 %",
            "time",
            120_000,
            "speed",
            0,
            700,
            735,
            "active",
            None,
        ),
        # 9 km/h = 2.5 m/s = 2500 mm/s; 400 m = 40 000 cm
        (2, "Jog", "distance", 40_000, "speed", 0, 2500, 2625, "active", None),
        (3, None, "repeat_until_steps_cmplt", 2, "open", 2, None, None, None, None),
        (4, "Intervals", "repeat_until_steps_cmplt", 1, "open", 3, None, None, None, None),
        (5, "Rest", "time", 600_000, "open", None, None, None, "rest", "Drink"),
    ]
    assert sdk_steps(data) == expected
    assert fitdecode_steps(path) == expected
    assert not list(tmp_path.glob(".*.part"))  # the temporary file is gone


def test_importing_an_export_gives_the_program_back() -> None:
    program = parse_program(EXPORTED)
    result = read_fit_workout(program_to_fit(program, created=CREATED), "out.fit")
    back = result.require_program()
    assert back.steps == program.steps
    assert back.name == program.name
    # What FIT cannot carry: the description.
    assert back.description == "" and program.description == "Not in FIT"


@pytest.mark.parametrize("program", builtin_programs(), ids=lambda p: p.name)
def test_every_builtin_program_survives_a_round_trip(program: Program) -> None:
    back = read_fit_workout(program_to_fit(program, created=CREATED), "b.fit").require_program()
    assert back.steps == program.steps


def test_an_export_is_deterministic_for_a_given_time_and_differs_per_program() -> None:
    program = parse_program(EXPORTED)
    assert program_to_fit(program, created=CREATED) == program_to_fit(program, created=CREATED)
    other = parse_program(EXPORTED.replace("Backward intervals", "Other"))
    serials = []
    for p in (program, other):
        messages, _ = Decoder(Stream.from_byte_array(bytearray(program_to_fit(p)))).read()
        serials.append(messages["file_id_mesgs"][0]["serial_number"])
    assert serials[0] != serials[1]


def test_texts_longer_than_a_fit_string_are_shortened_to_254_bytes() -> None:
    label = "é" * 200  # 400 bytes in UTF-8
    cue = "x" * 1000
    program = parse_program(
        f'name = "Long"\n[[steps]]\nlabel = "{label}"\ndirection = "backward"\n'
        f'speed = "2 km/h"\nduration = "1 min"\ncue = "{cue}"\n'
    )
    messages, errors = Decoder(
        Stream.from_byte_array(bytearray(program_to_fit(program, created=CREATED)))
    ).read()
    assert errors == []
    (step,) = messages["workout_step_mesgs"]
    name, notes = step["wkt_step_name"], step["notes"]
    assert isinstance(name, str) and isinstance(notes, str)
    assert name.startswith(BACKWARD_MARK) and name.endswith("…")
    assert len(name.encode()) <= 254
    assert len(notes.encode()) <= 254 and notes.endswith("…")
    # ... and read back, the shortened texts are still a valid program.
    back = read_fit_workout(program_to_fit(program, created=CREATED), "l.fit").require_program()
    assert dump_program(back)


def test_reading_programs_does_not_load_the_fit_sdk() -> None:
    # The window imports treadctl.program early; the SDK's ~0.2 s waits for a FIT file.
    import subprocess
    import sys

    code = (
        "import sys, treadctl.program as p\n"
        "before = 'garmin_fit_sdk' in sys.modules\n"
        "p.program_to_fit\n"
        "print(before, 'garmin_fit_sdk' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.split() == ["False", "True"]
