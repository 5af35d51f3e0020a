"""The accuracy plot: train and validation accuracy per epoch, for classifiers."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Slot

from neurocanvas.widgets.plots.base import PlotBase
from neurocanvas.widgets.plots.buffers import nice_steps
from neurocanvas.widgets.plots.style import TRAIN_COLOR, VAL_COLOR, make_curve


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
        self._values: tuple[np.ndarray, np.ndarray] = (np.empty(0), np.empty(0))
        self._epochs = 0

    @Slot(object)
    def update_snapshot(self, snap: Any) -> None:
        values = tuple(
            np.empty(0) if v is None else np.asarray(v, dtype=np.float64)
            for v in (snap.train_acc, snap.val_acc)
        )
        # Accuracy is per epoch: most frames bring nothing new, so they draw nothing.
        if all(np.array_equal(a, b) for a, b in zip(values, self._values, strict=True)):
            return
        self._values = values
        self._epochs = max(int(getattr(snap, "total_epochs", 0) or 0), int(snap.epoch or 0))
        self._request_draw()

    def reset(self) -> None:
        """Forget the run: back to the placeholder."""
        self._values = (np.empty(0), np.empty(0))
        self._resume_following()
        self._request_draw()

    def _draw(self) -> None:
        for curve, y in zip((self.train_curve, self.val_curve), self._values, strict=True):
            curve.setData(np.arange(1, len(y) + 1), y)
        n = max(len(v) for v in self._values)
        self._set_empty(n == 0)
        if n:
            self._follow_range(0.5, nice_steps(max(n, self._epochs)) + 0.5, 0.0, 1.02)
