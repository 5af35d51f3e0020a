"""Probes: small views of training that the loop calls at the steps they ask for.

A new view of training is a new probe, not another branch in the loop (DESIGN.md, "The training
loop calls small parts"; Keras's ``callbacks/``). The loop calls, for every step:

1. ``wants(step)`` before the forward pass; only probes that answer True take part in this step.
2. ``before_forward(ctx)`` so a probe can install forward hooks that capture activations of this
   very forward pass (no extra forward pass is ever run for a probe on a training step).
3. ``after_backward(ctx)`` once gradients exist and before ``optimizer.step()`` changes the
   weights: read ``p.grad`` here.
4. ``collect(ctx)`` after ``optimizer.step()``: return plain numpy / Python values (never engine
   tensors: the result crosses to the GUI thread). The loop stores it in
   ``Snapshot.probes[probe.name]``; ``None`` means "nothing new".

Probes must be cheap when they do not want a step; heavy ones should want every Nth step only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from neurocanvas.core import nn
from neurocanvas.core.tensor import Tensor


@dataclass
class StepContext:
    """What one training step hands to its probes.

    ``step`` is the 1-based index of the optimizer step being taken; ``inputs``/``targets`` the
    batch (engine tensors on the training device); ``outputs`` and ``loss`` are filled in after
    the forward pass (None before it); ``scratch`` is a per-step dict a probe may use to carry
    data from ``before_forward`` to ``collect`` (keyed by the probe's name).
    """

    step: int
    epoch: int
    model: nn.Module
    inputs: Tensor
    targets: Tensor
    outputs: Tensor | None = None
    loss: float | None = None
    lr: float = 0.0
    scratch: dict[str, Any] = field(default_factory=dict)


class Probe:
    """Base class: override what you need. ``name`` keys the result in ``Snapshot.probes``."""

    name: str = "probe"

    def wants(self, step: int) -> bool:
        """Whether this probe takes part in ``step`` (called before the forward pass)."""
        return False

    def before_forward(self, ctx: StepContext) -> None:
        """Install forward hooks or note state before the step's forward pass."""

    def after_backward(self, ctx: StepContext) -> None:
        """Read gradients (``p.grad``) before the optimizer changes the weights."""

    def collect(self, ctx: StepContext) -> Any:
        """Return plain numpy / Python for the snapshot, or None for nothing new."""
        return None

    def reset(self) -> None:
        """Forget what was gathered (a new run starts)."""
