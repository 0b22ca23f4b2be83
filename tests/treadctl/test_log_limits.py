"""A session log is read within bounds: a line too long, nested too deep or holding a huge
integer is a bad line like any other, and a log damaged that way is skipped by the history
(named on stderr and in the log) while the other sessions are still listed."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from tests.treadctl.cli.support import cli
from tests.treadctl.test_store import START, write_log
from treadctl.cli import main
from treadctl.recorder import MAX_LINE_BYTES, SessionLogError, read_session_log
from treadctl.store import Store

DEEP = b'{"kind":"sample","t":1.0,"x":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
NESTED = "nested deeper than 32 levels"
HUGE = "a number of more than 100 digits"
HOSTILE = {  # a line, and what the reader says of it
    "deep-arrays": (DEEP, NESTED),
    "deep-objects": (
        b'{"kind":"sample","t":1.0,"x":' + b'{"a":' * 50_000 + b"1" + b"}" * 50_001,
        NESTED,
    ),
    "shallow-but-over-the-limit": (
        b'{"kind":"sample","t":1.0,"x":' + b"[" * 40 + b"]" * 40 + b"}",
        NESTED,
    ),
    "huge-int": (b'{"kind":"sample","t":1' + b"0" * 5000 + b"}", HUGE),
    "big-int-t": (b'{"kind":"sample","t":1' + b"0" * 400 + b"}", HUGE),
    "huge-int-field": (b'{"kind":"sample","t":1.0,"n":' + b"7" * 5000 + b"}", HUGE),
}


def with_line(path: Path, number: int, text: bytes) -> Path:
    lines = path.read_bytes().split(b"\n")
    lines[number - 1] = text
    path.write_bytes(b"\n".join(lines))
    return path


@pytest.mark.parametrize(("text", "reason"), HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_line_is_a_bad_line(tmp_path: Path, text: bytes, reason: str) -> None:
    path = with_line(write_log(tmp_path, "abc123"), 3, text)
    with pytest.raises(SessionLogError) as caught:
        read_session_log(path)
    assert (caught.value.path, caught.value.line) == (path, 3)
    assert str(caught.value) == f"{path}:3: corrupt line: {reason}"
    log = read_session_log(path, skip_bad_lines=True)
    assert [bad.line for bad in log.bad_lines] == [3]
    assert log.end is not None  # the lines after it are kept


def test_a_line_over_the_limit_is_never_held_whole(tmp_path: Path) -> None:
    path = write_log(tmp_path, "abc123")
    size = MAX_LINE_BYTES + 10
    with_line(path, 3, b'{"kind":"sample","t":1.0,"x":"' + b"a" * (size - 32) + b'"}')
    log = read_session_log(path, skip_bad_lines=True)
    assert [(bad.line, bad.error) for bad in log.bad_lines] == [
        (3, f"a line of {size} bytes, longer than the limit of {MAX_LINE_BYTES}")
    ]
    assert log.end is not None


def test_a_line_at_the_limit_is_read(tmp_path: Path) -> None:
    path = write_log(tmp_path, "abc123")
    line = b'{"kind":"sample","t":1.0,"x":"'
    with_line(path, 3, line + b"a" * (MAX_LINE_BYTES - len(line) - 2) + b'"}')
    log = read_session_log(path)
    assert len(log.records[1]["x"]) == MAX_LINE_BYTES - len(line) - 2


def test_a_torn_hostile_last_line_is_still_a_cut_line(tmp_path: Path) -> None:
    path = write_log(tmp_path, "abc123")
    data = path.read_bytes().removesuffix(b"\n")
    path.write_bytes(data[: data.rfind(b"\n") + 1] + DEEP[:-1])  # killed mid-write
    log = read_session_log(path)
    assert log.interrupted
    assert log.cut_line is not None


def test_the_store_names_the_line_of_a_bad_field(tmp_path: Path) -> None:
    path = write_log(tmp_path, "abc123")
    with_line(path, 5, b'{"kind":"sample","t":4.0,"distance_m":"' + b"x" * 10_000 + b'"}')
    with Store(tmp_path / "data") as store:
        report = store.rebuild(tmp_path)
    [error] = report.errors
    assert str(error).startswith(f"{path}:5: distance_m must be a number or null, got 'xxx")
    assert len(str(error)) < 300


def test_history_skips_a_deeply_nested_log_and_lists_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # Before: RecursionError from every `history`, `history --rebuild` and `export` until the
    # file was removed.
    data, logs = tmp_path / "data", tmp_path / "logs"
    write_log(logs, "good1", profile=None)
    bad = with_line(write_log(logs, "bad1", profile=None, started=START + timedelta(1)), 3, DEEP)
    capsys.readouterr()
    for argv in (["history"], ["history", "--rebuild"]):
        with caplog.at_level(logging.WARNING, logger="treadctl.store"):
            assert cli(data, *argv, log_dir=logs) == 1
        out, err = capsys.readouterr()
        assert err == (
            f"treadctl: skipped a log: {bad}:3: corrupt line: nested deeper than 32 levels\n"
        )
        assert "good1" in out and "bad1" not in out
        assert str(bad) in caplog.text
        caplog.clear()
    assert main(["export", str(bad), "--format", "csv", "-o", str(tmp_path / "x.csv")]) == 1
    _, err = capsys.readouterr()
    assert err == f"export: {bad}:3: corrupt line: nested deeper than 32 levels\n"
