"""The differentiable operations behind Tensor's methods, one :class:`Function` each.

Each class has a ``forward`` on raw arrays (numpy or CuPy, ``self.xp``) and a ``backward``
that returns one gradient (or None) per tensor input; see ``autograd.py``. The fused
functional ops (linear, losses, batch norm) live in ``functional.py``, convolution and
pooling in ``_conv.py``.

Length: over ~400 lines because it holds one small Function per elementwise and shape operation
(dozens, a few lines each) sharing the same helpers; one list reads best.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Any

import numpy as np

from neurocanvas.core import _threads, backend
from neurocanvas.core.autograd import Function, unbroadcast

# ----------------------------------------------------------------------------------------
# Helpers


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


def _is_basic_index(index: Any) -> bool:
    """True when indexing makes a view (ints, slices, None, Ellipsis): no index repeats."""
    items = index if isinstance(index, tuple) else (index,)
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice, np.integer)) for i in items)


# ----------------------------------------------------------------------------------------
# Elementwise binary operations (broadcasting; gradients summed back with unbroadcast)


class AddBackward0(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a + b

    def backward(self, g: Any) -> tuple[Any, ...]:
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(g, sb) if nb else None)


class SubBackward0(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        return a - b

    def backward(self, g: Any) -> tuple[Any, ...]:
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        return (unbroadcast(g, sa) if na else None, unbroadcast(-g, sb) if nb else None)


class MulBackward0(Function):
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


class DivBackward0(Function):
    def forward(self, a: Any, b: Any) -> Any:
        self.save_for_backward(a, b)
        return a / b

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b = self.saved  # type: ignore[misc]
        na, nb = self.needs_input_grad
        gb = unbroadcast(-g * a / (b * b), b.shape) if nb else None
        return (unbroadcast(g / b, a.shape) if na else None, gb)


class PowBackward0(Function):
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


class PowBackward1(Function):
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


class MmBackward0(Function):
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


class NegBackward0(Function):
    def forward(self, a: Any) -> Any:
        return -a

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (-g,)


class CloneBackward0(Function):
    def forward(self, a: Any) -> Any:
        return a.copy()

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g,)


class ExpBackward0(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.exp(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.saved[0],)  # type: ignore[index]


class LogBackward0(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.log(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g / self.saved[0],)  # type: ignore[index]


class SqrtBackward0(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.sqrt(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g / (2 * self.saved[0]),)  # type: ignore[index]


class AbsBackward0(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.abs(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.xp.sign(self.saved[0]),)  # type: ignore[index]


class TanhBackward0(Function):
    def forward(self, a: Any) -> Any:
        out = self.xp.tanh(a)
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        out = self.saved[0]  # type: ignore[index]
        return (g * (1 - out * out),)


class SigmoidBackward0(Function):
    def forward(self, a: Any) -> Any:
        # exp(-log(1 + e^-x)) never overflows and stays accurate for very negative x
        out = self.xp.exp(-self.xp.logaddexp(0, -a))
        self.save_for_backward(out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        out = self.saved[0]  # type: ignore[index]
        return (g * out * (1 - out),)


class ReluBackward0(Function):
    """``max(x, 0)``, NaN kept (``x * (x > 0)``); large CPU arrays use both cores (``_threads``)."""

    def forward(self, a: Any) -> Any:
        if self.xp is not np or a.ndim == 0:
            mask = a > 0
            self.save_for_backward(mask)
            return a * mask
        mask = np.empty(a.shape, dtype=bool)
        out = np.empty(a.shape, dtype=np.result_type(a.dtype, bool))

        def op(rows: slice) -> None:
            np.greater(a[rows], 0, out=mask[rows])
            np.multiply(a[rows], mask[rows], out=out[rows])

        _threads.elementwise(op, a.size, a.shape[0])
        self.save_for_backward(mask)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        mask = self.saved[0]  # type: ignore[index]
        if self.xp is not np or g.ndim == 0 or g.shape != mask.shape:
            return (g * mask,)
        out = np.empty(g.shape, dtype=np.result_type(g.dtype, bool))

        def op(rows: slice) -> None:
            np.multiply(g[rows], mask[rows], out=out[rows])

        _threads.elementwise(op, g.size, g.shape[0])
        return (out,)


class ClampBackward1(Function):
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


class ToCopyBackward0(Function):
    def forward(self, a: Any, dtype: Any) -> Any:
        self.src = a.dtype
        return a.astype(dtype)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g.astype(self.src),)


class ToDeviceBackward0(Function):
    def forward(self, a: Any, device: str) -> Any:
        self.src = backend.device_of(a)
        return backend.to_device(a, device)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (backend.to_device(g, self.src),)


# ----------------------------------------------------------------------------------------
# Reductions


class SumBackward0(Function):
    def forward(self, a: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        self.shape = a.shape
        self.kshape = _keepdims_shape(a.shape, axes)
        return a.sum(axis=axes, keepdims=keepdims)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (_spread(g, self.xp, self.shape, self.kshape),)


class SumBackward1(SumBackward0):
    """``sum(dim)`` (PyTorch names the two overloads' nodes apart)."""


class MeanBackward0(Function):
    def forward(self, a: Any, axes: tuple[int, ...] | None, keepdims: bool) -> Any:
        self.shape = a.shape
        self.kshape = _keepdims_shape(a.shape, axes)
        out = a.sum(axis=axes, keepdims=keepdims)
        self.count = a.size // max(out.size, 1) if a.size else 1
        return out / self.count

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (_spread(g / self.count, self.xp, self.shape, self.kshape),)


class MeanBackward1(MeanBackward0):
    """``mean(dim)``."""


class _ExtremeAll(Function):
    """max()/min() over all elements; ties share the gradient evenly (as PyTorch does)."""

    def forward(self, a: Any, is_max: bool) -> Any:
        out = a.max() if is_max else a.min()
        self.save_for_backward(a, out)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, out = self.saved  # type: ignore[misc]
        mask = a == out
        return (mask * (g / mask.sum()),)


class MaxBackward1(_ExtremeAll):
    """``max()`` over all elements."""


class MinBackward1(_ExtremeAll):
    """``min()`` over all elements."""


class _TakeAlong(Function):
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


class MaxBackward0(_TakeAlong):
    """The values of ``max(dim)``."""


class MinBackward0(_TakeAlong):
    """The values of ``min(dim)``."""


# ----------------------------------------------------------------------------------------
# Shape operations


class ViewBackward0(Function):
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


class PermuteBackward0(Function):
    def forward(self, a: Any, axes: tuple[int, ...]) -> Any:
        self.axes = axes
        return a.transpose(axes)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g.transpose(np.argsort(self.axes)),)


