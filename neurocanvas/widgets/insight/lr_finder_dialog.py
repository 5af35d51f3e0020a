"""The learning-rate finder's window: run the range test, see loss against lr, apply.

It draws what it is given (``core.training.lr_finder.LRFindResult``, partial while the test
runs) and asks for work by signals; the app runs the test off the GUI thread.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from neurocanvas.widgets.plots import apply_palette

SUGGESTION_COLOR = (213, 94, 0)


class LRFinderDialog(QDialog):
    """Loss (smoothed, and raw faintly) against the learning rate on a log axis.

    Signals
    -------
    run_requested()
    stop_requested()
    apply_requested(float)
        "Use this learning rate" was clicked with the suggestion.
    """

    run_requested = Signal()
    stop_requested = Signal()
    apply_requested = Signal(float)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lrFinderDialog")
        self.setWindowTitle("Find a learning rate")
        self.result: Any = None
        self.suggestion: float | None = None
        intro = QLabel(
            "Trains a few hundred steps from the current weights while the learning rate grows "
            "from 1e-6 to 10, then puts the weights back. The best learning rate is where the "
            "loss falls fastest, before it blows up."
        )
        intro.setWordWrap(True)
        self.plot = pg.PlotWidget(self)
        self.plot.setLogMode(x=True, y=False)
        self.plot.setLabel("bottom", "learning rate")
        self.plot.setLabel("left", "loss (smoothed)")
        self.plot.showGrid(x=True, y=True, alpha=0.2)
        self.raw_curve = self.plot.plot(pen=pg.mkPen((150, 150, 150, 90), width=1))
        self.curve = self.plot.plot(pen=pg.mkPen((0, 114, 178), width=2))
        self.marker = pg.InfiniteLine(
            angle=90,
            pen=pg.mkPen(SUGGESTION_COLOR, width=2, style=Qt.PenStyle.DashLine),
            label="",
            labelOpts={"position": 0.9, "color": SUGGESTION_COLOR},
        )
        self.marker.setVisible(False)
        self.plot.addItem(self.marker)
        self.dot = pg.ScatterPlotItem(size=11, brush=pg.mkBrush(SUGGESTION_COLOR))
        self.plot.addItem(self.dot)
        self.message = QLabel("Press Run to start the range test.")
        self.message.setObjectName("lrFinderMessage")
        self.message.setWordWrap(True)
        self.run_button = QPushButton("Run")
        self.run_button.setObjectName("lrFinderRun")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setObjectName("lrFinderStop")
        self.stop_button.setEnabled(False)
        self.apply_button = QPushButton("Use suggested lr")
        self.apply_button.setObjectName("lrFinderApply")
        self.apply_button.setEnabled(False)
        self.apply_button.setDefault(True)
        self.run_button.clicked.connect(self.run_requested)
        self.stop_button.clicked.connect(self.stop_requested)
        self.apply_button.clicked.connect(self._apply)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        buttons.addWidget(self.apply_button)
        apply_palette(self.plot)  # the app's plot colours, light or dark
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.resize(640, 460)

    def set_running(self, running: bool) -> None:
        self.run_button.setEnabled(not running)
        self.stop_button.setEnabled(running)
        if running:
            self.apply_button.setEnabled(False)
            self.message.setText("Running the range test…")

    def show_failure(self, text: str) -> None:
        self.set_running(False)
        self.message.setText(text)

    def show_result(self, result: Any) -> None:
        """Draw a (partial or final) ``LRFindResult``."""
        self.result = result
        lrs = np.asarray(result.lrs, float)
        ok = np.isfinite(result.losses)
        self.curve.setData(lrs[ok], np.asarray(result.losses)[ok])
        raw_ok = np.isfinite(result.raw_losses)
        self.raw_curve.setData(lrs[raw_ok], np.asarray(result.raw_losses)[raw_ok])
        finite = np.asarray(result.losses)[ok]
        if finite.size:  # the blow-up at the end would flatten the interesting part
            top = float(min(finite.max(), 2.5 * finite[: max(len(finite) // 4, 1)].max()))
            self.plot.setYRange(float(finite.min()) * 0.95, top * 1.02)
        if result.state == "running":
            self.message.setText(f"Running… step {result.steps} of {result.total_steps}")
            return
        self.set_running(False)
        self.suggestion = result.suggestion
        has = result.suggestion is not None
        self.marker.setVisible(has)
        self.apply_button.setEnabled(has)
        if has:
            x = math.log10(result.suggestion)
            self.marker.setValue(x)
            self.marker.label.setFormat(f"{result.suggestion:.2g}")
            i = int(np.argmin(np.abs(lrs - result.suggestion)))
            self.dot.setData([x], [float(result.losses[i])])
            self.apply_button.setText(f"Use lr = {result.suggestion:.2g}")
        else:
            self.dot.setData([], [])
            self.apply_button.setText("Use suggested lr")
        stopped = " (stopped early)" if result.state == "stopped" else ""
        self.message.setText(result.message + stopped)

    def _apply(self) -> None:
        if self.suggestion is not None:
            self.apply_requested.emit(float(self.suggestion))
