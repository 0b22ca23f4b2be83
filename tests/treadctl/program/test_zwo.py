"""Zwift run workouts (treadctl.program.zwo): every step kind against hand-computed speeds,
distance workouts, text events, refusals, and hostile files.

The files are written here after the format's references (h4l/zwift-workout-file-reference,
zwo-editor's writer): ``pace`` 0 … 4 picks 1 mile … marathon pace, and a Power fraction
multiplies that pace's *speed*.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from treadctl.limits import Direction, Limits
from treadctl.program import (
    MAX_IMPORT_BYTES,
    Block,
    ImportResult,
    OpenStepChoices,
    PaceZone,
    ProgramError,
    RunPaces,
    Segment,
    display_speed,
    load_zwo,
    read_zwo,
)

# Paces chosen so that each zone's speed is a round number:
#   1 mile 4:00 /km = 240 s → 3600/240 = 15 km/h      5 km 5:00 /km = 300 s → 12 km/h
#   10 km 6:00 /km = 360 s → 10 km/h                   half 6:40 /km = 400 s → 9 km/h
#   marathon 7:30 /km = 450 s → 8 km/h
PACES = RunPaces(mile=240.0, k5=300.0, k10=360.0, half=400.0, marathon=450.0)


def zwo(steps: str, *, sport: str = "run", duration_type: str | None = None) -> bytes:
    kind = f"<durationType>{duration_type}</durationType>" if duration_type else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        "<workout_file>\n"
        "  <author>Test</author>\n"
        "  <name>Test run</name>\n"
        "  <description>Every step kind</description>\n"
        f"  <sportType>{sport}</sportType>\n"
        f"  {kind}\n"
        "  <tags/>\n"
        f"  <workout>\n{steps}\n  </workout>\n"
        "</workout_file>\n"
    ).encode()


def read(steps: str, **kwargs: object) -> ImportResult:
    paces = kwargs.pop("paces", PACES)
    assert isinstance(paces, RunPaces)
    choices = kwargs.pop("choices", None)
    assert choices is None or isinstance(choices, OpenStepChoices)
    duration_type = kwargs.pop("duration_type", None)
    assert duration_type is None or isinstance(duration_type, str)
    return read_zwo(
        zwo(steps, duration_type=duration_type), "run.zwo", paces=paces, choices=choices
    )


def speeds(result: ImportResult, row: int) -> list[float]:
    return [c.speed_kmh for c in result.rows[row].converted]


EVERY_KIND = """
    <Warmup Duration="300" PowerLow="0.5" PowerHigh="1.0" pace="1"/>
    <SteadyState Duration="600" Power="0.95" pace="1"/>
    <IntervalsT Repeat="3" OnDuration="60" OffDuration="120" OnPower="1.1" OffPower="0.6"
                pace="0"/>
    <Ramp Duration="60" PowerLow="0.8" PowerHigh="1.0" pace="2"/>
    <SteadyState Duration="120" PowerLow="0.9" PowerHigh="1.0" pace="3"/>
    <FreeRide Duration="300"/>
    <Cooldown Duration="60" PowerLow="0.9" PowerHigh="0.6" pace="4"/>
