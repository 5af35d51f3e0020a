"""Scatter plots of data sets that stay quick to build and to paint at any size.

pyqtgraph's ``ScatterPlotItem`` keeps one record per point and, given a list of brushes,
checks and stores each one in Python: 48,000 points took ~0.45 s to add in the GUI thread.
One item per class with a single brush skips that, and a plot shows at most ``MAX_POINTS``
points (an even stride through the set, so every class keeps its share): beyond a few
thousand, the extra points only thicken a cloud a few hundred pixels wide, and every repaint
(each frame of the decision regions under them) would pay for them.
"""

from __future__ import annotations

from itertools import zip_longest
from typing import Any

import numpy as np
import pyqtgraph as pg

from neurocanvas.widgets.plots.style import CLASS_COLORS, cached

__all__ = ["MAX_POINTS", "class_scatters", "fill_class_scatters", "thinned"]

MAX_POINTS = 4000


def thinned(n: int, limit: int = MAX_POINTS) -> slice:
    """The slice that keeps at most ``limit`` of ``n`` points, evenly spread."""
    step = max(1, -(-n // max(limit, 1)))  # ceil(n / limit)
    return slice(None, None, step)


def class_scatters(
    x: np.ndarray,
    labels: np.ndarray,
    size: float,
    alpha: int,
    pen: Any = None,
    limit: int = MAX_POINTS,
) -> list[pg.ScatterPlotItem]:
    """One cached scatter item per class present in ``labels`` (at most ``limit`` points).

    ``x`` is (N, 2) in the plot's units, ``labels`` (N,) integer classes; class ``k`` is
    drawn in ``CLASS_COLORS[k % len(CLASS_COLORS)]`` with opacity ``alpha`` (0-255).
    """
    keep = thinned(len(x), limit)
    x = np.asarray(x)[keep]
    labels = np.asarray(labels).ravel()[keep].astype(np.int64)
    items = []
    for k in np.unique(labels):
        rows = labels == k
        color = CLASS_COLORS[int(k) % len(CLASS_COLORS)]
        items.append(
            cached(
                pg.ScatterPlotItem(
                    x[rows, 0],
                    x[rows, 1],
                    size=size,
                    pen=pen,
                    brush=pg.mkBrush(*color, alpha),
                )
            )
        )
    return items


def fill_class_scatters(
    items: list[pg.ScatterPlotItem],
    plot: pg.PlotItem,
    x: np.ndarray,
    labels: np.ndarray,
    size: float,
    alpha: int,
    pen: Any = None,
    limit: int = MAX_POINTS,
) -> None:
    """:func:`class_scatters` into the items of ``items``, reused from an earlier data set
    (new ones are added to ``items`` and ``plot``; those left over are emptied)."""
    keep = thinned(len(x), limit)
    x = np.asarray(x)[keep]
    labels = np.asarray(labels).ravel()[keep].astype(np.int64)
    classes = np.unique(labels)
    while len(items) < len(classes):
        items.append(cached(pg.ScatterPlotItem(size=size, pen=pen)))
        plot.addItem(items[-1])
    for item, k in zip_longest(items, classes):
        if k is None:
            item.setData([], [])
            continue
        rows = labels == k
        color = CLASS_COLORS[int(k) % len(CLASS_COLORS)]
        brush = pg.mkBrush(*color, alpha)
        item.setData(x[rows, 0], x[rows, 1], size=size, pen=pen, brush=brush)
