"""Settings: display unit, rear display, sounds, speech, and home or gym. Kept in QSettings.

Shape::

    AppSettings(settings)        typed reads and writes of the keys below
    SettingsView(app_settings)   the page; ``changed`` after every edit (already saved)
    SwitchableSpeaker(inner)     a Speaker the settings can silence at any moment
    SwitchableSounds(inner)      the same for the cue sounds

Keys: ``display/speed_unit`` (a :class:`ui.format.SpeedUnit` value), ``display/rear_screen``
(the rear display's screen, by name; empty: off), ``cues/sounds``, ``cues/speech``,
``profiles/usage`` (a :class:`ui.usage.Usage` value; absent until the first start's question is
answered). The limits are not here: they belong to each profile (Profiles page), within the
bounds the admin PIN guards; the PIN is set and changed there too, where it is asked for (this
page says so).

Home or gym replaces the earlier "return to the profile chooser" switch
(``profiles/return_to_chooser``): ``return_to_chooser`` is now derived from it, and a settings
file that still holds the old switch answers the question with it (on: gym, off: home), so
nobody who set it is asked again.

Why the switchable wrappers: ``ui.cues`` builds its speaker and player once, at start; a
switch in the settings must take effect for the next cue without rebuilding them.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtGui import QGuiApplication, QScreen, QShowEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLayout,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from ui import format
from ui.cues import SoundPlayer, Speaker
from ui.format import SpeedUnit
from ui.usage import Usage

SPEED_UNIT_KEY = "display/speed_unit"
REAR_SCREEN_KEY = "display/rear_screen"
SOUNDS_KEY = "cues/sounds"
SPEECH_KEY = "cues/speech"
USAGE_KEY = "profiles/usage"
EXPORT_FOLDER_KEY = "history/export_folder"
PROGRAM_FOLDER_KEY = "programs/last_folder"
RETURN_TO_CHOOSER_KEY = "profiles/return_to_chooser"  # before home or gym: read, never written


class AppSettings:
    """The app's own settings, typed. Every write is synced at once (a kill loses nothing)."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    def _flag(self, key: str, default: bool) -> bool:
        value = self._settings.value(key, default)
        if isinstance(value, str):  # INI files give strings back
            return value.strip().lower() in ("true", "1", "yes", "on")
        return bool(value)

    def _set(self, key: str, value: object) -> None:
        self._settings.setValue(key, value)
        self._settings.sync()

    @property
    def speed_unit(self) -> SpeedUnit:
        value = self._settings.value(SPEED_UNIT_KEY, SpeedUnit.KMH.value)
        try:
            return SpeedUnit(str(value))
        except ValueError:
            return SpeedUnit.KMH

    @speed_unit.setter
    def speed_unit(self, unit: SpeedUnit) -> None:
        self._set(SPEED_UNIT_KEY, unit.value)

    @property
    def rear_screen(self) -> str:
        """The screen the rear display goes on, by name ("" = no rear display). A name, not an
        index: screens are numbered in the order they were plugged in, which changes."""
        return str(self._settings.value(REAR_SCREEN_KEY, "") or "")

    @rear_screen.setter
    def rear_screen(self, name: str) -> None:
        self._set(REAR_SCREEN_KEY, name)

    @property
    def sounds(self) -> bool:
        return self._flag(SOUNDS_KEY, True)

    @sounds.setter
    def sounds(self, on: bool) -> None:
        self._set(SOUNDS_KEY, on)

    @property
    def speech(self) -> bool:
        return self._flag(SPEECH_KEY, True)

    @speech.setter
    def speech(self, on: bool) -> None:
        self._set(SPEECH_KEY, on)

    @property
    def usage(self) -> Usage | None:
        """Home or gym; None until the first start's question is answered."""
        value = self._settings.value(USAGE_KEY)
        if value is not None:
            try:
                return Usage(str(value))
            except ValueError:
                return None  # written by something else: ask again rather than guess
        if self._settings.contains(RETURN_TO_CHOOSER_KEY):
            # The old switch already said how the laptop is used.
            return Usage.GYM if self._flag(RETURN_TO_CHOOSER_KEY, True) else Usage.HOME
        return None

    @usage.setter
    def usage(self, usage: Usage) -> None:
        self._settings.remove(RETURN_TO_CHOOSER_KEY)  # one answer, not two that may disagree
        self._set(USAGE_KEY, usage.value)

    def _folder(self, key: str) -> Path | None:
        value = self._settings.value(key)
        if not isinstance(value, str) or not value:
            return None
        folder = Path(value)
        return folder if folder.is_dir() else None

    @property
    def export_folder(self) -> Path | None:
        """The folder the last export from the history went to; None before the first, or when
        it is gone (unplugged, deleted): the dialog then opens in the home folder."""
        return self._folder(EXPORT_FOLDER_KEY)

    @export_folder.setter
    def export_folder(self, folder: Path) -> None:
        self._set(EXPORT_FOLDER_KEY, str(folder))

    @property
    def program_folder(self) -> Path | None:
        """The folder of the last program file opened, imported or exported on the Programs
        page (None as for ``export_folder``): the next of those dialogs opens there."""
        return self._folder(PROGRAM_FOLDER_KEY)

    @program_folder.setter
    def program_folder(self, folder: Path) -> None:
        self._set(PROGRAM_FOLDER_KEY, str(folder))

    @property
    def return_to_chooser(self) -> bool:
        """Back to the profile chooser, nobody chosen, after each session: in a gym, and until
        the question is answered (forgetting a person is safe; carrying their limits over to
        the next person is not)."""
        return self.usage is not Usage.HOME


