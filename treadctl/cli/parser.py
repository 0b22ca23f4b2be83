"""The ``treadctl`` argument parser: one subcommand per module of this package."""

from __future__ import annotations

import argparse

from treadctl import __version__
from treadctl.cli import (
    accounts,
    devices,
    export,
    export_program,
    history,
    import_command,
    probe,
    profiles,
    run,
    scan,
    upload,
)
from treadctl.cli.backends import add_device_argument

__all__ = ["build_parser"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="treadctl",
        description="Drive a Bluetooth FTMS treadmill through scripted interval sessions.",
    )
    parser.add_argument("--version", action="version", version=f"treadctl {__version__}")
    parser.add_argument(
        "--simulate", action="store_true", help="use the virtual treadmill instead of Bluetooth"
    )
    add_device_argument(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for command in (
        scan,
        probe,
        run,
        profiles,
        history,
        export,
        export_program,
        import_command,
        upload,
        accounts,
        devices,
    ):
        command.add_parser(sub)
    return parser
