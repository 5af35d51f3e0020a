"""``Optimizer`` base: parameter groups, per-parameter state, ``zero_grad`` and state dicts.

Subclasses implement ``_update(group, params_with_grads)``; hyper-parameters are read from the
group dict at every step, so writing ``param_groups[i]["lr"]`` (the live slider) takes effect on
the next step.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core.backend import to_device, to_numpy
from neurocanvas.core.nn.module import zero_grads
from neurocanvas.core.tensor import Tensor, no_grad

__all__ = ["Optimizer"]


def _device_of(arr: Any) -> str:
    return "cpu" if isinstance(arr, np.ndarray) else "cuda"


class Optimizer:
    """Base class: holds ``param_groups`` (list of dicts) and ``state`` (per parameter)."""

    def __init__(self, params: Iterable[Any], defaults: dict[str, Any]) -> None:
        self.defaults = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}  # Tensors hash by identity
        self.param_groups: list[dict[str, Any]] = []
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group; options it does not set come from the optimizer's defaults."""
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError("a parameter group must be a dict with a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{type(self).__name__} can only optimise Tensors, but parameter {i} is a "
                    f"{type(p).__name__}"
                )
            if not p.requires_grad:
                raise ValueError(f"parameter {i} of {type(self).__name__} has requires_grad=False")
            if id(p) in seen:
                raise ValueError("some parameters appear in more than one parameter group")
            seen.add(id(p))
        group["params"] = params
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Forget gradients before the next backward (they accumulate otherwise)."""
        for group in self.param_groups:
            zero_grads(group["params"], set_to_none)

    def step(self, closure: Any = None) -> Any:
        """Update every parameter that has a gradient, in place."""
        loss = None
        if closure is not None:
            loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._update(group)
        return loss

    def _update(self, group: dict[str, Any]) -> None:
        raise NotImplementedError

    def _state_for(self, p: Tensor, names: tuple[str, ...]) -> dict[str, Any]:
        """The state of ``p``: created with zero arrays, and moved when ``p`` changed device."""
        state = self.state.get(p)
        data = p.array
        if state is None:
            state = {"step": 0}
            for name in names:
                state[name] = data * 0 if not isinstance(data, np.ndarray) else np.zeros_like(data)
            self.state[p] = state
            return state
        # The module may have been moved with .to(device) or cast since the last step.
        for name in names:
            buf = state.get(name)
            if buf is None:
                state[name] = np.zeros_like(data) if isinstance(data, np.ndarray) else data * 0
            elif type(buf) is not type(data) or buf.dtype != data.dtype:
                state[name] = to_device(buf, _device_of(data)).astype(data.dtype, copy=False)
        return state

    # ------------------------------------------------------------------ serialisation
    def state_dict(self) -> dict[str, Any]:
        """``{"state": {index: {...}}, "param_groups": [...]}`` with host arrays, like PyTorch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p in self.state:
            st = self.state[p]
            state[index[id(p)]] = {
                k: (np.array(to_numpy(v), copy=True) if hasattr(v, "shape") else v)
                for k, v in st.items()
            }
        return {"state": state, "param_groups": copy.deepcopy(groups)}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore hyper-parameters and per-parameter state saved by ``state_dict``."""
        groups = state_dict["param_groups"]
        if len(groups) != len(self.param_groups):
            raise ValueError(
                f"the state dict has {len(groups)} parameter groups, the optimizer has "
                f"{len(self.param_groups)}"
            )
        by_index: dict[int, Tensor] = {}
        for mine, saved in zip(self.param_groups, groups):
            if len(mine["params"]) != len(saved["params"]):
                raise ValueError("a parameter group of the state dict differs in size")
            for idx, p in zip(saved["params"], mine["params"]):
                by_index[idx] = p
        for mine, saved in zip(self.param_groups, groups):
            for k, v in saved.items():
                if k != "params":
                    mine[k] = v
        self.state = {}
        for idx, st in state_dict["state"].items():
            p = by_index[int(idx)]
            dev = _device_of(p.array)
            self.state[p] = {
                k: (
                    to_device(np.asarray(v).astype(p.array.dtype, copy=True), dev)
                    if hasattr(v, "shape") and np.ndim(v) > 0
                    else v
                )
                for k, v in st.items()
            }

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(group):
                if k != "params":
                    lines.append(f"    {k}: {group[k]}")
        lines.append(")")
        return "\n".join(lines)
