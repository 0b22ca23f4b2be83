"""About backward walking: the guidance the programs, the limits and the energy figure follow.

Shape::

    GUIDANCE_PATH            resources/guidance.md; docs/backward.md is the same text
    guidance_text() -> str   that Markdown (or, when it cannot be read, a line saying so)
    GuidanceView(parent)     the text rendered, its sources' links opening in the web browser

Opened from the Programs page (``ProgramView.open_guidance``) in a window of its own, so it can
stay open beside the program list; there Esc and Space stop the belt as they do in the main
window (someone on the belt may be reading it).

Why a resource rather than the docs folder: an installed app has no ``docs/``, but the wheel
ships ``resources/``. One text, two places: ``tests/ui/test_guidance.py`` checks that
``docs/backward.md`` is a byte-for-byte copy.
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtGui import QColor, QTextCharFormat, QTextCursor
from PySide6.QtWidgets import QTextBrowser, QVBoxLayout, QWidget

from ui import colors
from ui.app import RESOURCES

logger = logging.getLogger(__name__)

GUIDANCE_PATH: Path = RESOURCES / "guidance.md"
TITLE = "About backward walking"


def guidance_text(path: Path = GUIDANCE_PATH) -> str:
    """The guidance as Markdown. A missing file (a broken install) is said, not raised: the
    window must still open, and a crash here would take the belt's controls with it."""
    try:
        return path.read_text(encoding="utf-8")
    except OSError as error:
        logger.error("guidance not readable: %s", error)
        return f"# {TITLE}\n\nThe guidance could not be read from `{path}`: {error.strerror}.\n"


class GuidanceView(QWidget):
    """The guidance, read-only; ``text()`` is what it shows, as plain text."""

    def __init__(self, parent: QWidget | None = None, *, path: Path = GUIDANCE_PATH) -> None:
        super().__init__(parent)
        self.setObjectName("guidanceView")
        self.setWindowTitle(f"{TITLE} — treadctl")
        self.browser = QTextBrowser()
        self.browser.setObjectName("guidanceText")
        # The sources are web pages: open them in the browser, not inside this read-only view.
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(guidance_text(path))
        self._colour_links()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.addWidget(self.browser)

    def text(self) -> str:
        """What the view shows, as plain text."""
        return self.browser.toPlainText()

    def _colour_links(self) -> None:
        """Links in the forward blue. The Markdown reader colours them with the application
        palette's link colour, a dark blue that is hard to read on the near-black background
        (neither the widget's palette nor a document stylesheet reaches it)."""
        link = QTextCharFormat()
        link.setForeground(QColor(colors.FORWARD))
        block = self.browser.document().begin()
        while block.isValid():
            it = block.begin()
            while not it.atEnd():
                fragment = it.fragment()
                if fragment.charFormat().isAnchor():
                    cursor = QTextCursor(self.browser.document())
                    cursor.setPosition(fragment.position())
                    cursor.setPosition(
                        fragment.position() + fragment.length(), QTextCursor.MoveMode.KeepAnchor
                    )
                    cursor.mergeCharFormat(link)
                it += 1
            block = block.next()
