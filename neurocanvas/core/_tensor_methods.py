"""The everyday Tensor methods: math, comparisons, reductions, shapes and in-place fills.

A mixin of :class:`~neurocanvas.core.tensor.Tensor` (kept apart so that each file reads on its
own); every method works on ``self.array`` and returns tensors made by the ops in ``_ops.py``
or by :func:`~neurocanvas.core.autograd.wrap` for results without a gradient (comparisons,
indices). Overloads and defaults are PyTorch's.

Length: over ~400 lines because it mirrors PyTorch's Tensor method list, which is long; each
method is a few lines.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Callable
from typing import Any

import numpy as np

from neurocanvas.core._ops import (
    AbsBackward0,
    ClampBackward1,
    CosBackward0,
    ExpandBackward0,
    ExpBackward0,
    GatherBackward0,
    LogBackward0,
    LogSoftmaxBackward0,
    MaskedFillBackward0,
    MaxBackward0,
    MaxBackward1,
    MaximumBackward0,
    MeanBackward0,
    MeanBackward1,
    MinBackward0,
    MinBackward1,
    MinimumBackward0,
    NegBackward0,
    PermuteBackward0,
    ReluBackward0,
    RepeatBackward0,
    RoundBackward0,
    SigmoidBackward0,
    SinBackward0,
    SoftmaxBackward0,
    SqrtBackward0,
    SumBackward0,
    SumBackward1,
    TanhBackward0,
    TransposeBackward0,
    ViewBackward0,
    WhereBackward0,
    _normalize_axes,
    _softmax_dim,
)
from neurocanvas.core._types import Size
from neurocanvas.core.autograd import TensorBase, wrap
from neurocanvas.core.random import default_rng

__all__ = ["MaxResult", "MinResult", "TensorMethods", "convert_index"]


class _ValuesIndices(namedtuple("_ValuesIndices", ["values", "indices"])):
    """``(values, indices)`` as PyTorch returns from ``max(dim)`` / ``min(dim)``.

    It also answers tensor attributes with its ``values`` (``x.max(dim=1).numpy()``,
    ``.sum().backward()``): DESIGN.md's API lists ``max(dim=None, keepdim=False)`` among the
    reductions, and code written against it treats the result as the values. Unpacking and
    ``.values`` / ``.indices`` behave exactly as in PyTorch.
    """

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.values, name)


class MaxResult(_ValuesIndices):
    __slots__ = ()


class MinResult(_ValuesIndices):
    __slots__ = ()


SortResult = namedtuple("SortResult", ["values", "indices"])
TopkResult = namedtuple("TopkResult", ["values", "indices"])


def convert_index(index: Any) -> Any:
    """Replace tensors inside an index by their arrays (int arrays, boolean masks)."""
    if isinstance(index, TensorBase):
        return index.array
    if isinstance(index, tuple):
        return tuple(i.array if isinstance(i, TensorBase) else i for i in index)
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _raw(other: Any) -> Any:
    return other.array if isinstance(other, TensorBase) else other


def _sizes(args: tuple[Any, ...]) -> tuple[int, ...]:
    """``f(2, 3)`` and ``f((2, 3))`` both mean the sizes (2, 3)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(int(a) for a in args[0])
    return tuple(int(a) for a in args)


