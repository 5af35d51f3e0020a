"""Choosing a slow data set in the data set panel: built in the background, with progress
and Cancel, the window live meanwhile, and the data set in use kept until it is ready."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
from PySide6.QtCore import Qt

from neurocanvas.app.background import DATASETS_CACHE
from tests.app.test_background import Gate


@pytest.fixture
def slow_digits(monkeypatch) -> Gate:
    """Digits (and files) wait for the test to open the gate; other sets build at once."""
    g = Gate()
    monkeypatch.setattr(DATASETS_CACHE, "factory", g)
    monkeypatch.setattr(DATASETS_CACHE, "_items", OrderedDict())
    return g


def choose(window, key: str) -> None:
    combo = window.dataset_panel.combo
    combo.setCurrentIndex(combo.findData(key))


def test_a_slow_data_set_shows_progress_and_cancel_keeps_the_one_in_use(
    qtbot, window_factory, slow_digits
):
    w = window_factory("spiral-classifier")
    panel = w.dataset_panel
    choose(w, "digits")
    assert w.job_progress.isVisible() and "Building" in w.job_progress.label.text()
    assert "Building" in panel.summary_label.text() and panel.building()
    assert w.document.dataset_key == "spirals"  # nothing changes until the data are ready
    assert w.fit_plot.mode == "2d"
    qtbot.mouseClick(w.job_progress.cancel_button, Qt.MouseButton.LeftButton)
    assert not w.job_progress.isVisible() and not panel.building()
    assert panel.key() == "spirals"  # the panel shows the data set in use again
    assert "train" in panel.summary_label.text()
    slow_digits.opened.set()
    assert w.jobs.wait(60000)
    qtbot.wait(50)  # a (wrongly) queued completion would arrive now
    assert w.document.dataset_key == "spirals" and panel.key() == "spirals"
    assert not w.document.undo_stack.canUndo()


def test_a_slow_data_set_is_used_once_built(qtbot, window_factory, slow_digits):
    w = window_factory("spiral-classifier")
    choose(w, "digits")
    assert w.document.dataset_key == "spirals"
    slow_digits.opened.set()
    qtbot.waitUntil(lambda: w.document.dataset_key == "digits", timeout=30_000)
    assert not w.job_progress.isVisible() and not w.dataset_panel.building()
    assert w.fit_plot.mode == "confusion"
    assert w.dataset_panel.summary_label.text().startswith("48 train")  # the gate's 60 images
    assert slow_digits.calls.count("digits") == 1  # the document took the panel's build
    w.document.undo_stack.undo()  # one undoable step, as for a quick data set
    assert w.document.dataset_key == "spirals" and w.dataset_panel.key() == "spirals"


def test_another_choice_while_building_replaces_the_slow_one(qtbot, window_factory, slow_digits):
    w = window_factory("spiral-classifier")
    choose(w, "digits")
    assert w.job_progress.isVisible()
    choose(w, "moons")
    assert w.document.dataset_key == "moons"
    assert not w.job_progress.isVisible() and not w.dataset_panel.building()
    slow_digits.opened.set()
    assert w.jobs.wait(60000)
    qtbot.wait(50)
    assert w.document.dataset_key == "moons" and w.dataset_panel.key() == "moons"


def test_a_slow_data_set_that_fails_says_why_next_to_its_field(
    qtbot, window_factory, tmp_path, monkeypatch
):
    monkeypatch.setattr(DATASETS_CACHE, "_items", OrderedDict())
    w = window_factory("linear-regression")
    panel = w.dataset_panel
    choose(w, "csv")  # built in the background: a file may be large
    bad = tmp_path / "prices.csv"
    bad.write_text("size,price\n1,2\n3,cheap\n")
    panel.editors["path"].set_value(str(bad))
    panel.validate_now()
    qtbot.waitUntil(lambda: not w.jobs.busy and not panel.building(), timeout=30_000)
    assert "non-numeric value 'cheap'" in panel.error()
    assert w.document.dataset_key == "linear"


def test_a_new_data_sets_decision_regions_are_drawn_and_train_at_once_takes_over(
    qtbot, window_factory
):
    w = window_factory("spiral-classifier", epochs=2)
    choose(w, "moons")
    # the untrained model's regions, computed off the GUI thread, for the new data set
    regions = lambda: w.fit_plot.region_image  # noqa: E731 - set once the plots follow
    qtbot.waitUntil(lambda: regions() is not None and regions().image is not None, timeout=30_000)
    assert w.fit_plot.region_image.image.shape == (80, 80, 4)
    choose(w, "circles")
    qtbot.mouseClick(w.training_panel.train_button, Qt.MouseButton.LeftButton)  # no waiting
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=60_000)
    assert w.controller.state == "finished"
    final = w.controller.last_snapshot
    assert final.fit is not None and w.fit_plot.region_image.image is not None
    # what is drawn is the run's last fit, not a preview of the untrained model arriving late
    qtbot.wait(200)
    np.testing.assert_array_equal(w.fit_plot._shown_fit["probs"], final.fit["probs"])
