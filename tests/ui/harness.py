"""The whole app against the virtual treadmill, for UI tests and the screenshot script.

Shape::

    @with_app(limits=...)                                 # one test: one scenario, one app
    async def test_stop(app: AppHarness) -> None:         # world started, window shown
        await app.running_program()                       # connected, program on, belt moving
        stopped = app.expect_state(SessionState.STOPPED)  # arm before acting
        app.click(app.window.controls.stop_button)
        (event,) = await stopped                          # bounded by WAIT real seconds
        await app.until(lambda: ..., app.bridge.sample)   # re-checked on each emission

    async with AppHarness(tmp_path, scale=4.0) as app:    # the same by hand: for two apps in
        await app.connect()                               # a row, or files written before one
        ...                                               # (then ``run(loop, scenario())``)

Real engine, real GATT over the in-process radio, a ScaledClock (``scale`` simulated seconds
per real second), speech on Qt's ``mock`` engine and sounds off. The first start's question
(home or gym, ``ui.usage``) is answered "gym" in the settings file unless it already holds an
answer (``usage=`` another one; ``usage=None`` leaves it open, so the app asks, as at a real
first start). Waits are on Qt signals, each bounded; nothing sleeps. Leaving the block closes
the window the way a user does (which stops the belt and closes the log) and then the world.

The openings the tests share have names here, each leaving the app in the state its docstring
promises (``tests/ui/test_harness.py`` checks that they do):

    connect()                   scanned and connected, as --simulate does
    start_program_file(text)    that program's session started from the programs page
    start_manual()              a manual session started from the programs page
    running_program(text)       connect + start_program_file + the belt moving
    manual_session()            connect + start_manual + the belt moving
    finish_session()            End session pressed: the session's end (log closed)
    short_session()             a program started, the belt moving, End session: its log
    choose_person(name)         chosen on the profiles page, as a person clicks
    add_people(*names), set_pin(pin)   profiles created, the admin PIN set (in the store)
    choose_new_person(name, pin=)   the admin PIN set, ``name`` created, then chosen

(Every scenario runs on the test's own qasync loop through ``run``: ``qtbot.waitUntil`` inside
a coroutine would nest event loops and hang, so the waits here are futures on signals.)
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from PySide6.QtCore import QSettings, Qt, SignalInstance
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from treadctl.clock import ScaledClock
from treadctl.core import FoundDevice, SessionEnded
from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.link import BleakBackends
from treadctl.safety import NoticeKind
from treadctl.session import SessionState
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld
from ui.app import apply_style, build_window
from ui.bridge import Bridge
from ui.collector import GuiThreadCollector
from ui.cues import SoundPlayer, Speaker
from ui.main_window import MainWindow
from ui.settings_view import AppSettings
from ui.usage import Usage

WAIT = 15.0  # real seconds; an upper bound for any single wait, never a delay
SCENARIO_TIMEOUT = 90.0  # real seconds for a whole test

TURNAROUND_PROGRAM = """\
name = "Test: one turnaround"
description = "Forward 20 s, then backward 20 s."

[[steps]]
label = "Forward walk"
direction = "forward"
speed = "3 km/h"
duration = "20 s"

[[steps]]
label = "Backward walk"
direction = "backward"
speed = "2 km/h"
duration = "20 s"
cue = "Hold the rails"
"""

Scenario = Callable[..., Coroutine[Any, Any, None]]


def run(
    loop: asyncio.AbstractEventLoop,
    coro: Coroutine[Any, Any, Any],
    timeout: float = SCENARIO_TIMEOUT,
) -> Any:
    """Run one test scenario on the test's qasync loop, bounded in real time."""
    return loop.run_until_complete(asyncio.wait_for(coro, timeout))


