"""Plots over a long run: bounded memory, bounded points, nothing of the envelope lost."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core.training import Snapshot
from neurocanvas.core.training.series import Series
from neurocanvas.widgets.plots import AccuracyPlot, EnvelopeDecimator, LossPlot, MeanDecimator


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


# -- the per-epoch curves: bucket means -----------------------------------------------------


def feed_in_chunks(dec: MeanDecimator, x: np.ndarray, y: np.ndarray, seed: int = 0) -> None:
    """Extend ``dec`` in random chunks, as coalesced snapshots deliver new epochs."""
    rng = np.random.default_rng(seed)
    n = 0
    while n < len(y):
        k = int(rng.integers(1, 700))
        dec.extend(x[n : n + k], y[n : n + k])
        n += k


@pytest.mark.parametrize("n", [5, 997, 1000, 45_001])
def test_mean_decimation_draws_each_buckets_mean_and_the_newest_sample(n):
    rng = np.random.default_rng(n)
    x = np.cumsum(rng.uniform(1, 20, size=n))  # epoch end steps: increasing, uneven
    y = rng.lognormal(-4.0, 0.5, size=n)
    dec = MeanDecimator(100)
    feed_in_chunks(dec, x, y)
    shown_x, shown_y = dec.view()
    assert len(shown_x) <= 100 and np.all(np.diff(shown_x) > 0)
    assert shown_x[-1] == x[-1] and shown_y[-1] == y[-1]
    w = dec.width
    full = n // w
    assert (n <= 98) == (w == 1)  # exact until the buckets must merge
    # every finished bucket j covers samples j*w .. (j+1)*w - 1 and is drawn at their means
    assert shown_x[:full] == pytest.approx(x[: full * w].reshape(full, w).mean(axis=1))
    assert shown_y[:full] == pytest.approx(y[: full * w].reshape(full, w).mean(axis=1))


def test_mean_decimation_fed_in_chunks_draws_what_one_call_draws():
    rng = np.random.default_rng(3)
    x, y = np.arange(30_000.0), rng.normal(size=30_000)
    whole, chunked = MeanDecimator(64), MeanDecimator(64)
    whole.extend(x, y)
    feed_in_chunks(chunked, x, y, seed=5)
    for a, b in zip(whole.view(), chunked.view(), strict=True):
        assert a == pytest.approx(b)


def test_mean_decimation_skips_nan_unless_a_whole_bucket_is_nan():
    y = np.ones(4000)
    y[100:103] = np.nan  # a few gaps inside a bucket: its other values make its mean
    y[2000:3000] = np.nan  # a long gap stays a gap in the line
    dec = MeanDecimator(100)
    feed_in_chunks(dec, np.arange(4000.0), y, seed=1)
    x, shown = dec.view()
    assert np.isnan(shown[(x > 2100) & (x < 2900)]).all()
    assert np.all(shown[x < 1000] == 1.0)


def test_mean_decimator_memory_stays_bounded():
    dec = MeanDecimator(200)
    held = []
    for k in range(100):
        dec.extend(np.arange(k * 10_000, (k + 1) * 10_000), np.full(10_000, float(k)))
        held.append(dec.points_held)
    assert len(dec) == 1_000_000 and len(dec.view()[0]) <= 200
    assert max(held) <= 4 * 200 + 6
    with pytest.raises(ValueError, match="max_points"):
        MeanDecimator(4)


def epoch_curve_travel(plot: LossPlot) -> float:
    """How far the two epoch curves go up and down (log10 units): what drawing them costs
    grows with it (a dashed line is stroked dash by dash along its whole length)."""
    total = 0.0
    for which in ("train", "validation"):
        _, y = plot.epoch_data(which)
        log_y = np.log10(y)
        total += float(np.abs(np.diff(log_y[np.isfinite(log_y)])).sum())
    return total


def test_loss_plot_epoch_curves_do_not_get_longer_as_the_run_goes_on(qtbot):
    # A converged run: each epoch's loss is noisy around the same level, as general-fit's
    # after a few thousand steps. A min/max envelope's zigzag grew taller with its buckets
    # (the extremes of ever more epochs): the dashed validation curve cost more every frame.
    plot = LossPlot()
    qtbot.addWidget(plot)
    rng = np.random.default_rng(0)
    steps, epochs = record(np.ones(10)), Series(chunk=1024)
    travel = {}
    for frame in range(1, 101):  # 100 frames of 2,000 epochs
        for v in rng.lognormal(np.log(0.01), 0.3, size=2000):
            epochs.append(float(v))
        snap = long_snap(steps, epochs)
        snap.step = snap.total_steps = 8 * len(epochs)
        plot.update_snapshot(snap)
        if frame in (10, 100):
            travel[frame] = epoch_curve_travel(plot)
    assert len(plot.epoch_data("train")[0]) <= plot.max_points
    assert travel[100] <= travel[10]  # 200,000 epochs draw no longer a line than 20,000
