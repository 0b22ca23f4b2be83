"""Benchmark: the app window on the virtual treadmill, each figure next to its baseline.

Run on demand (not part of `uv run pytest`):

    uv run python tests/bench/bench_app.py [--presses N] [--cpu-seconds S] [--startup-runs K]
                                           [--json]

Everything runs on the real engine and the real window (``ui.app.build_window``, the qasync
loop, the virtual treadmill streaming Treadmill Data at 10 Hz of real time, a manual session),
on Qt's ``offscreen`` platform unless a display is present. The 6-hour session is
*synthesized*: 216 000 samples (5 min forward, 2 min backward, ramps, noise) appended through
``LivePlot.append`` — what ``on_progress`` calls — not streamed: streaming 6 h through the stack
would take minutes for nothing the live part does not exercise. So that the plot's time axis is
the real one, the app's clock (``JumpClock``, injected as any Clock is) moves on 6 h as the
session starts; the live samples then follow the synthesized ones at t ≈ 21 600 s.

(a) E-stop: Esc → Stop write received by the virtual treadmill, ``--presses`` times (then as
    many presses of a remote's play/pause key, the stop a Bluetooth media remote sends), with the
    6 h plotted. A helper thread "presses" at a random planned instant by handing
    ``QTest.keyClick(window, Esc)`` to the Qt thread; latency runs from the planned instant to
    the virtual treadmill's trace callback for the Stop write, so a press that lands while the
    Qt thread is busy (a redraw) waits, as a real key event would. Between presses the belt is
    restarted the normal way (``Bridge.resume`` → ``runner.start()``) and runs first.
    Baseline: the bare link — ``TreadmillLink.stop()`` "pressed" the same way, no window.
(b) Notification → updated: from the virtual treadmill handing a complete Treadmill Data
    record to GATT (a timestamping wrapper on its Bumble device's ``notify_subscriber``: an
    observation; nothing in the project changes) to a slot on ``Bridge.progress`` connected
    after the window's own, i.e. once the dashboard's labels and the plot's buffer hold the
    value. Collected during (a) and (c). Baseline: the same record reaching a bare link's
    listener. The treadmill shares the Qt thread, so a record that falls due while the thread
    is busy is stamped only once it is free: (a)'s "waiting for the Qt thread" row is that wait.
(c) CPU of the whole process over ``--cpu-seconds`` of a running 10 Hz session with the window
    and the 6 h plotted, vs the bare link streaming 10 Hz alone (both include the treadmill).
(d) Plot redraw, run after the loop has closed, on a ``LivePlot`` of the in-app plot's size
    with the app's stylesheet: a new sample, ``redraw()``, then Qt's events until the
    paints it caused are done (one redraw tick as the app lives it), with the 216 000 samples
    over 0-21 600 s vs 1 minute (600 samples). RSS: the app process's resident set at the end
    of (c), 6 h plotted, vs connected with an empty plot.
(e) Startup: process start → first paint of the window flushed, in a subprocess that runs the
    real ``treadctl --simulate`` entry point and exits at that moment, vs a bare PySide6
    QWidget of the same size. Median of ``--startup-runs`` each, after one warm-up each (which
    also writes the bytecode cache, to a temporary ``PYTHONPYCACHEPREFIX``).

Targets: E-stop p99 ≤ 16 ms (a remote's key too), notification p99 ≤ 16 ms, CPU ≤ 4× the
bare link, RSS ≤ 250 MB, redraw ≤ 10 ms, startup ≤ 1.5× the bare window. ``--json`` prints
``{"estop_p50_ms", "estop_p99_ms", "remote_p99_ms", "notify_p50_ms", "notify_p99_ms",
"cpu_ratio", "rss_mb_6h", "redraw_ms_6h", "startup_ratio"}`` last.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import queue
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np
import pyqtgraph as pg
import qasync
from PySide6.QtCore import QEvent, QObject, QSettings, Qt, SignalInstance
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from treadctl.clock import Clock, RealClock
from treadctl.data_folder import DataFolder
from treadctl.limits import DEFAULT_LIMITS, Direction
from treadctl.link import BleakBackends, Sample, TreadmillLink
from treadctl.session import Progress, SessionState, StateChanged
from treadctl.virtual.peripheral import TREADMILL_DATA_UUID
from treadctl.virtual.treadmill import MachineState
from treadctl.virtual.world import VirtualWorld
from ui.app import apply_style, build_window
from ui.cues import SoundPlayer, Speaker
from ui.plot import LivePlot
from ui.settings_view import AppSettings
from ui.usage import Usage

RATE_HZ = 10.0
SIX_HOURS = 216_000  # samples: 6 h at 10 Hz
ONE_MINUTE = 600
WAIT = 15.0  # real seconds: an upper bound for any single wait, never a delay
REDRAWS = 50


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


# -- probes ---------------------------------------------------------------------------------


class NotifyProbe:
    """Stamps each complete Treadmill Data record as the virtual treadmill hands it to GATT.

    An instance attribute wraps the peripheral's Bumble ``Device.notify_subscriber``: the
    virtual treadmill has no hook for data notifications (its trace has writes and belt state
    only), and this adds a ``perf_counter`` and an append per record.
    """

    def __init__(self, world: VirtualWorld) -> None:
        self.sent: deque[tuple[float, bytes]] = deque()
        device = world.treadmill.device
        original = device.notify_subscriber

        async def stamped(
            connection: Any, attribute: Any, value: Any = None, force: bool = False
        ) -> None:
            # The last fragment of a record has More Data (flags bit 0) clear.
            if attribute.uuid == TREADMILL_DATA_UUID and value and not value[0] & 1:
                self.sent.append((time.perf_counter(), bytes(value)))
            await original(connection, attribute, value, force=force)

        device.notify_subscriber = stamped  # type: ignore[method-assign]

    def take(self, sample: Sample) -> float | None:
        """When the record ``sample`` was decoded from was sent (records arrive in order)."""
        last = sample.raw[-1] if sample.raw else None
        while self.sent:
            t, payload = self.sent.popleft()
            if payload == last:
                return t
        return None


class StopTrace:
    """Resolves a future at the virtual treadmill's trace of the next Stop write."""

    def __init__(self, world: VirtualWorld) -> None:
        self._future: asyncio.Future[float] | None = None
        world.treadmill.add_trace_listener(self._on_trace)

    def arm(self) -> asyncio.Future[float]:
        self._future = asyncio.get_running_loop().create_future()
        return self._future

    def _on_trace(self, record: dict[str, Any]) -> None:
        now = time.perf_counter()
        if record.get("kind") != "write" or record.get("op") != "stop":
            return
        if self._future is not None and not self._future.done():
            if record.get("result") == "success":
                self._future.set_result(now)
            else:
                self._future.set_exception(RuntimeError(f"stop write: {record}"))


