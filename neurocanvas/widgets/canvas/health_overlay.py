"""Training health drawn on the graph itself: gradient size on the wires, badges on nodes.

Each wire gets a halo behind it whose colour and thickness show the size of the gradient
flowing back along it (the norm of d loss / d output of the wire's source node, on a log
scale: thin blue is vanishing, green healthy, thick red exploding). A node with something
wrong (dead ReLUs, saturated Sigmoid/Tanh, vanishing or exploding gradients) gets a badge
whose tooltip says so in plain words. A legend in the view's corner explains the encoding.

The overlay reads the health probe's plain result (``Snapshot.probes["health"]``, see
``core.training.probes.health``) on the GUI's timer; it only adds child items to the
scene's own items, so the scene's mirroring of the graph is untouched, and items that the
scene drops (a deleted node, a reset) take their overlay with them.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, QPointF, QRectF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPainterPathStroker,
    QPen,
    QPolygonF,
)
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QHBoxLayout,
    QLabel,
    QStyleOptionGraphicsItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from neurocanvas.widgets.canvas.gradient_scale import (
    LOG_MAX,
    LOG_MIN,
    grad_level,
    grad_rgb,
    grad_width,
)
from neurocanvas.widgets.canvas.items import NodeItem, WireItem, canvas_font

BADGE_RADIUS = 10.0
# badge colour by the worst kind present (first in this order wins)
BADGE_KINDS: tuple[tuple[str, tuple[int, int, int], str], ...] = (
    ("nonfinite", (200, 30, 30), "!"),
    ("exploding", (215, 48, 39), "↑"),
    ("vanishing", (49, 54, 149), "↓"),
    ("dead", (230, 120, 0), "0"),
    ("saturated", (230, 120, 0), "~"),
)


def _fmt(value: float | None) -> str:
    return "none" if value is None else f"{value:.2g}"


HALO_OFFSET = 14.0  # below the wire, clear of its shape label


class WireHalo(QGraphicsItem):
    """A band under its wire, pointing back (right to left) as the gradient flows, in the
    gradient's colour and with its thickness: beside the wire rather than on it, so the
    wire's shape label stays readable on short wires."""

    def __init__(self, wire: WireItem) -> None:
        super().__init__(wire)
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemStacksBehindParent)
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)
        self.norm: float | None = None

    def set_norm(self, norm: float | None, layer_name: str) -> None:
        self.prepareGeometryChange()
        self.norm = norm
        level = grad_level(norm)
        self.setVisible(level is not None)
        if level is not None:
            self.setToolTip(
                f"Gradient flowing back from '{layer_name}': size {_fmt(norm)} "
                "(norm of d loss / d output over the batch)"
            )
        self.update()

    def boundingRect(self) -> QRectF:  # noqa: N802
        parent = self.parentItem()
        pad = grad_width(self.norm) + 6
        if parent is None:
            return QRectF()
        return self._path().boundingRect().adjusted(-pad, -pad, pad, pad)

    def _path(self) -> QPainterPath:
        return self.parentItem().path().translated(0, HALO_OFFSET)

    def shape(self) -> QPainterPath:
        stroker = QPainterPathStroker()
        stroker.setWidth(max(grad_width(self.norm), 8.0))
        return stroker.createStroke(self._path())

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        rgb = grad_rgb(self.norm)
        if rgb is None:
            return
        colour = QColor(*rgb)
        colour.setAlpha(200)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        width = grad_width(self.norm)
        path = self._path()
        inset = path.percentAtLength(width + 6)  # room for the arrowhead at the left end
        painter.setPen(QPen(colour, width, Qt.PenStyle.SolidLine, Qt.PenCapStyle.FlatCap))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawPath(_sub_path(path, inset, 0.97))
        tip = path.pointAtPercent(0.0)
        back = path.pointAtPercent(inset)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(colour))
        half = width / 2 + 4
        painter.drawPolygon(
            QPolygonF([tip, QPointF(back.x(), back.y() - half), QPointF(back.x(), back.y() + half)])
        )


def _sub_path(path: QPainterPath, start: float, end: float, n: int = 24) -> QPainterPath:
    """The stretch of ``path`` between two fractions of its length, as a polyline."""
    out = QPainterPath(path.pointAtPercent(start))
    for i in range(1, n + 1):
        out.lineTo(path.pointAtPercent(start + (end - start) * i / n))
    return out


