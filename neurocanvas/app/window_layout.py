"""Where the main window's parts go: the first window's size, the docks and their shares.

Kept apart from the window's behaviour so the layout rules (what a 1366 x 768 laptop gets,
how the docks split the space) read in one place and are tested on their own.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QDataStream,
    QEvent,
    QIODevice,
    QObject,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QMainWindow,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

RESULTS_SHARE = 0.47  # of the window height, for the results (plots) dock by default
RESULTS_MIN = 250  # px: below this a confusion matrix and sample grid cannot be read
PLOT_MIN_SIZE = QSize(150, 110)
INSPECTOR_ROOM = 480  # px: a Conv2d's name, settings and learnt filters, help lines shown
LARGEST_SIZE = QSize(1800, 1100)  # beyond this a first window feels oversized
SMALL_SCREEN_WIDTH = 1600  # below this the first window takes the whole free area


def default_window_size(available: QSize) -> QSize:
    """The first window's size: all of a small screen (a 1366 x 768 laptop), 90 % of a big one."""
    if available.width() < SMALL_SCREEN_WIDTH:
        return QSize(available)
    return QSize(
        min(int(available.width() * 0.9), LARGEST_SIZE.width()),
        min(int(available.height() * 0.9), LARGEST_SIZE.height()),
    )


class TabbedDockTitles(QObject):
    """Hides a dock's own title bar while it sits in a tab group: its tab already names it.

    Tabified docks otherwise show their title twice ("Inspector" on the tab and again on the
    title bar under it). A dock that is floated, or left alone when its partner is closed,
    gets its title bar back, so it can still be moved, floated and closed as before.
    """

    def __init__(self, window: QMainWindow, docks: list[QDockWidget]):
        super().__init__(window)
        self.window, self.docks = window, docks
        # Qt updates its tab groups after these signals: look once the event loop has run.
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(0)
        self._timer.timeout.connect(self.update)
        for dock in docks:
            dock.dockLocationChanged.connect(self._timer.start)
            dock.topLevelChanged.connect(self._timer.start)
            dock.visibilityChanged.connect(self._timer.start)

    def update(self) -> None:
        for dock in self.docks:
            tabbed = not dock.isFloating() and bool(self.window.tabifiedDockWidgets(dock))
            hidden = isinstance(dock.titleBarWidget(), _NoTitle)
            if tabbed and not hidden:
                dock.setTitleBarWidget(_NoTitle(dock))
            elif not tabbed and hidden:
                old = dock.titleBarWidget()
                dock.setTitleBarWidget(None)  # Qt's own title bar again
                old.deleteLater()


class _NoTitle(QWidget):
    """An empty title bar: a dock with a custom title bar of no height shows none."""

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        return QSize(0, 0)


class FitWidth(QObject):
    """Keeps a scroll area at least as wide as its content's minimum (plus the scroll bar).

    The content's minimum changes when its rows change (another data set's parameters); Qt
    announces that with a LayoutRequest event on the content, and the area follows.
    """

    def __init__(self, area: QScrollArea, content: QWidget):
        super().__init__(area)
        self.area, self.content = area, content
        content.installEventFilter(self)
        self.update()

    def update(self) -> None:
        bar = self.area.verticalScrollBar().sizeHint().width()
        self.area.setMinimumWidth(self.content.minimumSizeHint().width() + bar)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if watched is self.content and event.type() == QEvent.Type.LayoutRequest:
            self.update()
        return False


class InlineHelp(QObject):
    """Folds the inspector's help lines into tooltips when they would make it scroll.

    Looked at again when the inspector's scroll area is resized and when the inspector's rows
    change (another node selected): its name, settings and learnt parameters come first.
    """

    def __init__(self, area: QScrollArea, inspector: Any):
        super().__init__(area)
        self.area, self.inspector = area, inspector
        area.viewport().installEventFilter(self)
        inspector.installEventFilter(self)

    def update(self) -> None:
        fits = self.inspector.height_with_help() <= self.area.viewport().height()
        if fits != self.inspector.help_inline:
            self.inspector.show_param_help(fits)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() in (QEvent.Type.Resize, QEvent.Type.LayoutRequest):
            self.update()
        return False