class Presser:
    """A thread that acts at planned instants by handing a callable to the loop's thread.

    A press planned while the Qt thread is busy runs only once it is free, as a real key event
    would; latencies count from the planned instant.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._jobs: queue.Queue[tuple[float, Callable[[], None]] | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="presser", daemon=True)
        self._thread.start()

    def at(self, when: float, action: Callable[[], None]) -> None:
        self._jobs.put((when, action))

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join()

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            when, action = job
            delay = when - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            self._loop.call_soon_threadsafe(action)


async def until(
    condition: Callable[[], bool], *signals: SignalInstance, timeout: float = WAIT
) -> None:
    """Return once ``condition()`` holds, re-checked on each emission of ``signals``.

    ``tests.ui.harness.until`` again: this file runs as a script (``python
    tests/bench/bench_app.py``), where the ``tests`` package is not importable."""
    if condition():
        return
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


# -- a 6-hour session -----------------------------------------------------------------------


def six_hours(count: int = SIX_HOURS, seed: int = 1826) -> tuple[np.ndarray, ...]:
    """An interval session: 5 min forward at 6 km/h, 2 min backward at 3 km/h, with ramps and
    measurement noise; samples 0.1 s apart from t = 0."""
    rng = np.random.default_rng(seed)
    t = np.arange(count) / RATE_HZ
    in_cycle = t % 420.0
    backward = in_cycle >= 300.0
    target = np.where(backward, 3.0, 6.0)
    ramp = np.minimum(1.0, np.where(backward, in_cycle - 300.0, in_cycle) / 8.0)
    measured = np.round(target * ramp + rng.normal(0.0, 0.05, count), 2).clip(0.0)
    return t, measured, target, backward


def fill(
    plot: LivePlot, t: np.ndarray, kmh: np.ndarray, goal: np.ndarray, back: np.ndarray
) -> None:
    for ti, vi, gi, bi in zip(t.tolist(), kmh.tolist(), goal.tolist(), back.tolist(), strict=True):
        plot.append(ti, vi, gi, Direction.BACKWARD if bi else Direction.FORWARD)


class PaintCount(QObject):
    """Counts the paint events a widget receives."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        self.count += event.type() == QEvent.Type.Paint
        return False