class NodeBadge(QGraphicsItem):
    """A small round badge at a node's top-right corner; its tooltip explains the problem."""

    def __init__(self, node: NodeItem) -> None:
        super().__init__(node)
        self.setZValue(5)
        self.kinds: list[str] = []
        self.texts: list[str] = []
        rect = node.rect()
        self.setPos(QPointF(rect.right() - 2, rect.top() + 2))

    def set_badges(self, badges: list[dict[str, str]]) -> None:
        self.kinds = [b["kind"] for b in badges]
        self.texts = [b["text"] for b in badges]
        self.setVisible(bool(badges))
        self.setToolTip("\n\n".join(self.texts))
        self.update()

    def style(self) -> tuple[tuple[int, int, int], str]:
        for kind, rgb, symbol in BADGE_KINDS:
            if kind in self.kinds:
                return rgb, symbol
        return (120, 120, 120), "?"

    def boundingRect(self) -> QRectF:  # noqa: N802
        r = BADGE_RADIUS + 1
        return QRectF(-r, -r, 2 * r, 2 * r)

    def paint(self, painter: QPainter, option: QStyleOptionGraphicsItem, widget=None) -> None:
        rgb, symbol = self.style()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(255, 255, 255), 1.5))
        painter.setBrush(QBrush(QColor(*rgb)))
        painter.drawEllipse(QPointF(0, 0), BADGE_RADIUS, BADGE_RADIUS)
        painter.setFont(canvas_font(9.0, bold=True))
        painter.setPen(QColor(255, 255, 255))
        painter.drawText(self.boundingRect(), Qt.AlignmentFlag.AlignCenter, symbol)


class _ScaleBar(QWidget):
    """The colour scale of gradient sizes, thin (small) to thick (large)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumSize(220, 34)

    def paintEvent(self, event: QEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        w = self.width() - 12
        grad = QLinearGradient(6, 0, 6 + w, 0)
        for i in range(11):
            norm = 10 ** (LOG_MIN + (LOG_MAX - LOG_MIN) * i / 10)
            grad.setColorAt(i / 10, QColor(*grad_rgb(norm)))
        # a wedge: thickness grows with the gradient, as on the wires
        wedge = QPolygonF([QPointF(6, 11), QPointF(6 + w, 3), QPointF(6 + w, 19), QPointF(6, 13)])
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QBrush(grad))
        painter.drawPolygon(wedge)
        painter.setPen(self.palette().color(self.foregroundRole()))
        font = painter.font()
        font.setPointSizeF(8.0)
        painter.setFont(font)
        for exp in range(int(LOG_MIN), int(LOG_MAX) + 1, 2):
            x = 6 + w * (exp - LOG_MIN) / (LOG_MAX - LOG_MIN)
            x = min(max(x, 20.0), self.width() - 20.0)  # keep the end labels inside
            painter.drawText(QRectF(x - 20, 20, 40, 14), Qt.AlignmentFlag.AlignCenter, f"1e{exp}")


class HealthLegend(QFrame):
    """Explains the wire and badge encoding; sits in the canvas's bottom-left corner.

    Compact by default (a title with a toggle, when it was measured, and the colour scale:
    ~300 x 60 px), because the full text covered a quarter of the canvas at 1366x768; the
    toggle shows what the bands and badges mean, and the same text is the legend's tooltip.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("healthLegend")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.setSpacing(2)
        header = QHBoxLayout()
        header.setSpacing(6)
        self.toggle = QToolButton()
        self.toggle.setObjectName("healthLegendToggle")
        bold = self.toggle.font()
        bold.setBold(True)
        self.toggle.setFont(bold)  # before the text: QToolButton caches its size hint
        self.toggle.setText("Training health")
        self.toggle.setCheckable(True)
        self.toggle.setAutoRaise(True)
        self.toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.toggle.setToolTip("Show what the bands under the wires and the badges mean")
        # Never elided ("Train…ealth" was seen on a reopened project): its whole width.
        self.toggle.setMinimumWidth(self.toggle.sizeHint().width())
        self.toggle.toggled.connect(self._show_details)
        header.addWidget(self.toggle)
        self.step_label = QLabel("")
        self.step_label.setMinimumWidth(
            self.step_label.fontMetrics().horizontalAdvance("measured at training step 1,000,000")
        )
        header.addWidget(self.step_label)
        header.addStretch(1)
        layout.addLayout(header)
        layout.addWidget(_ScaleBar(self))
        meaning = (
            "The band under each wire: size of the gradient flowing back (log scale).<br>"
            "thin blue: vanishing · green: healthy · thick red: exploding · none: no gradient"
            "<br>Badges (hover for details): "
            + " ".join(
                f"<span style='color: rgb{rgb}; font-weight: bold'>{sym}</span> {name}"
                for name, rgb, sym in (
                    ("exploding", BADGE_KINDS[1][1], "↑"),
                    ("vanishing", BADGE_KINDS[2][1], "↓"),
                    ("dead ReLUs", BADGE_KINDS[3][1], "0"),
                    ("saturated", BADGE_KINDS[4][1], "~"),
                )
            )
        )
        self.details = QLabel(meaning)
        self.details.setObjectName("healthLegendDetails")
        self.details.setTextFormat(Qt.TextFormat.RichText)
        self.details.hide()
        layout.addWidget(self.details)
        self.setToolTip(meaning)
        self.adjustSize()

    def _show_details(self, on: bool) -> None:
        self.toggle.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)
        self.details.setVisible(on)
        self.adjustSize()
        self.resized()

    def resized(self) -> None:
        """Keep the bottom-left corner where it was (the overlay places the legend)."""
        parent = self.parentWidget()
        if parent is not None:
            self.move(10, parent.height() - self.height() - 10)


