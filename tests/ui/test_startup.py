"""Startup: the window answers before the heavy parts load, and the real entry point runs.

``treadctl`` with no subcommand (``ui.launcher``) paints ``ui.splash.StartupScreen`` before it
imports pyqtgraph, numpy, Bleak, qasync or the engine; the figure itself is measured in
``tests/bench/bench_app.py`` (start → first paint), never timed here.
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from treadctl.cli import main as cli_main
from ui.splash import DEFAULT_SIZE, StartupScreen

ROOT = Path(__file__).resolve().parents[2]

# What the app imports only after its startup screen has painted.
HEAVY = ("pyqtgraph", "numpy", "bleak", "bumble", "qasync", "asyncio", "sqlite3", "treadctl.link")


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    return env


def test_startup_screen_paints_and_returns(qapp: QApplication, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    screen = StartupScreen(settings, simulate=True)
    try:
        screen.show_and_paint()
        assert screen.painted
        assert screen.isVisible()
        assert (screen.width(), screen.height()) == DEFAULT_SIZE
        assert screen.windowTitle() == "treadctl — simulated treadmill"
    finally:
        screen.close()


def test_startup_screen_opens_where_the_window_was(qapp: QApplication, tmp_path: Path) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    previous = StartupScreen(settings, simulate=False)
    previous.resize(640, 480)
    settings.setValue("window/geometry", previous.saveGeometry())
    screen = StartupScreen(settings, simulate=False)
    assert (screen.width(), screen.height()) == (640, 480)
    assert screen.windowTitle() == "treadctl"


@pytest.mark.parametrize(("argv", "simulate"), [([], False), (["--simulate"], True)])
def test_the_app_opens_before_the_parser_is_built(argv: list[str], simulate: bool) -> None:
    opened: list[bool] = []

    def app(*, simulate: bool) -> int:
        opened.append(simulate)
        return 7

    assert cli_main(argv, app=app) == 7
    assert opened == [simulate]


def test_subcommands_do_not_open_the_app(capsys: pytest.CaptureFixture[str]) -> None:
    def app(*, simulate: bool) -> int:
        raise AssertionError("the app was opened for a subcommand")

    with pytest.raises(SystemExit):
        cli_main(["--simulate", "--help"], app=app)
    assert "scan" in capsys.readouterr().out


def test_nothing_heavy_is_imported_before_the_first_paint(tmp_path: Path) -> None:
    # The launcher's path up to StartupScreen.show_and_paint, in a fresh interpreter.
    code = (
        "import sys\n"
        "import ui.launcher, ui.app, ui.splash, treadctl.cli\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_the_console_script_opens_the_window_and_closes_on_sigterm(tmp_path: Path) -> None:
    """`treadctl --simulate` as a user starts it; SIGTERM closes it the ordinary way (belt
    stopped, log closed), exit status 0."""
    process = subprocess.Popen(
        [sys.executable, "-c", "import sys; from ui.launcher import main; main()", "--simulate"],
        cwd=ROOT,
        env=_env(tmp_path),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert process.stderr is not None
        for line in process.stderr:
            lines.put(line)
        lines.put(None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    seen: list[str] = []
    try:
        while True:
            line = lines.get(timeout=60)
            assert line is not None, "the app ended before its window opened:\n" + "".join(seen)
            seen.append(line)
            if "window open (virtual treadmill)" in line:
                break
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0, "".join(seen)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(timeout=10)
        assert process.stderr is not None
        process.stderr.close()
