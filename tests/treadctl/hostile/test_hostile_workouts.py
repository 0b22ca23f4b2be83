"""Hostile workout files (.zwo and FIT), generated, through ``load_workout`` and the command line.

A case is handled when ``load_workout`` returns a result whose every refusal is one line
starting with the file's name, or raises a ProgramError that is (``harness.refusal_problem``).
The FIT mutations recompute both CRCs, so the garbled bytes reach Garmin's SDK decoder and
the step reader instead of stopping at the CRC check. The default run has a few hundred cases;
``-m slow`` runs 5,000 of each.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from garmin_fit_sdk import CrcCalculator, Encoder, Profile

from tests.treadctl.hostile.generators import Case
from tests.treadctl.hostile.harness import Tally, refusal_problem
from treadctl.cli import main
from treadctl.program import MAX_IMPORT_BYTES, OpenStepChoices, ProgramError, RunPaces
from treadctl.program.workout_file import load_workout

SEED = 15  # the number
SIZES = [
    pytest.param(300, id="default"),
    pytest.param(5_000, id="large", marks=pytest.mark.slow),
]
PACES = RunPaces(mile=240.0, k5=300.0, k10=360.0, half=400.0, marathon=450.0)
CHOICES = OpenStepChoices(speed_kmh=8.0, duration_s=60.0)

_NUMBERS = ["60", "0", "-60", "NaN", "inf", "1e308", "1e309", "1" * 60, "0x10", "", " 5 ",
            "1_000", "3.5", "2", "7", "-1", "86401", "1e-320", "٣"]  # fmt: skip
_ATTRIBUTES = ["Duration", "Power", "PowerLow", "PowerHigh", "pace", "Repeat", "OnDuration",
               "OffDuration", "OnPower", "OffPower", "timeoffset", "distoffset"]  # fmt: skip
_STEPS = [
    '<Warmup Duration="{n}" PowerLow="0.5" PowerHigh="1.0" pace="1"/>',
    '<SteadyState Duration="{n}" Power="0.95" pace="{p}"><textevent timeoffset="{n}" '
    'message="hi"/></SteadyState>',
    '<IntervalsT Repeat="{n}" OnDuration="60" OffDuration="{n}" OnPower="1.1" OffPower="0.6" '
    'pace="{p}"/>',
    '<Ramp Duration="{n}" PowerLow="{n}" PowerHigh="1.0" pace="2"/>',
    '<FreeRide Duration="{n}"/>',
    '<MaxEffort Duration="{n}"/>',
    '<Cooldown Duration="{n}" PowerLow="0.9" PowerHigh="{n}" pace="{p}"/>',
]


def _zwo(rng: random.Random, *, valid: bool = False) -> bytes:
    if valid:
        steps = "".join(
            rng.choice(_STEPS[:5]).format(n=rng.choice(["60", "120", "3.5"]), p=rng.randint(0, 4))
            for _ in range(rng.randint(1, 12))
        )
        return (
            "<workout_file><name>n</name><sportType>run</sportType><workout>"
            f"{steps}</workout></workout_file>"
        ).encode()
    steps = "".join(
        rng.choice(_STEPS).format(n=rng.choice(_NUMBERS), p=rng.randint(-1, 6))
        for _ in range(rng.randint(0, 12))
    )
    kind = rng.choice(["", "<durationType>time</durationType>", "<durationType>distance"
                       "</durationType>", "<durationType>laps</durationType>"])  # fmt: skip
    return (
        f"<workout_file><name>n</name><sportType>{rng.choice(['run', 'run', 'bike', ''])}"
        f"</sportType>{kind}<workout>{steps}</workout></workout_file>"
    ).encode()


def _zwo_cases(rng: random.Random) -> Case:
    data = _zwo(rng)
    roll = rng.random()
    if roll < 0.35:
        return Case("zwo/values", data)
    if roll < 0.5:
        return Case("zwo/truncated", data[: rng.randint(0, len(data))])
    if roll < 0.65:
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        return Case("zwo/flipped", bytes(flipped))
    if roll < 0.75:
        depth = rng.choice([15, 16, 17, 1000])
        inner = "<a>" * depth + "</a>" * depth
        return Case("zwo/nesting", f"<workout_file>{inner}</workout_file>".encode())
    if roll < 0.85:
        entity = '<!DOCTYPE w [<!ENTITY e "' + "x" * rng.randint(0, 50) + '">]>'
        return Case(
            "zwo/doctype", data.replace(b"<workout_file>", entity.encode() + b"<workout_file>", 1)
        )
    if roll < 0.9:
        return Case(
            "zwo/size",
            data + b" " * rng.choice([MAX_IMPORT_BYTES - len(data), MAX_IMPORT_BYTES + 1]),
        )
    attribute = rng.choice(_ATTRIBUTES)
    return Case(
        "zwo/attribute",
        data.replace(f'{attribute}="'.encode(), f'{attribute}="{rng.choice(_NUMBERS)}'.encode()),
    )


_MESG = {name: num for num, name in Profile["types"]["mesg_num"].items()}
_DURATIONS = ["time", "distance", "open", "repeat_until_steps_cmplt", "hr_less_than", "calories"]
_TARGETS = ["speed", "open", "heart_rate", "power", "cadence"]


def _fit(rng: random.Random) -> bytes:
    encoder = Encoder()
    encoder.write_mesg(
        {
            "mesg_num": _MESG["file_id"],
            "type": rng.choice(["workout", "workout", "activity"]),
            "manufacturer": "development",
            "product": 1,
            "serial_number": 7,
            "time_created": 1_000_000_000,
        }
    )
    steps = rng.randint(0, 10)
    encoder.write_mesg(
        {
            "mesg_num": _MESG["workout"],
            "wkt_name": "w",
            "sport": "running",
            "num_valid_steps": steps,
        }
    )
    for index in range(steps):
        encoder.write_mesg(
            {
                "mesg_num": _MESG["workout_step"],
                "message_index": rng.choice([index, index, index + 1]),
                "wkt_step_name": rng.choice(
                    ["", "Jog", "Backward · Walk · incline 40 %", "é" * 100]
                ),
                "duration_type": rng.choice(_DURATIONS),
                "duration_value": rng.choice([0, 1, 60_000, 4_294_967_294, index, index + 5]),
                "target_type": rng.choice(_TARGETS),
                "target_value": rng.choice([0, 1, 3, 101, 4_294_967_294]),
                "custom_target_value_low": rng.choice([0, 1, 2500, 60_000, 4_294_967_294]),
                "custom_target_value_high": rng.choice([0, 3000, 4_294_967_294]),
                "intensity": rng.choice(["active", "rest", "recovery", "warmup"]),
                "notes": "n" * rng.randint(0, 200),
            }
        )
    return encoder.close()


def _fix_crcs(data: bytearray) -> bytes:
    """Recompute the header's and the file's CRC so that a mutation reaches the decoder."""
    if len(data) >= 14 and data[0] == 14:
        data[12:14] = CrcCalculator.calculate_crc(bytes(data), 0, 12).to_bytes(2, "little")
    if len(data) >= 14:
        end = len(data) - 2
        data[end:] = CrcCalculator.calculate_crc(bytes(data), 0, end).to_bytes(2, "little")
    return bytes(data)


def _fit_cases(rng: random.Random) -> Case:
    data = bytearray(_fit(rng))
    roll = rng.random()
    if roll < 0.3:
        return Case("fit/values", bytes(data))
    if roll < 0.45:
        return Case("fit/truncated", bytes(data[: rng.randint(0, len(data))]))
    if roll < 0.55:
        data[rng.randrange(14, len(data) - 2)] ^= 1 + rng.randrange(255)
        return Case("fit/bad-crc", bytes(data))
    if roll < 0.9:
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(14, len(data) - 2)] = rng.randrange(256)
        return Case("fit/flipped", _fix_crcs(data))
    if roll < 0.95:
        # The header claims more data than there is, CRCs right.
        data[4:8] = (int.from_bytes(data[4:8], "little") + rng.randint(1, 1 << 20)).to_bytes(
            4, "little"
        )
        return Case("fit/size", _fix_crcs(data))
    return Case("fit/random", rng.randbytes(rng.randint(0, 300)))


def workout_cases(seed: int, count: int) -> Iterator[Case]:
    rng = random.Random(seed)
    families: list[Callable[[random.Random], Case]] = [
        _zwo_cases,
        _fit_cases,
        lambda rng: Case("zwo/valid", _zwo(rng, valid=True)),
    ]
    for _ in range(count):
        yield rng.choice(families)(rng)


@pytest.mark.parametrize("count", SIZES)
def test_hostile_workout_files_are_handled(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], count: int
) -> None:
    tally = Tally(f"hostile workout files ({count})")
    outcomes = {"converted": 0, "refused steps": 0, "refused file": 0}
    refused_files: list[Path] = []

    def check(index: int, case: Case) -> str | None:
        path = tmp_path / f"workout-{index}.{'fit' if case.name.startswith('fit') else 'zwo'}"
        path.write_bytes(case.data)
        try:
            result = load_workout(path, paces=PACES, choices=CHOICES)
        except Exception as exc:  # noqa: BLE001 - judged by refusal_problem
            outcomes["refused file"] += 1
            refused_files.append(path)
            return refusal_problem(exc, path, (ProgramError,))
        if result.program is not None:
            outcomes["converted"] += 1
            return None
        outcomes["refused steps"] += 1
        for refusal in result.refusals:
            problem = refusal_problem(refusal.error, path, (ProgramError,))
            if problem is not None:
                return problem
        return None

    tally.run(workout_cases(SEED + count, count), check)
    assert tally.failures == [], tally.explain()
    assert tally.handled == tally.total == count
    # The generators make all three outcomes.
    assert all(n > count // 20 for n in outcomes.values()), outcomes
    tally.summary()

    # The command line: one line, exit 1, nothing saved.
    capsys.readouterr()
    for path in refused_files[:5]:
        assert main(["import", str(path), "--data-dir", str(tmp_path / "data")]) == 1
        _, err = capsys.readouterr()
        assert err.startswith(f"treadctl: import: {path}") and err.count("\n") == 1
    assert not (tmp_path / "data" / "programs").exists()
