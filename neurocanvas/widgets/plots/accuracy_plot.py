"""The accuracy plot: train and validation accuracy per epoch, for classifiers."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Slot

from neurocanvas.widgets.plots.base import PlotBase
from neurocanvas.widgets.plots.buffers import EnvelopeDecimator, nice_steps, tail
from neurocanvas.widgets.plots.style import TRAIN_COLOR, VAL_COLOR, make_curve

MAX_POINTS = 1000  # drawn per curve at most


class AccuracyPlot(PlotBase):
    """Train and validation accuracy per epoch, for classifiers."""

    placeholder_text = "Press Train to see the accuracy rise"

    def __init__(self, parent=None) -> None:
        super().__init__("Accuracy", parent)
        self.setObjectName("accuracyPlot")
        item = self.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "accuracy")
        self.train_curve = make_curve(pg.mkPen(TRAIN_COLOR, width=2), "train")
        self.val_curve = make_curve(pg.mkPen(VAL_COLOR, width=2), "validation")
        item.addItem(self.train_curve)
        item.addItem(self.val_curve)
        # Decimated like the loss plot's epoch curves: a long run has 100,000s of epochs.
        self._bufs = (EnvelopeDecimator(MAX_POINTS), EnvelopeDecimator(MAX_POINTS))
        self._seen = [0, 0]  # epochs of each series already taken
        self._epochs = 0

    @Slot(object)
    def update_snapshot(self, snap: Any) -> None:
        series = (snap.train_acc, snap.val_acc)
        counts = [0 if v is None else len(v) for v in series]
        if any(n < seen for n, seen in zip(counts, self._seen, strict=True)):
            self._clear()  # fewer epochs than shown: a new run
        # Accuracy is per epoch: most frames bring nothing new, so they draw nothing.
        if counts == self._seen:
            return
        for i, (values, buf) in enumerate(zip(series, self._bufs, strict=True)):
            if values is not None:
                pos, new = tail(values, self._seen[i])
                buf.extend(pos + 1.0, new)
                self._seen[i] = counts[i]
        self._epochs = max(int(getattr(snap, "total_epochs", 0) or 0), int(snap.epoch or 0))
        self._request_draw()

    def _clear(self) -> None:
        for buf in self._bufs:
            buf.clear()
        self._seen = [0, 0]

    def reset(self) -> None:
        """Forget the run: back to the placeholder."""
        self._clear()
        self._resume_following()
        self._request_draw()

    def _draw(self) -> None:
        for curve, buf in zip((self.train_curve, self.val_curve), self._bufs, strict=True):
            curve.setData(*buf.view())
        n = max(self._seen)
        self._set_empty(n == 0)
        if n:
            self._follow_range(0.5, nice_steps(max(n, self._epochs)) + 0.5, 0.0, 1.02)
