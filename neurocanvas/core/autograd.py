"""Reverse-mode automatic differentiation: grad mode, graph nodes and the backward walk.

Each differentiable operation is a small :class:`Function` subclass (see ``_ops.py``) with a
``forward`` on raw arrays and a ``backward`` that maps the output gradient to one gradient per
tensor input. A result that needs a gradient remembers the node that made it (``_ctx``);
:func:`run_backward` walks those nodes in an iterative topological order (so a chain of any
length works), frees each node's saved arrays as soon as it has been used, and skips gradients
no input needs.

This module knows tensors only through :class:`TensorBase` (the four fields autograd reads and
writes), so that ``tensor.py`` can import it and the ops without a cycle; ``tensor.py`` names
the class that results are made of (``TensorBase._result_type``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from types import ModuleType
from typing import Any, ClassVar, TypeVar

import numpy as np

from neurocanvas.core import backend

_ndarray = np.ndarray
_F = TypeVar("_F", bound=Callable[..., Any])


class TensorBase:
    """The fields autograd works on; :class:`~neurocanvas.core.tensor.Tensor` adds the rest.

    ``_result_type`` is the class Function results and gradients are made of (``Tensor``, set
    by ``tensor.py``), so an op on an ``nn.Parameter`` gives a plain ``Tensor`` as in PyTorch.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")

    _result_type: ClassVar[type[TensorBase]]

    data: Any
    grad: Any
    requires_grad: bool
    _ctx: Function | None


# ----------------------------------------------------------------------------------------
# Grad mode (thread-local like PyTorch: the GUI thread may evaluate under no_grad while the
# training worker records a graph).


class _GradMode(threading.local):
    enabled: bool = True


_grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """Whether operations currently record a graph for ``backward``."""
    return _grad_mode.enabled


class _GradModeSwitch:
    """Context manager and decorator that sets grad mode and restores it afterwards."""

    _mode: bool = True

    def __enter__(self) -> None:
        self._prev = _grad_mode.enabled
        _grad_mode.enabled = self._mode

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._prev

    def __call__(self, fn: _F) -> _F:
        mode = self._mode

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            prev = _grad_mode.enabled
            _grad_mode.enabled = mode
            try:
                return fn(*args, **kwargs)
            finally:
                _grad_mode.enabled = prev

        wrapper.__name__ = getattr(fn, "__name__", "wrapper")
        wrapper.__doc__ = fn.__doc__
        wrapper.__wrapped__ = fn  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]


class no_grad(_GradModeSwitch):  # noqa: N801 - PyTorch's name
    """Disable graph recording (evaluation, parameter updates); a context manager or decorator."""

    _mode = False


class enable_grad(_GradModeSwitch):  # noqa: N801 - PyTorch's name
    """Re-enable graph recording inside a ``no_grad`` block; a context manager or decorator."""

    _mode = True


# ----------------------------------------------------------------------------------------
# Helpers


