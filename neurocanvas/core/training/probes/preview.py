"""Every layer's output on one chosen sample, refreshed while training runs.

The sample is one row of the data set chosen in the GUI, usually not in the step's batch, so
this probe runs the model on that single sample (eval mode, no gradients) after the step:
one sample's forward pass, a few times a second, not another pass over the batch. The same
:func:`~.capture.node_outputs` serves the preview while building, on the current weights.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.probes.capture import node_outputs

__all__ = ["PreviewProbe", "sample_preview"]


def sample_preview(model: Any, sample: np.ndarray, index: int, step: int = 0) -> dict[str, Any]:
    """``{"step", "index", "input", "outputs": {key: output of this sample}}`` (numpy).

    ``sample`` is one data-set row without the batch dimension, e.g. (1,) or (1, 8, 8).
    """
    x = np.asarray(sample)[None]
    outputs = node_outputs(model, x)
    return {
        "step": int(step),
        "index": int(index),
        "input": np.array(sample, copy=True),
        "outputs": {k: v[0] for k, v in outputs.items()},
    }


class PreviewProbe(Probe):
    """Collects :func:`sample_preview` for the chosen sample at most every ``min_interval_s``.

    :meth:`set_sample` may be called from another thread (the GUI): it swaps one reference,
    which the training thread reads whole.
    """

    name = "preview"

    def __init__(self, min_interval_s: float = 0.2) -> None:
        self.min_interval_s = float(min_interval_s)
        self._sample: tuple[int, np.ndarray] | None = None
        self._last_time = -math.inf

    def set_sample(self, sample: np.ndarray | None, index: int = 0) -> None:
        """Preview ``sample`` (one data-set row) from the next wanted step; None stops."""
        self._sample = None if sample is None else (int(index), np.array(sample, copy=True))
        self._last_time = -math.inf  # show the new choice at once

    @property
    def sample(self) -> tuple[int, np.ndarray] | None:
        """``(index, sample)`` being previewed, or None."""
        return self._sample

    def reset(self) -> None:
        self._last_time = -math.inf

    def wants(self, step: int) -> bool:
        if self._sample is None:
            return False
        return time.perf_counter() - self._last_time >= self.min_interval_s

    def collect(self, ctx: StepContext) -> Any:
        chosen = self._sample
        if chosen is None:
            return None
        self._last_time = time.perf_counter()
        index, sample = chosen
        return sample_preview(ctx.model, sample, index, ctx.step)
