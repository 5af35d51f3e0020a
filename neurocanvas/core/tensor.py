"""Tensors: n-dimensional arrays that record the operations applied to them.

The graph nodes and the backward walk are in ``autograd.py``, the operations in ``_ops.py``,
the everyday methods (math, reductions, shapes, in-place fills) in ``_tensor_methods.py``.
Names and semantics follow PyTorch so that what a person learns here carries over:

- ``t.array`` is the raw array (numpy or CuPy) for the engine's own fast paths; ``t.data`` is
  PyTorch's: a Tensor sharing that storage, detached from the graph.
- In-place changes (``add_``, ``+=``, ``t[i] = v``) write into the tensor's storage and bump
  its version; a leaf that requires grad refuses them outside ``no_grad`` with PyTorch's error,
  and ``backward`` refuses a graph whose inputs changed since it was recorded.
- A Python float does not lift a float32 tensor to float64, and integer tensors divided (or
  mixed with a float) give float32, as in PyTorch.

Length: over ~400 lines because the Tensor class itself (construction rules, dtype promotion,
in-place semantics, operators) is PyTorch's surface; everyday methods are already in
``_tensor_methods.py``.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import Any

import numpy as np

from neurocanvas.core import backend
from neurocanvas.core._ops import (
    AddBackward0,
    CloneBackward0,
    DivBackward0,
    IndexBackward0,
    MmBackward0,
    MulBackward0,
    NegBackward0,
    PowBackward0,
    PowBackward1,
    SubBackward0,
    ToCopyBackward0,
    ToDeviceBackward0,
)
from neurocanvas.core._printing import format_array
from neurocanvas.core._tensor_methods import MaxResult, MinResult, TensorMethods, convert_index
from neurocanvas.core._types import CPU, CUDA, EngineError, Size, as_dtype, device, dtype_name
from neurocanvas.core.autograd import (
    Function,
    TensorBase,
    _grad_mode,
    enable_grad,
    is_grad_enabled,
    no_grad,
    run_backward,
    unbroadcast,
    wrap,
)

__all__ = [
    "Function",
    "MaxResult",
    "MinResult",
    "Tensor",
    "enable_grad",
    "is_grad_enabled",
    "no_grad",
    "unbroadcast",
]

_ndarray = np.ndarray
_SCALARS = (int, float, bool, np.number, np.bool_)
# dtypes PyTorch leaves out of a tensor's repr
_IMPLICIT_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
_LEAF_INPLACE = "a leaf Variable that requires grad is being used in an in-place operation."


def _const(value: Any, like: Any) -> Tensor:
    """Wrap a Python number or array as a constant tensor in ``like``'s dtype when possible.

    Keeping the tensor's dtype stops a Python number from promoting float32 to float64 or
    int32 to int64 (PyTorch's rule: Python scalars never decide the result's precision).
    """
    if isinstance(value, Tensor):
        return value
    kind = like.dtype.kind
    if isinstance(value, _SCALARS):
        if kind in "fc" or (kind in "iu" and not isinstance(value, (float, np.floating))):
            arr = np.asarray(value, dtype=like.dtype)
        elif isinstance(value, (float, np.floating)):
            arr = np.asarray(value, dtype=np.float32)
        else:
            arr = np.asarray(value)
    else:
        if isinstance(value, TensorBase):
            value = value.array
        arr = np.asarray(value) if type(like) is _ndarray else value
        if arr.dtype == np.float64 and kind == "f" and arr.ndim > 0:
            arr = arr.astype(like.dtype)
    if type(like) is not _ndarray:
        arr = backend.array_module(like).asarray(arr)
    return wrap(arr)


def _operands(a: Tensor, other: Any) -> tuple[Tensor, Tensor]:
    """Both sides of a binary op with PyTorch's int/float rule: the integer side takes the
    float side's dtype (numpy would widen int64 + float32 to float64)."""
    b = _const(other, a.array)
    da, db = a.array.dtype, b.array.dtype
    if da is db:
        return a, b
    fa, fb = da.kind in "fc", db.kind in "fc"
    if fa and not fb:
        return a, b.type(da)
    if fb and not fa:
        return a.type(db), b
    return a, b


