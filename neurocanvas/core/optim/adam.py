"""Adam and AdamW with PyTorch's bias corrections, AMSGrad and weight-decay rules."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any, cast

import numpy as np

from neurocanvas.core.backend import array_module, to_numpy
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
        self._flat: dict[int, dict[str, Any]] = {}

    def _update(self, group: dict[str, Any]) -> None:
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        wd = group["weight_decay"]
        amsgrad = group["amsgrad"]
        names = (
            ("exp_avg", "exp_avg_sq", "max_exp_avg_sq") if amsgrad else ("exp_avg", "exp_avg_sq")
        )
        if (self._decoupled or wd == 0) and self._fused_update(group, names):
            return
        # The per-parameter path may step parameters unevenly: the fused cache must be rebuilt.
        self._flat.pop(id(group), None)
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            d = p.array
            g = grad.array
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

    # ------------------------------------------------------------------ fused path
    def _fused_update(self, group: dict[str, Any], names: tuple[str, ...]) -> bool:
        """One pass over a flat copy of the group's gradients instead of one per parameter.

        Small models have many small parameters and each numpy call costs microseconds, so
        the per-parameter loop dominates (the 2-16-2 net: 4 tensors, 82 numbers). The moments
        live in one flat buffer per group; ``state[p]`` holds views into it, so the public
        state stays per parameter. Parameters themselves are not re-homed: only the final
        ``p.array -= update`` runs per parameter. Returns False where it does not apply
        (CuPy, mixed dtypes, a missing gradient, large groups, coupled weight decay).
        """
        params = group["params"]
        if len(params) < 2:
            return False
        dtype = params[0].array.dtype
        total = 0
        for p in params:
            d = p.array
            if p.grad is None or type(d) is not np.ndarray or d.dtype != dtype:
                return False
            total += d.size
        if total > _FUSE_MAX_ELEMENTS:
            return False
        flat = self._flat.get(id(group))
        if flat is None or not self._flat_is_current(flat, params, names):
            flat = self._build_flat(group, params, names, dtype)
            if flat is None:
                return False
        lr = group["lr"]
        beta1, beta2 = group["betas"]
        eps = group["eps"]
        wd = group["weight_decay"]
        states = flat["states"]
        step = states[0]["step"] + 1
        for st in states:
            st["step"] = step
        g = flat["grad"]
        np.concatenate([p.grad.array.reshape(-1) for p in params], out=g)
        tmp = flat["tmp"]
        m = flat["exp_avg"]
        v = flat["exp_avg_sq"]
        m -= g
        m *= beta1
        m += g
        np.multiply(g, g, out=tmp)
        tmp *= 1 - beta2
        v *= beta2
        v += tmp
        if "max_exp_avg_sq" in flat:
            vmax = flat["max_exp_avg_sq"]
            np.maximum(vmax, v, out=vmax)
            v = vmax
        bc2_sqrt = math.sqrt(1 - beta2**step)
        np.sqrt(v, out=tmp)
        tmp += eps * bc2_sqrt
        np.divide(m, tmp, out=tmp)
        tmp *= lr * bc2_sqrt / (1 - beta1**step)
        decay = 1 - lr * wd if wd != 0 else None
        for p, view in zip(params, flat["tmp_views"]):
            d = p.array
            if decay is not None:
                d *= decay
            d -= view
        return True

    def _flat_is_current(
        self, flat: dict[str, Any], params: list[Any], names: tuple[str, ...]
    ) -> bool:
        """The cache still describes these parameters and nobody replaced their state."""
        if (
            flat["names"] != names
            or len(flat["params"]) != len(params)
            or flat["grad"].dtype != params[0].array.dtype
        ):
            return False
        for p, q, st, views in zip(params, flat["params"], flat["states"], flat["views"]):
            if p is not q or p.array.shape != views[0].shape or self.state.get(p) is not st:
                return False
            state = cast(dict[str, Any], st)  # _build_flat stored each parameter's state dict
            for name, view in zip(names, views):
                if state.get(name) is not view:
                    return False
        return True

    def _build_flat(
        self, group: dict[str, Any], params: list[Any], names: tuple[str, ...], dtype: Any
    ) -> dict[str, Any] | None:
        states = []
        for p in params:
            st = self.state.get(p)
            if st is None:
                st = self._state_for(p, names)
            states.append(st)
        if len({st["step"] for st in states}) != 1:
            return None  # parameters were stepped unevenly (a missing grad): keep them apart
        sizes = [p.array.size for p in params]
        offsets = np.cumsum([0, *sizes])
        flat: dict[str, Any] = {"names": names, "params": list(params), "states": states}
        for name in names:
            buf = np.concatenate(
                [to_numpy(st[name]).astype(dtype, copy=False).reshape(-1) for st in states]
            ).astype(dtype, copy=False)
            flat[name] = buf
            for p, st, lo, hi in zip(params, states, offsets[:-1], offsets[1:]):
                st[name] = buf[lo:hi].reshape(p.array.shape)
        flat["views"] = [tuple(st[name] for name in names) for st in states]
        flat["grad"] = np.empty(int(offsets[-1]), dtype=dtype)
        flat["tmp"] = np.empty(int(offsets[-1]), dtype=dtype)
        flat["tmp_views"] = [
            flat["tmp"][lo:hi].reshape(p.array.shape)
            for p, lo, hi in zip(params, offsets[:-1], offsets[1:])
        ]
        self._flat[id(group)] = flat
        return flat


# Above this many numbers per group the per-parameter loop is as fast and copies nothing.
_FUSE_MAX_ELEMENTS = 65_536


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
