"""Input and Output follow the data set: File ▸ New, drops from the palette, data set changes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import QApplication, QComboBox

from neurocanvas.app.main_window import MainWindow

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def window(window_factory):
    return window_factory("general-fit")


def choose_dataset(qtbot, w: MainWindow, key: str) -> None:
    """Pick a data set in the panel's combo box, as a person does."""
    panel = w.dataset_panel
    panel.combo.setCurrentIndex(panel.combo.findData(key))
    qtbot.waitUntil(lambda: w.document.dataset_key == key, timeout=30_000)


def drop_layer(w: MainWindow, layer_type: str, point: QPoint) -> str:
    """Drag the palette's own mime data onto the canvas; the id of the new node."""
    before = set(w.document.graph.nodes)
    palette = w.palette_widget
    mime: QMimeData = palette.tree.mimeData([palette.layer_items[layer_type]])
    viewport, action = w.canvas.viewport(), Qt.DropAction.CopyAction
    for cls in (QDragEnterEvent, QDragMoveEvent):
        QApplication.sendEvent(viewport, cls(point, action, mime, LEFT, NONE))
    QApplication.sendEvent(viewport, QDropEvent(QPointF(point), action, mime, LEFT, NONE))
    (new,) = set(w.document.graph.nodes) - before
    return new


def new_from_menu(qtbot, w: MainWindow) -> None:
    file_menu = w.menuBar().actions()[0].menu()
    assert w.new_action in file_menu.actions()
    w.new_action.trigger()
    qtbot.waitUntil(lambda: w.document.name == "Untitled" and w.document.path is None)


def ends(w: MainWindow):
    graph = w.document.graph
    return graph.node_by_name("input"), graph.node_by_name("output")


def problem_texts(w: MainWindow) -> list[str]:
    w.validate()
    return [w.problems.item(i).text() for i in range(w.problems.count())]


def test_new_on_spirals_gives_an_input_and_output_that_fit(qtbot, window):
    choose_dataset(qtbot, window, "spirals")
    new_from_menu(qtbot, window)
    inp, out = ends(window)
    assert len(window.document.graph.nodes) == 2 and not window.document.graph.edges
    assert tuple(inp.params["shape"]) == (2,)
    assert out.params["loss"] == "cross_entropy"
    # Fitted from the start: nothing to undo and nothing modified.
    assert window.document.undo_stack.count() == 0 and not window.document.modified
    texts = problem_texts(window)
    assert not any("shape" in t or "loss" in t for t in texts), texts


def test_new_on_a_regression_gives_mse_and_the_data_width(qtbot, window):
    choose_dataset(qtbot, window, "sine")
    new_from_menu(qtbot, window)
    inp, out = ends(window)
    assert tuple(inp.params["shape"]) == (1,) and out.params["loss"] == "mse"


def test_dropped_input_and_output_take_the_data_set_in_one_undo_step(qtbot, window):
    choose_dataset(qtbot, window, "blobs")  # three classes
    new_from_menu(qtbot, window)
    graph, stack = window.document.graph, window.document.undo_stack
    for node_id in list(graph.nodes):
        graph.remove_node(node_id)  # an empty canvas, as after deleting both ends
    stack.clear()
    centre = window.canvas.viewport().rect().center()
    inp = drop_layer(window, "Input", centre)
    assert tuple(graph.nodes[inp].params["shape"]) == (2,)
    out = drop_layer(window, "Output", centre + QPoint(0, 120))
    assert graph.nodes[out].params["loss"] == "cross_entropy"
    assert stack.count() == 2  # one step per drop, the fitting included
    assert window.undo_action.text() == "&Undo Add Output"
    stack.undo()
    assert out not in graph.nodes
    stack.redo()
    assert graph.nodes[out].params["loss"] == "cross_entropy"
    # Other layers are dropped with their catalogue defaults.
    linear = drop_layer(window, "Linear", centre + QPoint(0, 60))
    assert graph.nodes[linear].params["out_features"] == 32


def test_a_fitting_loss_stays_and_a_wrong_one_follows_the_task(qtbot, window):
    graph, stack = window.document.graph, window.document.undo_stack
    out = next(n for n in graph.nodes.values() if n.type == "Output")
    window.canvas.select_nodes([out.id])  # the inspector shows the Output
    qtbot.waitUntil(lambda: window.inspector.findChild(QComboBox, "param_loss") is not None)
    window.inspector.findChild(QComboBox, "param_loss").setCurrentText("huber")
    qtbot.waitUntil(lambda: out.params["loss"] == "huber", timeout=30_000)
    choose_dataset(qtbot, window, "polynomial")  # regression to regression: huber fits
    assert out.params["loss"] == "huber"
    choose_dataset(qtbot, window, "moons")
    assert out.params["loss"] == "cross_entropy"
    assert tuple(graph.node_by_name("input").params["shape"]) == (2,)
    # The data set change and every adaptation are one undo step.
    assert window.undo_action.text().startswith("&Undo Use data set")
    stack.undo()
    assert window.document.dataset_key == "polynomial"
    assert out.params["loss"] == "huber"


def test_bce_on_three_classes_becomes_cross_entropy_but_stays_on_two(qtbot, window):
    from neurocanvas.app.commands import SetParamCommand

    graph, stack = window.document.graph, window.document.undo_stack
    choose_dataset(qtbot, window, "moons")
    out = next(n for n in graph.nodes.values() if n.type == "Output")
    stack.push(SetParamCommand(graph, out.id, "loss", "bce"))
    choose_dataset(qtbot, window, "xor")
    assert out.params["loss"] == "bce"
    choose_dataset(qtbot, window, "blobs")
    assert out.params["loss"] == "cross_entropy"


def test_an_output_behind_an_activation_says_why_it_was_not_resized(qtbot, window):
    choose_dataset(qtbot, window, "spirals")
    new_from_menu(qtbot, window)
    graph = window.document.graph
    inp, out = ends(window)
    linear = graph.add_node("Linear", pos=(150, 0), name="last")
    relu = graph.add_node("ReLU", pos=(300, 0), name="act")
    graph.connect(inp.id, "out", linear.id, "in")
    graph.connect(linear.id, "out", relu.id, "in")
    graph.connect(relu.id, "out", out.id, "in")
    choose_dataset(qtbot, window, "blobs")  # three classes: the Linear is not resized
    assert linear.params["out_features"] == 32
    texts = problem_texts(window)
    (text,) = [t for t in texts if "output" in t and "classes" in t]
    assert "not resized" in text and "ReLU 'act'" in text
    assert "out_features of Linear 'last' to 3" in text
    # Following the advice clears the problem.
    graph.set_param(linear.id, "out_features", 3)
    assert not any("classes" in t for t in problem_texts(window))


def test_a_linear_wired_straight_in_is_resized_with_the_data_set(qtbot, window):
    choose_dataset(qtbot, window, "digits")
    graph = window.document.graph
    out = next(n for n in graph.nodes.values() if n.type == "Output")
    (wire,) = graph.edges_into(out.id)
    feeder = graph.nodes[wire.src]
    assert feeder.type == "Linear" and feeder.params["out_features"] == 10
    assert out.params["loss"] == "cross_entropy"
