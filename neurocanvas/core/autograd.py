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

Length: over ~400 lines because grad mode, Function and the backward walk are one mechanism (the
walk frees what a Function saves); split, each half would reach into the other's internals.
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

    __slots__ = (
        "array",
        "grad",
        "requires_grad",
        "_ctx",
        "_version",
        "_retains_grad",
        "__weakref__",
    )

    _result_type: ClassVar[type[TensorBase]]

    array: Any
    grad: Any
    requires_grad: bool
    _ctx: Function | None
    _version: int  # bumped by every in-place change; backward checks it (see run_backward)
    _retains_grad: bool


def wrap(array: Any, requires_grad: bool = False) -> Any:
    """A new tensor (of ``TensorBase._result_type``) around ``array``, without checks or copy."""
    t = object.__new__(TensorBase._result_type)
    t.array = array
    t.grad = None
    t.requires_grad = requires_grad
    t._ctx = None
    t._version = 0
    t._retains_grad = False
    return t


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
    """Context manager and decorator that sets grad mode and restores it afterwards.

    Used bare as a decorator too (``@no_grad`` as well as ``@no_grad()``), as PyTorch allows.
    """

    _mode: bool = True

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        if not callable(orig_func):
            raise TypeError(f"{cls.__name__}() takes no arguments (or a function to decorate)")
        return cls()(orig_func)

    def __init__(self, orig_func: Callable[..., Any] | None = None) -> None:
        pass

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


