"""Python's cyclic garbage collector, run on the Qt thread only.

Why: the collector runs in whichever thread crosses its allocation threshold. The app runs
work on other threads — a session's export and uploads (``treadctl.core``'s after-session
thread), the upload clients (``ui.uploads``), a workout's conversion (``ui.import_preview``) —
and a collection there destroys any Qt object caught in a reference cycle (a closed dialog, a
timer, a widget's lambda) on the wrong thread: a crash inside Qt. It was seen here as a
segmentation fault in ``QTimerInfoList::activateTimers`` while a 1,000-step workout converted.
The known remedy (calibre, pyqtgraph's examples, qutebrowser did the same) is to switch the
automatic collector off and collect from a timer on the Qt thread.

Shape::

    GuiThreadCollector(parent=None)
     ├── start()    gc.disable(); every INTERVAL_MS, collect what is due, generation by
     │              generation, by the collector's own thresholds (as it would have)
     └── stop()     the automatic collector back as it was (the tests' harness: engine tests
                    that follow in the same process run with no Qt loop to collect for them)

Nothing else in the app switches the collector on or off.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

__all__ = ["INTERVAL_MS", "GuiThreadCollector"]

#: How often the Qt thread looks at the collector's counts: cycles then live at most this long
#: past the point the automatic collector would have freed them.
INTERVAL_MS = 500


class GuiThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setInterval(INTERVAL_MS)
        self._timer.timeout.connect(self.collect_due)
        self._was_enabled: bool | None = None
        self.collections = 0  # collections run (for the tests)

    def start(self) -> None:
        if self._was_enabled is None:
            self._was_enabled = gc.isenabled()
        gc.disable()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        if self._was_enabled:
            gc.enable()
        self._was_enabled = None

    def collect_due(self) -> int:
        """Collect the generations whose counts passed their thresholds (youngest first, as
        the automatic collector does); returns the objects freed."""
        threshold = gc.get_threshold()
        count = gc.get_count()
        freed = 0
        if count[0] > threshold[0]:
            generation = 0
            if count[1] > threshold[1]:
                generation = 2 if count[2] > threshold[2] else 1
            freed = gc.collect(generation)
            self.collections += 1
        return freed
