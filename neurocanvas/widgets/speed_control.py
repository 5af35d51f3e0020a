"""How fast training runs, from slow motion to unthrottled, in optimizer steps per second.

A run that finishes in a second cannot be watched or steered; TensorFlow Playground trains at
a pace the eye can follow, and so does this one by default. The default (5 steps/s) lets the
default example's fit visibly bend for over ten seconds before its loss settles; "unthrottled"
trains as fast as the machine can.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget

from neurocanvas.widgets.number_control import DetentSlider

__all__ = ["DEFAULT_PACE", "PACES", "SpeedControl", "describe_pace"]

# Steps per second; None is unthrottled. 1-2-5 steps so each notch feels alike.
PACES: tuple[float | None, ...] = (0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, None)
DEFAULT_PACE: float = 5.0


def describe_pace(pace: float | None) -> str:
    return "unthrottled" if pace is None else f"{pace:g} steps/s"


class SpeedControl(QWidget):
    """A slider over :data:`PACES` with its value in words; emits ``pace_changed(object)``."""

    pace_changed = Signal(object)

    def __init__(self, pace: float | None = DEFAULT_PACE) -> None:
        super().__init__()
        self.slider = DetentSlider([])
        self.slider.setObjectName("speedSlider")
        self.slider.setRange(0, len(PACES) - 1)
        self.slider.setPageStep(1)
        self.slider.setTickInterval(1)
        self.slider.setMinimumWidth(90)
        self.slider.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.slider.setToolTip(
            "Training speed: optimizer steps per second, from slow motion to unthrottled. "
            "Acts on the running training at once."
        )
        self.label = QLabel()
        self.label.setObjectName("speedLabel")
        self.label.setMinimumWidth(76)
        self.label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.slider, 1)
        row.addWidget(self.label)
        self._pace: float | None = pace
        self.set_pace(pace, emit=False)
        self.slider.valueChanged.connect(self._on_slider)

    def pace(self) -> float | None:
        """Steps per second, or None for unthrottled."""
        return self._pace

    def set_pace(self, pace: float | None, emit: bool = True) -> None:
        """Show the preset nearest to ``pace`` and use it."""
        if pace is None:
            index = len(PACES) - 1
        else:
            finite = [p for p in PACES if p is not None]
            index = min(range(len(finite)), key=lambda i: abs(finite[i] - pace))
        self.slider.blockSignals(True)
        self.slider.setValue(index)
        self.slider.blockSignals(False)
        self._apply(index, emit)

    def _on_slider(self, index: int) -> None:
        self._apply(index, True)

    def _apply(self, index: int, emit: bool) -> None:
        pace = PACES[index]
        changed = pace != self._pace
        self._pace = pace
        self.label.setText(describe_pace(pace))
        if changed and emit:
            self.pace_changed.emit(pace)
