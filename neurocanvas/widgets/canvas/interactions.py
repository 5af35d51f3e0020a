"""Mouse gestures of the node editor, one small object each.

The scene and view hand press/move/release to whichever gesture is active instead of growing
``if`` chains; each gesture decides what (if any) command to push when it ends.
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QPoint, QPointF, SignalInstance
from PySide6.QtWidgets import QAbstractScrollArea, QGraphicsItem

from neurocanvas.widgets.canvas.items import DraftWireItem, NodeItem, PortItem
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.theme import Theme


class GestureHost(Protocol):
    """What a gesture needs of the scene it runs in (the scene imports the gestures, not back)."""

    editor: GraphEditing
    theme: Theme
    node_items: dict[str, NodeItem]
    status_message: SignalInstance
    refused: SignalInstance

    def port_at(self, scene_pos: QPointF, exclude: PortItem | None = None) -> PortItem | None: ...

    def addItem(self, item: QGraphicsItem) -> None: ...  # noqa: N802 - Qt's name

    def removeItem(self, item: QGraphicsItem) -> None: ...  # noqa: N802 - Qt's name


class WiringGesture:
    """Drag from a port to a port of the other direction; a compatible drop asks for the wire.

    Starting on an output or an input both work: the gesture orders the two ends itself.
    """

    def __init__(self, scene: GestureHost, anchor: PortItem):
        self.scene, self.anchor = scene, anchor
        self.draft = DraftWireItem(scene.theme)
        scene.addItem(self.draft)
        self.target: PortItem | None = None
        self.move(anchor.scenePos())

    def _ends(self, other: PortItem) -> tuple[PortItem, PortItem] | None:
        if other.is_output == self.anchor.is_output:
            return None
        return (self.anchor, other) if self.anchor.is_output else (other, self.anchor)

    def problem_with(self, other: PortItem) -> str:
        """Why ``other`` cannot end this wire ("" when it can)."""
        ends = self._ends(other)
        if ends is None:
            kind = "outputs" if other.is_output else "inputs"
            return f"Cannot wire two {kind} together: drag from an output to an input."
        src, dst = ends
        return self.scene.editor.connection_problem(
            src.node.node_id, src.name, dst.node.node_id, dst.name
        )

    def move(self, scene_pos: QPointF) -> None:
        port = self.scene.port_at(scene_pos, exclude=self.anchor)
        if port is not self.target:
            if self.target is not None:
                self.target.set_state("normal")
            self.target = port
            if port is not None:
                problem = self.problem_with(port)
                port.set_state("bad" if problem else "ok")
                if problem:
                    self.scene.status_message.emit(problem)
        end = self.target.scenePos() if self.target is not None else scene_pos
        start = self.anchor.scenePos()
        if self.anchor.is_output:
            self.draft.set_ends(start, end)
        else:
            self.draft.set_ends(end, start)

    def finish(self, scene_pos: QPointF) -> None:
        self.move(scene_pos)
        target = self.target
        self.cancel()
        if target is None:
            return
        problem = self.problem_with(target)
        if problem:
            self.scene.status_message.emit(problem)
            self.scene.refused.emit(target.node.node_id, problem)
            return
        ends = self._ends(target)
        assert ends is not None  # problem_with said the ends match
        src, dst = ends
        self.scene.editor.connect(src.node.node_id, src.name, dst.node.node_id, dst.name)

    def cancel(self) -> None:
        if self.target is not None:
            self.target.set_state("normal")
        if self.draft.scene() is not None:
            self.scene.removeItem(self.draft)


class MoveGesture:
    """Remembers where the selected nodes were when the press began; one move on release."""

    def __init__(self, scene: GestureHost, items: list[NodeItem]):
        self.scene = scene
        self.start = {item.node_id: (item.pos().x(), item.pos().y()) for item in items}

    def finish(self) -> None:
        moves: dict[str, tuple[tuple[float, float], tuple[float, float]]] = {}
        for node_id, old in self.start.items():
            item = self.scene.node_items.get(node_id)
            if item is None:
                continue
            new = (item.pos().x(), item.pos().y())
            if new != old:
                moves[node_id] = (old, new)
        if moves:
            self.scene.editor.move_nodes(moves)


class PanGesture:
    """Middle-button (or space + left) drag scrolls the view by the mouse's travel."""

    def __init__(self, view: QAbstractScrollArea, pos: QPoint):
        self.view, self.last = view, pos

    def move(self, pos: QPoint) -> None:
        delta = pos - self.last
        self.last = pos
        h, v = self.view.horizontalScrollBar(), self.view.verticalScrollBar()
        h.setValue(h.value() - delta.x())
        v.setValue(v.value() - delta.y())