# Shorter than the first start's question (``Usage.describe``): the page must fit a laptop.
_USAGE_NOTES: dict[Usage | None, str] = {
    Usage.HOME: "The last person chosen stays chosen, after a session and at the next start.",
    Usage.GYM: "After each session, back to “Who is on the treadmill?” with nobody chosen, "
    "so nobody runs with someone else's limits.",
    None: "Not chosen yet: until you choose, the app works as in a gym (after each session, "
    "back to “Who is on the treadmill?”).",
}


class SwitchableSpeaker(Speaker):
    """Speaks through ``inner`` while ``enabled``; says nothing (and records nothing) when off."""

    def __init__(self, inner: Speaker) -> None:
        super().__init__(enabled=False)  # no engine of its own
        self.inner = inner
        self.enabled = True

    @property
    def available(self) -> bool:
        return self.inner.available

    def say(self, text: str) -> None:
        if self.enabled:
            self.inner.say(text)


class SwitchableSounds(SoundPlayer):
    """Plays through ``inner`` while ``enabled``."""

    def __init__(self, inner: SoundPlayer) -> None:
        super().__init__(enabled=False)
        self.inner = inner
        self.enabled = True

    def play(self, name: str) -> None:
        if self.enabled:
            self.inner.play(name)


class SettingsView(QWidget):
    changed = Signal()  # a setting changed (and is saved)

    def __init__(self, settings: AppSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("settingsView")
        self._settings = settings

        title = QLabel("Settings")
        title.setObjectName("pageTitle")

        self.unit = QComboBox()
        self.unit.setObjectName("unitChoice")
        for unit in SpeedUnit:
            self.unit.addItem(unit.describe, unit.value)
        self.unit.setCurrentIndex(list(SpeedUnit).index(settings.speed_unit))
        self.unit.currentIndexChanged.connect(self.on_unit_changed)
        self.unit.setMaximumWidth(420)
        unit_label = QLabel("&Speed shown as")
        unit_label.setBuddy(self.unit)
        unit_note = QLabel(
            "For every page: dashboard, programs, limits and history. The treadmill and the "
            "stored limits work in km/h; limits typed in mph are converted exactly."
        )
        unit_note.setObjectName("dimNote")
        unit_note.setWordWrap(True)

        self.rear = QComboBox()
        self.rear.setObjectName("rearScreenChoice")
        self.rear.setMaximumWidth(420)
        rear_label = QLabel("R&ear display")
        rear_label.setBuddy(self.rear)
        rear_note = QLabel("full screen, on a TV behind the treadmill")
        rear_note.setObjectName("dimNote")
        rear_note.setToolTip(
            "A second dashboard for whoever walks backward and faces the rear. This window "
            "keeps the controls (and Esc / Space). It opens whenever the chosen screen is "
            "connected."
        )
        # Beside the list, not under it: the page has no height to spare on a laptop. (A
        # layout, not a widget: the stylesheet paints a bare QWidget in the window's colour.)
        rear_box = QHBoxLayout()
        rear_box.setSpacing(14)
        rear_box.addWidget(self.rear)
        rear_box.addWidget(rear_note)
        self.refresh_screens()
        self.rear.currentIndexChanged.connect(self.on_rear_changed)
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.screenAdded.connect(self.on_screens_changed)
            app.screenRemoved.connect(self.on_screens_changed)

        self.sounds = QCheckBox("S&ounds: beeps before a segment change and for alarms")
        self.sounds.setChecked(settings.sounds)
        self.sounds.toggled.connect(self.on_sounds_toggled)
        self.speech = QCheckBox("Spo&ken cues: “turn around in 3, 2, 1”, the step's cue")
        self.speech.setChecked(settings.speech)
        self.speech.toggled.connect(self.on_speech_toggled)
        cue_note = QLabel(
            "The TURN AROUND screen always shows. Where the computer has no voice or no "
            "sound, the cues are silent either way."
        )
        cue_note.setObjectName("dimNote")
        cue_note.setWordWrap(True)

        self.home = QRadioButton("&Home: one household")
        self.gym = QRadioButton("&Gym: many people share this laptop")
        self.usage_group = QButtonGroup(self)
        self.usage_group.addButton(self.home)
        self.usage_group.addButton(self.gym)
        # Side by side, one row: the page must still fit a 1280x720 laptop.
        usage_row = QWidget()
        usage_row.setObjectName("usageChoice")
        usage_layout = QHBoxLayout(usage_row)
        usage_layout.setContentsMargins(0, 0, 0, 0)
        usage_layout.setSpacing(32)
        usage_layout.addWidget(self.home)
        usage_layout.addWidget(self.gym)
        usage_layout.addStretch(1)
        self.usage_note = QLabel("")
        self.usage_note.setObjectName("dimNote")
        self.usage_note.setWordWrap(True)
        self._show_usage(settings.usage)
        self.home.toggled.connect(self.on_home_toggled)
        self.gym.toggled.connect(self.on_gym_toggled)

        limits_note = QLabel(
            "Limits (speeds, inclines, turnaround, backward minutes and their progression "
            "cap, heart rate) belong to each profile: see the Profiles page. Anyone may lower "
            "them; raising one above its default needs the admin PIN. The admin PIN is set "
            "and changed on the Profiles page too (Change admin PIN…, under the limits)."
        )
        limits_note.setObjectName("dimNote")
        limits_note.setWordWrap(True)
        self.limits_note = limits_note

        panel = QFrame()
        panel.setObjectName("settingsPanel")
        grid = QGridLayout(panel)
        grid.setContentsMargins(20, 16, 20, 16)
        grid.setHorizontalSpacing(20)
        grid.setVerticalSpacing(10)
        rows: list[tuple[QWidget, QWidget | QLayout | None]] = [
            (self._heading("DISPLAY"), None),
            (unit_label, self.unit),
            (unit_note, None),
            (rear_label, rear_box),
            (self._heading("CUES"), None),
            (self.sounds, None),
            (self.speech, None),
            (cue_note, None),
            (self._heading("HOME OR GYM"), None),
            (usage_row, None),
            (self.usage_note, None),
            (self._heading("LIMITS"), None),
            (limits_note, None),
        ]
        for row, (first, second) in enumerate(rows):
            if isinstance(first, QAbstractButton):
                # Only as wide as its text: a click far to its right toggles nothing.
                grid.addWidget(first, row, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
            elif second is None:
                grid.addWidget(first, row, 0, 1, 2)
            elif isinstance(second, QLayout):
                grid.addWidget(first, row, 0)
                grid.addLayout(second, row, 1, Qt.AlignmentFlag.AlignLeft)
            else:
                grid.addWidget(first, row, 0)
                grid.addWidget(second, row, 1, Qt.AlignmentFlag.AlignLeft)
        grid.setColumnStretch(1, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(14)
        layout.addWidget(title)
        layout.addWidget(panel)
        layout.addStretch(1)
        panel.setMaximumWidth(1100)

        QWidget.setTabOrder(self.unit, self.rear)
        QWidget.setTabOrder(self.rear, self.sounds)
        QWidget.setTabOrder(self.sounds, self.speech)
        QWidget.setTabOrder(self.speech, self.home)
        QWidget.setTabOrder(self.home, self.gym)

    @staticmethod
    def _heading(text: str) -> QLabel:
        label = QLabel(text)
        label.setObjectName("limitsGroup")
        return label

    @property
    def settings(self) -> AppSettings:
        return self._settings

    def set_speed_unit(self, unit: SpeedUnit) -> None:
        """Choose ``unit`` in the list, as a person would."""
        self.unit.setCurrentIndex(list(SpeedUnit).index(unit))

    def on_unit_changed(self, index: int) -> None:
        self._settings.speed_unit = SpeedUnit(self.unit.itemData(index))
        format.set_speed_unit(self._settings.speed_unit)
        self.changed.emit()

    def refresh_screens(self) -> None:
        """List "off" and every screen but this window's (the rear display never covers the
        controls); a chosen screen that is not connected stays listed, and chosen."""
        chosen = self._settings.rear_screen
        own = self.screen()
        items: list[tuple[str, str]] = [("off", "")]
        for screen in QGuiApplication.screens():
            if screen is own or not screen.name():
                continue
            size = screen.geometry().size()
            items.append((f"{screen.name()} ({size.width()}×{size.height()})", screen.name()))
        if chosen and chosen not in (name for _, name in items):
            where = "this window's screen" if own.name() == chosen else "not connected"
            items.append((f"{chosen} ({where})", chosen))
        # Rebuilding the list is not a person's choice: no ``changed`` for it.
        self.rear.blockSignals(True)
        try:
            self.rear.clear()
            for text, name in items:
                self.rear.addItem(text, name)
            self.rear.setCurrentIndex(max(0, self.rear.findData(chosen)))
        finally:
            self.rear.blockSignals(False)

    def set_rear_screen(self, name: str) -> None:
        """Choose the screen called ``name`` ("" = off) in the list, as a person would."""
        index = self.rear.findData(name)
        if index < 0:
            raise ValueError(f"no screen {name!r} in the list")
        self.rear.setCurrentIndex(index)

    def on_rear_changed(self, index: int) -> None:
        self._settings.rear_screen = str(self.rear.itemData(index) or "")
        self.changed.emit()

    def on_screens_changed(self, _screen: QScreen) -> None:
        self.refresh_screens()

    def showEvent(self, event: QShowEvent) -> None:
        # The window may have moved to another screen since the list was made.
        self.refresh_screens()
        super().showEvent(event)

    def on_sounds_toggled(self, on: bool) -> None:
        self._settings.sounds = on
        self.changed.emit()

    def on_speech_toggled(self, on: bool) -> None:
        self._settings.speech = on
        self.changed.emit()

    def _show_usage(self, usage: Usage | None) -> None:
        self.home.setChecked(usage is Usage.HOME)
        self.gym.setChecked(usage is Usage.GYM)
        self.usage_note.setText(_USAGE_NOTES[usage])

    def set_usage(self, usage: Usage) -> None:
        """Save ``usage`` and show it (how the first start's answer arrives here)."""
        self._settings.usage = usage
        self._show_usage(usage)
        self.changed.emit()

    def on_home_toggled(self, on: bool) -> None:
        if on and self._settings.usage is not Usage.HOME:
            self.set_usage(Usage.HOME)

    def on_gym_toggled(self, on: bool) -> None:
        if on and self._settings.usage is not Usage.GYM:
            self.set_usage(Usage.GYM)
