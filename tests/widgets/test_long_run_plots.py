"""Plots over a long run: bounded memory, bounded points, nothing of the envelope lost."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core.training import Snapshot
from neurocanvas.core.training.series import Series
from neurocanvas.widgets.plots import AccuracyPlot, EnvelopeDecimator, LossPlot


def record(values: np.ndarray, chunk: int = 100, keep: int = 2) -> Series:
    s = Series(chunk=chunk, keep=keep, max_buckets=16)
    for v in values:
        s.append(float(v))
    return s


def long_snap(step_loss: Series, epochs: Series | None = None, acc: Series | None = None):
    no_epochs = Series()
    ep = epochs if epochs is not None else no_epochs
    return Snapshot(
        epoch=len(ep), step=len(step_loss), total_steps=len(step_loss), samples_per_s=1.0,
        elapsed_s=1.0, eta_s=0.0, train_loss=ep.view(), val_loss=ep.view(),
        step_loss=step_loss.view(), train_acc=None if acc is None else acc.view(),
        val_acc=None if acc is None else acc.view(), lr_changes=[(0, 0.01)], fit=None,
        confusion=None, state="running",
    )  # fmt: skip


def test_decimator_memory_stays_bounded_and_keeps_extremes_and_the_last_sample():
    rng = np.random.default_rng(0)
    dec = EnvelopeDecimator(200)
    held = []
    n = 0
    for size in (10_000, 190_000, 800_000):
        y = rng.normal(size=size)
        if size == 190_000:
            y[5] = 60.0  # a spike early in the run must survive every merge
        dec.extend(np.arange(n, n + size), y)
        n += size
        held.append(dec.points_held)
        last = y[-1]
    x, shown = dec.view()
    assert len(dec) == 1_000_000 and len(x) <= 200
    assert max(held) <= 4 * 200 + 6  # numbers kept: bounded whatever the length
    assert shown.max() == 60.0 and x[-1] == 999_999 and shown[-1] == last


def test_loss_plot_that_fell_behind_draws_the_buckets_it_missed(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    y = np.exp(-np.linspace(0, 5, 5000))
    y[1234] = 50.0  # long gone from the record's exact window when the plot looks
    plot.update_snapshot(long_snap(record(y)))
    x, shown = plot.step_data()
    assert len(x) <= plot.max_points and np.all(np.diff(x) > 0)
    assert shown.max() == pytest.approx(50.0) and x[np.argmax(shown)] == 1235  # 1-based steps
    assert x[-1] == 5000 and shown[-1] == pytest.approx(y[-1])


def test_loss_plot_epoch_curves_stay_bounded_over_many_epochs(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    steps, epochs = Series(), Series()
    for k in range(1, 51):  # 50 frames of 1,000 epochs of 10 steps each
        for _ in range(10_000):
            steps.append(1.0)
        for _ in range(1000):
            epochs.append(1.0 / k)
        plot.update_snapshot(long_snap(steps, epochs))
    x, y = plot.epoch_data("train")
    assert len(x) <= plot.max_points and x[-1] == 500_000 and y[-1] == pytest.approx(1 / 50)
    assert len(plot._epoch_steps) == 0  # positions of drawn epochs are not kept


def test_accuracy_plot_draws_a_bounded_curve_for_many_epochs(qtbot):
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    acc = Series(chunk=1000)
    for k in range(20):
        for _ in range(5000):
            acc.append(k / 20)
        plot.update_snapshot(long_snap(record(np.ones(10)), acc=acc))
    plot._draw()
    x, y = plot.val_curve.getOriginalDataset()
    assert len(x) <= 1000 and x[-1] == 100_000 and y[-1] == 0.95 and y.min() == 0.0
