"""A QGraphicsView that zooms around the cursor, pans and fits its content.

Kept apart from the node editor so that the navigation is one small, reusable piece.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, QRectF, Qt
from PySide6.QtGui import QKeyEvent, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QGraphicsItem, QGraphicsView

from neurocanvas.widgets.canvas.interactions import PanGesture

MIN_ZOOM, MAX_ZOOM = 0.15, 4.0
FIT_MARGIN = 36.0  # view pixels around the graph after a fit: framed, not floating in space


class CanvasView(QGraphicsView):
    """Wheel zoom around the cursor, middle-drag or space-drag pan, fit-to-view."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setRenderHints(QPainter.RenderHint.Antialiasing | QPainter.RenderHint.TextAntialiasing)
        self.setViewportUpdateMode(QGraphicsView.ViewportUpdateMode.SmartViewportUpdate)
        self.setTransformationAnchor(QGraphicsView.ViewportAnchor.NoAnchor)
        self.setResizeAnchor(QGraphicsView.ViewportAnchor.AnchorViewCenter)
        self.setDragMode(QGraphicsView.DragMode.RubberBandDrag)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._pan: PanGesture | None = None
        self._space_held = False
        # After a fit, and until the person zooms or pans, a resize fits again: the first
        # fit often runs before the window has its final size (restored geometry, docks).
        self._fitted = False

    # -- zoom --------------------------------------------------------------------------------
    def zoom(self) -> float:
        return self.transform().m11()

    def zoom_by(self, factor: float, anchor: QPoint | None = None) -> None:
        """Scale by ``factor`` (clamped) keeping the scene point under ``anchor`` in place.

        ``anchor`` is a viewport position (the view's centre by default). Qt's own
        AnchorUnderMouse uses the last mouse *move*, not the wheel event's position, so the
        anchoring is done here by scrolling.
        """
        self._fitted = False
        target = min(max(self.zoom() * factor, MIN_ZOOM), MAX_ZOOM)
        factor = target / self.zoom()
        if abs(factor - 1.0) < 1e-9:
            return
        if anchor is None:
            anchor = self.viewport().rect().center()
        fixed = self.mapToScene(anchor)
        self.scale(factor, factor)
        shift = self.mapFromScene(fixed) - anchor
        h, v = self.horizontalScrollBar(), self.verticalScrollBar()
        h.setValue(h.value() + shift.x())
        v.setValue(v.value() + shift.y())

    def zoom_in(self) -> None:
        self.zoom_by(1.25)

    def zoom_out(self) -> None:
        self.zoom_by(0.8)

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802
        steps = event.angleDelta().y() / 120.0
        if steps:
            self.zoom_by(1.15**steps, event.position().toPoint())
        event.accept()

    def content_rect(self) -> QRectF:
        """The scene rect of what a fit must show: movable items (nodes) and their wires.

        Not ``itemsBoundingRect``: wires pad their bounding rects for labels and hit areas,
        which would add an uneven margin; a wire's own path is what needs to be seen.
        """
        rect = QRectF()
        scene = self.scene()
        if scene is None:
            return rect
        for item in scene.items():
            if item.parentItem() is not None or not item.isVisible():
                continue
            if item.flags() & QGraphicsItem.GraphicsItemFlag.ItemIsMovable:
                rect = rect.united(item.sceneBoundingRect())
            elif hasattr(item, "path") and item.flags() & (
                QGraphicsItem.GraphicsItemFlag.ItemIsSelectable
            ):
                rect = rect.united(item.mapRectToScene(item.path().boundingRect()))
        return rect

    def fit_zoom(self, rect: QRectF, margin: float = FIT_MARGIN) -> float:
        """The zoom that shows ``rect`` plus ``margin`` view pixels each side, at most 1:1."""
        view = self.viewport().rect()
        width, height = view.width() - 2 * margin, view.height() - 2 * margin
        if rect.isEmpty() or width <= 0 or height <= 0:
            return 1.0
        zoom = min(width / rect.width(), height / rect.height(), 1.0)
        return max(zoom, MIN_ZOOM)

    def fit_to_view(self, margin: float = FIT_MARGIN) -> None:
        """Frame every node with ``margin`` pixels round it, never magnified beyond 1:1.

        A small graph stays at its natural size (its text at the size it was designed for)
        and is centred; a large one shrinks just enough to fit.
        """
        rect = self.content_rect()
        if rect.isEmpty():
            return
        self._extend_scene_rect(rect)
        zoom = self.fit_zoom(rect, margin)
        self.resetTransform()
        self.scale(zoom, zoom)
        self.centerOn(rect.center())
        self._fitted = True

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if self._fitted:
            self.fit_to_view()

    def _extend_scene_rect(self, rect: QRectF) -> None:
        # A generous scene rect keeps scrolling free in every direction.
        big = rect.adjusted(-4000, -4000, 4000, 4000)
        self.setSceneRect(self.sceneRect().united(big))

    # -- pan ---------------------------------------------------------------------------------
    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        middle = event.button() == Qt.MouseButton.MiddleButton
        space = event.button() == Qt.MouseButton.LeftButton and self._space_held
        if middle or space:
            self._fitted = False
            self._pan = PanGesture(self, event.position().toPoint())
            self.viewport().setCursor(Qt.CursorShape.ClosedHandCursor)
            event.accept()
            return
        super().mousePressEvent(event)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan is not None:
            self._pan.move(event.position().toPoint())
            event.accept()
            return
        super().mouseMoveEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:  # noqa: N802
        if self._pan is not None:
            self._pan = None
            self.viewport().unsetCursor()
            event.accept()
            return
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = True
            self.viewport().setCursor(Qt.CursorShape.OpenHandCursor)
            event.accept()
            return
        super().keyPressEvent(event)

    def keyReleaseEvent(self, event: QKeyEvent) -> None:  # noqa: N802
        if event.key() == Qt.Key.Key_Space and not event.isAutoRepeat():
            self._space_held = False
            self.viewport().unsetCursor()
            event.accept()
            return
        super().keyReleaseEvent(event)
