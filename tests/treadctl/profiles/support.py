"""What the tests of treadctl.profiles share: the admin PIN they set, and adjustable clocks
for the rules' ``now`` (dates) and ``monotonic`` (the wrong-PIN waits)."""

from __future__ import annotations

from datetime import datetime

PIN = "482913"


class Now:
    """An adjustable "now" for the profile rules (profile creation, progression dates)."""

    def __init__(self, start: datetime) -> None:
        self.value = start

    def __call__(self) -> datetime:
        return self.value


class Ticks:
    """An adjustable monotonic clock (seconds) for the wrong-PIN waits."""

    def __init__(self, start: float = 1000.0) -> None:
        self.value = start

    def __call__(self) -> float:
        return self.value
