"""The node canvas, driven as a person would: drops, mouse drags, keys, wheel."""

import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt
from PySide6.QtGui import QCursor, QDragEnterEvent, QDragMoveEvent, QDropEvent, QWheelEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from neurocanvas.app.editor import GraphEditor
from neurocanvas.core.network.catalogue import LAYERS
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import analyse
from neurocanvas.widgets.canvas import NodeCanvas
from neurocanvas.widgets.canvas.items import NodeItem
from neurocanvas.widgets.palette import Palette

LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


@pytest.fixture
def canvas(qtbot):
    view = NodeCanvas(GraphEditor(Graph()))
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    qtbot.waitExposed(view)
    return view


@pytest.fixture
def palette(qtbot):
    widget = Palette()
    qtbot.addWidget(widget)
    return widget


def drop(canvas, mime: QMimeData, point: QPoint) -> QDropEvent:
    """Deliver drag-enter, drag-move and drop at ``point`` of the viewport, like a real drag."""
    viewport, pos = canvas.viewport(), QPointF(point)
    action = Qt.DropAction.CopyAction
    for cls in (QDragEnterEvent, QDragMoveEvent):  # these take a QPoint, the drop a QPointF
        QApplication.sendEvent(viewport, cls(point, action, mime, LEFT, NONE))
    event = QDropEvent(pos, action, mime, LEFT, NONE)
    QApplication.sendEvent(viewport, event)
    return event


def view_point(canvas, scene_point) -> QPoint:
    return canvas.mapFromScene(scene_point)


def drag(canvas, start: QPoint, end: QPoint, steps: int = 4) -> None:
    """Press, move in steps, release on the viewport: a real mouse drag."""
    viewport = canvas.viewport()
    QTest.mousePress(viewport, LEFT, NONE, start)
    for i in range(1, steps + 1):
        QTest.mouseMove(viewport, start + (end - start) * (i / steps))
    QTest.mouseRelease(viewport, LEFT, NONE, end)


def add(canvas, layer_type, x, y, **params):
    return canvas.graph.add_node(layer_type, params or None, pos=(x, y)).id


@pytest.mark.parametrize("layer_type", list(LAYERS))
def test_dropping_each_layer_from_the_palette_adds_it_where_dropped(canvas, palette, layer_type):
    mime = palette.tree.mimeData([palette.layer_items[layer_type]])
    point = QPoint(300, 200)
    event = drop(canvas, mime, point)
    assert event.isAccepted()
    (node,) = canvas.graph.nodes.values()
    assert node.type == layer_type
    item = canvas.node_items[node.id]
    assert item.sceneBoundingRect().contains(canvas.mapToScene(point))
    assert canvas.editor.undo_stack.undoText() == f"Add {LAYERS[layer_type].display_name}"
    canvas.editor.undo_stack.undo()
    assert not canvas.graph.nodes and not canvas.node_items
    canvas.editor.undo_stack.redo()
    assert canvas.graph.nodes[node.id].pos == node.pos


def test_dropping_foreign_data_is_ignored(canvas):
    mime = QMimeData()
    mime.setText("Linear")
    drop(canvas, mime, QPoint(100, 100))
    assert not canvas.graph.nodes


def test_dragging_output_port_to_input_port_wires_them(canvas):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 300, 60)
    src = canvas.node_items[a].outputs["out"].scenePos()
    dst = canvas.node_items[b].inputs["in"].scenePos()
    drag(canvas, view_point(canvas, src), view_point(canvas, dst))
    assert [(e.src, e.dst) for e in canvas.graph.edges] == [(a, b)]
    assert len(canvas.canvas_scene.wire_items) == 1
    assert canvas.editor.undo_stack.undoText() == "Connect linear1 → relu1"
    canvas.editor.undo_stack.undo()
    assert not canvas.graph.edges and not canvas.canvas_scene.wire_items
    canvas.editor.undo_stack.redo()
    assert len(canvas.graph.edges) == 1


def test_dragging_from_input_to_output_also_wires(canvas):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 300, 60)
    dst = canvas.node_items[b].inputs["in"].scenePos()
    src = canvas.node_items[a].outputs["out"].scenePos()
    drag(canvas, view_point(canvas, dst), view_point(canvas, src))
    assert [(e.src, e.dst) for e in canvas.graph.edges] == [(a, b)]


