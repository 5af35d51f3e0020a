"""A number a person can set exactly: a slider with detents, a typed entry that refuses bad text.

Used for the learning rate, momentum and weight decay. The rules (issue "watchable, steerable
training"): the slider is fine enough to come back exactly to a value; arrow keys and the mouse
wheel step by one position (a fixed ratio on a log scale, 10 positions a decade: x1.26);
dragging near a 1-2-5 value snaps to it; typed text that is not a number, or out of range, is
refused with a visible reason and the entry goes back to the value in use; the label and entry
never show a value other than the one in use.
"""

from __future__ import annotations

import math

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QSlider,
    QVBoxLayout,
    QWidget,
)

__all__ = ["DetentSlider", "LinearScale", "LogScale", "NumberControl", "format_value"]

ERROR_COLOR = "#d55e00"


def format_value(v: float) -> str:
    """Compact human form: 0.001 -> '0.001', 3e-05 -> '3e-05', 0 -> '0'."""
    return f"{v:.3g}"


class LogScale:
    """Slider positions 0..steps onto ``lo..hi`` on a log scale, ``per_decade`` positions a decade.

    Each position's value is rounded to two significant digits (1, 1.3, 1.6, 2, 2.5, 3.2, 4, 5,
    6.3, 7.9 per decade at 10 a decade), so every 1-2-5 value and every decade is a position
    of its own and reads as a round number. ``lo`` and ``hi`` must be powers of ten. With
    ``zero=True`` position 0 means exactly 0 (e.g. weight decay off).
    """

    def __init__(self, lo: float, hi: float, per_decade: int = 10, zero: bool = False) -> None:
        if not (0 < lo < hi):
            raise ValueError(f"LogScale needs 0 < lo < hi, got lo={lo}, hi={hi}")
        self.lo, self.hi, self.per_decade, self.zero = lo, hi, per_decade, zero
        self._p0 = round(math.log10(lo) * per_decade)
        self._offset = 1 if zero else 0
        self.steps = round(math.log10(hi) * per_decade) - self._p0 + self._offset
        self.minimum = 0.0 if zero else lo

    def to_value(self, pos: int) -> float:
        if self.zero and pos <= 0:
            return 0.0
        p = self._p0 + min(max(pos, self._offset), self.steps) - self._offset
        return float(f"{10 ** (p / self.per_decade):.2g}")

    def to_pos(self, value: float) -> int:
        """The nearest position to ``value`` (clamped into range)."""
        if self.zero and value <= 0:
            return 0
        v = min(max(value, self.lo), self.hi)
        return round(math.log10(v) * self.per_decade) - self._p0 + self._offset

    def detents(self) -> list[int]:
        """Positions of the 1-2-5 values, where a dragged handle snaps."""
        out = []
        for pos in range(self.steps + 1):
            v = self.to_value(pos)
            if v > 0 and round(v / 10 ** math.floor(math.log10(v)), 6) in (1.0, 2.0, 5.0):
                out.append(pos)
        return out

    @property
    def tick_interval(self) -> int:
        return self.per_decade  # a tick on every decade (position 0 or 1 is one)


