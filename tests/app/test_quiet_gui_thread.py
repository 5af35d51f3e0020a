"""Work moved off the GUI thread (issue 11, "a window that never freezes"), seen through the
window: the idle health pass, the plots after opening a project, the hidden data set preview,
the model's background jobs and the garbage collector's start-up freeze."""

from __future__ import annotations

import gc
import sys
import threading
import types

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QTabBar

from neurocanvas.app import heap, insight
from neurocanvas.app.main_window import MainWindow
from neurocanvas.app.model_preview import ModelPreview

LEFT = Qt.MouseButton.LeftButton


def click_node(w: MainWindow, qtbot, name: str) -> str:
    node = w.document.graph.node_by_name(name)
    item = w.canvas.canvas_scene.node_items[node.id]
    w.canvas.centerOn(item)
    point = w.canvas.mapFromScene(item.sceneBoundingRect().center())
    qtbot.mouseClick(w.canvas.viewport(), LEFT, pos=point)
    return node.id


def type_into(box, text: str) -> None:
    box.lineEdit().selectAll()
    QTest.keyClicks(box, text)
    QTest.keyClick(box, Qt.Key.Key_Return)


def test_the_health_pass_after_an_edit_runs_off_the_gui_thread(window_factory, qtbot, monkeypatch):
    w = window_factory("digits-cnn")
    overlay = w.insight.health_overlay
    qtbot.waitUntil(lambda: overlay.result is not None, timeout=30_000)
    threads: list[threading.Thread] = []
    real_pass = insight.probe_pass

    def recording_pass(*args, **kwargs):
        threads.append(threading.current_thread())
        return real_pass(*args, **kwargs)

    monkeypatch.setattr(insight, "probe_pass", recording_pass)
    shown = overlay.result
    conv = click_node(w, qtbot, "conv1")
    # 8 channels: the next convolution is a Winograd one (>= 8 in and out), whose first
    # use imports numba; that must not happen in the GUI thread either
    type_into(w.inspector.findChild(object, "param_out_channels"), "8")
    assert w.document.graph.nodes[conv].params["out_channels"] == 8
    qtbot.waitUntil(lambda: overlay.result is not shown, timeout=60_000)
    assert threads and threading.main_thread() not in threads
    assert overlay.result is not None
    # and the window still draws what it measured: the wires coloured, the legend shown
    assert overlay.legend.isVisible()


def test_train_right_after_an_edit_drops_the_waiting_health_pass(window_factory, qtbot):
    w = window_factory("general-fit", epochs=2)
    overlay = w.insight.health_overlay
    qtbot.waitUntil(lambda: overlay.result is not None, timeout=30_000)
    click_node(w, qtbot, "linear2")
    type_into(w.inspector.findChild(object, "param_out_features"), "24")
    w.insight.refresh_idle()  # as the idle timer would: the pass is queued on the model
    qtbot.mouseClick(w.training_panel.train_button, LEFT)  # the run takes the model first
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=60_000)
    assert w.controller.state == "finished"
    assert not w.controller.preview.runner.busy
    final = w.controller.last_snapshot
    assert final.probes["health"] is not None  # the run's own reading, drawn at its end


def test_opening_a_project_shows_the_graph_at_once_and_the_plots_a_turn_later(
    window_factory, qtbot
):
    w = window_factory("general-fit")
    assert w.fit_plot.mode == "1d" and not w.accuracy_plot.isVisibleTo(w)
    w.example_actions["spiral-classifier"].trigger()
    # the document, the canvas and the title change in the same call...
    assert w.document.dataset_key == "spirals"
    assert "Spiral classifier" in w.windowTitle()
    assert len(w.canvas.canvas_scene.node_items) == len(w.document.graph.nodes)
    assert not w.controller.dataset_plotted()
    # ...the plots once the window has painted that (the next turn of the event loop)
    qtbot.waitUntil(w.controller.dataset_plotted)
    assert w.fit_plot.mode == "2d" and w.accuracy_plot.isVisibleTo(w)
    qtbot.waitUntil(lambda: w.fit_plot.region_image.image is not None, timeout=30_000)


def test_train_pressed_before_the_plots_followed_draws_into_the_new_data_sets_views(
    window_factory, qtbot
):
    w = window_factory("general-fit", epochs=3)
    w.example_actions["spiral-classifier"].trigger()
    w.training_panel.epochs_spin.setValue(3)
    w.train_action.trigger()  # no event loop turn in between
    assert w.fit_plot.mode == "2d"
    qtbot.waitUntil(lambda: w.controller.run_thread is None, timeout=60_000)
    assert w.controller.state == "finished"
    final = w.controller.last_snapshot
    qtbot.wait(200)  # a late drawing of the untrained model must not replace the run's fit
    np.testing.assert_array_equal(w.fit_plot._shown_fit["probs"], final.fit["probs"])


def click_tab(w: MainWindow, qtbot, title: str) -> None:
    """Click the dock tab named ``title``, as a person picks the Data set tab."""
    for bar in w.findChildren(QTabBar):
        for i in range(bar.count()):
            if bar.tabText(i) == title:
                qtbot.mouseClick(bar, LEFT, pos=bar.tabRect(i).center())
                return
    raise AssertionError(f"no tab {title!r}")


