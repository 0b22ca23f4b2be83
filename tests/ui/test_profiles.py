"""Profiles in the window: choosing who runs, the limits a session gets, the admin PIN, Guest.

Real engine, virtual treadmill, and the real history store in the test's tmp directory (the
folder that holds the sessions folder, as in the app). Dialogs are driven as a person would:
type, then press their buttons.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import SignalInstance
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QMessageBox, QPushButton

from tests.ui.harness import AppHarness, run, with_app
from treadctl.limits import DEFAULT_LIMITS
from treadctl.profiles import Profiles
from treadctl.recorder import read_session_log
from treadctl.store import GUEST, Store
from ui.profiles import PinDialog

PIN = "4321"


async def pin_dialog(app: AppHarness) -> PinDialog:
    view = app.window.profiles_view
    await app.until(lambda: view.pin_dialog is not None, app.window.profiles.pin_required)
    dialog = view.pin_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


async def submit_pin(
    app: AppHarness, dialog: PinDialog, pin: str, answer: SignalInstance
) -> tuple[Any, ...]:
    """Type ``pin`` in the PIN dialog and press OK; returns the arguments of ``answer``, the
    model's signal that should follow (``limits_saved``, ``limits_refused``)."""
    dialog.pin.setText(pin)
    answered = app.expect(answer)
    ok_button(dialog).click()
    return await answered


def ok_button(dialog: PinDialog) -> QPushButton:
    button = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert button is not None
    return button


@with_app()
async def test_profile_switch_changes_the_limits_a_session_runs_with(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    app.add_people("Ana", "Ben")
    await app.connect()

    # Ana's backward speed is lowered on her limits table (no PIN for lowering).
    await app.choose_person("Ana")
    view.table.set_value("backward_max_speed_kmh", 4.0)
    saved = app.expect(model.limits_saved)
    app.click(view.apply_button)
    await saved
    assert app.bridge.limits.backward_max_speed_kmh == 4.0
    assert app.window.profile_badge.text() == "● Ana"

    log = read_session_log(await app.short_session())
    assert log.header["profile"] == "Ana"
    assert log.header["limits"]["backward_max_speed_kmh"] == 4.0

    # Shared laptop (the default): the summary, nobody chosen; "Next person" is the chooser.
    assert app.window.page == "summary"
    assert app.bridge.profile_name is None
    app.click(app.window.summary.next_button)
    assert app.window.page == "profiles"
    assert "Ana" in view.last_text.text()

    await app.choose_person("Ben")
    assert app.bridge.limits == DEFAULT_LIMITS
    app.window.show_page("programs")
    log = read_session_log(await app.short_session())
    assert log.header["profile"] == "Ben"
    assert log.header["limits"]["backward_max_speed_kmh"] == 6.0

    with Store(app.tmp_path) as store:
        assert [s.profile for s in store.sessions()] == ["Ana", "Ben"]


@with_app()
async def test_raising_a_limit_without_the_pin_is_refused_and_changes_nothing(
    app: AppHarness,
) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)

    # Cancel: no PIN given.
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    assert not dialog.first_use
    text = dialog.findChild(QLabel, "dialogText")
    assert text is not None and "forward max speed to 14 km/h" in text.text()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert cancel is not None
    cancel.click()
    assert view.pin_dialog is None
    assert "no admin PIN given. Nothing was changed." in view.limits_message.text()
    assert view.table.value("forward_max_speed_kmh") == 12.0
    assert model.profiles.get("Ana").limits.forward_max_speed_kmh == 12.0

    # A wrong PIN: refused with a message that says so, the limit stays.
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    (message,) = await submit_pin(app, dialog, "0000", model.limits_refused)
    assert message.startswith("Wrong admin PIN: nothing was changed.")
    assert "forward max speed to 14 km/h (default 12 km/h)" in message
    assert view.limits_message.text() == message
    assert view.limits_message.property("state") == "refused"
    assert model.profiles.get("Ana").limits.forward_max_speed_kmh == 12.0
    assert view.table.value("forward_max_speed_kmh") == 12.0  # the screen agrees
    assert app.bridge.limits.forward_max_speed_kmh == 12.0


