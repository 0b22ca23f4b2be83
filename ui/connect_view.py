"""The connect page: scan, list treadmills and heart-rate straps with name and signal, connect.

Shape: ``ConnectView(bridge, settings)``: Scan, Connect and Disconnect strap buttons, a list,
a status line for the treadmill, what it says it is (manufacturer, model, firmware: its Device
Information) and a status line for the strap. Slots render the bridge's scan, connect
and strap signals; the buttons call ``bridge.scan``, ``bridge.connect_to`` (a treadmill
selected) or ``bridge.connect_strap`` (a strap selected: the button reads "Connect strap"),
and ``bridge.disconnect_strap``. The last treadmill and the last strap are kept in QSettings
(``link/last_address``, ``link/last_strap``): ``reconnect_last`` connects to both at start,
and a scan that sees the remembered strap while none is in use connects to it. Disconnecting
the strap here forgets it; closing the app does not.
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

from treadctl.core import FoundDevice, Reconnecting, StrapState, TreadmillInfo
from ui import format
from ui.bridge import Bridge
from ui.styling import set_style_property

LAST_ADDRESS_KEY = "link/last_address"
LAST_STRAP_KEY = "link/last_strap"
_ADDRESS_ROLE = Qt.ItemDataRole.UserRole
_KIND_ROLE = Qt.ItemDataRole.UserRole + 1


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
        # What the connected treadmill says it is (its Device Information Service): the line a
        # person reads out when asking for help, so it stays on screen while connected.
        self.device_details = QLabel("")
        self.device_details.setObjectName("deviceDetails")
        self.device_details.setWordWrap(True)
        self.device_details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.device_details.setVisible(False)
        # Why the connected treadmill misbehaves (its data never completes, its safety key is
        # out...): the engine's diagnostics, the newest one, until another connection.
        self.diagnostic = QLabel("")
        self.diagnostic.setObjectName("deviceDiagnostic")
        self.diagnostic.setWordWrap(True)
        self.diagnostic.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.diagnostic.setVisible(False)
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
        self.strap_disconnect_button = QPushButton("Disconnect strap")
        self.strap_disconnect_button.setVisible(False)
        self.strap_disconnect_button.clicked.connect(self.on_strap_disconnect_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.scan_button)
        buttons.addWidget(self.connect_button)
        buttons.addWidget(self.strap_disconnect_button)
        buttons.addStretch(1)
        self.strap_status = QLabel("")
        self.strap_status.setObjectName("strapStatus")
        self.strap_status.setWordWrap(True)
        self._set_strap_status("Heart-rate strap: none.", "none")
        note = QLabel(
            "To use a heart-rate strap, select it in the list and press Connect strap: while "
            "it sends, sessions take its heart rate; without one, the treadmill's hand-grip "
            "heart rate is shown when it sends one."
        )
        note.setObjectName("dimNote")
        note.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 18, 24, 18)
        layout.setSpacing(12)
        layout.addWidget(title)
        layout.addWidget(self.status)
        layout.addWidget(self.device_details)
        layout.addWidget(self.diagnostic)
        layout.addWidget(self.strap_status)
        layout.addLayout(buttons)
        layout.addWidget(self.devices, 1)
        layout.addWidget(note)
        bridge.scan_started.connect(self.on_scan_started)
        bridge.scan_finished.connect(self.on_scan_finished)
        bridge.scan_failed.connect(self.on_scan_failed)
        bridge.connecting.connect(self.on_connecting)
        bridge.connected.connect(self.on_connected)
        bridge.diagnostic.connect(self.on_diagnostic)
        bridge.connect_failed.connect(self.on_connect_failed)
        bridge.link_down.connect(self.on_link_down)
        bridge.reconnecting.connect(self.on_reconnecting)
        bridge.reconnected.connect(self.on_connected)
        bridge.strap_connecting.connect(self.on_strap_connecting)
        bridge.strap_connected.connect(self.on_strap_connected)
        bridge.strap_connect_failed.connect(self.on_strap_connect_failed)
        bridge.strap_lost.connect(self.on_strap_lost)
        bridge.strap_reconnecting.connect(self.on_strap_reconnecting)
        bridge.strap_disconnected.connect(self.on_strap_disconnected)
        bridge.strap_reading.connect(self.on_strap_reading)

    def last_address(self) -> str | None:
        value = self._settings.value(LAST_ADDRESS_KEY)
        return str(value) if value else None

    def last_strap(self) -> str | None:
        value = self._settings.value(LAST_STRAP_KEY)
        return str(value) if value else None

    def reconnect_last(self) -> bool:
        """Connect to the last strap and the last treadmill used, if there are; True if it
        tries the treadmill."""
        strap = self.last_strap()
        if strap is not None:
            self._bridge.connect_strap(strap)
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
            item.setData(_KIND_ROLE, device.kind)
            self.devices.addItem(item)
        treadmills = [d for d in found if d.kind == "treadmill"]
        if treadmills:
            self.devices.setCurrentRow(found.index(treadmills[0]))
        strap = self.last_strap()
        seen = any(d.kind == "heart_rate" and d.address == strap for d in found)
        if strap is not None and seen and self._bridge.strap_state is StrapState.NONE:
            self._bridge.connect_strap(strap)
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
        self.device_details.setVisible(False)
        self.diagnostic.setVisible(False)
        self.connect_button.setEnabled(False)
        self.status.setText(f"Connecting to {address}…")

    def on_connected(self, info: TreadmillInfo) -> None:
        self._settings.setValue(LAST_ADDRESS_KEY, info.address)
        self.connect_button.setEnabled(self.devices.currentItem() is not None)
        notes = f"  Notes: {'; '.join(info.notes)}" if info.notes else ""
        speed = info.speed_range
        # A range of speeds, in the display unit's speed (a pace range would run backwards).
        unit = format.speed_unit().as_speed
        span = (
            f"{format.speed(speed.min_kmh, unit)}–{format.speed_with_unit(speed.max_kmh, unit)}"
            if speed is not None
            else "no speed"
        )
        self.status.setText(f"Connected to {info.name or info.address} ({span}).{notes}")
        details = device_details(info)
        self.device_details.setText(details)
        self.device_details.setVisible(bool(details))

    def on_diagnostic(self, text: str, cleared: bool) -> None:
        self.diagnostic.setText(text if cleared else f"⚠ {text}")
        set_style_property(self.diagnostic, "cleared", "true" if cleared else "false")
        self.diagnostic.setVisible(True)

    def on_connect_failed(self, error: str) -> None:
        self.connect_button.setEnabled(self.devices.currentItem() is not None)
        self.status.setText(f"Could not connect: {error}")

    def on_strap_connecting(self, address: str) -> None:
        self._strap_changed()
        name = self._bridge.strap_name or address
        self._set_strap_status(f"Heart-rate strap: connecting to {name}…", "connecting")

    def on_strap_connected(self, address: str, name: str) -> None:
        self._settings.setValue(LAST_STRAP_KEY, address)
        self._strap_changed()
        self._set_strap_status(f"Heart-rate strap: {name} — connected.", "connected")

    def on_strap_reading(self, bpm: int) -> None:
        if self._bridge.strap_state is StrapState.CONNECTED:
            name = self._bridge.strap_name
            self._set_strap_status(f"Heart-rate strap: {name} — connected · {bpm} bpm", "connected")

    def on_strap_connect_failed(self, error: str) -> None:
        self._strap_changed()
        self._set_strap_status(f"Heart-rate strap: could not connect: {error}", "lost")

    def on_strap_lost(self) -> None:
        self._set_strap_status(self._strap_lost_text("reconnecting…"), "lost")

    def on_strap_reconnecting(self, event: Reconnecting) -> None:
        self._set_strap_status(
            self._strap_lost_text(f"reconnecting (attempt {event.attempt})…"), "lost"
        )

    def on_strap_disconnected(self) -> None:
        self._strap_changed()
        self._set_strap_status("Heart-rate strap: none.", "none")

    def _strap_lost_text(self, what: str) -> str:
        # One line, so the buttons under it do not jump: the note below says the rest.
        return (
            f"Heart-rate strap: {self._bridge.strap_name} — lost, {what}  ·  using the "
            "hand-grip heart rate meanwhile"
        )

    def _set_strap_status(self, text: str, state: str) -> None:
        self.strap_status.setText(text)
        set_style_property(self.strap_status, "state", state)

    def _strap_changed(self) -> None:
        self.strap_disconnect_button.setVisible(self._bridge.strap_state is not StrapState.NONE)
        current = self.devices.currentItem()
        if current is not None and current.data(_KIND_ROLE) == "heart_rate":
            self.on_current_changed(current)  # a treadmill's Connect is left as it was

    def on_link_down(self, expected: bool) -> None:
        if expected:
            self.device_details.setVisible(False)
        self.status.setText("Disconnected." if expected else "Connection lost: reconnecting…")

    def on_reconnecting(self, event: Reconnecting) -> None:
        self.status.setText(
            f"Connection lost: reconnecting (attempt {event.attempt}, next in {event.delay_s:g} s)…"
        )

    # -- user → intents -------------------------------------------------------------------------

    def on_current_changed(self, current: QListWidgetItem | None, *_: object) -> None:
        if current is None:
            self.connect_button.setText("Connect")
            self.connect_button.setEnabled(False)
            return
        strap = current.data(_KIND_ROLE) == "heart_rate"
        self.connect_button.setText("Connect strap" if strap else "Connect")
        # The strap in use already: nothing to connect (Disconnect strap is next to it).
        in_use = strap and current.data(_ADDRESS_ROLE) == self._bridge.strap_address
        self.connect_button.setEnabled(
            bool(current.flags() & Qt.ItemFlag.ItemIsEnabled) and not in_use
        )

    def on_scan_clicked(self) -> None:
        self._bridge.scan()

    def on_connect_clicked(self) -> None:
        item = self.devices.currentItem()
        if item is not None:
            self._connect(item)

    def on_item_activated(self, item: QListWidgetItem) -> None:
        if item.flags() & Qt.ItemFlag.ItemIsEnabled:
            self._connect(item)

    def _connect(self, item: QListWidgetItem) -> None:
        address = str(item.data(_ADDRESS_ROLE))
        if item.data(_KIND_ROLE) == "heart_rate":
            self._bridge.connect_strap(address)
        else:
            self._bridge.connect_to(address)

    def on_strap_disconnect_clicked(self) -> None:
        # On purpose: not to be connected again at the next start or scan.
        self._settings.remove(LAST_STRAP_KEY)
        self._bridge.disconnect_strap()


def device_details(info: TreadmillInfo) -> str:
    """Manufacturer, model and firmware of a connected treadmill, as its Device Information
    Service gives them; empty when it gives none of the three."""
    device = info.device_information
    if device is None:
        return ""
    parts = [
        f"{label}: {value}"
        for label, value in (
            ("Manufacturer", device.manufacturer),
            ("Model", device.model),
            ("Firmware", device.firmware_revision),
        )
        if value
    ]
    return "   ·   ".join(parts)
