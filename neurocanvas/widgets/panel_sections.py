"""Parts that keep a side panel short: a collapsible section and a message with details.

A side panel on a 1366 x 768 laptop has about 650 px of height for the inspector and the
training panel together. Desktop tools with dense side panels (Blender's properties, Qt
Designer's property editor, VS Code's side bar) keep the controls used all the time in view
and fold the rest into sections with a one-line summary; a long message shows its first
sentence whole and the rest on demand, instead of growing the panel until it scrolls.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QAbstractSlider,
    QAbstractSpinBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

__all__ = ["CollapsibleSection", "MessageWithDetails", "WheelOnlyWhenFocused", "split_headline"]


def split_headline(text: str) -> tuple[str, str]:
    """``text`` -> (its first sentence, the rest), never cutting inside parentheses.

    A sentence ends at '.', '!' or '?' followed by a space and a capital letter or a digit
    ("lr 0.1" and "e.g. the" do not end one). No second sentence: (text, "").
    """
    depth = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth = max(depth - 1, 0)
        elif ch in ".!?" and depth == 0 and text[i + 1 : i + 2] == " ":
            after = text[i + 2 : i + 3]
            if after.isupper() or after.isdigit():
                return text[: i + 1], text[i + 2 :].strip()
    return text, ""


class CollapsibleSection(QWidget):
    """A header button (arrow, title, summary when folded) over a body that folds away.

    ``toggled(bool)`` says when the body was shown (True) or folded (False) by a click or by
    :meth:`set_expanded`.
    """

    toggled = Signal(bool)

    def __init__(self, title: str, body: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.body = body
        self.header = QToolButton(self)
        self.header.setObjectName(f"{body.objectName() or 'section'}Header")
        self.header.setCheckable(True)
        self.header.setAutoRaise(True)
        self.header.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.header.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        font = self.header.font()
        font.setBold(True)
        self.header.setFont(font)
        self.header.toggled.connect(self._on_toggled)
        self._summary = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.header)
        layout.addWidget(body)
        self.header.setChecked(True)
        self._show()

    def expanded(self) -> bool:
        return self.header.isChecked()

    def set_expanded(self, on: bool) -> None:
        self.header.setChecked(on)

    def set_summary(self, summary: str) -> None:
        """The one line the folded header shows after its title ("100 epochs · Adam")."""
        self._summary = summary
        self._show()

    def _on_toggled(self, on: bool) -> None:
        self._show()
        self.toggled.emit(on)

    def _show(self) -> None:
        on = self.header.isChecked()
        if self.body.isVisibleTo(self) != on:
            self.body.setVisible(on)
            self.updateGeometry()  # the parent's layout asks this section's height afresh
        self.header.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        folded = f"{self.title}: {self._summary}" if self._summary else self.title
        text = self.title if on else folded
        # The header never widens the panel: a long summary is elided to the header's width.
        room = max(self.header.width() - 40, 60)
        self.header.setText(
            self.header.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, room)
        )
        self.header.setToolTip(
            f"Hide the {self.title.lower()}"
            if on
            else f"Show the {self.title.lower()}: {self._summary}"
        )
        self.header.setMinimumWidth(0)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._show()


class MessageWithDetails(QWidget):
    """A word-wrapped message in at most ``lines`` lines; whatever does not fit, behind "Details…".

    The first sentence shows whole when it fits in ``lines`` lines at the panel's width, else
    the ``short`` text given with the message ("Training diverged."); no sentence is ever cut.
    The room for ``lines`` lines is kept also with no message, so the panel never changes
    height (and never needs its scroll bar) when a message comes. The whole message is the
    label's tooltip and :meth:`message`; "Details…" shows it in a window of its own.
    """

    def __init__(self, lines: int = 3, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._message = self._short = ""
        self.lines = lines
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # Ignored width: the text wraps to the panel instead of widening it.
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.label.setFixedHeight(self.label.fontMetrics().lineSpacing() * lines + 2)
        self.details_button = QToolButton(self)
        self.details_button.setText("Details…")
        self.details_button.setAutoRaise(True)
        self.details_button.setToolTip("Read the whole message")
        self.details_button.clicked.connect(self.show_details)
        self.details_button.hide()
        self.dialog: QMessageBox | None = None
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.details_button, 0, Qt.AlignmentFlag.AlignBottom)

    def set_message(self, text: str, colour: str | None = None, short: str = "") -> None:
        self._message, self._short = text, short
        self.label.setStyleSheet(f"color: {colour};" if colour else "")
        self._fit()
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.setText(text)

    def _fit(self) -> None:
        headline, rest = split_headline(self._message)
        if self._short and not self._fits(headline):
            headline, rest = self._short, self._message
        self.label.setText(headline)
        self.label.setToolTip(self._message if rest else "")
        self.details_button.setVisible(bool(rest))

    def _fits(self, text: str) -> bool:
        if not self.isVisible():
            return True  # no width yet: looked at again when shown and sized
        width = self.width() - self.details_button.sizeHint().width() - 8
        flags = int(Qt.TextFlag.TextWordWrap)
        needed = self.label.fontMetrics().boundingRect(0, 0, max(width, 50), 10_000, flags, text)
        return needed.height() <= self.label.fontMetrics().lineSpacing() * self.lines

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt's name
        super().resizeEvent(event)
        self._fit()

    def message(self) -> str:
        return self._message

    def show_details(self) -> QMessageBox:
        """The whole message in a window of its own (not modal: training goes on)."""
        if self.dialog is None:
            self.dialog = QMessageBox(QMessageBox.Icon.Information, "Training", "", parent=self)
            self.dialog.setObjectName("messageDetails")
            self.dialog.setModal(False)
        self.dialog.setText(self._message)
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog


class WheelOnlyWhenFocused(QObject):
    """The wheel scrolls a panel, never changes a value the pointer happens to pass over.

    Sliders, spin boxes and combo boxes of ``panel`` take the focus by click or Tab only
    (``Qt.FocusPolicy.StrongFocus``, not the wheel) and ignore wheel events until they have
    it; an ignored wheel event goes on to the scroll area around the panel, which scrolls.
    The habit of Qt Designer's and Blender's property panels; scrolling the training panel
    over the learning-rate slider used to change the rate (10 -> 3.2).
    """

    KINDS = (QAbstractSlider, QAbstractSpinBox, QComboBox)

    def __init__(self, panel: QWidget) -> None:
        super().__init__(panel)
        for kind in self.KINDS:
            for widget in panel.findChildren(kind):
                widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
                widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if (
            event.type() == QEvent.Type.Wheel
            and isinstance(watched, QWidget)
            and not watched.hasFocus()
        ):
            event.ignore()  # not handled here: Qt passes it on to the parents
            return True
        return False