@with_app()
async def test_raising_a_limit_with_the_pin_works(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    (profile, changes) = await submit_pin(app, dialog, PIN, model.limits_saved)
    assert profile.limits.forward_max_speed_kmh == 14.0
    assert "forward max speed 14 km/h (was 12 km/h)" in changes
    assert model.profiles.get("Ana").limits.forward_max_speed_kmh == 14.0
    # The next session runs with it, and the table marks it as above the default.
    assert app.bridge.limits.forward_max_speed_kmh == 14.0
    assert "above default" in view.table.markers["forward_max_speed_kmh"].text()


@with_app()
async def test_the_first_raise_sets_the_admin_pin(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana")
    assert not model.has_pin()
    view.table.set_value("backward_minutes_per_session", 15.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    assert dialog.first_use and dialog.confirm.isVisible()
    dialog.pin.setText("2468")
    dialog.confirm.setText("2469")
    ok_button(dialog).click()  # the two differ: the dialog says so and stays
    assert "differ" in dialog.problem.text() and dialog.isVisible()
    dialog.confirm.setText("2468")
    saved = app.expect(model.limits_saved)
    ok_button(dialog).click()
    await saved
    assert model.has_pin()
    model.profiles.verify_pin("2468")
    assert model.profiles.get("Ana").limits.backward_minutes_per_session == 15.0


@with_app()
async def test_lowering_a_limit_needs_no_pin(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)
    view.table.set_value("backward_max_speed_kmh", 4.5)
    view.table.set_value("max_heart_rate_bpm", 160)
    assert "edited" in view.table.markers["backward_max_speed_kmh"].text()
    saved = app.expect(model.limits_saved)
    app.click(view.apply_button)
    (profile, changes) = await saved
    assert view.pin_dialog is None
    assert profile.limits.backward_max_speed_kmh == 4.5
    assert profile.limits.max_heart_rate_bpm == 160
    assert "backward max speed 4.5 km/h (was 6 km/h)" in changes
    assert view.limits_message.property("state") == "ok"
    assert not view.apply_button.isEnabled()  # nothing left to apply
    assert app.bridge.limits.max_heart_rate_bpm == 160


@with_app()
async def test_limits_that_do_not_fit_together_are_refused(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana")
    # Lower, so no PIN; but the turnaround may not be slower than the start speed.
    view.table.set_value("turnaround_speed_kmh", 0.8)
    app.click(view.apply_button)
    message = view.limits_message.text()
    assert message == (
        "Not saved, nothing was changed: turnaround speed must be at least start speed."
    )
    assert model.profiles.get("Ana").limits.turnaround_speed_kmh == 2.0
    assert view.table.value("turnaround_speed_kmh") == 2.0


@with_app()
async def test_a_guest_session_is_not_kept(app: AppHarness) -> None:
    view = app.window.profiles_view
    app.add_people("Ana")
    await app.connect()
    await app.choose_person(GUEST)
    app.window.show_page("programs")
    log_path = await app.short_session()
    assert read_session_log(log_path).header["profile"] == GUEST

    # The chooser offers to keep it; nothing is kept unless someone does.
    assert app.window.page == "summary"
    app.click(app.window.summary.next_button)
    assert app.window.page == "profiles"
    assert view.last_box.isVisible() and view.guest_row.isVisible()
    assert "not kept unless you save it" in view.last_text.text()
    offered = view.guest_session
    assert offered is not None and not offered.saved
    app.click(view.discard_button)
    assert view.guest_session is None
    assert not log_path.exists()
    with Store(app.tmp_path) as store:
        assert store.sessions() == []
        assert store.sync(app.sessions_dir).imported == []  # not back after a sync
    app.window.show_page("history")
    assert app.window.history_view.sessions == []


@with_app()
async def test_a_guest_session_can_be_saved_to_a_profile(app: AppHarness) -> None:
    view = app.window.profiles_view
    app.add_people("Ana", "Ben")
    await app.connect()
    await app.choose_person(GUEST)
    await app.short_session()
    view.save_target.setCurrentText("Ben")
    app.click(view.save_button)
    assert "saved to Ben" in view.last_text.text()
    with Store(app.tmp_path) as store:
        (session,) = store.sessions("Ben")
        assert session.saved
    # The next person choosing does not take it away again.
    await app.choose_person("Ana")
    with Store(app.tmp_path) as store:
        assert len(store.sessions("Ben")) == 1


@with_app()
async def test_choosing_the_next_person_lets_the_guest_session_go(app: AppHarness) -> None:
    app.add_people("Ana")
    await app.connect()
    await app.choose_person(GUEST)
    log_path = await app.short_session()
    assert app.window.profiles_view.guest_session is not None
    await app.choose_person("Ana")
    assert app.window.profiles_view.guest_session is None
    assert not log_path.exists()


@with_app()
async def test_new_rename_and_delete_with_confirmation(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    app.window.show_page("profiles")
    app.click(view.new_button)
    dialog = view.name_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.setTextValue("Ana  Maria")  # a space typed in a dialog is a space
    dialog.accept()
    assert [p.name for p in model.people()] == ["Ana Maria"]
    assert app.bridge.profile_name == "Ana Maria"  # chosen at once
    assert view.profile_buttons["Ana Maria"].isChecked()

    app.click(view.rename_button)
    dialog = view.name_dialog
    assert dialog is not None
    dialog.setTextValue("Ana")
    dialog.accept()
    assert [p.name for p in model.people()] == ["Ana"]
    assert app.bridge.profile_name == "Ana"

    # Delete asks first, and says that the history goes too. Cancel keeps it.
    app.click(view.delete_button)
    box = view.confirm_box
    assert box is not None and box.isVisible()
    assert "history" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert [p.name for p in model.people()] == ["Ana"]

    app.click(view.delete_button)
    box = view.confirm_box
    assert box is not None
    (delete,) = [
        b for b in box.buttons() if box.buttonRole(b) is QMessageBox.ButtonRole.DestructiveRole
    ]
    assert "Delete Ana and the history" in delete.text()
    delete.click()
    assert model.people() == []
    assert app.bridge.profile_name is None
    assert "Ana" not in view.profile_buttons

    # Guest cannot be renamed or deleted.
    await app.choose_person(GUEST)
    assert not view.rename_button.isEnabled()
    assert not view.delete_button.isEnabled()


@with_app()
async def test_a_duplicate_name_is_refused_with_the_reason(app: AppHarness) -> None:
    view = app.window.profiles_view
    app.window.show_page("profiles")
    assert view.create_profile("Ana") is not None
    assert view.create_profile("ana") is None
    assert "already exists" in view.error.text()
    assert view.error.isVisible()


def test_the_window_opens_on_the_chooser_when_there_are_profiles(
    loop: asyncio.AbstractEventLoop, tmp_path: Path
) -> None:
    with Store(tmp_path) as store:
        profiles = Profiles(store)
        profiles.create("Ana")
        profiles.select("Ana")  # the last person: must not carry over on a shared laptop

    async def scenario() -> None:
        async with AppHarness(tmp_path) as app:
            assert app.window.page == "profiles"
            assert app.bridge.profile_name is None
            assert app.window.profile_badge.text() == "no profile"
            assert not any(b.isChecked() for b in app.window.profiles_view.profile_buttons.values())
            # Connecting does not take the chooser away; choosing and Continue goes on.
            await app.connect()
            assert app.window.page == "profiles"
            await app.choose_person("Ana")
            app.click(app.window.profiles_view.continue_button)
            assert app.window.page == "programs"

    run(loop, scenario())


@with_app()
async def test_no_profiles_no_chooser(app: AppHarness) -> None:
    assert app.window.page == "connect"
    assert app.bridge.profile_name is None  # runs as before: the base limits, kept
    await app.connect()
    log_path = await app.short_session()
    assert read_session_log(log_path).header["profile"] is None
    assert app.window.page == "summary"
    assert not app.window.summary.next_button.isVisibleTo(app.window)  # nobody to choose
    with Store(app.tmp_path) as store:
        (session,) = store.sessions()
        assert session.saved


@with_app()
async def test_profiles_cannot_switch_during_a_session(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    app.add_people("Ana", "Ben")
    await app.connect()
    await app.choose_person("Ana")
    await app.start_program_file()
    await app.belt_running()
    assert not view.profile_buttons["Ben"].isEnabled()
    assert not view.table.isEnabled()
    assert not view.new_button.isEnabled() and not view.rename_button.isEnabled()
    said = app.expect(app.bridge.message)
    model.select("Ben")
    (text,) = await said
    assert "Finish the session" in text
    assert app.bridge.profile_name == "Ana"


@with_app()
async def test_the_admin_pin_is_never_logged(
    app: AppHarness, caplog: pytest.LogCaptureFixture
) -> None:
    """The PIN goes to a worker thread (scrypt is slow); the event loop logs what it hands a
    thread at DEBUG level, arguments included: it must not see the PIN."""
    caplog.set_level(logging.DEBUG)
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    await submit_pin(app, dialog, PIN, model.limits_saved)
    changed = app.expect(model.pin_changed)
    model.change_pin("97531", PIN)
    await changed
    assert "submitting" in caplog.text or "executor" in caplog.text.lower()  # it did log
    assert PIN not in caplog.text and "97531" not in caplog.text
