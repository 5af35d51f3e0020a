"""The node editor widget: a CanvasView showing a CanvasScene, plus the edit actions.

Edits (drop, delete, duplicate, paste, tidy) are asked of the editor (one undo step each); the
scene follows the graph's events, so this class never touches items to reflect an edit.
The habits of node editors live here too: double-click on empty canvas opens a searchable
layer list at the pointer, double-click on a node asks for its name to be edited, right-click
opens a menu (``context_menus``), and nothing new lands on top of another node.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import (
    QAction,
    QContextMenuEvent,
    QCursor,
    QHelpEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
)
from PySide6.QtWidgets import QMenu, QWhatsThis

from neurocanvas.core.network.graph import CycleError
from neurocanvas.widgets.canvas import context_menus
from neurocanvas.widgets.canvas.clipboard import (
    parse_subgraph,
    read_clipboard,
    subgraph_dict,
    write_clipboard,
)
from neurocanvas.widgets.canvas.items import HEADER_HEIGHT, NODE_WIDTH, NodeItem, WireItem
from neurocanvas.widgets.canvas.layer_picker import LayerPicker
from neurocanvas.widgets.canvas.placement import free_spot, offset_beside, tidy_positions
from neurocanvas.widgets.canvas.scene import CanvasScene
from neurocanvas.widgets.canvas.view import CanvasView
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.layer_help import layer_help_html
from neurocanvas.widgets.palette import LAYER_MIME
from neurocanvas.widgets.theme import Theme

PASTED_HEIGHT = 64.0  # height assumed for a pasted node whose original is not on this canvas


class NodeCanvas(CanvasView):
    """The node editor (objectName ``canvas``) of ``editor.graph``; edits go to ``editor``."""

    selection_changed = Signal(object)  # the one selected node id, or None
    status_message = Signal(str)
    name_requested = Signal(str)  # node id: the person wants to edit this node's name

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
        self._clipboard_fallback: str | None = None  # when the platform has no clipboard
        self.picker = LayerPicker(self)
        self.picker.chosen.connect(self._add_picked)
        self._pick_at = QPointF()
        self.context_menu: QMenu | None = None  # the last one opened (it deletes itself)
        self.viewport().setWhatsThis(
            "The canvas: drag layers here and wire an output port to an input port. "
            "Double-click empty space to add a layer, right-click for more."
        )
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
        self.actions_by_key = {
            "delete": self.delete_action,
            "duplicate": self.duplicate_action,
            "copy": self.copy_action,
            "paste": self.paste_action,
            "select_all": self.select_all_action,
            "fit": self.fit_action,
            "tidy": self.tidy_action,
        }
        tips = {
            "delete": "Delete the selected nodes or wires",
            "duplicate": "Copy the selected nodes just below them",
            "copy": "Copy the selected nodes (and the wires between them)",
            "paste": "Paste at the pointer (or beside the originals)",
            "select_all": "Select every node",
            "fit": "Show the whole graph",
            "tidy": "Lay the graph out left to right, in columns",
        }
        for key, tip in tips.items():
            self.actions_by_key[key].setToolTip(tip)
            self.actions_by_key[key].setStatusTip(tip)
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

    def add_layer_in_free_space(self, layer_type: str) -> str:
        """Add a layer near the view's centre where it covers no other node (palette)."""
        centre = self.visible_center()
        wanted = QRectF(
            centre.x() - NODE_WIDTH / 2, centre.y() - HEADER_HEIGHT / 2, NODE_WIDTH, 80.0
        )
        taken = [item.sceneBoundingRect() for item in self.node_items.values()]
        spot = free_spot(wanted, taken)
        return self.add_layer(
            layer_type, QPointF(spot.x() + NODE_WIDTH / 2, spot.y() + HEADER_HEIGHT / 2)
        )

    def open_layer_picker(self, scene_pos: QPointF) -> LayerPicker:
        """The searchable layer list at ``scene_pos``; the chosen layer is added there."""
        self._pick_at = QPointF(scene_pos)
        self.picker.popup(self.viewport().mapToGlobal(self.mapFromScene(scene_pos)))
        return self.picker

    def _add_picked(self, layer_type: str) -> None:
        self.add_layer(layer_type, self._pick_at)
        self.setFocus()

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
        scene = self.canvas_scene
        self.editor.remove(scene.selected_node_ids(), scene.selected_edges())

    def disconnect_node(self, node_id: str) -> None:
        """Remove every wire into and out of ``node_id`` (one undo step)."""
        g = self.graph
        self.editor.disconnect(g.edges_into(node_id) + g.edges_out_of(node_id))

    # -- clipboard ---------------------------------------------------------------------------
    def copy_selected(self) -> bool:
        nodes = self.canvas_scene.selected_node_ids()
        if not nodes:
            return False
        self._clipboard_fallback = write_clipboard(subgraph_dict(self.graph, nodes))
        n = len(nodes)
        self.status_message.emit(f"Copied {n} node" + ("s" if n != 1 else ""))
        return True

    def _clipboard_data(self) -> dict | None:
        text = read_clipboard() or self._clipboard_fallback
        data = parse_subgraph(text) if text else None
        if text and data is None:
            self.status_message.emit("The clipboard does not hold NeuroCanvas nodes.")
        return data

    def has_clipboard_nodes(self) -> bool:
        return bool(read_clipboard() or self._clipboard_fallback)

    def pointer_scene_pos(self) -> QPointF | None:
        """Where the mouse pointer is on the canvas, or None when it is elsewhere."""
        local = self.viewport().mapFromGlobal(QCursor.pos())
        if not self.viewport().rect().contains(local):
            return None
        return self.mapToScene(local)

    def paste(self) -> list[str]:
        """Paste at the pointer when it is over the canvas, else just below the originals."""
        return self.paste_at(self.pointer_scene_pos())

    def paste_at(self, scene_pos: QPointF | None) -> list[str]:
        """Paste the copied nodes with their top-left at ``scene_pos`` (None: beside them)."""
        data = self._clipboard_data()
        if data is None:
            return []
        block = self._block_rect(data)
        if scene_pos is None or block.isEmpty():
            offset = offset_beside(block, self._taken_rects())
        else:
            offset = (scene_pos.x() - block.left(), scene_pos.y() - block.top())
        return self._insert(data, offset, None)

    def duplicate_selected(self) -> list[str]:
        nodes = self.canvas_scene.selected_node_ids()
        if not nodes:
            return []
        n = len(nodes)
        text = f"Duplicate {self.graph.nodes[nodes[0]].name}" if n == 1 else f"Duplicate {n} nodes"
        data = subgraph_dict(self.graph, nodes)
        offset = offset_beside(self._block_rect(data), self._taken_rects())
        return self._insert(data, offset, text)

    def _block_rect(self, data: dict) -> QRectF:
        """The scene rect the nodes of clipboard ``data`` covered where they were copied."""
        rect = QRectF()
        for entry in data.get("nodes", []):
            try:
                x, y = (float(v) for v in entry.get("pos", (0.0, 0.0)))
            except (TypeError, ValueError, AttributeError):
                continue
            item = self.node_items.get(str(entry.get("id")))
            height = item.height if item is not None else PASTED_HEIGHT
            rect = rect.united(QRectF(x, y, NODE_WIDTH, height))
        return rect

    def _taken_rects(self) -> list[QRectF]:
        return [item.sceneBoundingRect() for item in self.node_items.values()]

    def _insert(self, data: dict, offset, text) -> list[str]:
        try:
            new_ids = self.editor.insert(data, offset, text)
        except ValueError as exc:  # a bad clipboard is reported, and nothing is added
            self.status_message.emit(f"Cannot paste: {exc}")
            return []
        self.select_nodes(new_ids)
        n = len(new_ids)
        verb = "Pasted" if text is None else "Duplicated"
        self.status_message.emit(f"{verb} {n} node" + ("s" if n != 1 else ""))
        return new_ids

    # -- layout ------------------------------------------------------------------------------
    def tidy_layout(self) -> None:
        """Lay nodes out in columns by their depth in the graph, then show them all."""
        try:
            order = self.graph.topological_order()
        except CycleError as exc:
            self.status_message.emit(f"Cannot tidy: {exc}")
            return
        if not order:
            return
        heights = {n: self.node_items[n].height for n in order}
        positions = tidy_positions(self.graph, order, heights, NODE_WIDTH)
        moves = {n: (self.graph.nodes[n].pos, pos) for n, pos in positions.items()}
        self.editor.move_nodes(moves, text="Tidy layout")
        visible = self.mapToScene(self.viewport().rect()).boundingRect()
        if not visible.contains(self.content_rect()):
            self.fit_to_view()

    # -- mouse: double-click, context menu, What's This ----------------------------------------
    def item_at(self, view_pos: QPoint) -> NodeItem | WireItem | None:
        """The node (a port counts as its node) or wire under ``view_pos`` of the viewport."""
        for item in self.items(view_pos):
            while item is not None and not isinstance(item, (NodeItem, WireItem)):
                item = item.parentItem()
            if item is not None:
                return item
        return None

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt's name
        if event.button() != Qt.MouseButton.LeftButton:
            super().mouseDoubleClickEvent(event)
            return
        pos = event.position().toPoint()
        item = self.item_at(pos)
        if isinstance(item, NodeItem):
            self.select_nodes([item.node_id])
            self.name_requested.emit(item.node_id)
        elif item is None:
            self.open_layer_picker(self.mapToScene(pos))
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt's name
        # popup, not exec: no nested event loop, and the menu deletes itself when it closes.
        self.context_menu = context_menus.menu_for(self, event.pos())
        self.context_menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context_menu.popup(event.globalPos())
        event.accept()

    def viewportEvent(self, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # "What's This?" mode: a click on a node shows the catalogue's help for its layer.
        if event.type() == QEvent.Type.WhatsThis and isinstance(event, QHelpEvent):
            item = self.item_at(event.pos())
            if isinstance(item, NodeItem):
                QWhatsThis.showText(event.globalPos(), layer_help_html(item.spec.type), self)
                return True
        return super().viewportEvent(event)

    # -- theme -------------------------------------------------------------------------------
    def changeEvent(self, event) -> None:  # noqa: N802
        if event.type() == event.Type.PaletteChange:
            self.canvas_scene.set_theme(Theme.from_palette(self.palette()))
        super().changeEvent(event)
