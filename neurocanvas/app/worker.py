"""Run a core ``Trainer`` in a QThread and report back by signals.

The trainer knows nothing of Qt. ``TrainingWorker`` is a parentless QObject moved into its own
QThread (Qt's worker-object pattern); it calls ``trainer.run(callback)`` there and forwards
each plain-numpy snapshot by signal, which Qt queues into the GUI thread. Every exception
becomes a ``failed`` signal with a readable message, so a bug in a layer never takes the
window down. ``TrainingThread`` owns the thread and stops it cleanly (stop the control, let
``run`` return, quit and join the thread).
"""

from __future__ import annotations

import gc
import threading
import traceback
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, QTimer, Signal, Slot

from neurocanvas.app.heap import freeze_new_imports

__all__ = [
    "GUI_THREAD_GC",
    "GuiThreadGarbageCollection",
    "TrainingThread",
    "TrainingWorker",
    "describe_error",
]


class _Runnable(Protocol):
    def run(self, callback: Any = None) -> Any: ...


def describe_error(exc: BaseException) -> str:
    """One readable line for a person, naming where the error came from.

    The innermost frame of the traceback usually points at the layer or op that failed,
    which is more helpful than the exception type alone.
    """
    text = str(exc).strip() or exc.__class__.__name__
    frames = traceback.extract_tb(exc.__traceback__)
    where = ""
    if frames:
        last = frames[-1]
        where = f" (in {last.name}, {last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
    return f"Training failed: {exc.__class__.__name__}: {text}{where}"


class TrainingWorker(QObject):
    """Calls ``trainer.run`` in whatever thread it lives in; reports by signals.

    Signals
    -------
    snapshot(object)
        Each snapshot the trainer hands out (plain numpy; safe in the GUI thread).
    finished(object)
        The final snapshot; its ``state`` says finished, stopped or diverged.
    failed(str)
        A readable message when the trainer raised.
    done()
        Always last, after ``finished`` or ``failed``: the thread may be quit.
    """

    snapshot = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, trainer: _Runnable) -> None:
        super().__init__()  # no parent: a QObject with a parent cannot change thread
        self.trainer = trainer
        self.error: BaseException | None = None

    @Slot()
    def run(self) -> None:
        try:
            final = self.trainer.run(self.snapshot.emit)
        except Exception as exc:  # every failure must reach the GUI as a message
            self.error = exc
            self.failed.emit(describe_error(exc))
        else:
            self.finished.emit(final)
        finally:
            self.done.emit()


class GuiThreadGarbageCollection:
    """While a training thread runs, Python's cyclic garbage collector runs in the GUI thread only.

    Python collects in whichever thread happens to allocate when a threshold is crossed. When
    that is the training thread and the garbage holds Qt objects (a closed window, a replaced
    plot item), their C++ destructors run there, and Qt deadlocks or crashes: seen here as a
    training thread collecting a widget while the GUI thread deleted a menu, each waiting for
    what the other held. As pyqtgraph's ``GarbageCollector`` does, automatic collection is
    switched off and a GUI-thread timer collects instead; unlike it, only while training runs.
    """

    def __init__(self, interval_ms: int = 250) -> None:
        self.interval_ms = interval_ms
        self._users = 0
        self._was_enabled = True
        self._timer: QTimer | None = None
        self._lock = threading.Lock()  # release() may come from a job's own thread

    @property
    def active(self) -> bool:
        return self._users > 0

    def acquire(self) -> None:
        """Call in the GUI thread before a training thread (or a background job) starts."""
        with self._lock:
            if self._users == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._users += 1
        if self._timer is None:
            self._timer = QTimer()
            self._timer.timeout.connect(self._collect)
            self._timer.start(self.interval_ms)

    def release(self) -> None:
        """Call once that thread has ended: in the GUI thread, or as the last thing a
        background job's thread does (its timer then stops at its next tick)."""
        with self._lock:
            self._users -= 1
            if self._users == 0 and self._was_enabled:
                gc.enable()
        if self._users == 0 and QThread.currentThread() == QCoreApplication.instance().thread():
            self._stop_timer()

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def _collect(self) -> None:
        if not self._users:
            self._stop_timer()  # released from a job's thread since the last tick
            return
        freeze_new_imports()  # a run's first CNN step imported numba: not walked again
        # The generations' own thresholds, as automatic collection would apply them.
        thresholds, counts = gc.get_threshold(), gc.get_count()
        generation = -1
        for g in range(3):
            if counts[g] > thresholds[g]:
                generation = g
            else:
                break
        if generation >= 0:
            gc.collect(generation)


GUI_THREAD_GC = GuiThreadGarbageCollection()


class TrainingThread(QObject):
    """Owns a QThread running one ``TrainingWorker``; ``stop()`` joins it.

    It relays the worker's signals as its own. It lives in the GUI thread, so the relay is a
    queued connection and every listener (lambdas and plain functions included, which Qt
    would otherwise call in the emitting thread) runs in the GUI thread.

    Parameters
    ----------
    trainer
        Anything with ``run(callback)``; normally ``core.trainer.Trainer``.
    control
        The trainer's ``TrainingControl``; ``stop()`` calls its ``stop()`` so that ``run``
        returns between two steps (and wakes a paused run).
    """

    snapshot = Signal(object)
    finished = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, trainer: _Runnable, control: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.control = control
        self._holds_gc = False
        self.thread = QThread()
        self.thread.setObjectName("trainingThread")
        self.worker = TrainingWorker(trainer)
        self.worker.moveToThread(self.thread)
        self.thread.started.connect(self.worker.run)
        # quit() is thread-safe. Call it directly in the worker thread: a queued call would
        # wait for the GUI thread, which may itself be blocked in stop() -> wait().
        self.worker.done.connect(self.thread.quit, Qt.ConnectionType.DirectConnection)
        for name in ("snapshot", "finished", "failed", "done"):
            getattr(self.worker, name).connect(getattr(self, name))
        # Destroying a running QThread aborts the process; quitting the app must join it.
        app = QCoreApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.stop)

    def start(self) -> None:
        GUI_THREAD_GC.acquire()
        self._holds_gc = True
        self.thread.finished.connect(self._release_gc)
        self.thread.start()

    @Slot()
    def _release_gc(self) -> None:
        if self._holds_gc:
            self._holds_gc = False
            GUI_THREAD_GC.release()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Ask the trainer to stop and wait for the thread to end; True when it did."""
        if self.control is not None:
            self.control.stop()
        ended = not self.thread.isRunning() or self.thread.wait(timeout_ms)
        if ended:
            self._release_gc()
        return ended
