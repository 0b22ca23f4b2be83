"""A runner's race paces, the reference speeds of Zwift's run workouts.

Shape::

    PaceZone            MILE, K5, K10, HALF, MARATHON: "1 mile pace", "5 km pace", …
     ├── .key           "mile", "5k", "10k", "half", "marathon"   (``--pace 5k=4:30/km``)
     ├── .zwo_index     0 … 4: the number a .zwo file's ``pace`` attribute holds
     └── PaceZone.parse("5K") / PaceZone.from_zwo("1")
    RunPaces(mile=None, k5=None, k10=None, half=None, marathon=None)   seconds per km each
     ├── .get(zone) -> s/km | None       .speed_kmh(zone) -> km/h | None
     ├── .with_pace(zone, s_per_km)      a copy with one pace set (None: cleared)
     ├── .merged(other)                  other's given paces over these
     ├── .to_dict() / RunPaces.from_dict(d)   {"5k": 270.0, …}: how a profile stores them
     └── RunPaces.parse(["5k=4:30/km", "marathon=8:00/mi"])
    parse_pace("4:30/km") -> 270.0       format_pace(270.0) -> "4:30 /km", format_pace(x, "mi")

A pace is time per distance, so it reads backwards as a speed: a *lower* pace is *faster*.
Paces are kept in seconds per kilometre (``/mi`` paces are converted exactly: a mile is
1.609344 km) and turned into km/h as ``3600 / seconds_per_km``.

A profile keeps its person's paces (``Profile.paces``, ``Profiles.set_paces``; stored with
:meth:`RunPaces.to_dict`); a front end passes them to an import with whatever the person types
for the zones still missing (:attr:`~treadctl.program.imported.ImportResult.needed_zones`).
Every zone is optional; a missing one is never guessed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from fractions import Fraction

from treadctl.program.model import MAX_SPEED_KMH
from treadctl.program.units import _KM_PER_MILE, _Expected

__all__ = ["PaceZone", "RunPaces", "format_pace", "parse_pace"]


class PaceZone(enum.Enum):
    """One of the five race paces a Zwift run workout is written against."""

    MILE = "mile"
    K5 = "5k"
    K10 = "10k"
    HALF = "half"
    MARATHON = "marathon"

    @property
    def key(self) -> str:
        """The short name the command line takes (``--pace 5k=4:30/km``)."""
        return self.value

    @property
    def describe(self) -> str:
        """For sentences: ``"5 km pace"``."""
        return _DESCRIBE[self]

    @property
    def zwo_index(self) -> int:
        """The value of a .zwo step's ``pace`` attribute for this zone (0-based)."""
        return list(PaceZone).index(self)

    @classmethod
    def from_zwo(cls, text: str) -> PaceZone:
        """The zone a .zwo ``pace`` attribute names; ``ValueError`` for anything but 0 … 4."""
        stripped = text.strip()
        if not re.fullmatch(r"[0-4]", stripped):
            raise ValueError(f"no pace zone {text!r}")
        return list(cls)[int(stripped)]

    @classmethod
    def parse(cls, text: str) -> PaceZone:
        """``"5k"``, ``"5 km"``, ``"half-marathon"``, ``"1mi"`` … → a zone; ``ValueError``
        naming the accepted names otherwise."""
        word = re.sub(r"[\s_-]+", "", text.strip().lower())
        zone = _ALIASES.get(word)
        if zone is None:
            raise ValueError(
                f"no pace zone {text!r}: expected one of {', '.join(z.key for z in cls)}"
            )
        return zone


_DESCRIBE = {
    PaceZone.MILE: "1 mile pace",
    PaceZone.K5: "5 km pace",
    PaceZone.K10: "10 km pace",
    PaceZone.HALF: "half marathon pace",
    PaceZone.MARATHON: "marathon pace",
}

_ALIASES = {
    "mile": PaceZone.MILE,
    "1mile": PaceZone.MILE,
    "1mi": PaceZone.MILE,
    "mi": PaceZone.MILE,
    "5k": PaceZone.K5,
    "5km": PaceZone.K5,
    "10k": PaceZone.K10,
    "10km": PaceZone.K10,
    "half": PaceZone.HALF,
    "halfmarathon": PaceZone.HALF,
    "hm": PaceZone.HALF,
    "21k": PaceZone.HALF,
    "marathon": PaceZone.MARATHON,
    "42k": PaceZone.MARATHON,
}

_PACE_RE = re.compile(r"(\d{1,3}):([0-5]\d)\s*(?:min)?\s*/\s*(km|mi|mile)", re.IGNORECASE)
_PACE_EXPECTED = 'a pace "minutes:seconds" per km or mile ("4:30/km", "7:15/mi")'
# A pace faster than this is over the format's speed bound (2:00 /km is 30 km/h).
_FASTEST_S_PER_KM = 3600 / MAX_SPEED_KMH
# 60:00 /km is 1 km/h: slower than any walk a treadmill program would be written against.
_SLOWEST_S_PER_KM = 3600.0


