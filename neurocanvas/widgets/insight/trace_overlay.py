"""The traced batch on the canvas: under each node, its part of the chosen stage.

Small arrays are written out as numbers, larger ones drawn as a picture (values in
viridis, gradients and changes in blue-white-red with 0 white). Cards are child items of
the scene's node items, so they move with their nodes and vanish with them.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QStyleOptionGraphicsItem

from neurocanvas.widgets.canvas.items import NODE_WIDTH, NodeItem, canvas_font
from neurocanvas.widgets.insight.arrays import format_values
from neurocanvas.widgets.insight.images import array_qimage

CARD_GAP = 8.0
TEXT_H = 17.0
IMAGE_MAX_H = 70.0


def _norm(a: np.ndarray | None) -> float | None:
    return None if a is None else float(np.linalg.norm(np.asarray(a, dtype=np.float64)))


def card_content(
    stage: str, node: dict[str, Any] | None, trace: dict[str, Any], node_type: str
) -> tuple[list[str], np.ndarray | None, bool]:
    """(text lines, array to draw or None, signed colours?) for one node at one stage."""
    if node_type == "Input":
        if stage in ("forward", "loss"):
            return _values_or_picture("x", trace["input"], signed=False)
        return [], None, False
    if node_type == "Output":
        if stage == "loss":
            lines = [f"loss = {trace['loss']:.4g}"]
            target = format_values(trace["target"])
            if target is not None:
                lines.append(f"target: {target}")
            return lines, None, False
        return [], None, False
    if node is None:
        return [], None, False
    weight = node["params"].get("weight")
    if stage == "zero_grad":
        return (["weight.grad ← 0"], None, False) if weight is not None else ([], None, False)
    if stage == "forward":
        return _values_or_picture("out", node["output"], signed=False)
    if stage == "loss":
        return [], None, False
    if stage == "backward":
        lines, arr, signed = _values_or_picture("∂L/∂out", node["grad"], signed=True)
        if weight is not None and weight["grad"] is not None:
            lines.append(f"‖∂L/∂W‖ = {_norm(weight['grad']):.3g}")
        return lines, arr, signed
    if weight is None or weight["change"] is None:
        return [], None, False
    change, before = weight["change"], weight["value"]
    lines = [f"‖ΔW‖ = {_norm(change):.3g}"]
    scale = _norm(before)
    if scale:
        lines.append(f"‖ΔW‖/‖W‖ = {_norm(change) / scale:.2g}")
    small = format_values(change, limit=4)
    if small is not None:
        return [*lines, f"ΔW: {small}"], None, True
    return lines, np.asarray(change).reshape(change.shape[0], -1), True


def _values_or_picture(
    label: str, arr: np.ndarray | None, signed: bool
) -> tuple[list[str], np.ndarray | None, bool]:
    if arr is None:
        return [f"{label}: none"], None, signed
    text = format_values(arr)
    if text is not None:
        return [f"{label}: {text}"], None, signed
    a = np.asarray(arr)
    return [f"{label}: {'×'.join(map(str, a.shape))}, max |{np.abs(a).max():.2g}|"], a, signed


class TraceCard(QGraphicsItem):
    """Lines of text and an optional picture, hung under a node."""

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.setZValue(4)
        self.setPos(QPointF(0, node.rect().bottom() + CARD_GAP))
        self.lines: list[str] = []
        self.image: QImage | None = None
        self._h = 0.0

    def set_content(self, lines: list[str], image: QImage | None) -> None:
        self.prepareGeometryChange()
        self.lines, self.image = lines, image
        self._h = TEXT_H * len(lines) + (self._image_h() + 4 if image is not None else 0) + 6
        self.setVisible(bool(lines) or image is not None)
        self.setToolTip("\n".join(lines))
        self.update()

    def _image_h(self) -> float:
        if self.image is None or self.image.width() == 0:
            return 0.0
        aspect = self.image.height() / self.image.width()
        return float(min(IMAGE_MAX_H, max(14.0, (NODE_WIDTH - 8) * aspect)))

    def boundingRect(self) -> QRectF:  # noqa: N802
        return QRectF(0, 0, NODE_WIDTH, self._h)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        rect = self.boundingRect()
        painter.setPen(QPen(QColor(120, 120, 120), 1.0))
        painter.setBrush(QBrush(QColor(255, 255, 240, 235)))
        painter.drawRoundedRect(rect, 5, 5)
        painter.setFont(canvas_font(8.5))
        painter.setPen(QColor(20, 20, 20))
        y = 3.0
        for line in self.lines:
            painter.drawText(
                QRectF(5, y, NODE_WIDTH - 10, TEXT_H),
                Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                painter.fontMetrics().elidedText(
                    line, Qt.TextElideMode.ElideRight, int(NODE_WIDTH - 10)
                ),
            )
            y += TEXT_H
        if self.image is not None:
            h = self._image_h()
            w = min(NODE_WIDTH - 8, h * self.image.width() / max(self.image.height(), 1))
            target = QRectF((NODE_WIDTH - w) / 2, y + 2, w, h)
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
            painter.drawImage(target, self.image)


class TraceOverlay(QObject):
    """Shows one stage of a trace (``TraceProbe``'s result) on a ``NodeCanvas``."""

    def __init__(self, canvas: Any) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.cards: dict[NodeItem, TraceCard] = {}
        self.trace: dict[str, Any] | None = None
        self.stage = ""

    def show(self, trace: dict[str, Any] | None, stage: str) -> None:
        self.trace, self.stage = trace, stage
        scene = self.canvas.canvas_scene
        self.cards = {n: c for n, c in self.cards.items() if n.scene() is scene}
        for node_id, item in scene.node_items.items():
            lines: list[str] = []
            image: QImage | None = None
            if trace is not None and stage:
                node = trace["nodes"].get(node_id)
                lines, arr, signed = card_content(stage, node, trace, item.spec.type)
                if (
                    arr is not None
                    and np.asarray(arr).size
                    and math.isfinite(float(np.nanmax(np.abs(arr))))
                ):
                    image = array_qimage(arr, signed=signed)
            card = self.cards.get(item)
            if card is None:
                if not lines and image is None:
                    continue
                card = self.cards[item] = TraceCard(item)
            card.set_content(lines, image)

    def card_lines(self, node_id: str) -> list[str]:
        """What the card under ``node_id`` says now (empty when it shows nothing)."""
        item = self.canvas.canvas_scene.node_items.get(node_id)
        card = self.cards.get(item) if item is not None else None
        return list(card.lines) if card is not None and card.isVisible() else []

    def clear(self) -> None:
        self.show(None, "")
