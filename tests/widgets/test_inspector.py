"""The inspector: one editor per parameter kind, validated, pushing undoable commands."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import (
    QApplication,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QLabel,
    QLineEdit,
    QSpinBox,
)

from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.network.catalogue import LAYERS
from neurocanvas.core.network.graph import Graph
from neurocanvas.widgets.inspector import Inspector
from neurocanvas.widgets.param_editors import LogFloatEditor

ENTER = Qt.Key.Key_Return


@pytest.fixture
def inspector(qtbot):
    widget = Inspector(GraphEditor(Graph()))
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def show(inspector, layer_type, **params):
    node_id = inspector.graph.add_node(layer_type, params or None).id
    inspector.set_node(node_id)
    QApplication.processEvents()  # new rows are shown by the layout on the next event loop turn
    return node_id


def editor(inspector, name):
    return inspector.findChild(object, f"param_{name}")


def type_into(widget, text):
    """Select what is there, type ``text`` and press Enter, as a person would."""
    target = widget.lineEdit() if hasattr(widget, "lineEdit") else widget
    target.selectAll()
    QTest.keyClicks(widget, text)
    QTest.keyClick(widget, ENTER)


@pytest.mark.parametrize("layer_type", list(LAYERS))
def test_every_parameter_gets_the_editor_of_its_kind_with_help(inspector, layer_type):
    show(inspector, layer_type)
    expected = {
        "int": QSpinBox,
        "float": QDoubleSpinBox,
        "choice": QComboBox,
        "bool": QCheckBox,
        "shape": QLineEdit,
        "str": QLineEdit,
    }
    helps = {label.text() for label in inspector.findChildren(QLabel) if label.isVisible()}
    for spec in LAYERS[layer_type].params:
        widget = editor(inspector, spec.name)
        kind = QLineEdit if (spec.kind == "float" and spec.log) else expected[spec.kind]
        assert isinstance(widget, kind)
        assert widget.isVisible()
        if spec.help:
            assert spec.help in helps
        if spec.kind == "int":
            assert (widget.minimum(), widget.maximum()) == (spec.min, spec.max)


def test_int_editor_pushes_a_command_and_undo_updates_it(inspector):
    node_id = show(inspector, "Linear")
    box = editor(inspector, "out_features")
    type_into(box, "64")
    assert inspector.graph.nodes[node_id].params["out_features"] == 64
    assert inspector.editor.undo_stack.undoText() == "Change Outputs of linear1 to 64"
    QTest.keyClick(box, Qt.Key.Key_Up)
    assert inspector.graph.nodes[node_id].params["out_features"] == 65
    inspector.editor.undo_stack.undo()
    inspector.editor.undo_stack.undo()
    assert box.value() == inspector.graph.nodes[node_id].params["out_features"] == 32
    assert inspector.editor.undo_stack.count() == 2  # refreshing the editor pushed nothing


def test_int_editor_cannot_leave_the_schema_range(inspector):
    node_id = show(inspector, "Linear")
    box = editor(inspector, "out_features")
    box.setValue(1)
    QTest.keyClick(box, Qt.Key.Key_Down)
    type_into(box, "0")
    assert inspector.graph.nodes[node_id].params["out_features"] == 1
    assert box.value() == 1


def test_float_choice_and_bool_editors_push_commands(inspector):
    drop = show(inspector, "Dropout")
    type_into(editor(inspector, "p"), "0.25")
    assert inspector.graph.nodes[drop].params["p"] == 0.25
    gelu = show(inspector, "GELU")
    combo = editor(inspector, "approximate")
    combo.setCurrentText("tanh")
    assert inspector.graph.nodes[gelu].params["approximate"] == "tanh"
    linear = show(inspector, "Linear")
    QTest.keyClick(editor(inspector, "bias"), Qt.Key.Key_Space)
    assert inspector.graph.nodes[linear].params["bias"] is False
    assert inspector.editor.undo_stack.undoText() == "Change Bias of linear1 to False"


def test_shape_editor_parses_and_refuses_bad_text_with_a_message(inspector):
    node_id = show(inspector, "Input")
    line = editor(inspector, "shape")
    type_into(line, "1, 28, 28")
    assert inspector.graph.nodes[node_id].params["shape"] == (1, 28, 28)
    count = inspector.editor.undo_stack.count()
    type_into(line, "1, x")
    assert inspector.graph.nodes[node_id].params["shape"] == (1, 28, 28)
    assert "whole numbers" in inspector.error.text() and inspector.error.isVisible()
    type_into(line, "0, 3")  # parses, but ParamSpec.validate refuses it
    assert "at least 1" in inspector.error.text()
    assert "d55e00" in line.styleSheet()  # the refused field is outlined
    assert inspector.editor.undo_stack.count() == count
    inspector.editor.undo_stack.undo()
    assert line.text() == "1"  # the editor follows the undo
    assert not inspector.error.isVisible() and line.styleSheet() == ""


def test_log_scale_float_takes_scientific_text(inspector):
    node_id = show(inspector, "BatchNorm")
    spec = next(p for p in LAYERS["BatchNorm"].params if p.log)
    assert isinstance(inspector.editors[spec.name], LogFloatEditor)
    type_into(editor(inspector, spec.name), "1e-3")
    assert inspector.graph.nodes[node_id].params[spec.name] == pytest.approx(1e-3)
    type_into(editor(inspector, spec.name), "5")  # above the schema's max
    assert inspector.graph.nodes[node_id].params[spec.name] == pytest.approx(1e-3)
    assert spec.name in inspector.error.text()


def test_rename_pushes_a_command_and_refuses_bad_or_taken_names(inspector):
    other = show(inspector, "ReLU")
    node_id = show(inspector, "Linear")
    type_into(inspector.name_edit, "encoder")
    assert inspector.graph.nodes[node_id].name == "encoder"
    assert inspector.editor.undo_stack.undoText() == "Rename linear1 to encoder"
    type_into(inspector.name_edit, inspector.graph.nodes[other].name)
    assert "already used" in inspector.error.text()
    type_into(inspector.name_edit, "2bad name")
    assert "cannot be a node name" in inspector.error.text()
    assert inspector.graph.nodes[node_id].name == "encoder"
    inspector.editor.undo_stack.undo()
    assert inspector.name_edit.text() == "linear1"


def test_removing_the_shown_node_clears_the_inspector(inspector):
    node_id = show(inspector, "Linear")
    inspector.graph.remove_node(node_id)
    assert inspector.node_id is None and not inspector.editors
    assert inspector.summary.isVisible() and not inspector.name_edit.isVisible()


def test_selecting_a_node_on_the_canvas_shows_it_in_the_inspector(inspector, qtbot):
    from neurocanvas.widgets.canvas import NodeCanvas

    canvas = NodeCanvas(inspector.editor)
    qtbot.addWidget(canvas)
    canvas.selection_changed.connect(inspector.set_node)
    node_id = inspector.graph.add_node("Conv2d").id
    canvas.select_nodes([node_id])
    assert inspector.node_id == node_id and "out_channels" in inspector.editors
    canvas.canvas_scene.clearSelection()
    assert inspector.node_id is None


def test_with_nothing_selected_the_summary_shows_the_analysed_network(inspector):
    from neurocanvas.core.network.shapes import DataSpec, analyse

    graph = inspector.graph
    inp = graph.add_node("Input", {"shape": (3,)}, pos=(0.0, 0.0)).id
    lin = graph.add_node("Linear", {"out_features": 4}, pos=(200.0, 0.0)).id
    graph.connect(inp, "out", lin, "in")
    report = analyse(graph, DataSpec((3,), "regression", 4))
    inspector.set_report(report)
    summary = inspector.summary
    assert summary.isVisible() and not inspector.form_host.isVisible()
    # 3 inputs x 4 outputs + 4 biases, worked out by hand rather than read from the report
    assert report.total_params == 16
    assert summary.params_value.text() == "16"
    assert summary.macs_value.text() == f"{report.total_macs:,} per sample"
    rows = [
        [summary.table.topLevelItem(i).text(c) for c in range(3)]
        for i in range(summary.table.topLevelItemCount())
    ]
    assert rows == [["input1", "(N, 3)", "–"], ["linear1", "(N, 4)", "16"]]

    inspector.set_node(lin)  # a selection replaces the summary with the editors
    assert not summary.isVisible() and inspector.form_host.isVisible()
    inspector.set_node(None)
    assert summary.isVisible() and summary.table.topLevelItemCount() == 2


def test_the_summary_names_problems_and_waits_for_an_analysis(inspector):
    from neurocanvas.core.network.shapes import analyse

    graph = inspector.graph
    graph.add_node("Linear")
    inspector.set_node(None)
    assert inspector.summary.params_value.text() == "–"  # no analysis yet: no made-up figures
    report = analyse(graph)
    assert report.problems  # a Linear with no input and no Input or Output cannot compile
    inspector.set_report(report)
    n = len(report.problems)
    assert inspector.summary.state_value.text().startswith(f"{n} problem")
