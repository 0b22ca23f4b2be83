"""The virtual treadmill's console, for ``--simulate``: a person standing at the machine.

Shape: ``ConsolePanel(world)``: Start / Pause / Stop, safety key pull and insert, and faults
(drop the link, drop the heart-rate strap's link, go silent, refuse commands, a hand-grip
heart rate), plus a readout of what the machine itself shows (state, belt speed), refreshed
twice a second. Pause, Stop, Pull key, the link drops and the two switches are simulated
faults (``treadctl.virtual.simulated_faults``, the vocabulary ``--sim-fault`` speaks too; each
button's tooltip is the fault's description); Start, Insert key and the hand-grip heart rate
are the console's own.

These buttons press the *treadmill's* buttons (``world.treadmill``), not the app's: they are how
to try what the app does when someone stops the belt at the console or the link drops. The app
learns of them only over the (virtual) radio, exactly as it would from real hardware.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QGridLayout,
    QLabel,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from treadctl.virtual.simulated_faults import SimulatedFault, clear, refusal, trigger
from ui import format

if TYPE_CHECKING:
    # Only with --simulate; importing Bumble costs startup time.
    from treadctl.virtual.world import VirtualWorld

logger = logging.getLogger(__name__)

# The buttons that trigger a simulated fault (each one's tooltip is the fault's description).
_FAULT_BUTTONS: dict[str, SimulatedFault] = {
    "pause": SimulatedFault.CONSOLE_PAUSE,
    "stop": SimulatedFault.CONSOLE_STOP,
    "pull_key": SimulatedFault.SAFETY_KEY,
    "drop_link": SimulatedFault.DROP_LINK,
    "drop_strap": SimulatedFault.DROP_STRAP,
}


class ConsolePanel(QWidget):
    def __init__(self, world: VirtualWorld, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("consolePanel")
        self._world = world
        self._tasks: set[asyncio.Task[Any]] = set()
        self.readout = QLabel("")
        self.readout.setObjectName("consoleReadout")
        self.readout.setWordWrap(True)
        self.buttons: dict[str, QPushButton] = {}
        grid = QGridLayout()
        for i, (key, text, slot) in enumerate(
            (
                ("start", "Start", self.on_start),
                ("pause", "Pause", self.on_pause),
                ("stop", "Stop", self.on_stop),
                ("pull_key", "Pull key", self.on_pull_key),
                ("insert_key", "Insert key", self.on_insert_key),
                ("drop_link", "Drop link", self.on_drop_link),
            )
            + ((("drop_strap", "Drop strap", self.on_drop_strap),) if world.strap else ())
        ):
            button = QPushButton(text)
            button.setObjectName("consoleButton")
            if key in _FAULT_BUTTONS:
                button.setToolTip(_FAULT_BUTTONS[key].description)
            button.clicked.connect(slot)
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[key] = button
        self.silent = QCheckBox("Go silent (no data)")
        self.silent.setToolTip(SimulatedFault.SILENCE.description)
        self.silent.toggled.connect(self.on_silent_toggled)
        self.refuse = QCheckBox("Refuse commands")
        self.refuse.setToolTip(SimulatedFault.REFUSE_ALL.description)
        self.refuse.toggled.connect(self.on_refuse_toggled)
        self.heart_rate = QSpinBox()
        self.heart_rate.setRange(0, 230)
        self.heart_rate.setSpecialValueText("none")
        self.heart_rate.setSuffix(" bpm")
        self.heart_rate.valueChanged.connect(self.on_heart_rate_changed)
        hr_label = QLabel("Hand-grip heart rate")
        # The dock's own title names it ("Treadmill console"); a second, longer title here
        # would make the dock wider than a laptop's screen has room for.
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.addWidget(self.readout)
        layout.addLayout(grid)
        layout.addWidget(self.silent)
        layout.addWidget(self.refuse)
        layout.addWidget(hr_label)
        layout.addWidget(self.heart_rate)
        layout.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setInterval(500)
        self._timer.timeout.connect(self.on_refresh)
        self._timer.start()
        self.on_refresh()

    def _say(self, what: str, refused: str | None) -> None:
        if refused is not None:
            self.readout.setText(f"{what}: {refused}")
        else:
            self.on_refresh()

    def on_refresh(self) -> None:
        belt = self._world.model.snapshot()
        key = "in" if belt.safety_key_in else "PULLED"
        self.readout.setText(
            f"Machine: {belt.state.value.upper()}  ·  "
            f"belt {format.speed_with_unit(belt.speed_kmh, format.speed_unit().as_speed)}  ·  "
            f"incline {belt.incline_pct:.1f} %  ·  safety key {key}"
        )

    def on_start(self) -> None:
        self._say("Start", refusal(self._world.treadmill.console_start()))

    def on_pause(self) -> None:
        self._trigger("Pause", SimulatedFault.CONSOLE_PAUSE)

    def on_stop(self) -> None:
        self._trigger("Stop", SimulatedFault.CONSOLE_STOP)

    def on_pull_key(self) -> None:
        self._trigger("Safety key", SimulatedFault.SAFETY_KEY)

    def on_insert_key(self) -> None:
        self._say("Safety key", refusal(self._world.treadmill.insert_safety_key()))

    def on_drop_link(self) -> None:
        self._trigger("Drop link", SimulatedFault.DROP_LINK)

    def on_drop_strap(self) -> None:
        """The heart-rate strap's link drops (it comes back by itself, as a real one does)."""
        if self._world.strap is not None:
            self._trigger("Drop strap", SimulatedFault.DROP_STRAP)

    def on_silent_toggled(self, on: bool) -> None:
        self._trigger("Go silent", SimulatedFault.SILENCE, on=on)

    def on_refuse_toggled(self, on: bool) -> None:
        self._trigger("Refuse commands", SimulatedFault.REFUSE_ALL, on=on)

    def _trigger(self, what: str, fault: SimulatedFault, *, on: bool = True) -> None:
        """Trigger ``fault`` (or clear it, ``on=False``), then show the treadmill's answer.

        A task, since some faults need the radio; tasks start in the order they are made, so
        a switch flipped on and off again ends off.
        """
        if on:
            task: asyncio.Task[Any] = asyncio.ensure_future(trigger(self._world, fault))
        else:
            task = asyncio.ensure_future(clear(self._world, fault))
        self._tasks.add(task)  # the loop keeps tasks only weakly
        task.add_done_callback(lambda done: self._on_fault_done(what, done))

    def _on_fault_done(self, what: str, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        if (error := task.exception()) is not None:
            logger.warning("virtual world: %s failed: %s", what, error)
            self.readout.setText(f"{what} failed: {error}")
        elif (result := task.result()) is not None:  # clear() answers nothing
            self._say(what, refusal(result))

    def on_heart_rate_changed(self, bpm: int) -> None:
        self._world.treadmill.heart_rate_bpm = bpm or None
