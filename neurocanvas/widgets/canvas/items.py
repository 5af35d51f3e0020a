"""Graphics items of the node editor: nodes, their ports, and the wires between them.

Items only draw what the graph and the last report say; they never change the graph. Moving a
node moves the item at once (Qt does that) and the scene asks the editor for one move on release.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QFont,
    QFontMetricsF,
    QGuiApplication,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
)
from PySide6.QtWidgets import QGraphicsItem, QGraphicsPathItem, QStyleOptionGraphicsItem

from neurocanvas.core.network.catalogue import LayerSpec
from neurocanvas.widgets.theme import Theme

NODE_WIDTH = 132.0
HEADER_HEIGHT = 25.0
LINE_HEIGHT = 19.0
BODY_PADDING = 6.0
PORT_RADIUS = 6.0
PORT_SPACING = 22.0
CORNER = 7.0
# Point sizes at zoom 1. Fixed rather than a fraction of the app font, so a small desktop font
# cannot shrink the canvas text below what reads comfortably (about 9 pt and up).
NAME_PT = 10.0
BODY_PT = 9.5
TAG_PT = 8.5
WIRE_LABEL_PT = 9.0


def canvas_font(point_size: float, bold: bool = False) -> QFont:
    """The application's font family at ``point_size``: canvas text keeps the desktop's face."""
    font = QFont(QGuiApplication.font())
    font.setPointSizeF(point_size)
    font.setBold(bold)
    return font


def format_shape(shape) -> str:
    """A shape without the batch dimension, shown the way people read it: ``(N, 64)``."""
    if shape is None:
        return "?"
    return "(" + ", ".join(["N", *map(str, shape)]) + ")"


def compact_shape(text: str) -> str:
    """``(N, 8, 8, 8)`` -> ``8×8×8``: the short label of a wire between close nodes."""
    if text.startswith("(N, ") and text.endswith(")"):
        return "×".join(part.strip() for part in text[4:-1].split(","))
    return text


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
        self.warning_only = False  # every problem is a warning: amber, not red
        self.wires: list[WireItem] = []
        self.setFlags(
            QGraphicsItem.GraphicsItemFlag.ItemIsMovable
            | QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            | QGraphicsItem.GraphicsItemFlag.ItemSendsScenePositionChanges
        )
        self.setAcceptHoverEvents(True)
        self.setZValue(1)
        n_ports = max(len(spec.inputs), len(spec.outputs), 1)
        body = max(2 * LINE_HEIGHT + 2 * BODY_PADDING, n_ports * PORT_SPACING + 8)
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

    def set_report(
        self, out_shape_text: str, problems: list[str], warning_only: bool = False
    ) -> None:
        self.out_shape_text, self.problems = out_shape_text, list(problems)
        self.warning_only = bool(problems) and warning_only
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
        alert = theme.warning if self.warning_only else theme.error
        alert_body = theme.warning_body if self.warning_only else theme.error_body
        border = alert if self.invalid else (theme.selection if selected else theme.node_border)
        painter.setPen(QPen(border, 2.4 if (selected or self.invalid) else 1.0))
        painter.setBrush(QBrush(alert_body if self.invalid else theme.node_body))
        painter.drawRoundedRect(rect, CORNER, CORNER)

        header = QPainterPath()
        header.addRoundedRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT + CORNER), CORNER, CORNER)
        clip = QPainterPath()
        clip.addRect(QRectF(0, 0, NODE_WIDTH, HEADER_HEIGHT))
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(
            QBrush(alert if self.invalid else theme.category_color(self.spec.category))
        )
        painter.drawPath(header.intersected(clip))
        painter.setPen(QPen(border, 2.4 if (selected or self.invalid) else 1.0))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(rect, CORNER, CORNER)

        self._paint_header_text(painter)
        self._paint_body_text(painter)

    def _paint_header_text(self, painter: QPainter) -> None:
        """Bold name on the left, the layer type smaller on the right; the name wins space."""
        theme = self.theme
        text_rect = QRectF(9, 0, NODE_WIDTH - 18, HEADER_HEIGHT)
        tag_font, name_font = canvas_font(TAG_PT), canvas_font(NAME_PT, bold=True)
        tag_metrics, name_metrics = QFontMetricsF(tag_font), QFontMetricsF(name_font)
        name_w = min(name_metrics.horizontalAdvance(self.name), text_rect.width() * 0.62)
        tag_room = text_rect.width() - name_w - 8
        tag = tag_metrics.elidedText(self.spec.display_name, Qt.TextElideMode.ElideRight, tag_room)
        name_room = text_rect.width() - tag_metrics.horizontalAdvance(tag) - 8
        name = name_metrics.elidedText(self.name, Qt.TextElideMode.ElideRight, name_room)
        # Invalid headers are deep red: their text takes the body colour to stay readable.
        painter.setPen(theme.node_body if self.invalid else theme.header_text)
        painter.setFont(name_font)
        left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        painter.drawText(text_rect, left, name)
        painter.setFont(tag_font)
        right = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight
        painter.drawText(text_rect, right, tag)

    def _paint_body_text(self, painter: QPainter) -> None:
        """Key parameters, then the output shape (or the start of the problem when invalid)."""
        theme = self.theme
        font = canvas_font(BODY_PT)
        metrics = QFontMetricsF(font)
        painter.setFont(font)
        left = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft
        lines: list[tuple[str, object]] = []
        if self.summary:  # activations have none: the shape then takes the first line
            lines.append((self.summary, theme.text))
        if self.out_shape_text:
            lines.append((self.out_shape_text, theme.muted_text))
        elif self.problems:  # the full text is in the tooltip and the problems list
            lines.append((f"⚠ {self._short_problem()}", theme.error_text))
        body = QRectF(12, HEADER_HEIGHT + BODY_PADDING, NODE_WIDTH - 24, LINE_HEIGHT)
        for text, colour in lines:
            painter.setPen(colour)
            elided = metrics.elidedText(text, Qt.TextElideMode.ElideRight, body.width())
            painter.drawText(body, left, elided)
            body.translate(0, LINE_HEIGHT)


def wire_path(start: QPointF, end: QPointF) -> QPainterPath:
    """A cubic Bezier with horizontal ends: out of outputs rightwards, into inputs leftwards.

    A wire that runs back to the left onto a lower (or higher) row, as when a long chain is
    wrapped into rows, turns round, runs along the gap between the rows and turns into the
    input: a plain Bezier would cut diagonally through every node of both rows.
    """
    dy = end.y() - start.y()
    if end.x() < start.x() - 20 and abs(dy) > 60:
        mid_y = start.y() + dy / 2
        bend = min(abs(dy) / 2, 45.0)
        path = QPainterPath(start)
        path.cubicTo(
            start + QPointF(bend, 0), QPointF(start.x() + bend, mid_y), QPointF(start.x(), mid_y)
        )
        path.lineTo(end.x(), mid_y)
        path.cubicTo(QPointF(end.x() - bend, mid_y), end - QPointF(bend, 0), end)
        return path
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
        font = canvas_font(WIRE_LABEL_PT)
        painter.setFont(font)
        metrics = QFontMetricsF(font)
        start, end = self.path().pointAtPercent(0.0), self.path().pointAtPercent(1.0)
        room = (end - start).manhattanLength() - 2 * PORT_RADIUS  # never hide a port
        for text in (self.label, compact_shape(self.label)):
            w = metrics.horizontalAdvance(text) + 6
            if w <= room:
                break
        else:
            return
        h = metrics.height() + 2
        mid = self.path().pointAtPercent(0.5)
        box = QRectF(mid.x() - w / 2, mid.y() - h / 2, w, h)
        painter.setPen(QPen(colour, 1.0))
        painter.setBrush(QBrush(self.theme.background))
        painter.drawRoundedRect(box, 4, 4)
        painter.setPen(self.theme.text)
        painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class DraftWireItem(QGraphicsPathItem):
    """The rubber-band wire that follows the mouse while a connection is being drawn."""

    def __init__(self, theme: Theme):
        super().__init__()
        self.setPen(QPen(theme.selection, 2.0, Qt.PenStyle.DashLine, Qt.PenCapStyle.RoundCap))
        self.setZValue(3)

    def set_ends(self, start: QPointF, end: QPointF) -> None:
        self.setPath(wire_path(start, end))
