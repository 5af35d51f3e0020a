"""Habits of node editors: right-click menus, double-clicks, a layer search, free spots."""

import pytest
from PySide6.QtCore import QEvent, QPoint, Qt
from PySide6.QtGui import QContextMenuEvent, QHelpEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu

from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.network.catalogue import LAYERS
from neurocanvas.core.network.graph import Graph
from neurocanvas.widgets.canvas import NodeCanvas
from neurocanvas.widgets.canvas.context_menus import menu_for
from neurocanvas.widgets.palette import Palette

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def canvas(qtbot):
    view = NodeCanvas(GraphEditor(Graph()))
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


def add(canvas, layer_type, x, y):
    return canvas.graph.add_node(layer_type, pos=(x, y)).id


def node_point(canvas, node_id) -> QPoint:
    """The middle of a node's body in viewport pixels (where a person clicks a node)."""
    return canvas.mapFromScene(canvas.node_items[node_id].sceneBoundingRect().center())


def entries(menu: QMenu) -> dict[str, object]:
    return {a.objectName(): a for a in menu.actions() if a.objectName()}


def overlapping(canvas) -> list[tuple[str, str]]:
    items = list(canvas.node_items.items())
    return [
        (a, b)
        for i, (a, ia) in enumerate(items)
        for b, ib in items[i + 1 :]
        if ia.sceneBoundingRect().intersects(ib.sceneBoundingRect())
    ]


def test_right_click_on_a_node_offers_rename_duplicate_disconnect_delete_and_help(canvas):
    a, b = add(canvas, "Linear", 0, 0), add(canvas, "ReLU", 300, 0)
    c = add(canvas, "Tanh", 600, 0)
    canvas.graph.connect(a, "out", b, "in")
    canvas.graph.connect(b, "out", c, "in")
    point = node_point(canvas, b)
    global_point = canvas.viewport().mapToGlobal(point)
    event = QContextMenuEvent(QContextMenuEvent.Reason.Mouse, point, global_point)
    QApplication.sendEvent(canvas.viewport(), event)
    menu = canvas.context_menu
    assert menu is not None and menu.isVisible() and menu.objectName() == "nodeMenu"
    found = entries(menu)
    assert {"renameEntry", "duplicateEntry", "disconnectEntry", "deleteEntry", "helpEntry"} <= set(
        found
    )
    assert canvas.canvas_scene.selected_node_ids() == [b]  # the menu acts on this node
    assert LAYERS["ReLU"].display_name in found["helpEntry"].text()
    found["disconnectEntry"].trigger()
    menu.close()
    assert canvas.graph.edges == []
    assert canvas.editor.undo_stack.count() == 1  # both wires in one step
    canvas.editor.undo_stack.undo()
    assert len(canvas.graph.edges) == 2


def test_rename_in_the_node_menu_asks_for_the_name(canvas, qtbot):
    a = add(canvas, "Linear", 0, 0)
    menu = menu_for(canvas, node_point(canvas, a))
    with qtbot.waitSignal(canvas.name_requested) as asked:
        entries(menu)["renameEntry"].trigger()
    assert asked.args == [a]


def test_right_click_on_empty_canvas_adds_a_layer_there_through_the_search(canvas):
    add(canvas, "Linear", 0, 0)
    point = QPoint(700, 450)
    menu = menu_for(canvas, point)
    found = entries(menu)
    assert {"addLayerEntry", "pasteEntry", "tidyEntry"} <= set(found)
    assert not found["pasteEntry"].isEnabled() or canvas.has_clipboard_nodes()
    found["addLayerEntry"].trigger()
    picker = canvas.picker
    assert picker.isVisible()
    QTest.keyClicks(picker.search, "tanh")
    QTest.keyClick(picker.search, Qt.Key.Key_Return)
    (new,) = [n for n in canvas.graph.nodes.values() if n.type == "Tanh"]
    assert canvas.node_items[new.id].sceneBoundingRect().contains(canvas.mapToScene(point))
    assert not picker.isVisible()


