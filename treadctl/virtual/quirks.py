"""Quirk profiles: the virtual treadmill as each device of the knowledge base.

Shape::

    Quirks(name, description, deviations, advertised_name)   frozen; ``Quirks()`` is "standard"
     └── apply_to(spec) -> TreadmillSpec                     the belt-level deviations
    QUIRK_PROFILES: {name: Quirks}      "standard", then one per knowledge-base entry, by its id
    quirks_by_name(name) -> Quirks      ValueError naming the known ones
    profile_of(entry) -> Quirks         the profile of one entry (a test's own knowledge base)

Every entry of ``resources/devices.toml`` (:mod:`treadctl.devices.knowledge`) is a profile
named by its id, emulating the entry's ``virtual_deviations`` (its deviations, plus the state of
the emulated unit, such as a console set to miles) and advertising the entry's virtual name, so
the link's matching is exercised as it would be on the real device. The vocabulary is
:class:`~treadctl.devices.deviations.Deviations`, the same the link applies.

A profile is read by two parts: :class:`~treadctl.virtual.peripheral.FtmsPeripheral` for the
GATT-level deviations (Control Point, Machine Status, characteristics, Treadmill Data) and,
through :meth:`Quirks.apply_to`, :class:`~treadctl.virtual.treadmill.TreadmillModel` for the
belt-level ones.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from treadctl.devices.deviations import Deviations
from treadctl.devices.knowledge import STANDARD, DeviceEntry, KnowledgeBase
from treadctl.virtual.treadmill import TreadmillSpec

__all__ = ["QUIRK_PROFILES", "Quirks", "profile_of", "quirks_by_name"]


@dataclass(frozen=True, slots=True)
class Quirks:
    """A virtual treadmill's identity and deviations; ``Quirks()`` deviates in nothing.

    ``description`` names the device and where each deviation was seen (the knowledge base's
    entry). Belt-level deviations (``ignores_speed_while_stopped``, ``needs_start_before_speed``,
    ``speed_range_kmh``) reach the model through :meth:`apply_to`, which
    :class:`~treadctl.virtual.world.VirtualWorld` calls on its spec.
    """

    name: str = STANDARD
    description: str = "Follows FTMS v1.0 to the letter."
    deviations: Deviations = field(default_factory=Deviations)
    #: What it advertises (None: the world's default name).
    advertised_name: str | None = None

    def apply_to(self, spec: TreadmillSpec) -> TreadmillSpec:
        """``spec`` with this device's belt-level deviations (they win over the spec's values)."""
        d = self.deviations
        changes: dict[str, Any] = {}
        if d.ignores_speed_while_stopped:
            changes["ignores_speed_while_stopped"] = True
        if d.needs_start_before_speed:
            changes["needs_start_before_speed"] = True
        if d.speed_range_kmh is not None:
            low, high, step = d.speed_range_kmh
            changes.update(min_speed_kmh=low, max_speed_kmh=high, speed_increment_kmh=step)
        if d.inclination_range_pct is not None:
            low, high, step = d.inclination_range_pct
            changes.update(min_incline_pct=low, max_incline_pct=high, incline_increment_pct=step)
        if d.incline_codes is not None:
            levels = [pct for pct, _ in d.incline_codes]
            step = min(b - a for a, b in itertools.pairwise(levels))
            changes.update(
                min_incline_pct=levels[0], max_incline_pct=levels[-1], incline_increment_pct=step
            )
        if d.fixed_incline_pct is not None:
            fixed = d.fixed_incline_pct
            changes.update(min_incline_pct=fixed, max_incline_pct=fixed)
        return dataclasses.replace(spec, **changes) if changes else spec


def profile_of(entry: DeviceEntry) -> Quirks:
    """The virtual treadmill of one knowledge-base entry."""
    return Quirks(
        name=entry.id,
        description=f"{entry.device}: {entry.description}",
        deviations=entry.virtual_deviations,
        advertised_name=entry.virtual_name,
    )


QUIRK_PROFILES: Mapping[str, Quirks] = {
    STANDARD: Quirks(),
    **{entry.id: profile_of(entry) for entry in KnowledgeBase.builtin().entries},
}


def quirks_by_name(name: str) -> Quirks:
    """The named profile; a ValueError listing the known names otherwise."""
    try:
        return QUIRK_PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(QUIRK_PROFILES))
        raise ValueError(f"unknown quirk profile {name!r}; known profiles: {known}") from None
