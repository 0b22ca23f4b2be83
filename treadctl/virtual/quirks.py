"""Quirk profiles: how real FTMS treadmills deviate from the specification, as data.

Shape::

    Quirks(name, description, <one field per deviation>)   frozen; ``Quirks()`` is "standard"
     └── apply_to(spec) -> TreadmillSpec                    the belt-level quirks, for the model
    QUIRK_PROFILES: {name: Quirks}                          standard, urevo-e1l, kingsmith, ...
    quirks_by_name(name) -> Quirks                          ValueError naming the known ones

A profile is read by two parts: :class:`~treadctl.virtual.peripheral.FtmsPeripheral` for the
GATT-level deviations (Control Point, Machine Status, characteristics, Treadmill Data) and,
through :meth:`Quirks.apply_to`, :class:`~treadctl.virtual.treadmill.TreadmillModel` for the
belt-level ones. Each profile's ``description`` names the device and where each quirk was seen
(the project's FTMS notes, appendix, cite the captures and code).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from protocols.ftms import TreadmillDataFlags
from treadctl.virtual.treadmill import TreadmillSpec

__all__ = ["QUIRK_PROFILES", "Quirks", "quirks_by_name"]


@dataclass(frozen=True, slots=True)
class Quirks:
    """How one real treadmill deviates from FTMS; ``standard`` deviates in nothing.

    ``description`` names the device and where each quirk was seen (the project's FTMS notes,
    appendix, cite the captures and code). Model-level quirks (``ignores_speed_while_stopped``,
    ``needs_start_before_speed``, ``speed_range_kmh``) reach the belt through
    :meth:`apply_to`, which :class:`~treadctl.virtual.world.VirtualWorld` calls on its spec.
    """

    name: str = "standard"
    description: str = "Follows FTMS v1.0 to the letter."
    # Control Point
    responses_as_notifications: bool = False
    requires_control: bool = True
    requires_indications: bool = True
    single_procedure: bool = True
    accepts_write_without_response: bool = False
    drops_link_on_speed_while_stopped: bool = False
    # Machine Status
    padded_status: bool = False
    # Characteristics
    has_ranges: bool = True
    zero_inclination_range: bool = False
    training_status_flag_without_string: bool = False
    # Treadmill Data
    split_after: TreadmillDataFlags | None = None
    step_count_records: bool = False
    distance_step_m: int = 1
    # The belt (applied to the TreadmillSpec)
    ignores_speed_while_stopped: bool = False
    needs_start_before_speed: bool = False
    speed_range_kmh: tuple[float, float, float] | None = None

    def apply_to(self, spec: TreadmillSpec) -> TreadmillSpec:
        """``spec`` with this device's belt-level quirks (they win over the spec's values)."""
        changes: dict[str, Any] = {}
        if self.ignores_speed_while_stopped:
            changes["ignores_speed_while_stopped"] = True
        if self.needs_start_before_speed:
            changes["needs_start_before_speed"] = True
        if self.speed_range_kmh is not None:
            low, high, step = self.speed_range_kmh
            changes.update(min_speed_kmh=low, max_speed_kmh=high, speed_increment_kmh=step)
        return dataclasses.replace(spec, **changes) if changes else spec


_STANDARD = Quirks()

QUIRK_PROFILES: Mapping[str, Quirks] = {
    q.name: q
    for q in (
        _STANDARD,
        Quirks(
            name="urevo-e1l",
            description=(
                "Urevo E1L / URTM041 walking pad, from blak3r/treadspan packet captures with "
                "Kinomap: Control Point answers arrive as ATT notifications although the CCCD "
                "was written 02 00; Request Control is not enforced (Set Target Inclination "
                "before it got 80 03 01); Write Commands sent back to back are all answered; "
                "status notifications are padded (04 00 00, 02 02 00); the Supported "
                "Inclination Range is all zeros yet incline commands succeed; records set RFU "
                "bit 13 and append a 3-byte step count (flags 0x2584, 18 bytes); distance "
                "advances in 10 m steps; the speed range is 0.96-6.43 km/h in 0.32 km/h steps "
                "(0.6-4.0 mph in 0.2 mph). The Control Point is declared with Notify as well "
                "as Indicate: a client stack (Bumble's, and so the virtual Bleak backend) only "
                "delivers notifications to a notification subscription."
            ),
            responses_as_notifications=True,
            requires_control=False,
            requires_indications=False,
            single_procedure=False,
            accepts_write_without_response=True,
            padded_status=True,
            zero_inclination_range=True,
            step_count_records=True,
            distance_step_m=10,
            speed_range_kmh=(0.96, 6.43, 0.32),
        ),
        Quirks(
            name="kingsmith",
            description=(
                "KingSmith FTMS walking pads (KS-HD-*): need Start before Set Target Speed, "
                "or they drop the BLE link (mcdax/walkingpad-controller README). Emulated as "
                "the drop: a Set Target Speed while stopped gets its Write Response, then the "
                "link is dropped (reason 0x08) and no answer comes. They also set RFU bit 13 "
                "with a step count (mcdax/walkingpad-controller ftms.py comment)."
            ),
            drops_link_on_speed_while_stopped=True,
            needs_start_before_speed=True,
            step_count_records=True,
        ),
        Quirks(
            name="fitshow",
            description=(
                "FitShow consoles: Training Status reads 01 01, the 'string present' flag "
                "without a string (FS-6041F1, TrackMyIndoorWorkout#470), here in notifications "
                "too; the belt accepts Set Target Speed while stopped but ignores it (Xterra "
                "T85 with FitShow FS-BT-02: speed control without effect, hassio-ftms#26; "
                "3G Cardio Pro Runner X: 'I have to start it moving for FTMS to work', "
                "qdomyos-zwift#3382). Energy per hour/minute are 'not available' (0xFFFF / "
                "0xFF), as FITSHOW FS-BT-T4 sends them (justintout/treadmill README); every "
                "profile sends those."
            ),
            training_status_flag_without_string=True,
            ignores_speed_while_stopped=True,
        ),
        Quirks(
            name="matrix",
            description=(
                "Matrix Performance TouchXL: every record split with More Data, 9f00... "
                "(average speed up to expended energy) then 001f... (the rest and the speed), "
                "whatever the MTU (captures quoted in the project's FTMS notes)."
            ),
            split_after=TreadmillDataFlags.EXPENDED_ENERGY,
        ),
        Quirks(
            name="technogym",
            description=(
                "Technogym MyRun: every record split with More Data, 1f00... (average speed "
                "up to elevation gain) then 8006... (energy, elapsed time and the speed), "
                "whatever the MTU (captures quoted in the project's FTMS notes)."
            ),
            split_after=TreadmillDataFlags.ELEVATION_GAIN,
        ),
        Quirks(
            name="no-ranges",
            description=(
                "No Supported Speed Range 0x2AD4 or Inclination Range 0x2AD5 characteristic "
                "although speed and incline targets are supported (FTMS C.1/C.2 make them "
                "mandatory then). Seen as an EOFError / missing range in pyftms-based clients "
                "(hassio-ftms#36, python-pyftms#17, uncertain: no raw bytes in the issues); "
                "clients must tolerate it."
            ),
            has_ranges=False,
        ),
    )
}


def quirks_by_name(name: str) -> Quirks:
    """The named profile; a ValueError listing the known names otherwise."""
    try:
        return QUIRK_PROFILES[name]
    except KeyError:
        known = ", ".join(sorted(QUIRK_PROFILES))
        raise ValueError(f"unknown quirk profile {name!r}; known profiles: {known}") from None
