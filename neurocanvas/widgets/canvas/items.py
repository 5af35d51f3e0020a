"""Graphics items of the node editor: nodes, their ports, and the wires between them.

Items only draw what the graph and the last report say; they never change the graph. Moving a
node moves the item at once (Qt does that) and the scene pushes one MoveNodesCommand on release.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from neurocanvas.core.catalogue import LayerSpec
from neurocanvas.widgets.theme import Theme

NODE_WIDTH = 176.0
HEADER_HEIGHT = 26.0
LINE_HEIGHT = 18.0
PORT_RADIUS = 6.0
PORT_SPACING = 22.0
CORNER = 7.0


def format_shape(shape) -> str:
    """A shape without the batch dimension, shown the way people read it: ``(N, 64)``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


class PortItem(QGraphicsItem):
    """One input (left edge) or output (right edge) port of a node."""

    def __init__(self, node: NodeItem, name: str, is_output: bool, multi: bool):
        super().__init__(node)
        self.node, self.name, self.is_output, self.multi = node, name, is_output, multi
        self.state = "normal"  # "normal" | "ok" | "bad": feedback while a wire is dragged
        self.setAcceptHoverEvents(True)
        self._hover = False
        self.setZValue(2)
        self.setCursor(Qt.CursorShape.CrossCursor)

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = PORT_RADIUS + 4
        return QRectF(-r, -r, 2 * r, 2 * r)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addEllipse(self.boundingRect())  # a generous hit area: ports are small
        return path

    def set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.update()

    def hoverEnterEvent(self, event) -> None:  # noqa: N802
        self._hover = True
        self.update()

    def hoverLeaveEvent(self, event) -> None:  # noqa: N802
        self._hover = False
        self.update()

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme = self.node.theme
        colour = {"ok": theme.port_ok, "bad": theme.port_bad}.get(self.state, theme.port)
        radius = PORT_RADIUS + (2 if self._hover or self.state != "normal" else 0)
        painter.setPen(QPen(theme.node_border, 1.2))
        painter.setBrush(
            QBrush(colour if (self.is_output or self.state != "normal") else theme.node_body)
        )
        painter.drawEllipse(QPointF(0, 0), radius, radius)
        if not self.is_output and self.state == "normal":
            painter.setBrush(QBrush(colour))
            painter.drawEllipse(QPointF(0, 0), radius * 0.45, radius * 0.45)


