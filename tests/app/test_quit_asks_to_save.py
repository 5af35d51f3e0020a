"""Quitting or closing the window asks before unsaved work (trained weights included) goes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from neurocanvas.core.io.project import load_project

LEFT, CTRL = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.ControlModifier


def train_to_the_end(w, qtbot) -> None:
    qtbot.mouseClick(w.training_panel.train_button, LEFT)
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=30_000)


@pytest.mark.slow
def test_ctrl_q_after_training_asks_and_cancel_keeps_the_window(window_factory, qtbot, dialogs):
    w = window_factory("linear-regression")
    assert not w.document.modified
    train_to_the_end(w, qtbot)
    assert w.document.modified  # the trained weights are not in any file yet
    dialogs.answer = QMessageBox.StandardButton.Cancel
    w.activateWindow()
    qtbot.waitActive(w)
    QTest.keyClick(w.canvas, Qt.Key.Key_Q, CTRL)
    assert [d[1] for d in dialogs] == ["Unsaved changes"]
    assert "Save" in dialogs[0][2]
    assert w.isVisible()


@pytest.mark.slow
def test_closing_after_training_and_choosing_save_writes_the_weights(
    window_factory, qtbot, dialogs, tmp_path
):
    w = window_factory("linear-regression")
    path = tmp_path / "fit.ncproj"
    w.save_to(path)
    assert not w.document.modified
    train_to_the_end(w, qtbot)
    dialogs.answer = QMessageBox.StandardButton.Save
    assert w.close()
    assert [d[1] for d in dialogs] == ["Unsaved changes"]
    assert not w.isVisible()
    project, weights = load_project(path)
    assert len(project.runs) == 1 and weights  # the run and its weights were saved


def test_closing_an_untouched_example_asks_nothing(window_factory, dialogs):
    w = window_factory("linear-regression")
    assert w.close()
    assert dialogs == []