def redraw_ticks(size: tuple[int, int], samples: int, ticks: int = REDRAWS) -> dict[str, Any]:
    """Each of ``ticks`` redraws as the app runs one: a new sample, ``redraw()``, then
    Qt's events until the paints it caused are done. Run with no asyncio loop running (Qt's
    events are processed here). Times in ms; also the paint events per tick."""
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    plot = LivePlot()
    plot.resize(*size)
    plot.show()
    t, kmh, goal, back = six_hours(samples)
    fill(plot, t, kmh, goal, back)
    plot.redraw()
    for _ in range(5):
        app.processEvents()
    paints = PaintCount()
    view = plot.findChild(pg.PlotWidget)
    assert view is not None
    view.viewport().installEventFilter(paints)
    times = []
    for i in range(ticks):
        plot.append(float(t[-1]) + (i + 1) / RATE_HZ, 5.0, 5.0, Direction.FORWARD)
        start = time.perf_counter()
        plot.redraw()
        for _ in range(5):  # a paint can schedule another: let it happen too
            app.processEvents()
        times.append((time.perf_counter() - start) * 1000)
    plot.close()
    plot.deleteLater()
    app.processEvents()
    return {"ms": times, "paints_per_tick": paints.count / ticks}


# -- baseline: the bare link ----------------------------------------------------------------


async def bare_link(presses: int, cpu_seconds: float, rng: random.Random) -> dict[str, Any]:
    presser = Presser(asyncio.get_running_loop())
    clock = RealClock()
    tasks: set[asyncio.Task[None]] = set()
    async with VirtualWorld(clock, data_rate_hz=RATE_HZ) as world:
        probe = NotifyProbe(world)
        stops = StopTrace(world)
        link = TreadmillLink(clock, backends=BleakBackends.of(world))
        notify: list[float] = []

        def on_event(event: object) -> None:
            if isinstance(event, Sample) and (sent := probe.take(event)) is not None:
                notify.append((time.perf_counter() - sent) * 1000)

        def press() -> None:
            task = asyncio.ensure_future(link.stop())  # as the runner sends a stop
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        link.add_listener(on_event)
        await link.connect(world.treadmill_address)
        try:
            estop: list[float] = []
            for _ in range(presses):
                await link.start_at(DEFAULT_LIMITS.start_speed_kmh)
                stop_written = stops.arm()
                planned = time.perf_counter() + rng.uniform(0.02, 0.22)
                presser.at(planned, press)
                estop.append((await asyncio.wait_for(stop_written, WAIT) - planned) * 1000)
                await asyncio.gather(*tasks)
            await link.start_at(DEFAULT_LIMITS.start_speed_kmh)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            await asyncio.sleep(cpu_seconds)
            cpu = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        finally:
            presser.close()
            await link.disconnect()
    return {
        "estop": estop,
        "notify": notify,
        "cpu": cpu,
    }


# -- the app --------------------------------------------------------------------------------


class JumpClock(Clock):
    """The loop's time plus an offset the bench moves on once: the app's clock.

    Six hours pass in one step as the session starts, so the live samples are 6 h into the
    session and the plot's time axis is the real one. The virtual treadmill keeps its own
    ``RealClock``: its 10 Hz is real time.
    """

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        return asyncio.get_running_loop().time() + self.offset

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


