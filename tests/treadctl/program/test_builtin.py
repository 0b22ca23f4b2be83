"""The built-in programs: found beside the package, valid, round-tripping, and matching
the table in docs/programs.md and the backward-running guidance."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.program import (
    BUILTIN_PROGRAMS_DIR,
    Block,
    Program,
    Segment,
    builtin_programs,
    clamp,
    dump_program,
    parse_program,
)

ROOT = Path(__file__).resolve().parents[3]


BUILTINS = builtin_programs()


def _by_file(name: str) -> Program:
    return next(p for p in BUILTINS if Path(p.source or "").name == name)


def _documented_table() -> dict[str, tuple[str, float, float, float]]:
    """The built-in table in docs/programs.md: file → (name, minutes, backward, longest)."""
    rows = {}
    for line in (ROOT / "docs" / "programs.md").read_text(encoding="utf-8").splitlines():
        m = re.fullmatch(
            r"\| `([\w.-]+\.toml)` \| (.+?) \| (\d+) min \| (\d+) \| (\d+) min \|", line
        )
        if m:
            rows[m[1]] = (m[2], float(m[3]), float(m[4]), float(m[5]))
    return rows


def test_builtins_are_found_relative_to_the_package() -> None:
    assert BUILTIN_PROGRAMS_DIR == ROOT / "resources" / "programs"
    files = sorted(p.name for p in BUILTIN_PROGRAMS_DIR.glob("*.toml"))
    assert [Path(p.source or "").name for p in BUILTINS] == files
    assert len(BUILTINS) >= 5


@pytest.mark.parametrize("program", BUILTINS, ids=lambda p: Path(p.source or "").stem)
def test_builtin_validates_within_default_limits_and_round_trips(program: Program) -> None:
    assert clamp(program, DEFAULT_LIMITS) == (program, [])
    assert parse_program(dump_program(program)) == program
    # Each cites the guidance a user can open: the app's view and its copy in the docs.
    assert '"About backward walking" (docs/backward.md)' in program.description
    assert "http" not in program.description
    assert program.backward_minutes() > 0


def test_builtins_match_the_documented_table() -> None:
    table = _documented_table()
    actual = {
        Path(p.source or "").name: (
            p.name,
            p.estimated_duration_s() / 60,
            p.backward_minutes(),
            p.longest_backward_minutes(),
        )
        for p in BUILTINS
    }
    assert actual == table


def test_builtins_within_the_backward_budget_except_the_documented_long_one() -> None:
    over = [
        p for p in BUILTINS if p.backward_minutes() > DEFAULT_LIMITS.backward_minutes_per_session
    ]
    assert [Path(p.source or "").name for p in over] == ["07-long-session-with-rests.toml"]
    assert "MORE than the default budget" in over[0].description


def test_thirty_minute_programs_exist() -> None:
    assert sum(1 for p in BUILTINS if p.estimated_duration_s() == 30 * 60) >= 3


def test_week_one_is_short_slow_backward_walking_with_cues() -> None:
    week1 = _by_file("01-backward-walk-week-1.toml")
    backward = [p.segment for p in week1.segments() if p.segment.direction is Direction.BACKWARD]
    assert backward
    for seg in backward:
        assert 2.0 <= seg.speed_kmh <= 2.5
        assert seg.duration_s is not None and 60 <= seg.duration_s <= 120
        assert seg.cue is not None
        assert "Hold the rails" in seg.cue and "look over your shoulder" in seg.cue
    assert week1.backward_minutes() <= 10


def test_build_up_reaches_ten_continuous_backward_minutes() -> None:
    names = [
        "01-backward-walk-week-1.toml",
        "02-backward-walk-weeks-2-3.toml",
        "03-backward-walk-weeks-4-5.toml",
        "04-backward-walk-week-6.toml",
    ]
    longest = [_by_file(n).longest_backward_minutes() for n in names]
    assert longest == sorted(longest)
    assert longest[-1] >= 10
    assert all(_by_file(n).backward_minutes() <= 10 for n in names)


def test_backward_jog_intervals_stay_at_or_below_six_kmh() -> None:
    jog = _by_file("05-backward-jog-intervals.toml")
    backward = [p.segment for p in jog.segments() if p.segment.direction is Direction.BACKWARD]
    assert max(s.speed_kmh for s in backward) == 5.5
    assert all(s.speed_kmh <= 6.0 for s in backward)
    assert any(p.position == "Intervals 6/6" for p in jog.segments())


def test_warm_up_and_cool_down_blocks_surround_a_forward_run() -> None:
    run = _by_file("06-run-with-backward-warm-up-and-cool-down.toml")
    first, middle, last = run.steps
    assert isinstance(first, Block) and first.label == "Backward warm-up"
    assert isinstance(last, Block) and last.label == "Backward cool-down"
    assert isinstance(middle, Segment) and middle.direction is Direction.FORWARD
    for block in (first, last):
        assert any(
            isinstance(s, Segment) and s.direction is Direction.BACKWARD for s in block.steps
        )


def test_long_session_rests_ten_minutes_each_hour() -> None:
    long = _by_file("07-long-session-with-rests.toml")
    assert long.estimated_duration_s() == (2 * 60 + 20) * 60
    profile = long.profile()
    rests = [p for p in profile if p.rest]
    assert [(p.start_s, p.end_s) for p in rests] == [(3600.0, 4200.0), (7800.0, 8400.0)]
    assert all(p.speed_kmh == 0 for p in rests)
