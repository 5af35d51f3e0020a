"""The fit plot's view of a classifier of images or tables: a confusion matrix with its
counts, and a row of sample images labelled with their class and the model's prediction.

Built once and refilled on each data set change, with few graphics items: the matrix is one
``ImageItem`` and its counts one :class:`TextLayer`; the samples are one mosaic image and one
layer of labels in a single view box. pyqtgraph's ``TextItem`` is a graphics item with its
own transform per text and a ``ViewBox`` a small scene of its own: the 100 counts and 8
sample boxes of the digits took ~0.15 s to build on every data set change (cProfile).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter

__all__ = ["MAX_SAMPLES", "ConfusionView", "TextLayer"]

MAX_SAMPLES = 8
GOOD = QColor(0, 158, 115)  # a right prediction (Okabe-Ito green)
BAD = QColor(213, 94, 0)  # a wrong one (vermillion)


class TextLayer(pg.GraphicsObject):
    """Short texts at points of a view, all painted by one item at the font's pixel size.

    ``set_texts([(x, y, text, colour), ...], bounds)``: each text is centred on (x, y) in
    the view's coordinates (``top=True``: hangs below it), whatever the zoom; ``bounds``
    (view coordinates) covers them, for the view's repaints and ranges. With ``cell`` (the
    width and height, in view coordinates, each text has to itself) a text wider or taller
    than its cell on screen is not drawn: overlapping digits read as noise (a 10-class
    matrix at 1366x768 has ~10 px cells); the colours and the hover text still tell.
    """

    def __init__(self, top: bool = False, cell: tuple[float, float] | None = None) -> None:
        super().__init__()
        self._top = top
        self._cell = cell
        self._texts: list[tuple[QPointF, str, QColor]] = []
        self._bounds = QRectF()
        self.drawn = 0  # texts drawn by the last paint (the ones that fit their cell)

    def set_texts(self, texts: Sequence[tuple[float, float, str, Any]], bounds: QRectF) -> None:
        self.prepareGeometryChange()
        self._texts = [(QPointF(x, y), str(t), QColor(c)) for x, y, t, c in texts]
        self._bounds = QRectF(bounds)
        self.update()

    def texts(self) -> list[str]:
        """The texts in the order given (what a person reads)."""
        return [t for _, t, _ in self._texts]

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(self._bounds)

    def paint(self, painter: QPainter, *_: Any) -> None:
        to_device = painter.transform()
        painter.save()
        painter.resetTransform()  # text at its own size: not stretched by the view's scale
        height = painter.fontMetrics().height()
        align = Qt.AlignmentFlag.AlignHCenter | (
            Qt.AlignmentFlag.AlignTop if self._top else Qt.AlignmentFlag.AlignVCenter
        )
        room = None
        if self._cell is not None:
            corner = to_device.map(QPointF(*self._cell)) - to_device.map(QPointF(0.0, 0.0))
            room = (abs(corner.x()) - 2, abs(corner.y()))
        metrics = painter.fontMetrics()
        self.drawn = 0
        for point, text, color in self._texts:
            if not text:
                continue
            if room is not None and (metrics.horizontalAdvance(text) > room[0] or height > room[1]):
                continue
            self.drawn += 1
            p = to_device.map(point)
            top = p.y() if self._top else p.y() - height
            painter.setPen(color)
            painter.drawText(QRectF(p.x() - 60, top, 120, 2 * height), align, text)
        painter.restore()


class ConfusionView:
    """The matrix plot (``plot``) and, for images, the samples box (``samples``)."""

    def __init__(self, text_color: str) -> None:
        self.text_color = text_color
        self.plot = pg.PlotItem(title="Confusion matrix (validation)")
        self.plot.setAspectLocked(True)
        self.plot.invertY(True)
        self.plot.setLabel("bottom", "predicted")
        self.plot.setLabel("left", "true")
        self.image = _MatrixImage(np.zeros((1, 1)))
        self.image.setColorMap(pg.colormap.get("viridis"))
        self.plot.addItem(self.image)
        self.counts = TextLayer(cell=(1.0, 1.0))
        self.plot.addItem(self.counts)
        self.samples = pg.ViewBox(lockAspect=True, enableMouse=False, invertY=True)
        self.sample_image = pg.ImageItem()
        self.samples.addItem(self.sample_image)
        self.sample_labels = TextLayer(top=True)
        self.samples.addItem(self.sample_labels)
        self.n = 0
        self._truth: np.ndarray = np.zeros(0, dtype=np.int64)
        self._names: list[str] = []
        self._count = 0
        self._size = (0, 0)
        self._gap = 1

    @property
    def has_samples(self) -> bool:
        return self._count > 0

    def set_dataset(self, ds: Any) -> None:
        """An empty matrix for ``ds``'s classes; its first validation images, when images."""
        n = int(ds.n_outputs)
        if n != self.n:
            self.n = n
            ticks = [[(i + 0.5, str(i)) for i in range(n)]]
            self.plot.getAxis("bottom").setTicks(ticks)
            self.plot.getAxis("left").setTicks(ticks)
        self.image.setImage(np.zeros((n, n)), levels=(0.0, 1.0))
        self.counts.set_texts([], QRectF(0, 0, n, n))
        self._names = [str(c) for c in (ds.class_names or [])]
        self.image.describe = None
        self._truth = np.asarray(ds.y_val).ravel().astype(np.int64)
        x = np.asarray(ds.x_val)
        images = len(tuple(ds.input_shape)) >= 2
        self._count = min(MAX_SAMPLES, len(x)) if images else 0
        if self._count:
            self._show_mosaic([_as_image(x[k]) for k in range(self._count)])
            self.show_samples(None)
        else:  # nothing left over from an earlier data set
            self.sample_labels.set_texts([], QRectF())
            self.sample_image.clear()

    def _show_mosaic(self, images: list[np.ndarray]) -> None:
        h, w = images[0].shape
        self._size = (h, w)
        gap = max(1, w // 8)
        mosaic = np.full((h, len(images) * (w + gap) - gap), np.nan)
        for k, img in enumerate(images):
            mosaic[:, k * (w + gap) : k * (w + gap) + w] = 1.0 - img  # dark ink on paper
        # ImageItem indexes [x, y]; NaN (the gaps) is drawn transparent.
        self.sample_image.setImage(mosaic.T, levels=(0.0, 1.0))
        self._gap = gap
        band = QRectF(0, 0, mosaic.shape[1], h * 1.6)  # the images and a line of labels
        self.samples.setRange(band, padding=0)

    def show_confusion(self, cm: np.ndarray) -> None:
        """Rows the true class, columns the predicted one; colour = share of the row."""
        n = cm.shape[0]
        rows = cm.sum(axis=1, keepdims=True)
        frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
        # ImageItem indexes [x, y] = [predicted, true].
        self.image.setImage(frac.T, levels=(0.0, 1.0))
        black, white = QColor(0, 0, 0), QColor(255, 255, 255)
        texts = [
            (j + 0.5, i + 0.5, str(int(cm[i, j])) if cm[i, j] else "", black if f > 0.6 else white)
            for i in range(n)
            for j, f in enumerate(frac[i])
        ]
        self.counts.set_texts(texts, QRectF(0, 0, n, n))

        def describe(i: int, j: int) -> str:
            share = f" ({frac[i, j]:.0%} of class {self._name(i)})" if rows[i, 0] else ""
            return (
                f"true {self._name(i)}, predicted {self._name(j)}: "
                f"{int(cm[i, j])} validation samples{share}"
            )

        self.image.describe = describe

    def show_samples(self, pred: np.ndarray | None) -> None:
        """Each sample's true class, or the prediction (✗ when wrong) once there is one."""
        if not self._count:
            return
        h, w = self._size
        texts = []
        for k in range(self._count):
            truth = int(self._truth[k])
            if pred is None or k >= len(pred):
                text, color = self._name(truth), QColor(self.text_color)
            else:
                p = int(pred[k])
                ok = p == truth
                text = self._name(p) if ok else f"{self._name(p)} ✗"
                color = GOOD if ok else BAD
            texts.append((k * (w + self._gap) + w / 2, h + 0.1 * h, text, color))
        width = self._count * (w + self._gap) - self._gap
        self.sample_labels.set_texts(texts, QRectF(0, h, width, 0.6 * h))

    def sample_texts(self) -> list[str]:
        return self.sample_labels.texts()

    def count_texts(self) -> np.ndarray:
        """The counts as shown, an (n, n) array of strings ("" for a zero)."""
        return np.array(self.counts.texts() or [""] * self.n**2, dtype=object).reshape(
            self.n, self.n
        )

    def _name(self, k: int) -> str:
        return self._names[k] if 0 <= k < len(self._names) else str(k)


class _MatrixImage(pg.ImageItem):
    """The matrix image; hovering a cell shows its count and share as a tooltip."""

    def __init__(self, image: np.ndarray) -> None:
        super().__init__(image)
        self.describe: Any = None  # (true, predicted) -> text, once there is a matrix

    def cell_text(self, x: float, y: float) -> str:
        """The hover text of the cell at view point (x, y) = (predicted, true), or ""."""
        image = self.image
        if self.describe is None or image is None:
            return ""
        j, i = int(np.floor(x)), int(np.floor(y))
        if not (0 <= i < image.shape[1] and 0 <= j < image.shape[0]):
            return ""
        return str(self.describe(i, j))

    def hoverEvent(self, ev: Any) -> None:  # noqa: N802 - pyqtgraph's name
        if ev.isExit():
            self.setToolTip("")
            return
        pos = ev.pos()
        self.setToolTip(self.cell_text(pos.x(), pos.y()))


def _as_image(x: np.ndarray) -> np.ndarray:
    """One sample as an (H, W) image: its first channel, or a square of its features."""
    a = np.asarray(x, dtype=np.float64)
    if a.ndim == 3:
        a = a[0]
    if a.ndim == 1:
        side = int(round(np.sqrt(a.size)))
        a = a.reshape(side, -1)
    return a