async def the_app(
    presses: int, cpu_seconds: float, rng: random.Random, tmp: Path
) -> dict[str, Any]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    apply_style(app)
    clock = JumpClock()
    world = VirtualWorld(RealClock(), data_rate_hz=RATE_HZ)
    probe = NotifyProbe(world)
    stops = StopTrace(world)
    await world.start()
    settings = QSettings(str(tmp / "settings.ini"), QSettings.Format.IniFormat)
    # The first start's question answered, as by the UI tests: no second window to measure.
    AppSettings(settings).usage = Usage.GYM
    bridge, window = build_window(
        clock,
        BleakBackends.of(world),
        folder=DataFolder.at(tmp),
        settings=settings,
        world=world,
        speaker=Speaker("mock"),
        sounds=SoundPlayer(enabled=False),
        scan_timeout_s=0.5,
    )
    window.resize(1600, 1000)
    window.show()
    # The count before a resume (3 s) is for the person, not a figure measured here.
    bridge.countdown_s = 0
    plot = window.dashboard.plot
    out: dict[str, Any] = {}

    # Connected after the window's own slots: these run once the dashboard has the value.
    notify: list[float] = []
    collecting = False
    last_t = 0.0
    current: tuple[Sample | None, float | None] = (None, None)

    def on_sample(sample: Sample) -> None:
        nonlocal current
        current = (sample, probe.take(sample))

    def on_progress(progress: Progress, _distance: float) -> None:
        nonlocal last_t
        last_t = progress.t
        sample, sent = current
        if collecting and sent is not None and progress.sample is sample:
            notify.append((time.perf_counter() - sent) * 1000)

    bridge.sample.connect(on_sample)
    bridge.progress.connect(on_progress)

    def running() -> bool:
        return (
            bridge.session_state is SessionState.RUNNING
            and world.model.state is MachineState.RUNNING
            and world.model.snapshot().speed_kmh > 0
        )

    # Six hours into the session. The jump happens once the runner has taken its start time
    # and started the belt but before its ticker first reads the clock (else it would tick
    # through the 6 h to catch up): at its first RUNNING, which it reports synchronously
    # inside run(). The plot gets what those hours drew before any live sample.
    t, kmh, goal, back = six_hours()

    def six_hours_later(event: StateChanged) -> None:
        nonlocal last_t
        if event.state is not SessionState.RUNNING or clock.offset:
            return
        clock.offset = SIX_HOURS / RATE_HZ
        start = time.perf_counter()
        fill(plot, t, kmh, goal, back)
        out["fill_s"] = time.perf_counter() - start
        last_t = float(t[-1])

    presser = Presser(asyncio.get_running_loop())
    try:
        bridge.scan_then_connect(world.treadmill_address)
        await until(lambda: bridge.session_kind is not None, bridge.connected, bridge.sample)
        out["rss_empty"] = rss_mb()

        bridge.state_changed.connect(six_hours_later)
        bridge.start_manual()
        await until(running, bridge.sample)
        await until(lambda: last_t > SIX_HOURS / RATE_HZ, bridge.progress)
        bridge.state_changed.disconnect(six_hours_later)
        if plot.sample_count < SIX_HOURS:
            raise RuntimeError(f"the plot holds {plot.sample_count} samples, not 6 h")
        collecting = True

        estop: list[float] = []
        queued: list[float] = []
        remote: list[float] = []
        # Esc, then a remote's play/pause (a media remote pairs as a keyboard): each stop key
        # through the same filter, pressed into whichever widget has the focus.
        for key, into in ((Qt.Key.Key_Escape, estop), (Qt.Key.Key_MediaTogglePlayPause, remote)):
            for _ in range(presses):
                if not running():
                    bridge.resume()  # the Resume button's path: runner.start()
                    await until(running, bridge.sample)
                stop_written = stops.arm()
                planned = time.perf_counter() + rng.uniform(0.02, 0.22)

                def press(planned: float = planned, key: Qt.Key = key) -> None:
                    queued.append((time.perf_counter() - planned) * 1000)
                    QTest.keyClick(window, key)

                presser.at(planned, press)
                into.append((await asyncio.wait_for(stop_written, WAIT) - planned) * 1000)
                if bridge.session_state is not SessionState.STOPPED:
                    raise RuntimeError(f"{key!r} left the session {bridge.session_state}")
        out["estop"], out["estop_queued"], out["remote"] = estop, queued, remote

        bridge.resume()
        await until(running, bridge.sample)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        await asyncio.sleep(cpu_seconds)
        out["cpu"] = (time.process_time() - cpu0) / (time.perf_counter() - wall0) * 100
        collecting = False
        out["notify"] = notify
        out["plot_samples_live"] = plot.sample_count
        out["session_t"] = last_t

        out["rss_6h"] = rss_mb()
        out["plot_size"] = (plot.width(), plot.height())
    finally:
        presser.close()
        if not window.shut_down:
            closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def on_closed() -> None:
                if not closed.done():
                    closed.set_result(None)

            window.closed.connect(on_closed)
            window.close()
            await asyncio.wait_for(closed, WAIT)
        await world.close()
    return out


