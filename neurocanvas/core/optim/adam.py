"""Adam and AdamW with PyTorch's bias corrections, AMSGrad and weight-decay rules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core.backend import array_module
from neurocanvas.core.optim.optimizer import Optimizer

__all__ = ["Adam", "AdamW"]


def _check_adam_args(lr: float, betas: tuple[float, float], eps: float, wd: float) -> None:
    if not lr >= 0.0:
        raise ValueError(f"invalid learning rate: {lr} (must be >= 0)")
    if not eps >= 0.0:
        raise ValueError(f"invalid eps: {eps} (must be >= 0)")
    for i, b in enumerate(betas):
        if not 0.0 <= b < 1.0:
            raise ValueError(f"invalid beta parameter at index {i}: {b} (must be in [0, 1))")
    if not wd >= 0.0:
        raise ValueError(f"invalid weight_decay: {wd} (must be >= 0)")


class Adam(Optimizer):
    """Adam (``torch.optim.Adam``): L2 weight decay is added to the gradient."""

    _decoupled = False

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = dict(
            lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay, amsgrad=amsgrad
        )
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        wd = group["weight_decay"]
        amsgrad = group["amsgrad"]
        names = (
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
        )
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p.data
            g = grad.data
            xp = np if isinstance(d, np.ndarray) else array_module(d)
            state = self.state.get(p)
            if (
                state is None
                or state["exp_avg"].dtype != d.dtype
                or not isinstance(state["exp_avg"], type(d))
            ):
                state = self._state_for(p, names)
            state["step"] += 1
            step = state["step"]
            if wd != 0:
                if self._decoupled:
                    d *= 1 - lr * wd
                else:
                    g = g + wd * d
            m = state["exp_avg"]
            v = state["exp_avg_sq"]
            # m = b1*m + (1-b1)*g and v = b2*v + (1-b2)*g*g, in place
            m -= g
            m *= beta1
            m += g
            tmp = xp.multiply(g, g)
            tmp *= 1 - beta2
            v *= beta2
            v += tmp
            if amsgrad:
                vmax = state["max_exp_avg_sq"]
                xp.maximum(vmax, v, out=vmax)
                v = vmax
            # PyTorch: p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps). Multiplying numerator and
            # denominator by sqrt(bc2) saves one pass over the array.
            bc2_sqrt = math.sqrt(1 - beta2**step)
            xp.sqrt(v, out=tmp)
            tmp += eps * bc2_sqrt
            xp.divide(m, tmp, out=tmp)
            tmp *= lr * bc2_sqrt / (1 - beta1**step)
            d -= tmp


class AdamW(Adam):
    """AdamW (``torch.optim.AdamW``): decoupled decay ``p *= 1 - lr * weight_decay``."""

    _decoupled = True

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)