def test_draft_wire_follows_the_mouse_and_disappears(canvas):
    a = add(canvas, "Linear", 0, 0)
    viewport = canvas.viewport()
    start = view_point(canvas, canvas.node_items[a].outputs["out"].scenePos())
    QTest.mousePress(viewport, LEFT, NONE, start)
    QTest.mouseMove(viewport, start + QPoint(150, 90))
    draft = canvas.canvas_scene._wiring.draft
    end = draft.path().pointAtPercent(1.0)
    assert (end - canvas.mapToScene(start + QPoint(150, 90))).manhattanLength() < 2
    QTest.mouseRelease(viewport, LEFT, NONE, start + QPoint(150, 90))
    assert draft.scene() is None and not canvas.graph.edges


@pytest.mark.parametrize("case", ["output_to_output", "same_node", "cycle"])
def test_refused_wiring_changes_nothing_and_says_why(canvas, qtbot, case):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 300, 0)
    c = add(canvas, "Linear", 600, 0)
    canvas.graph.connect(a, "out", b, "in")
    items = canvas.node_items
    start, end = {
        "output_to_output": (items[a].outputs["out"], items[c].outputs["out"]),
        "same_node": (items[c].outputs["out"], items[c].inputs["in"]),
        "cycle": (items[b].outputs["out"], items[a].inputs["in"]),
    }[case]
    before = (list(canvas.graph.edges), canvas.editor.undo_stack.count())
    with qtbot.waitSignal(canvas.status_message) as message:
        drag(canvas, view_point(canvas, start.scenePos()), view_point(canvas, end.scenePos()))
    assert (list(canvas.graph.edges), canvas.editor.undo_stack.count()) == before
    assert message.args[0]
    assert end.state == "normal"  # the red highlight goes when the drag ends


def test_wire_dropped_on_a_taken_input_replaces_the_old_wire_in_one_undo_step(canvas):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 300, 0)
    c = add(canvas, "Linear", 0, 250)
    canvas.graph.connect(a, "out", b, "in")
    start = canvas.node_items[c].outputs["out"].scenePos()
    end = canvas.node_items[b].inputs["in"].scenePos()
    count = canvas.editor.undo_stack.count()
    drag(canvas, view_point(canvas, start), view_point(canvas, end))
    assert [(e.src, e.dst) for e in canvas.graph.edges] == [(c, b)]
    assert canvas.editor.undo_stack.count() == count + 1
    canvas.editor.undo_stack.undo()
    assert [(e.src, e.dst) for e in canvas.graph.edges] == [(a, b)]


def test_hovering_a_bad_target_marks_it_red(canvas):
    a = add(canvas, "Linear", 0, 0)
    c = add(canvas, "Linear", 400, 0)
    viewport = canvas.viewport()
    start = view_point(canvas, canvas.node_items[a].outputs["out"].scenePos())
    target = canvas.node_items[c].outputs["out"]
    QTest.mousePress(viewport, LEFT, NONE, start)
    QTest.mouseMove(viewport, view_point(canvas, target.scenePos()))
    assert target.state == "bad"
    QTest.mouseRelease(viewport, LEFT, NONE, view_point(canvas, target.scenePos()))


def test_moving_a_node_pushes_one_command_on_release(canvas):
    a = add(canvas, "Linear", 0, 0)
    item = canvas.node_items[a]
    grab = view_point(canvas, item.mapToScene(QPointF(60, 12)))  # on the header
    drag(canvas, grab, grab + QPoint(120, 80), steps=6)
    assert canvas.editor.undo_stack.count() == 1
    x, y = canvas.graph.nodes[a].pos
    scale = canvas.zoom()
    assert (x, y) == pytest.approx((120 / scale, 80 / scale), abs=1.5)
    canvas.editor.undo_stack.undo()
    assert canvas.graph.nodes[a].pos == (0, 0) and item.pos() == QPointF(0, 0)


def test_rubber_band_selects_nodes_and_delete_removes_them_with_wires(canvas):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 250, 0)
    c = add(canvas, "Linear", 500, 0)
    canvas.graph.connect(a, "out", b, "in")
    canvas.graph.connect(b, "out", c, "in")
    canvas.fit_to_view()
    items = canvas.node_items
    top_left = view_point(canvas, items[a].sceneBoundingRect().topLeft() - QPointF(20, 20))
    bottom = items[b].sceneBoundingRect().bottomRight() + QPointF(20, 20)
    drag(canvas, top_left, view_point(canvas, bottom))
    assert sorted(canvas.canvas_scene.selected_node_ids()) == sorted([a, b])
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert list(canvas.graph.nodes) == [c] and not canvas.graph.edges
    assert canvas.editor.undo_stack.count() == 1
    canvas.editor.undo_stack.undo()
    assert len(canvas.graph.nodes) == 3 and len(canvas.graph.edges) == 2
    assert len(canvas.canvas_scene.wire_items) == 2


