"""Settings: display unit, sounds, speech, and the shared-laptop chooser. Kept in QSettings.

Shape::

    AppSettings(settings)        typed reads and writes of the keys below
    SettingsView(app_settings)   the page; ``changed`` after every edit (already saved)
    SwitchableSpeaker(inner)     a Speaker the settings can silence at any moment
    SwitchableSounds(inner)      the same for the cue sounds

Keys: ``display/speed_unit`` (a :class:`ui.format.SpeedUnit` value), ``cues/sounds``,
``cues/speech``, ``profiles/return_to_chooser``. The limits are not here: they belong to each
profile (Profiles page), within the bounds the admin PIN guards; the PIN is set and changed
there too, where it is asked for (this page says so).

Why the switchable wrappers: ``ui.cues`` builds its speaker and player once, at start; a
switch in the settings must take effect for the next cue without rebuilding them.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from ui import format
from ui.cues import SoundPlayer, Speaker
from ui.format import SpeedUnit

SPEED_UNIT_KEY = "display/speed_unit"
SOUNDS_KEY = "cues/sounds"
SPEECH_KEY = "cues/speech"
RETURN_TO_CHOOSER_KEY = "profiles/return_to_chooser"


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
    def return_to_chooser(self) -> bool:
        """Shared laptop: back to the profile chooser after each session (default on)."""
        return self._flag(RETURN_TO_CHOOSER_KEY, True)

    @return_to_chooser.setter
    def return_to_chooser(self, on: bool) -> None:
        self._set(RETURN_TO_CHOOSER_KEY, on)


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

        self.return_to_chooser = QCheckBox(
            "&Return to the profile chooser after each session (shared laptop)"
        )
        self.return_to_chooser.setChecked(settings.return_to_chooser)
        self.return_to_chooser.toggled.connect(self.on_return_toggled)
        chooser_note = QLabel(
            "On: after a session the next person chooses who they are, so nobody runs with "
            "someone else's limits. Off: the chosen profile stays."
        )
        chooser_note.setObjectName("dimNote")
        chooser_note.setWordWrap(True)

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
        rows: list[tuple[QWidget, QWidget | None]] = [
            (self._heading("DISPLAY"), None),
            (unit_label, self.unit),
            (unit_note, None),
            (self._heading("CUES"), None),
            (self.sounds, None),
            (self.speech, None),
            (cue_note, None),
            (self._heading("SHARED LAPTOP"), None),
            (self.return_to_chooser, None),
            (chooser_note, None),
            (self._heading("LIMITS"), None),
            (limits_note, None),
        ]
        for row, (first, second) in enumerate(rows):
            if isinstance(first, QCheckBox):
                # Only as wide as its text: a click far to its right toggles nothing.
                grid.addWidget(first, row, 0, 1, 2, Qt.AlignmentFlag.AlignLeft)
            elif second is None:
                grid.addWidget(first, row, 0, 1, 2)
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

        QWidget.setTabOrder(self.unit, self.sounds)
        QWidget.setTabOrder(self.sounds, self.speech)
        QWidget.setTabOrder(self.speech, self.return_to_chooser)

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

    def on_sounds_toggled(self, on: bool) -> None:
        self._settings.sounds = on
        self.changed.emit()

    def on_speech_toggled(self, on: bool) -> None:
        self._settings.speech = on
        self.changed.emit()

    def on_return_toggled(self, on: bool) -> None:
        self._settings.return_to_chooser = on
        self.changed.emit()
