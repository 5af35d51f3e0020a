"""Work that must not freeze the window: a job runner with progress and cancel, and a cache
of built data sets.

``JobRunner.submit(label, work, on_done)`` runs ``work(job)`` on a ``QThreadPool`` thread and
calls ``on_done(result)`` back in the GUI thread; ``run_waiting`` does the same but returns
the outcome to its caller, running the window's events meanwhile (sequential code for the
caller, a live window for the person). ``work`` reports progress with
``job.report(fraction, text)``, which also raises :class:`JobCancelled` once the person
pressed Cancel (or a newer job of the same kind replaced this one), so long loops stop at
their next report. A cancelled job's result is dropped. :class:`JobProgress` is the status
bar strip (label, progress bar, Cancel button) that shows while a job runs.

Why a pool of ``QRunnable`` and not a ``QThread`` per job: jobs are short and independent;
the pool reuses its threads and Qt already queues signals from them to the GUI thread.

``DatasetCache`` keeps the last few built data sets by (key, parameters, seed), so the data
set panel's preview, the document and a project reopened later share one build, and an undo
or a repeated choice does not rebuild (for a file data set: re-read) anything.
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThreadPool, Signal, Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from neurocanvas.app.heap import freeze_new_imports
from neurocanvas.app.worker import GUI_THREAD_GC
from neurocanvas.core.datasets import PATH_PARAMS, make_dataset


class JobCancelled(Exception):
    """Raised by :meth:`Job.report` inside a job that was cancelled."""


class Job(QObject):
    """One piece of background work; its signals are emitted from the worker thread."""

    progressed = Signal(object, float, str)  # job, fraction 0..1 (or -1: unknown), text
    done = Signal(object, object)  # job, result
    failed = Signal(object, str)  # job, message

    def __init__(self, label: str, kind: str) -> None:
        super().__init__()
        self.label = label
        self.kind = kind
        self._cancel = threading.Event()
        self.started = threading.Event()  # its work began (set in the worker thread)
        self.finished = threading.Event()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def cancel(self) -> None:
        """Ask the job to stop at its next :meth:`report`; its result will be dropped."""
        self._cancel.set()

    def report(self, fraction: float = -1.0, text: str = "") -> None:
        """Progress from inside the work (any thread); raises JobCancelled when cancelled."""
        if self._cancel.is_set():
            raise JobCancelled(self.label)
        self.progressed.emit(self, float(fraction), text)


class _Runnable(QRunnable):
    def __init__(self, job: Job, work: Callable[[Job], Any]) -> None:
        super().__init__()
        self.job = job
        self.work = work

    def run(self) -> None:
        job = self.job
        job.started.set()
        try:
            result = self.work(job)
            freeze_new_imports()  # what the work imported (numba, a reader) lives on
        except JobCancelled:
            result = None
        except Exception as exc:  # any failure is reported in the GUI, never a traceback
            if not job.cancelled:
                job.failed.emit(job, str(exc) or type(exc).__name__)
            GUI_THREAD_GC.release()
            job.finished.set()
            return
        if not job.cancelled:
            job.done.emit(job, result)
        GUI_THREAD_GC.release()  # this thread's last Python work (see JobRunner.submit)
        job.finished.set()


@dataclass
class Outcome:
    """How a job run with :meth:`JobRunner.run_waiting` ended."""

    ok: bool = False
    result: Any = None
    error: str = ""
    cancelled: bool = False


class JobRunner(QObject):
    """Runs jobs off the GUI thread; one job per ``kind`` at a time (a newer one replaces it).

    Signals (GUI thread)
    --------------------
    busy_changed(bool)
        True when the first job starts, False when the last one ends.
    progress(str, float, str)
        Label, fraction (-1 when unknown) and text of the job reporting.
    """

    busy_changed = Signal(bool)
    progress = Signal(str, float, str)
    ended = Signal(object)  # a job that finished, failed or was cancelled

    def __init__(self, parent: QObject | None = None, threads: int = 2) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(threads)
        self.jobs: dict[str, Job] = {}
        self._callbacks: dict[Job, tuple[Callable[[Any], None], Callable[[str], None] | None]] = {}

    def submit(
        self,
        label: str,
        work: Callable[[Job], Any],
        on_done: Callable[[Any], None],
        on_error: Callable[[str], None] | None = None,
        kind: str = "",
    ) -> Job:
        """Start ``work(job)`` in the pool; ``on_done(result)`` runs in the GUI thread.

        A running job of the same ``kind`` (default: the label) is cancelled first.
        """
        kind = kind or label
        old = self.jobs.get(kind)
        if old is not None:
            self._drop(old)
        job = Job(label, kind)
        # Queued: the slots run in the GUI thread whichever thread emits.
        queued = Qt.ConnectionType.QueuedConnection
        job.progressed.connect(self._on_progress, queued)
        job.done.connect(self._on_done, queued)
        job.failed.connect(self._on_failed, queued)
        # No garbage collection in the job's thread: one there could delete Qt widgets
        # (cycles of a closed window) outside the GUI thread, which deadlocked. The GUI thread
        # collects meanwhile, as during a run (``GuiThreadGarbageCollection``).
        GUI_THREAD_GC.acquire()  # released by the job's thread when it ends
        was_busy = bool(self.jobs)
        self.jobs[kind] = job
        self._callbacks[job] = (on_done, on_error)
        if not was_busy:
            self.busy_changed.emit(True)
        self.progress.emit(label, -1.0, "")
        self.pool.start(_Runnable(job, work))
        return job

    @property
    def busy(self) -> bool:
        return bool(self.jobs)

    def cancel(self, kind: str | None = None) -> None:
        """Cancel one kind of job, or all of them."""
        for job in list(self.jobs.values()):
            if kind is None or job.kind == kind:
                self._drop(job)

    def wait(self, msecs: int = 30000) -> bool:
        """Block until the pool is idle (tests, closing the window)."""
        return bool(self.pool.waitForDone(msecs))

    def _drop(self, job: Job) -> None:
        job.cancel()
        self._forget(job)

    def _forget(self, job: Job) -> None:
        known = self._callbacks.pop(job, None) is not None
        if self.jobs.get(job.kind) is job:
            del self.jobs[job.kind]
            if not self.jobs:
                self.busy_changed.emit(False)
        if known:
            self.ended.emit(job)

    def run_waiting(self, label: str, work: Callable[[Job], Any], kind: str = "") -> Outcome:
        """Run ``work`` in the background and return when it ends, the window live meanwhile.

        The GUI thread runs a local event loop until the job finishes, so the window keeps
        repainting, shows the progress and takes a click on Cancel, while the caller keeps
        plain sequential code (opening a project from a menu, a file argument or a test).
        """
        outcome = Outcome()
        loop = QEventLoop()

        def done(result: Any) -> None:
            outcome.result, outcome.ok = result, True

        def failed(message: str) -> None:
            outcome.error = message

        job = self.submit(label, work, done, failed, kind)

        def ended(which: Job) -> None:
            if which is job:
                loop.quit()

        self.ended.connect(ended)
        try:
            if job in self._callbacks:  # (it may have ended already)
                loop.exec()
        finally:
            self.ended.disconnect(ended)
        outcome.cancelled = job.cancelled and not outcome.ok
        return outcome

    @Slot(object, float, str)
    def _on_progress(self, job: Job, fraction: float, text: str) -> None:
        if job in self._callbacks:
            self.progress.emit(job.label, fraction, text)

    @Slot(object, object)
    def _on_done(self, job: Job, result: Any) -> None:
        callbacks = self._callbacks.get(job)
        self._forget(job)
        if callbacks is not None and not job.cancelled:
            callbacks[0](result)

    @Slot(object, str)
    def _on_failed(self, job: Job, message: str) -> None:
        callbacks = self._callbacks.get(job)
        self._forget(job)
        if callbacks is not None and callbacks[1] is not None:
            callbacks[1](message)


class JobProgress(QWidget):
    """Status bar strip: what runs, how far it is, and a Cancel button; hidden when idle."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        self.runner = runner
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(160)
        self.bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolTip("Stop this background work")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for w in (self.label, self.bar, self.cancel_button):
            layout.addWidget(w)
        self.cancel_button.clicked.connect(lambda: runner.cancel())
        runner.busy_changed.connect(self.setVisible)
        runner.progress.connect(self._show)
        self.hide()

    @Slot(str, float, str)
    def _show(self, label: str, fraction: float, text: str) -> None:
        self.label.setText(f"{label} {text}".strip() + "…")
        if fraction < 0:
            self.bar.setRange(0, 0)  # busy indicator: the work cannot say how far it is
        else:
            self.bar.setRange(0, 1000)
            self.bar.setValue(round(1000 * min(max(fraction, 0.0), 1.0)))


