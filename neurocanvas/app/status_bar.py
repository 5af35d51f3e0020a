"""A status bar whose messages never run under its permanent labels.

QStatusBar draws a message as one line, cut wherever the space ends ("…Put back the weights
fro" at 1366 px). Here a message that does not fit is elided with "…" and the whole text is
the status bar's tooltip (the training panel shows a long training message's first
sentence whole and the rest behind Details…).
"""

from __future__ import annotations

import time

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QStatusBar, QWidget

#: Room for the status bar's own margins and size grip, in pixels.
MARGIN = 24


class ElidingStatusBar(QStatusBar):
    """``showMessage`` elides to the free width; ``currentMessage`` returns the whole text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        self._ends_at: float | None = None  # time.monotonic() when the message goes; None: never

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
        self._ends_at = time.monotonic() + timeout / 1000 if timeout > 0 else None
        self._show(timeout)

    def _show(self, timeout: int) -> None:
        shown = self.fontMetrics().elidedText(
            self._full, Qt.TextElideMode.ElideRight, self.free_width()
        )
        self.setToolTip(self._full if shown != self._full else "")
        super().showMessage(shown, timeout)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        # A message shown before the window had its size ("Opened the example…" at start-up)
        # was elided to the unsized bar: fit it again to the width there is now.
        super().resizeEvent(event)
        if super().currentMessage():
            left = 0 if self._ends_at is None else self._ends_at - time.monotonic()
            if self._ends_at is None or left > 0:
                self._show(int(left * 1000))

    def currentMessage(self) -> str:  # noqa: N802 - Qt's name
        return self._full if super().currentMessage() else ""
