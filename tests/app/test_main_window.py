"""The main window: named widgets, examples, validation, problems, code tab, undo, settings."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from neurocanvas.app.commands import DisconnectCommand, SetParamCommand
from neurocanvas.app.main_window import MainWindow

NAMED = (
    "palette",
    "canvas",
    "inspector",
    "datasetPanel",
    "trainButton",
    "pauseButton",
    "stopButton",
    "lrSlider",
    "lossPlot",
    "fitPlot",
    "codeView",
)


@pytest.fixture
def window(window_factory):
    return window_factory("general-fit", show=False)


def node_named(window: MainWindow, name: str) -> str:
    node = window.document.graph.node_by_name(name)
    assert node is not None, name
    return node.id


def test_window_opens_general_fit_with_every_named_widget(window):
    for name in NAMED:
        assert window.findChild(QWidget, name) is not None, name
    doc = window.document
    assert doc.dataset_key == "sine"
    assert [n.type for n in doc.graph.nodes.values()].count("Linear") == 3
    assert window.report.ok
    # 1->32->32->1 MLP: 64 + 1056 + 33 weights and biases
    assert "1,153 parameters" in window.params_label.text()
    assert "Fit any curve" in window.windowTitle()
    assert not window.isWindowModified()
    assert "class Net(nn.Module)" in window.code_view.code()
    assert window.fit_plot.mode == "1d"


def test_open_example_from_the_menu(window, qtbot):
    window.example_actions["spiral-classifier"].trigger()
    doc = window.document
    assert doc.dataset_key == "spirals"
    inputs = [n for n in doc.graph.nodes.values() if n.type == "Input"]
    assert inputs[0].params["shape"] == (2,)
    assert window.report.ok
    # the plots follow on the event loop's next turn (the window paints the rest first)
    qtbot.waitUntil(lambda: window.fit_plot.mode == "2d")
    assert window.accuracy_plot.isVisibleTo(window)
    assert "Spiral classifier" in window.windowTitle()


def test_problems_list_names_the_node_and_selects_it_on_click(window, qtbot):
    doc = window.document
    head = node_named(window, "linear3")
    doc.undo_stack.push(SetParamCommand(doc.graph, head, "out_features", 3))
    qtbot.waitUntil(lambda: not window.report.ok, timeout=30_000)
    items = [window.problems.item(i) for i in range(window.problems.count())]
    assert items and all(i.data(0x0100) for i in items)  # each names its node
    assert window.problems_dock.windowTitle().startswith("Problems (")
    window._on_problem_clicked(items[0])
    assert window.canvas.canvas_scene.selected_node_ids() == [items[0].data(0x0100)]
    doc.undo_stack.undo()
    qtbot.waitUntil(lambda: window.report.ok, timeout=30_000)
    assert "No problems" in window.problems.item(0).text()


def test_undo_redo_actions_read_the_command_and_drive_the_modified_marker(window):
    doc = window.document
    node = node_named(window, "linear1")
    doc.undo_stack.push(SetParamCommand(doc.graph, node, "out_features", 8))
    assert "linear1" in window.undo_action.text()
    assert window.isWindowModified()
    window.undo_action.trigger()
    assert doc.graph.nodes[node].params["out_features"] == 32
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert doc.graph.nodes[node].params["out_features"] == 8
    assert window.isWindowModified()
    keys = [s.toString() for s in window.redo_action.shortcuts()]
    assert "Ctrl+Shift+Z" in keys


def test_code_tab_follows_the_graph_and_explains_an_invalid_one(window, qtbot):
    doc = window.document
    node = node_named(window, "linear1")
    doc.undo_stack.push(SetParamCommand(doc.graph, node, "out_features", 16))
    qtbot.waitUntil(lambda: "nn.Linear(1, 16)" in window.code_view.code(), timeout=30_000)
    edge = doc.graph.edges_into(node_named(window, "output"))[0]
    doc.undo_stack.push(DisconnectCommand(doc.graph, edge))
    qtbot.waitUntil(lambda: window.code_view.code().startswith("# No code yet"), timeout=30_000)
    assert "output" in window.code_view.code().lower()


def test_changing_the_data_set_adapts_the_ends_in_one_undo_step(window, qtbot):
    panel = window.dataset_panel
    panel.combo.setCurrentIndex(panel.combo.findData("moons"))
    doc = window.document
    qtbot.waitUntil(lambda: doc.dataset_key == "moons", timeout=30_000)
    graph = doc.graph
    assert graph.nodes[node_named(window, "input")].params["shape"] == (2,)
    assert graph.nodes[node_named(window, "output")].params["loss"] == "cross_entropy"
    assert graph.nodes[node_named(window, "linear3")].params["out_features"] == 2
    qtbot.waitUntil(lambda: window.report is not None and window.report.ok, timeout=30_000)
    qtbot.waitUntil(lambda: window.fit_plot.mode == "2d")
    assert window.isWindowModified()
    doc.undo_stack.undo()
    assert doc.dataset_key == "sine" and panel.key() == "sine"
    assert graph.nodes[node_named(window, "input")].params["shape"] == (1,)
    assert graph.nodes[node_named(window, "output")].params["loss"] == "mse"
    assert not window.isWindowModified()


def test_window_layout_is_remembered_in_the_given_settings(window_factory):
    w = window_factory("general-fit")
    assert w.settings.geometry() is None
    w.problems_dock.hide()  # a person closed a panel
    w.close()
    assert w.settings.geometry() is not None
    again = window_factory("general-fit")
    assert again.problems_dock.isHidden()
    assert not again.palette_dock.isHidden()
    again.close()


def test_main_opens_a_file_or_else_general_fit(qtbot, tmp_path, monkeypatch):
    from neurocanvas.app import main as app_main

    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp_path))
    monkeypatch.setattr(app_main, "apply_look", lambda app: None)  # keep the test app's look
    monkeypatch.setattr(QApplication, "exec", lambda *a: 0)
    before = set(QApplication.topLevelWidgets())
    assert app_main.main([]) == 0
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    opened = [w for w in windows if w not in before]
    assert len(opened) == 1 and opened[0].document.dataset_key == "sine"
    qtbot.addWidget(opened[0])
    path = tmp_path / "lin.ncproj"
    from neurocanvas.core.io.examples import example_path

    path.write_bytes(example_path("linear-regression").read_bytes())
    assert app_main.main([str(path)]) == 0
    second = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    new = [w for w in second if w not in windows]
    qtbot.addWidget(new[0])
    assert new[0].document.path == path
    assert new[0].document.dataset_key == "linear"
