"""Live training plots: loss, accuracy and the model's fit.

The plots never see engine tensors: they read plain numpy ``Snapshot`` objects (see
``neurocanvas.core.training.trainer``). Snapshots can arrive far faster than a screen can redraw, so
:class:`LatestSnapshot` coalesces them and hands out only the newest one on a ~30 ms timer;
every plot then updates its curves with ``setData`` on preallocated buffers (pyqtgraph's
``scrollingPlots`` example), which keeps a redraw cheap however long the run gets.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QObject, QRectF, Qt, QTimer, Signal, Slot
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QGraphicsItem, QLabel

__all__ = [
    "CLASS_COLORS",
    "AccuracyPlot",
    "EnvelopeDecimator",
    "FitPlot",
    "GrowingBuffer",
    "LatestSnapshot",
    "LossPlot",
    "apply_palette",
]

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
TRAIN_COLOR = (0, 114, 178)
VAL_COLOR = (230, 159, 0)
PRED_COLOR = (213, 94, 0)
MARKER_COLOR = (204, 121, 167)


def _palette() -> QPalette:
    app = QApplication.instance()
    return app.palette() if app is not None else QPalette()


def _role_color(role: QPalette.ColorRole) -> QColor:
    """A copy of a palette colour.

    ``QPalette.color`` returns a reference into the palette; keeping it after the palette copy
    is gone leaves a dangling colour (it crashed the interpreter at exit), so copy it.
    """
    pal = _palette()
    return QColor(pal.color(role))


def apply_palette(widget: pg.PlotWidget | pg.GraphicsLayoutWidget) -> None:
    """Give a pyqtgraph widget the system's colours, so plots match a light or dark desktop."""
    widget.setBackground(_role_color(QPalette.ColorRole.Base))
    text = _role_color(QPalette.ColorRole.Text)
    items = (
        [widget.getPlotItem()]
        if isinstance(widget, pg.PlotWidget)
        else [i for i in widget.ci.items if isinstance(i, pg.PlotItem)]
    )
    for item in items:
        _style_plot_item(item, text)


def _cached(item: QGraphicsItem) -> QGraphicsItem:
    """Render ``item`` once into a pixmap and blit it until the item itself changes.

    A curve that moves every frame repaints everything under it. Axes (with their grid lines
    and tick text) and still data points would be redrawn in Python each time, holding the
    GIL the trainer needs; cached, they are a plain pixmap copy until their range changes.
    """
    item.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
    return item


def _style_plot_item(item: pg.PlotItem, text: QColor) -> None:
    for name in ("left", "bottom"):
        axis = _cached(item.getAxis(name))
        axis.setPen(pg.mkPen(text))
        axis.setTextPen(pg.mkPen(text))
    if item.titleLabel is not None:
        item.titleLabel.setAttr("color", text.name())


def _is_dark() -> bool:
    return _role_color(QPalette.ColorRole.Base).lightness() < 128


class GrowingBuffer:
    """A preallocated (x, y) buffer that doubles when full.

    ``setData`` on a view of it costs no reallocation per point, so a curve of a long run
    stays cheap to extend.
    """

    def __init__(self, capacity: int = 1024) -> None:
        self._x = np.empty(capacity, dtype=np.float64)
        self._y = np.empty(capacity, dtype=np.float64)
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def set_tail(self, start: int, x: np.ndarray, y: np.ndarray) -> None:
        """Write ``x``, ``y`` from index ``start`` on (earlier points stay untouched)."""
        end = start + len(x)
        if end > len(self._x):
            cap = max(end, 2 * len(self._x))
            self._x = np.resize(self._x, cap)
            self._y = np.resize(self._y, cap)
        self._x[start:end] = x
        self._y[start:end] = y
        self._n = end

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self._x[: self._n], self._y[: self._n]

    def clear(self) -> None:
        self._n = 0