def unbroadcast(grad: Any, shape: tuple[int, ...]) -> Any:
    """Sum ``grad`` back to ``shape``, undoing numpy broadcasting.

    Broadcasting adds leading dimensions and stretches size-1 ones; the gradient of a value
    that was used many times is the sum over all its uses.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    return grad


# ----------------------------------------------------------------------------------------
# Function: one node of the graph


class Function:
    """Base class of differentiable operations.

    Subclasses implement ``forward(self, *arrays, **kwargs) -> array`` and
    ``backward(self, grad) -> tuple`` (one gradient or None per tensor input). They may keep
    what backward needs with :meth:`save_for_backward` or as attributes; both are freed once
    backward has used them.
    """

    __slots__ = ("xp", "needs_input_grad", "inputs", "saved", "__dict__")

    xp: ModuleType
    needs_input_grad: tuple[bool, ...]
    inputs: tuple[TensorBase, ...] | None
    saved: tuple[Any, ...] | None

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward; they are released right after backward runs."""
        self.saved = arrays

    @classmethod
    def apply(cls, *tensors: TensorBase, **kwargs: Any) -> Any:
        """Run the operation on tensors; record a graph node when a gradient may be needed."""
        arrays = []
        needs = []
        for t in tensors:
            if not isinstance(t, TensorBase):
                raise TypeError(
                    f"{cls.__name__}.apply takes Tensors as positional arguments, got "
                    f"{type(t).__name__}; pass other values as keyword arguments"
                )
            arrays.append(t.data)
            needs.append(t.requires_grad)
        ctx = cls.__new__(cls)
        first = arrays[0]
        xp = np if type(first) is _ndarray else backend.array_module(first)
        ctx.xp = xp
        record = _grad_mode.enabled and True in needs
        ctx.needs_input_grad = tuple(needs) if record else (False,) * len(arrays)
        out = ctx.forward(*arrays, **kwargs)
        if xp is np and type(out) is not _ndarray and not hasattr(out, "__cuda_array_interface__"):
            # numpy returns scalars from 0-d arithmetic; a host input may still give a device
            # result (ToDevice), which np.asarray would refuse to convert on a real GPU
            out = np.asarray(out)
        t = object.__new__(TensorBase._result_type)
        t.data = out
        t.grad = None
        if record:
            ctx.inputs = tensors
            t.requires_grad = True
            t._ctx = ctx
        else:
            t.requires_grad = False
            t._ctx = None
        return t

    def _release(self) -> None:
        """Free saved arrays and attributes after backward; mark the node as used."""
        self.saved = None
        self.inputs = None
        self.__dict__.clear()


# ----------------------------------------------------------------------------------------
# The backward walk


def run_backward(root: TensorBase, g: Any, retain_graph: bool = False) -> None:
    """Accumulate ``g`` (the gradient of some scalar w.r.t. ``root``) into the leaves' ``.grad``.

    ``g`` is an array of ``root``'s shape. With ``retain_graph`` the saved arrays are kept so
    that backward may run through the graph again.
    """
    order = _topological_order(root)
    grads: dict[int, Any] = {id(root): g}
    for node in order:
        g = grads.pop(id(node), None)
        if g is None:
            continue
        ctx = node._ctx
        if ctx is None:
            _accumulate_leaf(node, g)
            continue
        parents = ctx.inputs
        if parents is None:
            raise RuntimeError(
                "trying to backward through the graph a second time; the saved values "
                "were freed after the first backward (pass retain_graph=True the first time)"
            )
        in_grads = ctx.backward(g)
        needs = ctx.needs_input_grad
        for i, parent in enumerate(parents):
            gi = in_grads[i]
            if gi is None or not needs[i]:
                continue
            key = id(parent)
            prev = grads.get(key)
            grads[key] = gi if prev is None else prev + gi
        if not retain_graph:
            ctx._release()


def _accumulate_leaf(t: TensorBase, g: Any) -> None:
    """Add a gradient into a leaf's ``.grad``, always as a fresh array in the leaf's dtype.

    The copy matters: backward passes may hand the same array to several inputs (``a + b``),
    and ``.grad`` must never alias another tensor's gradient or data.
    """
    if not t.requires_grad:
        return
    xp = np if type(t.data) is _ndarray else backend.array_module(t.data)
    if t.grad is None:
        grad = object.__new__(TensorBase._result_type)
        grad.data = xp.array(g, dtype=t.data.dtype)
        grad.grad = None
        grad.requires_grad = False
        grad._ctx = None
        t.grad = grad
    else:
        t.grad.data = t.grad.data + g
        if t.grad.data.dtype != t.data.dtype:
            t.grad.data = t.grad.data.astype(t.data.dtype)


def _topological_order(root: TensorBase) -> list[TensorBase]:
    """Tensors reachable from ``root`` (that need a gradient), root first, parents last.

    Iterative depth-first search, so graph depth is limited by memory, not by recursion.
    """
    post: list[TensorBase] = []
    visited: set[int] = set()
    stack: list[tuple[TensorBase, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            post.append(node)
            continue
        key = id(node)
        if key in visited:
            continue
        visited.add(key)
        stack.append((node, True))
        ctx = node._ctx
        # a node freed by an earlier backward has no inputs; backward reports it clearly
        if ctx is not None and ctx.inputs is not None:
            for parent in ctx.inputs:
                if parent.requires_grad and id(parent) not in visited:
                    stack.append((parent, False))
    post.reverse()
    return post
