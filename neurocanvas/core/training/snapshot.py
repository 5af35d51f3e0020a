"""What a running loop hands to the GUI: one :class:`Snapshot` of plain numpy and Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurocanvas.core.training.series import SeriesView

STATES: tuple[str, ...] = ("running", "paused", "finished", "stopped", "diverged")


@dataclass
class Snapshot:
    """Everything the plots need as plain numpy: copies, or frozen read-only views of the
    trainer's bounded records (safe to hand to another thread either way).

    Attributes
    ----------
    step_loss : SeriesView (or a (steps,) float64 array)
        The loss of every optimizer step's batch, in order: ``len`` is the step count, the
        latest ~30,000 are exact, older ones min/max/mean buckets (see :mod:`.series`).
    train_loss, val_loss : SeriesView (or (epochs,) float64)
        Per completed epoch: the mean batch loss, and the loss on the validation set.
    train_acc, val_acc : SeriesView (or (epochs,) float64) or None
        Per completed epoch accuracy (None for regression).
    elapsed_s : float
        Wall-clock seconds of training so far, pauses left out (a paced run's waits count).
    lr_changes : list of (step, lr)
        The learning rate in force from each step on (the first entry is the starting rate).
    changes : list of (step, setting, old, new)
        Every live setting change (lr, momentum, weight_decay, batch_size, optimizer), for
        legends such as "lr 0.01 -> 0.1 at step 300".
    diverged_at : int or None
        The step at which the divergence guard fired (also under the "keep going" policy).
    restored_step : int or None
        The step of the checkpoint put back after a divergence (None when nothing was restored).
    probes : dict
        The latest result of each probe, keyed by the probe's name (plain numpy / Python).
    kept : dict or None
        After a restore, how the weights left in the model score: ``step`` (of the checkpoint),
        ``train_loss`` (on the guard's check set of training samples), ``val_loss``, ``val_acc``
        (None for regression). None when the model holds the last step's weights.
    probe_errors : list of str
        One line per probe turned off because it raised (the run went on without it).
    """

    epoch: int
    step: int
    total_steps: int
    samples_per_s: float
    elapsed_s: float
    eta_s: float
    train_loss: SeriesView | np.ndarray
    val_loss: SeriesView | np.ndarray
    step_loss: SeriesView | np.ndarray
    train_acc: SeriesView | np.ndarray | None
    val_acc: SeriesView | np.ndarray | None
    lr_changes: list[tuple[int, float]]
    fit: dict[str, np.ndarray] | None
    confusion: np.ndarray | None
    state: str
    message: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    samples: dict[str, np.ndarray] | None = None
    changes: list[tuple[int, str, Any, Any]] = field(default_factory=list)
    diverged_at: int | None = None
    restored_step: int | None = None
    probes: dict[str, Any] = field(default_factory=dict)
    kept: dict[str, Any] | None = None
    probe_errors: list[str] = field(default_factory=list)
