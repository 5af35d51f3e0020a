"""Histograms over time for the selected layer, and its update-to-weight ratio.

Three heat maps (weights, gradients, outputs): steps run left to right, values bottom to
top, brightness is the share of values in a bin at that step (square-rooted, so thin tails
stay visible). Beside them the update-to-weight ratio per step on a log scale, with the
healthy level 1e-3 marked (Karpathy, "A Recipe for Training Neural Networks").
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from neurocanvas.core.training.probes.histograms import heat_map
from neurocanvas.widgets.insight.images import VALUE_LUT, unit_to_rgba
from neurocanvas.widgets.plots import apply_palette

HEALTHY_RATIO = 1e-3
EMPTY_STEPS = 100  # the step axis shown before any record arrives
TITLES = (("weights", "weights"), ("grads", "weight gradients"), ("acts", "outputs"))


def ratio_words(ratio: float | None) -> str:
    """The update-to-weight ratio in words: healthy near 1e-3."""
    if ratio is None or not math.isfinite(ratio):
        return "no weights here to update"
    if ratio < 1e-4:
        verdict = "small: the layer learns slowly (raise the learning rate?)"
    elif ratio > 1e-2:
        verdict = "large: updates may be unstable (lower the learning rate?)"
    else:
        verdict = "healthy (about 1e-3)"
    return f"update / weight = {ratio:.2g}: {verdict}"


class HistogramPanel(QWidget):
    """Shows one layer's history from the histogram probe's result (``{key: [record...]}``)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("histogramPanel")
        self.node_id: str | None = None
        self.node_title = ""
        self.records: dict[str, list[dict[str, Any]]] = {}
        self.status = QLabel("Select a layer and train to see its histograms over the run.")
        self.status.setObjectName("histogramStatus")
        self.status.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget(self)
        self.maps: dict[str, pg.PlotItem] = {}
        self.images: dict[str, pg.ImageItem] = {}
        for key, title in TITLES:
            plot = self.view.addPlot(title=title)
            plot.setMenuEnabled(False)
            plot.setLabel("bottom", "step")
            plot.getAxis("bottom").enableAutoSIPrefix(False)  # never "step (x0.001)"
            image = pg.ImageItem(axisOrder="row-major")
            plot.addItem(image)
            self.maps[key], self.images[key] = plot, image
        self.ratio_plot = self.view.addPlot(title="update / weight")
        self.ratio_plot.setLogMode(y=True)
        self.ratio_plot.setMenuEnabled(False)
        self.ratio_plot.setLabel("bottom", "step")
        self.ratio_plot.getAxis("bottom").enableAutoSIPrefix(False)
        self.ratio_curve = self.ratio_plot.plot(pen=pg.mkPen((213, 94, 0), width=2))
        self.ratio_plot.addItem(
            pg.InfiniteLine(
                pos=math.log10(HEALTHY_RATIO),
                angle=0,
                pen=pg.mkPen((0, 158, 115), style=pg.QtCore.Qt.PenStyle.DashLine),
                label="healthy 1e-3",
                # near the left end, text running right: at 0.8 it ran off the plot
                labelOpts={
                    "position": 0.04,
                    "color": (0, 158, 115),
                    "anchors": [(0, 1), (0, 1)],
                },
            )
        )
        apply_palette(self.view)  # the app's plot colours, light or dark
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)
        self._redraw()  # the empty frames

    def set_node(self, node_id: str | None, title: str = "") -> None:
        self.node_id, self.node_title = node_id, title
        self._redraw()

    def show_histograms(self, records: dict[str, list[dict[str, Any]]] | None) -> None:
        if records is self.records:
            return
        self.records = records or {}
        self._redraw()

    def shown_maps(self) -> dict[str, dict[str, Any] | None]:
        """The heat maps the selected layer's records make (what is drawn), by kind."""
        recs = self.records.get(self.node_id, []) if self.node_id is not None else []
        return {key: heat_map(recs, key) for key, _ in TITLES}

    def _redraw(self) -> None:
        recs = self.records.get(self.node_id, []) if self.node_id is not None else []
        for key, _ in TITLES:
            hm = heat_map(recs, key) if recs else None
            image = self.images[key]
            if hm is None:
                image.clear()
                # an empty frame of the steps to come, not pyqtgraph's -400..400 default
                self.maps[key].setRange(xRange=(0, EMPTY_STEPS), yRange=(-1, 1), padding=0)
                continue
            img = np.sqrt(hm["image"].T)  # rows: value bins (low at the bottom), cols: steps
            top = img.max() or 1.0
            rgba = unit_to_rgba(img / top, VALUE_LUT)
            image.setImage(rgba, autoLevels=False)
            steps = hm["steps"]
            x0 = float(steps[0])
            width = float(steps[-1] - steps[0]) or 1.0
            image.setRect(QRectF(x0, hm["lo"], width, (hm["hi"] - hm["lo"]) or 1e-9))
            self.maps[key].getViewBox().autoRange(padding=0.02)
        ratios = [(r["step"], r.get("update_ratio")) for r in recs]
        ratios = [(s, v) for s, v in ratios if v is not None and v > 0 and math.isfinite(v)]
        if ratios:
            s, v = zip(*ratios, strict=True)
            self.ratio_curve.setData(np.array(s, float), np.array(v, float))
            logs = np.log10(np.array(v, float))
            # a fixed frame around the healthy 1e-3, widened only when the ratio leaves it
            self.ratio_plot.setYRange(min(-5.0, logs.min() - 0.3), max(-1.0, logs.max() + 0.3))
        else:
            self.ratio_curve.setData([], [])
            self.ratio_plot.setRange(xRange=(0, EMPTY_STEPS), yRange=(-5, -1), padding=0)
        if self.node_id is None:
            self.status.setText("Select a layer on the canvas to see its histograms over the run.")
        elif not recs:
            self.status.setText(f"{self.node_title}: no history yet — train to record it.")
        else:
            last = recs[-1]
            self.status.setText(
                f"{self.node_title}, {len(recs)} readings up to step {last['step']}. "
                + ratio_words(last.get("update_ratio"))
            )