def test_the_data_set_preview_behind_its_tab_is_drawn_when_the_tab_is_picked(window_factory, qtbot):
    w = window_factory("general-fit")  # the Inspector's tab in front of the Data set's
    preview = w.dataset_panel.preview
    w.example_actions["spiral-classifier"].trigger()
    # still the sine's one cloud: nothing drawn while nobody can see it
    assert len([i for i in preview.getPlotItem().items if hasattr(i, "getData")]) == 1
    click_tab(w, qtbot, "Data set")
    qtbot.waitUntil(lambda: len(preview.getPlotItem().items) > 1)
    scatters = [i for i in preview.getPlotItem().items if hasattr(i, "getData")]
    assert len(scatters) == 2  # the two spirals, one item per class
    shown = sum(len(s.getData()[0]) for s in scatters)
    assert shown == len(w.document.dataset.x_train)


def test_a_closed_data_set_panel_draws_its_preview_when_opened_again(window_factory, qtbot):
    w = window_factory("general-fit")
    click_tab(w, qtbot, "Data set")
    w.dataset_dock.toggleViewAction().trigger()  # View > Data set: the person closes it
    w.example_actions["residual-mlp"].trigger()
    preview = w.dataset_panel.preview
    assert len([i for i in preview.getPlotItem().items if hasattr(i, "getData")]) == 1
    w.dataset_dock.toggleViewAction().trigger()  # and opens it again
    qtbot.waitUntil(lambda: len(preview.getPlotItem().items) > 1)
    assert len([i for i in preview.getPlotItem().items if hasattr(i, "getData")]) == 3


def test_setting_the_same_data_set_twice_builds_and_draws_it_once(qtbot):
    from neurocanvas.core.datasets import make_dataset
    from neurocanvas.widgets.dataset_panel import DatasetPanel

    built: list[str] = []

    def factory(key, params, seed=0):
        built.append(key)
        return make_dataset(key, params, seed=seed)

    panel = DatasetPanel(factory=factory)
    qtbot.addWidget(panel)
    built.clear()
    assert panel.set_dataset("moons", {"n_samples": 300}, 1)
    assert panel.set_dataset("moons", {"n_samples": 300}, 1)
    assert built == ["moons"]
    panel.editors["noise"].set_value(0.3)  # a person changed a field: built again
    assert panel.set_dataset("moons", {"n_samples": 300}, 1)
    assert built == ["moons", "moons"] and panel.params()["noise"] != 0.3


def test_model_jobs_run_one_after_another_and_drop_waits_for_the_running_one(qtbot):
    class Plot:
        def update_snapshot(self, view) -> None:
            pass

    preview = ModelPreview(Plot())
    release = threading.Event()
    order: list[str] = []

    def first() -> str:
        order.append("first started")
        release.wait(10)
        order.append("first ended")
        return "first"

    done: list[str] = []
    preview.use("health", first, done.append)
    qtbot.waitUntil(lambda: bool(order))
    preview.use("preview", lambda: order.append("second ran") or "second", done.append)
    threading.Timer(0.2, release.set).start()
    preview.drop()  # a run takes the model: nothing may use it after this returns
    assert order == ["first started", "first ended"]  # the queued one never touches it
    preview.runner.wait(10_000)
    qtbot.wait(50)
    assert done == [] and order == ["first started", "first ended"]


@pytest.fixture
def restore_gc():
    yield
    gc.unfreeze()


def test_start_up_objects_and_a_new_packages_are_left_out_of_full_collections(
    restore_gc, monkeypatch
):
    heap.freeze_startup_heap()
    frozen = gc.get_freeze_count()
    assert frozen > 1000 and not heap.freeze_new_imports()  # nothing new imported
    package = {f"fake_package.m{i}": types.ModuleType(f"m{i}") for i in range(heap.NEW_MODULES)}
    for name, module in package.items():
        monkeypatch.setitem(sys.modules, name, module)
    kept = [[n] for n in range(1000)]  # made since: a package's objects
    assert heap.freeze_new_imports()
    assert gc.get_freeze_count() >= frozen + len(kept)
    assert not heap.freeze_new_imports()  # once per package


def test_while_a_background_job_runs_garbage_is_collected_in_the_gui_thread_only(qtbot):
    """A collection in a job's thread could delete Qt widgets there (it deadlocked)."""
    from neurocanvas.app.background import JobRunner

    assert gc.isenabled()
    runner = JobRunner()
    release = threading.Event()
    inside: list[bool] = []

    def work(_job) -> int:
        inside.append(gc.isenabled())
        assert release.wait(10)
        return 1

    runner.submit("Working", work, lambda _result: None)
    qtbot.waitUntil(lambda: bool(inside))
    collected_in: list[int] = []

    def note(phase, _info) -> None:
        if phase == "start":
            collected_in.append(threading.get_ident())

    gc.callbacks.append(note)
    try:
        for _ in range(5000):  # cycles: garbage only a collection frees, past a threshold
            cycle: list = []
            cycle.append(cycle)
        qtbot.waitUntil(lambda: bool(collected_in), timeout=5_000)
    finally:
        gc.callbacks.remove(note)
        release.set()
    assert inside == [False]
    assert set(collected_in) == {threading.main_thread().ident}
    assert runner.wait(10_000)
    qtbot.waitUntil(gc.isenabled)  # back to Python's own collections once the job ended