def _float_operands(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """True division of two integer tensors gives float32 (``torch.tensor([1, 2]) / 2``)."""
    if a.array.dtype.kind in "iub" and b.array.dtype.kind in "iub":
        return a.type(np.float32), b.type(np.float32)
    return a, b


def _tensor_from_args(args: tuple[Any, ...]) -> Any:
    """The array ``Tensor(*args)`` stands for: sizes give an uninitialised float32 tensor."""
    if not args:
        return np.empty((0,), dtype=np.float32)
    if isinstance(args[0], Size) or all(
        isinstance(a, (int, np.integer)) and not isinstance(a, (bool, np.bool_)) for a in args
    ):
        sizes = tuple(args[0]) if isinstance(args[0], Size) else tuple(int(a) for a in args)
        if any(n < 0 for n in sizes):
            raise RuntimeError(f"Trying to create tensor with negative dimension: {list(sizes)}")
        return np.empty(sizes, dtype=np.float32)
    if len(args) > 1:
        raise TypeError(
            f"Tensor() takes one data argument or integer sizes, got {len(args)} arguments"
        )
    data = args[0]
    if isinstance(data, TensorBase):
        return data.array
    if type(data) is _ndarray or hasattr(data, "__cuda_array_interface__"):
        return data
    if isinstance(data, np.generic):
        return np.asarray(data)
    try:
        return np.asarray(data, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"Tensor() cannot be made from {type(data).__name__}: "
            "expected sizes, a (nested) list of numbers, or an array"
        ) from exc


class Tensor(TensorMethods, TensorBase):
    """An n-dimensional array that can record the operations applied to it.

    ``Tensor(*sizes)`` is an uninitialised float32 tensor of that shape, as in PyTorch.
    ``Tensor(data)``: a numpy (or CuPy) array keeps its dtype (float64 stays float64, integer
    class targets stay integer) and is used without a copy, like ``torch.from_numpy``; Python
    numbers in (nested) lists become float32. ``requires_grad`` records operations so that
    ``backward`` fills in ``.grad``; ``device`` is ``"cpu"`` or ``"cuda"`` (None keeps the
    array where it is).
    """

    __slots__ = ()  # the fields live in TensorBase (autograd.py)
    __array_ufunc__ = None  # make numpy defer to our reflected operators (ndarray + Tensor)
    __hash__ = object.__hash__  # comparisons return tensors, identity stays the hash

    grad: Tensor | None

    def __init__(
        self, *args: Any, requires_grad: bool = False, device: Any = None, dtype: Any = None
    ) -> None:
        if len(args) == 2 and isinstance(args[1], bool) and not isinstance(args[0], int):
            args, requires_grad = args[:1], args[1]  # type: ignore[misc]  # older Tensor(data, flag)
        data = _tensor_from_args(args)
        if dtype is not None:
            data = data.astype(as_dtype(dtype))
        if device is not None:
            data = backend.to_device(data, str(device))
        self.array = data
        self.grad = None
        self._ctx = None
        self._version = 0
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(data: Any, requires_grad: bool = False) -> Tensor:
        """Make a tensor around an array without any checks (internal fast path)."""
        return wrap(data, requires_grad)  # type: ignore[no-any-return]

    # -- properties ----------------------------------------------------------------------

    @property
    def data(self) -> Tensor:
        """PyTorch's ``.data``: the same storage as a tensor detached from the graph.

        Changes through it (``w.data -= lr * g``) are not recorded and do not bump the
        version, exactly as in PyTorch; assigning ``t.data = other`` replaces the storage.
        """
        return wrap(self.array)  # type: ignore[no-any-return]

    @data.setter
    def data(self, value: Any) -> None:
        self.array = value.array if isinstance(value, TensorBase) else np.asarray(value)

    @property
    def shape(self) -> Size:
        return Size(self.array.shape)

    @property
    def dtype(self) -> np.dtype:
        return self.array.dtype  # type: ignore[no-any-return]

    @property
    def ndim(self) -> builtins.int:
        return self.array.ndim  # type: ignore[no-any-return]

    @property
    def device(self) -> device:
        return CPU if type(self.array) is _ndarray else CUDA

    @property
    def is_cuda(self) -> builtins.bool:
        return type(self.array) is not _ndarray

    @property
    def is_leaf(self) -> builtins.bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        return self._ctx

    @property
    def xp(self) -> Any:
        return np if type(self.array) is _ndarray else backend.array_module(self.array)

    def __len__(self) -> builtins.int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        arr = backend.to_numpy(self.array)
        extras = []
        if arr.size == 0 and arr.shape != (0,):
            extras.append(f"size={tuple(arr.shape)}")
        if self.is_cuda:
            extras.append("device='cuda:0'")
        if arr.dtype not in _IMPLICIT_DTYPES:
            extras.append(f"dtype={dtype_name(arr.dtype)}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return f"tensor({format_array(arr)}{''.join(', ' + e for e in extras)})"

    def __format__(self, spec: str) -> str:
        """A 0-d tensor formats like its number (``f"{loss:.4f}"``), as in PyTorch."""
        if self.array.ndim == 0:
            return format(self.array.item(), spec)
        return object.__format__(self, spec)

    # -- conversion ----------------------------------------------------------------------

    def numpy(self) -> np.ndarray:
        """A host numpy copy of the data (safe to keep while training goes on), shape ``shape``.

        Unlike PyTorch, this also works on a tensor that requires grad: DESIGN.md's public API
        promises ``x.numpy()`` always returns a host array, and code written against it relies
        on that. PyTorch raises ``RuntimeError`` there and asks for ``x.detach().numpy()``,
        which works here too, so code that follows PyTorch's advice runs unchanged.
        """
        return backend.to_numpy(self.array, copy=True)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        arr = backend.to_numpy(self.array)
        return arr if dtype is None else arr.astype(dtype)

    def item(self) -> Any:
        """The single value as a Python number."""
        if self.array.size != 1:
            raise EngineError(
                f"a Tensor with {self.array.size} elements cannot be converted to Scalar "
                "(item() needs exactly one element)"
            )
        return self.array.item()

    def tolist(self) -> Any:
        return backend.to_numpy(self.array).tolist()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> builtins.int:
        return int(self.item())

    def __bool__(self) -> builtins.bool:
        if self.array.size != 1:
            raise RuntimeError(
                f"Boolean value of Tensor with more than one value is ambiguous (shape "
                f"{list(self.array.shape)})"
            )
        return bool(self.array.item())

    def __index__(self) -> builtins.int:
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only integer tensors of a single element can be used as an index")
        return int(self.array.item())

    def detach(self) -> Tensor:
        """The same data without history: no gradient flows back through the result."""
        return wrap(self.array)  # type: ignore[no-any-return]

    def detach_(self) -> Tensor:
        self._ctx = None
        self.requires_grad = False
        return self

    def clone(self) -> Tensor:
        return CloneBackward0.apply(self)  # type: ignore[no-any-return]

    def contiguous(self) -> Tensor:
        return self

    def to(self, *args: Any, **kwargs: Any) -> Tensor:
        """``to(device)``, ``to(dtype)``, ``to(other)``, ``to(device, dtype)``, keywords too.

        Gradients flow through moves and float-to-float casts.
        """
        dev, dt = kwargs.pop("device", None), kwargs.pop("dtype", None)
        kwargs.pop("non_blocking", None)
        copy = kwargs.pop("copy", False)
        if kwargs:
            raise TypeError(f"to() got unexpected arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, TensorBase):
                dev, dt = a.device, a.array.dtype  # type: ignore[attr-defined]
            elif isinstance(a, str):
                dev = a
            else:
                dt = a
        out = self
        if dt is not None:
            out = out.type(dt)
        if dev is not None:
            target = backend.normalize_device(str(device(dev)))
            if target != out.device:
                out = ToDeviceBackward0.apply(out, device=target)
        return out.clone() if copy and out is self else out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, device: Any = None) -> Tensor:
        return self.to("cuda")

    def type(self, dtype: Any = None) -> Any:
        """Cast to ``dtype``; with no argument, PyTorch's type string (``torch.FloatTensor``)."""
        if dtype is None:
            name = dtype_name(self.array.dtype).removeprefix("torch.")
            kinds = {"float32": "Float", "float64": "Double", "int64": "Long", "int32": "Int"}
            kinds.update({"bool": "Bool", "uint8": "Byte", "float16": "Half", "int8": "Char"})
            return f"torch.{'cuda.' if self.is_cuda else ''}{kinds.get(name, name)}Tensor"
        dt = as_dtype(dtype)
        if dt == self.array.dtype:
            return self
        if dt.kind != "f" or self.array.dtype.kind != "f":
            return wrap(self.array.astype(dt))
        return ToCopyBackward0.apply(self, dtype=dt)

    def double(self) -> Tensor:
        return self.type(np.float64)  # type: ignore[no-any-return]

    def float(self) -> Tensor:
        return self.type(np.float32)  # type: ignore[no-any-return]

    def half(self) -> Tensor:
        return self.type(np.float16)  # type: ignore[no-any-return]

    def long(self) -> Tensor:
        return self.type(np.int64)  # type: ignore[no-any-return]

    def int(self) -> Tensor:
        return self.type(np.int32)  # type: ignore[no-any-return]

    def bool(self) -> Tensor:
        return self.type(np.bool_)  # type: ignore[no-any-return]

    def type_as(self, other: Tensor) -> Tensor:
        return self.type(other.array.dtype)  # type: ignore[no-any-return]

    # -- autograd ------------------------------------------------------------------------

    def requires_grad_(self, requires_grad: builtins.bool = True) -> Tensor:
        """Start (or stop) recording operations on this leaf tensor; returns self."""
        if requires_grad and self.array.dtype.kind not in "fc":
            raise RuntimeError(
                "only Tensors of floating point dtype can require gradients, this one is "
                f"{dtype_name(self.array.dtype)}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use "
                "a computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach()."
            )
        self.requires_grad = bool(requires_grad)
        return self

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too after ``backward`` (leaves always do)."""
        if not self.requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._ctx is not None:
            self._retains_grad = True

    @property
    def retains_grad(self) -> builtins.bool:
        return self._retains_grad

    @property
    def _version_counter(self) -> builtins.int:
        return self._version

    def backward(
        self,
        gradient: Any = None,
        retain_graph: builtins.bool | None = None,
        create_graph: builtins.bool = False,
    ) -> None:
        """Accumulate the gradient of this tensor into ``.grad`` of every leaf that needs it.

        ``gradient`` is the gradient of some scalar with respect to this tensor; it may be
        left out only when this tensor has a single element (then it is 1). ``retain_graph``
        keeps the saved arrays so that backward may run through the graph again.
        """
        if create_graph:
            raise NotImplementedError("backward(create_graph=True) is not supported")
        if not self.requires_grad:
            raise RuntimeError(
                "element 0 of tensors does not require grad and does not have a grad_fn"
            )
        xp = self.xp
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    "grad can be implicitly created only for scalar outputs: pass "
                    f"gradient= to backward() for a tensor of shape {tuple(self.array.shape)}"
                )
            g = xp.ones_like(self.array)
        else:
            g = gradient.array if isinstance(gradient, TensorBase) else xp.asarray(gradient)
            if g.shape != self.array.shape:
                raise RuntimeError(
                    f"gradient has shape {tuple(g.shape)} but the tensor has shape "
                    f"{tuple(self.array.shape)}"
                )
        run_backward(self, g, bool(retain_graph))

    # -- in place ------------------------------------------------------------------------

    def _inplace(self, compute: Callable[[Tensor], Tensor]) -> Tensor:
        """Apply ``compute`` (an out-of-place op) in place, with PyTorch's rules.

        Recorded (grad mode, and a gradient involved): the tensor becomes the result's node,
        as PyTorch rebases its history; the values live in a new array because the node may
        have saved the old one. Otherwise the result is written into the existing storage, so
        ``.data`` and other views see it.
        """
        if _grad_mode.enabled:
            if self.requires_grad and self._ctx is None:
                raise RuntimeError(_LEAF_INPLACE)
            old = wrap(self.array, self.requires_grad)
            old._ctx, old._version = self._ctx, self._version
            result = self._fits(compute(old))
            if result.requires_grad:
                if result.array.dtype != self.array.dtype:
                    result = ToCopyBackward0.apply(result, dtype=self.array.dtype)
                self.array, self._ctx, self.requires_grad = result.array, result._ctx, True
                self._version += 1
                return self
            if self._ctx is not None:  # overwritten by constants: no gradient flows back
                self._ctx, self.requires_grad = None, False
        else:
            result = self._fits(compute(self))
        self.array[...] = result.array
        self._version += 1
        return self

    def _fits(self, result: Tensor) -> Tensor:
        """Check that an in-place result fits this tensor's shape and dtype (PyTorch's errors)."""
        if result.array.shape != self.array.shape:
            raise RuntimeError(
                f"output with shape {list(self.array.shape)} doesn't match the broadcast shape "
                f"{list(result.array.shape)}"
            )
        self._check_cast(result.array.dtype)
        return result

    def _check_cast(self, dt: np.dtype) -> None:
        if not np.can_cast(dt, self.array.dtype, casting="same_kind"):
            raise RuntimeError(
                f"result type {dtype_name(dt)} can't be cast to the desired output type "
                f"{dtype_name(self.array.dtype)}"
            )

    def __iadd__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t + other)

    def __isub__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t - other)

    def __imul__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t * other)

    def __itruediv__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t / other)

    def __ipow__(self, other: Any) -> Tensor:
        return self._inplace(lambda t: t**other)

    def __setitem__(self, index: Any, value: Any) -> None:
        if _grad_mode.enabled and self.requires_grad:
            if self._ctx is None:
                raise RuntimeError(
                    "a view of a leaf Variable that requires grad is being used in an in-place "
                    "operation."
                )
            raise RuntimeError(
                "assigning into part of a tensor that is part of a graph is not supported; "
                "build the values with torch.where / masked_fill or assign under no_grad()"
            )
        value = value.array if isinstance(value, TensorBase) else value
        if type(self.array) is not _ndarray:
            value = self.xp.asarray(value)
        self.array[convert_index(index)] = value
        self._version += 1

    # -- operators -----------------------------------------------------------------------

    def __add__(self, other: Any) -> Tensor:
        return AddBackward0.apply(*_operands(self, other))  # type: ignore[no-any-return]

    def __radd__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return AddBackward0.apply(b, a)  # type: ignore[no-any-return]

    def __sub__(self, other: Any) -> Tensor:
        return SubBackward0.apply(*_operands(self, other))  # type: ignore[no-any-return]

    def __rsub__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return SubBackward0.apply(b, a)  # type: ignore[no-any-return]

    def __mul__(self, other: Any) -> Tensor:
        return MulBackward0.apply(*_operands(self, other))  # type: ignore[no-any-return]

    def __rmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return MulBackward0.apply(b, a)  # type: ignore[no-any-return]

    def __truediv__(self, other: Any) -> Tensor:
        return DivBackward0.apply(*_float_operands(*_operands(self, other)))  # type: ignore[no-any-return]

    def __rtruediv__(self, other: Any) -> Tensor:
        a, b = _float_operands(*_operands(self, other))
        return DivBackward0.apply(b, a)  # type: ignore[no-any-return]

    def __floordiv__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return wrap(a.array // b.array)  # type: ignore[no-any-return]

    def __mod__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return wrap(a.array % b.array)  # type: ignore[no-any-return]

    def __pow__(self, other: Any) -> Tensor:
        if isinstance(other, (int, float)) and not isinstance(other, bool):
            if self.array.dtype.kind in "iub" and isinstance(other, float):
                return PowBackward0.apply(self.type(np.float32), exponent=other)  # type: ignore[no-any-return]
            return PowBackward0.apply(self, exponent=other)  # type: ignore[no-any-return]
        return PowBackward1.apply(*_operands(self, other))  # type: ignore[no-any-return]

    def __rpow__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return PowBackward1.apply(b, a)  # type: ignore[no-any-return]

    def __matmul__(self, other: Any) -> Tensor:
        return MmBackward0.apply(*_operands(self, other))  # type: ignore[no-any-return]

    def __rmatmul__(self, other: Any) -> Tensor:
        a, b = _operands(self, other)
        return MmBackward0.apply(b, a)  # type: ignore[no-any-return]

    def __neg__(self) -> Tensor:
        return NegBackward0.apply(self)  # type: ignore[no-any-return]

    def __pos__(self) -> Tensor:
        return self

    def __abs__(self) -> Tensor:
        return self.abs()

    def __invert__(self) -> Tensor:
        return wrap(~self.array)  # type: ignore[no-any-return]

    def __and__(self, other: Any) -> Tensor:
        return wrap(self.array & _const(other, self.array).array)  # type: ignore[no-any-return]

    def __or__(self, other: Any) -> Tensor:
        return wrap(self.array | _const(other, self.array).array)  # type: ignore[no-any-return]

    def __xor__(self, other: Any) -> Tensor:
        return wrap(self.array ^ _const(other, self.array).array)  # type: ignore[no-any-return]

    def __getitem__(self, index: Any) -> Tensor:
        return IndexBackward0.apply(self, index=convert_index(index))  # type: ignore[no-any-return]

    def __iter__(self):  # type: ignore[no-untyped-def]
        for i in range(len(self)):
            yield self[i]


TensorBase._result_type = Tensor  # results of ops and gradients are plain Tensors
