"""The admin PIN on the profiles page: changing it, the progression cap it guards, and the wait
after wrong PINs.

Real engine, virtual treadmill and the real store, as in ``test_profiles``. The wrong-PIN waits
run on an injected clock (``ProfilesModel.monotonic``), so nothing sleeps: the clock is moved.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtWidgets import QLabel, QLineEdit

from tests.treadctl.profiles.support import Ticks
from tests.ui.harness import AppHarness, with_app
from tests.ui.test_profiles import PIN, pin_dialog, submit_pin
from treadctl.profiles import Profiles, WrongPin
from treadctl.store import GUEST, Store
from ui.profiles import CAP_FIELD, ChangePinDialog, ProfilesView

NEW_PIN = "8642"


def open_change_dialog(app: AppHarness) -> ChangePinDialog:
    view = app.window.profiles_view
    app.window.show_page("profiles")
    app.click(view.pin_button)
    dialog = view.change_pin_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def shown_text(view: ProfilesView, dialog: ChangePinDialog) -> str:
    """Every label's text on the page and in the dialog: where a PIN must never appear."""
    labels = view.findChildren(QLabel) + dialog.findChildren(QLabel)
    return "\n".join(label.text() for label in labels)


def fill(dialog: ChangePinDialog, old: str, new: str, again: str | None = None) -> None:
    dialog.old.setText(old)
    dialog.new.setText(new)
    dialog.again.setText(new if again is None else again)


def engine(tmp_path: Path) -> tuple[Store, Profiles]:
    """The store on its own connection, as another process would see it."""
    store = Store(tmp_path)
    return store, Profiles(store)


@with_app()
async def test_the_admin_pin_is_changed_with_the_old_one(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)
    assert view.pin_button.text().replace("&", "") == "Change admin PIN…"
    assert view.pin_status.text().startswith("Admin PIN: set.")

    dialog = open_change_dialog(app)
    assert not dialog.first_use and dialog.old.isVisible()
    assert not view.pin_button.isEnabled()  # one dialog at a time
    for field in (dialog.old, dialog.new, dialog.again):
        assert field.echoMode() is QLineEdit.EchoMode.Password

    # Incomplete forms are answered in the dialog, and nothing reaches the engine.
    submitted: list[object] = []
    dialog.submitted.connect(lambda *args: submitted.append(args))
    fill(dialog, "", NEW_PIN)
    dialog.ok_button.click()
    assert dialog.problem.text() == "Type the current admin PIN."
    fill(dialog, PIN, "12")
    dialog.ok_button.click()
    assert dialog.problem.text() == "The new PIN needs at least 4 characters."
    fill(dialog, PIN, NEW_PIN, "8643")
    dialog.ok_button.click()
    assert dialog.problem.text() == "The two new PINs differ: type the same PIN twice."
    assert dialog.again.text() == ""
    assert submitted == [] and not dialog.busy

    # A wrong current PIN: the dialog stays, says so, and only that field is cleared.
    fill(dialog, "0000", NEW_PIN)
    refused = app.expect(model.pin_change_refused)
    dialog.ok_button.click()
    # The check runs off the Qt thread: the click returned before any answer.
    assert dialog.busy and not refused.done()
    (message, error) = await refused
    assert isinstance(error, WrongPin)
    assert message == "Wrong current admin PIN. The PIN was not changed."
    assert dialog.problem.text() == message
    assert dialog.isVisible() and not dialog.busy
    assert dialog.old.text() == "" and dialog.new.text() == NEW_PIN
    assert "0000" not in shown_text(view, dialog)
    assert NEW_PIN not in shown_text(view, dialog)

    dialog.old.setText(PIN)
    changed = app.expect(model.pin_changed)
    dialog.ok_button.click()
    (first,) = await changed
    assert first is False
    assert view.change_pin_dialog is None  # closed (and deleted)
    assert len(submitted) == 2  # the wrong PIN and this one
    assert view.limits_message.text() == "Admin PIN changed: the old PIN no longer works."
    assert view.pin_button.isEnabled()
    assert NEW_PIN not in view.limits_message.text()

    store, profiles = engine(app.tmp_path)
    with store:
        profiles.verify_pin(NEW_PIN)
        with pytest.raises(WrongPin):
            profiles.verify_pin(PIN)


