"""The desktop app's entry point: QApplication, the qasync loop, the world, the window.

Shape::

    run_app(simulate=...) -> int         what the ``treadctl`` console script calls
     └── qasync.run(_main(...))          asyncio's loop *is* Qt's loop, on the Qt thread
          ├── VirtualWorld(RealClock)    with --simulate: started in the loop
          ├── Bridge(clock, backends)    engine ↔ Qt
          ├── ProfilesModel              profiles and history: <data dir>/history.sqlite3,
          │                              the sessions in <data dir>/sessions (as the CLI)
          ├── MainWindow(...)            shown; with --simulate it scans and connects itself,
          │                              otherwise it reconnects to the last treadmill used
          └── until the window has closed (belt stopped, log closed), then the world closes

``build_window`` does the wiring without the loop's lifetime, for tests and screenshots.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from treadctl.clock import Clock, RealClock
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.link import BleakBackends
from treadctl.program import builtin_programs
from ui.bridge import Bridge
from ui.cues import SoundPlayer, Speaker
from ui.main_window import MainWindow
from ui.profiles_view import ProfilesModel

if TYPE_CHECKING:
    # Imported at run time only with --simulate: Bumble alone costs ~0.35 s of startup.
    from treadctl.virtual.world import VirtualWorld

logger = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
STYLESHEET = RESOURCES / "style.qss"
ICON = RESOURCES / "icons" / "treadctl.svg"


def default_sessions_dir() -> Path:
    from treadctl.cli import default_log_dir  # the headless `run` writes to the same place

    return default_log_dir()


def apply_style(app: QApplication) -> None:
    """The dark theme; a missing or unreadable stylesheet leaves Qt's default, not a crash."""
    try:
        text = STYLESHEET.read_text(encoding="utf-8")
        # QSS resolves url() against the working directory, not the stylesheet: make it absolute.
        app.setStyleSheet(text.replace("@ICONS@", ICON.parent.as_posix()))
    except OSError as error:
        logger.warning("no stylesheet: %s", error)
    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))


def build_window(
    clock: Clock,
    backends: BleakBackends,
    *,
    sessions_dir: Path,
    settings: QSettings,
    world: VirtualWorld | None = None,
    speaker: Speaker | None = None,
    sounds: SoundPlayer | None = None,
    scan_timeout_s: float = 3.0,
    limits: Limits = DEFAULT_LIMITS,
    data_dir: Path | None = None,
) -> tuple[Bridge, MainWindow]:
    """The bridge and the window, wired. Call inside the running qasync loop.

    ``limits`` are what a session runs with while nobody is chosen; a chosen profile's come
    from the store in ``data_dir`` (default: the folder that holds ``sessions_dir``).
    """
    bridge = Bridge(
        clock, backends, sessions_dir=sessions_dir, limits=limits, scan_timeout_s=scan_timeout_s
    )
    profiles = ProfilesModel(bridge, data_dir)
    window = MainWindow(
        bridge,
        programs=builtin_programs(),
        settings=settings,
        world=world,
        speaker=speaker,
        sounds=sounds,
        profiles=profiles,
    )
    profiles.setParent(window)
    return bridge, window


async def _main(simulate: bool) -> int:
    clock = RealClock()
    world: VirtualWorld | None = None
    if simulate:
        from treadctl.virtual.world import VirtualWorld

        world = VirtualWorld(clock, with_strap=True)
        await world.start()
        backends = BleakBackends(world.scanner_backend(), world.client_backend())
    else:
        backends = BleakBackends()
    settings = QSettings()
    bridge, window = build_window(
        clock,
        backends,
        sessions_dir=default_sessions_dir(),
        settings=settings,
        world=world,
        scan_timeout_s=1.0 if simulate else 5.0,
    )
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    # Ctrl+C or a kill: close the window the ordinary way, which stops the belt first. Python
    # runs signal handlers only between bytecodes, so a timer gives it a chance to, even when
    # nothing else is happening on the loop.
    wake = QTimer()
    wake.start(250)
    wake.timeout.connect(lambda: None)
    previous = {
        sig: signal.signal(sig, lambda *_: QTimer.singleShot(0, window.close))
        for sig in (signal.SIGINT, signal.SIGTERM)
    }
    try:
        if world is not None:
            bridge.scan_then_connect(world.treadmill_address)
        elif not window.connect_view.reconnect_last():
            bridge.scan()
        await closed.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        wake.stop()
        # Also when the window did not close normally: the belt is stopped before we go.
        await bridge.shutdown()
        if world is not None:
            await world.close()
    return 0


def run_app(*, simulate: bool) -> int:
    """Open the app window; returns the process exit status."""
    import qasync

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName("treadctl")
    app.setApplicationName("treadctl")
    # The loop must outlive the window: after it closes, the world still has to shut down.
    app.setQuitOnLastWindowClosed(False)
    apply_style(app)
    try:
        return int(qasync.run(_main(simulate)))
    except KeyboardInterrupt:
        return 0