def with_app(**options: Any) -> Callable[[Scenario], Callable[..., None]]:
    """A test that runs one scenario on a new app: ``async def test_x(app, *fixtures)``.

    The test pytest collects takes the ``loop`` and ``tmp_path`` fixtures (and any others the
    scenario names after ``app``), opens ``AppHarness(tmp_path, **options)`` and runs the
    scenario inside it with :func:`run`. ``options`` are the harness's own (``limits=``,
    ``with_strap=``, ...): what makes this test's app differ stands on the test's first line.
    """

    def decorate(scenario: Scenario) -> Callable[..., None]:
        _, *fixtures = inspect.signature(scenario).parameters.values()
        wanted = [p.name for p in fixtures]

        def test(loop: asyncio.AbstractEventLoop, tmp_path: Path, **more: Any) -> None:
            given = {"loop": loop, "tmp_path": tmp_path, **more}

            async def body() -> None:
                async with AppHarness(tmp_path, **options) as app:
                    await scenario(app, **{name: given[name] for name in wanted})

            run(loop, body())

        own = [
            inspect.Parameter(name, inspect.Parameter.POSITIONAL_OR_KEYWORD)
            for name in ("loop", "tmp_path")
        ]
        others = [p for p in fixtures if p.name not in ("loop", "tmp_path")]
        # pytest reads a test's fixtures from its signature.
        test.__signature__ = inspect.Signature(own + others)  # type: ignore[attr-defined]
        test.__name__ = scenario.__name__
        test.__qualname__ = scenario.__qualname__
        test.__doc__ = scenario.__doc__
        test.__module__ = scenario.__module__
        return test

    return decorate


# -- waiting on signals ------------------------------------------------------------------------


def expect(
    signal: SignalInstance,
    where: Callable[..., bool] = lambda *_: True,
    timeout: float = WAIT,
) -> asyncio.Future[tuple[Any, ...]]:
    """A future for the next emission of ``signal`` whose arguments satisfy ``where``.

    Armed at once: call it *before* the action that should emit, then await it. It fails with
    ``TimeoutError`` after ``timeout`` real seconds; either way it lets go of the signal.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[tuple[Any, ...]] = loop.create_future()

    def on_emit(*args: Any) -> None:
        if not future.done() and where(*args):
            future.set_result(args)

    signal.connect(on_emit)

    def done(_: object) -> None:
        signal.disconnect(on_emit)

    future.add_done_callback(done)
    return asyncio.ensure_future(asyncio.wait_for(future, timeout))


async def until(
    condition: Callable[[], bool], *signals: SignalInstance, timeout: float = WAIT
) -> None:
    """Return once ``condition()`` holds, checking it now and on each emission of ``signals``
    (``TimeoutError`` after ``timeout`` real seconds)."""
    if condition():
        return
    await _on_emissions(condition, signals, timeout)


async def _on_emissions(
    condition: Callable[[], bool], signals: tuple[SignalInstance, ...], timeout: float
) -> None:
    """Return once ``condition()`` holds on an emission of ``signals`` (not checked before)."""
    future: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def check(*_: Any) -> None:
        if not future.done() and condition():
            future.set_result(None)

    for signal in signals:
        signal.connect(check)
    try:
        await asyncio.wait_for(future, timeout)
    finally:
        for signal in signals:
            signal.disconnect(check)


def settings_file(tmp_path: Path) -> QSettings:
    """The app's settings file in ``tmp_path``, opened anew: an ``AppHarness`` uses it unless
    given other settings, so a second harness on the same ``tmp_path`` is the app's next run."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


class Trace:
    """Control-point writes the virtual treadmill received, by op name, in order."""

    def __init__(self, world: VirtualWorld) -> None:
        self.ops: list[str] = []
        world.treadmill.add_trace_listener(self._add)

    def _add(self, record: dict[str, Any]) -> None:
        if record.get("kind") == "write":
            self.ops.append(str(record.get("op")))