class HealthOverlay(QObject):
    """Shows health results on a ``NodeCanvas`` (wire halos, node badges, legend).

    Call :meth:`show_health` with the health probe's result (or None to clear) whenever a
    new one may be there; an unchanged result costs nothing. :meth:`set_enabled` hides it all.
    """

    def __init__(self, canvas: Any) -> None:
        super().__init__(canvas)
        self.canvas = canvas
        self.enabled = True
        self.result: dict[str, Any] | None = None
        self.halos: dict[WireItem, WireHalo] = {}
        self.badges: dict[NodeItem, NodeBadge] = {}
        self.legend = HealthLegend(canvas)
        self.legend.hide()
        canvas.installEventFilter(self)

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if obj is self.canvas and event.type() == QEvent.Type.Resize:
            self._place_legend()
        return False

    def _place_legend(self) -> None:
        self.legend.adjustSize()
        self.legend.resized()

    def set_enabled(self, on: bool) -> None:
        self.enabled = bool(on)
        result, self.result = self.result, None
        self.show_health(result)

    def show_health(self, result: dict[str, Any] | None) -> None:
        if result is self.result and result is not None:
            return
        self.result = result
        scene = self.canvas.canvas_scene
        visible = self.enabled and result is not None
        self.legend.setVisible(visible)
        if visible:
            step = result["step"]
            self.legend.step_label.setText(
                f"measured at training step {step}" if step else "measured on one batch"
            )
            self.legend.step_label.setToolTip(
                "" if step else "with the current weights (no training step taken)"
            )
            self._place_legend()
            self.legend.raise_()
        layers: dict[str, Any] = result["layers"] if visible else {}
        badges: dict[str, list[dict[str, str]]] = result.get("badges", {}) if visible else {}
        graph = scene.graph
        self.halos = {w: h for w, h in self.halos.items() if w.scene() is scene}
        for edge, wire in scene.wire_items.items():
            info = layers.get(edge.src)
            norm = info.get("grad_norm") if info else None
            halo = self.halos.get(wire)
            if halo is None:
                if norm is None:
                    continue
                halo = self.halos[wire] = WireHalo(wire)
            node = graph.nodes.get(edge.src)
            halo.set_norm(norm, node.name if node else edge.src)
        self.badges = {n: b for n, b in self.badges.items() if n.scene() is scene}
        for node_id, item in scene.node_items.items():
            mine = badges.get(node_id, [])
            badge = self.badges.get(item)
            if badge is None:
                if not mine:
                    continue
                badge = self.badges[item] = NodeBadge(item)
            badge.set_badges(mine)
