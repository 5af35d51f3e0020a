"""What every window test needs: message boxes that never block, and windows that clean up."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox

from neurocanvas.app.main_window import MainWindow
from neurocanvas.app.settings import AppSettings


class ShownDialogs(list):
    """Message boxes shown so far, as (kind, title, text); ``answer`` answers questions."""

    answer = QMessageBox.StandardButton.Discard


@pytest.fixture(autouse=True)
def dialogs(monkeypatch) -> ShownDialogs:
    """Record message boxes instead of blocking; unsaved changes are discarded by default."""
    shown = ShownDialogs()

    def record(kind):
        def show(parent, title, text, *args, **kwargs):
            shown.append((kind, title, text))
            return QMessageBox.StandardButton.Ok

        return show

    def question(parent, title, text, *args, **kwargs):
        shown.append(("question", title, text))
        return shown.answer

    monkeypatch.setattr(QMessageBox, "warning", record("warning"))
    monkeypatch.setattr(QMessageBox, "critical", record("critical"))
    monkeypatch.setattr(QMessageBox, "question", question)
    return shown


@pytest.fixture
def settings_store(tmp_path) -> QSettings:
    """A private settings file: tests never read or write the user's settings."""
    return QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window_factory(qtbot, settings_store):
    """``make(example="linear-regression", epochs=None, show=True, pace=None)`` -> a MainWindow.

    ``example=None`` leaves the window as constructed. ``pace`` is the training speed in
    steps/s: unthrottled (None) unless a test is about the pace (``"default"`` keeps the
    app's watchable default), so that runs end quickly. Every window's training thread is shut
    down at the end of the test.
    """
    made: list[MainWindow] = []

    def make(
        example: str | None = "linear-regression",
        epochs: int | None = None,
        show: bool = True,
        pace: float | str | None = None,
    ) -> MainWindow:
        w = MainWindow(AppSettings(settings_store))
        if pace != "default":
            w.training_panel.speed.set_pace(pace)
        qtbot.addWidget(w)
        made.append(w)
        if example:
            assert w.open_example(example, ask=False)
            qtbot.waitUntil(w.controller.dataset_plotted)  # the plots follow a turn later
        if show:
            w.show()  # buttons take clicks only when shown
            qtbot.waitExposed(w)
        if epochs is not None:
            w.training_panel.epochs_spin.setValue(epochs)
        return w

    yield make
    for w in made:
        assert w.controller.shutdown()
