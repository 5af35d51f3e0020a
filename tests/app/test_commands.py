"""Undo commands: each edit is undone and redone exactly, with readable names."""

import pytest
from PySide6.QtGui import QUndoStack

from neurocanvas.app.commands import (
    AddNodeCommand,
    ConnectCommand,
    DisconnectCommand,
    MoveNodesCommand,
    PasteCommand,
    RemoveNodesCommand,
    RenameNodeCommand,
    SetParamCommand,
)
from neurocanvas.core.network.graph import Graph
from neurocanvas.widgets.canvas.clipboard import subgraph_dict


@pytest.fixture
def chain():
    """input1 -> linear1 -> relu1 -> output1, and a stack to push on."""
    g = Graph()
    ids = [
        g.add_node("Input", {"shape": (3,)}, pos=(0, 0)).id,
        g.add_node("Linear", {"out_features": 8}, pos=(200, 0)).id,
        g.add_node("ReLU", pos=(400, 0)).id,
        g.add_node("Output", pos=(600, 0)).id,
    ]
    for a, b in zip(ids, ids[1:]):
        g.connect(a, "out", b, "in")
    return g, ids, QUndoStack()


def _state(graph):
    """Nodes and wires as plain data (the id counter is left out: ids are never reused)."""
    d = graph.to_dict()
    # Wire order matters (Concat joins inputs in that order); node order does not.
    return {"nodes": sorted(d["nodes"], key=lambda n: n["id"]), "edges": d["edges"]}


def _round_trip(stack, graph, command):
    """Push, undo, redo; return the graph's state before, after the push and after the undo."""
    before = _state(graph)
    stack.push(command)
    after = _state(graph)
    stack.undo()
    undone = _state(graph)
    stack.redo()
    assert _state(graph) == after
    return before, after, undone


def test_add_node_undo_removes_it_and_redo_restores_same_id_and_name(chain):
    g, _, stack = chain
    cmd = AddNodeCommand(g, "Linear", (10, 20))
    before, after, undone = _round_trip(stack, g, cmd)
    assert undone == before and after != before
    assert g.nodes[cmd.node_id].name == cmd.name == "linear2"
    assert g.nodes[cmd.node_id].pos == (10.0, 20.0)
    assert stack.undoText() == "Add Linear"


def test_remove_node_restores_its_wires_on_undo(chain):
    g, ids, stack = chain
    before, after, undone = _round_trip(stack, g, RemoveNodesCommand(g, [ids[1]]))
    assert ids[1] not in g.nodes
    assert len(g.edges) == 1  # only relu1 -> output1 survives
    assert undone == before
    assert stack.undoText() == "Delete linear1"


def test_remove_nodes_and_a_loose_wire_is_one_step(chain):
    g, ids, stack = chain
    loose = g.edges_into(ids[3])[0]
    stack.push(RemoveNodesCommand(g, [ids[0]], [loose]))
    assert len(g.nodes) == 3 and len(g.edges) == 1
    assert stack.undoText() == "Delete 1 node and 1 wire"
    stack.undo()
    assert len(g.nodes) == 4 and len(g.edges) == 3


def test_connect_and_disconnect_round_trip(chain):
    g, ids, stack = chain
    edge = g.edges_into(ids[2])[0]
    before, after, undone = _round_trip(stack, g, DisconnectCommand(g, edge))
    assert undone == before and edge not in g.edges
    assert stack.undoText() == "Disconnect linear1 → relu1"
    before, after, undone = _round_trip(stack, g, ConnectCommand(g, *edge.__dict__.values()))
    assert edge in g.edges and undone == before
    assert stack.undoText() == "Connect linear1 → relu1"


def test_moves_of_one_drag_merge_into_one_undo_step(chain):
    g, ids, stack = chain
    stack.push(MoveNodesCommand(g, {ids[1]: ((200, 0), (210, 5))}, drag_id=7))
    stack.push(MoveNodesCommand(g, {ids[1]: ((210, 5), (250, 40))}, drag_id=7))
    assert stack.count() == 1 and g.nodes[ids[1]].pos == (250, 40)
    stack.undo()
    assert g.nodes[ids[1]].pos == (200, 0)
    stack.redo()
    stack.push(MoveNodesCommand(g, {ids[1]: ((250, 40), (0, 0))}, drag_id=8))
    assert stack.count() == 2  # another drag is another step
    assert stack.undoText() == "Move linear1"


def test_set_param_and_rename_have_readable_names(chain):
    g, ids, stack = chain
    before, _, undone = _round_trip(stack, g, SetParamCommand(g, ids[1], "out_features", 64))
    assert undone == before and g.nodes[ids[1]].params["out_features"] == 64
    assert stack.undoText() == "Change Outputs of linear1 to 64"
    before, _, undone = _round_trip(stack, g, RenameNodeCommand(g, ids[1], "encoder"))
    assert undone == before and g.nodes[ids[1]].name == "encoder"
    assert stack.undoText() == "Rename linear1 to encoder"


def test_paste_adds_copies_with_new_names_and_only_internal_wires(chain):
    g, ids, stack = chain
    data = subgraph_dict(g, ids[1:3])  # linear1 -> relu1; the wires to input/output stay out
    assert len(data["edges"]) == 1
    cmd = PasteCommand(g, data, offset=(0, 100))
    before, after, undone = _round_trip(stack, g, cmd)
    assert undone == before
    new_linear, new_relu = cmd.new_ids
    assert g.nodes[new_linear].name == "linear2" and g.nodes[new_relu].name == "relu2"
    assert g.nodes[new_linear].pos == (200, 100)
    assert [(e.src, e.dst) for e in g.edges_into(new_relu)] == [(new_linear, new_relu)]
    assert g.edges_into(new_linear) == []
    assert stack.undoText() == "Paste 2 nodes"


def test_paste_survives_a_json_round_trip_of_shape_params():
    import json

    g = Graph()
    node = g.add_node("Input", {"shape": (1, 28, 28)})
    data = json.loads(json.dumps(subgraph_dict(g, [node.id])))
    cmd = PasteCommand(g, data)
    cmd.redo()
    assert g.nodes[cmd.new_ids[0]].params["shape"] == (1, 28, 28)


def test_undoing_a_removal_keeps_concat_input_order():
    g = Graph()
    a, b, c = (g.add_node("Linear").id for _ in range(3))
    cat = g.add_node("Concat").id
    for src in (a, b, c):
        g.connect(src, "out", cat, "in")
    stack = QUndoStack()
    stack.push(DisconnectCommand(g, g.edges_into(cat)[0]))
    stack.push(RemoveNodesCommand(g, [b]))
    stack.undo()
    stack.undo()
    assert [e.src for e in g.edges_into(cat)] == [a, b, c]
