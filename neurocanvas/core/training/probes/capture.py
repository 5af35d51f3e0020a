"""Seeing inside one forward and backward pass: which layers, their outputs, their gradients.

Probes need two things the training step already computes: each layer's output (a forward
hook, ``nn.Module.register_forward_hook``) and the gradient of the loss with respect to that
output, the gradient that flows back along the wires leaving the layer. The engine keeps
gradients of leaves only (as PyTorch does without ``retain_grad``), so :class:`GradTap`
threads an identity op behind a layer's output whose backward hands the incoming gradient to
a sink and passes it on unchanged; PyTorch builds ``register_full_backward_hook`` the same way
(``torch.utils.hooks.BackwardHook`` wraps outputs in an identity ``BackwardHookFunction``).
The values and gradients of the step are untouched, so a probed step trains exactly like an
unprobed one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.backend import to_numpy
from neurocanvas.core.nn.module import RemovableHandle
from neurocanvas.core.tensor import Function, Tensor, no_grad

Layer = tuple[str, nn.Module]


def model_layers(model: nn.Module) -> list[Layer]:
    """``(key, module)`` for every layer worth watching, in the order they run.

    A compiled ``GraphModule`` answers with its node ids (``model.layers()``), so results key
    straight onto the canvas; any other module answers with its leaf submodules under their
    qualified names (``"0"``, ``"encoder.fc"``), or itself (key ``""``) when it has none.
    """
    layers = getattr(model, "layers", None)
    if callable(layers):
        return [(str(k), m) for k, m in layers()]
    leaves = [
        (name, m) for name, m in model.named_modules() if name and next(m.children(), None) is None
    ]
    return leaves or [("", model)]


def layer_parameters(module: nn.Module) -> list[tuple[str, Any]]:
    """The module's own parameters (``"weight"``, ``"bias"``...) as ``(name, Parameter)``."""
    return list(module.named_parameters())


class GradTap(Function):
    """Identity in the forward pass; in the backward pass, ``sink(grad)`` then pass it on."""

    def forward(self, x: Any, sink: Callable[[Any], None]) -> Any:  # type: ignore[override]
        self.sink = sink
        return x

    def backward(self, grad: Any) -> tuple[Any, ...]:
        self.sink(grad)
        return (grad,)


def _first_tensor(out: Any) -> Tensor | None:
    if isinstance(out, Tensor):
        return out
    if isinstance(out, (tuple, list)) and out and isinstance(out[0], Tensor):
        return out[0]
    return None


class Capture:
    """Forward hooks that keep each layer's output (and, with ``grads``, its gradient).

    ``outputs[key]`` and ``grads[key]`` hold the raw arrays (numpy or CuPy) of the latest pass,
    by reference: the engine never writes into an activation after making it. Call
    :meth:`remove` when done; a Capture is also a context manager that removes its hooks.

    Parameters
    ----------
    layers
        ``(key, module)`` pairs, as :func:`model_layers` gives them.
    grads
        Also catch ``d loss / d output`` of every layer whose output needs a gradient.
    """

    def __init__(self, layers: list[Layer], grads: bool = False) -> None:
        self.layers = layers
        self.want_grads = grads
        self.outputs: dict[str, Any] = {}
        self.grads: dict[str, Any] = {}
        self._handles: list[RemovableHandle] = []
        for key, module in layers:
            self._handles.append(module.register_forward_hook(self._hook_for(key)))

    def _hook_for(self, key: str) -> Callable[[nn.Module, tuple[Any, ...], Any], Any]:
        def hook(module: nn.Module, inputs: tuple[Any, ...], out: Any) -> Any:
            t = _first_tensor(out)
            if t is None:
                return None
            self.outputs[key] = t.array
            if self.want_grads and t.requires_grad and t is out:
                return GradTap.apply(t, sink=lambda g: self._store_grad(key, g))
            return None

        return hook

    def _store_grad(self, key: str, grad: Any) -> None:
        prev = self.grads.get(key)
        # a layer whose output feeds several wires receives the sum of their gradients
        self.grads[key] = grad if prev is None else prev + grad

    def clear(self) -> None:
        self.outputs.clear()
        self.grads.clear()

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def node_outputs(model: nn.Module, x: np.ndarray) -> dict[str, np.ndarray]:
    """Every layer's output for the batch ``x`` (numpy), in eval mode and without gradients.

    Eval mode, because a preview must not move BatchNorm's running statistics nor drop units
    at random; the model's mode is restored afterwards. Keys as in :func:`model_layers`.
    Raises whatever the model raises for an input of the wrong shape.
    """
    was_training = model.training
    model.eval()
    try:
        with no_grad(), Capture(model_layers(model)) as cap:
            model(Tensor(np.asarray(x), device=_device_of(model)))
            return {k: to_numpy(v, copy=True) for k, v in cap.outputs.items()}
    finally:
        if was_training:
            model.train()


def _device_of(model: nn.Module) -> str:
    for p in model.parameters():
        return str(p.device)
    return "cpu"


def iter_grad_arrays(module: nn.Module) -> Iterator[tuple[str, Any]]:
    """``(name, gradient array)`` of the module's parameters that have one."""
    for name, p in module.named_parameters():
        if p.grad is not None:
            yield name, p.grad.array
