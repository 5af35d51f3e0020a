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
MIN_BAR_SLOTS = 5  # bars are never wider than a fifth of the plot


class ArrayView:
    """One plot that shows an array as bars, a curve or a channel grid.

    The three items are made once and updated in place (``setOpts``/``setData``/
    ``setImage``): clearing and re-adding pyqtgraph items on every frame cost about 12 ms of
    the GUI thread per preview, time the training thread waits for the GIL.
    """

    def __init__(self, plot: pg.PlotItem) -> None:
        self.plot = plot
        self.bars = pg.BarGraphItem(x=[0], height=[0], width=0.8, brush=(0, 114, 178))
        self.curve = pg.PlotDataItem(pen=pg.mkPen((0, 114, 178), width=1.5))
        self.image = pg.ImageItem(axisOrder="row-major")
        for item in (self.bars, self.curve, self.image):
            plot.addItem(item)
            item.setVisible(False)
        self.kind = "none"
        self._shape: tuple[int, ...] = ()

    def show(self, arr: np.ndarray | None, signed: bool = False) -> str:
        """Draw ``arr``; returns what it is drawn as ("bars", "curve", "image" or "none")."""
        vb = self.plot.getViewBox()
        if arr is None:
            kind = "none"
        else:
            a = np.asarray(arr)
            kind = "image" if a.ndim >= 2 else ("bars" if a.size <= BAR_LIMIT else "curve")
        new_layout = kind != self.kind or (arr is not None and np.shape(arr) != self._shape)
        self.bars.setVisible(kind == "bars")
        self.curve.setVisible(kind == "curve")
        self.image.setVisible(kind == "image")
        if kind == "image":
            rgba = array_rgba(np.asarray(arr), signed=signed)
            self.image.setImage(rgba, autoLevels=False)
            h, w = rgba.shape[:2]
            self.image.setRect(QRectF(0, 0, w, h))
        elif kind in ("bars", "curve"):
            v = np.asarray(arr).reshape(-1).astype(np.float64)
            x = np.arange(v.size)
            if kind == "bars":
                self.bars.setOpts(x=x, height=v, width=0.8)
            else:
                self.curve.setData(x, v)
        if new_layout:  # axes and aspect change only with the kind or the shape
            image = kind == "image"
            vb.invertY(image)
            vb.setAspectLocked(image)
            for axis in ("left", "bottom"):
                self.plot.showAxis(axis, not image)
            vb.autoRange(padding=0.02 if image else 0.05)
            if kind == "bars":
                # a few values (one output: one bar) in a frame of at least MIN_BAR_SLOTS
                # slots, not a full-width bar over an axis reading -0.4..0.4
                n = int(np.size(arr))
                extra = max(MIN_BAR_SLOTS - n, 0) / 2
                vb.setXRange(-0.5 - extra, n - 0.5 + extra, padding=0)
                self.plot.showAxis("bottom", n > 1)  # one value has no index worth reading
        elif kind in ("bars", "curve"):
            vb.enableAutoRange(axis=pg.ViewBox.YAxis)
        self.kind = kind
        self._shape = () if arr is None else tuple(np.shape(arr))
        return kind


def _dims(arr: np.ndarray | None) -> str:
    return "" if arr is None else "×".join(map(str, np.shape(arr))) or "1"


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
        self.input_view = ArrayView(self.input_plot)
        self.output_view = ArrayView(self.output_plot)
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
    @staticmethod
    def _set_title(plot: pg.PlotItem, text: str) -> None:
        if plot.titleLabel.text != text:
            plot.setTitle(text)

    def _redraw(self) -> None:
        p = self.preview
        if p is None:
            self.drawn = (self.input_view.show(None), self.output_view.show(None))
            return
        x = p["input"]
        out = p["outputs"].get(self.node_id) if self.node_id is not None else None
        # Plot titles change only with the sample and the shape: a pyqtgraph title change
        # re-lays out the whole plot; the changing numbers go in the status line instead.
        self._set_title(self.input_plot, f"input #{p['index']} ({_dims(x)})")
        drawn_in = self.input_view.show(x)
        if self.node_id is None:
            self.status.setText("Select a node on the canvas to see its output on this sample.")
        elif out is None:
            self.status.setText(f"{self.node_title}: no output (it does not run, or has none).")
        else:
            where = f"step {p['step']}" if p.get("step") else "current weights"
            self.status.setText(
                f"{self.node_title} on sample #{p['index']} ({where}): {_shape_text(out)}"
            )
        self._set_title(self.output_plot, f"output ({_dims(out)})" if out is not None else "output")
        self.drawn = (drawn_in, self.output_view.show(out))
