"""A status bar whose messages never run under its permanent labels.

QStatusBar draws a message as one line, cut wherever the space ends ("…Put back the weights
fro" at 1366 px). Here a message that does not fit is elided with "…" and the whole text is
the status bar's tooltip; the training panel shows long training messages in full, wrapped.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QStatusBar, QWidget

#: Room for the status bar's own margins and size grip, in pixels.
MARGIN = 24


class ElidingStatusBar(QStatusBar):
    """``showMessage`` elides to the free width; ``currentMessage`` returns the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""

    def free_width(self) -> int:
        """Pixels left of the leftmost permanent widget (the whole bar when there is none)."""
        lefts = [
            child.x()
            for child in self.findChildren(
                QWidget, options=Qt.FindChildOption.FindDirectChildrenOnly
            )
            if child.isVisible() and child.x() > 0
        ]
        return max(0, min(lefts, default=self.width()) - MARGIN)

    def shown_message(self) -> str:
        """The text as drawn (possibly elided)."""
        return super().currentMessage()

    def showMessage(self, message: str, timeout: int = 0) -> None:  # noqa: N802 - Qt's name
        self._full = message
        shown = self.fontMetrics().elidedText(
            message, Qt.TextElideMode.ElideRight, self.free_width()
        )
        self.setToolTip(message if shown != message else "")
        super().showMessage(shown, timeout)

    def currentMessage(self) -> str:  # noqa: N802 - Qt's name
        return self._full if super().currentMessage() else ""
