"""One probe pass outside training: a paused run between steps, a loaded or untrained model.

The training loop calls probes on its own steps. When no step is coming (nothing trains, or
a run is paused), :func:`probe_pass` runs the same sequence on one batch, forward, loss,
backward, without ``optimizer.step()``: the weights, the gradients already stored in the
model and BatchNorm's running statistics are left exactly as they were.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.probes import Probe, StepContext

__all__ = ["probe_pass"]


def probe_pass(
    model: nn.Module,
    loss_fn: nn.Module,
    inputs: np.ndarray,
    targets: np.ndarray,
    probes: Iterable[Probe],
    step: int = 0,
    epoch: int = 0,
) -> dict[str, Any]:
    """Run every probe on one forward and backward pass of ``(inputs, targets)``.

    Each probe takes part whatever its ``wants`` says. The pass runs in eval mode (no
    dropout, BatchNorm on its running statistics, which it therefore does not update); the
    model's mode and every parameter's ``.grad`` are restored afterwards.

    Returns ``{probe.name: probe.collect(...)}`` (None results left out).
    """
    probes = list(probes)
    params = list(model.parameters())
    saved_grads = [p.grad for p in params]
    was_training = model.training
    device = str(params[0].device) if params else "cpu"
    model.eval()
    try:
        for p in params:
            p.grad = None
        ctx = StepContext(
            step=step,
            epoch=epoch,
            model=model,
            inputs=Tensor(np.asarray(inputs), device=device),
            targets=Tensor(np.asarray(targets), device=device),
        )
        for probe in probes:
            probe.before_forward(ctx)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            ctx.outputs = model(ctx.inputs)
            loss = loss_fn(ctx.outputs, ctx.targets)
            ctx.loss = float(loss.item())
            loss.backward()
        for probe in probes:
            probe.after_backward(ctx)
        results = {probe.name: probe.collect(ctx) for probe in probes}
    finally:
        for p, g in zip(params, saved_grads, strict=True):
            p.grad = g
        if was_training:
            model.train()
    return {k: v for k, v in results.items() if v is not None}
