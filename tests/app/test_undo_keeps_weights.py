"""Edits and their undos keep what the network learned (field report: paste, rewire, tidy,
five undos gave back fresh weights while the fit plot still showed the trained line)."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtTest import QTest

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def view_point(canvas, scene_point: QPointF) -> QPoint:
    return canvas.mapFromScene(scene_point)


def drag_wire(canvas, src: str, dst: str) -> None:
    """Press on ``src``'s output port, move, release on ``dst``'s input port."""
    start = view_point(canvas, canvas.node_items[src].outputs["out"].scenePos())
    end = view_point(canvas, canvas.node_items[dst].inputs["in"].scenePos())
    viewport = canvas.viewport()
    QTest.mousePress(viewport, LEFT, NONE, start)
    for i in range(1, 5):
        QTest.mouseMove(viewport, start + (end - start) * (i / 4))
    QTest.mouseRelease(viewport, LEFT, NONE, end)


def linear_state(w) -> tuple[float, float]:
    state = w.controller.model.state_dict()
    return float(np.ravel(state["linear.weight"])[0]), float(np.ravel(state["linear.bias"])[0])


@pytest.mark.slow
def test_paste_rewire_tidy_and_five_undos_keep_the_trained_weights(window_factory, qtbot):
    w = window_factory("linear-regression")
    qtbot.mouseClick(w.training_panel.train_button, LEFT)
    qtbot.waitUntil(lambda: w.controller.state == "finished", timeout=30_000)
    trained = linear_state(w)
    assert trained[0] == pytest.approx(2.0, abs=0.05)
    graph, canvas = w.document.graph, w.canvas
    linear, inp, out = (graph.node_by_name(n).id for n in ("linear", "input", "output"))

    canvas.select_nodes([linear])
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_C, CTRL)
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_V, CTRL)
    qtbot.wait(400)  # the window's views refresh after each edit (preview, health)
    (pasted,) = set(graph.nodes) - {linear, inp, out}
    drag_wire(canvas, inp, pasted)
    qtbot.wait(400)
    drag_wire(canvas, pasted, out)  # replaces linear -> output: linear now leads nowhere
    assert graph.edges_into(out)[0].src == pasted
    qtbot.wait(400)
    canvas.tidy_layout()
    for _ in range(5):
        qtbot.wait(400)
        QTest.keyClick(canvas.viewport(), Qt.Key.Key_Z, CTRL)
    qtbot.wait(400)
    assert set(graph.nodes) == {linear, inp, out}

    w.controller.show_model()  # what an Evaluate, an export or the next Train sees
    assert linear_state(w) == pytest.approx(trained)