class set_grad_enabled:  # noqa: N801 - PyTorch's name
    """Switch grad mode on or off: at once when called, restored on exit when used in ``with``.

    ``torch.set_grad_enabled(False)`` as a statement turns recording off until turned on again;
    ``with torch.set_grad_enabled(is_train):`` switches it for the block only.
    """

    def __init__(self, mode: bool) -> None:
        self._prev = _grad_mode.enabled
        _grad_mode.enabled = bool(mode)

    def __enter__(self) -> None:
        pass

    def __exit__(self, *exc: object) -> None:
        _grad_mode.enabled = self._prev


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

    __slots__ = ("xp", "needs_input_grad", "inputs", "saved", "versions", "__dict__")

    xp: ModuleType
    needs_input_grad: tuple[bool, ...]
    inputs: tuple[TensorBase, ...] | None
    saved: tuple[Any, ...] | None
    versions: tuple[int, ...]

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward; they are released right after backward runs."""
        self.saved = arrays

    @classmethod
    def apply(cls, *tensors: Any, **kwargs: Any) -> Any:
        """Run the operation on tensors; record a graph node when a gradient may be needed."""
        arrays = []
        needs = []
        versions = []
        for t in tensors:
            if not isinstance(t, TensorBase):
                raise TypeError(
                    f"{cls.__name__}.apply takes Tensors as positional arguments, got "
                    f"{type(t).__name__}; pass other values as keyword arguments"
                )
            arrays.append(t.array)
            needs.append(t.requires_grad)
            versions.append(t._version)
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
        t.array = out
        t.grad = None
        t._version = 0
        t._retains_grad = False
        if record:
            ctx.inputs = tensors
            ctx.versions = tuple(versions)
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


def run_backward(
    root: TensorBase,
    g: Any,
    retain_graph: bool = False,
    capture: dict[int, Any] | None = None,
) -> None:
    """Accumulate ``g`` (the gradient of some scalar w.r.t. ``root``) into the leaves' ``.grad``.

    ``g`` is an array of ``root``'s shape. With ``retain_graph`` the saved arrays are kept so
    that backward may run through the graph again. With ``capture`` (``{id(tensor): None}``)
    the gradients reaching those tensors are stored there instead and no ``.grad`` changes
    (``torch.autograd.grad``).

    Raises ``RuntimeError`` as PyTorch does when a tensor the graph used was changed in place
    afterwards (its version moved on): the recorded node would compute a wrong gradient.
    """
    order = _topological_order(root)
    grads: dict[int, Any] = {id(root): g}
    for node in order:
        key = id(node)
        g = grads.pop(key, None)
        if g is None:
            continue
        if capture is not None and key in capture:
            capture[key] = g
        ctx = node._ctx
        if ctx is None:
            if capture is None:
                _accumulate_leaf(node, g)
            continue
        if node._retains_grad and capture is None:
            _accumulate_leaf(node, g)
        parents = ctx.inputs
        if parents is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time."
            )
        for parent, version in zip(parents, ctx.versions):
            if parent._version != version:
                raise RuntimeError(
                    "one of the variables needed for gradient computation has been modified "
                    f"by an inplace operation: [{parent.array.dtype} {list(parent.array.shape)}]"
                    f", which is input to {type(ctx).__name__}, is at version "
                    f"{parent._version}; expected version {version} instead"
                )
        in_grads = ctx.backward(g)
        needs = ctx.needs_input_grad
        for i, parent in enumerate(parents):
            gi = in_grads[i]
            if gi is None or not needs[i]:
                continue
            pkey = id(parent)
            prev = grads.get(pkey)
            grads[pkey] = gi if prev is None else prev + gi
        if not retain_graph:
            ctx._release()


def _accumulate_leaf(t: TensorBase, g: Any) -> None:
    """Add a gradient into a leaf's ``.grad``, always as a fresh array in the leaf's dtype.

    The copy matters: backward passes may hand the same array to several inputs (``a + b``),
    and ``.grad`` must never alias another tensor's gradient or data.
    """
    xp = np if type(t.array) is _ndarray else backend.array_module(t.array)
    if t.grad is None:
        t.grad = wrap(xp.array(g, dtype=t.array.dtype))
    else:
        t.grad.array = xp.asarray(t.grad.array + g)  # 0-d + 0-d gives a numpy scalar
        if t.grad.array.dtype != t.array.dtype:
            t.grad.array = t.grad.array.astype(t.array.dtype)


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


def _as_sequence(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def grad(
    outputs: Any,
    inputs: Any,
    grad_outputs: Any = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
) -> tuple[Any, ...]:
    """Gradients of ``outputs`` w.r.t. ``inputs``, returned instead of accumulated into ``.grad``.

    ``torch.autograd.grad``: ``outputs`` and ``inputs`` are tensors or sequences of tensors;
    ``grad_outputs`` defaults to ones for single-element outputs. Returns one tensor per
    input (None for an unused input when ``allow_unused``). ``create_graph`` (higher-order
    gradients) is not supported: the engine's backward works on raw arrays.
    """
    if create_graph:
        raise NotImplementedError(
            "autograd.grad(create_graph=True): higher-order gradients are not supported"
        )
    outs = _as_sequence(outputs)
    ins = _as_sequence(inputs)
    gouts = _as_sequence(grad_outputs) if grad_outputs is not None else (None,) * len(outs)
    if len(gouts) != len(outs):
        raise RuntimeError(f"grad_outputs has {len(gouts)} entries for {len(outs)} outputs")
    for t in ins:
        if not isinstance(t, TensorBase) or not t.requires_grad:
            raise RuntimeError("One of the differentiated Tensors does not require grad")
    capture: dict[int, Any] = {id(t): None for t in ins}
    totals: dict[int, Any] = {}
    keep = bool(retain_graph)
    for out, gout in zip(outs, gouts):
        if not out.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        if gout is None:
            if out.array.size != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = backend.array_module(out.array).ones_like(out.array)
        else:
            g = gout.array if isinstance(gout, TensorBase) else np.asarray(gout)
        run_backward(out, g, retain_graph=keep, capture=capture)
        for key, value in capture.items():
            if value is not None:
                totals[key] = value if key not in totals else totals[key] + value
                capture[key] = None
    result: list[Any] = []
    for t in ins:
        g = totals.get(id(t))
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    "One of the differentiated Tensors appears to not have been used in the "
                    "graph. Set allow_unused=True if this is the desired behavior."
                )
            result.append(None)
            continue
        result.append(wrap(backend.array_module(t.array).array(g, dtype=t.array.dtype)))
    return tuple(result)