def parse_pace(text: str) -> float:
    """``"4:30/km"``, ``"4:30 /km"``, ``"7:15 min/mi"`` → seconds per km (a float).

    Raises ``ValueError`` (the units module's ``_Expected``) saying what was expected.
    """
    m = _PACE_RE.fullmatch(text.strip())
    if m is None:
        raise _Expected(_PACE_EXPECTED)
    seconds = Fraction(int(m[1]) * 60 + int(m[2]))
    per_km = seconds if m[3].lower() == "km" else seconds / _KM_PER_MILE
    if not _FASTEST_S_PER_KM <= per_km <= _SLOWEST_S_PER_KM:
        raise _Expected(
            f"a pace from {format_pace(_FASTEST_S_PER_KM)} to {format_pace(_SLOWEST_S_PER_KM)}"
        )
    return float(per_km)


def format_pace(seconds_per_km: float, unit: str = "km") -> str:
    """``270.0`` → ``"4:30 /km"``; ``unit="mi"`` → the same pace per mile, ``"7:15 /mi"``.

    Rounded to the whole second, as watches and race results show a pace.
    """
    per = seconds_per_km * float(_KM_PER_MILE) if unit == "mi" else seconds_per_km
    whole = round(per)
    return f"{whole // 60}:{whole % 60:02d} /{'mi' if unit == 'mi' else 'km'}"


@dataclass(frozen=True, slots=True)
class RunPaces:
    """A runner's pace (seconds per km) for each zone they have given; ``None`` where not."""

    mile: float | None = None
    k5: float | None = None
    k10: float | None = None
    half: float | None = None
    marathon: float | None = None

    def __post_init__(self) -> None:
        for zone in PaceZone:
            value = self.get(zone)
            if value is not None and not _FASTEST_S_PER_KM <= value <= _SLOWEST_S_PER_KM:
                raise ValueError(
                    f"{zone.describe} must be from {_FASTEST_S_PER_KM:g} to "
                    f"{_SLOWEST_S_PER_KM:g} s per km, got {value!r}"
                )

    def get(self, zone: PaceZone) -> float | None:
        """Seconds per km for ``zone``, or None when the runner has not given it."""
        value: float | None = getattr(self, _FIELD[zone])
        return value

    def speed_kmh(self, zone: PaceZone) -> float | None:
        """The zone's pace as a speed (km/h), or None when it is not given."""
        value = self.get(zone)
        return None if value is None else 3600 / value

    def with_pace(self, zone: PaceZone, seconds_per_km: float | None) -> RunPaces:
        return replace(self, **{_FIELD[zone]: seconds_per_km})

    def merged(self, other: RunPaces) -> RunPaces:
        """These paces with ``other``'s given ones in their place (what was typed for one
        import over what a profile keeps)."""
        paces = self
        for zone in other.given:
            paces = paces.with_pace(zone, other.get(zone))
        return paces

    def to_dict(self) -> dict[str, float]:
        """The given paces by zone key, seconds per km: ``{"5k": 270.0}``."""
        return {zone.key: value for zone in PaceZone if (value := self.get(zone)) is not None}

    @classmethod
    def from_dict(cls, data: object) -> RunPaces:
        """The inverse of :meth:`to_dict`; ``ValueError`` for anything else (an unknown zone,
        a pace that is not a number of seconds per km in range)."""
        if not isinstance(data, dict):
            raise ValueError(f"expected a mapping of zone to seconds per km, got {data!r:.60}")
        paces = cls()
        for key, value in data.items():
            zone = next((z for z in PaceZone if z.key == key), None)
            if zone is None:
                raise ValueError(f"no pace zone {key!r:.40}")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{zone.describe}: expected seconds per km, got {value!r:.40}")
            paces = paces.with_pace(zone, float(value))  # __post_init__ checks the range
        return paces

    @property
    def given(self) -> frozenset[PaceZone]:
        return frozenset(zone for zone in PaceZone if self.get(zone) is not None)

    @classmethod
    def parse(cls, items: Iterable[str]) -> RunPaces:
        """``["5k=4:30/km", "marathon=8:00/mi"]`` → RunPaces. ``ValueError`` with a sentence
        naming the item for a bad zone, a bad pace, or a zone given twice."""
        paces = cls()
        for item in items:
            zone_text, sep, pace_text = item.partition("=")
            if not sep:
                raise ValueError(f"{item!r}: expected ZONE=PACE, e.g. 5k=4:30/km")
            zone = PaceZone.parse(zone_text)
            if paces.get(zone) is not None:
                raise ValueError(f"{item!r}: {zone.describe} is given twice")
            try:
                paces = paces.with_pace(zone, parse_pace(pace_text))
            except _Expected as exc:
                raise ValueError(f"{item!r}: expected {exc.expected}") from None
        return paces


_FIELD = {
    PaceZone.MILE: "mile",
    PaceZone.K5: "k5",
    PaceZone.K10: "k10",
    PaceZone.HALF: "half",
    PaceZone.MARATHON: "marathon",
}
