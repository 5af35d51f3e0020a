"""RMSprop with PyTorch's centred variant and momentum."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core.backend import array_module
from neurocanvas.core.optim.optimizer import Optimizer

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """``torch.optim.RMSprop``: divide the gradient by a running RMS (eps added after sqrt)."""

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        momentum: float = 0.0,
        centered: bool = False,
    ) -> None:
        for name, value in (
            ("learning rate", lr),
            ("alpha", alpha),
            ("eps", eps),
            ("weight_decay", weight_decay),
            ("momentum", momentum),
        ):
            if not value >= 0.0:
                raise ValueError(f"invalid {name}: {value} (must be >= 0)")
        defaults = dict(
            lr=lr,
            alpha=alpha,
            eps=eps,
            weight_decay=weight_decay,
            momentum=momentum,
            centered=centered,
        )
        super().__init__(params, defaults)

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        alpha = group["alpha"]
        eps = group["eps"]
        wd = group["weight_decay"]
        momentum = group["momentum"]
        centered = group["centered"]
        names: tuple[str, ...] = ("square_avg",)
        if momentum > 0:
            names += ("momentum_buffer",)
        if centered:
            names += ("grad_avg",)
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p.array
            g = grad.array
            xp = np if isinstance(d, np.ndarray) else array_module(d)
            state = self._state_for(p, names)
            state["step"] += 1
            if wd != 0:
                g = g + wd * d
            sq = state["square_avg"]
            tmp = xp.multiply(g, g)
            tmp *= 1 - alpha
            sq *= alpha
            sq += tmp
            if centered:
                ga = state["grad_avg"]
                xp.multiply(g, 1 - alpha, out=tmp)
                ga *= alpha
                ga += tmp
                xp.multiply(ga, ga, out=tmp)
                xp.subtract(sq, tmp, out=tmp)
                xp.sqrt(tmp, out=tmp)
            else:
                xp.sqrt(sq, out=tmp)
            tmp += eps
            xp.divide(g, tmp, out=tmp)
            if momentum > 0:
                buf = state["momentum_buffer"]
                buf *= momentum
                buf += tmp
                xp.multiply(buf, lr, out=tmp)
            else:
                tmp *= lr
            d -= tmp
