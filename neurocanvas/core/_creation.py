"""Making tensors: ``torch.tensor``, ``zeros``/``ones``/``empty``/``full``/``eye`` and their
``_like`` forms, random tensors, ``arange``/``linspace``, ``from_numpy``; ``cat``/``stack``.

dtypes follow PyTorch: Python floats give float32, Python ints int64; random draws come from
the engine's one generator (:func:`~neurocanvas.core.random.manual_seed`), so a seed gives the
same values on the CPU and the GPU (the draw happens on the host).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from neurocanvas.core import backend
from neurocanvas.core._ops import CatBackward0, StackBackward0
from neurocanvas.core._types import DEFAULT_FLOAT, EngineError, as_dtype
from neurocanvas.core.autograd import TensorBase
from neurocanvas.core.random import default_rng
from neurocanvas.core.tensor import Tensor

__all__ = [
    "arange",
    "as_tensor",
    "cat",
    "concat",
    "empty",
    "empty_like",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "linspace",
    "normal",
    "ones",
    "ones_like",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "stack",
    "tensor",
    "zeros",
    "zeros_like",
]


def _sizes(shape: tuple[Any, ...]) -> tuple[int, ...]:
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        shape = tuple(shape[0])
    return tuple(int(n) for n in shape)


def _make(arr: Any, dtype: Any, device: Any, requires_grad: bool) -> Tensor:
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype), copy=False)
    return Tensor(arr, requires_grad=requires_grad, device=device)


def tensor(
    data: Any, dtype: Any = None, *, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """A tensor holding a copy of ``data``, inferring the dtype like ``torch.tensor``.

    Python floats become float32, Python ints int64 and bools bool; numpy arrays keep their
    dtype unless ``dtype`` is given.
    """
    if isinstance(data, TensorBase):
        arr = data.array
    elif isinstance(data, (np.ndarray, np.generic)) or hasattr(data, "__cuda_array_interface__"):
        arr = data
    else:
        if isinstance(data, (list, tuple)) and any(isinstance(d, TensorBase) for d in data):
            data = [d.array if isinstance(d, TensorBase) else d for d in data]
        arr = np.asarray(data)
        if arr.dtype.kind == "f":
            arr = arr.astype(np.float32)
        elif arr.dtype.kind not in "iub":
            raise TypeError(f"tensor() cannot be made from {type(data).__name__}")
    if dtype is not None:
        arr = arr.astype(as_dtype(dtype))
    else:
        arr = backend.array_module(arr).array(arr, copy=True)
    return Tensor(arr, requires_grad=requires_grad, device=device)


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Like :func:`tensor`, without a copy when ``data`` already is a fitting array/tensor."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    if isinstance(data, np.ndarray) and dtype is None:
        return Tensor(data, device=device)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing ``array``'s memory and dtype (changes to one show in the other)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor(array)


def zeros(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.zeros(_sizes(size), DEFAULT_FLOAT), dtype, device, requires_grad)


def ones(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(np.ones(_sizes(size), DEFAULT_FLOAT), dtype, device, requires_grad)


def empty(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """An uninitialised tensor (whatever the memory held), as ``torch.empty``."""
    return _make(np.empty(_sizes(size), DEFAULT_FLOAT), dtype, device, requires_grad)


def full(
    size: Any, fill_value: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``size`` filled with ``fill_value``; the dtype follows the value (float -> float32)."""
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
        else:
            dtype = DEFAULT_FLOAT
    return _make(
        np.full(_sizes((size,)), fill_value, dtype=as_dtype(dtype)), None, device, requires_grad
    )


