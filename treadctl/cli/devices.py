"""``treadctl devices …``: the device knowledge base, and what was said about each treadmill.

Commands (``settings`` and ``set`` take ``--data-dir DIR``, default: the platform's)::

    devices list                           every known device: id, certainty, what it is
    devices show ID                        one entry: how it is matched, its deviations, sources
    devices settings                       every treadmill's settings
    devices set TREADMILL --console-unit km|miles|unset [--pin PIN]
                                           TREADMILL: its address (from `scan`) or its name

The rules (which setting needs the admin PIN) are the engine's, ``treadctl.devices.settings``.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from treadctl.cli.errors import EXIT_OK
from treadctl.cli.store_command import Handler, fail, store_command, with_pin

if TYPE_CHECKING:
    from treadctl.store import Store

__all__ = ["add_parser"]


def cmd_devices_list(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.devices.knowledge import KnowledgeBase

    for entry in KnowledgeBase.builtin().entries:
        out.write(f"{entry.id:24} {entry.certainty:9} {entry.device}\n")
    return EXIT_OK


def cmd_devices_show(args: argparse.Namespace, out: TextIO) -> int:
    from treadctl.devices.knowledge import KnowledgeBase

    try:
        entry = KnowledgeBase.builtin().get(args.id)
    except KeyError as error:
        return fail(error.args[0])
    out.write(f"{entry.id}: {entry.device} ({entry.certainty})\n{entry.description}\n")
    for rules in entry.match:
        said = (
            [f"name starts with {' or '.join(rules.name_prefixes)}"] if rules.name_prefixes else []
        )
        said += [
            f"{key} is like {value}"
            for key, value in (
                ("manufacturer", rules.manufacturer),
                ("model", rules.model),
                ("firmware", rules.firmware),
            )
            if value is not None
        ]
        out.write(f"matched when: {' and '.join(said)}\n")
    if not entry.match:
        out.write("matched when: never (a behaviour detected at run time, or virtual only)\n")
    for name, value in entry.deviations.changed().items():
        out.write(f"deviation: {name} = {value}\n")
    for source in entry.sources:
        out.write(f"source: {source}\n")
    return EXIT_OK


@store_command
def cmd_devices_settings(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.devices.settings import DeviceSettingsError, DeviceSettingsStore
    from treadctl.profiles import Profiles

    try:
        kept = DeviceSettingsStore(Profiles(store)).all()
    except DeviceSettingsError as error:
        return fail(error)
    for key, settings in kept.items():
        out.write(f"{key}: console unit {settings.console_unit or 'not set'}\n")
    return EXIT_OK


@store_command
def cmd_devices_set(args: argparse.Namespace, out: TextIO, store: Store) -> int:
    from treadctl.devices.settings import DeviceSettings, DeviceSettingsError, DeviceSettingsStore
    from treadctl.profiles import Profiles

    unit = None if args.console_unit == "unset" else args.console_unit
    kept = DeviceSettingsStore(Profiles(store))
    try:
        with_pin(
            args.pin,
            lambda pin: kept.set(args.treadmill, DeviceSettings(console_unit=unit), pin=pin),
            "Admin PIN: ",
        )
    except DeviceSettingsError as error:
        return fail(error)
    out.write(f"{args.treadmill}: console unit {unit or 'not set'}\n")
    return EXIT_OK


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``treadctl devices …`` on ``subparsers`` (see the module doc)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir", type=Path, default=None, help="where the history database lives"
    )
    devices = subparsers.add_parser(
        "devices", help="known treadmills and how they deviate; settings per treadmill"
    )
    sub = devices.add_subparsers(dest="devices_command", metavar="ACTION", required=True)

    def leaf(name: str, handler: Handler, help: str, *parents: argparse.ArgumentParser) -> Any:
        parser = sub.add_parser(name, help=help, parents=list(parents))
        parser.set_defaults(handler=handler)
        return parser

    leaf("list", cmd_devices_list, "every device the knowledge base knows")
    leaf("show", cmd_devices_show, "one known device: matching, deviations, sources").add_argument(
        "id"
    )
    leaf("settings", cmd_devices_settings, "what was said about each treadmill", common)
    set_ = leaf(
        "set",
        cmd_devices_set,
        "say a treadmill's console unit ('km', or forgetting 'miles', needs the admin PIN)",
        common,
    )
    set_.add_argument("treadmill", help="its address (from `scan`), or its advertised name")
    set_.add_argument("--console-unit", required=True, choices=["km", "miles", "unset"])
    set_.add_argument("--pin", help="the admin PIN (asked for on a terminal when needed)")
