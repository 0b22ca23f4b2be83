"""A program's figures beside its chart: TOTAL, BACKWARD, LONGEST BOUT, SEGMENTS.

Shape::

    ProgramFigures(FiguresLayout.GRID | FiguresLayout.LINES)      a QWidget
     ├── show_figures(figures)     treadctl.program.ProgramFigures → the four texts
     └── figures["total"] …        the value labels, by key (for tests and the pages)

    backward_words(figures) -> "8 min" | "5 of 12 min"     also the program list's entries

The numbers are the engine's (:func:`treadctl.program.program_figures`); this widget only
words them and lays them out: two by two on the programs page, caption beside value, one
figure a line, in the editor's preview strip.
"""

from __future__ import annotations

import enum

from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from treadctl.program import ProgramFigures as Figures
from ui import format

#: The figures' keys and captions, in reading order.
CAPTIONS = (
    ("total", "TOTAL"),
    ("backward", "BACKWARD"),
    ("longest", "LONGEST BOUT"),
    ("segments", "SEGMENTS"),
)


class FiguresLayout(enum.Enum):
    GRID = "grid"  # two by two, caption above value: the programs page
    LINES = "lines"  # caption beside value, one figure a line: the editor's preview


def backward_words(figures: Figures) -> str:
    """``"8 min"``, or ``"5 of 12 min"`` when the backward minutes per session cut it short."""
    planned = figures.backward_minutes
    allowed = figures.backward_budget_minutes
    if allowed is not None and figures.backward_cut:
        return f"{format.minutes(allowed).removesuffix(' min')} of {format.minutes(planned)}"
    return format.minutes(planned)


class ProgramFigures(QWidget):
    def __init__(self, layout: FiguresLayout, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("programFigures")
        self.values: dict[str, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        if layout is FiguresLayout.GRID:
            grid.setHorizontalSpacing(28)
            # What the grid had as a layout nested in the page's column (spacing 12).
            grid.setVerticalSpacing(12)
        else:
            grid.setHorizontalSpacing(16)
            grid.setVerticalSpacing(0)
        for index, (key, caption) in enumerate(CAPTIONS):
            cap = QLabel(caption)
            cap.setObjectName("readoutCaption")
            value = QLabel(format.DASH)
            value.setObjectName("figureValue")
            if layout is FiguresLayout.GRID:
                # Two by two: fits a 1280-pixel-wide window next to the simulated console.
                row, column = divmod(index, 2)
                grid.addWidget(cap, row * 2, column)
                grid.addWidget(value, row * 2 + 1, column)
            else:
                # Caption beside value, one figure a line: as tall as the chart, no taller.
                grid.addWidget(cap, index, 0)
                grid.addWidget(value, index, 1)
            self.values[key] = value

    def __getitem__(self, key: str) -> QLabel:
        return self.values[key]

    def show_figures(self, figures: Figures) -> None:
        # A distance step with no usable speed has no end: format.clock shows a dash for it.
        self.values["total"].setText(format.clock(figures.total_s))
        self.values["backward"].setText(backward_words(figures))
        self.values["longest"].setText(format.minutes(figures.longest_backward_minutes))
        self.values["segments"].setText(f"{figures.segments} · {figures.backward_segments} back")
