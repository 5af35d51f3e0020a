"""The clipboard format of the node editor: chosen nodes and the wires between them as JSON.

Copy, paste and duplicate all go through this one shape, so a copy from one window pastes
into another (or into a text editor, where it reads as plain JSON).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from neurocanvas.core.network.graph import Graph


def subgraph_dict(graph: Graph, node_ids: Iterable[str]) -> dict[str, Any]:
    """The chosen nodes and the wires between them as JSON-able data (the clipboard format)."""
    wanted = set(node_ids)
    chosen = [n for n in graph.nodes if n in wanted]
    nodes = []
    for node_id in chosen:
        node = graph.nodes[node_id]
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in node.params.items()}
        nodes.append(
            {
                "id": node.id,
                "type": node.type,
                "name": node.name,
                "params": params,
                "pos": [float(node.pos[0]), float(node.pos[1])],
            }
        )
    inside = set(chosen)
    edges = [
        {"src": e.src, "src_port": e.src_port, "dst": e.dst, "dst_port": e.dst_port}
        for e in graph.edges
        if e.src in inside and e.dst in inside
    ]
    return {"format": "neurocanvas-subgraph", "version": 1, "nodes": nodes, "edges": edges}
