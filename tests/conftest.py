"""Test-wide settings: Qt always headless; hypothesis without deadlines (CI machines vary)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings  # imports no Qt: it may come before the platform is set

# Before anything imports Qt: tests never need a display. The offscreen screens are a gym's
# laptop (1280x720, the smallest the app must fit) and a TV behind the treadmill for the rear
# display (1920x1080, to its right), so every UI test runs where the app is hardest to fit.
SCREENS = Path(__file__).with_name("offscreen_screens.json")
os.environ["QT_QPA_PLATFORM"] = f"offscreen:configfile={SCREENS}"

# The `slow` marker's tests set their own example counts (10^6 per decoder).
settings.register_profile("treadctl", max_examples=300, deadline=None)
settings.load_profile("treadctl")


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` (pyproject's default): one process more than the CPUs. Many tests wait part
    of the time (a subprocess, a disk sync, the fuzz cases' own pool), and a third process on
    the two cores of this machine kept them busy: the default run took 253 s with 3 processes,
    315 s with 2 (docs/performance.md)."""
    return len(os.sched_getaffinity(0)) + 1 if hasattr(os, "sched_getaffinity") else 3


@pytest.fixture(scope="session", autouse=True)
def nothing_written_into_the_working_folder() -> Iterator[None]:
    """A test that writes where the person stands (an export's default is the current folder)
    must do it in its own temporary folder: a file left in the repository fails the run."""
    here = Path.cwd()
    before = set(here.iterdir())
    yield
    left = sorted(p.name for p in set(here.iterdir()) - before if not p.name.startswith("."))
    assert not left, f"tests left files in {here}: {left}"
