"""The right column at 1366x768, 1440x810 and 1920x1080: a selected layer's name, settings and
learnt parameters and the training panel's controls all in view without scrolling, idle,
while training and after a divergence (window_layout folds the run settings where needed)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtWidgets import QApplication, QWidget

from neurocanvas.core.training.guard import describe_divergence
from tests.app.test_layout_sizes import DIVERGED, SIZES, clipped_controls


def laid_out(window_factory, qtbot, example: str, size: QSize):
    w = window_factory(example, show=False)
    w.resize(size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w._laid_out, timeout=30_000)
    qtbot.wait(100)
    return w


def select(w, qtbot, name: str) -> None:
    node = w.document.graph.node_by_name(name)
    w.canvas.select_nodes([node.id])
    qtbot.waitUntil(lambda: w.inspector.parameter_view.isVisible(), timeout=30_000)
    qtbot.wait(100)  # the inspector's scroll area follows its new rows


def wholly_in_view(widget: QWidget, dock) -> bool:
    """``widget`` is shown and lies inside its dock's scroll viewport, with nothing to scroll."""
    area = dock.widget()
    viewport = area.viewport()
    top = widget.mapTo(viewport, QPoint(0, 0)).y()
    return (
        widget.isVisible()
        and area.verticalScrollBar().maximum() == 0
        and 0 <= top
        and top + widget.height() <= viewport.height()
    )


def right_column_whole(w) -> list[str]:
    inspector, panel = w.inspector, w.training_panel
    wanted = {
        "name": (inspector.name_edit, w.inspector_dock),
        "learnt parameters": (inspector.parameter_view, w.inspector_dock),
        "Train": (panel.train_button, w.training_dock),
        "Pause": (panel.pause_button, w.training_dock),
        "Stop": (panel.stop_button, w.training_dock),
        "Reset weights": (panel.reset_button, w.training_dock),
        "learning rate": (panel.lr, w.training_dock),
        "progress": (panel.progress, w.training_dock),
        "message": (panel.status, w.training_dock),
    }
    wanted |= {f"setting {k}": (e, w.inspector_dock) for k, e in inspector.editors.items()}
    return [name for name, (widget, dock) in wanted.items() if not wholly_in_view(widget, dock)]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
@pytest.mark.parametrize("example, layer", [("digits-cnn", "conv1"), ("general-fit", "linear1")])
def test_a_selected_layer_and_the_training_controls_show_without_scrolling(
    window_factory, qtbot, size, example, layer
):
    w = laid_out(window_factory, qtbot, example, size)
    select(w, qtbot, layer)
    assert right_column_whole(w) == []
    panel = w.training_panel
    panel.set_state("running", "")
    panel.progress.setFormat("Epoch 3/20 · 15%")
    panel.progress_label.setText("step 1,234/12,000 · 12,345 samples/s · 1:15 left")
    QApplication.processEvents()
    assert right_column_whole(w) == []
    label = panel.progress_label
    assert label.fontMetrics().horizontalAdvance(label.text()) <= label.width()
    panel.set_state("diverged", DIVERGED)
    QApplication.processEvents()
    assert right_column_whole(w) == []
    assert clipped_controls(w) == []
    # The run settings are unfolded where there is room for them and the inspector both.
    assert panel.settings_section.expanded() == (size.height() >= 1000)


def test_a_divergence_shows_a_whole_sentence_and_the_rest_behind_details(window_factory, qtbot):
    w = laid_out(window_factory, qtbot, "general-fit", SIZES[0])
    panel = w.training_panel
    reason = "the smoothed loss 1.23e+03 grew past 45.6, over 10 times the best so far (4.56)"
    message = describe_divergence(40, 10.0, reason, None, "stop")
    panel.set_state("diverged", message)
    QApplication.processEvents()
    first = f"Training diverged at step 40 with lr 10: {reason}."
    assert panel.status_label.text() == first and panel.status_label.toolTip() == message
    details = panel.status.details_button
    assert details.isVisible()
    qtbot.mouseClick(details, Qt.MouseButton.LeftButton)
    dialog = panel.status.dialog
    qtbot.waitUntil(lambda: dialog is not None and dialog.isVisible())
    assert dialog.text() == message
    dialog.close()
    # A first sentence too long for three lines is not cut: a short one stands for it.
    panel.set_state("diverged", DIVERGED * 2)
    QApplication.processEvents()
    assert panel.status_label.text() == "Training diverged."
    assert panel.message() == DIVERGED * 2 and details.isVisible()
    assert w.training_dock.widget().verticalScrollBar().maximum() == 0


def test_unfolding_the_run_settings_gives_the_panel_its_room(window_factory, qtbot):
    w = laid_out(window_factory, qtbot, "general-fit", SIZES[0])
    panel = w.training_panel
    section = panel.settings_section
    assert not section.expanded() and not panel.batch_spin.isVisible()
    assert "batch 32" in section.header.text() or "batch" in section.header.toolTip()
    before = w.training_dock.height()
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training_dock.height() > before + 80)
    assert panel.batch_spin.isVisible() and panel.policy_combo.isVisible()
    assert w.training_dock.widget().verticalScrollBar().maximum() == 0
    qtbot.mouseClick(section.header, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.training_dock.height() < before + 20)
    assert not panel.batch_spin.isVisible()