# -- startup --------------------------------------------------------------------------------

_FIRST_PAINT = """
import os, sys, time
from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QApplication, QWidget

class FirstPaint(QObject):
    seen = False

    def eventFilter(self, watched, event):
        if (
            not self.seen
            and event.type() == QEvent.Type.Paint
            and isinstance(watched, QWidget)
            and watched.isWindow()
        ):
            self.seen = True
            QTimer.singleShot(0, done)  # runs once this paint pass has been flushed
        return False

def done():
    print(time.monotonic(), flush=True)
    os._exit(0)

app = QApplication(sys.argv)
first_paint = FirstPaint()
app.installEventFilter(first_paint)
"""

BARE_WINDOW = (
    _FIRST_PAINT
    + """
window = QWidget()
window.resize(1600, 1000)
window.show()
app.exec()
"""
)

# The console script's own path (ui.launcher → treadctl.cli → ui.app.run_app), unmodified.
APP_WINDOW = (
    _FIRST_PAINT
    + """
sys.argv = ["treadctl", "--simulate"]
from ui.launcher import main
main()
"""
)


def startup_s(code: str, home: Path) -> float:
    env = dict(os.environ)
    # Settings and session logs of a fresh user, not this machine's.
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[var] = str(home / var.lower())
    # Bytecode cached as in any installed app (the warm-up run writes it), kept out of the tree;
    # with PYTHONDONTWRITEBYTECODE every start would recompile each module.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(home / "pycache")
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = done.stdout.split()
    if done.returncode != 0 or not lines:
        raise RuntimeError(f"startup script failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return float(lines[-1]) - start


def startup(runs: int, home: Path) -> tuple[float, float]:
    startup_s(BARE_WINDOW, home)  # warm-up: disk cache, bytecode
    startup_s(APP_WINDOW, home)
    bare, ours = [], []
    for _ in range(runs):
        bare.append(startup_s(BARE_WINDOW, home))
        ours.append(startup_s(APP_WINDOW, home))
    return statistics.median(ours), statistics.median(bare)


# -- main -----------------------------------------------------------------------------------


async def settle() -> None:
    """Let what the closed worlds left behind finish on the loop, not at interpreter exit."""
    gc.collect()  # a scanner's abandoned async generator closes while the loop still runs
    await asyncio.sleep(0.1)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)


