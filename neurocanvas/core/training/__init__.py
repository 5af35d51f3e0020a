"""The training loop and its parts (one concern per module). No Qt: the app runs the loop in a
worker thread and reads its snapshots.

- :mod:`.control`: the settings a run starts with, and the thread-safe control (live settings,
  pace in steps/s, pause, step once, stop, jobs between steps, divergence policy).
- :mod:`.guard`: divergence detection and the checkpoints (with their loss) it restores.
- :mod:`.metrics`: loss series, accuracy, validation, confusion, the fit prediction.
- :mod:`.snapshot`: the plain-numpy :class:`Snapshot` handed to the GUI.
- :mod:`.probes`: the Probe interface (views of training the loop calls).
- :mod:`.loop`: the :class:`Trainer`, which orders all of the above around each step.
"""

from neurocanvas.core.training.control import (
    LIVE_SETTINGS,
    OPTIMIZERS,
    StepTask,
    TrainingConfig,
    TrainingControl,
    check_setting,
)
from neurocanvas.core.training.guard import POLICIES, Checkpoint, DivergenceGuard
from neurocanvas.core.training.loop import Trainer, TrainingHook
from neurocanvas.core.training.snapshot import STATES, Snapshot

__all__ = [
    "LIVE_SETTINGS",
    "OPTIMIZERS",
    "POLICIES",
    "STATES",
    "Checkpoint",
    "DivergenceGuard",
    "Snapshot",
    "StepTask",
    "Trainer",
    "TrainingConfig",
    "TrainingControl",
    "TrainingHook",
    "check_setting",
]
