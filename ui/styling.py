"""Dynamic stylesheet properties, set so that nothing is redone for a value that did not change.

Why: re-polishing a widget recomputes its style and font and invalidates its size hint, and so
the layouts up to the window — about 3 ms on the dashboard, on the Qt thread, every time. On a
stop that was time the stop command waited for (tests/bench/bench_app.py: relayout after an
E-stop); the 10 Hz readouts must not pay it for a state that is the same as before.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def set_style_property(widget: QWidget, name: str, value: object) -> bool:
    """Set a property the stylesheet selects on (``[state="lost"]``) and re-polish the widget,
    only if the value changed. Returns whether it did."""
    if widget.property(name) == value:
        return False
    widget.setProperty(name, value)
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    return True