def measure(args: argparse.Namespace) -> dict[str, Any]:
    rng = random.Random(1826)
    with tempfile.TemporaryDirectory(prefix="bench_app_") as tmp_dir:
        tmp = Path(tmp_dir)
        app_start, bare_start = startup(args.startup_runs, tmp / "startup")
        app = QApplication.instance() or QApplication(sys.argv[:1])
        assert isinstance(app, QApplication)
        app.setQuitOnLastWindowClosed(False)  # as in the app: the world closes after the window
        loop = qasync.QEventLoop(app)
        asyncio.set_event_loop(loop)
        try:
            bare = loop.run_until_complete(bare_link(args.presses, args.cpu_seconds, rng))
            ours = loop.run_until_complete(the_app(args.presses, args.cpu_seconds, rng, tmp))
        finally:
            loop.run_until_complete(settle())
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            asyncio.set_event_loop(None)
        ours["redraw_6h"] = redraw_ticks(ours["plot_size"], SIX_HOURS)
        ours["redraw_1min"] = redraw_ticks(ours["plot_size"], ONE_MINUTE)
    return {"bare": bare, "ours": ours, "app_start_s": app_start, "bare_start_s": bare_start}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=200)
    parser.add_argument("--cpu-seconds", type=float, default=10.0)
    parser.add_argument("--startup-runs", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON last")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    began = time.perf_counter()
    r = measure(args)
    ours, bare = r["ours"], r["bare"]

    def p50(values: list[float]) -> float:
        return statistics.median(values)

    def p99(values: list[float]) -> float:
        return percentile(values, 99)

    f = {
        "estop_p50_ms": p50(ours["estop"]),
        "estop_p99_ms": p99(ours["estop"]),
        "remote_p99_ms": p99(ours["remote"]),
        "notify_p50_ms": p50(ours["notify"]),
        "notify_p99_ms": p99(ours["notify"]),
        "cpu_ratio": ours["cpu"] / bare["cpu"],
        "rss_mb_6h": ours["rss_6h"],
        "redraw_ms_6h": p50(ours["redraw_6h"]["ms"]),
        "startup_ratio": r["app_start_s"] / r["bare_start_s"],
    }
    rows: list[tuple[str, float, float | None, str]] = [
        ("E-stop: Esc → Stop write, p50 ms", f["estop_p50_ms"], p50(bare["estop"]), ""),
        ("E-stop: Esc → Stop write, p99 ms", f["estop_p99_ms"], p99(bare["estop"]), "<= 16"),
        ("  max ms", max(ours["estop"]), max(bare["estop"]), ""),
        ("  press waiting for the Qt thread, p99 ms", p99(ours["estop_queued"]), None, ""),
        ("Stop: remote play/pause → Stop write, p99 ms", f["remote_p99_ms"], None, "<= 16"),
        ("notification → dashboard+plot, p50 ms", f["notify_p50_ms"], p50(bare["notify"]), ""),
        ("notification → dashboard+plot, p99 ms", f["notify_p99_ms"], p99(bare["notify"]), "<= 16"),
        ("  max ms", max(ours["notify"]), max(bare["notify"]), ""),
        ("CPU, % of one core at 10 Hz", ours["cpu"], bare["cpu"], "<= 4x"),
        ("RSS MB: 6 h plotted | empty plot", f["rss_mb_6h"], ours["rss_empty"], "<= 250"),
        (
            "plot redraw p50 ms: 6 h | 1 min",
            f["redraw_ms_6h"],
            p50(ours["redraw_1min"]["ms"]),
            "<= 10",
        ),
        ("  max ms", max(ours["redraw_6h"]["ms"]), max(ours["redraw_1min"]["ms"]), ""),
        (
            "  paint events per redraw tick",
            ours["redraw_6h"]["paints_per_tick"],
            ours["redraw_1min"]["paints_per_tick"],
            "",
        ),
        ("start → first paint, s: app | bare", r["app_start_s"], r["bare_start_s"], "<= 1.5x"),
    ]
    print(
        f"App on the virtual treadmill ({QApplication.platformName()}, 10 Hz, manual session "
        f"at t = {ours['session_t']:.0f} s): {args.presses} presses, "
        f"{len(ours['notify'])} notifications"
    )
    print(f"{'figure':<46}{'app':>10}{'baseline':>10}   target")
    for name, value, base, target in rows:
        shown = f"{base:>10.3f}" if base is not None else f"{'':>10}"
        print(f"{name:<46}{value:>10.3f}{shown}   {target}".rstrip())
    print(
        f"ratios: CPU {f['cpu_ratio']:.2f}x (target <= 4), "
        f"startup {f['startup_ratio']:.2f}x (target <= 1.5)"
    )
    print(
        f"6 h into the plot in {ours['fill_s']:.2f} s; it held {ours['plot_samples_live']} "
        f"samples at the end; plot {ours['plot_size'][0]}x{ours['plot_size'][1]} px; bench took "
        f"{time.perf_counter() - began:.0f} s"
    )
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in f.items()}))


if __name__ == "__main__":
    main()
