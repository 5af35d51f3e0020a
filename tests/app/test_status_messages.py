"""The status bar and the runs table say what just happened, never what happened before."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QFileDialog, QStyle

from neurocanvas.app.actions import themed_icon
from neurocanvas.core.io.export import EXPORT_FORMATS

CTRL = Qt.KeyboardModifier.ControlModifier


def test_ctrl_v_says_pasted_not_copied(window_factory):
    w = window_factory("linear-regression")
    canvas = w.canvas
    canvas.select_nodes([w.document.graph.node_by_name("linear").id])
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_C, CTRL)
    assert w.statusBar().currentMessage() == "Copied 1 node"
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_V, CTRL)
    assert len(w.document.graph.nodes) == 4
    assert w.statusBar().currentMessage() == "Pasted 1 node"


def test_opening_another_example_clears_the_runs_export_message(window_factory, tmp_path):
    w = window_factory("linear-regression")
    table = w.controller.runs_table
    assert table.export_csv(tmp_path / "runs.csv")
    assert "Saved" in table.status.text()
    assert w.open_example("polynomial-regression", ask=False)
    assert "Saved" not in table.status.text()


def test_save_as_and_export_csv_start_in_the_projects_folder(window_factory, tmp_path, monkeypatch):
    w = window_factory("linear-regression")
    assert w.save_to(tmp_path / "fit.ncproj")
    asked: list[str] = []

    def fake_dialog(parent, title, start, *args, **kwargs):
        asked.append(start)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", fake_dialog)
    w.save_as()
    w.controller.runs_table._ask_export()  # what the Export CSV button calls
    w.export_dialog(next(iter(EXPORT_FORMATS)))
    assert [Path(s).parent for s in asked] == [tmp_path] * len(asked) and len(asked) == 3


def icon_image(icon):
    return icon.pixmap(16, 16).toImage()


def test_step_through_shows_resume_with_a_play_icon(window_factory, qtbot):
    w = window_factory("linear-regression")
    pause_icon = icon_image(w.pause_action.icon())
    w.step_action.trigger()
    qtbot.waitUntil(lambda: w.controller.state == "paused", timeout=10_000)
    assert w.pause_action.text() == "&Resume"
    play = themed_icon(w, "media-playback-start", QStyle.StandardPixmap.SP_MediaPlay)
    assert icon_image(w.pause_action.icon()) == icon_image(play)
    assert icon_image(w.pause_action.icon()) != pause_icon
    assert w.inspector.summary.state_value.text() == "training paused"


def test_inspector_status_follows_training(window_factory, qtbot):
    w = window_factory("linear-regression", pace=20.0)
    w.canvas.select_nodes([])
    summary = w.inspector.summary.state_value
    assert summary.text() == "ready to train"
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)
    assert summary.text() == "training"
    w.training_panel.speed.set_pace(None)
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=30_000)
    assert summary.text().startswith("trained")
