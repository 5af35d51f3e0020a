"""The Problems panel names every layer whose output goes nowhere."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtTest import QTest

LEFT, NONE = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
CTRL = Qt.KeyboardModifier.ControlModifier


def problem_texts(w) -> list[str]:
    return [w.problems.item(i).text() for i in range(w.problems.count())]


def test_a_branch_that_leads_nowhere_is_flagged_with_its_name(window_factory, qtbot):
    w = window_factory("linear-regression")
    graph, canvas = w.document.graph, w.canvas
    inp = graph.node_by_name("input").id
    canvas.select_nodes([graph.node_by_name("linear").id])
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_C, CTRL)
    QTest.keyClick(canvas.viewport(), Qt.Key.Key_V, CTRL)
    (pasted,) = [n for n in graph.nodes.values() if n.name not in ("input", "linear", "output")]
    start = canvas.mapFromScene(canvas.node_items[inp].outputs["out"].scenePos())
    end = canvas.mapFromScene(canvas.node_items[pasted.id].inputs["in"].scenePos())
    QTest.mousePress(canvas.viewport(), LEFT, NONE, start)
    QTest.mouseMove(canvas.viewport(), (start + end) / 2)
    QTest.mouseMove(canvas.viewport(), end)
    QTest.mouseRelease(canvas.viewport(), LEFT, NONE, end)
    assert graph.edges_into(pasted.id)
    w.validate()
    texts = problem_texts(w)
    assert [t for t in texts if f"'{pasted.name}'" in t and "output goes nowhere" in t], texts
    assert w.report.ok  # a warning: it still trains