def test_selecting_a_wire_and_pressing_delete_unwires(canvas):
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 300, 0)
    edge = canvas.graph.connect(a, "out", b, "in")
    wire = canvas.canvas_scene.wire_items[edge]
    QTest.mouseClick(
        canvas.viewport(), LEFT, NONE, view_point(canvas, wire.path().pointAtPercent(0.3))
    )
    assert wire.isSelected()
    QTest.keyClick(canvas, Qt.Key.Key_Delete)
    assert not canvas.graph.edges
    assert canvas.editor.undo_stack.undoText() == "Disconnect linear1 → relu1"
    canvas.editor.undo_stack.undo()
    assert canvas.graph.edges == [edge]


def test_selection_signal_gives_the_node_id_or_none(canvas, qtbot):
    a = add(canvas, "Linear", 0, 0)
    centre = view_point(canvas, canvas.node_items[a].sceneBoundingRect().center())
    with qtbot.waitSignal(canvas.selection_changed) as selected:
        QTest.mouseClick(canvas.viewport(), LEFT, NONE, centre)
    assert selected.args == [a]
    with qtbot.waitSignal(canvas.selection_changed) as selected:
        QTest.mouseClick(canvas.viewport(), LEFT, NONE, centre + QPoint(0, 250))
    assert selected.args == [None]


def overlapping(canvas) -> list[tuple[str, str]]:
    """Pairs of nodes whose boxes overlap (nothing should land on top of another)."""
    items = list(canvas.node_items.items())
    return [
        (a, b)
        for i, (a, ia) in enumerate(items)
        for b, ib in items[i + 1 :]
        if ia.sceneBoundingRect().intersects(ib.sceneBoundingRect())
    ]


def pointer_away(canvas) -> None:
    """Put the mouse pointer outside the canvas (a keyboard paste then lands beside)."""
    outside = canvas.mapToGlobal(QPoint(canvas.width() + 50, canvas.height() + 50))
    QCursor.setPos(outside)


def test_ctrl_d_duplicates_below_the_original_without_covering_it(canvas):
    pointer_away(canvas)
    a = add(canvas, "Linear", 0, 0, out_features=7)
    canvas.select_nodes([a])
    QTest.keyClick(canvas, Qt.Key.Key_D, CTRL)
    (copy,) = canvas.canvas_scene.selected_node_ids()
    assert copy != a and canvas.graph.nodes[copy].params["out_features"] == 7
    x, y = canvas.graph.nodes[copy].pos
    assert x == 0 and y >= canvas.node_items[a].height  # straight below
    assert overlapping(canvas) == []
    assert canvas.editor.undo_stack.undoText() == "Duplicate linear1"


def test_ctrl_v_with_the_pointer_away_pastes_beside_the_originals_with_wires(canvas):
    pointer_away(canvas)
    a = add(canvas, "Linear", 0, 0)
    b = add(canvas, "ReLU", 250, 0)
    canvas.graph.connect(a, "out", b, "in")
    canvas.select_nodes([a, b])
    QTest.keyClick(canvas, Qt.Key.Key_C, CTRL)
    QTest.keyClick(canvas, Qt.Key.Key_V, CTRL)
    QTest.keyClick(canvas, Qt.Key.Key_V, CTRL)
    assert len(canvas.graph.nodes) == 6 and len(canvas.graph.edges) == 3
    assert overlapping(canvas) == []  # neither paste landed on the originals or each other
    pasted = sorted(canvas.graph.nodes[n].pos for n in canvas.canvas_scene.selected_node_ids())
    assert pasted[1][0] - pasted[0][0] == 250 and pasted[0][1] == pasted[1][1]  # same shape
    canvas.editor.undo_stack.undo()
    canvas.editor.undo_stack.undo()
    assert len(canvas.graph.nodes) == 2 and len(canvas.graph.edges) == 1
    canvas.editor.undo_stack.redo()
    assert len(canvas.graph.nodes) == 4 and len(canvas.node_items) == 4


def test_ctrl_v_with_the_pointer_on_the_canvas_pastes_there(canvas):
    a = add(canvas, "Linear", 0, 0)
    canvas.select_nodes([a])
    QTest.keyClick(canvas, Qt.Key.Key_C, CTRL)
    target = QPoint(600, 420)
    QCursor.setPos(canvas.viewport().mapToGlobal(target))
    QTest.keyClick(canvas, Qt.Key.Key_V, CTRL)
    (new,) = canvas.canvas_scene.selected_node_ids()
    where = canvas.mapToScene(target)
    assert canvas.graph.nodes[new].pos == pytest.approx((where.x(), where.y()), abs=1)


