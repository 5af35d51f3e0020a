"""The fit plot: what the model has learnt, drawn the way the data set is best understood."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt, QTimer, Slot
from PySide6.QtGui import QPalette

from neurocanvas.widgets.plots.confusion_view import ConfusionView
from neurocanvas.widgets.plots.scatter import fill_class_scatters, thinned
from neurocanvas.widgets.plots.style import (
    CLASS_COLORS,
    PRED_COLOR,
    TRAIN_COLOR,
    VAL_COLOR,
    add_legend,
    apply_palette,
    cached,
    is_dark,
    make_curve,
    role_color,
)


def decision_image(probs: np.ndarray) -> np.ndarray:
    """RGBA image of class probabilities: each pixel blends the class colours by probability.

    ``probs`` is (H, W, C), or (H, W) / (H, W, 1) for a binary classifier's P(class 1).
    Blending (not arg-max) shows how sure the model is near a boundary.
    """
    p = np.asarray(probs, dtype=np.float64)
    if p.ndim == 3 and p.shape[2] == 1:
        p = p[..., 0]
    if p.ndim == 2:
        p = np.stack([1.0 - p, p], axis=-1)
    if p.ndim != 3:
        raise ValueError(f"decision probabilities must be (H, W) or (H, W, C), got {p.shape}")
    p = np.nan_to_num(p, nan=0.0)
    colors = np.asarray(CLASS_COLORS * (p.shape[2] // len(CLASS_COLORS) + 1))[: p.shape[2]]
    rgb = p @ colors.astype(np.float64)
    # Lighten towards white (or black on dark themes) so the points on top stay visible.
    base = 30.0 if is_dark() else 255.0
    rgb = 0.45 * rgb + 0.55 * base
    rgba = np.empty((*rgb.shape[:2], 4), dtype=np.ubyte)
    rgba[..., :3] = np.clip(rgb, 0, 255)
    rgba[..., 3] = 255
    return rgba


class FitPlot(pg.GraphicsLayoutWidget):
    """What the model has learnt, drawn the way the data set is best understood.

    * 1-D regression: data points, the true function (when known), the prediction curve.
    * 2-D classification: decision regions as an image under the scattered points.
    * images (digits, MNIST): a confusion matrix and a row of sample predictions.
    """

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setObjectName("fitPlot")
        self.setMinimumSize(240, 200)
        self.mode = "none"
        self.prediction_curve: pg.PlotDataItem | None = None
        self.true_curve: pg.PlotDataItem | None = None
        self.region_image: pg.ImageItem | None = None
        self.confusion_image: pg.ImageItem | None = None
        self.confusion: ConfusionView | None = None
        self._dataset: Any = None
        self._pending: Any = None  # a snapshot that arrived while hidden
        self._shown_fit: dict[str, np.ndarray] = {}
        self._framed: QRectF | None = None
        self.earlier_fits: list[pg.PlotDataItem] = []
        # Each view's plot is built once and refilled on a data set change: building a
        # PlotItem (axes, title, legend) took 20-40 ms each time (cProfile).
        self._plots: dict[str, pg.PlotItem] = {}
        self._items_1d: dict[str, Any] = {}  # the 1-D view's scatters and curves, by name
        self._region: pg.ImageItem | None = None  # the 2-D view's decision regions
        self._class_items: list[pg.ScatterPlotItem] = []  # and its points, one item per class
        self.main_plot = self._use_plot("none", "Fit")
        apply_palette(self)
        QTimer.singleShot(0, self, self._prebuild)  # the other views: once the window is idle

    # -- data set --------------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        """Choose the view for ``dataset`` and draw its data (no model yet)."""
        self.clear_earlier_fits()  # they fit the data set before
        self.prediction_curve = self.true_curve = None
        self.region_image = self.confusion_image = None
        self._dataset = dataset
        shape = tuple(dataset.input_shape)
        if dataset.kind == "regression" and shape == (1,):
            self.mode = "1d"
            self._setup_1d(dataset)
        elif dataset.kind == "classification" and shape == (2,):
            self.mode = "2d"
            self._setup_2d(dataset)
        elif dataset.kind == "classification":
            self.mode = "confusion"
            self._setup_confusion(dataset)
        else:
            self.mode = "none"
            self.main_plot = self._use_plot("none", "Fit")
            self.main_plot.setTitle(f"No fit view for input shape {shape}", size="9pt")
        # Frame the data once and keep the view still: autorange every frame re-reads every
        # item's bounds and re-lays the axes, and a steady view is easier to watch anyway.
        self.main_plot.autoRange()
        self.main_plot.disableAutoRange()
        self._shown_fit = {}
        self._framed = None
        apply_palette(self)

    def _view(self, mode: str) -> pg.PlotItem:
        """Mode ``mode``'s plot with its lasting items, built on first use."""
        plot = self._plots.get(mode)
        if plot is not None:
            return plot
        if mode == "1d":
            plot = pg.PlotItem(title="Fit: data and prediction")
            plot.showGrid(x=True, y=True, alpha=0.25)
            self.legend = add_legend(plot)  # a row above the data (style.add_legend)
            items = self._items_1d
            for name, color in (("train", TRAIN_COLOR), ("validation", VAL_COLOR)):
                brush = pg.mkBrush(*color, 140)
                items[name] = cached(pg.ScatterPlotItem(size=5, pen=None, brush=brush, name=name))
            items["true function"] = cached(pg.PlotDataItem(name="true function"))
            items["model"] = make_curve(pg.mkPen(PRED_COLOR, width=3), "model")
            for item in items.values():
                plot.addItem(item)
        elif mode == "2d":
            plot = pg.PlotItem(title="Decision regions")
            self._region = pg.ImageItem()
            self._region.setZValue(-20)
            plot.addItem(self._region)
        elif mode == "confusion":
            self.confusion = ConfusionView(self._text_color())
            plot = self.confusion.plot
        else:
            plot = pg.PlotItem(title="Fit")
        self._plots[mode] = plot
        return plot

    def _prebuild(self) -> None:
        """Build the views not built yet, one per turn of the event loop, while the window
        is idle after it opens: the first data set of each kind then only fills one."""
        for mode in ("1d", "2d", "confusion"):
            if mode not in self._plots:
                self._view(mode)
                QTimer.singleShot(0, self, self._prebuild)
                return

    def _use_plot(
        self, mode: str, title: str, extra: Any = None, keep_items: bool = False
    ) -> pg.PlotItem:
        """Show mode ``mode``'s plot (emptied unless ``keep_items``), and ``extra`` under it."""
        plot = self._view(mode)
        if not keep_items:
            plot.clear()  # its data items (and their legend entries); axes stay
        wanted = [plot] if extra is None else [plot, extra]
        if list(self.ci.items) != wanted:
            self.clear()
            self.addItem(plot, row=0, col=0)
            if extra is not None:
                self.addItem(extra, row=1, col=0)
                self.ci.layout.setRowStretchFactor(0, 4)
                self.ci.layout.setRowStretchFactor(1, 1)
        return plot

    def _setup_1d(self, ds: Any) -> None:
        plot = self.main_plot = self._use_plot("1d", "Fit: data and prediction", keep_items=True)
        items = self._items_1d  # built once (_view); each data set refills them
        names = getattr(ds, "feature_names", None)
        plot.setLabel("bottom", names[0] if names else "x")
        plot.setLabel("left", getattr(ds, "target_name", None) or "y")
        # the user's units, not the network's (a CSV is standardised for training)
        # A few thousand points draw the same cloud, faster; one stride for both sets keeps
        # their proportions.
        keep = thinned(len(ds.x_train))
        for name, x, y in (
            ("train", _user_x(ds, ds.x_train), _user_y(ds, ds.y_train)),
            ("validation", _user_x(ds, ds.x_val), _user_y(ds, ds.y_val)),
        ):
            items[name].setData(np.ravel(x[keep]), np.ravel(y[keep, 0]))
        if ds.x_range is not None:
            lo, hi = ds.x_range
        else:
            lo, hi = float(np.min(ds.x_train)), float(np.max(ds.x_train))
        truth_item = items["true function"]
        if ds.true_fn is not None:  # synthetic sets only: their units are the network's
            grid = np.linspace(lo, hi, 400, dtype=np.float32)
            truth = np.asarray(ds.true_fn(grid.reshape(-1, 1))).reshape(len(grid), -1)[:, 0]
            truth_item.setData(grid, truth)
            truth_item.setPen(pg.mkPen(self._text_color(), width=1.5, style=Qt.PenStyle.DashLine))
            self.true_curve = truth_item
        else:
            truth_item.setData([], [])
        legend = plot.legend
        listed = [sample.item for sample, _ in legend.items]
        wanted = [i for i in items.values() if i is not truth_item or self.true_curve is not None]
        if listed != wanted:  # a table has no true function: no legend entry for it
            legend.clear()
            for item in wanted:
                legend.addItem(item, item.name())
        self.prediction_curve = items["model"]
        self.prediction_curve.setData([], [])

    def _setup_2d(self, ds: Any) -> None:
        plot = self.main_plot = self._use_plot("2d", "Decision regions", keep_items=True)
        assert self._region is not None  # (built with the view)
        self._region.clear()  # no regions until a model is drawn for this data set
        self.region_image = self._region
        pre = getattr(ds, "preprocessing", None)
        plot.setAspectLocked(pre is None or not pre.has_input)  # user units: own scale per axis
        names = getattr(ds, "feature_names", None) or ["x₁", "x₂"]
        plot.setLabel("bottom", names[0])
        plot.setLabel("left", names[1])
        x = _user_x(ds, ds.x_train)
        y = np.asarray(ds.y_train).ravel().astype(int)
        pen = pg.mkPen(self._text_color(), width=0.5)
        fill_class_scatters(self._class_items, plot, x, y, size=6, alpha=220, pen=pen)

    def _setup_confusion(self, ds: Any) -> None:
        self._view("confusion")
        assert self.confusion is not None
        view = self.confusion
        view.text_color = self._text_color()
        view.set_dataset(ds)
        # a table (a CSV, iris...) has no images to show: the matrix only
        samples = view.samples if view.has_samples else None
        self.main_plot = self._use_plot("confusion", "", samples, keep_items=True)
        self.confusion_image = view.image

    def _text_color(self) -> str:
        # A '#rrggbb' string, not a QColor or QColor.getRgb(): with those, PySide6 6.12
        # aborted at interpreter exit (bool_dealloc, a refcount error); a string is safe.
        return role_color(QPalette.ColorRole.Text).name()

    # -- runs ------------------------------------------------------------------------------
    # Compare Rates trains four rates: each of their fits stays, so "0.01 fits, 1 misbehaves"
    # can be seen side by side; more read as clutter (the loss plot and Runs tab keep all).
    MAX_EARLIER = 4

    def keep_fit_as_earlier(self, label: str, color: tuple[int, int, int]) -> None:
        """Keep the prediction on screen as a faded curve of an earlier run (1-D fits).

        Each earlier fit keeps its run's colour and name; at most :attr:`MAX_EARLIER` stay
        (the loss plot and the runs table keep every run).
        Decision regions of earlier runs are not overlaid: blended images on top of each other
        read as mud; the runs table and loss curves compare classifiers instead.
        """
        if self.mode != "1d" or self.prediction_curve is None:
            return
        x, y = self.prediction_curve.getData()
        if x is None or not len(x) or not np.isfinite(y).any():
            return
        ghost = make_curve(pg.mkPen((*color, 110), width=1.5), label)
        ghost.setZValue(-5)
        ghost.setData(np.array(x, copy=True), np.array(y, copy=True))
        self.main_plot.addItem(ghost)
        self.earlier_fits.append(ghost)
        while len(self.earlier_fits) > self.MAX_EARLIER:
            old = self.earlier_fits.pop(0)
            self.main_plot.removeItem(old)
            if self.main_plot.legend is not None:
                self.main_plot.legend.removeItem(old)

    def clear_earlier_fits(self) -> None:
        for ghost in self.earlier_fits:
            self.main_plot.removeItem(ghost)
            if self.main_plot.legend is not None:
                self.main_plot.legend.removeItem(ghost)
        self.earlier_fits.clear()

    def clear_prediction(self) -> None:
        """Take the model's prediction off (its weights changed: a new one follows)."""
        if self.prediction_curve is not None:
            self.prediction_curve.setData([], [])
        self._shown_fit = {}

    # -- snapshots -------------------------------------------------------------------------
    @Slot(object)
    def update_snapshot(self, snap: Any) -> None:
        """Show the model's fit from ``snap`` (deferred while the view is hidden)."""
        if not (self.isVisible() or not self.window().isVisible()):
            self._pending = snap  # hidden in a shown window: draw when shown
            return
        self._pending = None
        fit = snap.fit or {}
        if self.mode == "1d" and "x" in fit and "y" in fit:
            if self._changed(fit, ("x", "y")):
                x = np.ravel(np.asarray(fit["x"], dtype=np.float64))
                y = np.asarray(fit["y"], dtype=np.float64).reshape(len(x), -1)
                x = np.ravel(_user_x(self._dataset, x.reshape(-1, 1)))
                self.prediction_curve.setData(x, _user_y(self._dataset, y)[:, 0])
        elif self.mode == "2d" and "probs" in fit:
            if self._changed(fit, ("probs", "xx", "yy")):
                self._show_regions(fit)
        elif self.mode == "confusion":
            if snap.confusion is not None and self._changed({"cm": snap.confusion}, ("cm",)):
                self._show_confusion(np.asarray(snap.confusion))
            samples = getattr(snap, "samples", None)
            if samples and "pred" in samples and self._changed(samples, ("pred",)):
                self._show_samples(np.asarray(samples["pred"]).ravel())

    def _changed(self, data: dict, keys: tuple[str, ...]) -> bool:
        """True when any of ``keys`` differs from what is on screen (then remember it)."""
        new = {k: np.asarray(data[k]) for k in keys}
        if all(
            k in self._shown_fit and np.array_equal(self._shown_fit[k], v) for k, v in new.items()
        ):
            return False
        self._shown_fit.update({k: v.copy() for k, v in new.items()})
        return True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._pending is not None:
            self.update_snapshot(self._pending)

    def _show_regions(self, fit: dict) -> None:
        rgba = decision_image(fit["probs"])
        xx = np.asarray(fit["xx"], dtype=np.float64)
        yy = np.asarray(fit["yy"], dtype=np.float64)
        corners = np.array([[xx.min(), yy.min()], [xx.max(), yy.max()]])
        (x0, y0), (x1, y1) = _user_x(self._dataset, corners)  # affine per axis: corners map
        # ImageItem indexes [x, y]; probs rows follow y (meshgrid 'xy' order).
        self.region_image.setImage(np.transpose(rgba, (1, 0, 2)), autoLevels=False)
        h, w = rgba.shape[:2]
        # Pixel centres sit on the grid, so widen the rectangle by half a cell on each side.
        dx = (x1 - x0) / max(w - 1, 1)
        dy = (y1 - y0) / max(h - 1, 1)
        rect = QRectF(x0 - dx / 2, y0 - dy / 2, x1 - x0 + dx, y1 - y0 + dy)
        self.region_image.setRect(rect)
        if rect != self._framed:
            self.main_plot.setRange(rect, padding=0)  # frame the grid once, not every frame
            self._framed = rect

    def _show_confusion(self, cm: np.ndarray) -> None:
        if self.confusion is not None:
            self.confusion.show_confusion(cm)

    def _show_samples(self, pred: np.ndarray | None) -> None:
        if self.confusion is not None:
            self.confusion.show_samples(pred)


def _user_x(ds: Any, x: np.ndarray) -> np.ndarray:
    """Network inputs in the user's units (``Dataset.inputs_to_user``; as they are without)."""
    to_user = getattr(ds, "inputs_to_user", None)
    return np.asarray(to_user(x) if to_user is not None else x, dtype=np.float64)


def _user_y(ds: Any, y: np.ndarray) -> np.ndarray:
    """Regression targets or outputs in the target's units (``Dataset.outputs_to_user``)."""
    to_user = getattr(ds, "outputs_to_user", None)
    y = np.asarray(y, dtype=np.float64)
    out = np.asarray(to_user(y) if to_user is not None else y, dtype=np.float64)
    return out.reshape(len(out), -1)