def make_dock(
    window: QMainWindow,
    title: str,
    name: str,
    widget: QWidget,
    area: Qt.DockWidgetArea,
    scroll: bool = False,
) -> QDockWidget:
    """A movable, closable, floatable dock named ``name`` (saveState finds docks by name)."""
    dock = QDockWidget(title, window)
    dock.setObjectName(name)
    if scroll:
        # A tall panel scrolls instead of forcing the window taller than a laptop screen.
        area_widget = QScrollArea(dock)
        area_widget.setObjectName(f"{name}Scroll")
        area_widget.setWidget(widget)
        area_widget.setWidgetResizable(True)
        area_widget.setFrameShape(QFrame.Shape.NoFrame)
        # The fields inside take the focus, never the scroll area: a click on a button that
        # does not take focus would otherwise move the keyboard focus to the panel itself.
        area_widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        # Never scroll sideways (a half-hidden slider row looks broken): the dock is at
        # least as wide as the panel's own minimum plus the vertical scroll bar, also when
        # the panel's minimum grows later (a data set with more parameters).
        area_widget.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        FitWidth(area_widget, widget)
        widget = area_widget
    dock.setWidget(widget)
    dock.setFeatures(
        QDockWidget.DockWidgetFeature.DockWidgetMovable
        | QDockWidget.DockWidgetFeature.DockWidgetClosable
        | QDockWidget.DockWidgetFeature.DockWidgetFloatable
    )
    window.addDockWidget(area, dock)
    return dock


def build_docks(w: Any) -> None:
    """The docks around the canvas: layers and problems left, inspector / data set tabs and
    training right, results below; each named so that saveState finds it again."""
    left, right = Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea
    bottom = Qt.DockWidgetArea.BottomDockWidgetArea
    w.setCorner(Qt.Corner.BottomLeftCorner, left)
    w.setCorner(Qt.Corner.BottomRightCorner, right)
    w.palette_dock = make_dock(w, "Layers", "paletteDock", w.palette_widget, left)
    problems_box = QWidget(w)
    problems_layout = QVBoxLayout(problems_box)
    problems_layout.setContentsMargins(0, 0, 0, 0)
    problems_layout.addWidget(w.problems)
    problems_layout.addWidget(w.problem_fix)
    w.problems_dock = make_dock(w, "Problems", "problemsDock", problems_box, left)
    w.inspector_dock = make_dock(w, "Inspector", "inspectorDock", w.inspector, right, True)
    InlineHelp(w.inspector_dock.widget(), w.inspector)
    w.dataset_dock = make_dock(w, "Data set", "datasetDock", w.dataset_panel, right, True)
    w.dataset_dock.visibilityChanged.connect(w.dataset_panel.preview.set_seen)
    w.training_dock = make_dock(w, "Training", "trainingDock", w.training_panel, right, True)
    w.plots_dock = make_dock(w, "Results", "resultsDock", w.results_tabs, bottom)
    w.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
    w.tabifyDockWidget(w.inspector_dock, w.dataset_dock)
    w.inspector_dock.raise_()
    w.dock_titles = TabbedDockTitles(w, [w.inspector_dock, w.dataset_dock])
    w.dock_titles.update()
    # Folding or unfolding the run settings gives the training panel the height it now needs.
    w.training_panel.settings_section.toggled.connect(lambda *_: fit_training_dock(w))
    # pyqtgraph's plots ask for 240 x 160-200 px each; three of them side by side plus a
    # tall minimum made the window wider and taller than a 1366 x 768 screen.
    for plot in (w.loss_plot, w.accuracy_plot, w.fit_plot):
        plot.setMinimumSize(PLOT_MIN_SIZE)


