"""The program figures widget: the engine's numbers in words, in either arrangement."""

from __future__ import annotations

import math

import pytest
from PySide6.QtWidgets import QGridLayout, QLabel
from pytestqt.qtbot import QtBot

from treadctl.program import ProgramFigures as Figures
from ui import format
from ui.program_figures import CAPTIONS, FiguresLayout, ProgramFigures, backward_words

FIGURES = Figures(
    total_s=11 * 60,
    backward_minutes=6,
    backward_budget_minutes=5,
    longest_backward_minutes=2.5,
    segments=9,
    backward_segments=4,
)


def _cells(widget: ProgramFigures) -> dict[str, tuple[int, int]]:
    """Caption or value text → its (row, column) in the widget's grid."""
    grid = widget.layout()
    assert isinstance(grid, QGridLayout)
    cells = {}
    for label in widget.findChildren(QLabel):
        position = grid.getItemPosition(grid.indexOf(label))  # (row, column, spans)
        assert isinstance(position, tuple)
        cells[label.text()] = (int(position[0]), int(position[1]))
    return cells


def test_two_by_two_on_the_programs_page(qtbot: QtBot) -> None:
    widget = ProgramFigures(FiguresLayout.GRID)
    qtbot.addWidget(widget)
    widget.show_figures(FIGURES)
    assert _cells(widget) == {
        "TOTAL": (0, 0),
        "11:00": (1, 0),
        "BACKWARD": (0, 1),
        "5 of 6 min": (1, 1),
        "LONGEST BOUT": (2, 0),
        "2.5 min": (3, 0),
        "SEGMENTS": (2, 1),
        "9 · 4 back": (3, 1),
    }


def test_one_a_line_in_the_editor(qtbot: QtBot) -> None:
    widget = ProgramFigures(FiguresLayout.LINES)
    qtbot.addWidget(widget)
    assert [widget[key].text() for key, _ in CAPTIONS] == [format.DASH] * 4
    widget.show_figures(FIGURES)
    assert _cells(widget) == {
        "TOTAL": (0, 0),
        "11:00": (0, 1),
        "BACKWARD": (1, 0),
        "5 of 6 min": (1, 1),
        "LONGEST BOUT": (2, 0),
        "2.5 min": (2, 1),
        "SEGMENTS": (3, 0),
        "9 · 4 back": (3, 1),
    }


@pytest.mark.parametrize(
    ("budget", "words"), [(5.0, "5 of 6 min"), (6.0, "6 min"), (10.0, "6 min"), (None, "6 min")]
)
def test_backward_words_show_the_budget_only_when_it_cuts(budget: float | None, words: str) -> None:
    assert backward_words(Figures(660, 6, budget, 2.5, 9, 4)) == words


def test_no_total_without_a_usable_speed(qtbot: QtBot) -> None:
    widget = ProgramFigures(FiguresLayout.LINES)
    qtbot.addWidget(widget)
    widget.show_figures(Figures(math.inf, 0, None, 0, 1, 0))
    assert widget["total"].text() == format.DASH
