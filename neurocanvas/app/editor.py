"""The graph editor: the one way edits enter the graph, and the owner of the undo stack.

Widgets call its methods (they know it only as ``widgets.editing.GraphEditing``); it turns each
edit into an undo command and pushes it, so an undo step's name and extent are decided in one
place (Orange's ``document/schemeedit.py``). Wiring rules are the graph's own
(``Graph.can_connect``); the editor only adds the habit of node editors that a wire dropped on
a taken single input replaces the old one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QUndoCommand

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
from neurocanvas.app.undo_stack import SafeUndoStack
from neurocanvas.core.network.graph import Edge, Graph

Pos = tuple[float, float]
UNDO_LIMIT = 500


class GraphEditor(QObject):
    """Edits of ``graph`` as undo commands on :attr:`undo_stack`.

    ``prepare_add`` (optional) sees each :class:`AddNodeCommand` before it is pushed, so the
    application can fill in parameters the widget does not know (the data set's shape).
    """

    def __init__(
        self,
        graph: Graph,
        parent: QObject | None = None,
        prepare_add: Callable[[AddNodeCommand], None] | None = None,
    ) -> None:
        super().__init__(parent)
        self.graph = graph
        # never left broken: a failing command (and its open macro) is rolled back
        self.undo_stack = SafeUndoStack(self)
        self.undo_stack.setUndoLimit(UNDO_LIMIT)
        self.prepare_add = prepare_add

    # -- plumbing ----------------------------------------------------------------------------
    def push(self, command: QUndoCommand) -> None:
        """Push an application command (a data set change) on the same stack."""
        self.undo_stack.push(command)

    @contextmanager
    def macro(self, text: str) -> Iterator[None]:
        """Everything pushed inside is one undo step called ``text``; all or nothing: if
        anything inside raises, what the macro did is undone and the macro dropped."""
        self.undo_stack.beginMacro(text)
        try:
            yield
        except BaseException:
            self.undo_stack.abort_macros()
            raise
        self.undo_stack.endMacro()

    # -- nodes -------------------------------------------------------------------------------
    def add_node(self, layer_type: str, pos: Pos, params: Mapping[str, Any] | None = None) -> str:
        command = AddNodeCommand(self.graph, layer_type, pos, dict(params) if params else None)
        if self.prepare_add is not None:
            self.prepare_add(command)
        self.undo_stack.push(command)
        assert command.node_id is not None  # set by the push's redo
        return command.node_id

    def remove(self, node_ids: Iterable[str], edges: Iterable[Edge] = ()) -> None:
        nodes, wires = list(node_ids), list(edges)
        if not nodes and not wires:
            return
        if not nodes and len(wires) == 1:
            self.undo_stack.push(DisconnectCommand(self.graph, wires[0]))
        else:
            self.undo_stack.push(RemoveNodesCommand(self.graph, nodes, wires))

    def remove_bridging(self, node_id: str) -> None:
        """Delete a one-input node and wire what fed it straight to what it fed, as one step
        (the fix for an activation the loss applies again: Softmax before cross_entropy)."""
        if node_id not in self.graph.nodes:
            return
        name = self.graph.nodes[node_id].name
        into = self.graph.edges_into(node_id)
        out = self.graph.edges_out_of(node_id)
        with self.macro(f"Remove {name}"):
            self.undo_stack.push(RemoveNodesCommand(self.graph, [node_id]))
            if len(into) == 1:
                for edge in out:
                    self.undo_stack.push(
                        ConnectCommand(
                            self.graph, into[0].src, into[0].src_port, edge.dst, edge.dst_port
                        )
                    )

    def move_nodes(self, moves: Mapping[str, tuple[Pos, Pos]], text: str | None = None) -> None:
        moves = {k: v for k, v in moves.items() if k in self.graph.nodes and v[0] != v[1]}
        if moves:
            self.undo_stack.push(MoveNodesCommand(self.graph, dict(moves), text=text))

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        """Raises ``GraphError`` for a value the parameter refuses, before anything is pushed
        (a failed push would still cost the redo history)."""
        self.graph.check_param(node_id, key, value)
        self.undo_stack.push(SetParamCommand(self.graph, node_id, key, value))

    def rename(self, node_id: str, name: str) -> None:
        """Raises ``GraphError`` for a name that is taken or not an identifier, before pushing."""
        self.graph.check_name(name, self.graph.node(node_id).id)
        self.undo_stack.push(RenameNodeCommand(self.graph, node_id, name))

    def insert(self, data: Mapping[str, Any], offset: Pos, text: str | None = None) -> list[str]:
        command = PasteCommand(self.graph, dict(data), offset, text)
        try:
            command.redo()  # a trial run, so bad data is reported and never pushed
        except (KeyError, ValueError, TypeError) as exc:
            command.undo()
            raise ValueError(str(exc).strip("'\"") or "the nodes are not valid") from None
        command.undo()
        self.undo_stack.push(command)
        return command.new_ids

    # -- wires -------------------------------------------------------------------------------
    def connection_problem(self, src: str, src_port: str, dst: str, dst_port: str) -> str:
        ok, reason = self.graph.can_connect(src, src_port, dst, dst_port, replace=True)
        return "" if ok else _sentence(reason)

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        if self.connection_problem(src, src_port, dst, dst_port):
            return False
        port = self.graph.nodes[dst].spec.input_port(dst_port)
        taken = [] if port is None or port.multi else self._wires_into(dst, dst_port)
        connect = ConnectCommand(self.graph, src, src_port, dst, dst_port)
        if not taken:
            self.undo_stack.push(connect)
            return True
        old = self.graph.nodes[taken[0].src].name
        with self.macro(f"{connect.text()} (replacing {old})"):
            for edge in taken:
                self.undo_stack.push(DisconnectCommand(self.graph, edge))
            self.undo_stack.push(connect)
        return True

    def disconnect(self, edges: Iterable[Edge]) -> None:
        wires = [e for e in edges if self.graph.edge_exists(e)]
        if len(wires) == 1:
            self.undo_stack.push(DisconnectCommand(self.graph, wires[0]))
        elif wires:
            self.undo_stack.push(RemoveNodesCommand(self.graph, [], wires))

    def _wires_into(self, dst: str, dst_port: str) -> list[Edge]:
        return [e for e in self.graph.edges_into(dst) if e.dst_port == dst_port]


def _sentence(reason: str) -> str:
    """The graph's reason as a status-bar sentence: capital first letter, full stop."""
    if not reason:
        return reason
    reason = reason[0].upper() + reason[1:]
    return reason if reason.endswith((".", "!", "?")) else reason + "."
