"""Where new and tidied nodes go: free spots that cover nothing, and columns by depth.

Plain geometry on ``QRectF`` (no items, no scene), so the rules are tested on their own: a
node added from the palette or pasted never lands on top of another, and Tidy Layout lays the
graph out left to right in columns by depth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from PySide6.QtCore import QPointF, QRectF

from neurocanvas.core.network.graph import Graph

GAP = 24.0  # free space kept round a placed node (one grid step)
COLUMN_GAP, ROW_GAP = 70.0, 36.0
MAX_RINGS = 40

Pos = tuple[float, float]


def overlaps(rect: QRectF, others: Iterable[QRectF], gap: float = GAP) -> bool:
    padded = rect.adjusted(-gap, -gap, gap, gap)
    return any(padded.intersects(o) for o in others)


def free_spot(wanted: QRectF, taken: list[QRectF], step: float = GAP) -> QPointF:
    """The top-left nearest ``wanted``'s where a rect of its size overlaps nothing in ``taken``.

    Searches rings of grid positions round ``wanted`` (below and to the right first, where a
    person reading left to right looks for the new node); gives ``wanted`` itself back when
    nothing is free within :data:`MAX_RINGS` steps.
    """
    if not overlaps(wanted, taken):
        return wanted.topLeft()
    for ring in range(1, MAX_RINGS + 1):
        candidates = []
        for i in range(-ring, ring + 1):
            for dx, dy in ((i, ring), (ring, i), (i, -ring), (-ring, i)):
                candidates.append((dx, dy))
        # nearest first; ties: down, then right
        candidates.sort(key=lambda d: (d[0] ** 2 + d[1] ** 2, -d[1], -d[0]))
        for dx, dy in candidates:
            rect = wanted.translated(dx * step * 4, dy * step * 2)
            if not overlaps(rect, taken):
                return rect.topLeft()
    return wanted.topLeft()


def offset_beside(block: QRectF, taken: list[QRectF], gap: float = GAP) -> Pos:
    """How far to move ``block`` (copied nodes) so that it sits just below the originals.

    Goes further down until it covers nothing in ``taken`` (the originals included).
    """
    dy = block.height() + 2 * gap
    rect = block.translated(0, dy)
    for _ in range(MAX_RINGS):
        if not overlaps(rect, taken, gap / 2):
            break
        rect = rect.translated(0, gap * 2)
    return (rect.left() - block.left(), rect.top() - block.top())


def tidy_positions(
    graph: Graph, order: list[str], heights: Mapping[str, float], node_width: float
) -> dict[str, Pos]:
    """Columns by depth (longest path from a source), each column centred on the tallest.

    ``order`` is a topological order of ``graph``; the top-left of the current layout is kept,
    and within a column the person's top-to-bottom order stays.
    """
    depth: dict[str, int] = {}
    for node_id in order:
        depth[node_id] = max((depth[e.src] + 1 for e in graph.edges_into(node_id)), default=0)
    columns: dict[int, list[str]] = {}
    for node_id in order:
        columns.setdefault(depth[node_id], []).append(node_id)
    x0 = min(graph.nodes[n].pos[0] for n in order)
    y0 = min(graph.nodes[n].pos[1] for n in order)
    tallest = max(sum(heights[n] + ROW_GAP for n in col) - ROW_GAP for col in columns.values())
    positions: dict[str, Pos] = {}
    for d, column in columns.items():
        column.sort(key=lambda n: graph.nodes[n].pos[1])
        total = sum(heights[n] + ROW_GAP for n in column) - ROW_GAP
        y = y0 + (tallest - total) / 2
        for node_id in column:
            positions[node_id] = (x0 + d * (node_width + COLUMN_GAP), y)
            y += heights[node_id] + ROW_GAP
    return positions