class NodeItem(QGraphicsItem):
    """A layer on the canvas: coloured header with its name, key parameters, output shape."""

    def __init__(self, node_id: str, spec: LayerSpec, name: str, summary: str, theme: Theme):
        super().__init__()
        self.node_id, self.spec, self.name, self.summary, self.theme = (
            node_id,
            spec,
            name,
            summary,
            theme,
        )
        self.out_shape_text = ""
        self.problems: list[str] = []
        self.wires: list[WireItem] = []
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        n_ports = max(len(spec.inputs), len(spec.outputs), 1)
        body = max(2 * LINE_HEIGHT + 12, n_ports * PORT_SPACING + 8)
        self.height = HEADER_HEIGHT + body
        self.inputs = {p.name: PortItem(self, p.name, False, p.multi) for p in spec.inputs}
        self.outputs = {p.name: PortItem(self, p.name, True, p.multi) for p in spec.outputs}
        self._place_ports(self.inputs, 0.0)
        self._place_ports(self.outputs, NODE_WIDTH)
        self._update_tooltip()

    def _place_ports(self, ports: dict[str, PortItem], x: float) -> None:
        body_top, body_h = HEADER_HEIGHT, self.height - HEADER_HEIGHT
        for i, port in enumerate(ports.values()):
            y = body_top + body_h * (i + 1) / (len(ports) + 1)
            port.setPos(x, y)

    # -- state set by the scene -------------------------------------------------------------
    def set_name(self, name: str) -> None:
        self.name = name
        self._update_tooltip()
        self.update()

    def set_summary(self, summary: str) -> None:
        self.summary = summary
        self.update()

    def set_report(self, out_shape_text: str, problems: list[str]) -> None:
        self.out_shape_text, self.problems = out_shape_text, list(problems)
        self._update_tooltip()
        self.update()

    @property
    def invalid(self) -> bool:
        return bool(self.problems)

    def _short_problem(self) -> str:
        """The first problem without the "Conv2d 'conv1' " prefix the node already shows."""
        message = self.problems[0]
        prefix = f"{self.spec.type} '{self.name}' "
        return message[len(prefix) :] if message.startswith(prefix) else message

    def _update_tooltip(self) -> None:
        if self.problems:
            self.setToolTip("\n".join(self.problems))
        else:
            self.setToolTip(f"{self.name} ({self.spec.display_name})\n{self.spec.help}")

    # -- geometry ---------------------------------------------------------------------------
    def rect(self) -> QRectF:
        return QRectF(0, 0, NODE_WIDTH, self.height)

    def boundingRect(self) -> QRectF:  # noqa: N802
        return self.rect().adjusted(-3, -3, 3, 3)

    def shape(self) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(self.rect(), CORNER, CORNER)
        return path

    def itemChange(self, change, value):  # noqa: N802
        if change == QGraphicsItem.GraphicsItemChange.ItemScenePositionHasChanged:
            for wire in self.wires:
                wire.update_path()
        return super().itemChange(change, value)

    # -- drawing ----------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        theme, rect = self.theme, self.rect()
        selected = self.isSelected()
        border = (
            theme.error if self.invalid else (theme.selection if selected else theme.node_border)
        )
        painter.setPen(QPen(border, 2.4 if (selected or self.invalid) else 1.0))
        painter.setBrush(QBrush(theme.error_body if self.invalid else theme.node_body))
        painter.drawRoundedRect(rect, CORNER, CORNER)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT + CORNER), CORNER, CORNER)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(
            QBrush(theme.error if self.invalid else theme.category_color(self.spec.category))
        )
        painter.drawPath(header.intersected(clip))
        painter.setPen(QPen(border, 2.4 if (selected or self.invalid) else 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, CORNER, CORNER)

        font = QFont(painter.font())
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(theme.text if not self.invalid else theme.node_body)
        text_rect = QRectF(10, 0, NODE_WIDTH - 20, HEADER_HEIGHT)
        metrics = QFontMetricsF(font)
        name = metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, text_rect.width() * 0.62)
        painter.drawText(
            text_rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, name
        )
        font.setBold(False)
        font.setPointSizeF(max(font.pointSizeF() * 0.85, 6.0))
        painter.setFont(font)
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight,
            self.spec.display_name,
        )

        painter.setPen(theme.text)
        body = QRectF(14, HEADER_HEIGHT + 6, NODE_WIDTH - 28, LINE_HEIGHT)
        small = QFontMetricsF(font)
        if self.summary:  # activations have none: the shape then takes the first line
            painter.drawText(
                body,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                small.elidedText(self.summary, Qt.TextElideMode.ElideRight, body.width()),
            )
            body.translate(0, LINE_HEIGHT)
        # Second line: the output shape, or for an invalid node the start of its problem
        # (the full text is in the tooltip).
        line = self.out_shape_text or (f"⚠ {self._short_problem()}" if self.problems else "")
        if line:
            painter.setPen(theme.error if self.invalid else theme.muted_text)
            painter.drawText(
                body,
                Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                small.elidedText(line, Qt.TextElideMode.ElideRight, body.width()),
            )


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A cubic Bezier with horizontal ends: out of outputs rightwards, into inputs leftwards."""
    dx = max(abs(end.x() - start.x()) * 0.5, 40.0)
    path = QPainterPath(start)
    path.cubicTo(start + QPointF(dx, 0), end - QPointF(dx, 0), end)
    return path


class WireItem(QGraphicsPathItem):
    """A wire between an output port and an input port, labelled with the shape it carries."""

    def __init__(self, edge, src_port: PortItem, dst_port: PortItem, theme: Theme):
        super().__init__()
        self.edge, self.src_port, self.dst_port, self.theme = edge, src_port, dst_port, theme
        self.label = ""
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIsSelectable)
        self.setZValue(0)
        src_port.node.wires.append(self)
        dst_port.node.wires.append(self)
        self.update_path()

    def detach(self) -> None:
        """Forget the nodes before the wire leaves the scene."""
        for node in (self.src_port.node, self.dst_port.node):
            if self in node.wires:
                node.wires.remove(self)

    def set_label(self, text: str) -> None:
        self.label = text
        self.update()

    def update_path(self) -> None:
        self.prepareGeometryChange()
        self.setPath(wire_path(self.src_port.scenePos(), self.dst_port.scenePos()))

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(10)  # easy to click on a thin line
        return stroker.createStroke(self.path())

    def boundingRect(self) -> QRectF:  # noqa: N802
        return super().boundingRect().adjusted(-40, -14, 40, 14)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        colour = self.theme.selection if self.isSelected() else self.theme.wire
        painter.setPen(
            QPen(
                colour,
                2.6 if self.isSelected() else 1.8,
                Qt.PenStyle.SolidLine,
                Qt.PenCapStyle.RoundCap,
            )
        )
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(self.path())
        if not self.label:
            return
        font = QFont(painter.font())
        font.setPointSizeF(max(font.pointSizeF() * 0.8, 6.0))
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        mid = self.path().pointAtPercent(0.5)
        w, h = metrics.horizontalAdvance(self.label) + 8, metrics.height() + 2
        start, end = self.path().pointAtPercent(0.0), self.path().pointAtPercent(1.0)
        if (end - start).manhattanLength() < w + 28:  # a label would hide the ports
            return
        box = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(QBrush(self.theme.background))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(self.theme.text)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, self.label)


class DraftWireItem(QGraphicsPathItem):
    """The rubber-band wire that follows the mouse while a connection is being drawn."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.setPen(QPen(theme.selection, 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap))
        self.setZValue(3)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(wire_path(start, end))