def apply_default_layout(window: Any) -> None:
    """Dock sizes as shares of the window, so small and large screens both look balanced.

    The side docks are narrow so the canvas keeps most of the width; the results take almost
    half of the height (at least :data:`RESULTS_MIN`), because a typical graph is one row of
    nodes and the canvas would otherwise show mostly empty space above and below it, while a
    confusion matrix needs height to be read.
    """
    w = window
    width = max(w.width(), 800)
    side = int(min(max(width * 0.13, 170), 230))
    right = int(min(max(width * 0.2, w.training_dock.minimumSizeHint().width()), 380))
    w.resizeDocks([w.palette_dock, w.inspector_dock], [side, right], Qt.Orientation.Horizontal)
    # Qt scales the sizes given to resizeDocks to the space there is, so each split is
    # computed from the column's current height.
    left_column = w.palette_dock.height() + w.problems_dock.height()
    w.resizeDocks(
        [w.palette_dock, w.problems_dock],
        [int(left_column * 0.72), int(left_column * 0.28)],
        Qt.Orientation.Vertical,
    )
    middle = w.centralWidget().height() + w.plots_dock.height()
    results = max(int(middle * RESULTS_SHARE), min(RESULTS_MIN, int(middle * 0.55)))
    w.resizeDocks([w.plots_dock], [results], Qt.Orientation.Vertical)
    # The training panel shows whole, the inspector gets the rest. Where that would leave the
    # inspector less than INSPECTOR_ROOM (a 768 or 810 px high screen), the run settings fold
    # into their one-line summary: Train, Stop, the learning rate and the progress stay in
    # view, and so do a selected layer's settings and learnt parameters.
    panel = w.training_panel
    column = w.inspector_dock.height() + w.training_dock.height()
    section = panel.settings_section
    section.set_expanded(True)
    roomy = column - _training_height(w) >= INSPECTOR_ROOM
    section.set_expanded(roomy)
    fit_training_dock(w)


def _training_height(w: Any) -> int:
    """The training dock's height that shows its panel whole, title bar included."""
    dock = w.training_dock
    # The title bar's height; before the first layout the dock's widget is not sized yet.
    title = min(max(dock.height() - dock.widget().height(), 0), dock.fontMetrics().height() + 12)
    return w.training_panel.sizeHint().height() + max(title, 0) + 4


def fit_training_dock(w: Any) -> None:
    """Give the training dock the height its panel asks for; the inspector gets the rest.

    Not before the window is shown (a restored section folded or unfolded at start): the
    docks have no heights yet, and the first show lays them out.
    """
    if not w.isVisible():
        return
    column = w.inspector_dock.height() + w.training_dock.height()
    training = min(_training_height(w), column - 120)
    w.resizeDocks(
        [w.inspector_dock, w.training_dock],
        [column - training, training],
        Qt.Orientation.Vertical,
    )


GEOMETRY_MAGIC = 0x1D9D0CB  # QWidget::saveGeometry's format tag (qwidget.cpp)


def saved_geometry(geometry: QByteArray) -> tuple[QRect, QRect] | None:
    """(frame, client) rectangles of the window when ``geometry`` was saved; None when the
    bytes are not QWidget.saveGeometry's (magic, version, frame then normal rectangle)."""
    stream = QDataStream(geometry, QIODevice.OpenModeFlag.ReadOnly)
    if stream.readUInt32() != GEOMETRY_MAGIC:
        return None
    stream.readUInt16(), stream.readUInt16()  # major, minor version
    frame, client = (
        QRect(
            QPoint(stream.readInt32(), stream.readInt32()),
            QPoint(stream.readInt32(), stream.readInt32()),
        )
        for _ in range(2)
    )
    return (frame, client) if stream.status() == QDataStream.Status.Ok else None


def settle_restored_window(w: Any, frame: QPoint | None) -> None:
    """Once a restored window is shown: put its frame back where it was, and grow the
    training dock if its panel would scroll.

    restoreGeometry before the first show only guesses the frame's title bar height, so a
    window manager put the window that much lower at each start; once shown, the frame is
    known and ``move`` (which places the frame) is exact. The person's dock sizes are kept
    unless the training panel's controls (Train, progress, messages) would be cut.
    """
    if frame is not None and w.screen().availableGeometry().contains(frame):
        w.move(frame)
    if w.training_dock.height() < _training_height(w):
        fit_training_dock(w)
