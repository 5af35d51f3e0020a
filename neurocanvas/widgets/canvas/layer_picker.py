"""A searchable list of layers that pops up at the pointer ("add layer here").

Double-click on empty canvas, or "Add Layer Here…" in the canvas's context menu, opens it
(Blender's Shift+A search, ComfyUI's double-click search): type a few letters, Enter adds the
highlighted layer where the pointer was. The entries come from the catalogue, so a new layer
appears here without code changes.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QFrame, QLineEdit, QListWidget, QListWidgetItem, QVBoxLayout

from neurocanvas.core.network.catalogue import CATEGORIES, LAYERS

TYPE_ROLE = Qt.ItemDataRole.UserRole
PICKER_SIZE = (260, 320)


class LayerPicker(QFrame):
    """Popup (objectName ``layerPicker``): a search field over the catalogue's layers."""

    chosen = Signal(str)  # the layer type

    def __init__(self, parent=None):
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("layerPicker")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.search = QLineEdit(self)
        self.search.setObjectName("layerPickerSearch")
        self.search.setPlaceholderText("Add layer: type to search…")
        self.search.setClearButtonEnabled(True)
        self.list = QListWidget(self)
        self.list.setObjectName("layerPickerList")
        self.list.setUniformItemSizes(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        layout.addWidget(self.search)
        layout.addWidget(self.list)
        order = {c: i for i, c in enumerate(CATEGORIES)}
        specs = sorted(LAYERS.values(), key=lambda s: (order.get(s.category, 99), s.display_name))
        for spec in specs:
            item = QListWidgetItem(f"{spec.display_name}   ·  {spec.category}", self.list)
            item.setData(TYPE_ROLE, spec.type)
            item.setToolTip(spec.help)
        self.search.textChanged.connect(self.set_filter)
        self.search.installEventFilter(self)
        self.list.itemActivated.connect(self._pick)
        self.list.itemClicked.connect(self._pick)
        self.resize(*PICKER_SIZE)

    def popup(self, global_pos: QPoint) -> None:
        """Show at ``global_pos`` (kept on the screen) with an empty search."""
        self.search.clear()
        self.set_filter("")
        screen = self.screen().availableGeometry() if self.screen() else None
        pos = QPoint(global_pos)
        if screen is not None:
            pos.setX(min(max(pos.x(), screen.left()), screen.right() - self.width()))
            pos.setY(min(max(pos.y(), screen.top()), screen.bottom() - self.height()))
        self.move(pos)
        self.show()
        self.search.setFocus(Qt.FocusReason.PopupFocusReason)

    def set_filter(self, text: str) -> None:
        """Show layers whose name, type, category or help mention ``text``.

        The highlighted entry is the first whose name matches ("lin" picks Linear, not a layer
        whose help mentions "linear"), else the first shown.
        """
        needle = text.strip().lower()
        shown: list[QListWidgetItem] = []
        by_name: list[QListWidgetItem] = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            spec = LAYERS[item.data(TYPE_ROLE)]
            hay = f"{spec.display_name} {spec.type} {spec.category} {spec.help}".lower()
            visible = not needle or needle in hay
            item.setHidden(not visible)
            if visible:
                shown.append(item)
                if needle and needle in f"{spec.display_name} {spec.type}".lower():
                    by_name.append(item)
        best = (by_name or shown or [None])[0]
        self.list.setCurrentItem(best)

    def visible_types(self) -> list[str]:
        return [
            self.list.item(i).data(TYPE_ROLE)
            for i in range(self.list.count())
            if not self.list.item(i).isHidden()
        ]

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        # Arrow keys and Enter in the search field act on the list, as in a combo box.
        if watched is self.search and event.type() == QEvent.Type.KeyPress:
            assert isinstance(event, QKeyEvent)
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                self._move_current(1 if key == Qt.Key.Key_Down else -1)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                item = self.list.currentItem()
                if item is not None and not item.isHidden():
                    self._pick(item)
                return True
        return super().eventFilter(watched, event)

    def _move_current(self, step: int) -> None:
        rows = [i for i in range(self.list.count()) if not self.list.item(i).isHidden()]
        if not rows:
            return
        current = self.list.currentRow()
        index = rows.index(current) + step if current in rows else 0
        self.list.setCurrentRow(rows[max(0, min(index, len(rows) - 1))])

    def _pick(self, item: QListWidgetItem) -> None:
        layer_type = item.data(TYPE_ROLE)
        self.hide()
        if layer_type:
            self.chosen.emit(layer_type)
