"""The desktop app's entry point (placeholder until the window lands)."""

from __future__ import annotations

import sys


def run_app(*, simulate: bool) -> int:
    """Open the app window; returns the process exit status."""
    print(
        "treadctl: the app window is not built yet. Today: `treadctl run PROGRAM --simulate`, "
        "`treadctl scan`, `treadctl probe` (all take --simulate); see `treadctl --help`.",
        file=sys.stderr,
    )
    return 0
