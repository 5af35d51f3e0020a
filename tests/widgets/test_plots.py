"""Live plots: markers for lr changes, faded earlier runs, the fit view per data set kind."""

from __future__ import annotations

import numpy as np
import pytest

from neurocanvas.core.datasets import make_dataset
from neurocanvas.core.training import Snapshot
from neurocanvas.widgets.plots import (
    AccuracyPlot,
    EnvelopeDecimator,
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
    x, y = loss_plot.step_data()
    assert len(x) == 50 and y[0] == pytest.approx(1.0) and y[-1] == pytest.approx(1 / 50)
    # The curves hold log10(loss) under an axis labelled in decades.
    _, drawn = loss_plot.step_curve.getOriginalDataset()
    assert drawn[0] == pytest.approx(0.0) and drawn[-1] == pytest.approx(np.log10(1 / 50))
    vx, vy = loss_plot.epoch_data("validation")
    assert list(vy) == pytest.approx([1.1, 0.6]) and len(vx) == 2
    assert loss_plot.getPlotItem().getAxis("left").logMode
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
    _, y = loss_plot.step_data()
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
    labels = plot.confusion.sample_texts()
    assert labels[0].endswith("✗") and labels[1] == str(truth[1])


def test_the_confusion_matrix_shows_the_counts_of_the_data_set_now_in_use(qtbot):
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(make_dataset("digits", {"n_samples": 200}, seed=0))
    cm = np.eye(10, dtype=np.int64) * 4
    plot.update_snapshot(snap(5, confusion=cm))
    plot.set_dataset(make_dataset("spirals", {"classes": 3}, seed=0))  # another view between
    plot.set_dataset(make_dataset("wine", seed=0))  # three classes, no images
    assert plot.confusion.count_texts().tolist() == [[""] * 3] * 3  # nothing from before
    cm = np.array([[5, 1, 0], [0, 7, 2], [0, 0, 9]])
    plot.update_snapshot(snap(6, confusion=cm))
    shown = plot.confusion.count_texts()
    assert shown.tolist() == [["5", "1", ""], ["", "7", "2"], ["", "", "9"]]
    assert plot.confusion_image.image.shape == (3, 3)
    assert plot.confusion.sample_texts() == []
    plot.set_dataset(make_dataset("digits", {"n_samples": 200}, seed=1))  # images again
    assert len(plot.confusion.sample_texts()) == 8
    assert plot.confusion.count_texts().shape == (10, 10)
    assert list(plot.ci.items) == [plot.main_plot, plot.confusion.samples]


def _confusion_at(qtbot, width: int, height: int) -> FitPlot:
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.resize(width, height)
    plot.show()
    qtbot.waitExposed(plot)
    plot.set_dataset(make_dataset("digits", {"n_samples": 200}, seed=0))
    cm = np.eye(10, dtype=np.int64) * 38  # two-digit counts, as the digits example gives
    cm[3, 5] = 2
    plot.update_snapshot(snap(5, confusion=cm))
    plot.grab()  # paint, as the window does
    return plot


def test_confusion_counts_that_do_not_fit_their_cell_are_not_drawn_over_each_other(qtbot):
    small = _confusion_at(qtbot, 270, 280)  # the Plots tab's third at 1366x768: ~10 px cells
    assert small.confusion.counts.drawn == 0
    big = _confusion_at(qtbot, 900, 900)  # ~60 px cells: every non-zero count is drawn
    assert big.confusion.counts.drawn == 11


def test_hovering_a_confusion_cell_names_its_classes_and_count(qtbot):
    plot = _confusion_at(qtbot, 270, 280)
    image = plot.confusion.image
    assert image.cell_text(5.5, 3.5) == (
        "true 3, predicted 5: 2 validation samples (5% of class 3)"
    )
    assert image.cell_text(0.2, 0.7).startswith("true 0, predicted 0: 38 ")
    assert image.cell_text(10.5, 0.5) == ""  # outside the matrix


def test_decision_image_rejects_bad_shape():
    with pytest.raises(ValueError, match=r"\(H, W\) or \(H, W, C\)"):
        decision_image(np.zeros(5))


def test_latest_snapshot_coalesces_to_newest(qtbot):
    relay = LatestSnapshot(interval_ms=30)
    got = []
    relay.updated.connect(got.append)
    for i in range(100):
        relay.push(i)
    qtbot.waitUntil(lambda: got == [99], timeout=30_000)
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
    vx, _ = loss_plot.epoch_data("validation")
    assert list(vx[:3]) == [10, 20, 30]
    assert list(vx[3:]) == pytest.approx([41.67, 53.33, 65.0], abs=0.01)


def test_a_burst_of_lr_changes_from_dragging_makes_one_marker(loss_plot):
    changes = [(0, 0.01), (100, 0.02), (101, 0.05), (102, 0.1), (400, 0.001)]
    loss_plot.update_snapshot(snap(500, changes))
    assert loss_plot.marker_positions() == [(100, 0.1), (400, 0.001)]
    assert loss_plot.markers[0].label.toPlainText() == "lr 0.1"


# -- decimation -----------------------------------------------------------------------------


def feed_in_chunks(dec: EnvelopeDecimator, y: np.ndarray, seed: int = 0) -> None:
    """Extend ``dec`` with ``y`` in random chunks, as coalesced snapshots deliver it."""
    rng = np.random.default_rng(seed)
    n = 0
    while n < len(y):
        k = int(rng.integers(1, 700))
        dec.extend(np.arange(n, min(n + k, len(y))), y[n : n + k])
        n += k


@pytest.mark.parametrize("n", [7, 999, 1024, 30_001])
def test_decimation_keeps_the_envelope_and_the_last_point(n):
    rng = np.random.default_rng(n)
    y = rng.normal(size=n)
    y[n // 3] = 50.0  # one spike up and one down must survive any bucket width
    y[n // 2] = -40.0
    dec = EnvelopeDecimator(200)
    feed_in_chunks(dec, y)
    x, shown = dec.view()
    assert len(x) <= 200
    assert x[-1] == n - 1 and shown[-1] == y[-1]
    assert shown.max() == 50.0 and shown.min() == -40.0
    assert np.all(np.diff(x) > 0)
    # Every point shown is a real sample at its own x.
    assert np.array_equal(shown, y[x.astype(int)])
    if n > 200:
        assert dec.width > 1


def test_decimation_skips_nan_unless_a_whole_bucket_is_nan():
    y = np.ones(4000)
    y[100:103] = np.nan  # a few gaps inside a bucket: the bucket's numbers win
    y[2000:3000] = np.nan  # a long gap: whole buckets are NaN and stay a gap in the line
    dec = EnvelopeDecimator(100)
    feed_in_chunks(dec, y, seed=1)
    x, shown = dec.view()
    assert np.isnan(shown[(x > 2100) & (x < 2900)]).all()
    assert np.isfinite(shown[x < 1000]).all()


def test_decimator_rejects_too_few_points():
    with pytest.raises(ValueError, match="max_points"):
        EnvelopeDecimator(4)


def test_loss_plot_draws_a_bounded_curve_for_a_long_run(loss_plot):
    total = 20_000
    for step in range(2_000, total + 1, 2_000):
        loss_plot.update_snapshot(snap(step))
    x, y = loss_plot.step_curve.getOriginalDataset()
    assert len(x) <= loss_plot.max_points
    assert x[-1] == total and 10 ** y[-1] == pytest.approx(1 / total)
    assert 10 ** np.nanmax(y) == pytest.approx(1.0)  # the first, highest loss is kept


# -- placeholder, reset, hidden plots ----------------------------------------------------


def test_loss_placeholder_shows_until_data_arrive_and_after_reset(loss_plot):
    loss_plot.show()
    assert loss_plot.is_empty() and loss_plot.placeholder.isVisible()
    assert "Train" in loss_plot.placeholder.text()
    assert not loss_plot.getPlotItem().getAxis("left").style["showValues"]
    loss_plot.update_snapshot(snap(30, [(0, 0.01), (20, 0.1)], epochs=1))
    assert not loss_plot.is_empty() and not loss_plot.placeholder.isVisible()
    assert loss_plot.getPlotItem().getAxis("left").style["showValues"]
    loss_plot.begin_run("lr 0.1")  # a faded earlier run is still something to look at
    assert not loss_plot.is_empty()
    loss_plot.reset()
    assert loss_plot.is_empty() and loss_plot.placeholder.isVisible()
    assert loss_plot.faded == [] and loss_plot.markers == []
    assert len(loss_plot.step_data()[0]) == 0
    assert len(loss_plot.getPlotItem().listDataItems()) == 3  # reset keeps the curves


def test_accuracy_placeholder_and_reset(qtbot):
    plot = AccuracyPlot()
    qtbot.addWidget(plot)
    plot.show()
    assert plot.placeholder.isVisible() and "accuracy" in plot.placeholder.text()
    plot.update_snapshot(snap(10, epochs=1, train_acc=np.array([0.5]), val_acc=np.array([0.4])))
    assert not plot.placeholder.isVisible()
    plot.reset()
    assert plot.placeholder.isVisible()
    assert len(plot.train_curve.getOriginalDataset()[0] or []) == 0
    assert plot.train_curve in plot.getPlotItem().listDataItems()


def test_loss_plot_view_follows_the_data_until_the_user_zooms(loss_plot):
    loss_plot.update_snapshot(snap(100))
    (x0, x1), (y0, y1) = loss_plot.getPlotItem().getViewBox().viewRange()
    # the x extent grows with the run (room ahead, not the whole planned run at once)
    assert x0 <= 1 and 125 <= x1 < 1000
    assert y0 <= np.log10(1 / 100) and y1 >= 0.0
    loss_plot.update_snapshot(snap(700))
    (x0, x1), _ = loss_plot.getPlotItem().getViewBox().viewRange()
    assert x1 >= 875
    loss_plot.getPlotItem().getViewBox().sigRangeChangedManually.emit([True, True])
    loss_plot.getPlotItem().getViewBox().setRange(xRange=(10, 20), padding=0)
    loss_plot.update_snapshot(snap(2000))
    (x0, x1), _ = loss_plot.getPlotItem().getViewBox().viewRange()
    assert (x0, x1) == pytest.approx((10, 20))  # the person's zoom stays


def test_hidden_plots_draw_when_shown_again(qtbot):
    from PySide6.QtWidgets import QTabWidget

    tabs = QTabWidget()
    qtbot.addWidget(tabs)
    loss, fit = LossPlot(), FitPlot()
    fit.set_dataset(make_dataset("sine", {"n_samples": 60}, seed=0))
    tabs.addTab(loss, "loss")
    tabs.addTab(fit, "fit")
    tabs.show()
    gx = np.linspace(-1, 1, 20).reshape(-1, 1)
    s = snap(40, fit={"x": gx, "y": 2 * gx})
    loss.update_snapshot(s)
    fit.update_snapshot(s)  # the fit tab is hidden: nothing is drawn yet
    assert len(fit.prediction_curve.getOriginalDataset()[0] or []) == 0
    tabs.setCurrentIndex(1)
    px, py = fit.prediction_curve.getOriginalDataset()
    assert len(px) == 20 and py[-1] == pytest.approx(2.0)
    loss.update_snapshot(snap(60))  # now the loss tab is hidden
    assert len(loss.step_curve.getOriginalDataset()[0]) == 40
    tabs.setCurrentIndex(0)
    assert len(loss.step_curve.getOriginalDataset()[0]) == 60


def test_loss_axis_labels_only_decades_over_a_wide_range(qtbot):
    from neurocanvas.widgets.plots import LossAxis

    axis = LossAxis("left")
    axis.setLogMode(False, True)
    values = list(np.log10([0.01, 0.02, 0.05, 0.07, 0.1, 0.3, 1.0]))
    axis.setRange(-3, 0)  # three decades in view
    labels = axis.logTickStrings(values, 1.0, 1.0)
    assert [bool(t) for t in labels] == [True, False, False, False, True, False, True]
    axis.setRange(-2.02, 0.02)  # two decades: 2 and 5 are labelled too, 7 and 3 still not
    labels = axis.logTickStrings(values, 1.0, 1.0)
    assert [bool(t) for t in labels] == [True, True, True, False, True, False, True]


def test_a_diverged_run_ends_in_a_mark_and_never_flattens_later_runs(loss_plot):
    healthy = snap(100)  # 1 -> 0.01
    loss_plot.update_snapshot(healthy)
    loss_plot.begin_run("#2 lr 10")
    blown = snap(30, diverged_at=30, state="diverged")
    blown.step_loss[20:] = np.logspace(1, 10, 10)  # up to 1e10 before the guard fires
    loss_plot.update_snapshot(blown)
    lo, hi = loss_plot.y_extent()
    assert hi <= 10.0 + 1e-9 and lo == pytest.approx(0.01)  # 1 decade over its start at most
    assert len(loss_plot.end_marks) == 1
    mx, my = loss_plot.end_marks[0].getData()
    assert mx[0] == 30 and my[0] <= np.log10(hi) + 1e-9  # the mark sits inside the view
    loss_plot.begin_run("#3 lr 0.01")
    loss_plot.update_snapshot(snap(50))
    lo, hi = loss_plot.y_extent()
    assert hi <= 10.0 + 1e-9  # the later healthy run keeps a readable axis
    _, (y0, y1) = loss_plot.getPlotItem().getViewBox().viewRange()
    assert y1 - y0 < 5  # decades shown, not 1e-2 .. 1e10


def test_a_loss_spike_goes_off_the_top_instead_of_squashing_the_run(loss_plot):
    # Adam at lr 1 on general-fit: 0.7 at first, ~1e4 for a few dozen steps, then ~0.05.
    losses = np.concatenate([[0.7, 0.6, 0.5], np.full(30, 1e4), np.full(200, 0.05)])
    loss_plot.update_snapshot(snap(len(losses), step_loss=losses))
    lo, hi = loss_plot.y_extent()
    assert lo == pytest.approx(0.05) and hi == pytest.approx(7.0)  # a decade above the start
    # a fall from a high start is drawn whole
    loss_plot.begin_run()
    falling = np.geomspace(100.0, 0.01, 50)
    loss_plot.update_snapshot(snap(len(falling), step_loss=falling))
    assert loss_plot.y_extent()[1] == pytest.approx(100.0)
    # an explosion from the second step on (Adam at lr 10) does not set the axis either
    loss_plot.begin_run()
    loss_plot.clear_history()  # the earlier runs' ranges do not count either
    exploding = np.concatenate([[0.7], np.geomspace(1e4, 1e9, 20)])
    loss_plot.update_snapshot(snap(len(exploding), step_loss=exploding))
    assert loss_plot.y_extent()[1] == pytest.approx(7.0)
