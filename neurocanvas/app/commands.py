"""Undo commands for every graph edit.

Each command only calls the public ``Graph`` API; the canvas and inspector follow through the
graph's events, so undo and redo refresh every view without extra code. Only the
application's ``GraphEditor`` builds them (widgets ask the editor), so they live in ``app``.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtGui import QUndoCommand

from neurocanvas.core.network.catalogue import get_layer
from neurocanvas.core.network.graph import Edge, Graph

Pos = tuple[float, float]

_MOVE_ID = 1001
_drag_ids = itertools.count(1)


def new_drag_id() -> int:
    """A fresh id that ties together the moves of one mouse drag (so they merge)."""
    return next(_drag_ids)


def _restore_edges(graph: Graph, original: list[Edge], missing: list[Edge]) -> None:
    """Reconnect ``missing`` so that the wire order is ``original`` again.

    Order matters: Concat joins its inputs in wire order. The graph only appends, so the wires
    after the first restored one are taken out and put back in their old order.
    """
    if not missing:
        return
    wanted = set(missing)
    first = min(original.index(e) for e in missing)
    tail = [e for e in original[first:] if e in wanted or graph.edge_exists(e)]
    for edge in tail:
        if graph.edge_exists(edge):
            graph.disconnect(edge)
    for edge in tail:
        graph.connect(edge.src, edge.src_port, edge.dst, edge.dst_port)


class AddNodeCommand(QUndoCommand):
    """Add one layer; redo after undo brings back the same id and name."""

    def __init__(self, graph: Graph, layer_type: str, pos: Pos, params: dict | None = None):
        super().__init__(f"Add {get_layer(layer_type).display_name}")
        self.graph, self.layer_type, self.pos = graph, layer_type, (float(pos[0]), float(pos[1]))
        self.params = dict(params) if params else None
        self.node_id: str | None = None
        self.name: str | None = None

    def redo(self) -> None:
        node = self.graph.add_node(
            self.layer_type, params=self.params, pos=self.pos, name=self.name, node_id=self.node_id
        )
        self.node_id, self.name = node.id, node.name

    def undo(self) -> None:
        self.graph.remove_node(self.node_id)


class RemoveNodesCommand(QUndoCommand):
    """Remove nodes and (extra) wires; undo restores both nodes and every wire they had."""

    def __init__(self, graph: Graph, node_ids, edges=(), text: str | None = None):
        node_ids = [n for n in node_ids if n in graph.nodes]
        gone, chosen = set(node_ids), set(edges)
        # Every wire that disappears: those touching removed nodes plus the explicitly chosen.
        self.edges = [e for e in graph.edges if e.src in gone or e.dst in gone or e in chosen]
        self.edge_order = list(graph.edges)
        self.node_order = list(graph.nodes)  # undo puts the nodes back where they were
        self.nodes = [graph.nodes[n] for n in node_ids]
        self._saved = [(n.id, n.type, n.name, dict(n.params), tuple(n.pos)) for n in self.nodes]
        if text is None:
            text = _remove_text(
                self._saved, len(self.edges) - _internal_wire_count(self.edges, gone)
            )
        super().__init__(text)
        self.graph = graph

    def redo(self) -> None:
        for edge in self.edges:
            if edge in self.graph.edges:
                self.graph.disconnect(edge)
        for node_id, *_ in self._saved:
            self.graph.remove_node(node_id)

    def undo(self) -> None:
        for node_id, layer_type, name, params, pos in self._saved:
            self.graph.add_node(layer_type, params=params, pos=pos, name=name, node_id=node_id)
        self.graph.reorder_nodes(self.node_order)
        _restore_edges(self.graph, self.edge_order, self.edges)


def _internal_wire_count(edges, gone: set) -> int:
    return sum(1 for e in edges if e.src in gone or e.dst in gone)


def _remove_text(saved, n_loose_wires: int) -> str:
    if len(saved) == 1 and n_loose_wires == 0:
        return f"Delete {saved[0][2]}"
    parts = []
    if saved:
        parts.append(f"{len(saved)} node" + ("s" if len(saved) != 1 else ""))
    if n_loose_wires:
        parts.append(f"{n_loose_wires} wire" + ("s" if n_loose_wires != 1 else ""))
    return "Delete " + " and ".join(parts)


class ConnectCommand(QUndoCommand):
    """Draw one wire from an output port to an input port."""

    def __init__(self, graph: Graph, src: str, src_port: str, dst: str, dst_port: str):
        super().__init__(f"Connect {graph.nodes[src].name} → {graph.nodes[dst].name}")
        self.graph = graph
        self.edge = Edge(src, src_port, dst, dst_port)

    def redo(self) -> None:
        e = self.edge
        self.graph.connect(e.src, e.src_port, e.dst, e.dst_port)

    def undo(self) -> None:
        self.graph.disconnect(self.edge)


class DisconnectCommand(QUndoCommand):
    """Remove one wire."""

    def __init__(self, graph: Graph, edge: Edge):
        super().__init__(f"Disconnect {graph.nodes[edge.src].name} → {graph.nodes[edge.dst].name}")
        self.graph, self.edge = graph, edge
        self.edge_order = list(graph.edges)

    def redo(self) -> None:
        self.graph.disconnect(self.edge)

    def undo(self) -> None:
        _restore_edges(self.graph, self.edge_order, [self.edge])


class MoveNodesCommand(QUndoCommand):
    """Move nodes; consecutive commands with the same ``drag_id`` merge into one undo step."""

    def __init__(
        self,
        graph: Graph,
        moves: dict[str, tuple[Pos, Pos]],
        drag_id: int | None = None,
        text: str | None = None,
    ):
        if text is None:
            names = [graph.nodes[n].name for n in moves]
            text = f"Move {names[0]}" if len(names) == 1 else f"Move {len(names)} nodes"
        super().__init__(text)
        self.graph, self.drag_id = graph, drag_id
        self.moves = {k: (tuple(old), tuple(new)) for k, (old, new) in moves.items()}

    def id(self) -> int:  # noqa: A003 - Qt's name
        return _MOVE_ID if self.drag_id is not None else -1

    def mergeWith(self, other: QUndoCommand) -> bool:  # noqa: N802 - Qt's name
        if not isinstance(other, MoveNodesCommand) or other.drag_id != self.drag_id:
            return False
        for node_id, (_, new) in other.moves.items():
            old = self.moves.get(node_id, other.moves[node_id])[0]
            self.moves[node_id] = (old, new)
        return True

    def redo(self) -> None:
        for node_id, (_, new) in self.moves.items():
            self.graph.move_node(node_id, new)

    def undo(self) -> None:
        for node_id, (old, _) in self.moves.items():
            self.graph.move_node(node_id, old)


class SetParamCommand(QUndoCommand):
    """Change one parameter of one node (the value is validated before it is pushed)."""

    def __init__(self, graph: Graph, node_id: str, key: str, value: Any):
        node = graph.nodes[node_id]
        shown = ", ".join(map(str, value)) if isinstance(value, tuple) else value
        # The inspector's label ("Outputs"), not the internal name ("out_features").
        label = next((p.label for p in node.spec.params if p.name == key and p.label), key)
        super().__init__(f"Change {label} of {node.name} to {shown}")
        self.graph, self.node_id, self.key = graph, node_id, key
        self.old, self.new = node.params[key], value

    def redo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.new)

    def undo(self) -> None:
        self.graph.set_param(self.node_id, self.key, self.old)


class RenameNodeCommand(QUndoCommand):
    """Give a node a new (unique, identifier) name."""

    def __init__(self, graph: Graph, node_id: str, name: str):
        old = graph.nodes[node_id].name
        super().__init__(f"Rename {old} to {name}")
        self.graph, self.node_id, self.old, self.new = graph, node_id, old, name

    def redo(self) -> None:
        self.graph.rename_node(self.node_id, self.new)

    def undo(self) -> None:
        self.graph.rename_node(self.node_id, self.old)


def _coerce_params(layer_type: str, params: dict) -> dict:
    """JSON turned tuples into lists: let each ParamSpec coerce its value back."""
    specs = {p.name: p for p in get_layer(layer_type).params}
    return {k: specs[k].validate(v) if k in specs else v for k, v in params.items()}


class PasteCommand(QUndoCommand):
    """Insert a copied subgraph, shifted by ``offset``; new ids and names, same internal wires."""

    def __init__(
        self, graph: Graph, data: dict, offset: Pos = (30.0, 30.0), text: str | None = None
    ):
        nodes = data.get("nodes", [])
        if text is None:
            text = f"Paste {len(nodes)} node" + ("s" if len(nodes) != 1 else "")
        super().__init__(text)
        self.graph, self.data, self.offset = graph, data, offset
        # old id -> (new id, new name), filled on the first redo and reused afterwards.
        self.assigned: dict[str, tuple[str, str]] = {}

    @property
    def new_ids(self) -> list[str]:
        return [new_id for new_id, _ in self.assigned.values()]

    def redo(self) -> None:
        dx, dy = self.offset
        for entry in self.data.get("nodes", []):
            new_id, new_name = self.assigned.get(entry["id"], (None, None))
            params = _coerce_params(entry["type"], entry.get("params", {}))
            x, y = entry.get("pos", (0.0, 0.0))
            node = self.graph.add_node(
                entry["type"], params=params, pos=(x + dx, y + dy), name=new_name, node_id=new_id
            )
            self.assigned[entry["id"]] = (node.id, node.name)
        for e in self.data.get("edges", []):
            if e["src"] in self.assigned and e["dst"] in self.assigned:
                self.graph.connect(
                    self.assigned[e["src"]][0],
                    e["src_port"],
                    self.assigned[e["dst"]][0],
                    e["dst_port"],
                )

    def undo(self) -> None:
        for new_id in reversed(self.new_ids):
            if new_id in self.graph.nodes:
                self.graph.remove_node(new_id)
