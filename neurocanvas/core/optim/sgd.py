"""Stochastic gradient descent with PyTorch's momentum, dampening and Nesterov rules."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core.backend import to_device
from neurocanvas.core.optim.optimizer import Optimizer, _device_of

__all__ = ["SGD"]


def _check_non_negative(name: str, value: float) -> None:
    if not value >= 0.0:
        raise ValueError(f"invalid {name}: {value} (must be >= 0)")


class SGD(Optimizer):
    """``p -= lr * g`` with optional momentum (PyTorch ``torch.optim.SGD``, same pseudo-code).

    The momentum buffer starts as the first gradient itself; dampening applies from the second
    step on; weight decay is added to the gradient (L2), not decoupled.
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        momentum: float = 0.0,
        dampening: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
    ) -> None:
        _check_non_negative("learning rate", lr)
        _check_non_negative("momentum", momentum)
        _check_non_negative("weight_decay", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum > 0 and zero dampening")
        defaults = dict(
            lr=lr,
            momentum=momentum,
            dampening=dampening,
            weight_decay=weight_decay,
            nesterov=nesterov,
        )
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        momentum = group["momentum"]
        dampening = group["dampening"]
        wd = group["weight_decay"]
        nesterov = group["nesterov"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p.array
            g = grad.array
            if wd != 0:
                g = g + wd * d
            if momentum != 0:
                state = self.state.get(p)
                if state is None or state.get("momentum_buffer") is None:
                    buf = g.copy()
                    self.state[p] = {"momentum_buffer": buf}
                else:
                    buf = state["momentum_buffer"]
                    if type(buf) is not type(d) or buf.dtype != d.dtype:
                        buf = to_device(buf, _device_of(d)).astype(d.dtype, copy=False)
                        state["momentum_buffer"] = buf
                    buf *= momentum
                    if dampening == 0:
                        buf += g
                    else:
                        buf += (1 - dampening) * g
                g = g + momentum * buf if nesterov else buf
            if isinstance(d, np.ndarray):
                d -= np.multiply(g, lr, dtype=d.dtype)
            else:
                d -= lr * g
