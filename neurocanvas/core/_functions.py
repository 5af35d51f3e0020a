"""``torch.add``, ``torch.max``, ``torch.where``, ...: the function forms of Tensor methods.

Each takes the tensor first (``input``) and PyTorch's arguments; they call the method, so a
function and its method always agree. ``torch.max(x, 1)`` gives values and indices,
``torch.max(a, b)`` the elementwise maximum, as PyTorch's overloads do.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neurocanvas.core.autograd import TensorBase
from neurocanvas.core.tensor import Tensor

__all__ = [
    "abs", "add", "all", "allclose", "amax", "any", "argmax", "argmin", "argsort", "bmm",
    "ceil", "chunk", "clamp", "clip", "cos", "div", "dot", "eq", "equal", "exp", "flatten",
    "floor", "gather", "ge", "gt", "is_tensor", "isclose", "isnan", "le", "log", "log_softmax",
    "lt", "masked_fill", "matmul", "max", "maximum", "mean", "min", "minimum", "mm", "mul",
    "ne", "neg", "norm", "numel", "permute", "pow", "relu", "repeat_interleave", "reshape",
    "round", "sigmoid", "sign", "sin", "softmax", "sort", "split", "sqrt", "square",
    "squeeze", "std", "sub", "sum", "t", "tanh", "topk", "transpose", "true_divide",
    "unsqueeze", "var", "where",
]  # fmt: skip


def _t(value: Any) -> Tensor:
    if isinstance(value, Tensor):
        return value
    if isinstance(value, TensorBase):
        return value  # type: ignore[return-value]
    raise TypeError(f"expected a Tensor, got {type(value).__name__}")


# -- elementwise -----------------------------------------------------------------------------


def add(input: Any, other: Any, alpha: float = 1) -> Tensor:  # noqa: A002 - PyTorch's names
    if not isinstance(input, TensorBase):
        return _t(other).add(input, alpha=1) if alpha == 1 else _t(other) * alpha + input
    return input.add(other, alpha=alpha)  # type: ignore[attr-defined,no-any-return]


def sub(input: Any, other: Any, alpha: float = 1) -> Tensor:  # noqa: A002
    return _t(input).sub(other, alpha=alpha)  # type: ignore[no-any-return]


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    return input * other if isinstance(input, TensorBase) else _t(other) * input  # type: ignore[no-any-return]


def div(input: Any, other: Any, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    return _t(input).div(other, rounding_mode=rounding_mode)  # type: ignore[no-any-return]


true_divide = div


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001, A002
    if not isinstance(input, TensorBase):
        return input ** _t(exponent)  # type: ignore[no-any-return]
    return input**exponent  # type: ignore[no-any-return]


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _t(input) @ other


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 2 or mat2.ndim != 2:
        raise RuntimeError("mm(): both arguments must be matrices (2-D)")
    return input @ mat2


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 3 or mat2.ndim != 3:
        raise RuntimeError("bmm(): both arguments must be batches of matrices (3-D)")
    return input @ mat2


def dot(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    if input.ndim != 1 or other.ndim != 1:
        raise RuntimeError("1D tensors expected, but got other shapes")
    return input @ other


def _unary(name: str) -> Any:
    def fn(input: Any) -> Tensor:  # noqa: A002
        return getattr(_t(input), name)()  # type: ignore[no-any-return]

    fn.__name__ = name
    fn.__doc__ = f"``torch.{name}(input)``: elementwise, as ``input.{name}()``."
    return fn


neg = _unary("neg")
exp = _unary("exp")
log = _unary("log")
sqrt = _unary("sqrt")
abs = _unary("abs")  # noqa: A001
sin = _unary("sin")
cos = _unary("cos")
tanh = _unary("tanh")
sigmoid = _unary("sigmoid")
relu = _unary("relu")
square = _unary("square")
sign = _unary("sign")
floor = _unary("floor")
ceil = _unary("ceil")
isnan = _unary("isnan")
t = _unary("t")


def round(input: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001, A002
    return _t(input).round(decimals)  # type: ignore[no-any-return]


def clamp(input: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    return _t(input).clamp(min, max)  # type: ignore[no-any-return]


clip = clamp


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _t(input).maximum(other)  # type: ignore[no-any-return]


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    return _t(input).minimum(other)  # type: ignore[no-any-return]


def softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return (_t(input) if dtype is None else input.type(dtype)).softmax(dim)  # type: ignore[no-any-return]


def log_softmax(input: Tensor, dim: int, dtype: Any = None) -> Tensor:  # noqa: A002
    return (_t(input) if dtype is None else input.type(dtype)).log_softmax(dim)  # type: ignore[no-any-return]


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002
    """``input`` where ``condition`` holds, else ``other``; one argument: the indices (tuple)."""
    cond = condition.array if isinstance(condition, TensorBase) else np.asarray(condition)
    if input is None and other is None:
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(cond))
    if not isinstance(input, TensorBase):
        if not isinstance(other, TensorBase):
            raise TypeError("where(): at least one of input and other must be a Tensor")
        return other.where(~cond, input)  # type: ignore[attr-defined]
    return input.where(cond, other)  # type: ignore[attr-defined]


def masked_fill(input: Tensor, mask: Any, value: Any) -> Tensor:  # noqa: A002
    return _t(input).masked_fill(mask, value)  # type: ignore[no-any-return]


# -- comparisons -------------------------------------------------------------------------


def eq(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) == other  # type: ignore[no-any-return]


def ne(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) != other  # type: ignore[no-any-return]


def gt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) > other  # type: ignore[no-any-return]


def ge(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) >= other  # type: ignore[no-any-return]


def lt(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) < other  # type: ignore[no-any-return]


def le(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    return _t(input) <= other  # type: ignore[no-any-return]


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    return _t(input).equal(other)


def allclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> bool:  # noqa: A002
    return _t(input).allclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)


def isclose(
    input: Tensor, other: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False
) -> Tensor:  # noqa: A002
    return _t(input).isclose(other, rtol=rtol, atol=atol, equal_nan=equal_nan)  # type: ignore[no-any-return]


# -- reductions ----------------------------------------------------------------------------


def sum(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A001, A002
    return _t(input).sum(dim, keepdim, dtype=dtype)  # type: ignore[no-any-return]


def mean(input: Tensor, dim: Any = None, keepdim: bool = False, dtype: Any = None) -> Tensor:  # noqa: A002
    return _t(input).mean(dim, keepdim, dtype=dtype)  # type: ignore[no-any-return]


def var(
    input: Tensor,
    dim: Any = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:  # noqa: A002
    return _t(input).var(dim, unbiased, keepdim, correction=correction)  # type: ignore[no-any-return]


def std(
    input: Tensor,
    dim: Any = None,
    unbiased: bool = True,
    keepdim: bool = False,
    *,
    correction: int | None = None,
) -> Tensor:  # noqa: A002
    return _t(input).std(dim, unbiased, keepdim, correction=correction)  # type: ignore[no-any-return]


def max(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    """``max(x)``, ``max(x, dim)`` -> (values, indices), ``max(a, b)`` elementwise."""
    return _t(input).max(dim, keepdim)


def min(input: Tensor, dim: Any = None, keepdim: bool = False) -> Any:  # noqa: A001, A002
    return _t(input).min(dim, keepdim)


def amax(input: Tensor, dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _t(input).amax(dim, keepdim)  # type: ignore[no-any-return]


def argmax(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _t(input).argmax(dim, keepdim)  # type: ignore[no-any-return]


def argmin(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _t(input).argmin(dim, keepdim)  # type: ignore[no-any-return]


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False) -> Tensor:  # noqa: A002
    return _t(input).norm(p, dim, keepdim)  # type: ignore[no-any-return]


def any(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    return _t(input).any(dim, keepdim)  # type: ignore[no-any-return]


def all(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Tensor:  # noqa: A001, A002
    return _t(input).all(dim, keepdim)  # type: ignore[no-any-return]


def sort(input: Tensor, dim: int = -1, descending: bool = False) -> Any:  # noqa: A002
    return _t(input).sort(dim, descending)


def argsort(input: Tensor, dim: int = -1, descending: bool = False) -> Tensor:  # noqa: A002
    return _t(input).argsort(dim, descending)  # type: ignore[no-any-return]


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> Any:  # noqa: A002
    return _t(input).topk(k, dim, largest, sorted)


def numel(input: Tensor) -> int:  # noqa: A002
    return _t(input).numel()


# -- shapes -----------------------------------------------------------------------------


def reshape(input: Tensor, shape: Any) -> Tensor:  # noqa: A002
    return _t(input).reshape(shape)  # type: ignore[no-any-return]


def flatten(input: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:  # noqa: A002
    return _t(input).flatten(start_dim, end_dim)  # type: ignore[no-any-return]


def squeeze(input: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    return _t(input).squeeze(dim)  # type: ignore[no-any-return]


def unsqueeze(input: Tensor, dim: int) -> Tensor:  # noqa: A002
    return _t(input).unsqueeze(dim)  # type: ignore[no-any-return]


def transpose(input: Tensor, dim0: int, dim1: int) -> Tensor:  # noqa: A002
    return _t(input).transpose(dim0, dim1)  # type: ignore[no-any-return]


def permute(input: Tensor, dims: Any) -> Tensor:  # noqa: A002
    return _t(input).permute(dims)  # type: ignore[no-any-return]


def gather(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    return _t(input).gather(dim, index)  # type: ignore[no-any-return]


def chunk(input: Tensor, chunks: int, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    return _t(input).chunk(chunks, dim)


def split(tensor: Tensor, split_size_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:
    return _t(tensor).split(split_size_or_sections, dim)


def repeat_interleave(input: Tensor, repeats: int, dim: int | None = None) -> Tensor:  # noqa: A002
    """Repeat each element ``repeats`` times (no gradient: an index, not an op, is built)."""
    src = _t(input) if dim is not None else _t(input).flatten()
    axis = 0 if dim is None else dim
    idx = np.repeat(np.arange(src.shape[axis]), repeats)
    index: list[Any] = [slice(None)] * src.ndim
    index[axis] = idx
    return src[tuple(index)]


def is_tensor(obj: Any) -> bool:
    return isinstance(obj, TensorBase)
