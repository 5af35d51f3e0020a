"""A reopened project's loss plot shows its saved runs whole, and names only what it draws."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog


def test_reopening_a_trained_project_shows_its_whole_loss_curve(
    window_factory, qtbot, tmp_path, monkeypatch
):
    w = window_factory("general-fit", epochs=8)
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=60_000)
    last_step = w.controller.last_snapshot.step
    assert last_step > 40  # several epochs of steps: a 0-10 axis would show a sliver
    saved = tmp_path / "fit.ncproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(saved), ""))
    w.save_as_action.trigger()
    assert saved.exists()

    other = window_factory(None)
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(saved), ""))
    other.open_action.trigger()
    plot = other.loss_plot
    qtbot.waitUntil(lambda: len(plot.faded) == 1, timeout=5_000)
    other.results_tabs.setCurrentWidget(plot)  # the plot draws when it is on screen
    qtbot.wait(50)
    (x0, x1), _ = plot.getPlotItem().getViewBox().viewRange()
    ghost_x, _ = plot.faded[0].getData()
    assert x0 <= 1 and x1 >= ghost_x[-1] >= last_step * 0.9, (x0, x1, ghost_x[-1])
    # The legend names the saved run, not a "train" / "validation" curve that is not drawn.
    names = [label.text for _, label in plot.legend.items]
    assert names == [plot.faded[0].name()], names
