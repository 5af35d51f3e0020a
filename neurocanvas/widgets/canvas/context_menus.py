"""Right-click menus of the node editor: on a node, on a wire, and on empty canvas.

What node editors (Blender, ComfyUI, Orange) offer there: on a node rename, duplicate,
disconnect, delete and the layer's help; on empty canvas add a layer here (the searchable
list), paste here, tidy and fit. Each entry calls the canvas's own methods, so a menu entry
and its keyboard shortcut do the same thing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QPoint, QPointF, SignalInstance
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWhatsThis, QWidget

from neurocanvas.core.network.graph import Graph
from neurocanvas.widgets.canvas.items import NodeItem, WireItem
from neurocanvas.widgets.editing import GraphEditing
from neurocanvas.widgets.layer_help import layer_help_html


class MenuHost(Protocol):
    """What the menus call on the canvas (the canvas imports this module, not back)."""

    graph: Graph
    editor: GraphEditing
    name_requested: SignalInstance

    def item_at(self, view_pos: QPoint) -> NodeItem | WireItem | None: ...
    def select_nodes(self, node_ids: list[str]) -> None: ...
    def duplicate_selected(self) -> list[str]: ...
    def disconnect_node(self, node_id: str) -> None: ...
    def delete_selected(self) -> None: ...
    def open_layer_picker(self, scene_pos: QPointF) -> QWidget: ...
    def paste_at(self, scene_pos: QPointF | None) -> list[str]: ...
    def has_clipboard_nodes(self) -> bool: ...
    def tidy_layout(self) -> None: ...
    def fit_to_view(self) -> None: ...
    def select_all(self) -> None: ...
    def mapToScene(self, pos: QPoint) -> QPointF: ...  # noqa: N802 - Qt's name
    def viewport(self) -> QWidget: ...


def menu_for(canvas: MenuHost, view_pos: QPoint) -> QMenu:
    """The menu for what is under ``view_pos`` (a viewport position) of ``canvas``."""
    item = canvas.item_at(view_pos)
    if isinstance(item, NodeItem):
        return node_menu(canvas, item, view_pos)
    if isinstance(item, WireItem):
        return wire_menu(canvas, item)
    return canvas_menu(canvas, view_pos)


def _entry(menu: QMenu, text: str, slot: Callable[[], object], name: str, tip: str = "") -> QAction:
    action = menu.addAction(text)
    action.setObjectName(name)
    if tip:
        action.setToolTip(tip)
    action.triggered.connect(lambda *_: slot())
    return action


def node_menu(canvas: MenuHost, item: NodeItem, view_pos: QPoint) -> QMenu:
    """Rename, duplicate, disconnect, delete and help for the node (it becomes selected)."""
    from_graph = canvas.graph
    if not item.isSelected():
        canvas.select_nodes([item.node_id])
    node_id = item.node_id
    menu = QMenu(canvas.viewport())
    menu.setObjectName("nodeMenu")
    menu.setToolTipsVisible(True)
    _entry(menu, "Rename…", lambda: canvas.name_requested.emit(node_id), "renameEntry")
    _entry(menu, "Duplicate", canvas.duplicate_selected, "duplicateEntry")
    wired = from_graph.edges_into(node_id) or from_graph.edges_out_of(node_id)
    disconnect = _entry(
        menu, "Disconnect", lambda: canvas.disconnect_node(node_id), "disconnectEntry",
        "Remove every wire into and out of this node",
    )  # fmt: skip
    disconnect.setEnabled(bool(wired))
    _entry(menu, "Delete", canvas.delete_selected, "deleteEntry")
    menu.addSeparator()
    spec = item.spec
    global_pos = canvas.viewport().mapToGlobal(view_pos)
    _entry(
        menu, f"Help: {spec.display_name}",
        lambda: QWhatsThis.showText(global_pos, layer_help_html(spec.type)), "helpEntry",
        spec.help,
    )  # fmt: skip
    return menu


def wire_menu(canvas: MenuHost, item: WireItem) -> QMenu:
    menu = QMenu(canvas.viewport())
    menu.setObjectName("wireMenu")
    edge = item.edge
    _entry(menu, "Delete Wire", lambda: canvas.editor.disconnect([edge]), "deleteWireEntry")
    return menu


def canvas_menu(canvas: MenuHost, view_pos: QPoint) -> QMenu:
    """Add a layer here, paste here, tidy, fit, select all."""
    scene_pos = canvas.mapToScene(view_pos)
    menu = QMenu(canvas.viewport())
    menu.setObjectName("canvasMenu")
    _entry(menu, "Add Layer Here…", lambda: canvas.open_layer_picker(scene_pos), "addLayerEntry")
    paste = _entry(menu, "Paste Here", lambda: canvas.paste_at(scene_pos), "pasteEntry")
    paste.setEnabled(canvas.has_clipboard_nodes())
    menu.addSeparator()
    _entry(menu, "Tidy Layout", canvas.tidy_layout, "tidyEntry")
    _entry(menu, "Fit to View", canvas.fit_to_view, "fitEntry")
    _entry(menu, "Select All", canvas.select_all, "selectAllEntry")
    return menu