def test_double_click_on_empty_canvas_opens_the_search_at_the_pointer(canvas):
    point = QPoint(400, 300)
    QTest.mouseDClick(canvas.viewport(), LEFT, NONE, point)
    picker = canvas.picker
    assert picker.isVisible()
    near = canvas.viewport().mapToGlobal(point)
    assert (picker.pos() - near).manhattanLength() < 5
    QTest.keyClicks(picker.search, "lin")
    assert picker.list.currentItem().data(Qt.ItemDataRole.UserRole) == "Linear"
    assert "Linear" in picker.visible_types() and len(picker.visible_types()) < len(LAYERS)
    QTest.keyClick(picker.search, Qt.Key.Key_Return)
    (node,) = canvas.graph.nodes.values()
    assert node.type == "Linear"
    assert canvas.node_items[node.id].sceneBoundingRect().contains(canvas.mapToScene(point))
    assert canvas.editor.undo_stack.count() == 1


def test_escape_closes_the_search_without_adding(canvas):
    QTest.mouseDClick(canvas.viewport(), LEFT, NONE, QPoint(300, 300))
    QTest.keyClick(canvas.picker.search, Qt.Key.Key_Escape)
    assert not canvas.picker.isVisible() and not canvas.graph.nodes


def test_double_click_on_a_node_asks_for_its_name(canvas, qtbot):
    a = add(canvas, "Linear", 0, 0)
    with qtbot.waitSignal(canvas.name_requested) as asked:
        QTest.mouseDClick(canvas.viewport(), LEFT, NONE, node_point(canvas, a))
    assert asked.args == [a] and not canvas.picker.isVisible()


def test_palette_double_click_never_drops_on_top_of_a_node(canvas, qtbot):
    palette = Palette()
    qtbot.addWidget(palette)
    palette.layer_activated.connect(canvas.add_layer_in_free_space)
    for _ in range(4):  # the first goes to the centre, the others round it
        palette._on_double_click(palette.layer_items["Linear"])
    assert len(canvas.graph.nodes) == 4
    assert overlapping(canvas) == []
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    for item in canvas.node_items.values():
        assert visible.intersects(item.sceneBoundingRect())


def test_tidy_layout_keeps_every_node_in_view(canvas):
    ids = [add(canvas, "Linear", 0, 0)]
    for i in range(11):  # a long chain: tidied into 12 columns, wider than the view
        ids.append(add(canvas, "ReLU" if i % 2 else "Linear", 40 * i, 30 * i))
        canvas.graph.connect(ids[-2], "out", ids[-1], "in")
    canvas.tidy_layout()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    for node_id in ids:
        assert visible.contains(canvas.node_items[node_id].sceneBoundingRect())


def test_whats_this_on_a_node_shows_the_layers_help(canvas, monkeypatch):
    a = add(canvas, "Conv2d", 0, 0)
    shown = []
    monkeypatch.setattr(
        "neurocanvas.widgets.canvas.node_canvas.QWhatsThis.showText",
        lambda pos, text, *args: shown.append(text),
    )
    point = node_point(canvas, a)
    event = QHelpEvent(QEvent.Type.WhatsThis, point, canvas.viewport().mapToGlobal(point))
    QApplication.sendEvent(canvas.viewport(), event)
    (text,) = shown
    assert LAYERS["Conv2d"].help in text.replace("&#x27;", "'")


def test_palette_entries_carry_the_catalogues_whats_this(qtbot):
    palette = Palette()
    qtbot.addWidget(palette)
    for layer_type, item in palette.layer_items.items():
        assert LAYERS[layer_type].display_name in item.whatsThis(0)


def test_paste_here_from_the_menu_lands_at_the_click(canvas):
    a = add(canvas, "Linear", 0, 0)
    canvas.select_nodes([a])
    assert canvas.copy_selected()
    point = QPoint(650, 380)
    menu = menu_for(canvas, point)
    entries(menu)["pasteEntry"].trigger()
    (new,) = canvas.canvas_scene.selected_node_ids()
    where = canvas.mapToScene(point)
    assert canvas.graph.nodes[new].pos == pytest.approx((where.x(), where.y()), abs=1)