"""


def test_every_step_kind_converts_to_hand_computed_speeds() -> None:
    result = read(EVERY_KIND, choices=OpenStepChoices(speed_kmh=8.0))
    assert result.refusals == []
    program = result.require_program()
    assert program.name == "Test run" and program.description == "Every step kind"

    # Warmup, 5 km pace (12 km/h), 0.5 → 1.0 over 300 s: ten 30 s pieces, piece i at the
    # ramp's value at its middle (15 + 30 i s): 0.5 + 0.5 × (15 + 30 i) / 300
    #   = 0.525, 0.575, …, 0.975 → × 12 = 6.3, 6.9, …, 11.7 km/h (0.6 km/h apart)
    assert speeds(result, 0) == pytest.approx([6.3 + 0.6 * i for i in range(10)])
    warmup = program.steps[0]
    assert isinstance(warmup, Block) and warmup.repeat == 1 and warmup.label == "Warm-up"
    assert [s.duration_s for s in warmup.steps if isinstance(s, Segment)] == [30.0] * 10
    # SteadyState 0.95 × 12 km/h = 11.4 km/h
    assert speeds(result, 1) == [11.4]
    # IntervalsT, 1 mile pace (15 km/h): on 1.1 × 15 = 16.5 km/h, off 0.6 × 15 = 9 km/h
    assert speeds(result, 2) == [16.5, 9.0]
    intervals = program.steps[2]
    assert isinstance(intervals, Block) and intervals.repeat == 3
    assert [s.duration_s for s in intervals.steps if isinstance(s, Segment)] == [60.0, 120.0]
    assert [s.label for s in intervals.steps if isinstance(s, Segment)] == [
        "Interval",
        "Recovery",
    ]
    # Ramp, 10 km pace (10 km/h), 0.8 → 1.0 over 60 s: two pieces, middles at 15 and 45 s:
    #   0.8 + 0.2 × 15/60 = 0.85 → 8.5 km/h;  0.8 + 0.2 × 45/60 = 0.95 → 9.5 km/h
    assert speeds(result, 3) == [8.5, 9.5]
    # A range: the lower end, 0.9 × half marathon pace (9 km/h) = 8.1 km/h
    assert speeds(result, 4) == [8.1]
    assert "lower end" in result.rows[4].source_value
    # FreeRide: the person's free-run speed
    assert speeds(result, 5) == [8.0]
    # Cooldown, marathon pace (8 km/h), 0.9 → 0.6 over 60 s:
    #   0.9 − 0.3 × 15/60 = 0.825 → 6.6 km/h;  0.9 − 0.3 × 45/60 = 0.675 → 5.4 km/h
    assert speeds(result, 6) == [6.6, 5.4]
    # Every step forward: a person marks steps backward in the editor.
    assert all(p.segment.direction is Direction.FORWARD for p in program.segments())


def test_the_preview_shows_speeds_in_kmh_and_mph() -> None:
    result = read(EVERY_KIND, choices=OpenStepChoices(speed_kmh=8.0))
    steady = result.rows[1].converted[0]
    assert steady.source_value == "95 % of 5 km pace (5:00 /km)"
    assert result.rows[1].source_value == "95 % of 5 km pace (5:00 /km), 10 min"
    # 11.4 km/h / 1.609344 = 7.0836… mph
    assert display_speed(steady.speed_kmh) == "11.4 km/h"
    assert display_speed(steady.speed_kmh, "mph") == "7.08 mph"
    # 16.5 km/h / 1.609344 = 10.2527… mph
    assert display_speed(result.rows[2].converted[0].speed_kmh, "mph") == "10.25 mph"
    # 6.3 km/h / 1.609344 = 3.9146… mph
    assert display_speed(result.rows[0].converted[0].speed_kmh, "mph") == "3.91 mph"
    assert result.rows[2].source_value == (
        "3 × (1 min at 110 % + 2 min at 60 %) of 1 mile pace (4:00 /km)"
    )


def test_speeds_are_rounded_to_a_hundredth_of_a_kmh() -> None:
    # 5 km pace 4:30 /km = 270 s: 3600 / 270 × 0.95 = 12.666… → 12.67 km/h
    result = read('<SteadyState Duration="60" Power="0.95" pace="1"/>', paces=RunPaces(k5=270.0))
    assert speeds(result, 0) == [12.67]
    # 12.67 / 1.609344 = 7.8727… mph
    assert display_speed(12.67, "mph") == "7.87 mph"


def test_a_distance_workout_reads_durations_as_metres() -> None:
    result = read(
        """
        <SteadyState Duration="1000" Power="1.0" pace="1"/>
        <Ramp Duration="230" PowerLow="0.8" PowerHigh="1.0" pace="1">
          <textevent distoffset="0" message="Build"/>
        </Ramp>
        """,
        duration_type="distance",
    )
    program = result.require_program()
    first = program.steps[0]
    assert isinstance(first, Segment)
    assert first.distance_m == 1000.0 and first.duration_s is None
    assert first.speed_kmh == 12.0
    ramp = program.steps[1]
    assert isinstance(ramp, Block)
    # 230 m in 100 m pieces: 100, then 130 (the last 30 m, under half a piece, joins it).
    # Middles at 50 and 165 m: 0.8 + 0.2 × 50/230 = 0.84348 → × 12 = 10.12 km/h;
    #                          0.8 + 0.2 × 165/230 = 0.94348 → × 12 = 11.32 km/h
    pieces = [s for s in ramp.steps if isinstance(s, Segment)]
    assert [s.distance_m for s in pieces] == [100.0, 130.0]
    assert [s.speed_kmh for s in pieces] == [10.12, 11.32]
    assert pieces[0].cue == "Build" and pieces[1].cue is None


def test_text_events_become_cues_where_they_fall() -> None:
    result = read(
        """
        <SteadyState Duration="600" Power="1.0" pace="1">
          <textevent timeoffset="0" message="Settle in"/>
          <textevent timeoffset="300" message="Halfway"/>
          <TextEvent TimeOffset="300" message="Relax your shoulders"/>
          <textevent timeoffset="599.5" message="Nearly"/>
          <textevent timeoffset="2000" message="Late"/>
        </SteadyState>
        <IntervalsT Repeat="2" OnDuration="60" OffDuration="60" OnPower="1" OffPower="0.8"
                    pace="1">
          <textevent timeoffset="30" message="Push"/>
        </IntervalsT>
        """
    )
    program = result.require_program()
    steady = program.steps[0]
    assert isinstance(steady, Block)
    # Split at 300 s; the event at 599.5 s would make a 0.5 s piece, so it joins the last one;
    # the one past the end is shown at the start, with a note.
    first, second = (s for s in steady.steps if isinstance(s, Segment))
    assert (first.duration_s, second.duration_s) == (300.0, 300.0)
    assert first.cue == "Settle in / Late"
    assert second.cue == "Halfway / Relax your shoulders / Nearly"
    assert any("past the step's end" in n for n in result.notes)
    intervals = program.steps[1]
    assert isinstance(intervals, Block)
    assert isinstance(intervals.steps[0], Segment) and intervals.steps[0].cue == "Push"
    assert any("shown when each interval starts" in n for n in result.notes)


def test_paths_link_source_steps_to_program_steps() -> None:
    result = read(EVERY_KIND, choices=OpenStepChoices(speed_kmh=8.0))
    assert result.rows[2].source_path == "workout[2] (IntervalsT)"
    assert result.rows[2].paths == ("steps[2]", "steps[2].steps[0]", "steps[2].steps[1]")
    assert [c.path for c in result.rows[1].converted] == ["steps[1]"]


def test_limits_fit_the_imported_program_with_notices() -> None:
    result = read(EVERY_KIND, choices=OpenStepChoices(speed_kmh=8.0))
    fitted, notices = result.fitted(Limits(forward_max_speed_kmh=12.0))
    # Only the 16.5 km/h interval is above 12 km/h.
    assert [(n.path, n.requested, n.allowed) for n in notices] == [
        ("steps[2].steps[0]", 16.5, 12.0)
    ]
    assert fitted.steps[2] != result.require_program().steps[2]


def test_a_missing_pace_is_asked_for_not_guessed() -> None:
    result = read(EVERY_KIND, paces=RunPaces(k5=300.0), choices=OpenStepChoices(speed_kmh=8.0))
    assert result.program is None
    assert result.needed_zones == {
        PaceZone.MILE,
        PaceZone.K10,
        PaceZone.HALF,
        PaceZone.MARATHON,
    }
    refusal = result.rows[2].refusal
    assert refusal is not None and refusal.zone is PaceZone.MILE
    assert str(refusal) == (
        "run.zwo: workout[2] (IntervalsT): pace: expected your 1 mile pace (this step is "
        "written against it), found none given"
    )
    with pytest.raises(ProgramError, match=r"workout\[2\] \(IntervalsT\): pace"):
        result.require_program()
    # The steps that did convert are still in the preview.
    assert speeds(result, 1) == [11.4]


def test_a_free_run_needs_the_persons_speed() -> None:
    result = read('<FreeRide Duration="300" FlatRoad="1"/>')
    assert result.program is None and result.needs_speed
    assert str(result.refusals[0]) == (
        "run.zwo: workout[0] (FreeRide): speed: expected a speed for this free run (the file "
        "leaves it to the runner), found none given"
    )


@pytest.mark.parametrize(
    ("step", "message"),
    [
        (
            '<SteadyState Duration="60" Power="1" pace="7"/>',
            "workout[0] (SteadyState): pace: expected a race pace 0 to 4 (0 1 mile, 1 5 km, "
            '2 10 km, 3 half marathon, 4 marathon), found "7"',
        ),
        (
            '<SteadyState Duration="60" Power="1"/>',
            "workout[0] (SteadyState): pace: expected a race pace 0 to 4",
        ),
        (
            '<SteadyState Duration="NaN" Power="1" pace="1"/>',
            'workout[0] (SteadyState): Duration: expected a plain decimal number, found "NaN"',
        ),
        (
            '<SteadyState Duration="1e308" Power="1" pace="1"/>',
            "workout[0] (SteadyState): Duration: expected a duration of at most 24 h per step",
        ),
        (
            '<SteadyState Duration="1e309" Power="1" pace="1"/>',
            'Duration: expected a finite number, found "1e309"',
        ),
        (
            '<SteadyState Duration="-60" Power="1" pace="1"/>',
            'Duration: expected a duration above 0 s (in seconds), found "-60"',
        ),
        (
            '<SteadyState Duration="60" Power="1e308" pace="1"/>',
            "Power: expected a fraction of the race pace above 0 and at most 3",
        ),
        (
            '<SteadyState Duration="60" Power="0" pace="1"/>',
            "Power: expected a fraction of the race pace above 0",
        ),
        (
            '<SteadyState Duration="60" pace="1"/>',
            "Power: expected a fraction of the race pace (1.0 is the pace itself), found nothing",
        ),
        (
            # 2.5 × 1 mile pace (15 km/h) = 37.5 km/h: above the format's 30 km/h
            '<SteadyState Duration="60" Power="2.5" pace="0"/>',
            "Power: expected a speed of at most 30 km/h (the fraction × the race pace), "
            "found 250 %: 37.5 km/h",
        ),
        (
            '<IntervalsT Repeat="1000" OnDuration="60" OffDuration="60" OnPower="1" '
            'OffPower="1" pace="1"/>',
            'Repeat: expected a whole number of repetitions from 1 to 100, found "1000"',
        ),
        (
            '<IntervalsT Repeat="2.5" OnDuration="60" OffDuration="60" OnPower="1" '
            'OffPower="1" pace="1"/>',
            "Repeat: expected a whole number of repetitions from 1 to 100",
        ),
        (
            '<MaxEffort Duration="30"/>',
            "workout[0] (MaxEffort): expected a step with a target pace (a belt cannot "
            "follow an all-out effort",
        ),
        (
            "<RestDay/>",
            "workout[0] (RestDay): expected a step of a run workout",
        ),
    ],
)
def test_a_step_that_cannot_convert_is_refused_naming_step_and_field(
    step: str, message: str
) -> None:
    result = read(step)
    assert result.program is None
    assert len(result.refusals) == 1
    assert str(result.refusals[0]).startswith("run.zwo: ")
    assert message in str(result.refusals[0])


def test_too_many_segments_in_all_is_refused() -> None:
    # 51 interval sets × 100 repetitions × 2 segments = 10 200 > 10 000
    step = (
        '<IntervalsT Repeat="100" OnDuration="10" OffDuration="10" OnPower="1" OffPower="1" '
        'pace="1"/>'
    )
    result = read("\n".join([step] * 51))
    assert result.program is None
    assert str(result.refusals[-1]) == (
        "run.zwo: steps: expected at most 10000 segments with repetitions expanded, found 10200"
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zwo("", sport="bike"), 'sportType: expected "run" (a Zwift run workout'),
        (zwo("").replace(b"<sportType>run</sportType>", b""), "found nothing"),
        (b"not xml at all", "expected well-formed XML (a Zwift .zwo workout), found syntax error"),
        (b"<workout_file><name>x", "found the end of the file before its elements close"),
        (b"", "found the end of the file before its elements close"),
        (b"<plan/>", "expected a Zwift workout (<workout_file>), found <plan>"),
        (
            zwo("").replace(b"<workout>", b"<workout/><workout>"),
            "workout: expected one <workout> element holding the steps, found 2",
        ),
        (
            zwo("").replace(
                b"<sportType>run</sportType>",
                b"<sportType>run</sportType><durationType>laps</durationType>",
            ),
            'durationType: expected "time" or "distance", found "laps"',
        ),
    ],
)
def test_a_file_that_is_not_a_run_workout_is_one_sentence(data: bytes, message: str) -> None:
    with pytest.raises(ProgramError) as caught:
        read_zwo(data, "plan.zwo", paces=PACES)
    assert str(caught.value).startswith("plan.zwo: ")
    assert message in str(caught.value)


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<workout_file><name>&lol3;</name><sportType>run</sportType><workout/></workout_file>
"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE workout_file SYSTEM "file:///etc/passwd">
<workout_file><name>x</name></workout_file>
"""


