"""Take the app's screenshots at the sizes it must work on:
``uv run python docs/screenshots/take_screenshots.py --all`` (headless: Qt's offscreen
platform with one screen of each size; under a real display, that display).

First the startup screen (``ui.splash``); then it drives the real app against the virtual
treadmill exactly as the UI tests do (``tests/ui/harness.py``): connect (and the strap),
choose a profile, pick a built-in program, import a Zwift run workout (``import-preview.png``:
the preview's own window, one pace still missing, one step changed by the limits), start the
program (the count), run it, skip into the first
backward bout (through the turnaround); pause, stop, silence (stale readouts), drop the link,
pull the safety key — resuming after each; end the session (its summary, then the chooser);
then the limits (after a refused raise), the person's race paces (``profiles-paces.png``) and
accounts (``accounts.png``: nothing connected yet), the history and the settings. Past weeks of
sessions are logs written beforehand, as ``treadctl run`` would have. Each PNG is the window's
own ``grab()`` after the window has fitted itself to the screen; ``rear-display.png`` is the
rear display's (``ui.rear_display``), at a TV's 1920x1080, during the same backward bout,
grabbed unshown (the headless screen is the laptop's only).

``--all`` writes every size of ``SIZES`` into ``docs/screenshots/WxH/``; ``--size WxH --out
DIR`` one size into DIR (to look at a change without touching the committed ones).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import qasync  # noqa: E402
from PySide6.QtCore import QSettings  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from tests.treadctl.test_store import write_log  # noqa: E402
from tests.ui.harness import AppHarness, run, until  # noqa: E402
from treadctl.core import SessionState, StopReason  # noqa: E402
from treadctl.program import RunPaces  # noqa: E402
from treadctl.safety import NoticeKind  # noqa: E402
from treadctl.virtual.heart_rate_strap import DEFAULT_STRAP_ADDRESS  # noqa: E402
from ui.rear_display import RearDisplay  # noqa: E402
from ui.splash import StartupScreen  # noqa: E402


async def save(app: AppHarness, out: Path, name: str, widget: QWidget | None = None) -> None:
    """The window (or ``widget``, a window of its own) as ``out/name.png``."""
    # Let Qt lay out and paint what just changed (processEvents here would re-enter the loop).
    await asyncio.sleep(0.3)
    path = out / f"{name}.png"
    (widget or app.window).grab().save(str(path))
    print(f"saved {path}")


#: A Zwift run workout as a person brings it: against the 5 km, 1 mile and marathon paces.
TEMPO_ZWO = b"""<?xml version="1.0" encoding="UTF-8"?>
<workout_file>
  <name>Tempo and mile repeats</name>
  <sportType>run</sportType>
  <workout>
    <SteadyState Duration="600" Power="0.75" pace="1">
      <textevent timeoffset="0" message="Easy start"/>
    </SteadyState>
    <IntervalsT Repeat="5" OnDuration="60" OffDuration="90" OnPower="1.1" OffPower="0.7"
                pace="0"/>
    <FreeRide Duration="300"/>
    <Cooldown Duration="300" PowerLow="0.9" PowerHigh="0.7" pace="4"/>
  </workout>
