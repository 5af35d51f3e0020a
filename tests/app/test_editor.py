"""The graph editor: every edit is one named undo step; the wiring rule is the graph's."""

import pytest

from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.network.graph import Graph


@pytest.fixture
def editor():
    """input1 -> linear1 -> relu1 -> output1 behind an editor."""
    g = Graph()
    ids = [
        g.add_node("Input", {"shape": (3,)}, pos=(0, 0)).id,
        g.add_node("Linear", {"out_features": 8}, pos=(200, 0)).id,
        g.add_node("ReLU", pos=(400, 0)).id,
        g.add_node("Output", pos=(600, 0)).id,
    ]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, "out", b, "in")
    return GraphEditor(g)


def test_wire_into_a_taken_single_input_replaces_the_old_wire_in_one_step(editor):
    g = editor.graph
    tanh = editor.add_node("Tanh", (400, 200))
    linear = g.node_by_name("linear1").id
    relu, out = g.node_by_name("relu1").id, g.node_by_name("output1").id
    editor.connect(linear, "out", tanh, "in")
    count = editor.undo_stack.count()
    assert editor.connect(tanh, "out", out, "in")
    assert [e.src for e in g.edges_into(out)] == [tanh]
    assert editor.undo_stack.count() == count + 1
    assert editor.undo_stack.undoText() == "Connect tanh1 → output1 (replacing relu1)"
    editor.undo_stack.undo()
    assert [e.src for e in g.edges_into(out)] == [relu]


def test_wire_into_a_multi_input_is_added_not_replaced(editor):
    g = editor.graph
    add = editor.add_node("Add", (800, 0))
    a, b = g.node_by_name("linear1").id, g.node_by_name("relu1").id
    assert editor.connect(a, "out", add, "in") and editor.connect(b, "out", add, "in")
    assert [e.src for e in g.edges_into(add)] == [a, b]


@pytest.mark.parametrize(
    ("names", "reason"),
    [
        (("relu1", "linear1"), "would make a cycle"),
        (("linear1", "linear1"), "itself"),
        (("input1", "relu1"), ""),  # taken single input: allowed, the wire is replaced
    ],
)
def test_connection_problem_is_the_graphs_reason_as_a_sentence(editor, names, reason):
    g = editor.graph
    src, dst = (g.node_by_name(n).id for n in names)
    problem = editor.connection_problem(src, "out", dst, "in")
    assert reason in problem
    if reason:
        assert problem[0].isupper() and problem.endswith(".")
        assert not editor.connect(src, "out", dst, "in")
        assert editor.undo_stack.count() == 0
    else:
        assert problem == ""


def test_add_node_lets_the_application_prepare_the_command(editor):
    seen = []

    def fit(command):
        seen.append(command.layer_type)
        command.params = {"shape": (7,)}

    editor.prepare_add = fit
    node_id = editor.add_node("Input", (0, 300))
    assert seen == ["Input"] and editor.graph.nodes[node_id].params["shape"] == (7,)


def test_insert_of_bad_data_raises_value_error_and_pushes_nothing(editor):
    before = editor.graph.to_dict()
    bad = {"nodes": [{"id": "n1", "type": "NoSuchLayer", "params": {}, "pos": [0, 0]}]}
    with pytest.raises(ValueError, match="NoSuchLayer"):
        editor.insert(bad, (10, 10))
    assert editor.graph.to_dict() == before and editor.undo_stack.count() == 0


def test_remove_of_one_wire_is_named_disconnect(editor):
    g = editor.graph
    edge = g.edges[1]
    editor.remove([], [edge])
    assert editor.undo_stack.undoText() == "Disconnect linear1 → relu1"
    assert not g.edge_exists(edge)
    editor.undo_stack.undo()
    assert g.edges[1] == edge
