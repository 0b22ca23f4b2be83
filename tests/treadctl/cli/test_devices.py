"""`treadctl devices …`: the knowledge base, and per-treadmill settings over a real store."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.treadctl.cli.support import cli
from tests.treadctl.profiles.support import PIN
from treadctl.cli.parser import build_parser


def run(*argv: str) -> int:
    args = build_parser().parse_args(list(argv))
    result: int = args.handler(args, sys.stdout)
    return result


def test_list_and_show(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("devices", "list") == 0
    out = capsys.readouterr().out
    assert any(line.startswith("kingsmith ") for line in out.splitlines())
    assert run("devices", "show", "horizon-7-0at") == 0
    out = capsys.readouterr().out
    assert "matched when: name starts with JFTM T202 or HZ_7.0AT-" in out
    assert "deviation: speed_command_unit = mph" in out
    assert "source: cagnulein/qdomyos-zwift PR #4904" in out
    assert run("devices", "show", "matrix") == 0
    assert "matched when: never" in capsys.readouterr().out
    assert run("devices", "show", "peloton") == 1
    assert "treadctl: no device entry 'peloton'" in capsys.readouterr().err


def test_settings_take_the_pin_only_to_loosen(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert cli(data, "devices", "set", "TM4800-2F1A", "--console-unit", "miles") == 0
    assert cli(data, "devices", "set", "AA:BB", "--console-unit", "km") == 1
    assert "needs the admin PIN" in capsys.readouterr().err
    assert cli(data, "devices", "set", "AA:BB", "--console-unit", "km", "--pin", PIN) == 0
    capsys.readouterr()
    assert cli(data, "devices", "settings") == 0
    assert capsys.readouterr().out.splitlines() == [
        "AA:BB: console unit km",
        "TM4800-2F1A: console unit miles",
    ]
    assert cli(data, "devices", "set", "TM4800-2F1A", "--console-unit", "unset") == 1
    assert "console unit not set (was miles)" in capsys.readouterr().err
