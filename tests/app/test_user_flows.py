"""Whole user flows through the window, driven with the mouse, keys and menus a person uses."""

from __future__ import annotations

import os
import threading

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QFileDialog, QSpinBox

from neurocanvas.app import training_controller
from neurocanvas.app.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def make(window_factory):
    return window_factory


def steps_done(w: MainWindow) -> int:
    snap = w.controller.last_snapshot
    return 0 if snap is None else int(snap.step)


def drop_layer(w: MainWindow, layer_type: str, point: QPoint) -> None:
    """Drag-enter, drag-move and drop the palette's own mime data on the canvas."""
    palette = w.palette_widget
    mime: QMimeData = palette.tree.mimeData([palette.layer_items[layer_type]])
    viewport, action = w.canvas.viewport(), Qt.DropAction.CopyAction
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(viewport, cls(point, action, mime, LEFT, NONE))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), action, mime, LEFT, NONE))


def mouse_drag(w: MainWindow, start_scene, end_scene) -> None:
    viewport = w.canvas.viewport()
    start, end = w.canvas.mapFromScene(start_scene), w.canvas.mapFromScene(end_scene)
    QTest.mousePress(viewport, LEFT, NONE, start)
    for i in range(1, 5):
        QTest.mouseMove(viewport, start + (end - start) * (i / 4))
    QTest.mouseRelease(viewport, LEFT, NONE, end)


def type_into(qtbot, line_edit, text: str) -> None:
    line_edit.selectAll()
    qtbot.keyClicks(line_edit, text)
    qtbot.keyClick(line_edit, Qt.Key.Key_Return)


def test_build_a_network_by_drop_wire_inspector_and_undo_with_keys(make, qtbot):
    w = make(None)
    assert w.new_project()
    graph = w.document.graph
    inp, out = graph.node_by_name("input"), graph.node_by_name("output")
    w.canvas.fit_to_view()
    # drop between the two ends, where the mouse is
    middle = w.canvas.mapFromScene(QPointF(230, 120))
    drop_layer(w, "Linear", middle)
    linear = next(n for n in graph.nodes.values() if n.type == "Linear")
    assert w.canvas.node_items[linear.id].sceneBoundingRect().contains(w.canvas.mapToScene(middle))
    items = w.canvas.node_items
    mouse_drag(w, items[inp.id].outputs["out"].scenePos(), items[linear.id].inputs["in"].scenePos())
    mouse_drag(w, items[linear.id].outputs["out"].scenePos(), items[out.id].inputs["in"].scenePos())
    assert len(graph.edges) == 2
    assert w.undo_action.text() == f"&Undo Connect {linear.name} → output"

    # The default Linear (32 wide) does not fit the 1-wide target: the problem is listed,
    # then fixed in the inspector, which shows the schema's range and help.
    qtbot.waitUntil(lambda: "32" in w.problems.item(0).text(), timeout=30_000)
    assert not w.report.ok and w.problems.count() == 1
    w.canvas.select_nodes([linear.id])
    qtbot.waitUntil(lambda: w.inspector.findChild(QSpinBox, "param_out_features") is not None)
    spin = w.inspector.findChild(QSpinBox, "param_out_features")
    assert spin.minimum() >= 1 and spin.toolTip()
    spin.setValue(1)
    spin.editingFinished.emit()
    qtbot.waitUntil(lambda: graph.nodes[linear.id].params["out_features"] == 1, timeout=30_000)
    qtbot.waitUntil(lambda: w.report.ok, timeout=30_000)
    assert "2 parameters" in w.params_label.text()
    assert w.isWindowModified()

    # Ctrl+Z on the canvas undoes the parameter change, Ctrl+Shift+Z redoes it.
    w.canvas.setFocus()
    qtbot.keyClick(w.canvas, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert graph.nodes[linear.id].params["out_features"] != 1
    mods = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    qtbot.keyClick(w.canvas, Qt.Key.Key_Z, mods)
    assert graph.nodes[linear.id].params["out_features"] == 1


def test_training_settings_mark_the_project_modified_and_are_saved(
    make, qtbot, tmp_path, monkeypatch
):
    w = make()
    panel = w.training_panel
    assert not w.isWindowModified()
    start = panel.lr.value()
    type_into(qtbot, panel.lr.entry, "0.25")
    assert panel.lr.value() == 0.25 and w.isWindowModified()
    type_into(qtbot, panel.lr.entry, f"{start:g}")
    assert not w.isWindowModified()  # back to what the file holds
    panel.epochs_spin.setValue(panel.epochs_spin.value() + 7)
    assert w.isWindowModified()
    epochs = panel.epochs_spin.value()

    target = tmp_path / "settings.ncproj"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.save_action.trigger()
    assert not w.isWindowModified()
    other = make(None)
    assert other.open_file(target)
    assert other.training_panel.epochs_spin.value() == epochs
    assert not other.isWindowModified()


def test_export_and_import_during_a_run_happen_in_the_training_thread(
    make, qtbot, tmp_path, monkeypatch
):
    w = make("general-fit")
    w.training_panel.epochs_spin.setValue(5000)
    ctl = w.controller
    threads: list[str] = []
    real = training_controller.Trainer.weights

    def recording(self):
        threads.append(threading.current_thread().name)
        return real(self)

    monkeypatch.setattr(training_controller.Trainer, "weights", recording)
    qtbot.mouseClick(w.training_panel.train_button, LEFT)
    qtbot.waitUntil(lambda: steps_done(w) > 10, timeout=10_000)
    threads.clear()  # the trainer's first checkpoint is taken before its thread starts

    target = tmp_path / "live.safetensors"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    w.export_actions["safetensors"].trigger()
    assert target.exists() and ctl.state == "running"
    assert threads and threading.main_thread().name not in threads

    # Paused: import fresh weights; the training thread loads them and goes on from there.
    qtbot.mouseClick(w.training_panel.pause_button, LEFT)
    ctl.reset_weights()
    fresh = ctl.weights()
    fresh_file = tmp_path / "fresh.npz"
    np.savez(fresh_file, **fresh)
    qtbot.mouseClick(w.training_panel.step_button, LEFT)
    qtbot.waitUntil(
        lambda: not np.array_equal(ctl.weights()["linear1.weight"], fresh["linear1.weight"])
    )
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(fresh_file), ""))
    w.import_action.trigger()
    for key, value in fresh.items():
        np.testing.assert_array_equal(ctl.weights()[key], value)
    assert ctl.state == "paused"
    assert threading.main_thread().name not in threads
    at = steps_done(w)
    qtbot.mouseClick(w.training_panel.pause_button, LEFT)  # Resume
    qtbot.waitUntil(lambda: steps_done(w) > at + 5, timeout=10_000)


