"""Tensors and reverse-mode automatic differentiation.

Each differentiable operation is a small :class:`Function` subclass with a ``forward`` on raw
arrays and a ``backward`` that maps the output gradient to one gradient per tensor input. A
result that needs a gradient remembers the node that made it (``_ctx``); ``backward()`` walks
those nodes in an iterative topological order (so a chain of any length works), frees each
node's saved arrays as soon as it has been used, and skips gradients no input needs.

Names and semantics follow PyTorch so that what a person learns here carries over.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any, TypeVar

import numpy as np

from neurocanvas.core import backend

_ndarray = np.ndarray
_F = TypeVar("_F", bound=Callable[..., Any])

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


def _normalize_axes(dim: int | Sequence[int] | None, ndim: int) -> tuple[int, ...] | None:
    """Turn an int, tuple or None ``dim`` into a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"dimension {d} is out of range for a tensor with {ndim} dimension(s)")
        out.append(d % max(ndim, 1))
    return tuple(sorted(set(out)))


def _keepdims_shape(shape: tuple[int, ...], axes: tuple[int, ...] | None) -> tuple[int, ...]:
    """Shape of a reduction's result with the reduced axes kept as size 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _spread(grad: Any, xp: ModuleType, shape: tuple[int, ...], kshape: tuple[int, ...]) -> Any:
    """Copy a reduction's gradient over the reduced axes into a fresh array of ``shape``.

    A reshape plus one assignment: ``expand_dims``/``broadcast_to`` cost several times more
    Python overhead, which dominates on the small arrays of small networks.
    """
    out = xp.empty(shape, dtype=grad.dtype)
    out[...] = grad.reshape(kshape)
    return out


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
    inputs: tuple[Tensor, ...] | None
    saved: tuple[Any, ...] | None

    def forward(self, *arrays: Any, **kwargs: Any) -> Any:
        raise NotImplementedError

    def backward(self, grad: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def save_for_backward(self, *arrays: Any) -> None:
        """Keep arrays for backward; they are released right after backward runs."""
        self.saved = arrays

    @classmethod
    def apply(cls, *tensors: Tensor, **kwargs: Any) -> Tensor:
        """Run the operation on tensors; record a graph node when a gradient may be needed."""
        arrays = []
        needs = []
        for t in tensors:
            if not isinstance(t, Tensor):
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
        t = object.__new__(Tensor)
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
# Tensor

MaxResult = namedtuple("MaxResult", ["values", "indices"])
MinResult = namedtuple("MinResult", ["values", "indices"])


def _const(value: Any, like: Any) -> Tensor:
    """Wrap a Python number or array as a constant tensor in ``like``'s dtype when possible.

    Keeping the tensor's float dtype stops a Python float from promoting float32 to float64.
    """
    if isinstance(value, Tensor):
        return value
    t = object.__new__(Tensor)
    if like.dtype.kind == "f" and isinstance(value, (int, float, bool, np.number)):
        arr = np.asarray(value, dtype=like.dtype)
    else:
        arr = np.asarray(value)
        if arr.dtype == np.float64 and like.dtype.kind == "f" and arr.ndim > 0:
            arr = arr.astype(like.dtype)
    if type(like) is not _ndarray:
        arr = backend.array_module(like).asarray(arr)
    t.data = arr
    t.grad = None
    t.requires_grad = False
    t._ctx = None
    return t


class Tensor:
    """An n-dimensional array that can record the operations applied to it.

    Parameters
    ----------
    data
        A numpy (or CuPy) array keeps its dtype (float64 stays float64, integer class
        targets stay integer) and is used without a copy, like ``torch.from_numpy``.
        Python numbers and (nested) lists become float32, as ``torch.Tensor`` does.
    requires_grad
        Record operations on this tensor so that ``backward`` fills in ``.grad``.
    device
        ``"cpu"`` or ``"cuda"``; None keeps the array where it is.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "__weakref__")
    __array_ufunc__ = None  # make numpy defer to our reflected operators (ndarray + Tensor)
    __hash__ = object.__hash__  # comparisons return tensors, identity stays the hash

    data: Any
    grad: Tensor | None
    requires_grad: bool
    _ctx: Function | None

    def __init__(self, data: Any, requires_grad: bool = False, device: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        elif type(data) is not _ndarray:
            if isinstance(data, np.generic):
                data = np.asarray(data)
            elif not hasattr(data, "__cuda_array_interface__"):
                try:
                    data = np.asarray(data, dtype=np.float32)
                except (TypeError, ValueError) as exc:
                    raise TypeError(
                        f"Tensor() cannot be made from {type(data).__name__}: "
                        "expected a number, a (nested) list of numbers, or an array"
                    ) from exc
        if device is not None:
            data = backend.to_device(data, device)
        self.data = data
        self.grad = None
        self._ctx = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    # -- properties ----------------------------------------------------------------------

    @property
    def shape(self) -> tuple[int, ...]:
        return self.data.shape

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def device(self) -> str:
        return "cpu" if type(self.data) is _ndarray else backend.device_of(self.data)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

    @property
    def xp(self) -> ModuleType:
        return np if type(self.data) is _ndarray else backend.array_module(self.data)

    def size(self, dim: int | None = None) -> Any:
        """The shape, or the length of one dimension (like ``torch.Tensor.size``)."""
        if dim is None:
            return self.data.shape
        return self.data.shape[dim]

    def dim(self) -> int:
        return self.data.ndim

    def numel(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(backend.to_numpy(self.data), separator=", ", precision=4)
        extras = []
        if self.data.dtype != np.float32:
            extras.append(f"dtype={self.data.dtype}")
        if self.device != "cpu":
            extras.append(f"device='{self.device}'")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        tail = "".join(", " + e for e in extras)
        return f"tensor({body}{tail})"

    # -- conversion ----------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """A host numpy copy of the data (safe to keep while training goes on)."""
        return backend.to_numpy(self.data, copy=True)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = backend.to_numpy(self.data)
        return arr if dtype is None else arr.astype(dtype)

    def item(self) -> Any:
        """The single value as a Python number."""
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a tensor with one element, this one has shape {self.shape}"
            )
        return self.data.item()

    def tolist(self) -> Any:
        return backend.to_numpy(self.data).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise RuntimeError(f"the truth value of a tensor with shape {self.shape} is ambiguous")
        return bool(self.data.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iu" or self.data.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.data.item())

    def detach(self) -> Tensor:
        """The same data without history: no gradient flows back through the result."""
        return Tensor._wrap(self.data)

    def clone(self) -> Tensor:
        return Clone.apply(self)

    def contiguous(self) -> Tensor:
        return self

    def to(self, target: Any) -> Tensor:
        """Move to a device (``"cpu"``/``"cuda"``) or cast to a dtype; gradients flow through."""
        if isinstance(target, str):
            if backend.normalize_device(target) == self.device:
                return self
            return ToDevice.apply(self, device=backend.normalize_device(target))
        return self.type(target)

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self) -> Tensor:
        return self.to("cuda")

    def type(self, dtype: Any) -> Tensor:
        dtype = np.dtype(dtype)
        if dtype == self.data.dtype:
            return self
        if dtype.kind != "f" or self.data.dtype.kind != "f":
            return Tensor._wrap(self.data.astype(dtype))
        return Cast.apply(self, dtype=dtype)

    def double(self) -> Tensor:
        return self.type(np.float64)

    def float(self) -> Tensor:
        return self.type(np.float32)

    def long(self) -> Tensor:
        return self.type(np.int64)

    def int(self) -> Tensor:
        return self.type(np.int32)

    def bool(self) -> Tensor:
        return self.type(np.bool_)

    @staticmethod
    def _wrap(data: Any, requires_grad: bool = False) -> Tensor:
        """Make a tensor around an array without any checks (internal fast path)."""
        t = object.__new__(Tensor)
        t.data = data
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = None
        return t

    # -- autograd ------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf tensor; returns self."""
        if requires_grad and self.data.dtype.kind not in "fc":
            raise RuntimeError(
                f"only floating point tensors can require gradients, this one is {self.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "requires_grad_(False) works only on leaf tensors; use detach() instead"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def zero_(self) -> Tensor:
        """Set every element to zero in place."""
        self.data[...] = 0
        return self

    def fill_(self, value: float) -> Tensor:
        self.data[...] = value
        return self

    def copy_(self, src: Any) -> Tensor:
        """Copy values from ``src`` in place (cast to this tensor's dtype and device)."""
        arr = src.data if isinstance(src, Tensor) else src
        self.data[...] = backend.to_device(arr, self.device) if self.device != "cpu" else arr
        return self

    def backward(self, gradient: Any = None, retain_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that needs it.

        Parameters
        ----------
        gradient
            The gradient of some scalar with respect to this tensor; may be left out only when
            this tensor has a single element (then it is 1).
        retain_graph
            Keep the saved arrays so that backward may run through the graph again.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a tensor that does not require grad and has no grad_fn"
            )
        xp = self.xp
        if gradient is None:
            if self.data.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs: pass "
                    f"gradient= to backward() for a tensor of shape {self.shape}"
                )
            g = xp.ones_like(self.data)
        else:
            g = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
            if g.shape != self.data.shape:
                raise RuntimeError(
                    f"gradient has shape {g.shape} but the tensor has shape {self.shape}"
                )
        order = _topological_order(self)
        grads: dict[int, Any] = {id(self): g}
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

    # -- operators -----------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return Add.apply(self, _const(other, self.data))

    def __radd__(self, other: Any) -> Tensor:
        return Add.apply(_const(other, self.data), self)

    def __sub__(self, other: Any) -> Tensor:
        return Sub.apply(self, _const(other, self.data))

    def __rsub__(self, other: Any) -> Tensor:
        return Sub.apply(_const(other, self.data), self)

    def __mul__(self, other: Any) -> Tensor:
        return Mul.apply(self, _const(other, self.data))

    def __rmul__(self, other: Any) -> Tensor:
        return Mul.apply(_const(other, self.data), self)

    def __truediv__(self, other: Any) -> Tensor:
        return Div.apply(self, _const(other, self.data))

    def __rtruediv__(self, other: Any) -> Tensor:
        return Div.apply(_const(other, self.data), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return PowScalar.apply(self, exponent=other)
        return Pow.apply(self, _const(other, self.data))

    def __rpow__(self, other: Any) -> Tensor:
        return Pow.apply(_const(other, self.data), self)

    def __matmul__(self, other: Any) -> Tensor:
        return MatMul.apply(self, _const(other, self.data))

    def __rmatmul__(self, other: Any) -> Tensor:
        return MatMul.apply(_const(other, self.data), self)

    def __neg__(self) -> Tensor:
        return Neg.apply(self)

    def __pos__(self) -> Tensor:
        return self

    def _compare(self, other: Any, op: Callable[[Any, Any], Any]) -> Tensor:
        other = other.data if isinstance(other, Tensor) else other
        return Tensor._wrap(op(self.data, other))

    def __eq__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, _eq)

    def __ne__(self, other: Any) -> Tensor:  # type: ignore[override]
        return self._compare(other, _ne)

    def __lt__(self, other: Any) -> Tensor:
        return self._compare(other, _lt)

    def __le__(self, other: Any) -> Tensor:
        return self._compare(other, _le)

    def __gt__(self, other: Any) -> Tensor:
        return self._compare(other, _gt)

    def __ge__(self, other: Any) -> Tensor:
        return self._compare(other, _ge)

    def eq(self, other: Any) -> Tensor:
        return self._compare(other, _eq)

    # -- elementwise ---------------------------------------------------------------------

    def add(self, other: Any) -> Tensor:
        return self + other

    def sub(self, other: Any) -> Tensor:
        return self - other

    def mul(self, other: Any) -> Tensor:
        return self * other

    def div(self, other: Any) -> Tensor:
        return self / other

    def pow(self, exponent: Any) -> Tensor:
        return self**exponent

    def matmul(self, other: Any) -> Tensor:
        return self @ other

    def neg(self) -> Tensor:
        return Neg.apply(self)

    def exp(self) -> Tensor:
        return Exp.apply(self)

    def log(self) -> Tensor:
        return Log.apply(self)

    def sqrt(self) -> Tensor:
        return Sqrt.apply(self)

    def abs(self) -> Tensor:
        return Abs.apply(self)

    def tanh(self) -> Tensor:
        return Tanh.apply(self)

    def sigmoid(self) -> Tensor:
        return Sigmoid.apply(self)

    def relu(self) -> Tensor:
        return Relu.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Limit values to ``[min, max]``; the gradient passes where the input is inside."""
        if min is None and max is None:
            raise ValueError("clip() needs at least one of min and max")
        return Clip.apply(self, lo=min, hi=max)

    clamp = clip

    def softmax(self, dim: int) -> Tensor:
        from neurocanvas.core.functional import softmax

        return softmax(self, dim)

    def log_softmax(self, dim: int) -> Tensor:
        from neurocanvas.core.functional import log_softmax

        return log_softmax(self, dim)

    # -- reductions ----------------------------------------------------------------------

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return Sum.apply(self, axes=_normalize_axes(dim, self.data.ndim), keepdims=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        return Mean.apply(self, axes=_normalize_axes(dim, self.data.ndim), keepdims=keepdim)

    def var(
        self, dim: int | Sequence[int] | None = None, unbiased: bool = True, keepdim: bool = False
    ) -> Tensor:
        """Variance; ``unbiased`` divides by ``n - 1`` like PyTorch's default."""
        axes = _normalize_axes(dim, self.data.ndim)
        n = self.data.size if axes is None else int(np.prod([self.data.shape[a] for a in axes]))
        centered = self - self.mean(dim=axes, keepdim=True)
        return (centered * centered).sum(dim=axes, keepdim=keepdim) / max(n - int(unbiased), 1)

    def std(
        self, dim: int | Sequence[int] | None = None, unbiased: bool = True, keepdim: bool = False
    ) -> Tensor:
        return self.var(dim=dim, unbiased=unbiased, keepdim=keepdim).sqrt()

    def max(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """``max()`` is a scalar tensor; ``max(dim)`` is ``(values, indices)`` like PyTorch.

        The gradient of ``max()`` is split evenly among tied maxima; the gradient of
        ``max(dim)`` goes to the element whose index is returned (the first maximum).
        """
        return self._extreme(dim, keepdim, True)

    def min(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Like :meth:`max`, for the minimum."""
        return self._extreme(dim, keepdim, False)

    def _extreme(self, dim: int | None, keepdim: bool, is_max: bool) -> Any:
        if self.data.size == 0:
            raise RuntimeError("max()/min() of an empty tensor")
        if dim is None:
            return ExtremeAll.apply(self, is_max=is_max)
        axis = _normalize_axes(dim, self.data.ndim)[0]  # type: ignore[index]
        xp = self.xp
        idx = (xp.argmax if is_max else xp.argmin)(self.data, axis=axis)
        idx_keep = xp.expand_dims(idx, axis)
        values = TakeAlong.apply(self, index=idx_keep, axis=axis, keepdims=keepdim)
        indices = Tensor._wrap(idx_keep if keepdim else idx)
        return (MaxResult if is_max else MinResult)(values, indices)

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        """Index of the largest value (flattened when ``dim`` is None); not differentiable."""
        xp = self.xp
        if dim is None:
            out = xp.asarray(xp.argmax(self.data))
            return Tensor._wrap(out.reshape((1,) * self.data.ndim) if keepdim else out)
        return Tensor._wrap(xp.argmax(self.data, axis=dim, keepdims=keepdim))

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Tensor:
        xp = self.xp
        if dim is None:
            out = xp.asarray(xp.argmin(self.data))
            return Tensor._wrap(out.reshape((1,) * self.data.ndim) if keepdim else out)
        return Tensor._wrap(xp.argmin(self.data, axis=dim, keepdims=keepdim))

    # -- shape ---------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return Reshape.apply(self, shape=shape)

    view = reshape

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Tensor:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        shape = self.data.shape
        nd = len(shape)
        if nd == 0:
            return self.reshape(1)
        s = start_dim % nd
        e = end_dim % nd
        if s > e:
            raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
        merged = int(np.prod(shape[s : e + 1]))
        return Reshape.apply(self, shape=shape[:s] + (merged,) + shape[e + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        nd = self.data.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(f"unsqueeze: dim {dim} is out of range for {nd - 1} dimension(s)")
        dim %= nd
        shape = self.data.shape
        return Reshape.apply(self, shape=shape[:dim] + (1,) + shape[dim:])

    def squeeze(self, dim: int | None = None) -> Tensor:
        """Drop size-1 dimensions (only ``dim`` when given; a no-op if it is not size 1)."""
        shape = self.data.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            d = _normalize_axes(dim, len(shape))[0]  # type: ignore[index]
            if not shape or shape[d] != 1:
                return self
            new = shape[:d] + shape[d + 1 :]
        return Reshape.apply(self, shape=new)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        nd = self.data.ndim
        axes = tuple(int(d) % max(nd, 1) for d in dims)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"permute: {dims} is not a permutation of {nd} dimensions")
        return Permute.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        nd = self.data.ndim
        axes = list(range(nd))
        d0, d1 = dim0 % nd, dim1 % nd
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return Permute.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return Permute.apply(self, axes=tuple(range(self.data.ndim - 1, -1, -1)))

    def expand(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        full = tuple(
            self.data.shape[i - (len(shape) - self.data.ndim)] if n == -1 else n
            for i, n in enumerate(shape)
        )
        return Expand.apply(self, shape=full)

    def __getitem__(self, index: Any) -> Tensor:
        return Index.apply(self, index=_convert_index(index))

    def __setitem__(self, index: Any, value: Any) -> None:
        if self.requires_grad and _grad_mode.enabled:
            raise RuntimeError(
                "in-place assignment to a tensor that requires grad; use torch-style "
                "`with no_grad():` or work on a detached copy"
            )
        value = value.data if isinstance(value, Tensor) else value
        self.data[_convert_index(index)] = value

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(len(self)):
            yield self[i]


def _eq(a: Any, b: Any) -> Any:
    return a == b


def _ne(a: Any, b: Any) -> Any:
    return a != b


def _lt(a: Any, b: Any) -> Any:
    return a < b


def _le(a: Any, b: Any) -> Any:
    return a <= b


def _gt(a: Any, b: Any) -> Any:
    return a > b


def _ge(a: Any, b: Any) -> Any:
    return a >= b


def _convert_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays (int arrays, boolean masks)."""
    if isinstance(index, Tensor):
        return index.data
    if isinstance(index, tuple):
        return tuple(i.data if isinstance(i, Tensor) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic_index(index: Any) -> bool:
    """True when indexing makes a view (ints, slices, None, Ellipsis): no index repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer)) for i in items)


def _accumulate_leaf(t: Tensor, g: Any) -> None:
    """Add a gradient into a leaf's ``.grad``, always as a fresh array in the leaf's dtype.

    The copy matters: backward passes may hand the same array to several inputs (``a + b``),
    and ``.grad`` must never alias another tensor's gradient or data.
    """
    if not t.requires_grad:
        return
    xp = np if type(t.data) is _ndarray else backend.array_module(t.data)
    if t.grad is None:
        t.grad = Tensor._wrap(xp.array(g, dtype=t.data.dtype))
    else:
        t.grad.data = t.grad.data + g
        if t.grad.data.dtype != t.data.dtype:
            t.grad.data = t.grad.data.astype(t.data.dtype)


def _topological_order(root: Tensor) -> list[Tensor]:
    """Tensors reachable from ``root`` (that need a gradient), root first, parents last.

    Iterative depth-first search, so graph depth is limited by memory, not by recursion.
    """
    post: list[Tensor] = []
    visited: set[int] = set()
    stack: list[tuple[Tensor, bool]] = [(root, False)]
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


# ----------------------------------------------------------------------------------------
# Factories and joins


def tensor(
    data: Any, dtype: Any = None, requires_grad: bool = False, device: str | None = None
) -> Tensor:
    """Make a tensor from data, inferring the dtype like ``torch.tensor``.

    Python floats become float32, Python ints int64 and bools bool; numpy arrays keep
    their dtype unless ``dtype`` is given.
    """
    if isinstance(data, Tensor):
        arr = data.data
    elif isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "__cuda_array_interface__"):
        arr = data
    else:
        arr = np.asarray(data)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype.kind not in "iub":
            raise TypeError(f"tensor() cannot be made from {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(np.dtype(dtype))
    else:
        arr = backend.array_module(arr).array(arr, copy=True)
    return Tensor(arr, requires_grad=requires_grad, device=device)


def zeros(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.zeros(shape, dtype=dtype), requires_grad=requires_grad)


def ones(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return Tensor(np.ones(shape, dtype=dtype), requires_grad=requires_grad)


def randn(*shape: Any, dtype: Any = np.float32, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the shared generator (see ``manual_seed``)."""
    from neurocanvas.core.random import default_rng

    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    data = default_rng().standard_normal(shape).astype(dtype)
    return Tensor(data, requires_grad=requires_grad)


def cat(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    ts = tuple(tensors)
    if not ts:
        raise ValueError("cat() needs at least one tensor")
    nd = ts[0].data.ndim
    if any(t.data.ndim != nd for t in ts):
        raise ValueError(f"cat(): all tensors need {nd} dimensions, got {[t.shape for t in ts]}")
    return Cat.apply(*ts, axis=dim % max(nd, 1))


def stack(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    ts = tuple(tensors)
    if not ts:
        raise ValueError("stack() needs at least one tensor")
    shape = ts[0].data.shape
    if any(t.data.shape != shape for t in ts):
        raise ValueError(f"stack(): all tensors need the same shape, got {[t.shape for t in ts]}")
    return Stack.apply(*ts, axis=dim % (len(shape) + 1))


# ----------------------------------------------------------------------------------------
# Elementwise binary operations (broadcasting; gradients summed back with unbroadcast)


class Add(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g: Any) -> tuple[Any, ...]:
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(g, sb) if nb else None)


class Sub(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g: Any) -> tuple[Any, ...]:
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(-g, sb) if nb else None)


class Mul(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return a * b

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b = self.saved  # type: ignore[misc]
        na, nb = self.needs_input_grad
        return (
            unbroadcast(g * b, a.shape) if na else None,
            unbroadcast(g * a, b.shape) if nb else None,
        )


class Div(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b = self.saved  # type: ignore[misc]
        na, nb = self.needs_input_grad
        gb = unbroadcast(-g * a / (b * b), b.shape) if nb else None
        return (unbroadcast(g / b, a.shape) if na else None, gb)


class PowScalar(Function):
    def forward(self, a: Any, exponent: float) -> Any:
        self.save_for_backward(a)
        self.exponent = exponent
        return a**exponent

    def backward(self, g: Any) -> tuple[Any, ...]:
        (a,) = self.saved  # type: ignore[misc]
        p = self.exponent
        if p == 2:
            return (g * (2 * a),)
        return (g * (p * a ** (p - 1)),)


class Pow(Function):
    def forward(self, a: Any, b: Any) -> Any:
        out = a**b
        self.save_for_backward(a, b, out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b, out = self.saved  # type: ignore[misc]
        na, nb = self.needs_input_grad
        ga = unbroadcast(g * b * a ** (b - 1), a.shape) if na else None
        gb = None
        if nb:
            xp = self.xp
            # d(a^b)/db = a^b log a; define it as 0 where a == 0 (as PyTorch does)
            safe = xp.where(a > 0, a, 1)
            gb = unbroadcast(g * out * xp.log(safe), b.shape)
        return (ga, gb)


class MatMul(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return a @ b

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b = self.saved  # type: ignore[misc]
        na, nb = self.needs_input_grad
        if a.ndim == 2 and b.ndim == 2:
            return (g @ b.T if na else None, a.T @ g if nb else None)
        xp = self.xp
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1:
            g2 = xp.expand_dims(g2, -2 if b.ndim > 1 else 0)
        if b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        if na:
            ga = unbroadcast(g2 @ xp.swapaxes(b2, -1, -2), a2.shape).reshape(a.shape)
        if nb:
            gb = unbroadcast(xp.swapaxes(a2, -1, -2) @ g2, b2.shape).reshape(b.shape)
        return (ga, gb)


# ----------------------------------------------------------------------------------------
# Elementwise unary operations


class Neg(Function):
    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (-g,)


class Clone(Function):
    def forward(self, a: Any) -> Any:
        return a.copy()

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g,)


class Exp(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.exp(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.saved[0],)  # type: ignore[index]


class Log(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.log(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g / self.saved[0],)  # type: ignore[index]


class Sqrt(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.sqrt(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g / (2 * self.saved[0]),)  # type: ignore[index]


class Abs(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.abs(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.xp.sign(self.saved[0]),)  # type: ignore[index]


class Tanh(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.tanh(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        out = self.saved[0]  # type: ignore[index]
        return (g * (1 - out * out),)


class Sigmoid(Function):
    def forward(self, a: Any) -> Any:
        # exp(-log(1 + e^-x)) never overflows and stays accurate for very negative x
        out = self.xp.exp(-self.xp.logaddexp(0, -a))
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        out = self.saved[0]  # type: ignore[index]
        return (g * out * (1 - out),)


class Relu(Function):
    def forward(self, a: Any) -> Any:
        mask = a > 0
        self.save_for_backward(mask)
        return a * mask

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.saved[0],)  # type: ignore[index]


class Clip(Function):
    def forward(self, a: Any, lo: float | None, hi: float | None) -> Any:
        xp = self.xp
        if self.needs_input_grad[0]:
            mask = xp.ones(a.shape, dtype=bool)
            if lo is not None:
                mask &= a >= lo
            if hi is not None:
                mask &= a <= hi
            self.save_for_backward(mask)
        return xp.clip(a, lo, hi)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.saved[0],)  # type: ignore[index]


class Cast(Function):
    def forward(self, a: Any, dtype: Any) -> Any:
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g.astype(self.src),)


class ToDevice(Function):
    def forward(self, a: Any, device: str) -> Any:
        self.src = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (backend.to_device(g, self.src),)


# ----------------------------------------------------------------------------------------
# Reductions


class Sum(Function):
    def forward(self, a: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        self.shape = a.shape
        self.kshape = _keepdims_shape(a.shape, axes)
        return a.sum(axis=axes, keepdims=keepdims)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (_spread(g, self.xp, self.shape, self.kshape),)


class Mean(Function):
    def forward(self, a: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        self.shape = a.shape
        self.kshape = _keepdims_shape(a.shape, axes)
        out = a.sum(axis=axes, keepdims=keepdims)
        self.count = a.size // max(out.size, 1) if a.size else 1
        return out / self.count

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (_spread(g / self.count, self.xp, self.shape, self.kshape),)


class ExtremeAll(Function):
    """max()/min() over all elements; ties share the gradient evenly (as PyTorch does)."""

    def forward(self, a: Any, is_max: bool) -> Any:
        out = a.max() if is_max else a.min()
        self.save_for_backward(a, out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, out = self.saved  # type: ignore[misc]
        mask = a == out
        return (mask * (g / mask.sum()),)


class TakeAlong(Function):
    """Values at given indices along one axis (the values of ``max(dim)``)."""

    def forward(self, a: Any, index: Any, axis: int, keepdims: bool) -> Any:
        self.shape, self.dtype = a.shape, a.dtype
        self.index, self.axis, self.keepdims = index, axis, keepdims
        out = self.xp.take_along_axis(a, index, axis=axis)
        return out if keepdims else out.squeeze(axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        xp = self.xp
        if not self.keepdims:
            g = xp.expand_dims(g, self.axis)
        # one-hot of the chosen index along the axis (CuPy lacks put_along_axis)
        n = self.shape[self.axis]
        positions = xp.arange(n).reshape((n,) + (1,) * (len(self.shape) - self.axis - 1))
        return ((positions == self.index) * g,)


# ----------------------------------------------------------------------------------------
# Shape operations


class Reshape(Function):
    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        try:
            return a.reshape(shape)
        except ValueError:
            raise ValueError(
                f"cannot reshape a tensor of shape {a.shape} ({a.size} elements) into {shape}"
            ) from None

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g.reshape(self.shape),)


class Permute(Function):
    def forward(self, a: Any, axes: tuple[int, ...]) -> Any:
        self.axes = axes
        return a.transpose(axes)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g.transpose(np.argsort(self.axes)),)


class Expand(Function):
    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return self.xp.broadcast_to(a, shape)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (unbroadcast(g, self.shape),)


class Index(Function):
    """``x[index]``; the gradient is scattered back, adding up repeated indices."""

    def forward(self, a: Any, index: Any) -> Any:
        self.shape, self.index = a.shape, index
        try:
            return a[index]
        except IndexError as exc:
            raise IndexError(
                f"index {index!r} is invalid for a tensor of shape {a.shape}: {exc}"
            ) from None

    def backward(self, g: Any) -> tuple[Any, ...]:
        xp = self.xp
        out = xp.zeros(self.shape, dtype=g.dtype)
        if _is_basic_index(self.index):
            out[self.index] = g
        else:
            xp.add.at(out, self.index, g)
        return (out,)


class Cat(Function):
    def forward(self, *arrays: Any, axis: int) -> Any:
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return tuple(self.xp.split(g, self.splits, axis=self.axis))


class Stack(Function):
    def forward(self, *arrays: Any, axis: int) -> Any:
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        n = g.shape[self.axis]
        return tuple(self.xp.take(g, i, axis=self.axis) for i in range(n))