class TensorMethods:
    """Methods shared by every Tensor (see the module docstring)."""

    __slots__ = ()

    array: Any
    requires_grad: bool

    def _inplace(self, compute: Callable[[Any], Any]) -> Any:  # defined by Tensor
        raise NotImplementedError

    # -- sizes -----------------------------------------------------------------------------

    def size(self, dim: int | None = None) -> Any:
        """The shape as a ``torch.Size``, or the length of one dimension."""
        if dim is None:
            return Size(self.array.shape)
        return self.array.shape[dim]

    def dim(self) -> int:
        return self.array.ndim  # type: ignore[no-any-return]

    def numel(self) -> int:
        return int(self.array.size)

    nelement = numel

    def is_floating_point(self) -> bool:
        return self.array.dtype.kind == "f"  # type: ignore[no-any-return]

    # -- elementwise ---------------------------------------------------------------------

    def add(self, other: Any, alpha: float = 1) -> Any:
        return self + (other if alpha == 1 else other * alpha)  # type: ignore[operator]

    def sub(self, other: Any, alpha: float = 1) -> Any:
        return self - (other if alpha == 1 else other * alpha)  # type: ignore[operator]

    def mul(self, other: Any) -> Any:
        return self * other  # type: ignore[operator]

    def div(self, other: Any, rounding_mode: str | None = None) -> Any:
        if rounding_mode is None:
            return self / other  # type: ignore[operator]
        q = self.array / _raw(other)
        if rounding_mode == "floor":
            q = np.floor(q) if isinstance(q, np.ndarray) else q.__floor__()
        elif rounding_mode == "trunc":
            q = np.trunc(q)
        else:
            raise ValueError(
                f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}"
            )
        return wrap(q.astype(np.result_type(self.array, _raw(other))))

    true_divide = div

    def pow(self, exponent: Any) -> Any:
        return self**exponent  # type: ignore[operator]

    def matmul(self, other: Any) -> Any:
        return self @ other  # type: ignore[operator]

    mm = matmul
    bmm = matmul
    dot = matmul

    def neg(self) -> Any:
        return NegBackward0.apply(self)

    def exp(self) -> Any:
        return ExpBackward0.apply(self._floating())

    def log(self) -> Any:
        return LogBackward0.apply(self._floating())

    def sqrt(self) -> Any:
        return SqrtBackward0.apply(self._floating())

    def sin(self) -> Any:
        return SinBackward0.apply(self._floating())

    def cos(self) -> Any:
        return CosBackward0.apply(self._floating())

    def abs(self) -> Any:
        return AbsBackward0.apply(self)

    def square(self) -> Any:
        return self * self  # type: ignore[operator]

    def tanh(self) -> Any:
        return TanhBackward0.apply(self._floating())

    def sigmoid(self) -> Any:
        return SigmoidBackward0.apply(self._floating())

    def relu(self) -> Any:
        return ReluBackward0.apply(self)

    def _floating(self) -> Any:
        """Integer tensors go through float32 for exp/log/... (``torch.arange(3).exp()``)."""
        return self if self.array.dtype.kind in "fc" else self.type(np.float32)  # type: ignore[attr-defined]

    def round(self, decimals: int = 0) -> Any:
        return RoundBackward0.apply(self, fn=lambda a: a.round(decimals))

    def floor(self) -> Any:
        return RoundBackward0.apply(self, fn=np.floor)

    def ceil(self) -> Any:
        return RoundBackward0.apply(self, fn=np.ceil)

    def sign(self) -> Any:
        return RoundBackward0.apply(self, fn=np.sign)

    def clamp(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
        """Limit values to ``[min, max]``; the gradient passes where the input is inside."""
        if min is None and max is None:
            raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
        if isinstance(min, TensorBase) or isinstance(max, TensorBase):
            out = self
            if min is not None:
                out = out.maximum(min)  # type: ignore[attr-defined]
            if max is not None:
                out = out.minimum(max)  # type: ignore[attr-defined]
            return out
        return ClampBackward1.apply(self, lo=min, hi=max)

    clip = clamp

    def maximum(self, other: Any) -> Any:
        return MaximumBackward0.apply(self, _tensor(other, self), is_max=True)

    def minimum(self, other: Any) -> Any:
        return MinimumBackward0.apply(self, _tensor(other, self), is_max=False)

    def softmax(self, dim: int) -> Any:
        return SoftmaxBackward0.apply(self, axis=_softmax_dim(self.array.ndim, dim, "softmax"))

    def log_softmax(self, dim: int) -> Any:
        axis = _softmax_dim(self.array.ndim, dim, "log_softmax")
        return LogSoftmaxBackward0.apply(self, axis=axis)

    def where(self, condition: Any, other: Any) -> Any:
        """``self`` where ``condition`` holds, ``other`` elsewhere (``torch.where``)."""
        return WhereBackward0.apply(self, _tensor(other, self), condition=_raw(condition))

    def masked_fill(self, mask: Any, value: Any) -> Any:
        return MaskedFillBackward0.apply(self, mask=_raw(mask), value=_raw(value))

    # -- comparisons (no gradient) -------------------------------------------------------

    def _compare(self, other: Any, op: Callable[[Any, Any], Any]) -> Any:
        return wrap(op(self.array, _raw(other)))

    def __eq__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, _eq)

    def __ne__(self, other: Any) -> Any:  # type: ignore[override]
        return self._compare(other, _ne)

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, _lt)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, _le)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, _gt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, _ge)

    eq, ne, lt, le, gt, ge = __eq__, __ne__, __lt__, __le__, __gt__, __ge__

    def equal(self, other: Any) -> bool:
        """True when shapes and all values are the same (``torch.equal``)."""
        b = _raw(other)
        return bool(self.array.shape == b.shape and (self.array == b).all())

    def isclose(
        self, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
    ) -> Any:
        return wrap(np.isclose(self.array, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def allclose(
        self, other: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
    ) -> bool:
        return bool(np.allclose(self.array, _raw(other), rtol=rtol, atol=atol, equal_nan=equal_nan))

    def logical_not(self) -> Any:
        return wrap(np.logical_not(self.array))

    def isnan(self) -> Any:
        return wrap(np.isnan(self.array))

    # -- reductions ----------------------------------------------------------------------

    def sum(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        src: Any = self if dtype is None else self.type(dtype)  # type: ignore[attr-defined]
        if src.array.dtype.kind in "bu" or (
            src.array.dtype.kind == "i" and src.array.dtype.itemsize < 8
        ):
            src = src.type(np.int64)  # PyTorch sums integers and bools as int64
        node = SumBackward0 if dim is None else SumBackward1
        return node.apply(src, axes=_normalize_axes(dim, src.array.ndim), keepdims=keepdim)

    def mean(self, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Any:
        src = self if dtype is None else self.type(dtype)  # type: ignore[attr-defined]
        if src.array.dtype.kind not in "fc":
            raise RuntimeError(
                "mean(): could not infer output dtype. Input dtype must be either a floating "
                f"point or complex dtype. Got: {src.array.dtype}"
            )
        node = MeanBackward0 if dim is None else MeanBackward1
        return node.apply(src, axes=_normalize_axes(dim, src.array.ndim), keepdims=keepdim)

    def var(
        self,
        dim: Any = None,
        unbiased: bool = True,
        keepdim: bool = False,
        *,
        correction: int | None = None,
    ) -> Any:
        """Variance; divides by ``n - 1`` by default (``unbiased``/``correction`` as PyTorch)."""
        axes = _normalize_axes(dim, self.array.ndim)
        n = self.array.size if axes is None else int(np.prod([self.array.shape[a] for a in axes]))
        ddof = int(unbiased) if correction is None else correction
        centered = self - self.mean(dim=axes, keepdim=True)  # type: ignore[operator]
        return (centered * centered).sum(dim=axes, keepdim=keepdim) / max(n - ddof, 1)

    def std(
        self,
        dim: Any = None,
        unbiased: bool = True,
        keepdim: bool = False,
        *,
        correction: int | None = None,
    ) -> Any:
        return self.var(dim=dim, unbiased=unbiased, keepdim=keepdim, correction=correction).sqrt()

    def max(self, dim: Any = None, keepdim: bool = False) -> Any:
        """``max()`` is a 0-d tensor; ``max(dim)`` is ``(values, indices)``; ``max(other)``
        the elementwise maximum, as PyTorch's three overloads.

        The gradient of ``max()`` is split evenly among tied maxima; that of ``max(dim)`` goes
        to the element whose index is returned (the first maximum).
        """
        if isinstance(dim, TensorBase):
            return self.maximum(dim)
        return self._extreme(dim, keepdim, True)

    def min(self, dim: Any = None, keepdim: bool = False) -> Any:
        """Like :meth:`max`, for the minimum."""
        if isinstance(dim, TensorBase):
            return self.minimum(dim)
        return self._extreme(dim, keepdim, False)

    def _extreme(self, dim: int | None, keepdim: bool, is_max: bool) -> Any:
        if self.array.size == 0:
            raise RuntimeError("max()/min() of an empty tensor")
        if dim is None:
            return (MaxBackward1 if is_max else MinBackward1).apply(self, is_max=is_max)
        axis = _normalize_axes(dim, self.array.ndim)[0]  # type: ignore[index]
        xp = self.xp  # type: ignore[attr-defined]
        idx = (xp.argmax if is_max else xp.argmin)(self.array, axis=axis)
        idx_keep = xp.expand_dims(idx, axis)
        node = MaxBackward0 if is_max else MinBackward0
        values = node.apply(self, index=idx_keep, axis=axis, keepdims=keepdim)
        return (MaxResult if is_max else MinResult)(values, wrap(idx_keep if keepdim else idx))

    def argmax(self, dim: int | None = None, keepdim: bool = False) -> Any:
        """Index of the largest value (flattened when ``dim`` is None); not differentiable."""
        return self._arg(np.argmax, dim, keepdim)

    def argmin(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return self._arg(np.argmin, dim, keepdim)

    def _arg(self, fn: Any, dim: int | None, keepdim: bool) -> Any:
        xp = self.xp  # type: ignore[attr-defined]
        f = getattr(xp, fn.__name__)
        if dim is None:
            out = xp.asarray(f(self.array))
            return wrap(out.reshape((1,) * self.array.ndim) if keepdim else out)
        return wrap(f(self.array, axis=dim, keepdims=keepdim))

    def norm(self, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Any:
        """Vector p-norm over ``dim`` (all elements by default); 2 and ``"fro"`` are the same."""
        if p in ("fro", 2, 2.0):
            return (self * self).sum(dim=dim, keepdim=keepdim).sqrt()  # type: ignore[operator]
        if p in (1, 1.0):
            return self.abs().sum(dim=dim, keepdim=keepdim)
        if p in (math.inf, float("inf")):
            return self.abs().amax(dim=dim, keepdim=keepdim)
        return (self.abs() ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)

    def amax(self, dim: Any = None, keepdim: bool = False) -> Any:
        if dim is None:
            return self.max()
        out = self
        for d in sorted(_normalize_axes(dim, self.array.ndim) or (), reverse=True):  # type: ignore[arg-type]
            out = out.max(d, keepdim=keepdim).values
        return out

    def any(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return wrap(self.xp.asarray(self.array.any(axis=dim, keepdims=keepdim)))  # type: ignore[attr-defined]

    def all(self, dim: int | None = None, keepdim: bool = False) -> Any:
        return wrap(self.xp.asarray(self.array.all(axis=dim, keepdims=keepdim)))  # type: ignore[attr-defined]

    def sort(self, dim: int = -1, descending: bool = False) -> Any:
        """``(values, indices)`` sorted along ``dim``; stable, like ``torch.sort(stable=True)``."""
        xp = self.xp  # type: ignore[attr-defined]
        key = -self.array if descending and self.array.dtype.kind != "b" else self.array
        idx = xp.argsort(key, axis=dim, kind="stable")
        return SortResult(self.gather(dim, wrap(idx)), wrap(idx))

    def argsort(self, dim: int = -1, descending: bool = False) -> Any:
        return self.sort(dim, descending).indices

    def topk(self, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
        """The ``k`` largest (or smallest) values along ``dim`` and their indices."""
        if not 0 <= k <= self.array.shape[dim]:
            raise RuntimeError(
                f"selected index k out of range: k={k}, size={self.array.shape[dim]}"
            )
        values, indices = self.sort(dim, descending=largest)
        index = [slice(None)] * self.array.ndim
        index[dim] = slice(0, k)
        idx = indices.array[tuple(index)]
        return TopkResult(self.gather(dim, wrap(idx)), wrap(idx))

    # -- shape ---------------------------------------------------------------------------

    def reshape(self, *shape: Any) -> Any:
        return ViewBackward0.apply(self, shape=_sizes(shape))

    view = reshape

    def view_as(self, other: Any) -> Any:
        return self.reshape(other.array.shape)

    reshape_as = view_as

    def flatten(self, start_dim: int = 0, end_dim: int = -1) -> Any:
        """Merge dimensions ``start_dim..end_dim`` into one."""
        shape = self.array.shape
        nd = len(shape)
        if nd == 0:
            return self.reshape(1)
        s, e = start_dim % nd, end_dim % nd
        if s > e:
            raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
        merged = int(np.prod(shape[s : e + 1]))
        return ViewBackward0.apply(self, shape=shape[:s] + (merged,) + shape[e + 1 :])

    def unsqueeze(self, dim: int) -> Any:
        nd = self.array.ndim + 1
        if not -nd <= dim < nd:
            raise IndexError(
                f"Dimension out of range (expected to be in range of [{-nd}, {nd - 1}], "
                f"but got {dim})"
            )
        dim %= nd
        shape = self.array.shape
        return ViewBackward0.apply(self, shape=shape[:dim] + (1,) + shape[dim:])

    def squeeze(self, dim: int | None = None) -> Any:
        """Drop size-1 dimensions (only ``dim`` when given; a no-op if it is not size 1)."""
        shape = self.array.shape
        if dim is None:
            new = tuple(n for n in shape if n != 1)
        else:
            d = _normalize_axes(dim, len(shape))[0]  # type: ignore[index]
            if not shape or shape[d] != 1:
                return self
            new = shape[:d] + shape[d + 1 :]
        return ViewBackward0.apply(self, shape=new)

    def permute(self, *dims: Any) -> Any:
        nd = self.array.ndim
        axes = tuple(d % max(nd, 1) for d in _sizes(dims))
        if sorted(axes) != list(range(nd)):
            raise RuntimeError(f"permute: {dims} is not a permutation of {nd} dimensions")
        return PermuteBackward0.apply(self, axes=axes)

    def transpose(self, dim0: int, dim1: int) -> Any:
        nd = self.array.ndim
        axes = list(range(nd))
        d0, d1 = dim0 % nd, dim1 % nd
        axes[d0], axes[d1] = axes[d1], axes[d0]
        return TransposeBackward0.apply(self, axes=tuple(axes))

    def t(self) -> Any:
        """Transpose of a matrix (a 0-d or 1-d tensor is returned as is), as ``torch.t``."""
        if self.array.ndim > 2:
            raise RuntimeError(
                f"t() expects a tensor with <= 2 dimensions, but self is {self.array.ndim}D"
            )
        return self if self.array.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self) -> Any:  # noqa: N802 - PyTorch's name
        return PermuteBackward0.apply(self, axes=tuple(range(self.array.ndim - 1, -1, -1)))

    def expand(self, *shape: Any) -> Any:
        sizes = _sizes(shape)
        lead = len(sizes) - self.array.ndim
        full = tuple(self.array.shape[i - lead] if n == -1 else n for i, n in enumerate(sizes))
        return ExpandBackward0.apply(self, shape=full)

    def expand_as(self, other: Any) -> Any:
        return self.expand(other.array.shape)

    def repeat(self, *sizes: Any) -> Any:
        reps = _sizes(sizes)
        if len(reps) < self.array.ndim:
            raise RuntimeError(
                "Number of dimensions of repeat dims can not be smaller than number of "
                "dimensions of tensor"
            )
        return RepeatBackward0.apply(self, reps=reps)

    def gather(self, dim: int, index: Any) -> Any:
        """Values at ``index`` along ``dim`` (``out[i][j] = self[i][index[i][j]]`` for dim 1)."""
        idx = _raw(index)
        if idx.dtype.kind not in "iu":
            raise RuntimeError("gather(): Expected dtype int64 for index")
        return GatherBackward0.apply(self, index=idx, axis=dim % max(self.array.ndim, 1))

    def chunk(self, chunks: int, dim: int = 0) -> tuple[Any, ...]:
        """Split into ``chunks`` pieces of ``ceil(n / chunks)`` along ``dim`` (the last smaller)."""
        n = self.array.shape[dim]
        return self.split(max(1, -(-n // chunks)), dim)

    def split(self, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
        n = self.array.shape[dim]
        if isinstance(split_size_or_sections, int):
            step = split_size_or_sections
            bounds = [(i, min(i + step, n)) for i in range(0, n, step)]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n}")
            starts = np.cumsum([0, *sizes[:-1]])
            bounds = [(int(s), int(s) + k) for s, k in zip(starts, sizes)]
        index: list[Any] = [slice(None)] * self.array.ndim
        pieces = []
        for lo, hi in bounds:
            index[dim] = slice(lo, hi)
            pieces.append(self[tuple(index)])  # type: ignore[index]
        return tuple(pieces)

    # -- in place (see Tensor._inplace for the rules) ------------------------------------

    def add_(self, other: Any, alpha: float = 1) -> Any:
        return self._inplace(lambda t: t.add(other, alpha=alpha))

    def sub_(self, other: Any, alpha: float = 1) -> Any:
        return self._inplace(lambda t: t.sub(other, alpha=alpha))

    def mul_(self, other: Any) -> Any:
        return self._inplace(lambda t: t * other)

    def div_(self, other: Any) -> Any:
        return self._inplace(lambda t: t / other)

    def pow_(self, exponent: Any) -> Any:
        return self._inplace(lambda t: t**exponent)

    def clamp_(self, min: Any = None, max: Any = None) -> Any:  # noqa: A002
        return self._inplace(lambda t: t.clamp(min, max))

    clip_ = clamp_

    def masked_fill_(self, mask: Any, value: Any) -> Any:
        return self._inplace(lambda t: t.masked_fill(mask, value))

    def zero_(self) -> Any:
        """Set every element to zero in place."""
        return self.fill_(0)

    def fill_(self, value: Any) -> Any:
        return self._inplace(
            # xp is Tensor's property, which this mixin cannot declare without clashing
            lambda t: wrap(self.xp.full(self.array.shape, _raw(value), dtype=self.array.dtype))  # type: ignore[attr-defined]
        )

    def copy_(self, src: Any) -> Any:
        """Copy values from ``src`` in place (cast to this tensor's dtype and device)."""
        arr = _raw(src)
        xp = self.xp  # type: ignore[attr-defined]
        full = xp.broadcast_to(xp.asarray(arr), self.array.shape).astype(self.array.dtype)
        return self._inplace(lambda t: wrap(full))

    def normal_(self, mean: float = 0.0, std: float = 1.0) -> Any:
        """Fill with normal samples from the shared generator (see ``manual_seed``)."""
        draw = default_rng().normal(mean, std, size=self.array.shape).astype(self.array.dtype)
        return self.copy_(draw)

    def uniform_(self, a: float = 0.0, b: float = 1.0) -> Any:
        draw = default_rng().uniform(a, b, size=self.array.shape).astype(self.array.dtype)
        return self.copy_(draw)


def _tensor(value: Any, like: Any) -> Any:
    """``value`` as a tensor on ``like``'s device, in its dtype when a Python number."""
    if isinstance(value, TensorBase):
        return value
    arr = np.asarray(value, dtype=like.array.dtype if np.isscalar(value) else None)
    return wrap(like.xp.asarray(arr))


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
