"""The node editor widget: a CanvasView showing a CanvasScene, plus the edit actions.

Edits (drop, delete, duplicate, paste, tidy) are asked of the editor (one undo step each); the
scene follows the graph's events, so this class never touches items to reflect an edit.
"""

from __future__ import annotations

import atexit
import json

from PySide6.QtCore import QMimeData, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QGuiApplication, QKeyEvent, QKeySequence

from neurocanvas.core.network.graph import CycleError
from neurocanvas.widgets.canvas.clipboard import subgraph_dict
from neurocanvas.widgets.canvas.items import HEADER_HEIGHT, NODE_WIDTH, NodeItem
from neurocanvas.widgets.canvas.scene import CanvasScene
from neurocanvas.widgets.canvas.view import CanvasView
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.palette import LAYER_MIME
from neurocanvas.widgets.theme import Theme

SUBGRAPH_MIME = "application/x-neurocanvas-subgraph"
PASTE_STEP = 30.0
COLUMN_GAP, ROW_GAP = 70.0, 36.0


class NodeCanvas(CanvasView):
    """The node editor (objectName ``canvas``) of ``editor.graph``; edits go to ``editor``."""

    selection_changed = Signal(object)  # the one selected node id, or None
    status_message = Signal(str)

    def __init__(self, editor: GraphEditing, parent=None):
        super().__init__(parent)
        self.setObjectName("canvas")
        self.editor = editor
        graph = self.graph = editor.graph
        self.canvas_scene = CanvasScene(editor, Theme.from_palette(self.palette()), self)
        self.setScene(self.canvas_scene)
        self.setSceneRect(QRectF(-5000, -5000, 10000, 10000))
        self.setAcceptDrops(True)
        self.canvas_scene.selectionChanged.connect(self._emit_selection)
        self.canvas_scene.status_message.connect(self.status_message)
        self._paste_count = 0
        self._clipboard_fallback: str | None = None  # when the platform has no clipboard
        self._make_actions()
        # The graph may outlive this widget: stop mirroring it when the widget goes.
        listener, model = self.canvas_scene._on_graph_event, graph
        self.destroyed.connect(lambda: model.remove_listener(listener))

    # -- actions (also for the main window's menus) -----------------------------------------
    def _make_actions(self) -> None:
        def action(text, shortcut, slot):
            act = QAction(text, self)
            if shortcut is not None:
                act.setShortcut(QKeySequence(shortcut))
                act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(slot)
            self.addAction(act)
            return act

        self.delete_action = action("Delete", QKeySequence.StandardKey.Delete, self.delete_selected)
        self.duplicate_action = action("Duplicate", "Ctrl+D", self.duplicate_selected)
        self.copy_action = action("Copy", QKeySequence.StandardKey.Copy, self.copy_selected)
        self.paste_action = action("Paste", QKeySequence.StandardKey.Paste, self.paste)
        self.select_all_action = action(
            "Select All", QKeySequence.StandardKey.SelectAll, self.select_all
        )
        self.fit_action = action("Fit to View", "F", self.fit_to_view)
        self.tidy_action = action("Tidy Layout", "Ctrl+L", self.tidy_layout)
        self._keys = {
            Qt.Key.Key_Delete: self.delete_selected,
            Qt.Key.Key_Backspace: self.delete_selected,
        }
        self._ctrl_keys = {
            Qt.Key.Key_D: self.duplicate_selected,
            Qt.Key.Key_C: self.copy_selected,
            Qt.Key.Key_V: self.paste,
            Qt.Key.Key_A: self.select_all,
            Qt.Key.Key_L: self.tidy_layout,
        }

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        # Shortcuts may not fire when the window is not active (tests, embedding): handle the
        # keys here as well; a shortcut that did fire never reaches this method.
        if event.key() == Qt.Key.Key_Escape:
            self.canvas_scene.cancel_gestures()
        ctrl = event.modifiers() & Qt.KeyboardModifier.ControlModifier
        handler = (self._ctrl_keys if ctrl else self._keys).get(event.key())
        if handler is not None:
            handler()
            event.accept()
            return
        super().keyPressEvent(event)

    # -- queries -----------------------------------------------------------------------------
    @property
    def node_items(self) -> dict[str, NodeItem]:
        return self.canvas_scene.node_items

    def set_report(self, report) -> None:
        """Colour invalid nodes red (problem text as tooltip) and label wires with shapes."""
        self.canvas_scene.set_report(report)

    def select_nodes(self, node_ids) -> None:
        wanted = set(node_ids)
        self.canvas_scene.clearSelection()
        for node_id in wanted:
            item = self.node_items.get(node_id)
            if item is not None:
                item.setSelected(True)

    def select_all(self) -> None:
        for item in self.node_items.values():
            item.setSelected(True)

    def _emit_selection(self) -> None:
        ids = self.canvas_scene.selected_node_ids()
        self.selection_changed.emit(ids[0] if len(ids) == 1 else None)

    def visible_center(self) -> QPointF:
        return self.mapToScene(self.viewport().rect().center())

    # -- adding ------------------------------------------------------------------------------
    def add_layer(self, layer_type: str, scene_pos: QPointF | None = None) -> str:
        """Add a layer whose header sits under ``scene_pos`` (the view's centre by default)."""
        if scene_pos is None:
            scene_pos = self.visible_center()
        pos = (scene_pos.x() - NODE_WIDTH / 2, scene_pos.y() - HEADER_HEIGHT / 2)
        node_id = self.editor.add_node(layer_type, pos)
        self.select_nodes([node_id])
        return node_id

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasFormat(LAYER_MIME):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event) -> None:  # noqa: N802
        data = event.mimeData()
        if not data.hasFormat(LAYER_MIME):
            event.ignore()
            return
        layer_type = bytes(data.data(LAYER_MIME)).decode()
        try:
            self.add_layer(layer_type, self.mapToScene(event.position().toPoint()))
        except (KeyError, ValueError) as exc:  # an unknown layer type from another program
            self.status_message.emit(f"Cannot add '{layer_type}': {exc}")
            event.ignore()
            return
        event.acceptProposedAction()
        self.setFocus()

    # -- removing ----------------------------------------------------------------------------
    def delete_selected(self) -> None:
        nodes = self.canvas_scene.selected_node_ids()
        edges = self.canvas_scene.selected_edges()
        self.editor.remove(nodes, edges)

    # -- clipboard ---------------------------------------------------------------------------
    def copy_selected(self) -> bool:
        nodes = self.canvas_scene.selected_node_ids()
        if not nodes:
            return False
        text = json.dumps(subgraph_dict(self.graph, nodes))
        mime = QMimeData()
        mime.setData(SUBGRAPH_MIME, text.encode())
        mime.setText(text)
        QGuiApplication.clipboard().setMimeData(mime)
        _release_clipboard_at_exit()
        self._clipboard_fallback = text
        self._paste_count = 0
        n = len(nodes)
        self.status_message.emit(f"Copied {n} node" + ("s" if n != 1 else ""))
        return True

    def _clipboard_text(self) -> str | None:
        mime = QGuiApplication.clipboard().mimeData()
        if mime is not None and mime.hasFormat(SUBGRAPH_MIME):
            return bytes(mime.data(SUBGRAPH_MIME)).decode()
        return self._clipboard_fallback

    def paste(self) -> list[str]:
        """Paste the copied nodes, shifted so repeated pastes do not stack on each other."""
        text = self._clipboard_text()
        if not text:
            return []
        try:
            data = json.loads(text)
        except ValueError:
            self.status_message.emit("The clipboard does not hold NeuroCanvas nodes.")
            return []
        self._paste_count += 1
        step = PASTE_STEP * self._paste_count
        return self._insert(data, (step, step), None)

    def duplicate_selected(self) -> list[str]:
        nodes = self.canvas_scene.selected_node_ids()
        if not nodes:
            return []
        n = len(nodes)
        text = f"Duplicate {self.graph.nodes[nodes[0]].name}" if n == 1 else f"Duplicate {n} nodes"
        return self._insert(subgraph_dict(self.graph, nodes), (PASTE_STEP, PASTE_STEP), text)

    def _insert(self, data: dict, offset, text) -> list[str]:
        try:
            new_ids = self.editor.insert(data, offset, text)
        except ValueError as exc:  # a bad clipboard is reported, and nothing is added
            self.status_message.emit(f"Cannot paste: {exc}")
            return []
        self.select_nodes(new_ids)
        return new_ids

    # -- layout ------------------------------------------------------------------------------
    def tidy_layout(self) -> None:
        """Lay nodes out in columns by their depth in the graph, left to right."""
        try:
            order = self.graph.topological_order()
        except CycleError as exc:
            self.status_message.emit(f"Cannot tidy: {exc}")
            return
        if not order:
            return
        depth: dict[str, int] = {}
        for node_id in order:
            depth[node_id] = max(
                (depth[e.src] + 1 for e in self.graph.edges_into(node_id)), default=0
            )
        columns: dict[int, list[str]] = {}
        for node_id in order:
            columns.setdefault(depth[node_id], []).append(node_id)
        x0 = min(n.pos[0] for n in self.graph.nodes.values())
        y0 = min(n.pos[1] for n in self.graph.nodes.values())
        heights = {n: self.node_items[n].height for n in order}
        tallest = max(sum(heights[n] + ROW_GAP for n in col) - ROW_GAP for col in columns.values())
        moves = {}
        for d, column in columns.items():
            column.sort(key=lambda n: self.graph.nodes[n].pos[1])  # keep the person's order
            total = sum(heights[n] + ROW_GAP for n in column) - ROW_GAP
            y = y0 + (tallest - total) / 2
            for node_id in column:
                new = (x0 + d * (NODE_WIDTH + COLUMN_GAP), y)
                old = self.graph.nodes[node_id].pos
                if new != old:
                    moves[node_id] = (old, new)
                y += heights[node_id] + ROW_GAP
        self.editor.move_nodes(moves, text="Tidy layout")

    # -- theme -------------------------------------------------------------------------------
    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == event.Type.PaletteChange:
            self.canvas_scene.set_theme(Theme.from_palette(self.palette()))
        super().changeEvent(event)


_clipboard_release_registered = False


def _release_clipboard_at_exit() -> None:
    """Empty the clipboard while Python still runs, once, at interpreter exit.

    The clipboard owns the QMimeData we gave it, a Python-made object. Qt frees it from its
    own C++ exit handlers, after Python has shut down, and shiboken then crashes the process
    (seen with PySide6 6.11: a segfault after the last test passed). Clearing it from an
    ``atexit`` handler frees the object while the interpreter is alive.
    """
    global _clipboard_release_registered
    if _clipboard_release_registered:
        return
    _clipboard_release_registered = True

    def release() -> None:
        if QGuiApplication.instance() is not None:
            QGuiApplication.clipboard().clear()

    atexit.register(release)
