"""Tensors: n-dimensional arrays that record the operations applied to them.

The graph nodes and the backward walk are in ``autograd.py``, the operations in ``_ops.py``.
Names and semantics follow PyTorch so that what a person learns here carries over.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Iterable, Sequence
from types import ModuleType
from typing import Any

import numpy as np

from neurocanvas.core import backend
from neurocanvas.core._ops import (
    AbsBackward0,
    AddBackward0,
    CatBackward0,
    ClampBackward1,
    CloneBackward0,
    DivBackward0,
    ExpandBackward0,
    ExpBackward0,
    IndexBackward0,
    LogBackward0,
    LogSoftmaxBackward0,
    MaxBackward0,
    MaxBackward1,
    MeanBackward0,
    MeanBackward1,
    MinBackward0,
    MinBackward1,
    MmBackward0,
    MulBackward0,
    NegBackward0,
    PermuteBackward0,
    PowBackward0,
    PowBackward1,
    ReluBackward0,
    SigmoidBackward0,
    SoftmaxBackward0,
    SqrtBackward0,
    StackBackward0,
    SubBackward0,
    SumBackward0,
    SumBackward1,
    TanhBackward0,
    ToCopyBackward0,
    ToDeviceBackward0,
    TransposeBackward0,
    ViewBackward0,
    _normalize_axes,
    _softmax_dim,
)
from neurocanvas.core.autograd import (
    Function,
    TensorBase,
    _grad_mode,
    enable_grad,
    is_grad_enabled,
    no_grad,
    run_backward,
    unbroadcast,
)
from neurocanvas.core.random import default_rng

__all__ = [
    "Function",
    "MaxResult",
    "MinResult",
    "Tensor",
    "cat",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "ones",
    "randn",
    "stack",
    "tensor",
    "unbroadcast",
    "zeros",
]

_ndarray = np.ndarray

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


class Tensor(TensorBase):
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

    __slots__ = ()  # the fields live in TensorBase (autograd.py)
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
        return CloneBackward0.apply(self)

    def contiguous(self) -> Tensor:
        return self

    def to(self, target: Any) -> Tensor:
        """Move to a device (``"cpu"``/``"cuda"``) or cast to a dtype; gradients flow through."""
        if isinstance(target, str):
            if backend.normalize_device(target) == self.device:
                return self
            return ToDeviceBackward0.apply(self, device=backend.normalize_device(target))
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
        return ToCopyBackward0.apply(self, dtype=dtype)

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
        run_backward(self, g, retain_graph)

    # -- operators -----------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return AddBackward0.apply(self, _const(other, self.data))

    def __radd__(self, other: Any) -> Tensor:
        return AddBackward0.apply(_const(other, self.data), self)

    def __sub__(self, other: Any) -> Tensor:
        return SubBackward0.apply(self, _const(other, self.data))

    def __rsub__(self, other: Any) -> Tensor:
        return SubBackward0.apply(_const(other, self.data), self)

    def __mul__(self, other: Any) -> Tensor:
        return MulBackward0.apply(self, _const(other, self.data))

    def __rmul__(self, other: Any) -> Tensor:
        return MulBackward0.apply(_const(other, self.data), self)

    def __truediv__(self, other: Any) -> Tensor:
        return DivBackward0.apply(self, _const(other, self.data))

    def __rtruediv__(self, other: Any) -> Tensor:
        return DivBackward0.apply(_const(other, self.data), self)

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            return PowBackward0.apply(self, exponent=other)
        return PowBackward1.apply(self, _const(other, self.data))

    def __rpow__(self, other: Any) -> Tensor:
        return PowBackward1.apply(_const(other, self.data), self)

    def __matmul__(self, other: Any) -> Tensor:
        return MmBackward0.apply(self, _const(other, self.data))

    def __rmatmul__(self, other: Any) -> Tensor:
        return MmBackward0.apply(_const(other, self.data), self)

    def __neg__(self) -> Tensor:
        return NegBackward0.apply(self)

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
        return NegBackward0.apply(self)

    def exp(self) -> Tensor:
        return ExpBackward0.apply(self)

    def log(self) -> Tensor:
        return LogBackward0.apply(self)

    def sqrt(self) -> Tensor:
        return SqrtBackward0.apply(self)

    def abs(self) -> Tensor:
        return AbsBackward0.apply(self)

    def tanh(self) -> Tensor:
        return TanhBackward0.apply(self)

    def sigmoid(self) -> Tensor:
        return SigmoidBackward0.apply(self)

    def relu(self) -> Tensor:
        return ReluBackward0.apply(self)

    def clip(self, min: float | None = None, max: float | None = None) -> Tensor:  # noqa: A002
        """Limit values to ``[min, max]``; the gradient passes where the input is inside."""
        if min is None and max is None:
            raise ValueError("clip() needs at least one of min and max")
        return ClampBackward1.apply(self, lo=min, hi=max)

    clamp = clip

    def softmax(self, dim: int) -> Tensor:
        return SoftmaxBackward0.apply(self, axis=_softmax_dim(self.data.ndim, dim, "softmax"))

    def log_softmax(self, dim: int) -> Tensor:
        return LogSoftmaxBackward0.apply(
            self, axis=_softmax_dim(self.data.ndim, dim, "log_softmax")
        )

    # -- reductions ----------------------------------------------------------------------

    def sum(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        node = SumBackward0 if dim is None else SumBackward1
        return node.apply(self, axes=_normalize_axes(dim, self.data.ndim), keepdims=keepdim)

    def mean(self, dim: int | Sequence[int] | None = None, keepdim: bool = False) -> Tensor:
        node = MeanBackward0 if dim is None else MeanBackward1
        return node.apply(self, axes=_normalize_axes(dim, self.data.ndim), keepdims=keepdim)

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
            return (MaxBackward1 if is_max else MinBackward1).apply(self, is_max=is_max)
        axis = _normalize_axes(dim, self.data.ndim)[0]  # type: ignore[index]
        xp = self.xp
        idx = (xp.argmax if is_max else xp.argmin)(self.data, axis=axis)
        idx_keep = xp.expand_dims(idx, axis)
        values = (MaxBackward0 if is_max else MinBackward0).apply(
            self, index=idx_keep, axis=axis, keepdims=keepdim
        )
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
        return ViewBackward0.apply(self, shape=shape)

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
        return ViewBackward0.apply(self, shape=shape[:s] + (merged,) + shape[e + 1 :])

    def unsqueeze(self, dim: int) -> Tensor:
        nd = self.data.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(f"unsqueeze: dim {dim} is out of range for {nd - 1} dimension(s)")
        dim %= nd
        shape = self.data.shape
        return ViewBackward0.apply(self, shape=shape[:dim] + (1,) + shape[dim:])

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
        return ViewBackward0.apply(self, shape=new)

    def permute(self, *dims: Any) -> Tensor:
        if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
            dims = tuple(dims[0])
        nd = self.data.ndim
        axes = tuple(int(d) % max(nd, 1) for d in dims)
        if sorted(axes) != list(range(nd)):
            raise ValueError(f"permute: {dims} is not a permutation of {nd} dimensions")
        return PermuteBackward0.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> Tensor:
        nd = self.data.ndim
        axes = list(range(nd))
        d0, d1 = dim0 % nd, dim1 % nd
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return TransposeBackward0.apply(self, axes=tuple(axes))

    @property
    def T(self) -> Tensor:  # noqa: N802 - PyTorch's name
        return PermuteBackward0.apply(self, axes=tuple(range(self.data.ndim - 1, -1, -1)))

    def expand(self, *shape: Any) -> Tensor:
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        full = tuple(
            self.data.shape[i - (len(shape) - self.data.ndim)] if n == -1 else n
            for i, n in enumerate(shape)
        )
        return ExpandBackward0.apply(self, shape=full)

    def __getitem__(self, index: Any) -> Tensor:
        return IndexBackward0.apply(self, index=_convert_index(index))

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


TensorBase._result_type = Tensor  # results of ops and gradients are plain Tensors


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
    return CatBackward0.apply(*ts, axis=dim % max(nd, 1))


def stack(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    ts = tuple(tensors)
    if not ts:
        raise ValueError("stack() needs at least one tensor")
    shape = ts[0].data.shape
    if any(t.data.shape != shape for t in ts):
        raise ValueError(f"stack(): all tensors need the same shape, got {[t.shape for t in ts]}")
    return StackBackward0.apply(*ts, axis=dim % (len(shape) + 1))
