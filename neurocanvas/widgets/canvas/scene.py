"""The scene mirrors the core graph: one NodeItem per node, one WireItem per edge.

It listens to GraphEvents and never edits the graph itself; the gestures it runs ask the editor
for edits, and the graph's events bring the items up to date (also on undo and redo).
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QPainter, QPen
from PySide6.QtWidgets import QGraphicsScene, QGraphicsSceneMouseEvent

from neurocanvas.core.network.catalogue import get_layer
from neurocanvas.core.network.graph import Edge, GraphEvent
from neurocanvas.widgets.canvas.interactions import MoveGesture, WiringGesture
from neurocanvas.widgets.canvas.items import NodeItem, PortItem, WireItem, format_shape
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.theme import Theme

GRID = 24.0


class CanvasScene(QGraphicsScene):
    """Graphics mirror of ``editor.graph``; gestures ask ``editor`` for their edits."""

    status_message = Signal(str)
    refused = Signal(str, str)  # node id, reason: a wire that was not drawn

    def __init__(self, editor: GraphEditing, theme: Theme | None = None, parent=None):
        super().__init__(parent)
        self.editor, self.graph = editor, editor.graph
        self.theme = theme or Theme.from_palette()
        self.node_items: dict[str, NodeItem] = {}
        self.wire_items: dict[Edge, WireItem] = {}
        self.report = None
        self._wiring: WiringGesture | None = None
        self._moving: MoveGesture | None = None
        self.setItemIndexMethod(QGraphicsScene.ItemIndexMethod.NoIndex)  # items move often
        self.rebuild()
        self.graph.add_listener(self._on_graph_event)

    def detach(self) -> None:
        """Stop listening (the graph may outlive this scene)."""
        self.graph.remove_listener(self._on_graph_event)

    # -- mirroring ---------------------------------------------------------------------------
    def rebuild(self) -> None:
        for item in list(self.node_items.values()) + list(self.wire_items.values()):
            self.removeItem(item)
        self.node_items.clear()
        self.wire_items.clear()
        for node_id in self.graph.nodes:
            self._add_node_item(node_id)
        for edge in self.graph.edges:
            self._add_wire_item(edge)
        if self.report is not None:
            self.set_report(self.report)

    def _on_graph_event(self, event: GraphEvent) -> None:
        kind = event.kind
        if kind == "node_added":
            self._add_node_item(event.node_id)
        elif kind == "node_removed":
            item = self.node_items.pop(event.node_id, None)
            if item is not None:
                self.removeItem(item)
        elif kind == "edge_added":
            self._add_wire_item(event.edge)
        elif kind == "edge_removed":
            wire = self.wire_items.pop(event.edge, None)
            if wire is not None:
                wire.detach()
                self.removeItem(wire)
        elif kind == "node_moved":
            item = self.node_items.get(event.node_id)
            if item is not None:
                item.setPos(QPointF(*event.new))
        elif kind == "node_renamed":
            self.node_items[event.node_id].set_name(event.new)
        elif kind == "param_changed":
            node = self.graph.nodes[event.node_id]
            self.node_items[event.node_id].set_summary(node.spec.summary(node.params))
        elif kind == "reset":
            self.report = None
            self.rebuild()

    def _add_node_item(self, node_id: str) -> NodeItem:
        node = self.graph.nodes[node_id]
        spec = get_layer(node.type)
        item = NodeItem(node_id, spec, node.name, spec.summary(node.params), self.theme)
        item.setPos(QPointF(*node.pos))
        self.addItem(item)
        self.node_items[node_id] = item
        return item

    def _add_wire_item(self, edge: Edge) -> WireItem:
        src = self.node_items[edge.src].outputs[edge.src_port]
        dst = self.node_items[edge.dst].inputs[edge.dst_port]
        wire = WireItem(edge, src, dst, self.theme)
        self.addItem(wire)
        self.wire_items[edge] = wire
        return wire

    # -- validation feedback -----------------------------------------------------------------
    def set_report(self, report) -> None:
        """Show each node's output shape and problems (red node, tooltip) from a GraphReport."""
        self.report = report
        for node_id, item in self.node_items.items():
            info = report.nodes.get(node_id) if report is not None else None
            shape = info.out_shape if info is not None else None
            found = report.problems_for(node_id) if report else []
            text = ("→ " + format_shape(shape)) if shape is not None else ""
            warning_only = all(getattr(p, "severity", "error") == "warning" for p in found)
            item.set_report(text, [p.message for p in found], warning_only)
        for edge, wire in self.wire_items.items():
            info = report.nodes.get(edge.src) if report is not None else None
            shape = info.out_shape if info is not None else None
            wire.set_label(format_shape(shape) if shape is not None else "")

    def set_theme(self, theme: Theme) -> None:
        self.theme = theme
        for item in list(self.node_items.values()) + list(self.wire_items.values()):
            item.theme = theme
            item.update()
        self.update()

    # -- queries -----------------------------------------------------------------------------
    def selected_node_ids(self) -> list[str]:
        return [i.node_id for i in self.selectedItems() if isinstance(i, NodeItem)]

    def selected_edges(self) -> list[Edge]:
        return [i.edge for i in self.selectedItems() if isinstance(i, WireItem)]

    def port_at(self, scene_pos: QPointF, exclude: PortItem | None = None) -> PortItem | None:
        """The port under ``scene_pos``; over a node's body, the node's best port for a wire.

        Dropping a wire anywhere on a node is easier than hitting a 12-pixel circle.
        """
        for item in self.items(scene_pos):
            if isinstance(item, PortItem) and item is not exclude:
                return item
        if exclude is None:
            return None
        for item in self.items(scene_pos):
            if isinstance(item, NodeItem) and item is not exclude.node:
                ports = list((item.inputs if exclude.is_output else item.outputs).values())
                if not ports:
                    return None
                free = [p for p in ports if p.multi or not self._port_has_wire(p)]
                return (free or ports)[0]
        return None

    def _port_has_wire(self, port: PortItem) -> bool:
        node_id = port.node.node_id
        if port.is_output:
            return any(e.src_port == port.name for e in self.graph.edges_out_of(node_id))
        return any(e.dst_port == port.name for e in self.graph.edges_into(node_id))

    # -- gestures ----------------------------------------------------------------------------
    def mousePressEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if event.button() == Qt.MouseButton.LeftButton:
            port = next((i for i in self.items(event.scenePos()) if isinstance(i, PortItem)), None)
            if port is not None:
                self._wiring = WiringGesture(self, port)
                event.accept()
                return
        super().mousePressEvent(event)
        if event.button() == Qt.MouseButton.LeftButton:
            nodes = [i for i in self.selectedItems() if isinstance(i, NodeItem)]
            self._moving = MoveGesture(self, nodes) if nodes else None

    def mouseMoveEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wiring is not None:
            self._wiring.move(event.scenePos())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QGraphicsSceneMouseEvent) -> None:  # noqa: N802
        if self._wiring is not None and event.button() == Qt.MouseButton.LeftButton:
            gesture, self._wiring = self._wiring, None
            gesture.finish(event.scenePos())
            event.accept()
            return
        super().mouseReleaseEvent(event)
        if self._moving is not None and event.button() == Qt.MouseButton.LeftButton:
            gesture, self._moving = self._moving, None
            gesture.finish()

    def cancel_gestures(self) -> None:
        if self._wiring is not None:
            self._wiring.cancel()
            self._wiring = None

    # -- background --------------------------------------------------------------------------
    def drawBackground(self, painter: QPainter, rect: QRectF) -> None:  # noqa: N802
        painter.fillRect(rect, self.theme.background)
        scale = painter.worldTransform().m11()
        if scale < 0.35:  # a dense grid at low zoom is noise
            return
        painter.setPen(QPen(self.theme.grid, 0))
        left = math.floor(rect.left() / GRID) * GRID
        top = math.floor(rect.top() / GRID) * GRID
        x = left
        while x < rect.right():
            painter.drawLine(QPointF(x, rect.top()), QPointF(x, rect.bottom()))
            x += GRID
        y = top
        while y < rect.bottom():
            painter.drawLine(QPointF(rect.left(), y), QPointF(rect.right(), y))
            y += GRID
