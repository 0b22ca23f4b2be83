"""The whole app against the virtual treadmill, for UI tests and the screenshot script.

Shape::

    async with AppHarness(tmp_path, scale=4.0) as app:   # world started, window shown
        await app.connect()                               # scan + connect (as --simulate does)
        fired = app.expect(app.bridge.session_started)    # arm before acting
        app.click(app.window.program_view.start_button)
        await fired                                       # bounded by WAIT real seconds
        await app.until(lambda: ..., app.bridge.sample)   # re-checked on each emission

Real engine, real GATT over the in-process radio, a ScaledClock (``scale`` simulated seconds
per real second), speech on Qt's ``mock`` engine and sounds off. Waits are on Qt signals, each
bounded; nothing sleeps. Leaving the block closes the window the way a user does (which stops
the belt and closes the log) and then the world.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from PySide6.QtCore import QSettings, Qt, SignalInstance
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QAbstractButton, QApplication

from treadctl.clock import ScaledClock
from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.link import BleakBackends
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld
from ui.app import apply_style, build_window
from ui.bridge import Bridge
from ui.cues import SoundPlayer, Speaker
from ui.main_window import MainWindow

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


def run(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, Any]) -> Any:
    """Run one test scenario on the test's qasync loop, bounded in real time."""
    return loop.run_until_complete(asyncio.wait_for(coro, SCENARIO_TIMEOUT))


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
    ) -> None:
        self.tmp_path = tmp_path
        self.clock = ScaledClock(scale)
        self.world = VirtualWorld(self.clock, data_rate_hz=data_rate_hz, with_strap=with_strap)
        self.trace = Trace(self.world)
        self.sessions_dir = tmp_path / "sessions"
        self.settings = settings or QSettings(
            str(tmp_path / "settings.ini"), QSettings.Format.IniFormat
        )
        self.speaker = Speaker("mock")
        self._limits = limits
        self._size = size
        self._bridge: Bridge | None = None
        self._window: MainWindow | None = None

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
        """A future for the next emission of ``signal`` whose arguments satisfy ``where``.

        Armed at once: call it *before* the action that should emit, then await it.
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
        self, condition: Callable[[], bool], *signals: SignalInstance, timeout: float = WAIT
    ) -> None:
        """Return once ``condition()`` holds, checking it now and on each emission of
        ``signals`` (the bridge's samples by default: they arrive at the data rate)."""
        if condition():
            return
        await self.expect_any(signals or (self.bridge.sample,), condition, timeout)

    async def expect_any(
        self, signals: tuple[SignalInstance, ...], condition: Callable[[], bool], timeout: float
    ) -> None:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()

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

    async def samples(self, count: int) -> None:
        """Let ``count`` more treadmill records arrive (time passing, measured in data)."""
        seen = 0

        def counted() -> bool:
            nonlocal seen
            seen += 1
            return seen >= count

        await self.expect_any((self.bridge.sample,), counted, WAIT)

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

    async def connect(self) -> None:
        connected = self.expect(self.bridge.connected)
        self.bridge.scan_then_connect(self.world.treadmill_address)
        await connected
        # The idle runner follows the connect: STOP has a runner from here on.
        await self.until(lambda: self.bridge.session_kind is not None)

    async def start_program_file(self, text: str = TURNAROUND_PROGRAM) -> None:
        path = self.tmp_path / "program.toml"
        path.write_text(text, encoding="utf-8")
        assert self.window.program_view.open_file(str(path)) is not None
        started = self.expect(self.bridge.session_started)
        self.click(self.window.program_view.start_button)
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
