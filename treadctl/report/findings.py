"""What a guided test shows about a treadmill: findings from the measured response. Pure.

Shape::

    GuidedObservation(steps, stop_seen_still, failures, notices)   what the test measured
     └── GuidedStep(label, commanded_kmh, measured_kmh, moving_before)
    guided_findings(observation) -> (Finding, ...)
    Finding(kind, text, values)                                     one line of the report

Theory of operation
-------------------
A guided test (``treadctl probe --report --guided``) starts the belt at the treadmill's
slowest speed, holds it, steps it up once, holds it, and stops it, every command through the
safety governor. Each hold ends with the belt as the treadmill measures it (the mean of the
last records, once settled) beside what the link sent on the wire (``commanded_kmh``, after
fitting to the treadmill's grid). From that:

* ``speed_ratio``: measured / commanded over the steps where the belt moved (always given
  when one did). Near 1.609 (within ``UNIT_RATIO_TOLERANCE``, the governor's own) is
  ``speed_read_as_mph``: the treadmill reads the app's km/h as mph (Horizon 7.0AT /
  JFTM T202, qdomyos-zwift PR #4904, #4721). Near 0.621 is ``speed_in_other_unit``: the
  reverse. Otherwise more than ``MISMATCH_PART`` off is ``speed_mismatch``.
* ``test_cut_short``: the governor stopped the belt on its own before a hold was measured;
  such holds are left out of everything below.
* ``belt_did_not_start``: no step ever measured above the still speed.
* ``speed_command_ignored``: the belt moved, but the speed step changed the measured speed
  by less than ``IGNORED_PART`` of the commanded change (Xterra T85 with FitShow FS-BT-02,
  hassio-ftms #26: start and stop work, speed control does nothing).
* ``stop_not_confirmed``: the belt was not seen still after the stop.
* ``command_failed``: a command was refused or not answered (its request and why).
* ``safety_notice``: a notice the governor raised that says something about the treadmill
  (the belt not following, a stop not confirmed, a command failed, the watchdog).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from treadctl.safety import KMH_PER_MPH, STILL_KMH, UNIT_RATIO_TOLERANCE

__all__ = [
    "IGNORED_PART",
    "MISMATCH_PART",
    "TELLING_NOTICES",
    "Finding",
    "GuidedObservation",
    "GuidedStep",
    "guided_findings",
]

#: A speed step that moves the belt by less than this part of the commanded change is ignored.
IGNORED_PART = 0.25
#: A ratio further than this from 1 (and from the unit ratios) is a mismatch worth telling.
MISMATCH_PART = 0.1

#: Governor notices that say something about the treadmill (kinds, as the session log names
#: them); the others (started, stopped...) are the test going as planned.
TELLING_NOTICES = frozenset(
    {
        "belt_not_following",
        "stop_not_confirmed",
        "stop_resent",
        "command_failed",
        "watchdog",
        "overspeed",
        "link_lost",
    }
)


@dataclass(frozen=True, slots=True)
class GuidedStep:
    """One hold of the test: what the link sent and what the treadmill then measured.

    ``cut_short``: the safety governor had stopped the belt on its own (a failed command, a
    belt not following...) before this hold was measured, so it says nothing of the command.
    """

    label: str
    commanded_kmh: float | None
    measured_kmh: float | None
    cut_short: bool = False


@dataclass(frozen=True, slots=True)
class GuidedObservation:
    """What a guided test measured. ``failures``: (request, why) of every failed command;
    ``notices``: (kind, message) of every notice the governor raised."""

    steps: tuple[GuidedStep, ...]
    stop_seen_still: bool
    failures: tuple[tuple[str, str], ...] = ()
    notices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the test showed: a ``kind`` from the module docstring's list, a sentence, and
    the figures behind it (plain JSON values)."""

    kind: str
    text: str
    values: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))