@pytest.mark.parametrize("data", [BOMB, EXTERNAL])
def test_a_doctype_is_refused_before_any_entity_is_declared(data: bytes) -> None:
    with pytest.raises(ProgramError) as caught:
        read_zwo(data, "bomb.zwo", paces=PACES)
    error = caught.value
    assert error.file == "bomb.zwo" and error.line == 2
    assert "expected a workout file without a DOCTYPE" in str(error)


def test_an_undeclared_entity_is_an_xml_error_not_an_expansion() -> None:
    data = zwo("").replace(b"<name>Test run</name>", b"<name>&lol9;</name>")
    with pytest.raises(ProgramError, match="found undefined entity"):
        read_zwo(data, "x.zwo", paces=PACES)


def test_deep_nesting_is_refused_at_the_limit() -> None:
    data = b"<workout_file>" + b"<a>" * 10_000 + b"</a>" * 10_000 + b"</workout_file>"
    with pytest.raises(ProgramError, match="expected XML elements nested at most 16 deep"):
        read_zwo(data, "deep.zwo", paces=PACES)


def test_too_many_elements_are_refused() -> None:
    data = zwo("<RestDay/>" * 60_000)
    with pytest.raises(ProgramError, match="expected at most 50000 XML elements"):
        read_zwo(data, "many.zwo", paces=PACES)


