"""Nothing clipped or hidden at 1366x768, 1440x810 and 1920x1080, light and dark, idle,
while training and after a long divergence message: widget geometry checked control by
control (the screenshots of the same states are made by scripts/layout_shots.py)."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QRect, QSize
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QSlider,
    QWidget,
)

from neurocanvas.app.main import dark_palette

SIZES = [QSize(1366, 768), QSize(1440, 810), QSize(1920, 1080)]
CONTROLS = (QAbstractButton, QComboBox, QAbstractSpinBox, QLineEdit, QSlider, QLabel)
DIVERGED = (
    "Training stopped at epoch 12: the loss became NaN (the learning rate 3.2 is too high "
    "for this network; the last good weights were restored). Lower the learning rate by a "
    "factor of 10, or choose Adam, and press Train again."
)


def scroll_viewport(widget: QWidget) -> QWidget | None:
    """The viewport of the scroll area ``widget`` sits in (it may scroll up and down)."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QAbstractScrollArea) and parent.viewport().isAncestorOf(widget):
            return parent.viewport()
        parent = parent.parentWidget()
    return None


def clipped_controls(window) -> list[str]:
    """Visible controls that stick out of the window or are cut by their parents."""
    bad = []
    frame = QRect(0, 0, window.width(), window.height())
    for widget in window.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisible() or widget.isWindow():
            continue
        if widget.window() is not window or widget.width() <= 0 or widget.height() <= 0:
            continue
        name = widget.objectName() or type(widget).__name__
        viewport = scroll_viewport(widget)
        if viewport is not None and viewport.visibleRegion().isEmpty():
            continue  # a dock tab behind another
        if viewport is not None:  # up and down is scrolling; sideways it must fit
            left = widget.mapTo(viewport, widget.rect().topLeft()).x()
            if left < 0 or left + widget.width() > viewport.width() + 1:
                bad.append(f"{name} cut sideways in its scroll area")
            continue
        if not widget.visibleRegion().boundingRect().isValid():
            continue  # hidden behind another dock tab
        rect = QRect(widget.mapTo(window, widget.rect().topLeft()), widget.size())
        seen = widget.visibleRegion().boundingRect()
        if not frame.contains(rect):
            bad.append(f"{name} outside the window: {rect}")
        elif seen.width() < widget.width() - 1 or seen.height() < widget.height() - 1:
            bad.append(f"{name} cut to {seen.width()}x{seen.height()} of {widget.size()}")
    return bad


@pytest.fixture(params=["light", "dark"])
def palette(request):
    app = QApplication.instance()
    old = app.palette()
    if request.param == "dark":
        app.setPalette(dark_palette())
    yield request.param
    app.setPalette(old)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s.width()}x{s.height()}")
def test_every_control_shows_whole_idle_training_and_diverged(window_factory, qtbot, size, palette):
    w = window_factory("digits-cnn", show=False)
    w.resize(size)
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w._laid_out, timeout=30_000)
    qtbot.wait(50)
    assert w.size() == size
    assert w.palette_dock.width() >= 150  # layer names readable, not "Linea"
    assert clipped_controls(w) == []
    w.dataset_dock.raise_()  # the Data set tab: combo and spin-box arrows whole
    QApplication.processEvents()
    assert clipped_controls(w) == []
    w.inspector_dock.raise_()
    # Results get room for the confusion matrix and sample predictions.
    assert w.plots_dock.height() >= 250
    assert w.fit_plot.width() >= 240 and w.fit_plot.height() >= 180
    # While training: the panel's buttons and progress text stay whole.
    w.training_panel.set_state("running", "Epoch 3 of 20 · step 140 · loss 0.4123")
    QApplication.processEvents()
    assert clipped_controls(w) == []
    # A long divergence message wraps inside the panel instead of widening or cutting it.
    w.training_panel.set_state("diverged", DIVERGED)
    QApplication.processEvents()
    label = w.training_panel.status_label
    assert label.wordWrap()
    assert label.width() <= w.training_dock.width()
    assert clipped_controls(w) == []


def test_the_check_finds_a_control_cut_by_the_window_edge(window_factory, qtbot):
    from PySide6.QtWidgets import QPushButton

    w = window_factory("general-fit", show=False)
    w.resize(SIZES[0])
    w.show()
    qtbot.waitExposed(w)
    stray = QPushButton("A long button that does not fit", w)
    stray.setObjectName("stray")
    stray.setGeometry(w.width() - 60, 200, 240, 30)
    stray.show()
    QApplication.processEvents()
    assert any(entry.startswith("stray") for entry in clipped_controls(w))


def test_a_long_status_message_is_elided_before_the_permanent_labels(window_factory, qtbot):
    w = window_factory("linear-regression", show=False)
    w.resize(SIZES[0])
    w.show()
    qtbot.waitExposed(w)
    qtbot.wait(300)  # the parameter count is filled in after the first analysis
    bar = w.statusBar()
    message = "Put back the weights from before the run? " + DIVERGED
    bar.showMessage(message)
    QApplication.processEvents()
    shown = bar.shown_message()
    assert shown.endswith("…") and len(shown) < len(message)
    room = w.params_label.x() - 4
    assert bar.fontMetrics().horizontalAdvance(shown) <= room
    assert bar.toolTip() == message and bar.currentMessage() == message
    bar.showMessage("Saved fit.ncproj")
    assert bar.shown_message() == "Saved fit.ncproj" and bar.toolTip() == ""


def test_a_message_shown_before_the_window_is_sized_is_fitted_again_when_it_is(
    window_factory, qtbot
):
    w = window_factory("linear-regression", show=False)
    message = "Opened the example “Linear regression”. Press Train."
    w.statusBar().showMessage(message, 8000)  # as at start-up, before the window is shown
    w.resize(SIZES[0])
    w.show()
    qtbot.waitExposed(w)
    qtbot.waitUntil(lambda: w.statusBar().shown_message() == message)
    assert w.statusBar().toolTip() == ""