class LinearScale:
    """Slider positions 0..steps onto ``lo..hi`` evenly; values rounded to the step's digits."""

    def __init__(self, lo: float, hi: float, steps: int = 100) -> None:
        self.lo, self.hi, self.steps = lo, hi, steps
        self.minimum = lo
        self.zero = False
        self._digits = max(0, -math.floor(math.log10((hi - lo) / steps)) + 1)

    def to_value(self, pos: int) -> float:
        pos = min(max(pos, 0), self.steps)
        return round(self.lo + (self.hi - self.lo) * pos / self.steps, self._digits)

    def to_pos(self, value: float) -> int:
        v = min(max(value, self.lo), self.hi)
        return round((v - self.lo) / (self.hi - self.lo) * self.steps)

    def detents(self) -> list[int]:
        return []

    @property
    def tick_interval(self) -> int:
        return max(self.steps // 10, 1)


class DetentSlider(QSlider):
    """A horizontal slider whose wheel moves one position a notch, and which snaps to detents
    while dragged (Qt's wheel moves several positions at once: not a fixed ratio)."""

    def __init__(self, detents: list[int]) -> None:
        super().__init__(Qt.Orientation.Horizontal)
        self.detents = detents
        self.setSingleStep(1)
        self.setTickPosition(QSlider.TickPosition.TicksBelow)
        self.sliderMoved.connect(self._snap)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        notches = event.angleDelta().y() // 120 or (1 if event.angleDelta().y() > 0 else -1)
        if event.angleDelta().y() == 0:
            event.ignore()
            return
        self.setValue(self.value() + notches)
        event.accept()

    def _snap(self, pos: int) -> None:
        near = [d for d in self.detents if abs(d - pos) <= 1]
        if near and near[0] != pos:
            self.setValue(near[0])


class NumberControl(QWidget):
    """Slider, value label and typed entry for one setting; emits ``value_changed(float)``.

    A typed value is kept exactly (0.003 trains with 0.003) and the slider moves to the nearest
    position; a refused one shows its reason in :attr:`message` and changes nothing.
    """

    value_changed = Signal(float)

    def __init__(self, name: str, scale: LogScale | LinearScale, value: float) -> None:
        super().__init__()
        self.name = name
        self.scale = scale
        self._value = float(value)
        self.slider = DetentSlider(scale.detents())
        self.slider.setRange(0, scale.steps)
        self.slider.setPageStep(max(1, scale.tick_interval))
        self.slider.setTickInterval(scale.tick_interval)
        self.slider.setMinimumWidth(90)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.label = QLabel()
        self.label.setMinimumWidth(44)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.entry = QLineEdit()
        self.entry.setFixedWidth(64)
        self.entry.setAlignment(Qt.AlignmentFlag.AlignRight)
        self.entry.setToolTip(
            f"Type a {name} from {format_value(scale.minimum)} to {format_value(scale.hi)}"
            ", e.g. 3e-4; arrow keys and the wheel step the slider"
        )
        self.message = QLabel("")
        self.message.setObjectName("refusal")
        self.message.setWordWrap(True)
        self.message.setStyleSheet(f"color: {ERROR_COLOR};")
        self.message.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        row.addWidget(self.entry)
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(1)
        column.addLayout(row)
        column.addWidget(self.message)
        self.slider.valueChanged.connect(self._on_slider)
        self.entry.editingFinished.connect(self._on_entry)
        self._show(self._value, move_slider=True)

    def value(self) -> float:
        return self._value

    def set_value(self, value: float, emit: bool = True) -> None:
        """Use ``value`` (clamped into range) and show it; emit when it changed and ``emit``."""
        value = min(max(float(value), self.scale.minimum), self.scale.hi)
        changed = value != self._value
        self._value = value
        self._show(value, move_slider=True)
        if changed and emit:
            self.value_changed.emit(value)

    def _show(self, value: float, move_slider: bool) -> None:
        text = format_value(value)
        self.label.setText(text)
        self.entry.setText(text)
        if move_slider:
            self.slider.blockSignals(True)
            self.slider.setValue(self.scale.to_pos(value))
            self.slider.blockSignals(False)

    def _refuse(self, reason: str) -> None:
        self.message.setText(reason)
        self.message.show()
        self._show(self._value, move_slider=False)  # the entry shows the value in use again

    def _on_slider(self, pos: int) -> None:
        self.message.hide()
        value = self.scale.to_value(pos)
        if value == self._value:
            return
        self._value = value
        self._show(value, move_slider=False)
        self.value_changed.emit(value)

    def _on_entry(self) -> None:
        text = self.entry.text().strip()
        if text == format_value(self._value):
            self.message.hide()  # the value in use, confirmed: an earlier refusal is stale
            return
        try:
            value = float(text)
        except ValueError:
            self._refuse(f"'{text}' is not a number; type e.g. 0.001 or 1e-3.")
            return
        lo, hi = self.scale.minimum, self.scale.hi
        if not math.isfinite(value) or not (lo <= value <= hi) or (value == 0 and lo > 0):
            self._refuse(
                f"{self.name} {text} is out of range: type a number from "
                f"{format_value(lo)} to {format_value(hi)}."
            )
            return
        self.message.hide()
        self.set_value(value)
