"""Colours and styling shared by every plot: the palette's colours, legends, cached axes."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem

# Colour-blind friendly class colours (Okabe-Ito), reused by every plot so that class k has
# the same colour in the preview, the scatter and the decision regions.
CLASS_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),
    (230, 159, 0),
    (0, 158, 115),
    (204, 121, 167),
    (86, 180, 233),
    (213, 94, 0),
    (240, 228, 66),
    (120, 120, 120),
    (0, 0, 0),
    (153, 79, 0),
)
# One colour per run in the loss plot and the runs table, in order (Okabe-Ito, then Tol's).
RUN_COLORS: tuple[tuple[int, int, int], ...] = (
    (0, 114, 178),
    (213, 94, 0),
    (0, 158, 115),
    (204, 121, 167),
    (230, 159, 0),
    (86, 180, 233),
    (153, 79, 0),
    (120, 120, 120),
)
TRAIN_COLOR = (0, 114, 178)
VAL_COLOR = (230, 159, 0)
PRED_COLOR = (213, 94, 0)
MARKER_COLOR = (204, 121, 167)


def palette() -> QPalette:
    app = QApplication.instance()
    return app.palette() if app is not None else QPalette()


def role_color(role: QPalette.ColorRole) -> QColor:
    """A copy of a palette colour.

    ``QPalette.color`` returns a reference into the palette; keeping it after the palette copy
    is gone leaves a dangling colour (it crashed the interpreter at exit), so copy it.
    """
    pal = palette()
    return QColor(pal.color(role))


def apply_palette(widget: pg.PlotWidget | pg.GraphicsLayoutWidget) -> None:
    """Give a pyqtgraph widget the system's colours, so plots match a light or dark desktop."""
    widget.setBackground(role_color(QPalette.ColorRole.Base))
    text = role_color(QPalette.ColorRole.Text)
    items = (
        [widget.getPlotItem()]
        if isinstance(widget, pg.PlotWidget)
        else [i for i in widget.ci.items if isinstance(i, pg.PlotItem)]
    )
    for item in items:
        style_plot_item(item, text)


def cached(item: QGraphicsItem) -> QGraphicsItem:
    """Render ``item`` once into a pixmap and blit it until the item itself changes.

    A curve that moves every frame repaints everything under it. Axes (with their grid lines
    and tick text) and still data points would be redrawn in Python each time, holding the
    GIL the trainer needs; cached, they are a plain pixmap copy until their range changes.
    """
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return item


def style_plot_item(item: pg.PlotItem, text: QColor) -> None:
    for name in ("left", "bottom"):
        axis = cached(item.getAxis(name))
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
    if item.titleLabel is not None:
        item.titleLabel.setAttr("color", text.name())


def is_dark() -> bool:
    return role_color(QPalette.ColorRole.Base).lightness() < 128


def make_curve(pen: Any, name: str | None = None) -> pg.PlotDataItem:
    # Few points per curve (see EnvelopeDecimator), so no downsampling or clipping pass.
    return pg.PlotDataItem(pen=pen, name=name, connect="finite", skipFiniteCheck=False)


class SlimSample(pg.ItemSample):
    """A legend sample 14 px tall instead of 20: a row of the legend takes less of the data."""

    def boundingRect(self) -> QRectF:  # noqa: N802 - Qt's name
        return QRectF(0, 0, 20, 14)

    def paint(self, p: Any, *args: Any) -> None:
        p.translate(0, -4)  # pyqtgraph draws its line at y 11 and symbols at y 10 of 20
        super().paint(p, *args)


class RowLegend(pg.LegendItem):
    """A legend laid out by its plot's grid (see :func:`add_legend`), not placed by hand.

    pyqtgraph's legend sets its own geometry at (0, 0) of its parent after each change and
    can be dragged; in a layout cell it asks the layout again instead, and stays put.
    """

    room = 0.0  # the view box's width, px (fit_legend)

    def updateSize(self) -> None:  # noqa: N802 - pyqtgraph's name
        self.updateGeometry()

    def addItem(self, item: Any, name: str) -> None:  # noqa: N802 - pyqtgraph's name
        super().addItem(item, name)
        sample, label = self.items[-1]
        sample.setFixedHeight(14)
        label.item.document().setDocumentMargin(0)  # 4 px above and below each line: no
        label.updateMin()
        fit_legend(self, self.room)

    def removeItem(self, item: Any) -> None:  # noqa: N802 - pyqtgraph's name
        super().removeItem(item)
        fit_legend(self, self.room)

    def mouseDragEvent(self, ev: Any) -> None:  # noqa: N802 - pyqtgraph's name
        ev.ignore()


def add_legend(item: pg.PlotItem, columns: int = 4) -> pg.LegendItem:
    """A legend in a row of its own above the plot's view box, so it never covers data.

    pyqtgraph anchors a legend inside the view box, where it hid the fit's sine peak and the
    end of the loss curves. Here it takes the place of the (never shown) top axis in the plot
    item's grid, between the title and the data; :func:`fit_legend` lays its entries in as
    many columns as the plot's width holds, so more runs add a row rather than widen it.
    """
    legend = RowLegend(
        colCount=columns,
        frame=False,
        sampleType=SlimSample,
        labelTextSize="8pt",
        labelTextColor=role_color(QPalette.ColorRole.Text).name(),
        verSpacing=0,
    )
    legend.layout.setContentsMargins(2, 0, 2, 2)
    top = item.getAxis("top")
    item.layout.removeItem(top)
    top.hide()
    legend.setParentItem(item)
    item.layout.addItem(legend, 1, 1)
    if item.titleLabel.isVisible():  # pyqtgraph gives a title 30 px; 10 pt text needs 22
        item.titleLabel.setMaximumHeight(22)
        item.layout.setRowFixedHeight(0, 22)
    item.legend = legend  # PlotItem.addItem(curve with a name) fills it, as addLegend's does
    view = item.getViewBox()
    view.sigResized.connect(lambda *_: fit_legend(legend, view.width()))
    return legend


def fit_legend(legend: pg.LegendItem, width: float) -> None:
    """As many columns as ``width`` px holds (at least one), each entry whole.

    Entries fill rows left to right, as pyqtgraph lays them; a column is as wide as its
    widest entry (the sample, the text's own width and the spacing around them).
    """
    if isinstance(legend, RowLegend):
        legend.room = width
    if not legend.items or width <= 0:
        return
    entries = [
        sample.boundingRect().width() + label.item.boundingRect().width() + 16
        for sample, label in legend.items
    ]
    columns = 1
    for n in range(len(entries), 1, -1):
        widths = [max(entries[i::n]) for i in range(n)]
        if sum(widths) + 8 <= width:
            columns = n
            break
    if columns != legend.columnCount:
        legend.setColumnCount(columns)


def run_color(index: int) -> tuple[int, int, int]:
    """The colour of run ``index`` (0-based; the palette repeats after eight runs)."""
    return RUN_COLORS[index % len(RUN_COLORS)]
