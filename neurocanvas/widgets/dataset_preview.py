"""The data set panel's preview: a small picture of the data set (points, or a mosaic)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QSize
from PySide6.QtGui import QShowEvent

from neurocanvas.widgets.plots import TRAIN_COLOR, apply_palette
from neurocanvas.widgets.plots.scatter import class_scatters, thinned

__all__ = ["PREVIEW_MAX_HEIGHT", "PREVIEW_MIN_HEIGHT", "DatasetPreview"]

PREVIEW_MIN_HEIGHT = 130
PREVIEW_MAX_HEIGHT = 360


class DatasetPreview(pg.PlotWidget):
    """A small picture of the data: points for 1-D/2-D data, a mosaic for images."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("datasetPreview")
        self.table_text: pg.TextItem | None = None  # a table's "N samples × F features"
        self._pending: Any = None  # a data set to draw once seen (see show_dataset)
        self._seen = True
        # It grows into the panel's spare height (no blank band under it on a tall screen),
        # but stays a preview: beyond this it would only push the panel into scrolling.
        self.setMinimumHeight(PREVIEW_MIN_HEIGHT)
        self.setMaximumHeight(PREVIEW_MAX_HEIGHT)
        self.getPlotItem().hideButtons()
        self.setMouseEnabled(False, False)
        apply_palette(self)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        # pyqtgraph asks for 600 x 480. In a scroll area a word-wrapped panel is laid out by
        # height-for-width, which takes every child's preferred height: that hint made the
        # panel scroll on a 1080p screen. Ask for the minimum; the stretch gives it the rest.
        return QSize(240, PREVIEW_MIN_HEIGHT)

    def show_dataset(self, ds: Any) -> None:
        """Draw ``ds``; while the preview cannot be seen (hidden, or its dock's tab behind
        another: see :meth:`set_seen`), once it can: opening a project spent ~10 ms of the
        GUI thread on a picture nobody saw."""
        self._pending = ds
        self._draw_pending()

    def set_seen(self, seen: bool) -> None:
        """Whether the preview's dock is on screen (``QDockWidget.visibilityChanged``: Qt
        keeps a dock whose tab is behind another "visible", moved off the screen)."""
        self._seen = seen
        self._draw_pending()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        self._draw_pending()

    def _draw_pending(self) -> None:
        if self._pending is not None and self._seen and self.isVisible():
            ds, self._pending = self._pending, None
            self._draw(ds)

    def _draw(self, ds: Any) -> None:
        item = self.getPlotItem()
        item.clear()
        self.table_text = None
        item.setAspectLocked(False)
        item.invertY(False)
        item.showAxes(True)
        x = np.asarray(ds.x_train)
        y = np.asarray(ds.y_train)
        shape = tuple(ds.input_shape)
        if len(shape) == 1 and hasattr(ds, "inputs_to_user"):  # tables: the user's units
            x = ds.inputs_to_user(x)
            y = ds.outputs_to_user(y)
        if ds.kind == "regression" and shape == (1,):
            keep = thinned(len(x))  # a preview: a few thousand points draw the same cloud
            yy = y.reshape(len(y), -1)[keep, 0]
            item.addItem(
                pg.ScatterPlotItem(
                    x.ravel()[keep], yy, size=4, pen=None, brush=pg.mkBrush(*TRAIN_COLOR, 160)
                )
            )
        elif ds.kind == "classification" and shape == (2,):
            for scatter in class_scatters(x, y, size=4, alpha=200):
                item.addItem(scatter)
            item.setAspectLocked(True)
        elif len(shape) >= 2 or (len(shape) == 1 and shape[0] in (64, 784)):
            item.addItem(pg.ImageItem(self._mosaic(x)))
            item.invertY(True)
            item.setAspectLocked(True)
            item.showAxes(False)
        else:
            # Centred on the view's centre: anchored at its left edge, the text ran off the
            # right ("455 samples × 30 featu" at 1366x768).
            text = pg.TextItem(
                f"{len(x)} samples × {int(np.prod(shape))} features", anchor=(0.5, 0.5)
            )
            self.table_text = text
            item.addItem(text)
            item.showAxes(False)
            item.setRange(xRange=(-1, 1), yRange=(-1, 1), padding=0)
            return
        item.autoRange()

    @staticmethod
    def _mosaic(x: np.ndarray, n: int = 16) -> np.ndarray:
        imgs = x[:n].reshape(min(n, len(x)), -1)
        side = int(round(np.sqrt(imgs.shape[1])))
        imgs = imgs.reshape(-1, side, side)
        cols = 8
        rows = int(np.ceil(len(imgs) / cols))
        out = np.zeros((rows * (side + 1), cols * (side + 1)))
        for k, img in enumerate(imgs):
            r, c = divmod(k, cols)
            out[r * (side + 1) : r * (side + 1) + side, c * (side + 1) : c * (side + 1) + side] = (
                img
            )
        return out.T  # ImageItem indexes [x, y]
