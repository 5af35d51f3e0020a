"""Fit plots of a standardised CSV show the user's units and column names, not the network's."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from pyqtgraph import ScatterPlotItem

from neurocanvas.core.datasets import make_dataset
from neurocanvas.widgets.plots import FitPlot


def _snap(fit):
    return SimpleNamespace(fit=fit, confusion=None, samples=None)


def test_a_csv_regression_fit_is_drawn_in_the_columns_units(qtbot, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("area,price\n" + "\n".join(f"{100 + i},{5000 * i}" for i in range(40)))
    ds = make_dataset("csv", {"path": str(path), "standardize_target": True}, seed=0)
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(ds)
    assert plot.main_plot.getAxis("bottom").labelText == "area"
    assert plot.main_plot.getAxis("left").labelText == "price"
    grid = np.linspace(-1.5, 1.5, 7, dtype=np.float32)  # network units, as the trainer sends
    plot.update_snapshot(_snap({"x": grid, "y": grid.copy()}))
    px, py = plot.prediction_curve.getOriginalDataset()
    np.testing.assert_allclose(px, ds.inputs_to_user(grid.reshape(-1, 1)).ravel())
    np.testing.assert_allclose(py, ds.outputs_to_user(grid.reshape(-1, 1)).ravel())
    assert 100 < px.mean() < 140 and py.max() > 1000


def test_decision_regions_of_a_csv_are_placed_in_the_users_units(qtbot, tmp_path):
    rng = np.random.default_rng(0)
    rows = [
        f"{a:.2f},{b:.1f},{int(a > 150)}" for a, b in rng.uniform((100, 0), (200, 1000), (50, 2))
    ]
    path = tmp_path / "c.csv"
    path.write_text("a,b,k\n" + "\n".join(rows))
    ds = make_dataset("csv", {"path": str(path), "task": "classification"}, seed=0)
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(ds)
    axis = np.linspace(-2, 2, 20)
    xx, yy = np.meshgrid(axis, axis)
    probs = np.stack([np.full_like(xx, 0.3), np.full_like(xx, 0.7)], axis=-1)
    plot.update_snapshot(_snap({"xx": xx, "yy": yy, "probs": probs}))
    rect = plot.region_image.mapRectToParent(plot.region_image.boundingRect())
    lo, hi = ds.inputs_to_user(np.array([[-2.0, -2.0], [2.0, 2.0]]))
    assert rect.left() < lo[0] < rect.left() + 20 and rect.right() > hi[0] > rect.right() - 20
    assert rect.top() < lo[1] < rect.top() + 200 and rect.bottom() > hi[1]


def test_a_table_classifier_shows_its_confusion_matrix_without_sample_images(qtbot):
    ds = make_dataset("wine", seed=0)  # 13 columns: no picture to draw
    plot = FitPlot()
    qtbot.addWidget(plot)
    plot.set_dataset(ds)
    assert plot.mode == "confusion" and plot.confusion.sample_texts() == []
    assert list(plot.ci.items) == [plot.main_plot]  # no row of samples under the matrix
    cm = np.eye(3, dtype=np.int64) * 5
    plot.update_snapshot(SimpleNamespace(fit=None, confusion=cm, samples=None))
    assert plot.confusion_image.image.shape == (3, 3)


def test_the_fit_view_is_refilled_for_each_data_set_with_only_its_own_items(qtbot, tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("area,price\n" + "\n".join(f"{100 + i},{5000 * i}" for i in range(40)))
    plot = FitPlot()
    qtbot.addWidget(plot)

    def legend() -> list[str]:
        return [label.text for _, label in plot.main_plot.legend.items]

    plot.set_dataset(make_dataset("sine", {}, seed=0))
    assert legend() == ["train", "validation", "true function", "model"]
    plot.update_snapshot(_snap({"x": np.linspace(-3, 3, 9), "y": np.zeros(9)}))
    plot.keep_fit_as_earlier("run 1", (0, 114, 178))
    plot.set_dataset(make_dataset("csv", {"path": str(path)}, seed=0))  # no true function
    assert legend() == ["train", "validation", "model"]  # and no earlier run's curve
    assert plot.true_curve is None and plot.earlier_fits == []
    xs, _ = plot.prediction_curve.getData()
    assert xs is None or len(xs) == 0  # no prediction before a model is drawn
    (train,) = [i for i in plot.main_plot.items if i.name() == "train"]
    assert train.getData()[0].min() > 99  # the CSV's points, in its units (not standardised)
    plot.set_dataset(make_dataset("blobs", {"classes": 4}, seed=0))
    probs = np.full((4, 4), 0.5)
    plot.update_snapshot(_snap({"xx": np.zeros((4, 4)), "yy": np.zeros((4, 4)), "probs": probs}))
    assert plot.region_image.image is not None
    moons = make_dataset("moons", {}, seed=0)
    plot.set_dataset(moons)
    assert plot.region_image.image is None  # the blobs' regions are gone
    points = [i.getData()[0] for i in plot.main_plot.items if isinstance(i, ScatterPlotItem)]
    assert sorted(len(p) for p in points) == [0, 0, *sorted(np.bincount(moons.y_train))]
    plot.set_dataset(make_dataset("sine", {}, seed=0))
    assert legend() == ["train", "validation", "true function", "model"]
