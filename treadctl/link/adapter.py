"""Telling "there is no usable Bluetooth adapter" from every other Bleak failure.

Shape::

    no_adapter_error(error) -> NoAdapterError | None   by the error's *type*, never its text

Both places that reach the adapter through ``BleakScanner`` ask it: :func:`treadctl.link.scan`
and a link's connect (``ReconnectingLink``), so the command line can say "no adapter, try
--simulate" in one line, and the window can say so too.
"""

from __future__ import annotations

from bleak.exc import BleakBluetoothNotAvailableError

from treadctl.link.errors import NoAdapterError

__all__ = ["no_adapter_error"]

_PREFIX = "no usable Bluetooth adapter"


def no_adapter_error(error: BaseException) -> NoAdapterError | None:
    """The :class:`NoAdapterError` that ``error`` (raised by Bleak) amounts to, or ``None``
    if it is about something else. The caller raises it ``from error``."""
    if isinstance(error, BleakBluetoothNotAvailableError):
        # Bleak's own verdict (no radio, no LE central role, powered off, permission denied),
        # raised by every backend since Bleak 2.0. Its first argument is the sentence; str()
        # of it would print the (message, reason) tuple.
        return NoAdapterError(f"{_PREFIX}: {error.args[0]}")
    if isinstance(error, FileNotFoundError):
        # Linux without a Bluetooth stack (containers, CI machines): Bleak 3.1's BlueZ backend
        # opens the system D-Bus socket (bleak/backends/bluezdbus/manager.py, async_init ->
        # dbus_fast MessageBus.connect -> sock_connect), and a missing socket surfaces as a
        # bare FileNotFoundError that Bleak does not translate. Seen on this project's CI.
        return NoAdapterError(
            f"{_PREFIX}: the system Bluetooth service (BlueZ over D-Bus) is not running"
        )
    if isinstance(error, PermissionError):
        # The same socket, present but closed to this user (Linux, no access to the system bus).
        return NoAdapterError(f"{_PREFIX}: {error}")
    return None
