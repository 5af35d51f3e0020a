"""The common base of the live plots: title, grid, legend, placeholder, drawing when seen."""

from __future__ import annotations

from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from neurocanvas.widgets.plots.style import add_legend, apply_palette


class PlotBase(pg.PlotWidget):
    """Title, grid, legend, palette colours and a placeholder text shown while empty.

    Ranges are set by the subclasses (:meth:`_follow_range`) rather than by pyqtgraph's
    autorange, which recomputes every item's bounds and re-lays the axes on each frame. Once
    a person pans or zooms, the plot stops following until the "A" (auto range) button.
    Drawing is skipped while the plot is hidden in a shown window (another tab, a closed
    dock) and caught up when it is shown again.

    pyqtgraph's ``PlotWidget.__init__`` assigns ``self.clear`` on the instance, so a method
    of that name here would be hidden: subclasses use ``reset()``.
    """

    placeholder_text = ""
    placeholder: QLabel | None = None  # (a class default: Qt may resize before it exists)

    def __init__(self, title: str, parent=None, axis_items: dict | None = None) -> None:
        super().__init__(parent, axisItems=axis_items)
        self.setMinimumSize(240, 160)
        item = self.getPlotItem()
        item.setTitle(title, size="10pt")
        item.showGrid(x=True, y=True, alpha=0.25)
        self.legend = add_legend(item)
        apply_palette(self)
        # Fixed axis sizes: an axis that resizes to fit its tick labels (the first ones, or
        # the placeholder hiding them) re-lays the whole plot, and re-renders every cached
        # item, one frame later.
        item.getAxis("left").setWidth(56)
        item.getAxis("bottom").setHeight(38)
        vb = item.getViewBox()
        vb.disableAutoRange()
        vb.sigRangeChangedManually.connect(self._stop_following)
        self._following = True
        self._shown_range: tuple[float, float, float, float] | None = None
        self._stale = False
        self.placeholder = QLabel(self.placeholder_text, self)
        self.placeholder.setObjectName("plotPlaceholder")
        self.placeholder.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.placeholder.setWordWrap(True)
        self.placeholder.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.placeholder.setEnabled(False)  # the disabled colour reads as secondary text
        self._empty: bool | None = None
        self._set_empty(True)

    # -- placeholder ----------------------------------------------------------------------
    def is_empty(self) -> bool:
        return not self.placeholder.isHidden()

    def _set_empty(self, empty: bool) -> None:
        """Show the placeholder instead of bare axes (a log axis with no data shows 2..9)."""
        if empty == self._empty:
            return
        self._empty = empty
        self.placeholder.setVisible(empty)
        item = self.getPlotItem()
        for name in ("left", "bottom"):
            item.getAxis(name).setStyle(showValues=not empty)
        self.legend.setVisible(not empty)

    def resizeEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self.placeholder is not None:
            self.placeholder.setGeometry(self.rect().adjusted(20, 20, -20, -20))

    # -- drawing only when seen -----------------------------------------------------------
    def _can_draw(self) -> bool:
        """False while hidden inside a shown window; an unshown widget (tests) still draws."""
        return self.isVisible() or not self.window().isVisible()

    def _request_draw(self) -> None:
        if self._can_draw():
            self._stale = False
            self._draw()
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt override
        super().showEvent(event)
        if self._stale:
            self._stale = False
            self._draw()

    def _draw(self) -> None:
        raise NotImplementedError

    # -- ranges ---------------------------------------------------------------------------
    def _stop_following(self, *_: Any) -> None:
        self._following = False

    def _follow_range(self, x0: float, x1: float, y0: float, y1: float) -> None:
        """Show this range unless a person has taken over; only touch the view on change."""
        vb = self.getPlotItem().getViewBox()
        if any(vb.autoRangeEnabled()):
            # The "A" button: follow the data again, at our own (cheaper) pace.
            vb.disableAutoRange()
            self._following = True
            self._shown_range = None
        if not self._following:
            return
        wanted = (x0, x1, y0, y1)
        if wanted != self._shown_range:
            self._shown_range = wanted
            vb.setRange(xRange=(x0, x1), yRange=(y0, y1), padding=0)

    def _resume_following(self) -> None:
        self._following = True
        self._shown_range = None
