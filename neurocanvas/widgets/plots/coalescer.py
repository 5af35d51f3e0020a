"""The frame clock between the training thread and the plots: only the newest snapshot is drawn."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal, Slot


class LatestSnapshot(QObject):
    """Coalesce snapshots: keep only the newest and emit it at most once per tick.

    Connect the worker's ``snapshot`` signal to :meth:`push` (a queued connection from the
    worker thread) and the plots to :attr:`updated`. The timer only runs while something is
    waiting, so an idle app does not wake up 30 times a second.
    """

    updated = Signal(object)

    def __init__(self, interval_ms: int = 30, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._latest: Any = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self.emitted = 0

    @Slot(object)
    def push(self, snapshot: Any) -> None:
        self._latest = snapshot
        if not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit the pending snapshot now (a run's final snapshot must not wait a tick)."""
        self._tick()

    def _tick(self) -> None:
        snap, self._latest = self._latest, None
        if snap is None:
            self._timer.stop()
            return
        self.emitted += 1
        self.updated.emit(snap)
