"""Take the README's screenshots: ``xvfb-run -a -s "-screen 0 1600x1000x24" uv run python
docs/screenshots/take_screenshots.py`` (or with ``QT_QPA_PLATFORM=offscreen``).

Drives the real app against the virtual treadmill exactly as the UI tests do
(``tests/ui/harness.py``): connect, pick a built-in program, run it, skip into the first
backward bout (through the turnaround), drop the link. Each PNG is the window's own ``grab()``.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

import qasync  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from tests.ui.harness import AppHarness, run  # noqa: E402
from treadctl.safety import NoticeKind  # noqa: E402


async def save(app: AppHarness, name: str) -> None:
    # Let Qt lay out and paint what just changed (processEvents here would re-enter the loop).
    await asyncio.sleep(0.3)
    path = HERE / f"{name}.png"
    app.window.grab().save(str(path))
    print(f"saved {path}")


async def scenario(tmp: Path) -> None:
    async with AppHarness(tmp, scale=4.0, with_strap=True) as app:
        await app.connect()
        app.window.show_page("connect")
        await save(app, "connect")
        app.window.show_page("programs")
        app.window.program_view.list.setCurrentRow(0)
        await save(app, "programs")

        started = app.expect(app.bridge.session_started)
        app.click(app.window.program_view.start_button)
        await started
        await app.belt_running()
        await app.samples(60)  # 15 simulated seconds of ramp-up and walking
        app.click(app.window.controls.skip_button)
        await app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.TURNAROUND_COUNTDOWN)
        await save(app, "turnaround")
        await app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.DIRECTION_CHANGED)
        await app.samples(40)
        await save(app, "dashboard")

        assert app.window.console is not None
        lost = app.expect(app.bridge.notice, lambda n: n.kind is NoticeKind.LINK_LOST)
        app.click(app.window.console.buttons["drop_link"])
        await lost
        await app.expect(app.bridge.reconnected)
        await app.samples(4)
        await save(app, "alarm")


def main() -> None:
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setQuitOnLastWindowClosed(False)
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with tempfile.TemporaryDirectory() as tmp:
        run(loop, scenario(Path(tmp)))
    loop.close()


if __name__ == "__main__":
    main()