def test_an_export_that_cannot_be_written_says_why_in_a_dialog(
    make, tmp_path, monkeypatch, dialogs
):
    w = make()
    if os.name == "posix" and os.geteuid() != 0:
        folder = tmp_path / "locked"  # a read-only folder
        folder.mkdir()
        folder.chmod(0o500)
        target, reason = folder / "model.npz", "permission denied"
    else:  # root may write anywhere: a folder where the file should go fails as well
        folder = None
        target, reason = tmp_path / "model.npz", "directory"
        target.mkdir()
    try:
        monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
        assert w.export_dialog("npz") == []
    finally:
        if folder is not None:
            folder.chmod(0o700)
    kind, title, text = dialogs[-1]
    assert kind == "critical" and title == "Export failed"
    assert reason in text.lower() and "Traceback" not in text and "Errno" not in text


def test_a_csv_with_a_bad_cell_is_explained_in_the_panel_and_problems(make, qtbot, tmp_path):
    w = make()
    csv = tmp_path / "bad.csv"
    csv.write_text("x,y\n1.0,2.0\n2.0,oops\n3.0,4.0\n")
    panel = w.dataset_panel
    panel.combo.setCurrentIndex(panel.combo.findData("csv"))
    type_into(qtbot, panel.editors["path"].edit, str(csv))
    qtbot.waitUntil(lambda: panel.error_label.isVisibleTo(panel), timeout=30_000)
    message = panel.error_label.text()
    assert "oops" in message or "row" in message.lower()
    assert "Traceback" not in message


def test_runs_fade_until_cleared_from_the_view_menu(make, qtbot):
    w = make()
    w.training_panel.epochs_spin.setValue(3)
    for _ in range(2):
        qtbot.mouseClick(w.training_panel.train_button, LEFT)
        qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=10_000)
    assert len(w.loss_plot.faded) == 1
    assert "Epoch 3/3" in w.training_panel.progress.text()
    detail = w.training_panel.progress_label.text()
    assert "samples/s" in detail and "left" not in detail  # finished: no time left to count
    w.clear_runs_action.trigger()
    assert w.loss_plot.faded == []


def test_typed_lr_acts_on_the_run_and_foreign_weights_are_refused_mid_run(
    make, qtbot, tmp_path, monkeypatch, dialogs
):
    w = make("general-fit")
    w.training_panel.epochs_spin.setValue(5000)
    ctl = w.controller
    qtbot.mouseClick(w.training_panel.train_button, LEFT)
    qtbot.waitUntil(lambda: steps_done(w) > 10, timeout=10_000)
    type_into(qtbot, w.training_panel.lr.entry, "0.0042")
    qtbot.waitUntil(lambda: ctl.trainer.settings["lr"] == 0.0042, timeout=30_000)
    qtbot.waitUntil(
        lambda: any(v == 0.0042 for _, v in w.loss_plot.marker_positions()), timeout=5_000
    )

    qtbot.mouseClick(w.training_panel.pause_button, LEFT)
    before = ctl.weights()
    foreign = tmp_path / "foreign.npz"
    np.savez(foreign, **{"linear.weight": np.ones((1, 1), np.float32)})
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(foreign), ""))
    w.import_action.trigger()
    kind, title, text = dialogs[-1]
    assert kind == "critical" and "foreign.npz" in text and "Traceback" not in text
    after = ctl.weights()
    for key, value in before.items():
        np.testing.assert_array_equal(after[key], value)
    assert ctl.state == "paused"