@with_app()
async def test_the_admin_pin_can_be_set_before_any_raise(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    app.window.show_page("profiles")
    assert view.pin_button.text().replace("&", "") == "Set admin PIN…"
    assert "not set yet" in view.pin_status.text()

    dialog = open_change_dialog(app)
    assert dialog.first_use and not dialog.old.isVisible()
    assert dialog.ok_button.text() == "Set PIN"
    fill(dialog, "", NEW_PIN)
    changed = app.expect(model.pin_changed)
    dialog.ok_button.click()
    (first,) = await changed
    assert first is True
    assert model.has_pin()
    assert view.limits_message.text().startswith("Admin PIN set")
    assert view.pin_button.text().replace("&", "") == "Change admin PIN…"


@with_app()
async def test_wrong_pins_start_a_wait_that_the_page_states(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    ticks = Ticks()
    model.monotonic = ticks
    await app.choose_new_person("Ana", pin=PIN)

    async def try_raise(pin: str) -> str:
        view.table.set_value("forward_max_speed_kmh", 14.0)
        app.click(view.apply_button)
        dialog = await pin_dialog(app)
        (message,) = await submit_pin(app, dialog, pin, model.limits_refused)
        return str(message)

    first = await try_raise("0000")
    assert "in a row" not in first
    await try_raise("0001")
    third = await try_raise("0002")
    assert third.startswith("Wrong admin PIN: nothing was changed.")
    assert third.endswith("3 wrong PINs in a row: the next try is possible in 5 s.")

    # During the wait the dialog says so before anything is typed, and even the right
    # PIN is refused, with how long is left.
    ticks.value += 2
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    assert dialog.problem.text() == "After wrong PINs, no PIN is checked for 3 s more."
    (message,) = await submit_pin(app, dialog, PIN, model.limits_refused)
    assert message == (
        "Not saved, nothing was changed. 3 wrong admin PINs in a row: no PIN is checked "
        "for now. Try again in 3 s."
    )
    assert view.limits_message.text() == message
    assert view.limits_message.property("state") == "refused"
    assert model.profiles.get("Ana").limits.forward_max_speed_kmh == 12.0

    # The PIN change is held by the same wait.
    dialog_change = open_change_dialog(app)
    assert "no PIN is checked for 3 s more" in dialog_change.problem.text()
    fill(dialog_change, PIN, NEW_PIN)
    refused_change = app.expect(model.pin_change_refused)
    dialog_change.ok_button.click()
    (text, _) = await refused_change
    assert text == (
        "3 wrong admin PINs in a row: no PIN is checked for now. Try again in 3 s. "
        "The PIN was not changed."
    )
    dialog_change.reject()

    # Once it is over, the right PIN works and starts the count again.
    ticks.value += 3
    view.table.set_value("forward_max_speed_kmh", 14.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    assert dialog.problem.text() == ""
    (profile, _) = await submit_pin(app, dialog, PIN, model.limits_saved)
    assert profile.limits.forward_max_speed_kmh == 14.0
    assert model.pin_wait_s() == 0


@with_app()
async def test_the_progression_cap_is_shown_and_edited_with_the_limits(app: AppHarness) -> None:
    model = app.window.profiles
    view = app.window.profiles_view
    await app.choose_new_person("Ana", pin=PIN)
    table = view.table
    assert table.value(CAP_FIELD) == 10.0 and table.spins[CAP_FIELD].isEnabled()
    assert "at the cap of 10" in view.progression.text()

    # Raising it needs the PIN; with the wrong one nothing at all is kept, not even a
    # limit lowered in the same Apply.
    table.set_value(CAP_FIELD, 20.0)
    table.set_value("backward_max_speed_kmh", 5.0)
    assert "above default" in table.markers[CAP_FIELD].text()
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    text = dialog.findChild(QLabel, "dialogText")
    assert text is not None
    assert "backward progression cap to 20 min (default 10 min)" in text.text()
    await submit_pin(app, dialog, "0000", model.limits_refused)
    ana = model.profiles.get("Ana")
    assert (ana.backward_minutes_cap, ana.limits.backward_max_speed_kmh) == (None, 6.0)
    assert table.value(CAP_FIELD) == 10.0  # the screen shows what is stored

    table.set_value(CAP_FIELD, 20.0)
    app.click(view.apply_button)
    dialog = await pin_dialog(app)
    (profile, changes) = await submit_pin(app, dialog, PIN, model.limits_saved)
    assert profile.progression_cap == 20.0
    assert changes == "backward progression cap 20 min (was 10 min)"
    assert model.profiles.get("Ana").progression_cap == 20.0
    assert table.value(CAP_FIELD) == 20.0 and not view.apply_button.isEnabled()
    assert "above default" in table.markers[CAP_FIELD].text()
    assert "10 min → 11.5 min" in view.progression.text()

    # Lowering it needs no PIN.
    table.set_value(CAP_FIELD, 12.0)
    saved = app.expect(model.limits_saved)
    app.click(view.apply_button)
    (profile, changes) = await saved
    assert view.pin_dialog is None
    assert profile.progression_cap == 12.0
    assert changes == "backward progression cap 12 min (was 20 min)"

    # Undo puts back the stored cap; guests do not progress, so theirs is locked.
    table.set_value(CAP_FIELD, 8.0)
    app.click(view.undo_button)
    assert table.value(CAP_FIELD) == 12.0
    await app.choose_person(GUEST)
    assert not table.spins[CAP_FIELD].isEnabled()
    assert table.value(CAP_FIELD) == 10.0
