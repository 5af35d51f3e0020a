"""Background work: loading data off the GUI thread, with progress, Cancel and a cache."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer

from neurocanvas.app.background import (
    DATASETS_CACHE,
    DatasetCache,
    Job,
    JobRunner,
    needs_background,
)
from neurocanvas.core.datasets import make_dataset


class Gate:
    """A data set factory that waits until the test opens the gate (a slow file, say)."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.calls: list[str] = []

    def __call__(self, key: str, params: dict, seed: int = 0) -> Any:
        self.calls.append(key)
        if key in ("digits", "mnist", "csv"):
            assert self.opened.wait(60), "the test never opened the gate"
            params = {**params, "n_samples": 60}
        return make_dataset(key, params, seed=seed)


@pytest.fixture
def gate(monkeypatch) -> Gate:
    g = Gate()
    monkeypatch.setattr(DATASETS_CACHE, "factory", g)
    monkeypatch.setattr(DATASETS_CACHE, "_items", OrderedDict())
    return g


def test_opening_the_digits_example_loads_its_data_with_the_window_live(
    qtbot, window_factory, gate
):
    w = window_factory("linear-regression")
    before = w.document.name
    ticks: list[float] = []
    heart = QTimer(interval=5)
    heart.timeout.connect(lambda: ticks.append(time.perf_counter()))
    during: list[tuple[bool, str, str]] = []

    def look_then_release() -> None:
        during.append((w.job_progress.isVisible(), w.job_progress.label.text(), w.document.name))
        gate.opened.set()

    QTimer.singleShot(300, look_then_release)
    heart.start()
    # (scikit-learn is imported on the first digits build: seconds on a busy machine)
    assert w.open_example("digits-mlp", ask=False)
    heart.stop()
    (visible, label, name), *_ = during
    assert visible and "Loading" in label  # progress shown while the data load
    assert name == before  # the old project stays until they are ready
    assert len(ticks) >= 3  # the window's own timers ran during the call: it never froze
    assert w.document.dataset_key == "digits" and w.document.dataset is not None
    assert not w.job_progress.isVisible()
    assert gate.calls.count("digits") == 1  # the document reused the background build


def test_cancel_keeps_the_open_project(qtbot, window_factory, gate):
    w = window_factory("linear-regression")
    graph_before = w.document.graph.to_dict()
    QTimer.singleShot(
        200, lambda: qtbot.mouseClick(w.job_progress.cancel_button, Qt.MouseButton.LeftButton)
    )
    assert not w.open_example("digits-cnn", ask=False)
    assert not w.job_progress.isVisible()
    assert "cancelled" in w.statusBar().currentMessage()
    gate.opened.set()
    assert w.jobs.wait(60000)
    qtbot.wait(50)  # let any (wrongly) queued completion arrive
    assert w.document.dataset_key == "linear"
    assert w.document.graph.to_dict() == graph_before


def test_a_generated_data_set_opens_at_once(window_factory, gate):
    w = window_factory(None)
    w.open_example("spiral-classifier", ask=False)
    assert w.document.dataset_key == "spirals" and w.document.dataset is not None
    assert not w.jobs.busy


def test_runner_reports_progress_and_errors_in_the_gui_thread(qtbot):
    runner = JobRunner()
    seen: list[tuple[str, float, str]] = []
    runner.progress.connect(lambda *a: seen.append(a))
    results: list[Any] = []
    gui = threading.get_ident()

    def work(job: Job) -> int:
        for i in range(4):
            job.report(i / 4, f"part {i + 1}")
        return 42

    runner.submit("Counting", work, lambda r: results.append((r, threading.get_ident())))
    qtbot.waitUntil(lambda: bool(results), timeout=30_000)
    assert results == [(42, gui)]
    assert ("Counting", 0.75, "part 4") in seen
    errors: list[str] = []

    def broken(job: Job) -> None:
        raise ValueError("column 'price' is missing")

    runner.submit("Reading", broken, results.append, errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=30_000)
    assert errors == ["column 'price' is missing"] and len(results) == 1
    assert not runner.busy


def test_a_newer_job_of_the_same_kind_replaces_the_older(qtbot):
    runner = JobRunner()
    release = threading.Event()
    done: list[str] = []

    def slow(job: Job) -> str:
        release.wait(10)
        job.report(1.0)  # raises JobCancelled: this job was replaced
        return "old"

    old = runner.submit("Load", slow, done.append, kind="data")
    runner.submit("Load", lambda job: "new", done.append, kind="data")
    assert old.cancelled
    release.set()
    assert runner.wait(10000)
    qtbot.waitUntil(lambda: bool(done), timeout=30_000)
    qtbot.wait(50)
    assert done == ["new"]


def test_dataset_cache_builds_each_choice_once_and_forgets_the_oldest():
    calls: list[tuple] = []

    def factory(key: str, params: dict, seed: int = 0) -> object:
        calls.append((key, seed))
        if params.get("bad"):
            raise ValueError("bad parameter")
        return object()

    cache = DatasetCache(size=2, factory=factory)
    a = cache.get("sine", {"n_samples": 10}, 0)
    assert cache.get("sine", {"n_samples": 10}, 0) is a and len(calls) == 1
    assert cache.peek("sine", {"n_samples": 10}, 1) is None
    cache.get("sine", {"n_samples": 10}, 1)
    cache.get("sine", {"n_samples": 10}, 2)  # the third choice pushes out the first
    assert cache.peek("sine", {"n_samples": 10}, 0) is None
    with pytest.raises(ValueError, match="bad parameter"):
        cache.get("sine", {"bad": True}, 0)
    assert cache.peek("sine", {"bad": True}, 0) is None  # a failure is not cached


def test_loaded_and_very_large_data_sets_are_built_in_the_background():
    assert needs_background("digits", {})
    assert needs_background("csv", {"path": "x.csv"})
    assert not needs_background("sine", {"n_samples": 300})
    assert needs_background("sine", {"n_samples": 1_000_000})
