"""Live plots: markers for lr changes, faded earlier runs, the fit view per data set kind."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.trainer import Snapshot
from neurocanvas.widgets.plots import (
    AccuracyPlot,
    FitPlot,
    GrowingBuffer,
    LatestSnapshot,
    LossPlot,
    decision_image,
)


def snap(step: int, lr_changes=((0, 0.01),), epochs: int = 0, **extra) -> Snapshot:
    """A Snapshot as the trainer would send it after ``step`` steps."""
    losses = 1.0 / np.arange(1, step + 1)
    fields = dict(
        epoch=epochs, step=step, total_steps=1000, samples_per_s=1000.0, elapsed_s=1.0,
        eta_s=2.0, train_loss=np.linspace(1.0, 0.5, epochs), val_loss=np.linspace(1.1, 0.6, epochs),
        step_loss=losses, train_acc=None, val_acc=None, lr_changes=list(lr_changes), fit=None,
        confusion=None, state="running",
    )  # fmt: skip
    fields.update(extra)
    return Snapshot(**fields)


@pytest.fixture
def loss_plot(qtbot):
    plot = LossPlot()
    qtbot.addWidget(plot)
    return plot


def test_loss_plot_draws_step_and_epoch_curves(loss_plot):
    loss_plot.update_snapshot(snap(50, epochs=2))
    x, y = loss_plot.step_curve.getOriginalDataset()
    assert len(x) == 50 and y[0] == 1.0
    vx, vy = loss_plot.val_curve.getOriginalDataset()
    assert list(vy) == [1.1, 0.6] and len(vx) == 2
    assert loss_plot.getPlotItem().ctrl.logYCheck.isChecked()
    assert loss_plot.objectName() == "lossPlot"


def test_loss_plot_marks_each_lr_change_once(loss_plot):
    loss_plot.update_snapshot(snap(40, [(0, 0.01), (25, 1.0)]))
    loss_plot.update_snapshot(snap(80, [(0, 0.01), (25, 1.0), (60, 0.001)]))
    assert loss_plot.marker_positions() == [(25, 1.0), (60, 0.001)]
    assert [m.value() for m in loss_plot.markers] == [25, 60]
    assert loss_plot.markers[0].label.toPlainText() == "lr 1"
    assert loss_plot.markers[1].label.toPlainText() == "lr 0.001"


def test_diverged_losses_do_not_break_the_log_axis(loss_plot):
    s = snap(10)
    s.step_loss[5:] = np.inf
    s.step_loss[4] = np.nan
    loss_plot.update_snapshot(s)
    _, y = loss_plot.step_curve.getOriginalDataset()
    assert np.isnan(y[4:]).all() and np.isfinite(y[:4]).all()


def test_second_run_fades_the_first_and_clear_removes_it(loss_plot):
    loss_plot.update_snapshot(snap(60, [(0, 0.01), (30, 0.1)]))
    loss_plot.begin_run("lr 1")
    assert len(loss_plot.faded) == 1
    assert loss_plot.markers == []
    fx, _ = loss_plot.faded[0].getOriginalDataset()
    assert len(fx) == 60
    loss_plot.update_snapshot(snap(20))
    x, _ = loss_plot.step_curve.getOriginalDataset()
    assert len(x) == 20
    # A step counter that goes back to the start also begins a new run.
    loss_plot.update_snapshot(snap(5))
    assert len(loss_plot.faded) == 2
    loss_plot.clear_history()
    assert loss_plot.faded == []
    items = loss_plot.getPlotItem().listDataItems()
    assert len(items) == 3  # only the current run's curves remain


def test_accuracy_plot_shows_per_epoch_accuracy(qtbot):
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.update_snapshot(snap(10, epochs=3, train_acc=np.array([0.5, 0.7, 0.9]),
                              val_acc=np.array([0.4, 0.6, 0.8])))  # fmt: skip
    x, y = plot.val_curve.getOriginalDataset()
    assert list(x) == [1, 2, 3] and list(y) == [0.4, 0.6, 0.8]


def test_fit_plot_1d_shows_data_truth_and_prediction(qtbot):
    plot = FitPlot()
    qtbot.addWidget(plot)
    ds = make_dataset("sine", {"n_samples": 100}, seed=0)
    plot.set_dataset(ds)
    assert plot.mode == "1d" and plot.objectName() == "fitPlot"
    tx, ty = plot.true_curve.getOriginalDataset()
    assert np.allclose(ty, np.sin(tx), atol=1e-5)
    grid = np.linspace(-3, 3, 200)
    plot.update_snapshot(snap(5, fit={"x": grid, "y": 0.5 * grid}))
    px, py = plot.prediction_curve.getOriginalDataset()
    assert np.array_equal(px, grid) and np.allclose(py, 0.5 * grid)


def test_fit_plot_2d_shows_decision_regions_image(qtbot):
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(make_dataset("moons", {"n_samples": 100}, seed=0))
    assert plot.mode == "2d"
    axis = np.linspace(-2, 3, 40)
    xx, yy = np.meshgrid(axis, axis)
    p1 = 1 / (1 + np.exp(-xx))  # class 1 on the right
    probs = np.stack([1 - p1, p1], axis=-1)
    plot.update_snapshot(snap(5, fit={"xx": xx, "yy": yy, "probs": probs}))
    img = plot.region_image.image
    assert img.shape == (40, 40, 4)  # [x, y, rgba]
    rect = plot.region_image.mapRectToParent(plot.region_image.boundingRect())
    assert rect.left() < -2 and rect.right() > 3
    # Left column looks like class 0's colour, right column like class 1's.
    assert img[0, 20, 2] > img[0, 20, 0]  # blue-ish
    assert img[-1, 20, 0] > img[-1, 20, 2]  # orange-ish


def test_fit_plot_digits_shows_confusion_and_sample_predictions(qtbot):
    plot = FitPlot()
    qtbot.addWidget(plot)
    ds = make_dataset("digits", {"n_samples": 200}, seed=0)
    plot.set_dataset(ds)
    assert plot.mode == "confusion"
    cm = np.eye(10, dtype=np.int64) * 4
    cm[3, 5] = 2
    truth = ds.y_val[:8]
    pred = truth.copy()
    pred[0] = (truth[0] + 1) % 10
    plot.update_snapshot(snap(5, confusion=cm, samples={"pred": pred, "true": truth}))
    assert plot.confusion_image.image.shape == (10, 10)
    assert plot.confusion_image.image[5, 3] == pytest.approx(2 / 6)  # [pred, true]
    labels = [label.toPlainText() for _, label in plot._sample_items]
    assert labels[0].endswith("✗") and labels[1] == str(truth[1])


def test_decision_image_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\)"):
        decision_image(np.zeros(5))


def test_latest_snapshot_coalesces_to_newest(qtbot):
    relay = LatestSnapshot(interval_ms=30)
    got = []
    relay.updated.connect(got.append)
    for i in range(100):
        relay.push(i)
    qtbot.waitUntil(lambda: got == [99], timeout=1000)
    qtbot.wait(80)
    assert got == [99]  # nothing re-sent while idle


def test_growing_buffer_keeps_data_when_it_grows():
    buf = GrowingBuffer(capacity=4)
    buf.set_tail(0, np.arange(3.0), np.arange(3.0))
    buf.set_tail(3, np.arange(3.0, 10.0), np.arange(3.0, 10.0) * 2)
    x, y = buf.view()
    assert list(x) == list(range(10)) and y[9] == 18.0


def test_epoch_losses_sit_at_their_epoch_end_steps_despite_coalescing(loss_plot):
    # 10 steps per epoch; the plot sees only every third epoch's snapshot.
    loss_plot.update_snapshot(snap(30, epochs=3))
    loss_plot.update_snapshot(snap(65, epochs=6))  # mid-epoch 7
    vx, _ = loss_plot.val_curve.getOriginalDataset()
    assert list(vx[:3]) == [10, 20, 30]
    assert list(vx[3:]) == pytest.approx([41.67, 53.33, 65.0], abs=0.01)


def test_a_burst_of_lr_changes_from_dragging_makes_one_marker(loss_plot):
    changes = [(0, 0.01), (100, 0.02), (101, 0.05), (102, 0.1), (400, 0.001)]
    loss_plot.update_snapshot(snap(500, changes))
    assert loss_plot.marker_positions() == [(100, 0.1), (400, 0.001)]
    assert loss_plot.markers[0].label.toPlainText() == "lr 0.1"