class EnvelopeDecimator:
    """A long noisy series reduced to at most ``max_points`` points, kept up to date cheaply.

    Drawing every step of a long run costs the GUI thread (and, through the GIL, the
    trainer) more each frame. The series is cut into buckets of ``width`` samples; each
    finished bucket keeps the samples holding its minimum and maximum, in their order, so
    the curve's envelope (spikes included) survives. When there are more than
    ``max_points // 2`` buckets, neighbours merge pairwise and the width doubles, so each new
    point costs O(1) amortised and a frame never re-reads the whole history. The unfinished
    last bucket contributes its min, max and latest sample, so the newest value is always
    shown. NaN samples (gaps, e.g. a diverged loss) only show when a whole bucket is NaN.
    """

    def __init__(self, max_points: int = 1000) -> None:
        if max_points < 8:
            raise ValueError(f"EnvelopeDecimator: max_points must be >= 8, got {max_points}")
        self.max_buckets = max_points // 2 - 2  # room for the unfinished bucket's points
        self.width = 1
        self._raw = GrowingBuffer()
        self._lo = np.empty(0, dtype=np.int64)  # raw index of each bucket's minimum
        self._hi = np.empty(0, dtype=np.int64)  # raw index of each bucket's maximum

    def __len__(self) -> int:
        return len(self._raw)

    def extend(self, x: np.ndarray, y: np.ndarray) -> None:
        """Append samples (``x`` increasing)."""
        self._raw.set_tail(len(self._raw), np.asarray(x, float), np.asarray(y, float))
        self._absorb()

    def clear(self) -> None:
        self._raw.clear()
        self.width = 1
        self._lo = self._lo[:0]
        self._hi = self._hi[:0]

    def _absorb(self) -> None:
        _, y = self._raw.view()
        done = len(self._lo) * self.width
        k = (len(y) - done) // self.width
        if k:
            lo, hi = _bucket_extremes(y[done : done + k * self.width], self.width)
            self._lo = np.concatenate([self._lo, lo + done])
            self._hi = np.concatenate([self._hi, hi + done])
        while len(self._lo) > self.max_buckets:
            self._merge()

    def _merge(self) -> None:
        """Halve the bucket count: pairs merge, an odd last bucket goes back to the tail."""
        _, y = self._raw.view()
        pairs = len(self._lo) // 2
        lo_a, lo_b = self._lo[0 : 2 * pairs : 2], self._lo[1 : 2 * pairs : 2]
        hi_a, hi_b = self._hi[0 : 2 * pairs : 2], self._hi[1 : 2 * pairs : 2]
        # A NaN never wins against a number (comparisons with NaN are False).
        self._lo = np.where((y[lo_b] < y[lo_a]) | np.isnan(y[lo_a]), lo_b, lo_a)
        self._hi = np.where((y[hi_b] > y[hi_a]) | np.isnan(y[hi_a]), hi_b, hi_a)
        self.width *= 2
        self._absorb()

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The points to draw, in x order: at most ``max_points``."""
        x, y = self._raw.view()
        idx = np.sort(np.stack([self._lo, self._hi], axis=1), axis=1).ravel()
        start = len(self._lo) * self.width
        if start < len(y):
            lo, hi = _bucket_extremes(y[start:], len(y) - start)
            idx = np.concatenate([idx, np.sort([lo[0] + start, hi[0] + start])])
        if len(y):  # the newest sample, whatever bucket it ends
            idx = np.append(idx, len(y) - 1)
            idx = idx[np.r_[True, np.diff(idx) > 0]]  # no sample twice
        return x[idx], y[idx]


def _bucket_extremes(y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Index (within each row of ``width`` samples) of the row's min and max, NaN-safe."""
    rows = y.reshape(-1, width)
    nan = np.isnan(rows)
    lo = np.argmin(np.where(nan, np.inf, rows), axis=1)
    hi = np.argmax(np.where(nan, -np.inf, rows), axis=1)
    base = np.arange(len(rows)) * width
    return lo + base, hi + base


