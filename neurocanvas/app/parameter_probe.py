"""A probe that copies one layer's parameters a few times a second, for the parameter view.

It runs in the training thread between the optimizer step and the next one (the probe
protocol's ``collect``), so the GUI gets numpy copies without ever touching live tensors.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from neurocanvas.core.training.probes import Probe, StepContext

NAME = "parameters"


class ParameterProbe(Probe):
    """Collects ``{state_dict key: copy}`` for keys starting ``layer + "."``, every ``every_s``."""

    name = NAME

    def __init__(self, layer: str, every_s: float = 0.25) -> None:
        self.prefix = f"{layer}."
        self.every_s = every_s
        self._last = -float("inf")

    def wants(self, step: int) -> bool:
        return time.monotonic() - self._last >= self.every_s

    def collect(self, ctx: StepContext) -> Any:
        self._last = time.monotonic()
        return {
            k: np.array(v, copy=True)
            for k, v in ctx.model.state_dict().items()
            if k.startswith(self.prefix)
        }

    def reset(self) -> None:
        self._last = -float("inf")
