"""The ``treadctl`` console script: the engine's command line, with the app window plugged in.

The dependency points ui → treadctl: the engine's CLI takes the window as a callable, so
nothing in treadctl imports Qt.
"""

from __future__ import annotations

import sys


def main() -> None:
    from treadctl.cli import main as cli_main
    from treadctl.cli.crash import guarded
    from ui.app import run_app

    # A bug is a report file and one line, never a traceback on the person's screen.
    sys.exit(guarded(lambda: cli_main(app=run_app)))
