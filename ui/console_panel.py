"""The virtual treadmill's console, for ``--simulate``: a person standing at the machine.

Shape: ``ConsolePanel(world)``: Start / Pause / Stop, safety key pull and insert, and faults
(drop the link, drop the heart-rate strap's link, go silent, refuse commands, a hand-grip
heart rate), plus a readout of what the machine itself shows (state, belt speed), refreshed
twice a second.

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

from protocols.ftms import ResultCode

if TYPE_CHECKING:
    # Only with --simulate; importing Bumble costs startup time.
    from treadctl.virtual.world import VirtualWorld

logger = logging.getLogger(__name__)


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
            button.clicked.connect(slot)
            grid.addWidget(button, i // 2, i % 2)
            self.buttons[key] = button
        self.silent = QCheckBox("Go silent (no data)")
        self.silent.toggled.connect(self.on_silent_toggled)
        self.refuse = QCheckBox("Refuse commands")
        self.refuse.toggled.connect(self.on_refuse_toggled)
        self.heart_rate = QSpinBox()
        self.heart_rate.setRange(0, 230)
        self.heart_rate.setSpecialValueText("none")
        self.heart_rate.setSuffix(" bpm")
        self.heart_rate.valueChanged.connect(self.on_heart_rate_changed)
        hr_label = QLabel("Hand-grip heart rate")
        title = QLabel("Treadmill console (simulated)")
        title.setObjectName("panelTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(title)
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

    def _say(self, what: str, result: ResultCode) -> None:
        if result is not ResultCode.SUCCESS:
            self.readout.setText(f"{what}: {result.name.lower().replace('_', ' ')}")
        else:
            self.on_refresh()

    def on_refresh(self) -> None:
        belt = self._world.model.snapshot()
        key = "in" if belt.safety_key_in else "PULLED"
        self.readout.setText(
            f"Machine: {belt.state.value.upper()}  ·  belt {belt.speed_kmh:.1f} km/h  ·  "
            f"incline {belt.incline_pct:.1f} %  ·  safety key {key}"
        )

    def on_start(self) -> None:
        self._say("Start", self._world.treadmill.console_start())

    def on_pause(self) -> None:
        self._say("Pause", self._world.treadmill.console_pause())

    def on_stop(self) -> None:
        self._say("Stop", self._world.treadmill.console_stop())

    def on_pull_key(self) -> None:
        self._say("Safety key", self._world.treadmill.pull_safety_key())

    def on_insert_key(self) -> None:
        self._say("Safety key", self._world.treadmill.insert_safety_key())

    def on_drop_link(self) -> None:
        self._keep(asyncio.ensure_future(self._world.treadmill.drop_link()))

    def on_drop_strap(self) -> None:
        """The heart-rate strap's link drops (it comes back by itself, as a real one does)."""
        strap = self._world.strap
        if strap is not None:
            self._keep(asyncio.ensure_future(self._world.radio.drop_link(strap.device)))

    def _keep(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)  # the loop keeps tasks only weakly
        task.add_done_callback(self._on_task_done)

    def _on_task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (error := task.exception()) is not None:
            logger.warning("virtual world: dropping a link failed: %s", error)
            self.readout.setText(f"Drop link failed: {error}")

    def on_silent_toggled(self, on: bool) -> None:
        self._world.treadmill.faults.silent = on

    def on_refuse_toggled(self, on: bool) -> None:
        faults = self._world.treadmill.faults
        if on:
            faults.refuse(ResultCode.OPERATION_FAILED)
        else:
            faults.refuse_result = None
            faults.refuse_ops = None

    def on_heart_rate_changed(self, bpm: int) -> None:
        self._world.treadmill.heart_rate_bpm = bpm or None
