"""The link's errors: the only exceptions its public coroutines raise.

Shape::

    TreadctlError
     └── LinkError                    base of everything below
          ├── NoAdapterError          no usable Bluetooth adapter (see treadctl.link.adapter)
          ├── ScanFailed              the scan failed for another reason; __cause__ says why
          ├── ConnectFailed           every attempt failed, or the set-up after it; __cause__
          ├── NotConnected            a command with no treadmill connected
          ├── ControlUnavailable      the treadmill offers no way to do this
          └── CommandError            a control-point procedure failed; carries ``op``
               ├── CommandRefused     answered with a result code other than Success
               ├── CommandRejected    the write failed with an ATT error
               ├── CommandTimeout     no answer within the command timeout
               ├── StartCancelled     a stop came in while a start sequence ran
               └── LinkLostDuringCommand   the link dropped while the procedure was in flight

**The error boundary**: Bleak's errors (``BleakError``), the operating system's
(``OSError``) and timeouts (``TimeoutError``) never leave the link; each public coroutine
turns them into one of these, with the original as ``__cause__``. A front end catches
``LinkError`` and nothing of Bleak's.

**Refusals are typed**: :class:`CommandRefused` names the op code and the result code; an
ATT error on the write is :class:`CommandRejected` with the ATT code; no answer in time is
:class:`CommandTimeout`.
"""

from __future__ import annotations

from protocols.ftms import OpCode, ResultCode
from treadctl.errors import TreadctlError

__all__ = [
    "CommandError",
    "CommandRefused",
    "CommandRejected",
    "CommandTimeout",
    "ConnectFailed",
    "ControlUnavailable",
    "LinkError",
    "LinkLostDuringCommand",
    "NoAdapterError",
    "NotConnected",
    "ScanFailed",
    "StartCancelled",
]


class LinkError(TreadctlError):
    """Base of every error the link raises."""


class NoAdapterError(LinkError):
    """No Bluetooth adapter could be used (none present, powered off, or no permission)."""


class ScanFailed(LinkError):
    """The scan failed for a reason other than a missing adapter; ``__cause__`` holds it."""


class NotConnected(LinkError):
    """A command was asked for while no treadmill is connected."""


class ConnectFailed(LinkError):
    """Every connection attempt failed, or the set-up after connecting did; ``__cause__``
    holds the last reason."""


class ControlUnavailable(LinkError):
    """The treadmill offers no way to do this (no control point, or no range for a target)."""


class CommandError(LinkError):
    """A control-point procedure failed. ``op`` is the request's op code."""

    def __init__(self, op: OpCode, message: str) -> None:
        super().__init__(message)
        self.op = op


class CommandRefused(CommandError):
    """The treadmill answered with a result code other than Success."""

    def __init__(self, op: OpCode, result: ResultCode) -> None:
        super().__init__(
            op,
            f"treadmill refused {op.name} (op code 0x{int(op):02X}): "
            f"result {result.name} (0x{int(result):02X})",
        )
        self.result = result


class CommandRejected(CommandError):
    """The write itself failed with an ATT error (e.g. 0xFD CCCD improperly configured)."""

    def __init__(self, op: OpCode, att_error: int | None, detail: str) -> None:
        code = "unknown" if att_error is None else f"0x{att_error:02X}"
        super().__init__(
            op, f"write of {op.name} (op code 0x{int(op):02X}) failed: ATT error {code}: {detail}"
        )
        self.att_error = att_error


class CommandTimeout(CommandError):
    """No answer to the request within the command timeout."""

    def __init__(self, op: OpCode, timeout: float) -> None:
        super().__init__(
            op, f"no answer to {op.name} (op code 0x{int(op):02X}) within {timeout:g} s"
        )
        self.timeout = timeout


class StartCancelled(CommandError):
    """A stop or pause was asked for while a start sequence ran, or before a speed, incline or
    start command waiting for the control point went out: it is dropped. Not a failure: the
    belt does what the later stop said."""

    def __init__(self, op: OpCode) -> None:
        super().__init__(op, f"cancelled by a stop before {op.name} went out")


class LinkLostDuringCommand(CommandError):
    """The link dropped while the procedure was in flight.

    Not to be confused with :class:`treadctl.safety.LinkLost`, the request the session hands
    the safety governor when the link goes down.
    """

    def __init__(self, op: OpCode) -> None:
        super().__init__(op, f"link lost during {op.name} (op code 0x{int(op):02X})")