def test_wheel_zooms_around_the_cursor(canvas):
    add(canvas, "Linear", 0, 0)
    cursor = QPoint(200, 150)
    under = canvas.mapToScene(cursor)
    before = canvas.zoom()
    wheel = QWheelEvent(
        QPointF(cursor),
        QPointF(canvas.viewport().mapToGlobal(cursor)),
        QPoint(),
        QPoint(0, 240),
        Qt.MouseButton.NoButton,
        NONE,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(canvas.viewport(), wheel)
    assert canvas.zoom() == pytest.approx(before * 1.15**2)
    after = canvas.mapToScene(cursor)
    assert (after - under).manhattanLength() < 2


def test_middle_drag_pans(canvas):
    viewport = canvas.viewport()
    centre = canvas.visible_center()
    QTest.mousePress(viewport, Qt.MouseButton.MiddleButton, NONE, QPoint(400, 300))
    QTest.mouseMove(viewport, QPoint(300, 250))
    QTest.mouseRelease(viewport, Qt.MouseButton.MiddleButton, NONE, QPoint(300, 250))
    moved = canvas.visible_center() - centre
    assert (moved.x(), moved.y()) == pytest.approx((100, 50), abs=2)


def test_fit_to_view_shows_every_node(canvas):
    far = [add(canvas, "Linear", x, y) for x, y in [(-900, -500), (1500, 900), (0, 0)]]
    canvas.fit_to_view()
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    for node_id in far:
        assert visible.contains(canvas.node_items[node_id].sceneBoundingRect())


def test_tidy_layout_puts_nodes_in_columns_by_depth_and_undoes(canvas):
    ids = [
        add(canvas, t, x, y)
        for t, x, y in [
            ("Input", 500, 300),
            ("Linear", 20, 400),
            ("ReLU", 300, -200),
            ("Output", 0, 0),
        ]
    ]
    for s, d in zip(ids, ids[1:]):
        canvas.graph.connect(s, "out", d, "in")
    before = {n: canvas.graph.nodes[n].pos for n in ids}
    canvas.tidy_layout()
    xs = [canvas.graph.nodes[n].pos[0] for n in ids]
    assert xs == sorted(xs) and len(set(xs)) == 4
    assert canvas.editor.undo_stack.undoText() == "Tidy layout"
    canvas.editor.undo_stack.undo()
    assert {n: canvas.graph.nodes[n].pos for n in ids} == before


def test_set_report_turns_an_invalid_node_red_with_the_message(canvas):
    src = add(canvas, "Input", 0, 0, shape=(4,))
    conv = add(canvas, "Conv2d", 300, 0)
    canvas.graph.connect(src, "out", conv, "in")
    report = analyse(canvas.graph)
    canvas.set_report(report)
    item: NodeItem = canvas.node_items[conv]
    (problem,) = report.problems_for(conv)
    assert item.invalid and item.toolTip() == problem.message
    assert not canvas.node_items[src].invalid
    assert canvas.node_items[src].out_shape_text == "→ (N, 4)"
    (wire,) = canvas.canvas_scene.wire_items.values()
    assert wire.label == "(N, 4)"
    # And it is drawn red: sample the header of the rendered node.
    image = canvas.grab().toImage()
    header = view_point(canvas, item.mapToScene(QPointF(20, 6)))
    colour = image.pixelColor(header * canvas.devicePixelRatioF())
    assert colour.red() > colour.green() + 60 and colour.red() > colour.blue() + 60


def test_canvas_follows_graph_edits_made_elsewhere(canvas):
    a = add(canvas, "Linear", 0, 0)
    canvas.graph.rename_node(a, "encoder")
    canvas.graph.set_param(a, "out_features", 5)
    canvas.graph.move_node(a, (40, 50))
    item = canvas.node_items[a]
    assert item.name == "encoder" and "5" in item.summary and item.pos() == QPointF(40, 50)
    canvas.graph.load_dict({"nodes": [], "edges": []})
    assert not canvas.node_items


def test_space_drag_pans(canvas):
    viewport = canvas.viewport()
    centre = canvas.visible_center()
    QTest.keyPress(canvas, Qt.Key.Key_Space)
    drag(canvas, QPoint(400, 300), QPoint(340, 280))
    QTest.keyRelease(canvas, Qt.Key.Key_Space)
    moved = canvas.visible_center() - centre
    assert (moved.x(), moved.y()) == pytest.approx((60, 20), abs=2)
    assert viewport.cursor().shape() != Qt.CursorShape.OpenHandCursor
    assert not canvas.graph.nodes and canvas.editor.undo_stack.count() == 0


def test_category_colours_follow_a_light_or_dark_palette():
    from PySide6.QtGui import QColor, QPalette

    from neurocanvas.widgets.theme import Theme

    def palette(window, text):
        p = QPalette()
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            p.setColor(role, QColor(window))
        p.setColor(QPalette.ColorRole.Text, QColor(text))
        return p

    light = Theme.from_palette(palette("#f4f4f4", "#101010"))
    dark = Theme.from_palette(palette("#202020", "#eeeeee"))
    assert not light.dark and dark.dark
    for category in ("Dense", "Activation", "Output", "Something new"):
        assert light.category_color(category).lightnessF() > 0.7  # dark text stays readable
        assert dark.category_color(category).lightnessF() < 0.4  # light text stays readable
    assert light.category_color("Dense") != light.category_color("Activation")


def test_fit_to_view_never_magnifies_a_small_graph_and_centres_it(canvas):
    a = add(canvas, "Input", 0, 0, shape=(4,))
    b = add(canvas, "Linear", 200, 0)
    canvas.graph.connect(a, "out", b, "in")
    canvas.zoom_by(3.0)
    canvas.fit_to_view()
    assert canvas.zoom() == pytest.approx(1.0)
    content = canvas.content_rect()
    assert (canvas.visible_center() - content.center()).manhattanLength() <= 3  # pixel rounding


def test_fit_to_view_frames_a_wide_graph_with_a_margin_and_follows_resizes(canvas):
    from neurocanvas.widgets.canvas.view import FIT_MARGIN

    ids = [add(canvas, "Linear", x, 0) for x in range(0, 2400, 200)]
    canvas.fit_to_view()
    assert canvas.zoom() < 1.0
    visible = canvas.mapToScene(canvas.viewport().rect()).boundingRect()
    content = canvas.content_rect()
    for node_id in ids:
        assert visible.contains(canvas.node_items[node_id].sceneBoundingRect())
    # the tighter side keeps the margin (in view pixels), not much more
    gap = (visible.width() - content.width()) / 2 * canvas.zoom()
    assert gap == pytest.approx(FIT_MARGIN, abs=2)
    before = canvas.zoom()
    canvas.resize(600, 600)  # until the person zooms, a resize fits again
    QApplication.processEvents()
    assert canvas.zoom() < before
    canvas.zoom_by(1.2)
    zoomed = canvas.zoom()
    canvas.resize(700, 600)
    QApplication.processEvents()
    assert canvas.zoom() == pytest.approx(zoomed)


def test_node_text_is_at_least_nine_points_and_contrasts_in_both_looks():
    from PySide6.QtGui import QColor, QPalette

    from neurocanvas.widgets.canvas import items
    from neurocanvas.widgets.theme import Theme, contrast_ratio

    assert min(items.NAME_PT, items.BODY_PT, items.WIRE_LABEL_PT) >= 9.0
    for window, text in (("#f4f4f4", "#101010"), ("#1f2023", "#e6e6e6")):
        p = QPalette()
        for role in (QPalette.ColorRole.Window, QPalette.ColorRole.Base):
            p.setColor(role, QColor(window))
        p.setColor(QPalette.ColorRole.Text, QColor(text))
        theme = Theme.from_palette(p)
        assert contrast_ratio(theme.muted_text, theme.node_body) >= 4.5
        assert contrast_ratio(theme.error_text, theme.error_body) >= 4.5
        assert contrast_ratio(theme.text, theme.category_color("Dense")) >= 4.5


def test_wire_back_to_a_lower_row_runs_along_the_gap_not_through_the_nodes():
    from neurocanvas.widgets.canvas.items import wire_path

    start, end = QPointF(800, 50), QPointF(0, 200)
    path = wire_path(start, end)
    ys = [path.pointAtPercent(t / 20).y() for t in range(21)]
    # the middle of the wire runs horizontally halfway between the rows
    middle = [path.pointAtPercent(t / 20) for t in range(6, 15)]
    assert all(p.y() == pytest.approx(125, abs=1) for p in middle)
    assert min(ys) >= 50 - 1 and max(ys) <= 200 + 1
    forward = wire_path(QPointF(0, 0), QPointF(300, 0))
    assert forward.boundingRect().height() < 1  # same row: a straight wire


def test_a_wire_label_too_long_for_the_gap_is_shortened():
    from neurocanvas.widgets.canvas.items import compact_shape

    assert compact_shape("(N, 8, 8, 8)") == "8×8×8"
    assert compact_shape("(N, 10)") == "10"
    assert compact_shape("?") == "?"
