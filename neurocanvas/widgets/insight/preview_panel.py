"""Per-node output preview: the chosen sample's input beside the selected node's output.

Vectors are drawn as bars (up to :data:`BAR_LIMIT` values) or a curve, feature maps as a
grid of channel images (viridis). The panel only draws what it is given: a preview dict
from ``core.training.probes.preview.sample_preview`` (while training it arrives in the
snapshot, while building the app computes it on the current weights).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSpinBox, QVBoxLayout, QWidget

from neurocanvas.widgets.insight.images import array_rgba
from neurocanvas.widgets.plots import apply_palette

BAR_LIMIT = 64


def draw_array(plot: pg.PlotItem, arr: np.ndarray | None, signed: bool = False) -> str:
    """Draw ``arr`` in ``plot`` (bars, curve or channel grid); returns what was drawn."""
    plot.clear()
    if arr is None:
        return "none"
    a = np.asarray(arr)
    vb = plot.getViewBox()
    if a.ndim >= 2:
        rgba = array_rgba(a, signed=signed)
        item = pg.ImageItem(rgba, axisOrder="row-major")
        h, w = rgba.shape[:2]
        item.setRect(QRectF(0, 0, w, h))
        plot.addItem(item)
        vb.invertY(True)
        vb.setAspectLocked(True)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        vb.autoRange(padding=0.02)
        return "image"
    vb.invertY(False)
    vb.setAspectLocked(False)
    plot.showAxis("left")
    plot.showAxis("bottom")
    v = a.reshape(-1).astype(np.float64)
    if v.size <= BAR_LIMIT:
        plot.addItem(pg.BarGraphItem(x=np.arange(v.size), height=v, width=0.8, brush=(0, 114, 178)))
        vb.autoRange(padding=0.05)
        return "bars"
    plot.plot(np.arange(v.size), v, pen=pg.mkPen((0, 114, 178), width=1.5))
    vb.autoRange(padding=0.05)
    return "curve"


def _shape_text(arr: np.ndarray | None) -> str:
    if arr is None:
        return ""
    a = np.asarray(arr)
    dims = "×".join(map(str, a.shape)) or "1"
    if a.size == 0:
        return dims
    return f"{dims}, min {a.min() + 0.0:.3g}, max {a.max() + 0.0:.3g}"  # + 0.0: no "-0"


class PreviewPanel(QWidget):
    """Sample chooser, the sample's input and the selected node's output on it.

    Signals
    -------
    sample_changed(int)
        The person chose another sample (row of the validation set, or training set if
        there is none).
    """

    sample_changed = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("previewPanel")
        self.node_id: str | None = None
        self.node_title = ""
        self.preview: dict[str, Any] | None = None
        self.drawn = ("none", "none")
        top = QHBoxLayout()
        top.addWidget(QLabel("Sample"))
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setObjectName("previewSample")
        self.sample_spin.setToolTip("Which sample of the data set to run through the network")
        self.sample_spin.valueChanged.connect(self.sample_changed)
        top.addWidget(self.sample_spin)
        self.sample_info = QLabel("")
        top.addWidget(self.sample_info, 1)
        self.status = QLabel("Select a node on the canvas to see its output on this sample.")
        self.status.setObjectName("previewStatus")
        self.status.setWordWrap(True)
        self.view = pg.GraphicsLayoutWidget(self)
        self.input_plot = self.view.addPlot(title="input")
        self.output_plot = self.view.addPlot(title="output")
        self.view.ci.layout.setColumnStretchFactor(1, 2)
        for plot in (self.input_plot, self.output_plot):
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(False, False)
        apply_palette(self.view)  # the app's plot colours, light or dark
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(self.status)
        layout.addWidget(self.view, 1)

    # ------------------------------------------------------------------ inputs
    def set_sample_count(self, n: int, info: str = "") -> None:
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, max(n - 1, 0))
        self.sample_spin.blockSignals(False)
        self.sample_info.setText(info)

    def set_sample_info(self, info: str) -> None:
        self.sample_info.setText(info)

    def sample(self) -> int:
        return self.sample_spin.value()

    def set_node(self, node_id: str | None, title: str = "") -> None:
        self.node_id, self.node_title = node_id, title
        self._redraw()

    def show_preview(self, preview: dict[str, Any] | None) -> None:
        if preview is self.preview:
            return
        self.preview = preview
        self._redraw()

    def show_message(self, text: str) -> None:
        self.status.setText(text)

    # ------------------------------------------------------------------ drawing
    def _redraw(self) -> None:
        p = self.preview
        if p is None:
            self.drawn = (draw_array(self.input_plot, None), draw_array(self.output_plot, None))
            return
        x = p["input"]
        out = p["outputs"].get(self.node_id) if self.node_id is not None else None
        self.input_plot.setTitle(f"input #{p['index']} ({_shape_text(x)})")
        drawn_in = draw_array(self.input_plot, x)
        if self.node_id is None:
            self.status.setText("Select a node on the canvas to see its output on this sample.")
        elif out is None:
            self.status.setText(f"{self.node_title}: no output (it does not run, or has none).")
        else:
            where = f"step {p['step']}" if p.get("step") else "current weights"
            self.status.setText(f"{self.node_title} on sample #{p['index']} ({where})")
        self.output_plot.setTitle(f"output ({_shape_text(out)})" if out is not None else "output")
        self.drawn = (drawn_in, draw_array(self.output_plot, out))
