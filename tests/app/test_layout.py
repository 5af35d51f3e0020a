"""The window's layout: it fits a 1366 x 768 laptop, shares space sensibly, and old layouts
saved by an earlier release are not restored."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, QSettings, QSize, Qt
from PySide6.QtTest import QTest

from neurocanvas.app.main_window import MainWindow, default_window_size
from neurocanvas.app.settings import AppSettings

LAPTOP = QSize(1366, 768)
LEFT = Qt.MouseButton.LeftButton
NONE = Qt.KeyboardModifier.NoModifier


@pytest.fixture
def store(tmp_path):
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


def open_window(qtbot, store, size: QSize | None = None) -> MainWindow:
    w = MainWindow(AppSettings(store))
    qtbot.addWidget(w)
    assert w.open_example("spiral-classifier", ask=False)  # all three plots visible
    if size is not None:
        w.resize(size)
    w.show()
    qtbot.waitExposed(w)
    return w


def settle(qtbot, w: MainWindow) -> None:
    """Wait for the default layout, which is applied just after the window is shown."""
    qtbot.waitUntil(lambda: w._laid_out, timeout=30_000)
    qtbot.wait(50)


def test_the_window_can_be_smaller_than_a_laptop_screen(qtbot, store):
    w = open_window(qtbot, store)
    hint = w.minimumSizeHint()
    # 1366 x 768 minus a title bar and a task bar
    assert hint.width() <= 1366 and hint.height() <= 700, hint
    w.controller.shutdown()


def test_at_1366x768_the_canvas_and_plots_get_the_space(qtbot, store):
    w = open_window(qtbot, store, LAPTOP)
    settle(qtbot, w)
    assert w.size() == LAPTOP  # nothing forced it larger
    assert w.palette_dock.width() <= 230
    assert w.inspector_dock.width() <= 380
    assert w.canvas.width() >= 0.55 * w.width()
    middle = w.canvas.height() + w.plots_dock.height()
    assert 0.32 <= w.plots_dock.height() / middle <= 0.48
    # The training panel (Train button to progress bar) shows whole, without scrolling.
    scroll = w.training_dock.widget()
    assert scroll.verticalScrollBar().maximum() == 0
    assert scroll.horizontalScrollBar().maximum() == 0
    for plot in (w.loss_plot, w.accuracy_plot, w.fit_plot):
        assert plot.isVisible() and plot.height() >= 110
    w.controller.shutdown()


def test_side_docks_can_be_resized_by_the_person(qtbot, store):
    w = open_window(qtbot, store, QSize(1600, 1000))
    settle(qtbot, w)
    before, canvas_before = w.palette_dock.width(), w.canvas.width()
    # Drag the separator between the palette and the canvas 80 px to the right.
    gap_x = (w.palette_dock.geometry().right() + w.canvas.geometry().left()) // 2
    start = QPoint(gap_x, w.palette_dock.geometry().center().y())
    QTest.mouseMove(w, start)  # hover first: Qt picks the separator under the pointer
    QTest.qWait(20)
    QTest.mousePress(w, LEFT, NONE, start)
    for dx in (20, 40, 60, 80):
        QTest.mouseMove(w, start + QPoint(dx, 0))
        QTest.qWait(10)
    QTest.mouseRelease(w, LEFT, NONE, start + QPoint(80, 0))
    qtbot.waitUntil(lambda: w.palette_dock.width() >= before + 60, timeout=30_000)
    assert w.canvas.width() <= canvas_before - 60
    w.controller.shutdown()


def test_a_layout_is_remembered_and_one_from_an_older_release_is_ignored(qtbot, store, tmp_path):
    w = open_window(qtbot, store, LAPTOP)
    settle(qtbot, w)
    w.problems_dock.hide()
    w.close()  # saves geometry and dock state
    assert "window/state" not in store.allKeys()

    again = open_window(qtbot, store)
    assert again.restored_layout and not again.problems_dock.isVisible()
    again.controller.shutdown()

    # A state written by an older release: plain keys, untagged, with a hidden palette.
    store.clear()
    older = open_window(qtbot, QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat))
    older.palette_dock.hide()
    store.setValue("window/state", older.saveState())
    store.setValue("window/geometry", older.saveGeometry())
    older.controller.shutdown()
    w3 = open_window(qtbot, store, LAPTOP)
    assert not w3.restored_layout
    assert w3.palette_dock.isVisible()
    w3.controller.shutdown()


def test_an_oversized_saved_geometry_is_shrunk_to_the_screen(qtbot, store):
    w = open_window(qtbot, store, LAPTOP)
    settle(qtbot, w)
    w.resize(QSize(5000, 4000))
    w.close()
    again = open_window(qtbot, store)
    screen, least = again.screen().availableGeometry(), again.minimumSizeHint()
    assert again.width() <= max(screen.width(), least.width())
    assert again.height() <= max(screen.height(), least.height())
    again.controller.shutdown()


@pytest.mark.parametrize(
    ("screen", "expected"),
    [
        (QSize(1366, 740), QSize(1366, 740)),  # a laptop: the whole free area
        (QSize(1920, 1050), QSize(1728, 945)),  # a desktop: 90 %
        (QSize(3840, 2100), QSize(1800, 1100)),  # a 4K screen: not a giant first window
    ],
)
def test_the_first_window_size_follows_the_screen(screen, expected):
    assert default_window_size(screen) == expected


def title_shown(dock) -> bool:
    """Whether ``dock`` shows a title bar of its own (an empty custom one has no height)."""
    bar = dock.titleBarWidget()
    return bar is None or bar.height() > 0


def test_tabbed_docks_name_themselves_once_and_get_their_title_back_alone(qtbot, store):
    w = open_window(qtbot, store, LAPTOP)
    settle(qtbot, w)
    # The tab says "Inspector" / "Data set": no second title bar under it.
    assert not title_shown(w.inspector_dock) and not title_shown(w.dataset_dock)
    assert title_shown(w.training_dock)
    # A floated dock must still be movable and closable by its own title bar...
    w.dataset_dock.setFloating(True)
    qtbot.waitUntil(lambda: title_shown(w.dataset_dock) and title_shown(w.inspector_dock))
    # ...and tabbed again, the duplicate title goes away again.
    w.dataset_dock.setFloating(False)
    w.tabifyDockWidget(w.inspector_dock, w.dataset_dock)
    qtbot.waitUntil(lambda: not title_shown(w.dataset_dock) and not title_shown(w.inspector_dock))
    w.controller.shutdown()


def test_at_1920x1080_the_right_column_has_no_dead_space(qtbot, store):
    w = open_window(qtbot, store, QSize(1920, 1080))
    settle(qtbot, w)
    assert w.inspector.node_id is None
    # The network summary fills the inspector down to the training panel.
    summary = w.inspector.summary
    bottom = summary.mapTo(w, summary.rect().bottomLeft()).y()
    assert summary.isVisible() and summary.table.topLevelItemCount() == len(w.document.graph.nodes)
    assert w.training_dock.geometry().top() - bottom < 60
    # The data set tab shows its preview whole, larger than its minimum, without scrolling.
    w.dataset_dock.raise_()
    qtbot.waitUntil(lambda: w.dataset_panel.preview.isVisible())
    qtbot.wait(50)
    assert w.dataset_dock.widget().verticalScrollBar().maximum() == 0
    assert w.dataset_panel.preview.height() > w.dataset_panel.preview.minimumHeight()
    w.controller.shutdown()


def test_at_1366x768_the_data_set_tab_scrolls_to_its_preview(qtbot, store):
    w = open_window(qtbot, store, LAPTOP)
    settle(qtbot, w)
    w.dataset_dock.raise_()
    qtbot.waitUntil(lambda: w.dataset_panel.preview.isVisible())
    scroll = w.dataset_dock.widget()
    assert scroll.horizontalScrollBar().maximum() == 0
    preview = w.dataset_panel.preview
    bar = scroll.verticalScrollBar()
    bar.setValue(bar.maximum())  # as a person scrolls down with the wheel
    qtbot.wait(20)
    top = preview.mapTo(scroll.viewport(), preview.rect().topLeft()).y()
    assert 0 <= top and top + preview.height() <= scroll.viewport().height()
    w.controller.shutdown()