def eye(
    n: int, m: int | None = None, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    return _make(np.eye(n, m, dtype=DEFAULT_FLOAT), dtype, device, requires_grad)


def _like(t: Any, arr: np.ndarray, dtype: Any, requires_grad: bool) -> Tensor:
    out = _make(arr.astype(t.array.dtype if dtype is None else as_dtype(dtype)), None, None, False)
    if t.device != "cpu":
        out = out.to(t.device)
    return out.requires_grad_(requires_grad) if requires_grad else out


def zeros_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(input, np.zeros(input.array.shape), dtype, requires_grad)


def ones_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(input, np.ones(input.array.shape), dtype, requires_grad)


def empty_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(input, np.empty(input.array.shape), dtype, requires_grad)


def full_like(
    input: Any, fill_value: Any, dtype: Any = None, requires_grad: bool = False
) -> Tensor:  # noqa: A002
    return _like(input, np.full(input.array.shape, fill_value), dtype, requires_grad)


def rand(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Uniform samples on [0, 1) from the shared generator."""
    arr = default_rng().random(_sizes(size)).astype(DEFAULT_FLOAT)
    return _make(arr, dtype, device, requires_grad)


def randn(*size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Standard normal samples from the shared generator (see ``manual_seed``)."""
    arr = default_rng().standard_normal(_sizes(size)).astype(DEFAULT_FLOAT)
    return _make(arr, dtype, device, requires_grad)


def rand_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(input, default_rng().random(input.array.shape), dtype, requires_grad)


def randn_like(input: Any, dtype: Any = None, requires_grad: bool = False) -> Tensor:  # noqa: A002
    return _like(input, default_rng().standard_normal(input.array.shape), dtype, requires_grad)


def randint(
    *args: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False
) -> Tensor:
    """``randint(high, size)`` or ``randint(low, high, size)``: int64 in ``[low, high)``."""
    if len(args) == 2:
        low, high, size = 0, args[0], args[1]
    elif len(args) == 3:
        low, high, size = args
    else:
        raise TypeError("randint() takes (high, size) or (low, high, size)")
    arr = default_rng().integers(low, high, size=_sizes((size,)), dtype=np.int64)
    return _make(arr, dtype, device, requires_grad)


def randperm(n: int, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    return _make(default_rng().permutation(n).astype(np.int64), dtype, device, requires_grad)


def normal(
    mean: Any = 0.0,
    std: Any = 1.0,
    size: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """Normal samples: ``normal(mean, std, size)`` for numbers, or elementwise for tensors."""
    m = mean.array if isinstance(mean, TensorBase) else mean
    s = std.array if isinstance(std, TensorBase) else std
    shape = (
        _sizes((size,)) if size is not None else np.broadcast(np.asarray(m), np.asarray(s)).shape
    )
    like = mean if isinstance(mean, TensorBase) else std if isinstance(std, TensorBase) else None
    out_dtype = like.array.dtype if like is not None else DEFAULT_FLOAT
    arr = (
        default_rng().normal(backend.to_numpy(m), backend.to_numpy(s), size=shape).astype(out_dtype)
    )
    return _make(arr, dtype, device, requires_grad)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    """``[start, end)`` in steps; int64 when all bounds are ints, else float32."""
    if end is None:
        start, end = 0, start
    ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
    arr = np.arange(start, end, step, dtype=np.int64 if ints else np.float64)
    return _make(arr if ints else arr.astype(DEFAULT_FLOAT), dtype, device, requires_grad)


def linspace(
    start: float,
    end: float,
    steps: int,
    dtype: Any = None,
    device: Any = None,
    requires_grad: bool = False,
) -> Tensor:
    arr = np.linspace(start, end, steps).astype(DEFAULT_FLOAT)
    return _make(arr, dtype, device, requires_grad)


def cat(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join tensors along an existing dimension."""
    ts = tuple(tensors)
    if not ts:
        raise EngineError("torch.cat(): expected a non-empty list of Tensors")
    nd = ts[0].array.ndim
    if any(t.array.ndim != nd for t in ts):
        raise EngineError(
            f"cat(): all tensors need {nd} dimensions, got {[tuple(t.shape) for t in ts]}"
        )
    return CatBackward0.apply(*ts, axis=dim % max(nd, 1))  # type: ignore[no-any-return]


concat = cat


def stack(tensors: Iterable[Tensor], dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dimension."""
    ts = tuple(tensors)
    if not ts:
        raise EngineError("stack expects a non-empty TensorList")
    shape = ts[0].array.shape
    if any(t.array.shape != shape for t in ts):
        raise EngineError(
            f"stack expects each tensor to be equal size, got {[tuple(t.shape) for t in ts]}"
        )
    return StackBackward0.apply(*ts, axis=dim % (len(shape) + 1))  # type: ignore[no-any-return]
