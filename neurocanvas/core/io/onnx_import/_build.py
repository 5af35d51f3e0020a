"""Layers -> a Graph on the canvas: readable names, a left-to-right layout, the Output node."""

from __future__ import annotations

import re

import numpy as np

from neurocanvas.core.network.catalogue import is_valid_name
from neurocanvas.core.network.graph import Graph

from ._convert import Layer

COLUMN_STEP = 200.0  # the bundled examples' spacing: a node is 132 px wide
ROW_STEP = 130.0  # a node is about 70-100 px tall, so branches do not touch


def _node_name(hint: str | None, graph: Graph) -> str | None:
    """'layers.0' -> 'layers_0' when that is a free, valid node name; else None (default)."""
    if not hint:
        return None
    name = re.sub(r"\W+", "_", hint).strip("_")
    if name[:1].isdigit():
        name = f"layer_{name}"
    if not is_valid_name(name) or graph.node_by_name(name) is not None:
        return None
    return name


def build_graph(
    input_shape: tuple[int, ...],
    input_value: str,
    output_value: str,
    layers: list[Layer],
    aliases: dict[str, str],
    loss: str,
) -> tuple[Graph, dict[str, np.ndarray], dict[str, Layer]]:
    """The graph, its weights by state_dict key, and node id -> the Layer it came from."""
    graph = Graph()
    inp = graph.add_node("Input", {"shape": input_shape}, name="input")
    made: dict[str, str] = {input_value: inp.id}
    weights: dict[str, np.ndarray] = {}
    origin: dict[str, Layer] = {}

    def resolve(value: str) -> str:
        while value in aliases:
            value = aliases[value]
        return value

    for layer in layers:
        node = graph.add_node(layer.type, layer.params, name=_node_name(layer.name_hint, graph))
        origin[node.id] = layer
        for value in layer.inputs:
            graph.connect(made[resolve(value)], "out", node.id, "in")
        made[layer.output] = node.id
        for key, array in layer.weights.items():
            weights[f"{node.name}.{key}"] = array
    out = graph.add_node("Output", {"loss": loss}, name="output")
    graph.connect(made[resolve(output_value)], "out", out.id, "in")
    lay_out(graph)
    return graph, weights, origin


def lay_out(graph: Graph) -> None:
    """Columns by longest path from the Input, rows centred on y = 0.

    A wire that skips columns (a skip connection) gets a placeholder in every column it
    crosses, as in Sugiyama's layered drawing, so the layers it jumps over move aside
    instead of sitting on top of it. Within a column, nodes are ordered by the mean row of
    what feeds them, which keeps branches from crossing.
    """
    order = graph.topological_order()
    depth: dict[str, int] = {}
    feeders: dict[str, list[str]] = {}
    for nid in order:
        feeders[nid] = [e.src for e in graph.edges_into(nid)]
        depth[nid] = 1 + max((depth[s] for s in feeders[nid]), default=-1)
    columns: dict[int, list[str]] = {}
    for nid in order:
        columns.setdefault(depth[nid], []).append(nid)
    for e in graph.edges:  # placeholders for the wires that jump columns
        previous = e.src
        for d in range(depth[e.src] + 1, depth[e.dst]):
            ghost = f"{e.src}>{e.dst}@{d}"
            feeders[ghost] = [previous]
            columns[d].append(ghost)
            previous = ghost
    row: dict[str, float] = {}
    for d in sorted(columns):
        ids = columns[d]

        def mean_row(nid: str) -> float:
            rows = [row[s] for s in feeders[nid] if s in row]
            return sum(rows) / len(rows) if rows else 0.0

        ids.sort(key=mean_row)
        for i, nid in enumerate(ids):
            row[nid] = i - (len(ids) - 1) / 2
            if nid in graph.nodes:
                graph.move_node(nid, (d * COLUMN_STEP, row[nid] * ROW_STEP))
