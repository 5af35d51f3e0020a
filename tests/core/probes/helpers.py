"""Driving probes by hand exactly as the training loop does (see probes/__init__.py)."""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocanvas.core import nn, optim
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.probes import Probe, StepContext


def probed_step(
    model: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    probes: list[Probe],
    loss_fn: nn.Module | None = None,
    optimizer: optim.Optimizer | None = None,
    step: int = 1,
) -> tuple[float, dict[str, Any]]:
    """zero_grad, forward, loss, backward, step, calling the probes at their points."""
    loss_fn = loss_fn or nn.MSELoss()
    optimizer = optimizer or optim.SGD(model.parameters(), lr=0.1)
    taking = [p for p in probes if p.wants(step)]
    ctx = StepContext(step=step, epoch=0, model=model, inputs=Tensor(x), targets=Tensor(y))
    for p in taking:  # the loop's order: probes first, then zero_grad
        p.before_forward(ctx)
    optimizer.zero_grad()
    ctx.outputs = model(ctx.inputs)
    loss = loss_fn(ctx.outputs, ctx.targets)
    ctx.loss = float(loss.item())
    loss.backward()
    for p in taking:
        p.after_backward(ctx)
    optimizer.step()
    results = {p.name: p.collect(ctx) for p in taking}
    return ctx.loss, {k: v for k, v in results.items() if v is not None}
