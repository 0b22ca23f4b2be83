"""Test-wide settings: Qt always headless; hypothesis without deadlines (CI machines vary)."""

from __future__ import annotations

import os

# Before anything imports Qt: tests never need a display.
os.environ["QT_QPA_PLATFORM"] = "offscreen"

from hypothesis import settings

# The `slow` marker's tests set their own example counts (10^6 per decoder).
settings.register_profile("treadctl", max_examples=300, deadline=None)
settings.load_profile("treadctl")
