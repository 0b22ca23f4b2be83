"""Every subcommand through paths it cannot use: a sentence and a failing status, never a
traceback, and a run refused before the belt moves.

The paths are real, not mocked: a folder no one may write (``/sys`` refuses even root, as the
tests may run as root), a path under a regular file, a name longer than any file system takes,
a full disk (``/dev/full``), a device that is not a file (``/dev/null``), and an existing
folder where a file is meant.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.treadctl.test_store import write_log
from treadctl.cli import main

SHORT_PROGRAM = (
    'name = "Short"\n[[steps]]\ndirection = "forward"\nspeed = "3 km/h"\nduration = "20 s"\n'
)


def _odd_paths(tmp: Path) -> dict[str, Path]:
    a_file = tmp / "a_file"
    a_file.write_text("not a folder\n")
    a_folder = tmp / "a_folder"
    a_folder.mkdir()
    return {
        "read-only": Path("/sys/treadctl-test/out"),
        "under a file": a_file / "out",
        "name too long": tmp / ("x" * 300),
        "full disk": Path("/dev/full"),
        "not a file": Path("/dev/null"),
        "a folder": a_folder,
    }


def _call(argv: list[str]) -> tuple[int | str, str]:
    out = io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            status = main(argv)
    except SystemExit as exit:  # argparse's own usage errors: a sentence and status 2
        return (exit.code if isinstance(exit.code, int) else 2), out.getvalue()
    except BaseException as error:  # noqa: BLE001 - any escape is what this test finds
        return f"{type(error).__name__}: {error}", out.getvalue()
    return status, out.getvalue()


Command = Callable[[Path, Path], list[str]]  # (the test folder, the odd path) -> argv


def _export_one(tmp: Path, p: Path) -> list[str]:
    return ["export", "s1", "--format", "csv", "-o", str(p), "--log-dir", str(tmp / "logs")]


def _export_all(tmp: Path, p: Path) -> list[str]:
    return ["export", "--all", "--format", "tcx", "-o", str(p), "--log-dir", str(tmp / "logs")]


def _run_log_dir(tmp: Path, p: Path) -> list[str]:
    return [
        "run",
        str(tmp / "short.toml"),
        "--simulate",
        "--log-dir",
        str(p),
        "--data-dir",
        str(tmp / "data"),
    ]


def _run_data_dir(tmp: Path, p: Path) -> list[str]:
    return ["run", str(tmp / "short.toml"), "--simulate", "--data-dir", str(p)]


def _history(tmp: Path, p: Path) -> list[str]:
    return ["history", "--data-dir", str(p), "--log-dir", str(tmp / "logs")]


def _profiles_add(tmp: Path, p: Path) -> list[str]:
    return ["profiles", "add", "Ana", "--data-dir", str(p)]


def _probe_report(tmp: Path, p: Path) -> list[str]:
    return ["probe", "--simulate", "--report", str(p), "--rest-seconds", "1"]


def _devices_set(tmp: Path, p: Path) -> list[str]:
    return ["devices", "settings", "--data-dir", str(p)]


COMMANDS: dict[str, Command] = {
    "export SESSION -o": _export_one,
    "export --all -o": _export_all,
    "run --log-dir": _run_log_dir,
    "run --data-dir": _run_data_dir,
    "history --data-dir": _history,
    "profiles add --data-dir": _profiles_add,
    "probe --report": _probe_report,
    "devices settings --data-dir": _devices_set,
}

#: Odd paths a command may take as they are (it then succeeds): an existing folder is where
#: ``export -o`` writes its files, and where a data or log folder may be.
ACCEPTED: dict[str, frozenset[str]] = {
    "export SESSION -o": frozenset({"a folder"}),
    "export --all -o": frozenset({"a folder"}),
    "run --log-dir": frozenset({"a folder"}),
    "run --data-dir": frozenset({"a folder"}),
    "history --data-dir": frozenset({"a folder"}),
    "profiles add --data-dir": frozenset({"a folder"}),
    "probe --report": frozenset(),
    "devices settings --data-dir": frozenset({"a folder"}),
}


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_subcommand_says_no_to_paths_it_cannot_use(command: str, tmp_path: Path) -> None:
    (tmp_path / "short.toml").write_text(SHORT_PROGRAM)
    write_log(tmp_path / "logs", "s1")
    build = COMMANDS[command]
    wrong = []
    for name, path in _odd_paths(tmp_path).items():
        status, printed = _call(build(tmp_path, path))
        if isinstance(status, str):
            wrong.append(f"{name}: raised {status}")
        elif "Traceback" in printed:
            wrong.append(f"{name}: printed a traceback")
        elif name in ACCEPTED[command]:
            if status != 0:
                wrong.append(f"{name}: refused a usable path ({status}): {printed.strip()}")
        elif status == 0:
            wrong.append(f"{name}: exit status 0 for a path it cannot use: {printed.strip()}")
        elif not printed.strip():
            wrong.append(f"{name}: status {status} and not a word")
        if command.startswith("run") and "session started" in printed and status != 0:
            wrong.append(f"{name}: the session started before the path was refused")
    assert not wrong, f"{command}:\n" + "\n".join(wrong)