class AppHarness:
    def __init__(
        self,
        tmp_path: Path,
        *,
        scale: float = 4.0,
        data_rate_hz: float = 4.0,
        limits: Limits = DEFAULT_LIMITS,
        settings: QSettings | None = None,
        size: tuple[int, int] | None = (1600, 1000),
        with_strap: bool = False,
        quirks: str = "standard",
        usage: Usage | None = Usage.GYM,
    ) -> None:
        self.tmp_path = tmp_path
        self.clock = ScaledClock(scale)
        self.world = VirtualWorld(
            self.clock, data_rate_hz=data_rate_hz, with_strap=with_strap, quirks=quirks
        )
        self.trace = Trace(self.world)
        self.sessions_dir = tmp_path / "sessions"
        self.settings = settings or settings_file(tmp_path)
        answered = AppSettings(self.settings)
        if usage is not None and answered.usage is None:
            # Answered as the tests before the question expect (gym: the app forgets who was
            # chosen); an answer already there is the earlier run's, and is kept.
            answered.usage = usage
        self.speaker = Speaker("mock")
        self._limits = limits
        self._size = size
        self._collector = GuiThreadCollector()
        self._bridge: Bridge | None = None
        self._window: MainWindow | None = None
        #: Whether the window had shut down (belt stopped, log closed) when it was deleted.
        self.window_shut_down = False

    @property
    def bridge(self) -> Bridge:
        assert self._bridge is not None
        return self._bridge

    @property
    def window(self) -> MainWindow:
        assert self._window is not None
        return self._window

    async def __aenter__(self) -> Self:
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        apply_style(app)
        # As the app does (ui.app.run_app): the window's worker threads never collect.
        self._collector.start()
        await self.world.start()
        self._bridge, self._window = build_window(
            self.clock,
            BleakBackends.of(self.world),
            folder=DataFolder.at(self.tmp_path, sessions=self.sessions_dir),
            settings=self.settings,
            world=self.world,
            speaker=self.speaker,
            sounds=SoundPlayer(enabled=False),
            scan_timeout_s=0.5,
            limits=self._limits,
        )
        if self._size is not None:  # None: keep what the settings restored
            self.window.resize(*self._size)
        self.window.show()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.close_window()
        finally:
            await self.world.close()
            self._delete_window()
            self._collector.stop()

    def _delete_window(self) -> None:
        """Delete the closed window now. A closed window is only hidden: kept, each test's
        window (some 30 top-level widgets and their timers) stayed alive for the rest of the
        run and every later test ran slower — 53 UI tests took 485 s with the windows kept,
        97 s with them deleted."""
        window, self._window = self._window, None
        if window is None:
            return
        self.window_shut_down = window.shut_down
        # Deleted by Qt's event loop at its next turn (the next test's loop at the latest),
        # never in the middle of a callback: deleting it here at once crashed a run once.
        window.deleteLater()

    async def close_window(self) -> None:
        window = self._window
        if window is None or window.shut_down:
            return
        closed = self.expect(window.closed)
        window.close()
        await closed

    # -- waiting --------------------------------------------------------------------------------

    def expect(
        self,
        signal: SignalInstance,
        where: Callable[..., bool] = lambda *_: True,
        timeout: float = WAIT,
    ) -> asyncio.Future[tuple[Any, ...]]:
        """:func:`expect`: arm before acting, then await."""
        return expect(signal, where, timeout)

    def expect_state(self, state: SessionState) -> asyncio.Future[tuple[Any, ...]]:
        """The next ``state_changed`` into ``state`` (the window told, after stop-first)."""
        return expect(self.bridge.state_changed, lambda e: e.state is state)

    def expect_notice(self, kind: NoticeKind) -> asyncio.Future[tuple[Any, ...]]:
        """The next notice of ``kind`` the window is told of."""
        return expect(self.bridge.notice, lambda n: n.kind is kind)

    async def until(
        self, condition: Callable[[], bool], *signals: SignalInstance, timeout: float = WAIT
    ) -> None:
        """:func:`until`, on the bridge's samples by default (they arrive at the data rate)."""
        await until(condition, *(signals or (self.bridge.sample,)), timeout=timeout)

    async def samples(self, count: int) -> None:
        """Let ``count`` more treadmill records arrive (time passing, measured in data)."""
        seen = 0

        def counted() -> bool:
            nonlocal seen
            seen += 1
            return seen >= count

        await _on_emissions(counted, (self.bridge.sample,), WAIT)

    # -- acting ---------------------------------------------------------------------------------

    def click(self, button: QAbstractButton) -> None:
        assert button.isEnabled(), f"{button.text()!r} is disabled"
        QTest.mouseClick(button, Qt.MouseButton.LeftButton)

    async def activate(self) -> None:
        """Make the window the active one (QShortcuts fire only in the active window)."""
        app = QApplication.instance()
        assert isinstance(app, QApplication)
        self.window.activateWindow()
        await self.until(self.window.isActiveWindow, app.focusWindowChanged)

    def key(self, key: Qt.Key, widget: Any = None) -> None:
        target = widget or QApplication.focusWidget() or self.window
        QTest.keyClick(target, key)

    # -- openings: the treadmill and sessions ---------------------------------------------------

    async def scan(self) -> list[FoundDevice]:
        """Scan from the connect page's button; returns what the scan found."""
        scanned = self.expect(self.bridge.scan_finished)
        self.click(self.window.connect_view.scan_button)
        (found,) = await scanned
        return list(found)

    async def connect(self) -> None:
        """Scanned and connected to the virtual treadmill, as ``--simulate`` does at start."""
        connected = self.expect(self.bridge.connected)
        self.bridge.scan_then_connect(self.world.treadmill_address)
        await connected
        # The idle runner follows the connect: STOP has a runner from here on.
        await self.until(lambda: self.bridge.session_kind is not None)

    async def start_program_file(self, text: str = TURNAROUND_PROGRAM) -> None:
        """``text`` opened as a file on the programs page and started: the session has
        started (the belt may not move yet)."""
        path = self.tmp_path / "program.toml"
        path.write_text(text, encoding="utf-8")
        assert self.window.program_view.open_file(str(path)) is not None
        started = self.expect(self.bridge.session_started)
        self.click(self.window.program_view.start_button)
        await started

    async def start_manual(self) -> None:
        """The programs page's Manual session pressed: the session has started."""
        started = self.expect(self.bridge.session_started)
        self.click(self.window.program_view.manual_button)
        await started

    async def belt_running(self) -> None:
        """Until the virtual belt itself moves (not just the app believes so)."""
        await self.until(
            lambda: (
                self.world.model.state is MachineState.RUNNING
                and self.world.model.snapshot().speed_kmh > 0
            )
        )

    async def belt_stopped(self) -> None:
        await self.until(lambda: self.world.model.state is MachineState.STOPPED)

    async def running_program(self, program_text: str = TURNAROUND_PROGRAM) -> None:
        """Connected, ``program_text`` started from the programs page, the belt moving."""
        await self.connect()
        await self.start_program_file(program_text)
        await self.belt_running()

    async def manual_session(self) -> None:
        """Connected, a manual session started from the programs page, the belt moving."""
        await self.connect()
        await self.start_manual()
        await self.belt_running()

    async def finish_session(self) -> SessionEnded:
        """End session pressed; returns the session's end (belt stopped, log closed)."""
        finished = self.expect(self.bridge.session_finished)
        self.click(self.window.controls.finish_button)  # "End session…"
        self.click(self.window.controls.finish_button)  # "Press again to end"
        (ended,) = await finished
        assert isinstance(ended, SessionEnded)
        return ended

    async def short_session(self, program_text: str = TURNAROUND_PROGRAM) -> Path:
        """Start ``program_text`` from the programs page, let the belt move, End session
        (connected first: this does not connect). Returns the session's log (closed)."""
        await self.start_program_file(program_text)
        await self.belt_running()
        await self.samples(4)
        ended = await self.finish_session()
        assert ended.log_path is not None
        return Path(ended.log_path)

    # -- openings: people -----------------------------------------------------------------------

    def add_people(self, *names: str) -> None:
        """Profiles created (as the New button does), in this order."""
        for name in names:
            self.window.profiles.create(name)

    def set_pin(self, pin: str) -> None:
        """The admin PIN set in the store, as if an admin had set it on an earlier day."""
        self.window.profiles.profiles.set_pin(pin)

    async def choose_person(self, name: str) -> None:
        """``name`` chosen on the profiles page, as a person clicks their button."""
        self.window.show_page("profiles")
        self.click(self.window.profiles_view.profile_buttons[name])
        assert self.bridge.profile_name == name

    async def choose_new_person(self, name: str, *, pin: str | None = None) -> None:
        """The profiles opening: the admin PIN set (when ``pin`` is given), ``name`` created,
        then chosen on the profiles page."""
        if pin is not None:
            self.set_pin(pin)
        self.add_people(name)
        await self.choose_person(name)
