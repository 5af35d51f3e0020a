"""What a widget may ask of the editor: the one way edits enter the graph.

Widgets (canvas, inspector) never build undo commands: they call an object with this shape,
which the application provides (``neurocanvas.app.editor.GraphEditor`` owns the undo stack and
the commands). Keeping only the shape here lets dependencies point app -> widgets -> core, as
Orange's canvas talks to its ``SchemeEditWidget``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Protocol

from neurocanvas.core.network.graph import Edge, Graph

Pos = tuple[float, float]


class GraphEditing(Protocol):
    """Edits of one graph, each one undo step with a readable name.

    Every method takes ids as the graph spells them; a refused edit raises nothing and changes
    nothing (the widgets check first with :meth:`connection_problem`).
    """

    graph: Graph

    def add_node(self, layer_type: str, pos: Pos, params: Mapping[str, Any] | None = None) -> str:
        """Add a layer with its top-left corner at ``pos`` (scene units); its new id."""
        ...

    def remove(self, node_ids: Iterable[str], edges: Iterable[Edge] = ()) -> None:
        """Delete nodes (with every wire they have) and extra wires, as one step."""
        ...

    def connection_problem(self, src: str, src_port: str, dst: str, dst_port: str) -> str:
        """Why this wire cannot be drawn ("" when it can; a taken single input is replaced)."""
        ...

    def connect(self, src: str, src_port: str, dst: str, dst_port: str) -> bool:
        """Draw a wire; one already in a single input is replaced in the same step."""
        ...

    def disconnect(self, edges: Iterable[Edge]) -> None:
        """Remove wires, as one step."""
        ...

    def move_nodes(self, moves: Mapping[str, tuple[Pos, Pos]], text: str | None = None) -> None:
        """Move nodes (id -> (old position, new position)) as one step."""
        ...

    def set_param(self, node_id: str, key: str, value: Any) -> None:
        """Set one (already validated) parameter."""
        ...

    def rename(self, node_id: str, name: str) -> None:
        """Give a node a new (valid, unused) name."""
        ...

    def insert(self, data: Mapping[str, Any], offset: Pos, text: str | None = None) -> list[str]:
        """Insert a copied subgraph shifted by ``offset``; the new ids.

        Raises ``ValueError`` (nothing pushed) when ``data`` does not describe valid nodes.
        """
        ...