def test_a_huge_file_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "huge.zwo"
    with path.open("wb") as file:
        file.write(zwo(""))
        file.write(b" " * MAX_IMPORT_BYTES)
    with pytest.raises(ProgramError) as caught:
        load_zwo(path, paces=PACES)
    assert str(caught.value) == (
        f"{path}: expected a Zwift workout file of at most 1024 kB, found a file of 1.0 MB"
    )
    with pytest.raises(ProgramError, match="of at most 1024 kB"):
        read_zwo(path.read_bytes(), "huge.zwo", paces=PACES)


def test_a_missing_file_or_a_folder_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(ProgramError) as caught:
        load_zwo(tmp_path / "none.zwo", paces=PACES)
    assert str(caught.value) == (
        f"{tmp_path / 'none.zwo'}: expected a readable Zwift workout file, "
        "found No such file or directory"
    )
    with pytest.raises(ProgramError, match="found a folder"):
        load_zwo(tmp_path, paces=PACES)


def test_ignored_attributes_are_noted() -> None:
    result = read('<SteadyState Duration="60" Power="1" pace="1" Cadence="170"/>')
    assert result.program is not None
    assert result.notes[-1] == (
        "workout[0] (SteadyState): ignored Cadence (treadctl sets a speed only)"
    )


def test_the_imported_program_reads_back_through_the_format(tmp_path: Path) -> None:
    from treadctl.program import dump_program, parse_program

    result = read(EVERY_KIND, choices=OpenStepChoices(speed_kmh=8.0))
    program = result.require_program()
    assert parse_program(dump_program(program)) == program
