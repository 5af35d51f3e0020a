"""The layer palette: the catalogue by category, searchable, dragged onto the canvas.

Everything shown (names, categories, tooltips) comes from ``core.catalogue``, so a new layer
entry appears here without code changes.
"""

from __future__ import annotations

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QLineEdit,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.core.network.catalogue import CATEGORIES, LAYERS, LayerSpec
from neurocanvas.widgets.layer_help import layer_help_html

LAYER_MIME = "application/x-neurocanvas-layer"
"""Drag-and-drop format: the payload is the layer type (catalogue key) as UTF-8."""

TYPE_ROLE = Qt.ItemDataRole.UserRole


def layer_mime_data(layer_type: str) -> QMimeData:
    """The mime data a palette drag carries (also for tests and other drag sources)."""
    mime = QMimeData()
    mime.setData(LAYER_MIME, layer_type.encode())
    mime.setText(layer_type)
    return mime


class LayerTree(QTreeWidget):
    """The tree of categories and layers; dragging a layer carries :data:`LAYER_MIME`."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setHeaderHidden(True)
        self.setDragEnabled(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setRootIsDecorated(True)
        self.setAnimated(True)
        self.setUniformRowHeights(True)

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [LAYER_MIME]

    def mimeData(self, items) -> QMimeData:  # noqa: N802
        types = [i.data(0, TYPE_ROLE) for i in items if i.data(0, TYPE_ROLE)]
        return layer_mime_data(types[0]) if types else QMimeData()


class Palette(QWidget):
    """Layer catalogue (objectName ``palette``); double-click asks for the layer to be added."""

    layer_activated = Signal(str)  # layer type; the app adds it in free space near the centre

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("palette")
        self.search = QLineEdit(self)
        self.search.setObjectName("paletteSearch")
        self.search.setPlaceholderText("Search layers…")
        self.search.setClearButtonEnabled(True)
        self.tree = LayerTree(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.tree)
        self.layer_items: dict[str, QTreeWidgetItem] = {}
        self._fill()
        self.search.textChanged.connect(self.set_filter)
        self.tree.itemDoubleClicked.connect(self._on_double_click)

    def _fill(self) -> None:
        by_category: dict[str, list[LayerSpec]] = {}
        for spec in LAYERS.values():
            by_category.setdefault(spec.category, []).append(spec)
        order = list(CATEGORIES) + [c for c in by_category if c not in CATEGORIES]
        for category in order:
            if category not in by_category:
                continue
            group = QTreeWidgetItem(self.tree, [category])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)  # a heading: not draggable or selectable
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            for spec in by_category[category]:
                item = QTreeWidgetItem(group, [spec.display_name])
                item.setData(0, TYPE_ROLE, spec.type)
                item.setToolTip(0, f"<b>{spec.display_name}</b><br>{spec.help}")
                item.setWhatsThis(0, layer_help_html(spec.type))
                item.setFlags(
                    Qt.ItemFlag.ItemIsEnabled
                    | Qt.ItemFlag.ItemIsSelectable
                    | Qt.ItemFlag.ItemIsDragEnabled
                )
                self.layer_items[spec.type] = item
            group.setExpanded(True)

    def set_filter(self, text: str) -> None:
        """Show only layers whose name, type or help mentions ``text`` (case-insensitive)."""
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = self.tree.topLevelItem(i)
            any_shown = False
            for j in range(group.childCount()):
                item = group.child(j)
                spec = LAYERS[item.data(0, TYPE_ROLE)]
                haystack = f"{spec.display_name} {spec.type} {spec.help}".lower()
                shown = not needle or needle in haystack
                item.setHidden(not shown)
                any_shown = any_shown or shown
            group.setHidden(not any_shown)
            if needle and any_shown:
                group.setExpanded(True)

    def visible_layer_types(self) -> list[str]:
        return [
            t
            for t, item in self.layer_items.items()
            if not item.isHidden() and not item.parent().isHidden()
        ]

    def _on_double_click(self, item: QTreeWidgetItem, column: int = 0) -> None:
        layer_type = item.data(0, TYPE_ROLE)
        if layer_type:
            self.layer_activated.emit(layer_type)