class TransposeBackward0(PermuteBackward0):
    """``transpose(d0, d1)``: a permutation swapping two axes."""


class ExpandBackward0(Function):
    def forward(self, a: Any, shape: tuple[int, ...]) -> Any:
        self.shape = a.shape
        return self.xp.broadcast_to(a, shape)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (unbroadcast(g, self.shape),)


class IndexBackward0(Function):
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


class CatBackward0(Function):
    def forward(self, *arrays: Any, axis: int) -> Any:
        self.axis = axis
        self.splits = np.cumsum([a.shape[axis] for a in arrays])[:-1]
        return self.xp.concatenate(arrays, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return tuple(self.xp.split(g, self.splits, axis=self.axis))


class StackBackward0(Function):
    def forward(self, *arrays: Any, axis: int) -> Any:
        self.axis = axis
        return self.xp.stack(arrays, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        n = g.shape[self.axis]
        return tuple(self.xp.take(g, i, axis=self.axis) for i in range(n))


# ----------------------------------------------------------------------------------------
# Softmax family


def _softmax_dim(ndim: int, dim: int | None, where: str) -> int:
    if dim is None:
        # PyTorch's legacy implicit choice
        dim = 0 if ndim in (0, 1, 3) else 1
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{where}: dim {dim} is out of range for {ndim} dimension(s)")
    return dim % max(ndim, 1)


def _log_softmax_array(x: Any, axis: int, xp: Any) -> Any:
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - xp.log(xp.exp(shifted).sum(axis=axis, keepdims=True))


class SoftmaxBackward0(Function):
    def forward(self, a: Any, axis: int) -> Any:
        e = self.xp.exp(a - a.max(axis=axis, keepdims=True))
        out = e / e.sum(axis=axis, keepdims=True)
        self.save_for_backward(out)
        self.axis = axis
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        (out,) = self.saved  # type: ignore[misc]
        return (out * (g - (g * out).sum(axis=self.axis, keepdims=True)),)


class LogSoftmaxBackward0(Function):
    def forward(self, a: Any, axis: int) -> Any:
        out = _log_softmax_array(a, axis, self.xp)
        self.save_for_backward(out)
        self.axis = axis
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        (out,) = self.saved  # type: ignore[misc]
        return (g - self.xp.exp(out) * g.sum(axis=self.axis, keepdims=True),)


# ----------------------------------------------------------------------------------------
# More elementwise and indexing operations (torch.sin, torch.where, gather, repeat, ...)


class SinBackward0(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.sin(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.xp.cos(self.saved[0]),)  # type: ignore[index]


class CosBackward0(Function):
    def forward(self, a: Any) -> Any:
        self.save_for_backward(a)
        return self.xp.cos(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (-g * self.xp.sin(self.saved[0]),)  # type: ignore[index]


class RoundBackward0(Function):
    """round/floor/ceil/sign: piecewise constant, so the gradient is zero (as in PyTorch)."""

    def forward(self, a: Any, fn: Any) -> Any:
        return fn(a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (self.xp.zeros_like(g),)


class WhereBackward0(Function):
    """``where(condition, a, b)``: each gradient goes to the side that was chosen."""

    def forward(self, a: Any, b: Any, condition: Any) -> Any:
        self.shapes = (a.shape, b.shape)
        self.condition = condition
        return self.xp.where(condition, a, b)

    def backward(self, g: Any) -> tuple[Any, ...]:
        sa, sb = self.shapes
        na, nb = self.needs_input_grad
        c = self.condition
        ga = unbroadcast(self.xp.where(c, g, 0), sa) if na else None
        gb = unbroadcast(self.xp.where(c, 0, g), sb) if nb else None
        return (ga, gb)


class MaximumBackward0(Function):
    """Elementwise max/min of two tensors; ties split the gradient evenly (PyTorch's rule)."""

    def forward(self, a: Any, b: Any, is_max: bool) -> Any:
        self.save_for_backward(a, b)
        self.is_max = is_max
        return self.xp.maximum(a, b) if is_max else self.xp.minimum(a, b)

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, b = self.saved  # type: ignore[misc]
        out = self.xp.maximum(a, b) if self.is_max else self.xp.minimum(a, b)
        wa = (a == out) * 1.0
        wb = (b == out) * 1.0
        share = wa + wb
        na, nb = self.needs_input_grad
        ga = unbroadcast(g * (wa / share), a.shape) if na else None
        gb = unbroadcast(g * (wb / share), b.shape) if nb else None
        return (ga, gb)


class MinimumBackward0(MaximumBackward0):
    """Elementwise minimum."""


class GatherBackward0(Function):
    """``gather(dim, index)``: values at ``index`` along ``axis``; repeated indices add up."""

    def forward(self, a: Any, index: Any, axis: int) -> Any:
        self.shape, self.index, self.axis = a.shape, index, axis
        return self.xp.take_along_axis(a, index, axis=axis)

    def backward(self, g: Any) -> tuple[Any, ...]:
        xp = self.xp
        out = xp.zeros(self.shape, dtype=g.dtype)
        where = list(xp.indices(self.index.shape, sparse=True))
        where[self.axis] = self.index
        xp.add.at(out, tuple(where), g)
        return (out,)


class MaskedFillBackward0(Function):
    def forward(self, a: Any, mask: Any, value: Any) -> Any:
        self.mask = mask
        return self.xp.where(mask, self.xp.asarray(value, dtype=a.dtype), a)

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (self.xp.where(self.mask, 0, g),)


class RepeatBackward0(Function):
    """``repeat(*sizes)``: tile the tensor; the gradient sums the copies."""

    def forward(self, a: Any, reps: tuple[int, ...]) -> Any:
        extra = len(reps) - a.ndim
        self.shape = a.shape
        self.padded = (1,) * extra + a.shape
        self.reps = reps
        return self.xp.tile(a.reshape(self.padded), reps)

    def backward(self, g: Any) -> tuple[Any, ...]:
        split: list[int] = []
        for r, n in zip(self.reps, self.padded):
            split += [r, n]
        summed = g.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return (summed.reshape(self.shape),)
