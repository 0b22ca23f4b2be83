"""treadctl engine: link, virtual treadmill, safety governor, programs, session, recorder.

Layering (see ``docs`` and the design notes): ``ui`` → ``treadctl`` → ``protocols``.
Nothing in this package imports Qt.
"""

# Kept equal to pyproject's version by tests/test_version.py. Not read from the installed
# metadata: importlib.metadata costs ~60 ms at every start, before the app can paint anything.
__version__ = "0.1.0"

__all__ = ["__version__"]
