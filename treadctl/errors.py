"""The one error base of the engine, and the families under it.

Every error treadctl raises on purpose is a :class:`TreadctlError`, so a front end can tell
"the engine says no, here is why" from a bug. Families that are value errors (a bad program
file, a bad session log, an export that cannot be made from its input) keep ``ValueError`` as
a second base, as bumble's ``InvalidArgumentError`` does, so code that validates input can
still catch them as such. A plain ``ValueError`` from inside the engine is a bug, not a usage
error: the command line reports it as one.

The families live with the code that raises them (``treadctl.link``, ``treadctl.program``,
``treadctl.profiles``, ``treadctl.store``, ``treadctl.recorder``, ``treadctl.export``); front
ends import them from ``treadctl.core``.
"""

from __future__ import annotations

__all__ = ["TreadctlError"]


class TreadctlError(Exception):
    """Base of every error the engine raises on purpose. ``str(error)`` is a sentence for a
    person: it names what failed and, where it can, what to do."""
