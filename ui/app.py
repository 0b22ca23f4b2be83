"""The desktop app's entry point: QApplication, the qasync loop, the world, the window.

Shape::

    run_app(simulate=...) -> int         what the ``treadctl`` console script calls
     ├── StartupScreen                   painted before anything heavy is imported (ui.splash)
     └── qasync.run(_main(...))          asyncio's loop *is* Qt's loop, on the Qt thread
          ├── VirtualWorld(RealClock)    with --simulate: started in the loop (with --device
          │                              FILE, shaped after that device report)
          ├── AppCore(clock, backends,   the engine's application core (treadctl.core): link,
          │           folder)            strap, person, sessions; the data folder holds the
          │                              sessions, the history and these settings, as for the CLI
          ├── Bridge(core)               core events → Qt signals
          ├── ProfilesModel              profiles and history, as signals
          ├── MainWindow(...)            shown in the startup screen's place; with --simulate
          │                              it scans and connects itself,
          │                              otherwise it reconnects to the last treadmill used
          └── until the window has closed (belt stopped, log closed), then the world closes

``build_window`` does the wiring without the loop's lifetime, for tests and screenshots.
"""

from __future__ import annotations

import logging
import signal
import sys
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from treadctl.data_folder import DataFolder
from ui.collector import GuiThreadCollector
from ui.splash import StartupScreen

if TYPE_CHECKING:
    # Imported inside the functions, after the startup screen has painted: together they cost
    # about a second (pyqtgraph and numpy, Bleak, qasync, the pages); Bumble (the virtual
    # treadmill) is imported only with --simulate.
    from treadctl.clock import Clock
    from treadctl.core import BleakBackends, Limits
    from treadctl.device_shape import DeviceShape
    from treadctl.upload import AfterSessionReport
    from treadctl.virtual.world import VirtualWorld
    from ui.bridge import Bridge
    from ui.cues import SoundPlayer, Speaker
    from ui.main_window import MainWindow

logger = logging.getLogger(__name__)

RESOURCES = Path(__file__).resolve().parent.parent / "resources"
STYLESHEET = RESOURCES / "style.qss"
ICON = RESOURCES / "icons" / "treadctl.svg"


def open_settings(folder: DataFolder) -> QSettings:
    """The app's settings, in the data folder (``settings.ini``).

    Settings kept by an earlier version in the platform's own place (the registry, a plist,
    ~/.config) are copied over the first time, so nobody loses their window, units or
    treadmill.
    """
    path = folder.settings
    first = not path.exists()
    settings = QSettings(str(path), QSettings.Format.IniFormat)
    if first:
        native = QSettings()
        for key in native.allKeys():
            settings.setValue(key, native.value(key))
        settings.sync()
    return settings


def apply_style(app: QApplication) -> None:
    """The dark theme; a missing or unreadable stylesheet leaves Qt's default, not a crash."""
    try:
        text = STYLESHEET.read_text(encoding="utf-8")
        # QSS resolves url() against the working directory, not the stylesheet: make it absolute.
        app.setStyleSheet(text.replace("@ICONS@", ICON.parent.as_posix()))
    except OSError as error:
        logger.warning("no stylesheet: %s", error)
    from PySide6.QtGui import QIcon

    if ICON.exists():
        app.setWindowIcon(QIcon(str(ICON)))


def _after_session(folder: DataFolder, session_id: str) -> AfterSessionReport:
    """``treadctl.upload.after_session``, imported on its first use (on the core's worker
    thread, after a session): the upload clients cost the window's start ~70 ms otherwise."""
    from treadctl.upload import after_session

    return after_session(session_id, folder=folder)


def build_window(
    clock: Clock,
    backends: BleakBackends,
    *,
    folder: DataFolder,
    settings: QSettings,
    world: VirtualWorld | None = None,
    speaker: Speaker | None = None,
    sounds: SoundPlayer | None = None,
    scan_timeout_s: float = 3.0,
    limits: Limits | None = None,
) -> tuple[Bridge, MainWindow]:
    """The core, the bridge and the window, wired. Call inside the running qasync loop.

    ``limits`` are what a session runs with while nobody is chosen (default: the defaults); a
    chosen profile's come from the history in ``folder``.
    """
    from treadctl.core import DEFAULT_LIMITS, AppCore
    from treadctl.program import builtin_programs
    from ui.bridge import Bridge
    from ui.main_window import MainWindow
    from ui.profiles import ProfilesModel

    core = AppCore(
        clock,
        backends,
        folder,
        base_limits=DEFAULT_LIMITS if limits is None else limits,
        scan_timeout_s=scan_timeout_s,
        # A session on the virtual treadmill is never exported to a folder or uploaded: a
        # watch's folder or a training log must hold only what a person ran.
        share=None if world is not None else partial(_after_session, folder),
    )
    bridge = Bridge(core)
    profiles = ProfilesModel(bridge)
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


async def _main(
    simulate: bool,
    folder: DataFolder,
    settings: QSettings,
    startup: StartupScreen | None = None,
    device: DeviceShape | None = None,
) -> int:
    import asyncio

    from treadctl.clock import RealClock
    from treadctl.core import BleakBackends

    clock = RealClock()
    world: VirtualWorld | None = None
    if simulate:
        from treadctl.virtual.world import VirtualWorld

        if device is not None:
            from treadctl.virtual.reported_device import reported_world

            world = reported_world(clock, device, with_strap=True)
        else:
            world = VirtualWorld(clock, with_strap=True)
        await world.start()
        backends = BleakBackends.of(world)
    else:
        backends = BleakBackends()
    bridge, window = build_window(
        clock,
        backends,
        folder=folder,
        settings=settings,
        world=world,
        scan_timeout_s=1.0 if simulate else 5.0,
    )
    closed = asyncio.Event()
    window.closed.connect(closed.set)
    window.show()
    if startup is not None:
        startup.close()
        startup.deleteLater()
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
    logger.info("window open (%s)", "virtual treadmill" if world is not None else "Bluetooth")
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


def run_app(*, simulate: bool, device: DeviceShape | None = None) -> int:
    """Open the app window; returns the process exit status. ``device``: with ``simulate``,
    the virtual treadmill takes this device report's shape (``--device FILE``).

    The startup screen is shown and painted first; only then is the rest imported and built
    (see ``ui.splash``), and the main window takes its place.
    """
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    app.setOrganizationName("treadctl")
    app.setApplicationName("treadctl")
    # The loop must outlive the window: after it closes, the world still has to shut down.
    app.setQuitOnLastWindowClosed(False)
    # Collect on this thread only: the app's worker threads must never destroy a Qt object.
    GuiThreadCollector(app).start()
    folder = DataFolder()
    settings = open_settings(folder)
    startup = StartupScreen(settings, simulate=simulate)
    startup.show_and_paint()

    import qasync

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    apply_style(app)
    try:
        return int(qasync.run(_main(simulate, folder, settings, startup, device)))
    except KeyboardInterrupt:
        return 0
