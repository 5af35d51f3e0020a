"""The loss plot: per-step and per-epoch losses on a log axis, with lr-change markers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QPalette

from neurocanvas.widgets.plots.base import PlotBase
from neurocanvas.widgets.plots.buffers import (
    EnvelopeDecimator,
    MeanDecimator,
    log_losses,
    nice_log_range,
    nice_steps,
    tail,
)
from neurocanvas.widgets.plots.style import MARKER_COLOR, make_curve, role_color, run_color

# How far above its starting loss a diverged run may stretch the y axis (decades): enough to
# show it going up, never the 1e10 of its last steps.
DIVERGED_HEADROOM = 1.0
# Earlier runs named in the legend (the newest ones): four compared rates and the current
# run took 6-8 legend rows and squeezed the plot to ~90 px at 1366x768. Older runs stay
# drawn, and the Runs tab names every run.
MAX_NAMED_EARLIER = 3


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


class LossPlot(PlotBase):
    """Train and validation loss per step on a log axis, with lr-change markers.

    The x axis is the optimizer step, since that is where an lr change acts. Per-epoch
    losses are drawn at the step where their epoch ended (as first seen in a snapshot).
    Earlier runs stay as faded curves so that two learning rates can be compared.

    The curves hold log10(loss) (computed once per new point) under an axis labelled in
    decades; the per-step loss is reduced by an :class:`EnvelopeDecimator` (each bucket's
    min and max: spikes stay) and the per-epoch losses by a :class:`MeanDecimator` (each
    bucket's mean: a line whose length does not grow), so a frame costs the same after a
    million steps as after a hundred. :meth:`step_data` and :meth:`epoch_data` give the
    values back in loss units (the drawn points).
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
        # Epoch curves are decimated too: general-fit runs 8 steps per epoch, so a long run
        # has 100,000s of epochs, and drawing each one made every frame slower than the last.
        # They are averages, drawn as bucket means (MeanDecimator): a min/max envelope's
        # zigzag grows taller as its buckets widen, and the dashed validation curve's cost
        # grew with it (the step curve's envelope shows the spread).
        self._train_buf = MeanDecimator(self.max_points)
        self._val_buf = MeanDecimator(self.max_points)
        # End steps of the epochs not yet drawn by both epoch curves (the first is epoch
        # number _epoch_base + 1): a long run's list would otherwise grow by one each epoch.
        self._epoch_steps: list[float] = []
        self._epoch_base = 0
        # Positions of each series already drawn (a bounded record's length is its count).
        self._seen = {"step": 0, "train": 0, "validation": 0}
        self._epoch_anchor: tuple[int, int] = (0, 0)  # (completed epochs, step) last seen
        self._y_bounds = (np.inf, -np.inf)  # log10 range of everything drawn this run
        self._first: float | None = None  # the run's first finite step loss (log10)
        self._total_steps = 0
        # Per-step losses are noisy: a faint line under the per-epoch curves.
        self.step_curve = make_curve(pg.mkPen((0, 0, 0, 45), width=1))
        self.train_curve = make_curve(pg.mkPen((0, 0, 0), width=2.5))
        self.val_curve = make_curve(pg.mkPen((0, 0, 0), width=2.5))
        for c in (self.step_curve, self.train_curve, self.val_curve):
            item.addItem(c)
        self.markers: list[pg.InfiniteLine] = []
        self._marked: set[tuple[int, float]] = set()
        self._marker_info: list[tuple[int, float]] = []
        self.faded: list[pg.PlotDataItem] = []
        self._faded_bounds: list[tuple[float, float, float]] = []  # (steps, lo, hi) in log10
        self.end_marks: list[pg.ScatterPlotItem] = []
        self._last_step = -1
        self._run_label = ""
        self._run_index = 0  # the current run's number (its colour)
        self._diverged_at: int | None = None
        self._highlighted: int | None = None
        self._current_in_legend = True
        self._recolour()

    # -- runs ---------------------------------------------------------------------------
    def begin_run(self, label: str = "") -> None:
        """Keep the current run (if it has data) as an earlier one and start a fresh one.

        Each run has its own colour (:data:`RUN_COLORS`, in order) and a legend entry with its
        label; earlier runs keep their per-step curve, thinner, and a diverged one its end mark.
        """
        x, y = self._steps.view()
        if len(x):
            # A diverged earlier run must not stretch the axis: its bounds were cut back to
            # the part before the blow-up when it was marked (see mark_divergence).
            self._keep_earlier(x.copy(), y.copy(), self._run_label, self._y_bounds)
        for line in self.markers:
            self.getPlotItem().removeItem(line)
        self.markers.clear()
        self._marked.clear()
        self._marker_info.clear()
        self._steps.clear()
        for buf in (self._train_buf, self._val_buf):
            buf.clear()
        self._epoch_steps.clear()
        self._epoch_base = 0
        self._seen = dict.fromkeys(self._seen, 0)
        self._epoch_anchor = (0, 0)
        self._y_bounds = (np.inf, -np.inf)
        self._first = None
        self._total_steps = 0
        self._last_step = -1
        self._diverged_at = None
        self._run_label = label
        self._recolour()
        self._resume_following()
        self._request_draw()

    def set_run_label(self, label: str) -> None:
        """Rename the current run in the legend (e.g. "lr 0.01 → 0.1 at step 300")."""
        if label == self._run_label:
            return
        self._run_label = label
        if self._current_in_legend:
            self.legend.removeItem(self.train_curve)
            self.legend.addItem(self.train_curve, label or "train")

    def run_labels(self) -> list[str]:
        """The legend's run names: earlier runs in order, then the current one."""
        return [g.name() or "" for g in self.faded] + [self._run_label]

    def run_colors(self) -> list[tuple[int, int, int]]:
        """Each run's colour, earlier runs first (for the runs table)."""
        return [run_color(i) for i in range(self._run_index + 1)]

    def highlight_run(self, index: int | None) -> None:
        """Draw run ``index`` (0 = the first kept) thicker, or none."""
        self._highlighted = index
        for i, ghost in enumerate(self.faded):
            pen = ghost.opts["pen"]
            pen = pg.mkPen(pen.color(), width=3.5 if i == index else 1.2)
            ghost.setPen(pen)
            ghost.setZValue(5 if i == index else -10)
        current = index == len(self.faded)
        self.train_curve.setPen(pg.mkPen(run_color(self._run_index), width=4 if current else 2.5))

    def mark_divergence(self, step: int) -> None:
        """End the current run's curve with a mark at ``step`` (where the guard fired).

        The losses on the way up (often 1e10 before the smoothed loss trips the guard) no
        longer count for the axis: the run's y extent is cut back to its steps before ``step``
        and at most :data:`DIVERGED_HEADROOM` decades above its starting loss, so it neither
        flattens this run's healthy part nor any later run. The mark sits at the top edge when
        the last loss is above it.
        """
        if self._diverged_at is not None:
            return
        self._diverged_at = int(step)
        x, y = self._steps.view()
        ok = np.isfinite(y)
        before = y[ok & (x < step)]
        if len(before):
            cap = float(before[0]) + DIVERGED_HEADROOM  # Adam at lr 10 is ~1e8 by step 3
            kept = np.minimum(before, cap)
            self._y_bounds = (float(kept.min()), float(kept.max()))
        ok &= x <= step
        if not ok.any():
            return
        top = self._y_bounds[1] if np.isfinite(self._y_bounds[1]) else np.inf
        xs, ys = x[ok][-1:], np.minimum(y[ok][-1:], top)
        mark = pg.ScatterPlotItem(
            xs, ys, symbol="x", size=16, pen=pg.mkPen(run_color(self._run_index), width=3)
        )
        mark.setToolTip(f"diverged at step {step}")
        self.getPlotItem().addItem(mark)
        self.end_marks.append(mark)

    def y_extent(self) -> tuple[float, float]:
        """The loss range the axis follows now, in loss units (low, high)."""
        lo, hi = self._y_bounds
        for _n, f_lo, f_hi in self._faded_bounds:
            lo, hi = min(lo, f_lo), max(hi, f_hi)
        return 10.0**lo, 10.0**hi

    def _recolour(self) -> None:
        colour = run_color(self._run_index)
        self.step_curve.setPen(pg.mkPen((*colour, 45), width=1))
        self.train_curve.setPen(pg.mkPen(colour, width=2.5))
        self.val_curve.setPen(pg.mkPen(colour, width=2, style=Qt.PenStyle.DashLine))
        entries = [(self.train_curve, self._run_label or "train")]
        entries.append((self.val_curve, "validation (dashed)"))
        listed = [(sample.item, label.text) for sample, label in self.legend.items[-2:]]
        if self._current_in_legend and listed == entries:
            # listed last already, as they would be re-added: a new entry is a new label item
            # to lay out (~3 ms each in the GUI thread, twice per opened project)
            for sample, _label in self.legend.items[-2:]:
                sample.update()  # the new colour
            return
        self.legend.removeItem(self.train_curve)
        self.legend.removeItem(self.val_curve)
        if self._current_in_legend:
            self.legend.addItem(self.train_curve, self._run_label or "train")
            self.legend.addItem(self.val_curve, "validation (dashed)")

    def _show_current_in_legend(self, shown: bool) -> None:
        """List the current run's curves in the legend; not while a reopened project shows
        only its saved runs (a "train" / "validation" entry would name undrawn curves)."""
        if shown != self._current_in_legend:
            self._current_in_legend = shown
            self._recolour()

    def clear_history(self) -> None:
        """Remove the faded curves of earlier runs."""
        for ghost in self.faded:
            self.getPlotItem().removeItem(ghost)
            self.legend.removeItem(ghost)
        self.faded.clear()
        self._faded_bounds.clear()
        for mark in self.end_marks:
            self.getPlotItem().removeItem(mark)
        self.end_marks.clear()
        self._run_index = 0
        self._recolour()
        self._resume_following()
        self._request_draw()

    def _keep_earlier(
        self, x: np.ndarray, log_y: np.ndarray, label: str, bounds: tuple[float, float]
    ) -> None:
        colour = run_color(self._run_index)
        ghost = make_curve(pg.mkPen((*colour, 150), width=1.2), label or None)
        ghost.setZValue(-10)
        self.getPlotItem().addItem(ghost)
        ghost.setData(x, log_y)  # a decimated curve: cheap to keep drawing
        self.faded.append(ghost)
        if len(self.faded) > MAX_NAMED_EARLIER:
            self.legend.removeItem(self.faded[-MAX_NAMED_EARLIER - 1])
        lo, hi = bounds
        if np.isfinite(lo) and np.isfinite(hi):
            self._faded_bounds.append((float(x[-1]), lo, hi))
        self._run_index += 1

    def add_saved_run(self, steps: np.ndarray, losses: np.ndarray, label: str) -> None:
        """Show a run saved with the project (its decimated curve) as an earlier run."""
        x = np.asarray(steps, dtype=np.float64)
        log_y = log_losses(np.asarray(losses, dtype=np.float64))
        if len(x) == 0:
            return
        finite = log_y[np.isfinite(log_y)]
        bounds = (float(finite.min()), float(finite.max())) if len(finite) else (np.inf, -np.inf)
        if len(finite) > 3:  # a saved diverged run is capped as a live one is
            bounds = (bounds[0], min(bounds[1], float(finite[0]) + DIVERGED_HEADROOM))
        self._keep_earlier(x, log_y, label, bounds)
        self._recolour()
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
        diverged_at = getattr(snap, "diverged_at", None)
        self._total_steps = max(int(snap.total_steps or 0), int(snap.step))
        pos, values = tail(snap.step_loss, self._seen["step"])
        if len(pos):
            new = log_losses(values)
            self._steps.extend(pos + 1.0, new)
            if self._first is None and np.isfinite(new).any():
                self._first = float(new[np.isfinite(new)][0])
            self._grow_bounds(new)
        self._seen["step"] = len(snap.step_loss)
        n_epochs = max(len(snap.train_loss), len(snap.val_loss))
        self._place_epochs(n_epochs, snap.epoch, snap.step)
        for key, buf, series in (
            ("train", self._train_buf, snap.train_loss),
            ("validation", self._val_buf, snap.val_loss),
        ):
            pos, values = tail(series, self._seen[key])
            pos, values = pos[pos >= self._epoch_base], values[pos >= self._epoch_base]
            if len(pos):  # epoch losses only ever grow within a run
                new = log_losses(values)
                # Only the new epochs' positions: converting the whole list was O(epochs).
                buf.extend(np.asarray(self._epoch_steps)[pos - self._epoch_base], new)
                self._grow_bounds(new)
            self._seen[key] = len(series)
        # Positions of epochs both curves have taken are not needed again: drop them.
        done = min(self._seen["train"], self._seen["validation"]) - self._epoch_base
        if done > 0:
            del self._epoch_steps[:done]
            self._epoch_base += done
        # Dragging the slider sends a change on many consecutive steps; one marker per burst
        # (showing the rate it settled on) keeps the labels readable.
        gap = max(3, int(0.01 * max(snap.total_steps, snap.step)))
        for step, lr in snap.lr_changes:
            if step > 0:  # (0, lr) is the starting rate, not a change during the run
                self._add_marker(int(step), float(lr), gap)
        if diverged_at is not None:
            self.mark_divergence(int(diverged_at))
        self._request_draw()

    def _grow_bounds(self, log_y: np.ndarray) -> None:
        """Widen the run's y extent to ``log_y`` (log10 losses), ignoring outliers above.

        As TensorBoard's "ignore outliers in chart scaling": the top never goes more than
        :data:`DIVERGED_HEADROOM` decades above the run's first loss (the untrained model's;
        by the third step Adam at lr 10 is already at ~1e8). A spike (Adam at lr 1
        reaches ~1e4 from 0.7 for a few dozen steps, then settles) goes off the top instead of
        squashing the whole run, and every later run compared with it, into the bottom.
        """
        if self._diverged_at is not None:
            return  # what comes after a divergence would flatten every other curve
        finite = log_y[np.isfinite(log_y)]
        if len(finite):
            lo, hi = self._y_bounds
            top = float(finite.max())
            if self._first is not None:
                top = min(top, self._first + DIVERGED_HEADROOM)
            self._y_bounds = (min(lo, float(finite.min())), max(hi, top))

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
        while self._epoch_base + len(self._epoch_steps) < n_epochs:
            k = self._epoch_base + len(self._epoch_steps) + 1  # this epoch's number (1-based)
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
        return role_color(QPalette.ColorRole.Text).name()

    def _draw(self) -> None:
        self.step_curve.setData(*self._steps.view())
        self.train_curve.setData(*self._train_buf.view())
        self.val_curve.setData(*self._val_buf.view())
        # The axes follow the current run; earlier runs count for y (so a comparison shows
        # them) but for x only once the current run ended early by diverging.
        lo, hi = self._y_bounds
        # The x extent grows with the run (doubling, so the view changes rarely) up to its
        # planned length: at a watchable pace a 1,600-step axis would leave the curve a sliver
        # at the left for minutes.
        steps = min(
            self._total_steps, max(100, 2 ** math.ceil(math.log2(max(self._last_step, 1) * 1.25)))
        )
        # Without a current run (a reopened project's saved runs only) the x axis shows the
        # saved runs whole: the plot uses fixed ranges, so nothing else would widen it.
        idle = self._last_step < 0
        for n, f_lo, f_hi in self._faded_bounds:
            lo, hi = min(lo, f_lo), max(hi, f_hi)
            if self._diverged_at is not None or idle:
                steps = max(steps, int(n))
        self._show_current_in_legend(not idle or not self.faded)
        self._set_empty(not np.isfinite(lo) and not self.faded)
        if not np.isfinite(lo):
            return
        self._follow_range(0.0, nice_steps(steps), *nice_log_range(lo, hi))

    def marker_positions(self) -> list[tuple[int, float]]:
        """(step, lr) of the markers drawn, in order (for tests and automation)."""
        return list(self._marker_info)
