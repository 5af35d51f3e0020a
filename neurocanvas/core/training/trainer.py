"""The names that lived here before the Trainer was split by concern (kept for old imports).

New code imports from the parts: :mod:`.loop` (Trainer, TrainingHook), :mod:`.control`
(TrainingConfig, TrainingControl, settings), :mod:`.guard`, :mod:`.metrics`, :mod:`.snapshot`,
or from the package ``neurocanvas.core.training``.
"""

from __future__ import annotations

from neurocanvas.core.training.control import (
    LIVE_SETTINGS,
    OPTIMIZERS,
    StepTask,
    TrainingConfig,
    TrainingControl,
    check_setting,
)
from neurocanvas.core.training.loop import Trainer, TrainingHook
from neurocanvas.core.training.metrics import labels_from_targets as yb_labels
from neurocanvas.core.training.snapshot import STATES, Snapshot

__all__ = [
    "LIVE_SETTINGS",
    "OPTIMIZERS",
    "STATES",
    "Snapshot",
    "StepTask",
    "Trainer",
    "TrainingConfig",
    "TrainingControl",
    "TrainingHook",
    "check_setting",
    "yb_labels",
]
