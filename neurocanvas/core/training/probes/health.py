"""Training health: how big the gradients are, layer by layer, and what is going wrong.

Computed from the training step itself (forward hooks plus ``p.grad``; see
:mod:`.capture`), never from an extra forward pass, and handed to the GUI as plain Python.

Signals, per layer (the key is the node id of a compiled graph):

``grad_norm``
    L2 norm of d loss / d output over the batch: the size of the gradient flowing back along
    the wires that leave the layer. The canvas draws it on a log scale.
``param_grad_norm``
    L2 norm of all the layer's parameter gradients together (None without parameters).
``dead_fraction`` (ReLU)
    Share of units (features, or channels of a feature map) that output 0 for every sample
    and position of the batch: they pass no gradient, so their weights no longer learn.
``saturated_fraction`` (Sigmoid, Tanh)
    Share of outputs in the flat tails: sigmoid below 0.01 or above 0.99 (slope under 4 % of
    its peak), tanh beyond +-0.99 (slope under 2 %). Saturated units barely pass gradient.

And for the model: ``grad_ratio``, the RMS weight gradient of the first layer with
parameters over that of the last. Far below 1 the early layers barely learn (vanishing
gradients, as in deep sigmoid chains: each sigmoid multiplies the gradient by at most 1/4;
Glorot & Bengio 2010); far above 1 they get kicked ever harder (exploding gradients).
Thresholds (:data:`VANISHING_RATIO`, :data:`EXPLODING_RATIO`, ...) only choose which badges
appear; the numbers are always there.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.backend import array_module
from neurocanvas.core.training.probes import Probe, StepContext
from neurocanvas.core.training.probes.capture import Capture, model_layers

DEAD_WARN = 0.5  # badge a ReLU when at least half its units are dead
SATURATED_WARN = 0.5  # badge a Sigmoid/Tanh when at least half its outputs are saturated
SIGMOID_TAIL = 0.01
TANH_TAIL = 0.99
VANISHING_RATIO = 1e-3  # first/last RMS weight gradient below this: vanishing
EXPLODING_RATIO = 1e3  # ... above this: exploding
GROWTH_WARN = 1e2  # a layer's gradient 100 x larger than at the run's first reading

__all__ = [
    "HealthProbe",
    "dead_fraction",
    "grad_ratio",
    "health_badges",
    "saturated_fraction",
]


def dead_fraction(out: Any) -> float:
    """Share of units of a ReLU output (N, C, ...) that are 0 for every sample and position."""
    xp = array_module(out)
    n = out.shape[0]
    units = out.reshape(n, out.shape[1], -1) if out.ndim > 1 else out.reshape(n, 1, 1)
    alive = xp.any(units > 0, axis=(0, 2))
    return float(1.0 - float(alive.mean()))


def saturated_fraction(out: Any, kind: str) -> float:
    """Share of a Sigmoid (``kind="sigmoid"``) or Tanh (``"tanh"``) output in its flat tails."""
    xp = array_module(out)
    if kind == "sigmoid":
        flat = xp.minimum(out, 1.0 - out) < SIGMOID_TAIL
    elif kind == "tanh":
        flat = xp.abs(out) > TANH_TAIL
    else:
        raise ValueError(f"saturation is defined for 'sigmoid' and 'tanh', not {kind!r}")
    return float(flat.mean())


def _norm(arr: Any) -> float:
    return float(math.sqrt(float((arr.astype("float64") ** 2).sum())))


def grad_ratio(weight_grads: list[Any]) -> float | None:
    """RMS of the first weight gradient over the RMS of the last (None for fewer than two)."""
    if len(weight_grads) < 2:
        return None
    first, last = weight_grads[0], weight_grads[-1]
    rms_first = _norm(first) / math.sqrt(max(first.size, 1))
    rms_last = _norm(last) / math.sqrt(max(last.size, 1))
    if rms_last == 0.0:
        return math.inf if rms_first > 0 else None
    return rms_first / rms_last


def _kind(module: nn.Module) -> str:
    if isinstance(module, nn.ReLU):
        return "relu"
    if isinstance(module, nn.Sigmoid):
        return "sigmoid"
    if isinstance(module, nn.Tanh):
        return "tanh"
    return ""


def _pct(x: float) -> str:
    return f"{100 * x:.0f} %"


def health_badges(result: dict[str, Any]) -> dict[str, list[dict[str, str]]]:
    """Plain-words warnings per layer key from one health result (see :class:`HealthProbe`).

    Each badge is ``{"kind": ..., "text": ...}`` with kind one of ``dead``, ``saturated``,
    ``vanishing``, ``exploding``, ``nonfinite``.
    """
    badges: dict[str, list[dict[str, str]]] = {}

    def add(key: str, kind: str, text: str) -> None:
        badges.setdefault(key, []).append({"kind": kind, "text": text})

    layers: dict[str, dict[str, Any]] = result["layers"]
    for key, info in layers.items():
        dead = info.get("dead_fraction")
        if dead is not None and dead >= DEAD_WARN:
            add(
                key,
                "dead",
                f"{_pct(dead)} of this ReLU's units output 0 for every sample in the batch: "
                "they pass no gradient, so the weights feeding them stopped learning. "
                "Try a smaller learning rate or LeakyReLU.",
            )
        sat = info.get("saturated_fraction")
        if sat is not None and sat >= SATURATED_WARN:
            add(
                key,
                "saturated",
                f"{_pct(sat)} of this {info['type']}'s outputs sit in its flat tails, where its "
                "slope is almost 0: little gradient gets through. Try ReLU, BatchNorm before "
                "it, or smaller inputs.",
            )
        norms = [info.get("grad_norm"), info.get("param_grad_norm")]
        if any(v is not None and not math.isfinite(v) for v in norms):
            add(key, "nonfinite", "The gradient here is infinite or NaN: training has blown up.")
        growth = info.get("growth")
        if growth is not None and growth >= GROWTH_WARN:
            add(
                key,
                "exploding",
                f"The gradient here is {growth:.3g} times larger than at the start of the run: "
                "it is exploding. Lower the learning rate.",
            )
    ratio = result.get("grad_ratio")
    first = result.get("first_layer")
    if ratio is not None and first is not None:
        if ratio < VANISHING_RATIO:
            add(
                first,
                "vanishing",
                f"The first layer's gradients are {1 / ratio:.3g} times smaller than the last "
                "layer's: they vanish on the way back, so the early layers barely learn. "
                "Try ReLU instead of Sigmoid/Tanh, fewer layers, or BatchNorm.",
            )
        elif ratio > EXPLODING_RATIO:
            add(
                first,
                "exploding",
                f"The first layer's gradients are {ratio:.3g} times larger than the last "
                "layer's: they grow on the way back (exploding). Lower the learning rate.",
            )
    return badges


class HealthProbe(Probe):
    """Per-layer gradient norms, dead ReLUs, saturated Sigmoid/Tanh, vanishing/exploding ratio.

    Parameters
    ----------
    every
        Take part in at most every ``every``-th step.
    min_interval_s
        ... and at most once per this many seconds (the canvas redraws ~25 times a second,
        so more readings would only cost the training thread time).
    burst
        Except for the first ``burst`` steps of a run, and the ``burst`` steps after each
        :meth:`watch_closely` call (the app calls it when the learning rate changes): then
        every step is measured, because a learning rate that is too large blows the
        gradients up within a few steps, before a throttled reading would come.

    ``collect`` returns ``{"step", "layers": {key: {...}}, "grad_ratio", "first_layer",
    "last_layer", "badges"}`` of plain floats, strings and dicts (see the module docstring).
    """

    name = "health"

    def __init__(self, every: int = 5, min_interval_s: float = 0.1, burst: int = 20) -> None:
        self.every = max(1, int(every))
        self.min_interval_s = float(min_interval_s)
        self.burst = max(0, int(burst))
        self._close_steps = self.burst
        self._capture: Capture | None = None
        self._last_step = -(10**9)
        self._last_time = -math.inf
        self._first_norms: dict[str, float] = {}
        self._result: dict[str, Any] | None = None

    def watch_closely(self) -> None:
        """Measure every one of the next ``burst`` steps (callable from any thread)."""
        self._close_steps = self.burst

    def reset(self) -> None:
        self._drop_capture()
        self._close_steps = self.burst
        self._last_step = -(10**9)
        self._last_time = -math.inf
        self._first_norms.clear()
        self._result = None

    def _drop_capture(self) -> None:
        if self._capture is not None:
            self._capture.remove()
            self._capture = None

    def wants(self, step: int) -> bool:
        if self._capture is not None:  # a step that ended early (diverged) left its hooks
            self._drop_capture()
        if self._close_steps > 0:
            self._close_steps -= 1
            return True
        if step - self._last_step < self.every:
            return False
        return time.perf_counter() - self._last_time >= self.min_interval_s

    def before_forward(self, ctx: StepContext) -> None:
        self._drop_capture()
        self._capture = Capture(model_layers(ctx.model), grads=True)
        self._last_step, self._last_time = ctx.step, time.perf_counter()

    def after_backward(self, ctx: StepContext) -> None:
        cap = self._capture
        if cap is None:
            return
        self._drop_capture()
        self._result = self.measure(cap, ctx.step)

    def collect(self, ctx: StepContext) -> Any:
        self._drop_capture()
        result, self._result = self._result, None
        return result

    # ------------------------------------------------------------------------ measuring
    def measure(self, cap: Capture, step: int) -> dict[str, Any]:
        """Turn one captured pass (outputs, output gradients, ``p.grad``) into the result."""
        layers: dict[str, dict[str, Any]] = {}
        weight_grads: list[Any] = []
        weight_keys: list[str] = []
        with np.errstate(over="ignore", invalid="ignore"):
            for key, module in cap.layers:
                info: dict[str, Any] = {"type": type(module).__name__}
                out = cap.outputs.get(key)
                grad = cap.grads.get(key)
                info["grad_norm"] = _norm(grad) if grad is not None else None
                grads = [p.grad.array for p in module.parameters() if p.grad is not None]
                info["param_grad_norm"] = (
                    math.sqrt(sum(_norm(g) ** 2 for g in grads)) if grads else None
                )
                kind = _kind(module)
                if out is not None and kind == "relu":
                    info["dead_fraction"] = dead_fraction(out)
                elif out is not None and kind in ("sigmoid", "tanh"):
                    info["saturated_fraction"] = saturated_fraction(out, kind)
                weight = getattr(module, "weight", None)
                if weight is not None and weight.grad is not None:
                    weight_grads.append(weight.grad.array)
                    weight_keys.append(key)
                info["growth"] = self._growth(key, info["param_grad_norm"] or info["grad_norm"])
                layers[key] = info
        result: dict[str, Any] = {
            "step": int(step),
            "layers": layers,
            "grad_ratio": grad_ratio(weight_grads),
            "first_layer": weight_keys[0] if weight_keys else None,
            "last_layer": weight_keys[-1] if weight_keys else None,
        }
        result["badges"] = health_badges(result)
        return result

    def _growth(self, key: str, norm: float | None) -> float | None:
        """This reading over the layer's first finite, non-zero reading of the run."""
        if norm is None:
            return None
        first = self._first_norms.get(key)
        if first is None:
            if math.isfinite(norm) and norm > 0:
                self._first_norms[key] = norm
            return 1.0
        return norm / first