def guided_findings(observation: GuidedObservation) -> tuple[Finding, ...]:
    """The findings of a guided test; see the module docstring."""
    found: list[Finding] = []
    steps = tuple(s for s in observation.steps if not s.cut_short)
    cut = [s for s in observation.steps if s.cut_short]
    if cut:
        found.append(
            Finding(
                "test_cut_short",
                f"The safety governor stopped the belt before '{cut[0].label}' was measured "
                "(see its notices): the test ended there.",
                {"steps_measured": len(steps)},
            )
        )
    moving = [
        s
        for s in steps
        if s.commanded_kmh and s.measured_kmh is not None and s.measured_kmh > STILL_KMH
    ]
    if steps and not moving:
        found.append(
            Finding(
                "belt_did_not_start",
                "The belt did not move: the treadmill measured it still after the start.",
            )
        )
    if moving:
        found += _ratio_findings(moving)
    found += _ignored_speed(steps)
    if not observation.stop_seen_still:
        found.append(
            Finding(
                "stop_not_confirmed",
                "The belt was not seen still after the stop: use the treadmill's own stop.",
            )
        )
    found += [
        Finding("command_failed", f"{request} failed: {why}", {"request": request, "why": why})
        for request, why in observation.failures
    ]
    found += [
        Finding("safety_notice", message, {"notice": kind})
        for kind, message in observation.notices
        if kind in TELLING_NOTICES
    ]
    return tuple(found)


def _ratio_findings(moving: list[GuidedStep]) -> list[Finding]:
    ratios = [s.measured_kmh / s.commanded_kmh for s in moving]  # type: ignore[operator]
    ratio = round(sum(ratios) / len(ratios), 3)
    values = {
        "ratio": ratio,
        "steps": [
            {"commanded_kmh": s.commanded_kmh, "measured_kmh": s.measured_kmh} for s in moving
        ],
    }
    found = [
        Finding(
            "speed_ratio",
            f"Measured / commanded speed: {ratio:.3f}.",
            MappingProxyType(values),
        )
    ]
    if math.isclose(ratio, KMH_PER_MPH, rel_tol=UNIT_RATIO_TOLERANCE):
        found.append(
            Finding(
                "speed_read_as_mph",
                f"The belt ran {ratio:.2f} times the speed sent: the treadmill reads the app's "
                "km/h as mph.",
                {"ratio": ratio},
            )
        )
    elif math.isclose(ratio, 1 / KMH_PER_MPH, rel_tol=UNIT_RATIO_TOLERANCE):
        found.append(
            Finding(
                "speed_in_other_unit",
                f"The belt ran {ratio:.2f} times the speed sent: the treadmill reads the app's "
                "speed in the other unit, or reports its own in mph.",
                {"ratio": ratio},
            )
        )
    elif abs(ratio - 1.0) > MISMATCH_PART:
        found.append(
            Finding(
                "speed_mismatch",
                f"The belt ran {ratio:.2f} times the speed sent.",
                {"ratio": ratio},
            )
        )
    return found


def _ignored_speed(steps: tuple[GuidedStep, ...]) -> list[Finding]:
    """Consecutive steps whose measured change is far smaller than their commanded change."""
    found: list[Finding] = []
    for before, after in itertools.pairwise(steps):
        if None in (before.commanded_kmh, after.commanded_kmh):
            continue
        if before.measured_kmh is None or after.measured_kmh is None:
            continue
        if before.measured_kmh <= STILL_KMH:
            continue  # a belt that never started is told above
        wanted = after.commanded_kmh - before.commanded_kmh  # type: ignore[operator]
        got = after.measured_kmh - before.measured_kmh
        if abs(wanted) > 0 and abs(got) < IGNORED_PART * abs(wanted):
            found.append(
                Finding(
                    "speed_command_ignored",
                    f"Asked to go from {before.commanded_kmh:g} to {after.commanded_kmh:g} km/h, "
                    f"the belt went from {before.measured_kmh:g} to {after.measured_kmh:g} km/h: "
                    "the treadmill ignores speed commands.",
                    {
                        "commanded_kmh": [before.commanded_kmh, after.commanded_kmh],
                        "measured_kmh": [before.measured_kmh, after.measured_kmh],
                    },
                )
            )
    return found
