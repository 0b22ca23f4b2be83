"""treadctl engine: link, virtual treadmill, safety governor, programs, session, recorder.

Layering (see ``docs`` and the design notes): ``ui`` → ``treadctl`` → ``protocols``.
Nothing in this package imports Qt.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("treadctl")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
