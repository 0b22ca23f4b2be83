"""Which Bleak backend the link drives: the platform's own Bluetooth stack, or another.

Shape::

    BleakBackends(scanner=None, client=None)   None = Bleak's platform default
     ├── BleakBackends.of(radio)               the backend classes a radio serves (the
     │                                         virtual world: --simulate, tests, benchmarks)
     ├── scanner_kwargs()  -> {"backend": scanner} for BleakScanner(...)
     └── client_kwargs()   -> {"backend": client}  for BleakClient(...)

``--simulate`` and the tests pass the Bumble-backed classes of the virtual radio here, so the
link's code is the same with real hardware and with the virtual treadmill.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol, Self

from bleak.backends.client import BaseBleakClient
from bleak.backends.scanner import BaseBleakScanner

__all__ = ["BleakBackends"]


class _Radio(Protocol):
    """What serves Bleak backends (``treadctl.virtual.world.VirtualWorld``; the link does not
    import the virtual treadmill, which is a peripheral of its own)."""

    def scanner_backend(self) -> type[BaseBleakScanner]: ...

    def client_backend(self) -> type[BaseBleakClient]: ...


@dataclass(frozen=True)
class BleakBackends:
    """The Bleak backend classes to use; ``None`` fields mean Bleak's platform default.

    ``--simulate`` and the tests pass the Bumble-backed classes of the virtual radio here.
    """

    scanner: type[BaseBleakScanner] | None = None
    client: type[BaseBleakClient] | None = None

    @classmethod
    def of(cls, radio: _Radio) -> Self:
        """The backends ``radio`` serves."""
        return cls(radio.scanner_backend(), radio.client_backend())

    def scanner_kwargs(self) -> dict[str, Any]:
        return {} if self.scanner is None else {"backend": self.scanner}

    def client_kwargs(self) -> dict[str, Any]:
        return {} if self.client is None else {"backend": self.client}
