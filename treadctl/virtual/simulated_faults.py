"""The simulated faults: one vocabulary for what can go wrong with a virtual treadmill.

Shape::

    SimulatedFault (StrEnum; the value is the name ``--sim-fault KIND@SECONDS`` takes)
     ├── .description          one line, for help texts, buttons and tooltips
     └── .lasting              True: stays until cleared (silence, refuse, ...)
    await trigger(world, fault) -> ResultCode   make it happen on a started VirtualWorld
    await clear(world, fault)                   end a lasting one (ValueError otherwise)
    refusal(result) -> str | None               a console answer in words (None: accepted)

Both front ends speak it: ``treadctl run --simulate --sim-fault KIND@SECONDS`` (the command
line offers the first nine, in this order) and the simulated console in the app
(``ui.console_panel``: its Pause, Stop, Pull key, Drop link and Drop strap buttons, its Go
silent and Refuse commands switches). Each front end keeps offering what it offered when the
two lists were merged: the command line has no ``drop-strap`` or ``refuse-all``, the console no
``refuse``, ``no-answer``, ``lose-control`` or ``malformed``.

A fault is a person at the treadmill (console stop or pause, the safety key), the radio (a
dropped link) or the treadmill misbehaving (the :class:`~treadctl.virtual.faults.Faults`
knobs, control taken away). ``trigger`` returns what the treadmill answered a console action
with (SUCCESS for every other fault). The app learns of a fault only over the virtual radio,
as it would from real hardware.

This module is imported by ``treadctl.cli`` before the app window paints, so it loads nothing
heavy at import time (``protocols.ftms`` is imported when a fault is triggered).
"""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from protocols.ftms import ResultCode
    from treadctl.virtual.world import VirtualWorld

__all__ = ["SimulatedFault", "clear", "refusal", "trigger"]


class SimulatedFault(enum.StrEnum):
    """A fault a person, a test or ``--sim-fault`` can trigger on a virtual world."""

    DROP_LINK = "drop-link"
    SILENCE = "silence"
    CONSOLE_STOP = "console-stop"
    CONSOLE_PAUSE = "console-pause"
    SAFETY_KEY = "safety-key"
    REFUSE = "refuse"
    NO_ANSWER = "no-answer"
    LOSE_CONTROL = "lose-control"
    MALFORMED = "malformed"
    DROP_STRAP = "drop-strap"
    REFUSE_ALL = "refuse-all"

    @property
    def description(self) -> str:
        """One line saying what happens, for help texts and buttons."""
        return _DESCRIPTIONS[self]

    @property
    def lasting(self) -> bool:
        """Whether the fault stays until :func:`clear` (else it happens once)."""
        return self in _LASTING


_DESCRIPTIONS: dict[SimulatedFault, str] = {
    SimulatedFault.DROP_LINK: (
        "The treadmill's link drops, as on a lost signal; it advertises again at once."
    ),
    SimulatedFault.SILENCE: "The treadmill sends no data (status and answers still flow).",
    SimulatedFault.CONSOLE_STOP: "Someone presses Stop on the treadmill's console.",
    SimulatedFault.CONSOLE_PAUSE: "Someone presses Pause on the treadmill's console.",
    SimulatedFault.SAFETY_KEY: "The safety key is pulled: the belt brakes hard.",
    SimulatedFault.REFUSE: (
        "The treadmill refuses speed, incline and start commands; it still accepts a stop."
    ),
    SimulatedFault.NO_ANSWER: "The next command is neither applied nor answered.",
    SimulatedFault.LOSE_CONTROL: "The treadmill takes control away; the app must ask again.",
    SimulatedFault.MALFORMED: "Every data record is replaced by an undecodable one.",
    SimulatedFault.DROP_STRAP: (
        "The heart-rate strap's link drops; it comes back by itself, as a real one does."
    ),
    SimulatedFault.REFUSE_ALL: "The treadmill refuses every command, a stop included.",
}

_LASTING = frozenset(
    {
        SimulatedFault.SILENCE,
        SimulatedFault.REFUSE,
        SimulatedFault.MALFORMED,
        SimulatedFault.REFUSE_ALL,
    }
)


async def trigger(world: VirtualWorld, fault: SimulatedFault) -> ResultCode:
    """Make ``fault`` happen on ``world`` (started); the treadmill's answer to a console action.

    Raises ValueError for ``drop-strap`` on a world without a strap.
    """
    from protocols.ftms import OpCode, ResultCode

    treadmill = world.treadmill
    match fault:
        case SimulatedFault.DROP_LINK:
            await treadmill.drop_link()
        case SimulatedFault.SILENCE:
            treadmill.faults.silent = True
        case SimulatedFault.CONSOLE_STOP:
            return treadmill.console_stop()
        case SimulatedFault.CONSOLE_PAUSE:
            return treadmill.console_pause()
        case SimulatedFault.SAFETY_KEY:
            return treadmill.pull_safety_key()
        case SimulatedFault.REFUSE:
            # The treadmill refuses to change speed, incline or start (a belt at its limit);
            # it still accepts a stop, so the app's answer (stop the belt) can be seen.
            treadmill.faults.refuse(
                ResultCode.OPERATION_FAILED,
                ops=[
                    OpCode.SET_TARGET_SPEED,
                    OpCode.SET_TARGET_INCLINATION,
                    OpCode.START_OR_RESUME,
                ],
            )
        case SimulatedFault.NO_ANSWER:
            treadmill.faults.ignore_commands(count=1)  # one command goes unanswered
        case SimulatedFault.LOSE_CONTROL:
            treadmill.lose_control()
        case SimulatedFault.MALFORMED:
            treadmill.faults.malformed_records = True
        case SimulatedFault.DROP_STRAP:
            if world.strap is None:
                raise ValueError("drop-strap: this virtual world has no heart-rate strap")
            await world.radio.drop_link(world.strap.device)
        case SimulatedFault.REFUSE_ALL:
            treadmill.faults.refuse(ResultCode.OPERATION_FAILED)
    return ResultCode.SUCCESS


async def clear(world: VirtualWorld, fault: SimulatedFault) -> None:
    """End a lasting ``fault`` on ``world``; a ValueError for one that happens once.

    ``refuse`` and ``refuse-all`` share the treadmill's one refusal knob: clearing either
    ends both. A coroutine like :func:`trigger`, so a front end that runs both as tasks keeps
    their order.
    """
    faults = world.treadmill.faults
    match fault:
        case SimulatedFault.SILENCE:
            faults.silent = False
        case SimulatedFault.MALFORMED:
            faults.malformed_records = False
        case SimulatedFault.REFUSE | SimulatedFault.REFUSE_ALL:
            faults.refuse_result = None
            faults.refuse_ops = None
        case _:
            raise ValueError(f"{fault}: happens once, there is nothing to clear")


def refusal(result: ResultCode) -> str | None:
    """The treadmill's answer to a console action in words, or None when it accepted it."""
    from protocols.ftms import ResultCode

    if result is ResultCode.SUCCESS:
        return None
    return result.name.lower().replace("_", " ")
