"""A command over the history store: opened for it, every expected error one line.

A handler made with :func:`store_command` is a plain synchronous function ``handler(args,
out) -> int``: it writes its result to ``out``, reports a refusal or an error as one line on
stderr (``treadctl: …``, no traceback) and returns the exit status (0 done, 1 refused or
failed). It never raises for a person's mistake, a wrong PIN, a corrupt database or a corrupt
log. A PIN not given on the command line is asked for (without echo) when stdin is a terminal
and the change needs one (:func:`with_pin`).
"""

from __future__ import annotations

import argparse
import functools
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from treadctl.cli.errors import EXIT_FAILED
from treadctl.data_folder import DataFolder

if TYPE_CHECKING:
    # Imported by the commands when they run: the parser is built at every start, the app's
    # too, and the store (sqlite, the recorder) costs ~60 ms there.
    from treadctl.store import Store

__all__ = ["Handler", "fail", "store_command", "terminal", "with_pin"]

Handler = Callable[[argparse.Namespace, TextIO], int]


def fail(message: object) -> int:
    print(f"treadctl: {message}", file=sys.stderr)
    return EXIT_FAILED


def store_command(function: Callable[[argparse.Namespace, TextIO, Store], int]) -> Handler:
    """Open the store for a command and turn every expected error into one line."""

    @functools.wraps(function)
    def run(args: argparse.Namespace, out: TextIO) -> int:
        from treadctl.profiles import ProfileError
        from treadctl.store import Store, StoreError

        try:
            with Store.of(DataFolder.at(args.data_dir)) as store:
                return function(args, out, store)
        except (ProfileError, StoreError) as exc:
            return fail(exc)
        except EOFError:
            return fail("no PIN was entered")

    return run


def terminal() -> bool:
    return sys.stdin is not None and sys.stdin.isatty()


def with_pin[T](pin: str | None, action: Callable[[str | None], T], prompt: str) -> T:
    """``action(pin)``; if it needs a PIN none was given for, ask on a terminal and retry."""
    from treadctl.profiles import PinRequired

    try:
        return action(pin)
    except PinRequired:
        if pin is not None or not terminal():
            raise
    return action(getpass.getpass(prompt))
