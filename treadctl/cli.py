"""Command line entry point: ``treadctl``.

Today it offers ``--version``; the app window, ``scan``, ``probe``, ``run``, ``history`` and
``export`` arrive with their issues. Every subcommand that needs a treadmill will accept
``--simulate`` to use the virtual treadmill instead of a Bluetooth adapter.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from treadctl import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treadctl",
        description="Drive a Bluetooth FTMS treadmill through scripted interval sessions.",
    )
    parser.add_argument("--version", action="version", version=f"treadctl {__version__}")
    parser.add_argument(
        "--simulate",
        action="store_true",
        help="use the virtual treadmill instead of a Bluetooth adapter",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    parser.parse_args(argv)
    print(
        "treadctl: the app window is not built yet. Today this package provides the FTMS and "
        "Heart Rate wire formats (protocols/) and their tests; run `uv run pytest`.",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
