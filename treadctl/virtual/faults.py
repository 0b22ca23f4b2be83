"""Fault knobs: the run-time faults one virtual FTMS treadmill can be told to have.

Shape::

    Faults()                                  every knob off; FtmsPeripheral.faults holds one
     ├── silent / malformed_records / truncated_records / reserved_bit_records   (data)
     ├── refuse(result, ops) / ignore_commands(count) / answer_delay(seconds)    (Control Point)
     ├── clear()                               every knob back to off
     └── take_ignore() / refusal(op)           what the peripheral asks on each write

Knobs are plain state: the peripheral reads them on each record and each Control Point write.
Faults that need I/O (dropping the link, taking control away) are methods of the peripheral.
The named faults a person or the command line triggers on a whole virtual world (``drop-link``,
``safety-key``...) are :class:`~treadctl.virtual.simulated_faults.SimulatedFault`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass

from protocols.ftms import OpCode, ResultCode

__all__ = ["Faults"]


@dataclass
class Faults:
    """Run-time fault knobs of one virtual treadmill (all off by default).

    Data (Treadmill Data 0x2ACD):

    - ``silent``: no data notifications at all while set (status and answers still flow);
    - ``malformed_records``: each record is replaced by an undecodable notification,
      alternately empty and one byte;
    - ``truncated_records``: each record (its last fragment) loses its last 2 bytes, so it is
      shorter than its flags promise (Matrix sends 20 of 30 promised bytes);
    - ``reserved_bit_records``: RFU bit 13 is set and a 3-byte step count appended (what the
      ``urevo-e1l`` and ``kingsmith`` profiles always do).

    Control Point (checked after the ATT-level rules, before anything else):

    - :meth:`ignore_commands`: writes get their Write Response but are neither applied nor
      answered, like a lost packet (no procedure is left in progress);
    - :meth:`refuse`: matching requests are answered with the given result code, not applied;
    - ``answer_delay_s``: requests are applied at once, the answer is sent this many clock
      seconds later (the procedure stays in progress meanwhile: writes get ATT error 0xFE).

    Faults that need I/O are methods of the peripheral: :meth:`FtmsPeripheral.drop_link` and
    :meth:`FtmsPeripheral.lose_control`.
    """

    silent: bool = False
    malformed_records: bool = False
    truncated_records: bool = False
    reserved_bit_records: bool = False
    answer_delay_s: float = 0.0
    # A FitShow module's error number on 0xFFF1 (set by FtmsPeripheral.report_error).
    vendor_error: int | None = None
    refuse_result: ResultCode | None = None
    refuse_ops: frozenset[OpCode] | None = None
    # None: ignore every write; n > 0: ignore the next n; 0: ignore none.
    ignore_remaining: int | None = 0

    def refuse(self, result: ResultCode, ops: Iterable[OpCode] | None = None) -> None:
        """Answer every request (or those with an op code in ``ops``) with ``result``."""
        self.refuse_result = ResultCode(result)
        self.refuse_ops = None if ops is None else frozenset(OpCode(op) for op in ops)

    def ignore_commands(self, count: int | None = None) -> None:
        """Ignore the next ``count`` writes, or every write until cleared (``None``)."""
        if count is not None and count < 0:
            raise ValueError(f"cannot ignore {count} commands")
        self.ignore_remaining = count

    def answer_delay(self, seconds: float) -> None:
        """Send each answer ``seconds`` of clock time after its write (0: at once)."""
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"answer delay must be a finite number >= 0, got {seconds}")
        self.answer_delay_s = seconds

    def clear(self) -> None:
        """Every knob back to off."""
        for f in dataclasses.fields(self):
            setattr(self, f.name, f.default)

    def take_ignore(self) -> bool:
        """Whether the write at hand is to be ignored (it uses up one of a counted ignore)."""
        if self.ignore_remaining is None:
            return True
        if self.ignore_remaining > 0:
            self.ignore_remaining -= 1
            return True
        return False

    def refusal(self, op: OpCode) -> ResultCode | None:
        """The result code a request with op code ``op`` is refused with; None: not refused."""
        if self.refuse_result is None:
            return None
        if self.refuse_ops is not None and op not in self.refuse_ops:
            return None
        return self.refuse_result
