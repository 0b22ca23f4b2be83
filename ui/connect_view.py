"""The connect page: scan, list treadmills (and straps) with name and signal, connect.

Shape: ``ConnectView(bridge, settings)``: Scan and Connect buttons, a list, a status line.
Slots render the bridge's scan/connect signals; the buttons call ``bridge.scan`` and
``bridge.connect_to``. The last connected address is kept in QSettings (``link/last_address``)
so the app can reconnect to it at start (``reconnect_last``).
"""

from __future__ import annotations

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from treadctl.link import FoundDevice, Reconnecting, TreadmillInfo
from ui import format
from ui.bridge import Bridge

LAST_ADDRESS_KEY = "link/last_address"
_ADDRESS_ROLE = Qt.ItemDataRole.UserRole


class ConnectView(QWidget):
    def __init__(self, bridge: Bridge, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("connectView")
        self._bridge = bridge
        self._settings = settings
        title = QLabel("Treadmill")
        title.setObjectName("pageTitle")
        self.status = QLabel("Not connected. Scan to find FTMS treadmills nearby.")
        self.status.setObjectName("connectStatus")
        self.status.setWordWrap(True)
        self.devices = QListWidget()
        self.devices.setObjectName("deviceList")
        self.devices.itemActivated.connect(self.on_item_activated)
        self.devices.currentItemChanged.connect(self.on_current_changed)
        self.scan_button = QPushButton("Scan")
        self.scan_button.clicked.connect(self.on_scan_clicked)
        self.connect_button = QPushButton("Connect")
        self.connect_button.setObjectName("primaryButton")
        self.connect_button.setEnabled(False)
        self.connect_button.clicked.connect(self.on_connect_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.connect_button)
        buttons.addStretch(1)
        note = QLabel(
            "Heart-rate straps are listed but not used yet; a treadmill's hand-grip heart "
            "rate is shown when it sends one."
        )
        note.setObjectName("dimNote")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addLayout(buttons)
        layout.addWidget(self.devices, 1)
        layout.addWidget(note)
        bridge.scan_started.connect(self.on_scan_started)
        bridge.scan_finished.connect(self.on_scan_finished)
        bridge.scan_failed.connect(self.on_scan_failed)
        bridge.connecting.connect(self.on_connecting)
        bridge.connected.connect(self.on_connected)
        bridge.connect_failed.connect(self.on_connect_failed)
        bridge.link_down.connect(self.on_link_down)
        bridge.reconnecting.connect(self.on_reconnecting)
        bridge.reconnected.connect(self.on_connected)

    def last_address(self) -> str | None:
        value = self._settings.value(LAST_ADDRESS_KEY)
        return str(value) if value else None

    def reconnect_last(self) -> bool:
        """Connect to the last treadmill used, if there is one; True if it tries."""
        address = self.last_address()
        if address is None:
            return False
        self._bridge.connect_to(address)
        return True

    # -- bridge → screen ------------------------------------------------------------------------

    def on_scan_started(self) -> None:
        self.scan_button.setEnabled(False)
        self.status.setText("Scanning…")

    def on_scan_finished(self, found: list[FoundDevice]) -> None:
        self.scan_button.setEnabled(True)
        self.devices.clear()
        for device in found:
            kind = "treadmill" if device.kind == "treadmill" else "heart-rate strap"
            name = device.name or "(no name)"
            item = QListWidgetItem(
                f"{name}   ·   {kind}   ·   {format.signal_strength(device.rssi)}   ·   "
                f"{device.address}"
            )
            item.setData(_ADDRESS_ROLE, device.address)
            if device.kind != "treadmill":
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
            self.devices.addItem(item)
        treadmills = [d for d in found if d.kind == "treadmill"]
        if treadmills:
            self.devices.setCurrentRow(found.index(treadmills[0]))
        if not self._bridge.is_connected:
            self.status.setText(
                f"Found {len(treadmills)} treadmill(s). Pick one and press Connect."
                if treadmills
                else "No treadmill found. Is it on, and not connected to another app?"
            )

    def on_scan_failed(self, error: str) -> None:
        self.scan_button.setEnabled(True)
        self.status.setText(f"Scan failed: {error}")

    def on_connecting(self, address: str) -> None:
        self.connect_button.setEnabled(False)
        self.status.setText(f"Connecting to {address}…")

    def on_connected(self, info: TreadmillInfo) -> None:
        self._settings.setValue(LAST_ADDRESS_KEY, info.address)
        self.connect_button.setEnabled(self.devices.currentItem() is not None)
        notes = f"  Notes: {'; '.join(info.notes)}" if info.notes else ""
        speed = info.speed_range
        span = f"{speed.min_kmh:g}–{speed.max_kmh:g} km/h" if speed is not None else "no speed"
        self.status.setText(f"Connected to {info.name or info.address} ({span}).{notes}")

    def on_connect_failed(self, error: str) -> None:
        self.connect_button.setEnabled(self.devices.currentItem() is not None)
        self.status.setText(f"Could not connect: {error}")

    def on_link_down(self, expected: bool) -> None:
        self.status.setText("Disconnected." if expected else "Connection lost: reconnecting…")

    def on_reconnecting(self, event: Reconnecting) -> None:
        self.status.setText(
            f"Connection lost: reconnecting (attempt {event.attempt}, next in {event.delay_s:g} s)…"
        )

    # -- user → intents -------------------------------------------------------------------------

    def on_current_changed(self, current: QListWidgetItem | None, *_: object) -> None:
        self.connect_button.setEnabled(
            current is not None and bool(current.flags() & Qt.ItemFlag.ItemIsEnabled)
        )

    def on_scan_clicked(self) -> None:
        self._bridge.scan()

    def on_connect_clicked(self) -> None:
        item = self.devices.currentItem()
        if item is not None:
            self._bridge.connect_to(str(item.data(_ADDRESS_ROLE)))

    def on_item_activated(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._bridge.connect_to(str(item.data(_ADDRESS_ROLE)))
