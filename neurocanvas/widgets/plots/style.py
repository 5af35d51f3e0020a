"""Colours and styling shared by every plot: the palette's colours, legends, cached axes."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
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


def add_legend(
    item: pg.PlotItem, offset: tuple[int, int] = (-8, 8), columns: int = 1
) -> pg.LegendItem:
    """A legend in the palette's text colour on a translucent panel, readable over data."""
    base = role_color(QPalette.ColorRole.Base)
    base.setAlpha(210)
    return item.addLegend(
        offset=offset,
        colCount=columns,
        labelTextSize="8pt",
        labelTextColor=role_color(QPalette.ColorRole.Text).name(),
        brush=pg.mkBrush(base),
        pen=pg.mkPen(role_color(QPalette.ColorRole.Mid).name()),
    )


def run_color(index: int) -> tuple[int, int, int]:
    """The colour of run ``index`` (0-based; the palette repeats after eight runs)."""
    return RUN_COLORS[index % len(RUN_COLORS)]
