"""Home or gym: how the app is used decides who is chosen at start and after a session.

Shape::

    Usage.HOME / Usage.GYM            the setting (``AppSettings.usage``; None until answered)
    UsageQuestion(bridge, parent)     the first start's question, a small window of its own;
                                      ``answered(Usage)`` when one of its buttons is pressed
    person_to_restore(profiles)       at home: the person chosen last, if still there

- **Home**, one household: the person chosen stays chosen after a session, and is chosen again
  when the app starts. Who was chosen last is kept by the history itself
  (``Profiles.current()``, by profile id: a rename keeps it; ``treadctl profiles select`` sets
  the same), so nothing is written twice. Guest is not chosen again: a guest drops in, and
  their unsaved sessions are let go at start.
- **Gym**, many people share the laptop: after each session the window goes back to "Who is on
  the treadmill?" with nobody chosen, and it starts that way, so nobody runs with someone
  else's limits.

Until the question is answered the app behaves as in a gym: forgetting a person costs a click,
carrying their limits over to the next person could cost more.

Why the question does not block: it is a window of its own, shown with ``show()`` (no modal
loop; the belt's stop runs on this loop), so the treadmill can be connected and STOP pressed
while it waits; there, too, Esc and Space stop the belt. Closed unanswered, it asks again at the
next start.
"""

from __future__ import annotations

import enum

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QDialog, QLabel, QPushButton, QVBoxLayout, QWidget

from ui.bridge import Bridge
from ui.profiles import ERRORS, ProfilesModel

__all__ = ["Usage", "UsageQuestion", "person_to_restore"]


class Usage(enum.StrEnum):
    HOME = "home"
    GYM = "gym"

    @property
    def describe(self) -> str:
        """What it means, in the words the question and the settings page use."""
        if self is Usage.HOME:
            return (
                "One household: the last person chosen stays chosen, after a session and "
                "when the app starts again."
            )
        return (
            "Many people share this laptop: after each session the app goes back to “Who is "
            "on the treadmill?” with nobody chosen, so nobody runs with someone else's limits."
        )


def person_to_restore(profiles: ProfilesModel) -> str | None:
    """The person chosen last (the history keeps it), unless that was Guest or it is gone."""
    if not profiles.available:
        return None
    try:
        last = profiles.profiles.current()
    except ERRORS:
        return None  # no history to read: start with nobody chosen, as before
    if last is None or last.builtin:
        return None
    return last.name


class UsageQuestion(QDialog):
    """The first start's question: at home, or in a gym?"""

    answered = Signal(object)  # Usage

    def __init__(self, bridge: Bridge, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("usageQuestion")
        self.setWindowTitle("Welcome to treadctl")
        # Not modal: see the module docstring.
        self.setModal(False)
        self.answer: Usage | None = None

        title = QLabel("Where will treadctl be used?")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 20)
        layout.setSpacing(10)
        layout.addWidget(title)
        self.home_button = self._choice(layout, "At home", Usage.HOME)
        self.gym_button = self._choice(layout, "In a gym", Usage.GYM)
        later = QLabel("You can change this at any time in Settings.")
        later.setObjectName("dimNote")
        layout.addWidget(later)
        self.setMaximumWidth(640)
        # Esc and Space stop the belt here too: ui.stop_keys covers every window of the app.

    def _choice(self, layout: QVBoxLayout, text: str, usage: Usage) -> QPushButton:
        button = QPushButton(text)
        button.setObjectName("primaryButton")
        button.clicked.connect(lambda: self.choose(usage))
        note = QLabel(usage.describe)
        note.setObjectName("dimNote")
        note.setWordWrap(True)
        layout.addWidget(button)
        layout.addWidget(note)
        return button

    def choose(self, usage: Usage) -> None:
        """Answer (what each button does): ``answered`` fires, then the window closes."""
        self.answer = usage
        self.answered.emit(usage)
        self.accept()
