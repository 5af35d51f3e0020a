"""Run a core ``Trainer`` in a QThread and report back by signals.

The trainer knows nothing of Qt. ``TrainingWorker`` is a parentless QObject moved into its own
QThread (Qt's worker-object pattern); it calls ``trainer.run(callback)`` there and forwards
each plain-numpy snapshot by signal, which Qt queues into the GUI thread. Every exception
becomes a ``failed`` signal with a readable message, so a bug in a layer never takes the
window down. ``TrainingThread`` owns the thread and stops it cleanly (stop the control, let
``run`` return, quit and join the thread).
"""

from __future__ import annotations

import traceback
from typing import Any, Protocol

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

__all__ = ["TrainingThread", "TrainingWorker", "describe_error"]


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
        self.thread.start()

    def is_running(self) -> bool:
        return self.thread.isRunning()

    def stop(self, timeout_ms: int = 10_000) -> bool:
        """Ask the trainer to stop and wait for the thread to end; True when it did."""
        if self.control is not None:
            self.control.stop()
        if not self.thread.isRunning():
            return True
        return self.thread.wait(timeout_ms)
