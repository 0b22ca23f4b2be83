"""Stop keys from every window, and the remotes people use (ui/stop_keys.py).

A key press here is a real Qt key event sent to the focused widget of a window other than the
main one; what must follow is on the treadmill (the control point's writes), not on a label.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialog, QLineEdit, QVBoxLayout

from tests.ui.harness import AppHarness, with_app
from treadctl.core import SessionState
from ui.stop_keys import KEYS, LONG_PRESS_S, Action, describe


def _stop_writes(app: AppHarness) -> int:
    return sum(op in ("stop", "pause") for op in app.trace.ops)


@with_app()
async def test_space_in_the_program_editor_stops_a_running_belt(app: AppHarness) -> None:
    await app.running_program()
    editor = app.window.open_editor(None)
    field = editor.description_edit
    field.setFocus()
    before = field.toPlainText()
    stopped = app.expect_state(SessionState.STOPPED)
    QTest.keyClick(field, Qt.Key.Key_Space)
    await stopped
    assert field.toPlainText() == before  # the space was a stop, not a character
    assert app.trace.ops[-1] == "stop"


@with_app()
async def test_with_no_session_space_in_the_editor_is_a_space(app: AppHarness) -> None:
    await app.connect()
    editor = app.window.open_editor(None)
    field = editor.description_edit
    field.setFocus()
    QTest.keyClicks(field, "a b")
    assert field.toPlainText().endswith("a b")
    assert _stop_writes(app) == 0


@with_app()
async def test_esc_in_a_dialog_stops_the_belt(app: AppHarness) -> None:
    await app.running_program()
    dialog = QDialog(app.window)
    entry = QLineEdit(dialog)
    QVBoxLayout(dialog).addWidget(entry)
    dialog.show()
    entry.setFocus()
    stopped = app.expect_state(SessionState.STOPPED)
    QTest.keyClick(entry, Qt.Key.Key_Escape)
    await stopped
    assert app.trace.ops[-1] == "stop"
    assert dialog.isVisible()  # the key was the stop's: the dialog did not take it as "close"
    dialog.close()


@with_app()
async def test_each_remote_key_stops_a_running_belt(app: AppHarness) -> None:
    await app.running_program()
    remote = [k for k in KEYS if k.key not in (Qt.Key.Key_Escape, Qt.Key.Key_Space)]
    assert {Qt.Key.Key_PageDown, Qt.Key.Key_MediaTogglePlayPause, Qt.Key.Key_VolumeUp} <= {
        k.key for k in remote
    }
    app.bridge.countdown_s = 0  # the count before a resume is another test's
    for entry in remote:
        stopped = app.expect_state(SessionState.STOPPED)
        QTest.keyClick(app.window.program_view.list, entry.key)
        await stopped
        assert entry.action is Action.STOP and app.trace.ops[-1] == "stop", entry
        running = app.expect_state(SessionState.RUNNING)
        app.click(app.window.controls.pause_button)  # Resume
        await running


@with_app()
async def test_a_short_press_never_resumes_and_a_long_press_does(app: AppHarness) -> None:
    await app.running_program()
    keys = app.window.key_filter
    target = app.window.dashboard
    stopped = app.expect_state(SessionState.STOPPED)
    QTest.keyPress(target, Qt.Key.Key_PageDown)
    QTest.keyRelease(target, Qt.Key.Key_PageDown)
    await stopped
    # On the stopped session, a short press: nothing starts (the long-press timer is dropped
    # at the release, so nothing can start later either).
    starts = app.trace.ops.count("start_or_resume")
    QTest.keyPress(target, Qt.Key.Key_PageDown)
    assert keys._long.isActive()
    QTest.keyRelease(target, Qt.Key.Key_PageDown)
    assert not keys._long.isActive()
    assert app.bridge.session_state is SessionState.STOPPED
    assert not app.bridge.counting_down
    assert app.trace.ops.count("start_or_resume") == starts
    # Held: after LONG_PRESS_S the session resumes, through the spoken count.
    held = app.expect(keys.resume_held, timeout=LONG_PRESS_S + 5)
    running = app.expect_state(SessionState.RUNNING)
    QTest.keyPress(target, Qt.Key.Key_PageDown)
    await held
    assert app.bridge.counting_down
    QTest.keyRelease(target, Qt.Key.Key_PageDown)
    await running
    assert any(s.startswith("Resuming in") for s in app.speaker.spoken)


def test_the_settings_words_for_a_key() -> None:
    assert describe(Qt.Key.Key_Escape).endswith("EMERGENCY STOP")
    words = describe(Qt.Key.Key_PageDown)
    assert "STOP" in words and f"hold {LONG_PRESS_S:g} s" in words and "Resume" in words
    assert describe(Qt.Key.Key_A).endswith("does nothing on the belt")


@with_app()
async def test_the_settings_page_shows_what_a_remote_key_does(app: AppHarness) -> None:
    app.window.show_page("settings")
    panel = app.window.remote_keys
    QTest.keyClick(app.window.settings_view, Qt.Key.Key_MediaTogglePlayPause)
    assert "STOP" in panel.tried.text() and "play/pause" in panel.tried.text()
    QTest.keyClick(app.window.settings_view, Qt.Key.Key_A)
    assert panel.tried.text().endswith("does nothing on the belt")
