"""Legends sit in a row above the data, never on it, and earlier fits fade instead of piling
up: checked on the real plots after real runs, at the three screen sizes."""

from __future__ import annotations

import pytest

from tests.app.test_layout_sizes import SIZES
from tests.app.test_right_column import laid_out


def train_steps(w, qtbot, steps: int) -> None:
    w.training_panel.epochs_spin.setValue(1000)
    w.controller.train()
    qtbot.waitUntil(
        lambda: w.controller.last_snapshot is not None and w.controller.last_snapshot.step > steps,
        timeout=30_000,
    )
    w.controller.stop()
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=30_000)
    qtbot.wait(100)


def legends(w) -> dict:
    plots = {"loss": w.loss_plot.getPlotItem(), "fit": w.fit_plot.main_plot}
    if w.accuracy_plot.isVisible():
        plots["accuracy"] = w.accuracy_plot.getPlotItem()
    return {name: (item, item.legend) for name, item in plots.items() if item.legend is not None}


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
@pytest.mark.parametrize("example", ["general-fit", "spiral-classifier"])
def test_legends_sit_above_the_data_and_never_widen_the_plot(window_factory, qtbot, size, example):
    w = laid_out(window_factory, qtbot, example, size)
    train_steps(w, qtbot, 20)
    train_steps(w, qtbot, 10)  # a second run: the loss legend names both, the fit an earlier
    found = legends(w)
    assert {"loss"} <= set(found) and (example != "spiral-classifier" or "accuracy" in found)
    for name, (item, legend) in found.items():
        assert legend.isVisible() and legend.items, name
        view = item.getViewBox().sceneBoundingRect()
        box = legend.sceneBoundingRect()
        assert box.bottom() <= view.top() + 1, f"{name}: legend {box} over the data {view}"
        assert box.right() <= item.sceneBoundingRect().right() + 1, name
        assert view.height() >= 0.5 * item.sceneBoundingRect().height(), name


def test_the_fits_of_four_compared_runs_stay_named_and_older_ones_go(window_factory, qtbot):
    w = laid_out(window_factory, qtbot, "general-fit", SIZES[0])
    for _ in range(6):
        train_steps(w, qtbot, 5)
    fit = w.fit_plot
    assert len(fit.earlier_fits) == fit.MAX_EARLIER == 4  # the four rates Compare trains
    named = [label.text for _, label in fit.legend.items]
    assert all(ghost.name() in named for ghost in fit.earlier_fits)
    assert w.loss_plot.run_labels()[0] not in named  # the oldest of six runs went
    loss_named = [label.text for _, label in w.loss_plot.legend.items]
    earlier = w.loss_plot.run_labels()[:-1]
    assert earlier[-3:] == [n for n in loss_named if n in earlier]  # the newest three only
    assert len(w.loss_plot.faded) == 5  # every run still drawn
