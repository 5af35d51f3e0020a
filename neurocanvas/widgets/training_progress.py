"""A run's progress: a bar (epoch and percentage) over one line of steps, speed and time left."""

from __future__ import annotations

import math
import time
from typing import Any

from PySide6.QtWidgets import QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget

__all__ = ["PROGRESS_INTERVAL_S", "TrainingProgress", "format_duration"]

PROGRESS_INTERVAL_S = 0.25  # 4 updates a second read smoothly and cost little


def format_duration(seconds: float) -> str:
    """'0:07', '12:04', '1:02:03'; '–' when unknown (no steps yet, or infinite)."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "–"
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, sec = divmod(rem, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class TrainingProgress(QWidget):
    """``bar`` (objectName trainingProgress) and ``detail`` (progressDetail) of one run."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shown_at = -math.inf
        self.bar = QProgressBar(self)
        self.bar.setObjectName("trainingProgress")
        self.bar.setRange(0, 1000)
        self.bar.setTextVisible(True)
        self.detail = QLabel("", self)
        self.detail.setObjectName("progressDetail")
        self.detail.setToolTip("Optimizer steps, training speed and estimated time left")
        # Ignored width: the line never widens the panel (it fits 300 px).
        self.detail.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self.bar)
        layout.addWidget(self.detail)
        self.reset()

    def reset(self) -> None:
        self.bar.setValue(0)
        self.bar.setFormat("Ready")
        self.detail.setText("")

    def show_snapshot(self, snap: Any, epochs: int | None) -> None:
        """Show ``snap``'s epoch, step, speed and time left; ``epochs`` None: until stopped.

        While running, at most every ``PROGRESS_INTERVAL_S``: a progress bar repaints at once,
        and the GUI thread's time is taken from the training thread (they share the GIL).
        """
        now = time.monotonic()
        if snap.state == "running" and now - self._shown_at < PROGRESS_INTERVAL_S:
            return
        self._shown_at = now
        total = max(int(snap.total_steps), 1)
        self.bar.setValue(round(1000 * min(snap.step / total, 1.0)))
        epoch = int(snap.epoch) + (0 if snap.state == "finished" else 1)
        speed = f"{snap.samples_per_s:,.0f} samples/s"
        if epochs is None:
            self.bar.setValue(0)
            self.bar.setFormat(f"Epoch {epoch} · until you stop it")
            self.detail.setText(f"step {snap.step:,} · {speed}")
        else:
            self.bar.setFormat(f"Epoch {min(epoch, epochs)}/{epochs} · %p%")
            # Time left only while it counts down: a stopped, diverged or paused run has none
            # ("4:41 left" after Stop, "0:00 left" after a divergence read as still going).
            left = f" · {format_duration(snap.eta_s)} left" if snap.state == "running" else ""
            self.detail.setText(f"step {snap.step:,}/{snap.total_steps:,} · {speed}{left}")
