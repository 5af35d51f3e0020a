"""Property: any sequence of edits, refused ones included, undoes back to the start exactly.

Hypothesis drives the document's editor with random edits (add, remove, move, rename, set a
parameter, wire, unwire, paste, change the data set, and macros that fail half way), each
followed at random by undo or redo. Whatever happens, the undo stack is never left inside a
macro, a refused edit changes nothing, undoing everything restores the starting graph exactly
(node order and wire order included), and redoing everything restores the end state. Fixed
seed and example count, so CI runs the same sequences every time.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from neurocanvas.app.document import Document
from neurocanvas.core.io.examples import load_example
from neurocanvas.core.network.catalogue import LAYERS

LAYER_TYPES = sorted(t for t in LAYERS if t not in ("Input", "Output"))
VALUES = [0, 1, 3, 7, 65536, 65537, -1, 0.5, 2.5, True, "relu", "mse", "x", (4,), (1, 8, 8)]
NAMES = ["a", "b", "linear1", "input", "1bad", "class", "with space", "ok_name"]
DATASETS = [
    ("moons", {}, 0),
    ("blobs", {"classes": 5}, 1),
    ("sine", {}, 2),
    ("digits", {"n_samples": 100}, 0),
    ("csv", {"path": "/nonexistent/file.csv"}, 0),  # cannot be built: recorded, not refused
]


def snapshot(doc: Document) -> tuple[Any, ...]:
    """The graph in order: nodes (id, type, name, params, position) and wires."""
    g = doc.graph
    nodes = tuple((n.id, n.type, n.name, tuple(n.params.items()), n.pos) for n in g.nodes.values())
    return nodes, tuple(g.edges), doc.dataset_choice()


def stack_state(doc: Document) -> tuple[int, int]:
    return doc.undo_stack.count(), doc.undo_stack.index()


op = st.tuples(
    st.sampled_from(
        [
            "add",
            "add",
            "remove",
            "move",
            "rename",
            "param",
            "param",
            "connect",
            "connect",
            "disconnect",
            "paste",
            "dataset",
            "failing macro",
        ]
    ),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
    st.sampled_from(["none", "none", "undo", "redo"]),
)


def apply(doc: Document, kind: str, a: int, b: int) -> None:
    """One edit; a refused one raises (ValueError family) or returns without a change."""
    editor, graph = doc.editor, doc.graph
    ids = list(graph.nodes)
    pick = ids[a % len(ids)] if ids else None
    other = ids[b % len(ids)] if ids else None
    if kind == "add":
        editor.add_node(LAYER_TYPES[a % len(LAYER_TYPES)], (a % 500, b % 500))
    elif kind == "remove" and pick:
        editor.remove([pick])
    elif kind == "move" and pick:
        old = graph.nodes[pick].pos
        editor.move_nodes({pick: (old, (float(b % 900), float(a % 700)))})
    elif kind == "rename" and pick:
        editor.rename(pick, NAMES[b % len(NAMES)])
    elif kind == "param" and pick:
        params = list(graph.nodes[pick].params)
        if params:
            editor.set_param(pick, params[b % len(params)], VALUES[(a + b) % len(VALUES)])
    elif kind == "connect" and pick and other:
        editor.connect(pick, "out", other, "in")
    elif kind == "disconnect" and graph.edges:
        editor.disconnect([graph.edges[a % len(graph.edges)]])
    elif kind == "paste" and pick:
        data = {"nodes": [{"id": pick, "type": graph.nodes[pick].type, "params": {}}], "edges": []}
        if b % 3 == 0:  # damaged clipboard data of our own format
            data["nodes"][0]["params"] = {"out_features": -5, "nope": 1}
        editor.insert(data, (30.0, 30.0))
    elif kind == "dataset":
        key, params, seed = DATASETS[a % len(DATASETS)]
        doc.change_dataset(key, dict(params), seed)
    elif kind == "failing macro" and pick:
        with editor.macro("two edits, the second refused"):
            editor.move_nodes({pick: (graph.nodes[pick].pos, (1.0, 2.0))})
            editor.rename(pick, "1 invalid name")


@settings(
    max_examples=200,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(op, min_size=5, max_size=30))
def test_random_edits_undo_back_to_the_start_and_redo_to_the_end(qapp, ops):
    doc = Document()
    doc.load(load_example("spiral-classifier"))
    start = snapshot(doc)
    refused = 0
    for kind, a, b, then in ops:
        before, stack_before = snapshot(doc), stack_state(doc)
        try:
            apply(doc, kind, a, b)
        except ValueError:  # GraphError, EditRefused, a bad paste: refused as a whole
            refused += 1
            assert snapshot(doc) == before, f"refused {kind} changed the graph"
            if kind == "failing macro":  # Qt's beginMacro drops the redo history at once
                assert doc.undo_stack.index() == stack_before[1]
            else:  # refused before the push: even the redo history is kept
                assert stack_state(doc) == stack_before, f"refused {kind} changed the stack"
        assert not doc.undo_stack.in_macro, f"{kind} left a macro open"
        if then == "undo" and doc.undo_stack.canUndo():
            doc.undo_stack.undo()
        elif then == "redo" and doc.undo_stack.canRedo():
            doc.undo_stack.redo()
    end, end_index = snapshot(doc), doc.undo_stack.index()
    while doc.undo_stack.canUndo():
        doc.undo_stack.undo()
    assert snapshot(doc) == start
    while doc.undo_stack.index() < end_index:
        doc.undo_stack.redo()
    assert snapshot(doc) == end
