"""Settings: what each key and remote button does, and a place to try a remote.

Shape: ``RemoteKeysPanel(key_filter)``: the table of ``ui.stop_keys.KEYS`` (key, where it comes
from, what a press does) and a line that names the last key pressed anywhere in the app and
what it did — a person pairs a presenter clicker or a media remote and sees at once whether
its buttons reach the app, and which one stops the belt.
"""

from __future__ import annotations

from PySide6.QtWidgets import QGroupBox, QLabel, QVBoxLayout, QWidget

from ui.stop_keys import KEYS, LONG_PRESS_S, StopKeyFilter, describe


class RemoteKeysPanel(QGroupBox):
    def __init__(self, key_filter: StopKeyFilter, parent: QWidget | None = None) -> None:
        super().__init__("Keys and remotes", parent)
        self.setObjectName("remoteKeys")
        intro = QLabel(
            "Every key below stops the belt, from any window of the app — also a presenter "
            "clicker's or a media remote's buttons (they pair as a keyboard). Resuming takes "
            f"the Resume button, or holding a remote's next/previous or play/pause for "
            f"{LONG_PRESS_S:g} s while the session is stopped; a count comes first."
        )
        intro.setWordWrap(True)
        table = QLabel("\n".join(describe(k.key) for k in KEYS))
        table.setObjectName("dimNote")
        table.setWordWrap(True)
        self.tried = QLabel("Try your remote: press one of its buttons.")
        self.tried.setObjectName("remoteTried")
        self.tried.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(table)
        layout.addWidget(self.tried)
        key_filter.key_seen.connect(self.on_key_seen)

    def on_key_seen(self, words: str) -> None:
        self.tried.setText(f"Last key: {words}")
