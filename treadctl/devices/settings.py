"""Per-treadmill settings for what cannot be detected, kept per treadmill in the history store.

Shape::

    DeviceSettings(console_unit=None)           frozen; None: not said
     ├── loosens(old) -> [what]                 the changes that could make a belt faster
     └── to_json() / from_json(text, where)
    applied(deviations, settings) -> (Deviations, [notes])   what the link applies
    DeviceSettingsStore(profiles)               rows of the store's settings table
     ├── lookup(address, name) -> DeviceSettings   by address, else by advertised name
     ├── get(key) / all() -> {key: DeviceSettings}
     └── set(key, settings, pin=None)           the admin PIN when a change loosens a limit

Why settings: some treadmills speak their console's unit on the wire (mph while the console
shows miles; the ``unit_follows_console`` deviation). Nothing the treadmill sends says which, so
the person says it once, for that treadmill: "its console is in miles" (or "in km").

The rule for the PIN (as for raising a limit, :mod:`treadctl.profiles.registry`): a change that
could make a belt run faster than before needs the admin PIN; one that can only make it slower
never does. "Miles" makes the link send mph, which on a treadmill that reads km/h gives a
slower belt: it never needs the PIN. "Km" makes a treadmill assumed to speak miles get km/h
numbers it may read as mph, 1.609 times faster: it needs the PIN, and so does forgetting a
"miles" (the link would go back to km/h). Keys are a treadmill's address (the usual one: one
physical treadmill) or its advertised name (every treadmill of that name); the address wins.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Self, cast

from treadctl.devices.deviations import Deviations
from treadctl.errors import TreadctlError

if TYPE_CHECKING:
    from treadctl.profiles.registry import Profiles

__all__ = [
    "CONSOLE_UNITS",
    "ConsoleUnit",
    "DeviceSettings",
    "DeviceSettingsError",
    "DeviceSettingsSource",
    "DeviceSettingsStore",
    "applied",
]

ConsoleUnit = Literal["km", "miles"]
CONSOLE_UNITS: tuple[ConsoleUnit, ...] = ("km", "miles")
#: How much faster a belt may get from each console unit, slowest first (None: not said).
_RANK: dict[ConsoleUnit | None, int] = {"miles": 0, None: 1, "km": 2}
#: Settings table keys: "device:" + the treadmill's address or advertised name.
_PREFIX = "device:"

#: What the link asks for a treadmill's settings: (address, advertised name) -> settings.
DeviceSettingsSource = Callable[[str, str | None], "DeviceSettings"]


class DeviceSettingsError(TreadctlError, ValueError):
    """A setting that cannot be stored or read back (the message says which)."""


@dataclass(frozen=True, slots=True)
class DeviceSettings:
    """What the person said about one treadmill; ``None`` is "not said"."""

    #: The unit the treadmill's console is set to (for treadmills that speak it on the wire).
    console_unit: ConsoleUnit | None = None

    def __post_init__(self) -> None:
        if self.console_unit is not None and self.console_unit not in CONSOLE_UNITS:
            raise DeviceSettingsError(
                f"console unit: expected one of {', '.join(CONSOLE_UNITS)}, got "
                f"{self.console_unit!r}"
            )

    def loosens(self, old: DeviceSettings) -> list[str]:
        """The changes from ``old`` that could make a belt run faster (need the admin PIN)."""
        if _RANK[self.console_unit] > _RANK[old.console_unit]:
            was = old.console_unit or "not set"
            return [f"console unit {self.console_unit or 'not set'} (was {was})"]
        return []

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in dataclasses.asdict(self).items() if v is not None})

    @classmethod
    def from_json(cls, text: str, where: str) -> Self:
        try:
            data = json.loads(text)
        except ValueError:
            raise DeviceSettingsError(f"{where}: not JSON") from None
        if not isinstance(data, dict) or set(data) - {"console_unit"}:
            raise DeviceSettingsError(f"{where}: unknown settings {data!r}")
        try:
            return cls(console_unit=cast(ConsoleUnit | None, data.get("console_unit")))
        except DeviceSettingsError as error:
            raise DeviceSettingsError(f"{where}: {error}") from None


def applied(deviations: Deviations, settings: DeviceSettings) -> tuple[Deviations, list[str]]:
    """The deviations the link applies to a treadmill, given its entry's and its settings,
    with notes for the person (what was assumed, what was said)."""
    unit = settings.console_unit
    mph = dataclasses.replace(deviations, speed_command_unit="mph", speed_data_unit="mph")
    if unit == "miles":
        return mph, ["its console is set to miles (a setting): speeds in mph both ways"]
    if deviations.unit_follows_console and unit is None:
        return mph, [
            "known to speak its console's unit: assumed miles, the slower belt if wrong; "
            "say which in this treadmill's settings (console unit km or miles)"
        ]
    if deviations.unit_follows_console:
        return deviations, ["its console is set to km (a setting): speeds in km/h"]
    return deviations, []


class DeviceSettingsStore:
    """Per-treadmill settings in the history store, with the admin PIN's rules."""

    def __init__(self, profiles: Profiles) -> None:
        self._profiles = profiles

    def get(self, key: str) -> DeviceSettings:
        rows = self._profiles.store.execute(
            "SELECT value FROM settings WHERE key = ?", (_PREFIX + key,)
        )
        if not rows:
            return DeviceSettings()
        return DeviceSettings.from_json(rows[0][0], f"settings of treadmill {key!r}")

    def lookup(self, address: str, name: str | None = None) -> DeviceSettings:
        """The settings of the treadmill at ``address``, else those kept for its name."""
        by_address = self.get(address)
        if by_address != DeviceSettings() or not name:
            return by_address
        return self.get(name)

    def all(self) -> dict[str, DeviceSettings]:
        rows = self._profiles.store.execute(
            "SELECT key, value FROM settings WHERE key LIKE ? ORDER BY key", (_PREFIX + "%",)
        )
        return {
            key[len(_PREFIX) :]: DeviceSettings.from_json(value, f"settings of treadmill {key!r}")
            for key, value in rows
        }

    def set(self, key: str, settings: DeviceSettings, *, pin: str | None = None) -> None:
        """Keep ``settings`` for the treadmill ``key`` (an address or an advertised name);
        the admin PIN when the change could make its belt faster."""
        if not key.strip():
            raise DeviceSettingsError("a treadmill's settings need its address or name")
        loosened = settings.loosens(self.get(key))
        if loosened:
            self._profiles.authorize(pin, f"{', '.join(loosened)} for treadmill {key!r}")
        with self._profiles.store.transaction() as db:
            if settings == DeviceSettings():
                db.execute("DELETE FROM settings WHERE key = ?", (_PREFIX + key,))
            else:
                db.execute(
                    "INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)",
                    (_PREFIX + key, settings.to_json()),
                )
