"""Fitting a network's ends to a data set: the Input's shape, the loss, the output width.

Qt-free rules the app applies as undoable edits when the person picks another data set (and
to new Input/Output nodes), kept with the network so that the CLI and tests use the same rules.
"""

from __future__ import annotations

from typing import Any

from neurocanvas.core.network.catalogue import REGRESSION_LOSSES, get_layer
from neurocanvas.core.network.graph import Graph, Node


def task_loss(dataset: Any, loss: str) -> str:
    """``loss`` if it fits the data set's task, else the task's usual loss.

    A choice that fits (huber on a regression, bce on two classes) is the person's and stays.
    """
    if dataset.kind == "classification":
        if loss == "cross_entropy" or (loss == "bce" and int(dataset.n_outputs) == 2):
            return loss
        return "cross_entropy"
    return loss if loss in REGRESSION_LOSSES else "mse"


def fitted_params(layer_type: str, dataset: Any) -> dict[str, Any]:
    """Parameters a new Input or Output takes from ``dataset`` (empty for other layers)."""
    if layer_type == "Input":
        return {"shape": tuple(dataset.input_shape)}
    if layer_type == "Output":
        default = get_layer("Output").param("loss").default
        return {"loss": task_loss(dataset, default)}
    return {}


def fit_edits(graph: Graph, dataset: Any) -> list[tuple[str, str, Any]]:
    """Edits ``(node_id, key, value)`` that make the graph's ends fit ``dataset``.

    The Input's shape, the Output's loss and the width of a Linear wired straight into the
    Output. Only the ends are touched; whatever sits in between is the person's design, and if
    it no longer fits, validation says where.
    """
    edits: list[tuple[str, str, Any]] = []
    for node in list(graph.nodes.values()):
        if node.type == "Input" and tuple(node.params["shape"]) != tuple(dataset.input_shape):
            edits.append((node.id, "shape", tuple(dataset.input_shape)))
        if node.type != "Output":
            continue
        loss = task_loss(dataset, node.params["loss"])
        if loss != node.params["loss"]:
            edits.append((node.id, "loss", loss))
        width = output_width(dataset, loss)
        for edge in graph.edges_into(node.id):
            feeder = graph.nodes[edge.src]
            if feeder.type == "Linear" and feeder.params["out_features"] != width:
                edits.append((feeder.id, "out_features", width))
    return edits


def output_width(dataset: Any, loss: str) -> int:
    """How many numbers per sample an Output with ``loss`` needs for ``dataset``."""
    return 1 if loss == "bce" else int(dataset.n_outputs)


def unadapted_reasons(graph: Graph, dataset: Any, report: Any) -> dict[str, str]:
    """Why an Output whose width does not fit was not resized, keyed by the Output's id.

    Only a Linear wired straight into the Output is resized when the data set changes; any
    layer in between (an activation, a Dropout) may be the person's design, so the last
    Linear is named instead of changed.
    """
    reasons: dict[str, str] = {}
    for node in graph.nodes.values():
        if node.type != "Output" or task_loss(dataset, node.params["loss"]) != node.params["loss"]:
            continue
        info = report.nodes.get(node.id)
        wires = graph.edges_into(node.id)
        if info is None or info.out_shape is None or not wires:
            continue
        width = output_width(dataset, node.params["loss"])
        producer = graph.nodes[wires[0].src]
        if info.out_shape[0] == width or producer.type == "Linear":
            continue
        linear = _last_linear(graph, producer.id)
        why = (
            f"It was not resized to fit the data set because {producer.label} stands between "
            "it and the last Linear."
        )
        if linear is None:
            reasons[node.id] = f"{why} Add a Linear with {width} outputs just before it."
        else:
            reasons[node.id] = (
                f"{why} Set out_features of {linear.label} to {width}, or wire a Linear "
                f"with {width} outputs straight into {node.label}."
            )
    return reasons


def _last_linear(graph: Graph, node_id: str) -> Node | None:
    """The nearest Linear upstream along single wires, or None (a join or the Input ends it)."""
    seen: set[str] = set()
    while node_id not in seen:
        seen.add(node_id)
        node = graph.nodes[node_id]
        if node.type == "Linear":
            return node
        wires = graph.edges_into(node_id)
        if len(wires) != 1:
            return None
        node_id = wires[0].src
    return None


def fit_input_shapes(graph: Graph, dataset: Any) -> list[str]:
    """Give every Input the data set's sample shape, in place; return one note per change.

    An Input's shape is not a design choice but a copy of the data's (the catalogue fills it
    in from the data set), so a project whose file says otherwise, say after its CSV gained a
    column, is brought in line when it is opened (CLI and app alike) instead of being refused.
    """
    notes: list[str] = []
    shape = tuple(int(d) for d in dataset.input_shape)
    for node in list(graph.nodes.values()):
        if node.type == "Input" and tuple(node.params["shape"]) != shape:
            old = tuple(node.params["shape"])
            graph.set_param(node.id, "shape", shape)
            notes.append(
                f"Input '{node.name}' now takes the data set's shape {_fmt(shape)} "
                f"(the file said {_fmt(old)})"
            )
    return notes


def _fmt(shape: tuple[int, ...]) -> str:
    return "(N, " + ", ".join(str(d) for d in shape) + ")"