</workout_file>
"""


async def import_preview(app: AppHarness, tmp: Path, out: Path) -> None:
    """The import preview with the stored paces filled in, a free-run speed typed, the
    marathon pace still missing (refused, in red) and the mile repeats over the cap."""
    app.window.profiles.profiles.set_paces("Anna", RunPaces(mile=255.0, k5=285.0))
    source = tmp / "tempo-and-mile-repeats.zwo"
    source.write_bytes(TEMPO_ZWO)
    preview = await app.window.program_view.preview_workout(source)
    assert preview is not None
    preview.speed_field.setText("8")
    await until(lambda: preview.idle, preview.converted)  # converted in a worker thread
    await save(app, out, "import-preview", preview)
    preview.close()


def past_sessions(sessions: Path) -> None:
    """Six weeks of Anna's sessions, backward minutes growing, and one of Ben's."""
    sessions.mkdir(parents=True)
    now = datetime.now(UTC)
    for week in range(6):
        for k in range(2):
            started = now - timedelta(days=7 * (6 - week) + 3 * k, hours=2)
            minutes = 3 + week * 0.8 + k * 0.4
            write_log(
                sessions,
                f"a{week}{k}",
                profile="Anna",
                started=started,
                forward_s=300,
                backward_s=int(60 * minutes),
            )
    write_log(sessions, "b0", profile="Ben", started=now - timedelta(days=3))


async def scenario(tmp: Path, out: Path, size: tuple[int, int]) -> None:
    startup = StartupScreen(
        QSettings(str(tmp / "startup.ini"), QSettings.Format.IniFormat), simulate=True
    )
    startup.resize(*size)
    startup.grab().save(str(out / "startup.png"))
    print(f"saved {out / 'startup.png'}")
    past_sessions(tmp / "sessions")
    async with AppHarness(tmp, scale=4.0, with_strap=True, size=size) as app:
        profiles = app.window.profiles
        for name in ("Chris Okafor", "Dana"):
            profiles.create(name)
        profiles.profiles.set_pin("4321")
        await app.connect()
        # On the bridge from the start, as when it is shown on a second screen.
        rear = RearDisplay(app.bridge)
        rear.resize(1920, 1080)
        # The heart-rate strap too, as the connect page does for a listed strap.
        strap_read = app.expect(app.bridge.strap_reading)
        app.bridge.connect_strap(DEFAULT_STRAP_ADDRESS)
        await strap_read
        view = app.window.profiles_view
        view.choose("Anna")
        view.table.set_value("backward_max_speed_kmh", 5.0)  # lowering: no PIN
        saved = app.expect(profiles.limits_saved)
        app.click(view.apply_button)
        await saved
        app.window.show_page("connect")
        await save(app, out, "connect")
        app.window.show_page("programs")
        app.window.program_view.list.setCurrentRow(0)
        await save(app, out, "programs")
        await import_preview(app, tmp, out)

        counted = app.expect(app.bridge.start_countdown, lambda n, *_: n == 2)
        started = app.expect(app.bridge.session_started)
        app.click(app.window.program_view.start_button)
        await counted
        await save(app, out, "starting")
        await started
        await app.belt_running()
        await app.samples(60)  # 15 simulated seconds of ramp-up and walking
        await save(app, out, "dashboard-forward")
        app.click(app.window.controls.skip_button)
        await app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.TURNAROUND_COUNTDOWN)
        await save(app, out, "turnaround")
        await app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.DIRECTION_CHANGED)
        await app.samples(40)
        await save(app, out, "dashboard")
        rear.grab().save(str(out / "rear-display.png"))
        print(f"saved {out / 'rear-display.png'}")
        rear.close()
        rear.deleteLater()

        controls = app.window.controls
        console = app.window.console
        assert console is not None

        async def resume() -> None:
            running = app.expect_state(SessionState.RUNNING)
            app.click(controls.pause_button)
            await running
            await app.belt_running()

        paused = app.expect_state(SessionState.STOPPED)
        app.click(controls.pause_button)
        await paused
        await app.samples(8)
        await save(app, out, "paused")
        await resume()
        stopped = app.expect_state(SessionState.STOPPED)
        app.click(controls.stop_button)
        await stopped
        await app.samples(8)
        await save(app, out, "stopped")
        await resume()

        # Silence: the watchdog stops the belt, the readouts go grey.
        watchdog = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.WATCHDOG)
        console.silent.setChecked(True)
        await watchdog
        await asyncio.sleep(1.5)  # real time: the data's age grows on screen
        app.window.dashboard.check_freshness()
        await save(app, out, "stale")
        console.silent.setChecked(False)
        await app.samples(2)
        # The watchdog's alarm, and the one saying its stop could not be seen (no data came).
        for kind in list(app.window.alarms.active_kinds):
            app.click(app.window.alarms.row(kind).ack)  # type: ignore[union-attr]
        await resume()

        lost = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.LINK_LOST)
        app.click(console.buttons["drop_link"])
        await lost
        back = app.expect(app.bridge.reconnected)  # armed first: it may come during the save
        await save(app, out, "link-lost")
        await back
        await app.samples(4)
        await save(app, out, "alarm")
        app.click(app.window.alarms.row(NoticeKind.LINK_LOST).ack)  # type: ignore[union-attr]
        await resume()

        key_out = app.expect_state(SessionState.STOPPED)
        app.click(console.buttons["pull_key"])
        await key_out
        await app.samples(8)
        await save(app, out, "safety-key")
        console.on_insert_key()
        app.click(app.window.alarms.row(StopReason.SAFETY_KEY).ack)  # type: ignore[union-attr]
        await resume()
        await app.samples(8)

        # The end of Anna's turn: what it was, then the chooser for the next person.
        finished = app.expect(app.bridge.session_finished)
        app.click(controls.finish_button)
        app.click(controls.finish_button)  # confirmed
        await finished
        await save(app, out, "summary")
        app.click(app.window.summary.next_button)
        await save(app, out, "profile-chooser")

        # Anna's limits, after someone tried to raise one with a wrong PIN.
        view.choose("Anna")
        view.table.set_value("forward_max_speed_kmh", 14.0)
        app.click(view.apply_button)
        await app.expect(profiles.pin_required)
        assert view.pin_dialog is not None
        view.pin_dialog.pin.setText("1111")
        refused = app.expect(profiles.limits_refused)
        view.pin_dialog.on_ok()
        await refused
        await save(app, out, "profiles")
        paces = view.paces_button.open_dialog()
        await save(app, out, "profiles-paces", paces)
        paces.close()
        accounts = app.window.open_accounts()
        await save(app, out, "accounts", accounts)
        accounts.close()

        app.window.show_page("history")
        await save(app, out, "history")
        app.window.show_page("settings")
        await save(app, out, "settings")


def screen_of(width: int, height: int, folder: Path) -> None:
    """Headless, the app sees one screen of ``width`` x ``height`` (its window fits itself to
    the screen, so the screen's size is the shot's); under a real display, that display."""
    if os.environ.get("QT_QPA_PLATFORM", "offscreen").split(":")[0] != "offscreen":
        return
    config = folder / "screens.json"
    screen = {"name": "laptop", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [screen]}), encoding="utf-8")
    os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={config}"


#: The screens the app must work on: two gym laptops and a big screen.
SIZES = ("1280x720", "1366x768", "1920x1080")


def main() -> None:
    parser = argparse.ArgumentParser(description="Take the README's screenshots.")
    parser.add_argument("--out", type=Path, default=HERE, help="where the PNGs go")
    parser.add_argument("--size", default="1366x768", help="the screen's size, WxH")
    parser.add_argument(
        "--all", action="store_true", help=f"every size of {SIZES}, each into OUT/WxH/"
    )
    args = parser.parse_args()
    if args.all:
        # One process per size: a headless screen's size is fixed when Qt starts.
        for size in SIZES:
            command = [sys.executable, __file__, "--size", size, "--out", str(args.out / size)]
            subprocess.run(command, check=True)
        return
    args.out.mkdir(parents=True, exist_ok=True)
    width, height = (int(v) for v in args.size.lower().split("x"))
    screen_of(width, height, Path(tempfile.mkdtemp()))
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        run(loop, scenario(Path(tmp), args.out, (width, height)))
    loop.close()


if __name__ == "__main__":
    main()
