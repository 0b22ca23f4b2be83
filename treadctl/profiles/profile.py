"""One person's profile as the store keeps it: limits, progression cap, dates, race paces.

Shape::

    Profile(id, name, limits, backward_minutes_cap, progressed_at, created_at, builtin,
            paces=RunPaces())
     ├── paces                   the person's race paces (1 mile … marathon), for importing
     │                           Zwift run workouts; not a limit: no PIN, and the governor
     │                           clamps every speed an imported program asks for
     ├── max_heart_rate_bpm      the limits' (None: no heart-rate limit)
     ├── is_guest                the built-in Guest profile
     └── progression_cap         the admin-set cap, or the default backward minutes

A plain record: :class:`~treadctl.profiles.registry.Profiles` reads and writes it, and
:mod:`treadctl.profiles.progression` computes its next backward step from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from treadctl.limits import DEFAULT_LIMITS, Limits
from treadctl.program.paces import RunPaces

__all__ = ["Profile"]


@dataclass(frozen=True, slots=True)
class Profile:
    id: int
    name: str
    limits: Limits
    backward_minutes_cap: float | None  # admin-set progression maximum; None: the default
    progressed_at: datetime | None  # the last backward-minutes step
    created_at: datetime
    builtin: bool
    # None given by default; Guest never keeps any (Profiles.set_paces).
    paces: RunPaces = field(default_factory=RunPaces)

    @property
    def max_heart_rate_bpm(self) -> int | None:
        return self.limits.max_heart_rate_bpm

    @property
    def is_guest(self) -> bool:
        return self.builtin

    @property
    def progression_cap(self) -> float:
        if self.backward_minutes_cap is not None:
            return self.backward_minutes_cap
        return DEFAULT_LIMITS.backward_minutes_per_session