#: Data sets read from a file or a library rather than generated: reading them can take
#: seconds (a large CSV or MNIST file), so the app builds them in the background unless their
#: files are small (``SMALL_FILE_BYTES``). Generated sets take well under 10 ms at their
#: default sizes and are built at once, unless very large (``BACKGROUND_SAMPLES``).
LOADED_DATASETS = frozenset({"digits", "mnist", "csv"})
BACKGROUND_SAMPLES = 50_000
#: Files up to this size together (a table of a few thousand rows) read in a few ms: no
#: progress strip flashing for them.
SMALL_FILE_BYTES = 256 * 1024


def needs_background(key: str, params: dict | None) -> bool:
    """True when building this data set may take long enough to freeze the window."""
    params = params or {}
    n = params.get("n_samples", 0)
    if isinstance(n, int) and n > BACKGROUND_SAMPLES:
        return True
    if key not in LOADED_DATASETS:
        return False
    paths = [str(v) for k, v in params.items() if k in PATH_PARAMS and v]
    if not paths:
        return key == "digits"  # no file to size: the library's own data
    try:
        return sum(os.stat(p).st_size for p in paths) > SMALL_FILE_BYTES
    except OSError:  # not there (yet): the builder says what is wrong, in the background
        return True


class DatasetCache:
    """The last ``size`` built data sets by (key, parameters, seed); thread-safe.

    Built data sets are shared, so nobody may change one in place (the trainer and the
    plots only read them).
    """

    def __init__(self, size: int = 4, factory: Callable[..., Any] = make_dataset) -> None:
        self.size = size
        self.factory = factory
        self._items: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()

    @staticmethod
    def key(name: str, params: dict | None, seed: int, preprocessing: Any = None) -> str:
        parts: list[Any] = [name, params or {}, int(seed)]
        if preprocessing is not None:  # a project's stored record makes another data set
            parts.append(preprocessing.to_dict())
        return json.dumps(parts, sort_keys=True, default=str)

    def peek(self, name: str, params: dict | None, seed: int, preprocessing: Any = None) -> Any:
        """The cached data set, or None when it would have to be built."""
        with self._lock:
            return self._items.get(self.key(name, params, seed, preprocessing))

    def get(
        self, name: str, params: dict | None = None, seed: int = 0, preprocessing: Any = None
    ) -> Any:
        """The data set, built (in the calling thread) if it is not cached yet.

        ``preprocessing`` (a project's stored ``Preprocessing``) replaces the statistics
        computed from the data (``make_dataset``'s argument of that name).
        Errors of the factory (``DatasetError``/``ValueError``) propagate and nothing is kept.
        """
        k = self.key(name, params, seed, preprocessing)
        with self._lock:
            if k in self._items:
                self._items.move_to_end(k)
                return self._items[k]
        extra = {} if preprocessing is None else {"preprocessing": preprocessing}
        dataset = self.factory(name, dict(params or {}), seed=seed, **extra)
        with self._lock:
            self._items[k] = dataset
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return dataset


#: The app's one cache: the data set panel, the document and project loading share it.
DATASETS_CACHE = DatasetCache()


class BackgroundBuilds:
    """The data set panel's builds of slow data sets, run by the window's ``JobRunner``
    (``widgets.dataset_panel.BackgroundBuilds``): progress and Cancel in the status bar."""

    KIND = "dataset"

    def __init__(self, runner: JobRunner, cache: DatasetCache | None = None) -> None:
        self.runner = runner
        self.cache = cache if cache is not None else DATASETS_CACHE

    def slow(self, key: str, params: dict, seed: int) -> bool:
        return needs_background(key, params) and self.cache.peek(key, params, seed) is None

    def start(
        self,
        label: str,
        work: Callable[[], Any],
        done: Callable[[Any], None],
        failed: Callable[[str], None],
        cancelled: Callable[[], None],
    ) -> None:
        job = self.runner.submit(label, lambda _job: work(), done, failed, self.KIND)

        def ended(which: Job) -> None:
            if which is job:
                self.runner.ended.disconnect(ended)
                if which.cancelled:
                    cancelled()

        self.runner.ended.connect(ended)

    def cancel(self) -> None:
        self.runner.cancel(self.KIND)