class LatestSnapshot(QObject):
    """Coalesce snapshots: keep only the newest and emit it at most once per tick.

    Connect the worker's ``snapshot`` signal to :meth:`push` (a queued connection from the
    worker thread) and the plots to :attr:`updated`. The timer only runs while something is
    waiting, so an idle app does not wake up 30 times a second.
    """

    updated = Signal(object)

    def __init__(self, interval_ms: int = 30, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self.emitted = 0

    @Slot(object)
    def push(self, snapshot: Any) -> None:
        self._latest = snapshot
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit the pending snapshot now (a run's final snapshot must not wait a tick)."""
        self._tick()

    def _tick(self) -> None:
        snap, self._latest = self._latest, None
        if snap is None:
            self._timer.stop()
            return
        self.emitted += 1
        self.updated.emit(snap)


def _log_losses(y: np.ndarray) -> np.ndarray:
    """log10 of losses, once per new point; non-finite or <= 0 (diverged) become NaN gaps.

    The loss plot holds log10 values itself instead of using pyqtgraph's log mode, which
    re-transforms every curve's whole array on each redraw.
    """
    y = np.asarray(y, dtype=np.float64)
    ok = np.isfinite(y) & (y > 0)
    out = np.full(y.shape, np.nan)
    np.log10(y, out=out, where=ok)
    return out


def _curve(pen: Any, name: str | None = None) -> pg.PlotDataItem:
    # Few points per curve (see EnvelopeDecimator), so no downsampling or clipping pass.
    return pg.PlotDataItem(pen=pen, name=name, connect="finite", skipFiniteCheck=False)


def _legend(
    item: pg.PlotItem, offset: tuple[int, int] = (-8, 8), columns: int = 1
) -> pg.LegendItem:
    """A legend in the palette's text colour on a translucent panel, readable over data."""
    base = _role_color(QPalette.ColorRole.Base)
    base.setAlpha(210)
    return item.addLegend(
        offset=offset,
        colCount=columns,
        labelTextSize="8pt",
        labelTextColor=_role_color(QPalette.ColorRole.Text).name(),
        brush=pg.mkBrush(base),
        pen=pg.mkPen(_role_color(QPalette.ColorRole.Mid).name()),
    )


class _PlotBase(pg.PlotWidget):
    """Title, grid, legend, palette colours and a placeholder text shown while empty.

    Ranges are set by the subclasses (:meth:`_follow_range`) rather than by pyqtgraph's
    autorange, which recomputes every item's bounds and re-lays the axes on each frame. Once
    a person pans or zooms, the plot stops following until the "A" (auto range) button.
    Drawing is skipped while the plot is hidden in a shown window (another tab, a closed
    dock) and caught up when it is shown again.

    pyqtgraph's ``PlotWidget.__init__`` assigns ``self.clear`` on the instance, so a method
    of that name here would be hidden: subclasses use ``reset()``.
    """

    placeholder_text = ""
    placeholder: QLabel | None = None  # (a class default: Qt may resize before it exists)

    def __init__(self, title: str, parent=None, axis_items: dict | None = None) -> None:
        super().__init__(parent, axisItems=axis_items)
        self.setMinimumSize(240, 160)
        item = self.getPlotItem()
        item.setTitle(title, size="10pt")
        item.showGrid(x=True, y=True, alpha=0.25)
        self.legend = _legend(item)
        apply_palette(self)
        # Fixed axis sizes: an axis that resizes to fit its tick labels (the first ones, or
        # the placeholder hiding them) re-lays the whole plot, and re-renders every cached
        # item, one frame later.
        item.getAxis("left").setWidth(56)
        item.getAxis("bottom").setHeight(38)
        vb = item.getViewBox()
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._stop_following)
        self._following = True
        self._shown_range: tuple[float, float, float, float] | None = None
        self._stale = False
        self.placeholder = QLabel(self.placeholder_text, self)
        self.placeholder.setObjectName("plotPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.setEnabled(False)  # the disabled colour reads as secondary text
        self._empty: bool | None = None
        self._set_empty(True)

    # -- placeholder ----------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self.placeholder.isHidden()

    def _set_empty(self, empty: bool) -> None:
        """Show the placeholder instead of bare axes (a log axis with no data shows 2..9)."""
        if empty == self._empty:
            return
        self._empty = empty
        self.placeholder.setVisible(empty)
        item = self.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setStyle(showValues=not empty)
        self.legend.setVisible(not empty)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.placeholder is not None:
            self.placeholder.setGeometry(self.rect().adjusted(20, 20, -20, -20))

    # -- drawing only when seen -----------------------------------------------------------
    def _can_draw(self) -> bool:
        """False while hidden inside a shown window; an unshown widget (tests) still draws."""
        return self.isVisible() or not self.window().isVisible()

    def _request_draw(self) -> None:
        if self._can_draw():
            self._stale = False
            self._draw()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._draw()

    def _draw(self) -> None:
        raise NotImplementedError

    # -- ranges ---------------------------------------------------------------------------
    def _stop_following(self, *_: Any) -> None:
        self._following = False

    def _follow_range(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Show this range unless a person has taken over; only touch the view on change."""
        vb = self.getPlotItem().getViewBox()
        if any(vb.autoRangeEnabled()):
            # The "A" button: follow the data again, at our own (cheaper) pace.
            vb.disableAutoRange()
            self._following = True
            self._shown_range = None
        if not self._following:
            return
        wanted = (x0, x1, y0, y1)
        if wanted != self._shown_range:
            self._shown_range = wanted
            vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _resume_following(self) -> None:
        self._following = True
        self._shown_range = None


def _nice_log_range(lo: float, hi: float) -> tuple[float, float]:
    """Outward to whole decades: the view (and the axes) change only a few times a run."""
    lo, hi = np.floor(lo), np.ceil(hi)
    if hi - lo < 1:
        hi = lo + 1
    return float(lo - 0.02), float(hi + 0.02)


def _nice_steps(n: int) -> float:
    """The x extent: the run's planned steps, rounded so it rarely changes."""
    n = max(n, 10)
    mag = 10 ** np.floor(np.log10(n))
    return float(np.ceil(n / (mag / 4)) * (mag / 4))


class LossAxis(pg.AxisItem):
    """A log axis whose labels never crowd: decades, plus 2 and 5 when fewer than three
    decades are in view. pyqtgraph labels every minor tick (0.02, 0.03, ... 0.09), which
    overlap. (Labels at the very edges are dropped by pyqtgraph, so a two-decade view would
    otherwise show a single label.)"""

    def logTickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        strings = super().logTickStrings(values, scale, spacing)
        lo, hi = self.range
        wanted = (1,) if abs(hi - lo) > 2.5 else (1, 2, 5)
        out = []
        for value, text in zip(values, strings, strict=True):
            mantissa = 10 ** (value - np.floor(value + 1e-9))
            keep = any(abs(mantissa - m) < 1e-6 * m for m in wanted)
            out.append(text if keep else "")
        return out


class LossPlot(_PlotBase):
    """Train and validation loss per step on a log axis, with lr-change markers.

    The x axis is the optimizer step, since that is where an lr change acts. Per-epoch
    losses are drawn at the step where their epoch ended (as first seen in a snapshot).
    Earlier runs stay as faded curves so that two learning rates can be compared.

    The curves hold log10(loss) (computed once per new point) under an axis labelled in
    decades; the per-step loss is reduced by an :class:`EnvelopeDecimator` so a frame costs
    the same after a million steps as after a hundred. :meth:`step_data` and
    :meth:`epoch_data` give the values back in loss units.
    """

    placeholder_text = "Press Train to see the loss fall"
    max_points = 1000

    def __init__(self, parent=None) -> None:
        super().__init__("Loss", parent, axis_items={"left": LossAxis("left")})
        self.setObjectName("lossPlot")
        item = self.getPlotItem()
        # The data are log10 already: only the axis is in log mode (decade ticks, 10^k labels).
        item.getAxis("left").setLogMode(False, True)
        # SI prefixes on a log axis turn 10^-1 into "10^-16 (x1e+15)"; show plain decades.
        item.getAxis("left").enableAutoSIPrefix(False)
        item.setLabel("bottom", "step")
        item.setLabel("left", "loss")
        self._steps = EnvelopeDecimator(self.max_points)
        # Epoch curves are decimated too: general-fit runs 10 steps per epoch, so a long run
        # has 100,000 epochs, and drawing each one made every frame slower than the last.
        self._train_buf = EnvelopeDecimator(self.max_points)
        self._val_buf = EnvelopeDecimator(self.max_points)
        self._epoch_steps: list[float] = []
        self._epoch_anchor: tuple[int, int] = (0, 0)  # (completed epochs, step) last seen
        self._y_bounds = (np.inf, -np.inf)  # log10 range of everything drawn this run
        self._total_steps = 0
        # Per-step losses are noisy: a faint line under the per-epoch curves.
        self.step_curve = _curve(pg.mkPen((*TRAIN_COLOR, 45), width=1))
        self.train_curve = _curve(pg.mkPen(TRAIN_COLOR, width=2.5), "train")
        self.val_curve = _curve(pg.mkPen(VAL_COLOR, width=2.5), "validation")
        for c in (self.step_curve, self.train_curve, self.val_curve):
            item.addItem(c)
        self.markers: list[pg.InfiniteLine] = []
        self._marked: set[tuple[int, float]] = set()
        self._marker_info: list[tuple[int, float]] = []
        self.faded: list[pg.PlotDataItem] = []
        self._faded_bounds: list[tuple[float, float, float]] = []  # (steps, lo, hi) in log10
        self._last_step = -1
        self._run_label = ""

    # -- runs ---------------------------------------------------------------------------
    def begin_run(self, label: str = "") -> None:
        """Fade the current run (if it has data) and start a fresh one."""
        x, y = self._steps.view()
        if len(x):
            alpha = 70
            pen = pg.mkPen((*((200, 200, 200) if _is_dark() else (90, 90, 90)), alpha), width=1)
            ghost = _curve(pen, f"earlier: {self._run_label}" if self._run_label else None)
            ghost.setZValue(-10)
            self.getPlotItem().addItem(ghost)
            ghost.setData(x.copy(), y.copy())  # the decimated curve: cheap to keep drawing
            self.faded.append(ghost)
            # A diverged earlier run must not stretch the axis: only its finite part counts.
            finite = y[np.isfinite(y)]
            if len(finite):
                self._faded_bounds.append((float(x[-1]), float(finite.min()), float(finite.max())))
        for line in self.markers:
            self.getPlotItem().removeItem(line)
        self.markers.clear()
        self._marked.clear()
        self._marker_info.clear()
        self._steps.clear()
        for buf in (self._train_buf, self._val_buf):
            buf.clear()
        self._epoch_steps.clear()
        self._epoch_anchor = (0, 0)
        self._y_bounds = (np.inf, -np.inf)
        self._total_steps = 0
        self._last_step = -1
        self._run_label = label
        self._resume_following()
        self._request_draw()

    def clear_history(self) -> None:
        """Remove the faded curves of earlier runs."""
        for ghost in self.faded:
            self.getPlotItem().removeItem(ghost)
            self.legend.removeItem(ghost)
        self.faded.clear()
        self._faded_bounds.clear()
        self._resume_following()
        self._request_draw()

    def reset(self) -> None:
        """Drop the current run and the earlier ones: back to the placeholder."""
        self.begin_run()
        self.clear_history()

    # -- data ---------------------------------------------------------------------------
    @Slot(object)
    def update_snapshot(self, snap: Any) -> None:
        """Show ``snap``; a step counter that went backwards means a new run began."""
        if snap.step < self._last_step:
            self.begin_run(self._run_label)
        self._last_step = snap.step
        self._total_steps = max(int(snap.total_steps or 0), int(snap.step))
        n_old = len(self._steps)
        if len(snap.step_loss) > n_old:
            new = _log_losses(snap.step_loss[n_old:])
            self._steps.extend(np.arange(n_old + 1, len(snap.step_loss) + 1), new)
            self._grow_bounds(new)
        n_epochs = max(len(snap.train_loss), len(snap.val_loss))
        self._place_epochs(n_epochs, snap.epoch, snap.step)
        for buf, values in ((self._train_buf, snap.train_loss), (self._val_buf, snap.val_loss)):
            n_old = len(buf)
            if len(values) > n_old:  # epoch losses only ever grow within a run
                new = _log_losses(values[n_old:])
                # Only the new epochs' positions: converting the whole list was O(epochs).
                buf.extend(np.asarray(self._epoch_steps[n_old : len(values)]), new)
                self._grow_bounds(new)
        # Dragging the slider sends a change on many consecutive steps; one marker per burst
        # (showing the rate it settled on) keeps the labels readable.
        gap = max(3, int(0.01 * max(snap.total_steps, snap.step)))
        for step, lr in snap.lr_changes:
            if step > 0:  # (0, lr) is the starting rate, not a change during the run
                self._add_marker(int(step), float(lr), gap)
        self._request_draw()

    def _grow_bounds(self, log_y: np.ndarray) -> None:
        finite = log_y[np.isfinite(log_y)]
        if len(finite):
            lo, hi = self._y_bounds
            self._y_bounds = (min(lo, float(finite.min())), max(hi, float(finite.max())))

    def step_data(self) -> tuple[np.ndarray, np.ndarray]:
        """The per-step loss as drawn (decimated), in loss units."""
        x, y = self._steps.view()
        return x, 10.0**y

    def epoch_data(self, which: str = "train") -> tuple[np.ndarray, np.ndarray]:
        """Per-epoch ``"train"`` or ``"validation"`` loss as drawn, in loss units."""
        buf = {"train": self._train_buf, "validation": self._val_buf}[which]
        x, y = buf.view()
        return x, 10.0**y

    def _place_epochs(self, n_epochs: int, epoch: int, step: int) -> None:
        """Give each newly finished epoch the step where it ended.

        Snapshots are coalesced, so several epochs may finish between two of them; their end
        steps are interpolated between the last known (epoch, step) and this one, which is
        exact while the batch size stays the same.
        """
        prev_epoch, prev_step = self._epoch_anchor
        while len(self._epoch_steps) < n_epochs:
            k = len(self._epoch_steps) + 1  # this epoch's number (1-based)
            if epoch > prev_epoch:
                x = prev_step + (k - prev_epoch) * (step - prev_step) / (epoch - prev_epoch)
            else:
                x = float(step)
            self._epoch_steps.append(float(max(x, 1.0)))
        if epoch > prev_epoch:
            self._epoch_anchor = (epoch, step)

    def _add_marker(self, step: int, lr: float, gap: int = 0) -> None:
        if (step, lr) in self._marked:
            return
        self._marked.add((step, lr))
        if self._marker_info and 0 <= step - self._marker_info[-1][0] <= gap:
            first_step = self._marker_info[-1][0]
            self._marker_info[-1] = (first_step, lr)
            self.markers[-1].label.setFormat(f"lr {lr:.3g}")
            self.markers[-1].setToolTip(f"learning rate set to {lr:.4g} at step {step}")
            return
        text = self._palette_text()
        # Stagger label heights so that neighbouring markers do not print over each other.
        height = (0.95, 0.8, 0.65)[len(self.markers) % 3]
        line = pg.InfiniteLine(
            pos=step,
            angle=90,
            movable=False,
            pen=pg.mkPen(MARKER_COLOR, width=1, style=Qt.PenStyle.DashLine),
            label=f"lr {lr:.3g}",
            # pyqtgraph picks the anchor on the side of the line with more room, so a label
            # at the right edge of a live plot (where a fresh change sits) stays visible.
            labelOpts={"position": height, "color": text, "anchors": [(0, 0), (1, 0)]},
        )
        line.setToolTip(f"learning rate set to {lr:.4g} at step {step}")
        self.getPlotItem().addItem(line, ignoreBounds=True)
        self.markers.append(line)
        self._marker_info.append((step, lr))

    def _palette_text(self) -> str:
        return _role_color(QPalette.ColorRole.Text).name()

    def _draw(self) -> None:
        self.step_curve.setData(*self._steps.view())
        self.train_curve.setData(*self._train_buf.view())
        self.val_curve.setData(*self._val_buf.view())
        lo, hi = self._y_bounds
        steps = self._total_steps
        for n, f_lo, f_hi in self._faded_bounds:
            lo, hi, steps = min(lo, f_lo), max(hi, f_hi), max(steps, int(n))
        self._set_empty(not np.isfinite(lo))
        if np.isfinite(lo):
            self._follow_range(0.0, _nice_steps(steps), *_nice_log_range(lo, hi))

    def marker_positions(self) -> list[tuple[int, float]]:
        """(step, lr) of the markers drawn, in order (for tests and automation)."""
        return list(self._marker_info)


class AccuracyPlot(_PlotBase):
    """Train and validation accuracy per epoch, for classifiers."""

    placeholder_text = "Press Train to see the accuracy rise"

    def __init__(self, parent=None) -> None:
        super().__init__("Accuracy", parent)
        self.setObjectName("accuracyPlot")
        item = self.getPlotItem()
        item.setLabel("bottom", "epoch")
        item.setLabel("left", "accuracy")
        self.train_curve = _curve(pg.mkPen(TRAIN_COLOR, width=2), "train")
        self.val_curve = _curve(pg.mkPen(VAL_COLOR, width=2), "validation")
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
            self._follow_range(0.5, _nice_steps(max(n, self._epochs)) + 0.5, 0.0, 1.02)


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
    base = 30.0 if _is_dark() else 255.0
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
        self._confusion_text: list[pg.TextItem] = []
        self._sample_items: list[tuple[pg.ImageItem, pg.TextItem]] = []
        self._dataset: Any = None
        self._pending: Any = None  # a snapshot that arrived while hidden
        self._shown_fit: dict[str, np.ndarray] = {}
        self._framed: QRectF | None = None
        self.main_plot = self.addPlot(title="Fit")
        apply_palette(self)

    # -- data set --------------------------------------------------------------------------
    def set_dataset(self, dataset: Any) -> None:
        """Choose the view for ``dataset`` and draw its data (no model yet)."""
        self.clear()
        self._confusion_text = []
        self._sample_items = []
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
            self.main_plot = self.addPlot(title="Fit")
            self.main_plot.setTitle(f"No fit view for input shape {shape}", size="9pt")
        # Frame the data once and keep the view still: autorange every frame re-reads every
        # item's bounds and re-lays the axes, and a steady view is easier to watch anyway.
        self.main_plot.autoRange()
        self.main_plot.disableAutoRange()
        self._shown_fit = {}
        self._framed = None
        apply_palette(self)

    def _setup_1d(self, ds: Any) -> None:
        plot = self.main_plot = self.addPlot(title="Fit: data and prediction")
        plot.showGrid(x=True, y=True, alpha=0.25)
        _legend(plot, offset=(8, 4), columns=4)  # one slim row, top left: covers little data
        names = getattr(ds, "feature_names", None)
        plot.setLabel("bottom", names[0] if names else "x")
        plot.setLabel("left", getattr(ds, "target_name", None) or "y")
        # the user's units, not the network's (a CSV is standardised for training)
        for x, y, color, name in (
            (_user_x(ds, ds.x_train), _user_y(ds, ds.y_train), TRAIN_COLOR, "train"),
            (_user_x(ds, ds.x_val), _user_y(ds, ds.y_val), VAL_COLOR, "validation"),
        ):
            scatter = _cached(
                pg.ScatterPlotItem(
                    np.ravel(x),
                    np.ravel(np.asarray(y)[:, 0] if np.ndim(y) == 2 else y),
                    size=5,
                    pen=None,
                    brush=pg.mkBrush(*color, 140),
                    name=name,
                )
            )
            plot.addItem(scatter)
        if ds.x_range is not None:
            lo, hi = ds.x_range
        else:
            lo, hi = float(np.min(ds.x_train)), float(np.max(ds.x_train))
        if ds.true_fn is not None:  # synthetic sets only: their units are the network's
            grid = np.linspace(lo, hi, 400, dtype=np.float32)
            truth = np.asarray(ds.true_fn(grid.reshape(-1, 1))).reshape(len(grid), -1)[:, 0]
            self.true_curve = pg.PlotDataItem(
                grid,
                truth,
                pen=pg.mkPen(self._text_color(), width=1.5, style=Qt.PenStyle.DashLine),
                name="true function",
            )
            plot.addItem(_cached(self.true_curve))
        self.prediction_curve = _curve(pg.mkPen(PRED_COLOR, width=3), "model")
        plot.addItem(self.prediction_curve)

    def _setup_2d(self, ds: Any) -> None:
        plot = self.main_plot = self.addPlot(title="Decision regions")
        pre = getattr(ds, "preprocessing", None)
        plot.setAspectLocked(pre is None or not pre.has_input)  # user units: own scale per axis
        names = getattr(ds, "feature_names", None) or ["x₁", "x₂"]
        plot.setLabel("bottom", names[0])
        plot.setLabel("left", names[1])
        self.region_image = pg.ImageItem()
        self.region_image.setZValue(-20)
        plot.addItem(self.region_image)
        x = _user_x(ds, ds.x_train)
        y = np.asarray(ds.y_train).ravel().astype(int)
        # Shared brush objects (one per class): pyqtgraph renders a symbol per brush object.
        palette = [pg.mkBrush(*c, 220) for c in CLASS_COLORS]
        brushes = [palette[k % len(palette)] for k in y]
        pen = pg.mkPen(self._text_color(), width=0.5)
        plot.addItem(_cached(pg.ScatterPlotItem(x[:, 0], x[:, 1], size=6, pen=pen, brush=brushes)))

    def _setup_confusion(self, ds: Any) -> None:
        n = int(ds.n_outputs)
        plot = self.main_plot = self.addPlot(title="Confusion matrix (validation)")
        plot.setAspectLocked(True)
        plot.invertY(True)
        plot.setLabel("bottom", "predicted")
        plot.setLabel("left", "true")
        ticks = [[(i + 0.5, str(i)) for i in range(n)]]
        plot.getAxis("bottom").setTicks(ticks)
        plot.getAxis("left").setTicks(ticks)
        self.confusion_image = pg.ImageItem(np.zeros((n, n)))
        self.confusion_image.setColorMap(pg.colormap.get("viridis"))
        plot.addItem(self.confusion_image)
        for i in range(n):
            for j in range(n):
                t = pg.TextItem("", anchor=(0.5, 0.5), color="w")
                t.setPos(j + 0.5, i + 0.5)
                plot.addItem(t)
                self._confusion_text.append(t)
        if len(tuple(ds.input_shape)) < 2:
            return  # a table (a CSV, iris...): no images to show, only the matrix
        # A row of sample images with their true label (and the prediction once known).
        self.nextRow()
        samples = self.addLayout()
        x = np.asarray(ds.x_val)
        count = min(8, len(x))
        for k in range(count):
            vb = samples.addViewBox(lockAspect=True, enableMouse=False)
            vb.invertY(True)
            # Dark ink on a light background, as digits are drawn on paper.
            img = pg.ImageItem(1.0 - self._as_image(x[k]).T, levels=(0.0, 1.0))
            vb.addItem(img)
            label = pg.TextItem("", anchor=(0.5, 0), color=self._text_color())
            vb.addItem(label)
            h, w = self._as_image(x[k]).shape
            label.setPos(w / 2, h)
            self._sample_items.append((img, label))
        self.ci.layout.setRowStretchFactor(0, 4)
        self.ci.layout.setRowStretchFactor(1, 1)
        self._show_samples(None)

    @staticmethod
    def _as_image(x: np.ndarray) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64)
        if a.ndim == 3:
            a = a[0]
        if a.ndim == 1:
            side = int(round(np.sqrt(a.size)))
            a = a.reshape(side, -1)
        return a

    def _text_color(self) -> str:
        # A '#rrggbb' string, not a QColor or QColor.getRgb(): with those, PySide6 6.12
        # aborted at interpreter exit (bool_dealloc, a refcount error); a string is safe.
        return _role_color(QPalette.ColorRole.Text).name()

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
        n = cm.shape[0]
        rows = cm.sum(axis=1, keepdims=True)
        frac = np.divide(cm, rows, out=np.zeros(cm.shape, dtype=np.float64), where=rows > 0)
        # ImageItem indexes [x, y] = [predicted, true].
        self.confusion_image.setImage(frac.T, levels=(0.0, 1.0))
        for i in range(n):
            for j in range(n):
                t = self._confusion_text[i * n + j]
                t.setText(str(int(cm[i, j])) if cm[i, j] else "")
                t.setColor("k" if frac[i, j] > 0.6 else "w")

    def _show_samples(self, pred: np.ndarray | None) -> None:
        ds = self._dataset
        truth = np.asarray(ds.y_val).ravel()
        names = ds.class_names
        for k, (_, label) in enumerate(self._sample_items):
            true_name = names[truth[k]] if names else str(truth[k])
            if pred is None or k >= len(pred):
                label.setText(f"{true_name}")
                label.setColor(self._text_color())
            else:
                p = int(pred[k])
                pred_name = names[p] if names and p < len(names) else str(p)
                ok = p == truth[k]
                label.setText(f"{pred_name}" if ok else f"{pred_name} ✗")
                label.setColor((0, 158, 115) if ok else (213, 94, 0))


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
