"""A strict CPU stand-in for CuPy, so the engine's ``"cuda"`` path runs on any machine.

Device arrays are :class:`DeviceArray` objects that wrap a host numpy array but are *not*
numpy arrays, exactly as ``cupy.ndarray`` is not: ``isinstance(x, np.ndarray)`` is False.
The fake enforces the CuPy rules that host-only code breaks on a real GPU:

* implicit host conversion (``np.asarray(d)``, ``np.array(d)``) raises ``TypeError``;
* mixing a host ``np.ndarray`` with a device array in arithmetic, a ufunc, a ``cupy.*``
  function or as the value of ``d[...] = value`` raises ``TypeError`` ("Unsupported type");
* every result of a ``cupy.*`` function, ufunc, method or operator is a device array (0-d
  results too: CuPy never returns numpy scalars).

Host numpy arrays stay allowed as *indices*, as CuPy converts those itself. Only what the
engine uses is modelled; anything else falls through to numpy with the same strict checks.
"""

from __future__ import annotations

import builtins
import operator
import types
from collections.abc import Callable
from typing import Any

import numpy as np

_IMPLICIT = (
    "Implicit conversion to a NumPy array is not allowed. "
    "Please use `.get()` to construct a NumPy array explicitly."
)

# The number of host<->device copies, so tests can see that a path really crossed over.
transfers = {"to_device": 0, "to_host": 0}


def _unsupported(value: Any) -> TypeError:
    return TypeError(f"Unsupported type {type(value)} (fake CuPy: host array mixed with device)")


def _strict(value: Any) -> Any:
    """Unwrap an operand: device arrays and scalars pass, host arrays raise like CuPy."""
    if isinstance(value, DeviceArray):
        return value._a
    if isinstance(value, np.ndarray):
        raise _unsupported(value)
    if isinstance(value, (list, tuple)):
        return type(value)(_strict(v) for v in value)
    return value


def _index(key: Any) -> Any:
    """Unwrap an index: CuPy converts host index arrays itself, so those are allowed."""
    if isinstance(key, DeviceArray):
        return key._a
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    return key


def _wrap(value: Any) -> Any:
    """Wrap numpy results as device arrays (scalars from reductions become 0-d arrays)."""
    if isinstance(value, np.ndarray):
        return DeviceArray(value)
    if isinstance(value, np.generic):
        return DeviceArray(np.asarray(value))
    if isinstance(value, tuple):
        return tuple(_wrap(v) for v in value)
    if isinstance(value, list):
        return [_wrap(v) for v in value]
    return value


class DeviceArray:
    """``cupy.ndarray`` look-alike: a host array behind a wall that numpy cannot see through."""

    __slots__ = ("_a",)
    __array_priority__ = 100.0
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, host: np.ndarray) -> None:
        if not isinstance(host, np.ndarray) or isinstance(host, DeviceArray):
            raise TypeError(f"DeviceArray wraps a numpy array, got {type(host).__name__}")
        self._a = host

    # -- what CuPy forbids / provides for host transfer --------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        raise TypeError(_IMPLICIT)

    def get(self) -> np.ndarray:
        """Explicit device-to-host copy, like ``cupy.ndarray.get``."""
        transfers["to_host"] += 1
        return self._a.copy()

    @property
    def __cuda_array_interface__(self) -> dict[str, Any]:
        a = self._a
        return {
            "shape": a.shape,
            "typestr": a.dtype.str,
            "data": (a.ctypes.data, False),
            "strides": None if a.flags.c_contiguous else a.strides,
            "version": 3,
        }

    # -- numpy protocols: dispatch to the fake module, as CuPy does ---------------------
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        return getattr(_Ufunc(ufunc), "__call__" if method == "__call__" else method)(
            *inputs, **kwargs
        )

    def __array_function__(self, func: Any, types_: Any, args: Any, kwargs: Any) -> Any:
        fake = getattr(module, func.__name__, None)
        if fake is None:
            return NotImplemented
        return fake(*args, **kwargs)

    # -- attributes ----------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return self._a.shape

    @shape.setter
    def shape(self, value: tuple[int, ...]) -> None:
        self._a.shape = value

    @property
    def dtype(self) -> np.dtype:
        return self._a.dtype

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def size(self) -> int:
        return self._a.size

    @property
    def T(self) -> DeviceArray:  # noqa: N802 - numpy's name
        return DeviceArray(self._a.T)

    def __getattr__(self, name: str) -> Any:
        # Methods (sum, reshape, astype, ...) run on the wrapped array with strict operands.
        # Dunder names are not forwarded: numpy would read the host array's
        # __array_interface__ through them, an implicit conversion CuPy does not allow.
        if name.startswith("__"):
            raise AttributeError(name)
        attr = getattr(self._a, name)
        if not callable(attr):
            return _wrap(attr)

        def method(*args: Any, **kwargs: Any) -> Any:
            if name in ("take", "put", "repeat"):
                args = (_index(args[0]), *args[1:]) if args else args
                return _wrap(attr(*args, **kwargs))
            return _wrap(attr(*_strict(args), **{k: _strict(v) for k, v in kwargs.items()}))

        return method

    # -- Python protocols ----------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self) -> Any:
        return (_wrap(row) for row in self._a)

    def __float__(self) -> float:
        return float(self._a)

    def __int__(self) -> int:
        return int(self._a)

    def __bool__(self) -> bool:
        return bool(self._a)

    def __repr__(self) -> str:
        return f"DeviceArray({self._a!r})"

    def __copy__(self) -> DeviceArray:
        return DeviceArray(self._a.copy())

    def __deepcopy__(self, memo: dict[int, Any]) -> DeviceArray:
        return DeviceArray(self._a.copy())

    def __getitem__(self, key: Any) -> Any:
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key: Any, value: Any) -> None:
        self._a[_index(key)] = _strict(value)


def _binary(op: Callable[[Any, Any], Any], reflected: bool) -> Callable[..., Any]:
    def method(self: DeviceArray, other: Any) -> Any:
        if not isinstance(other, (DeviceArray, np.ndarray, np.generic, int, float, bool, complex)):
            return NotImplemented  # e.g. a Tensor: let its reflected operator run
        other = _strict(other)
        return _wrap(op(other, self._a) if reflected else op(self._a, other))

    return method


def _inplace(op: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def method(self: DeviceArray, other: Any) -> Any:
        op(self._a, _strict(other))
        return self

    return method


def _unary(op: Callable[[Any], Any]) -> Callable[..., Any]:
    def method(self: DeviceArray) -> Any:
        return _wrap(op(self._a))

    return method


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul"):
    _op = getattr(operator, _name)
    setattr(DeviceArray, f"__{_name}__", _binary(_op, reflected=False))
    setattr(DeviceArray, f"__r{_name}__", _binary(_op, reflected=True))
    setattr(DeviceArray, f"__i{_name}__", _inplace(getattr(operator, f"i{_name}")))
for _name, _op in (("and", operator.and_), ("or", operator.or_), ("xor", operator.xor)):
    setattr(DeviceArray, f"__{_name}__", _binary(_op, reflected=False))
    setattr(DeviceArray, f"__r{_name}__", _binary(_op, reflected=True))
for _name in ("lt", "le", "gt", "ge", "eq", "ne"):
    setattr(DeviceArray, f"__{_name}__", _binary(getattr(operator, _name), reflected=False))
for _name in ("neg", "pos", "abs", "invert"):
    setattr(DeviceArray, f"__{_name}__", _unary(getattr(operator, _name)))


class _Ufunc:
    """``cupy.<ufunc>``: strict operands in, device arrays out; ``at``/``reduce`` too."""

    def __init__(self, ufunc: np.ufunc) -> None:
        self._u = ufunc
        self.__name__ = ufunc.__name__

    def _kwargs(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        out = dict(kwargs)
        if "out" in out:
            out["out"] = _strict(out["out"])
        if "where" in out:
            out["where"] = _strict(out["where"])
        return out

    def __call__(self, *inputs: Any, **kwargs: Any) -> Any:
        return _wrap(self._u(*_strict(inputs), **self._kwargs(kwargs)))

    def reduce(self, a: Any, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._u.reduce(_strict(a), *args, **self._kwargs(kwargs)))

    def accumulate(self, a: Any, *args: Any, **kwargs: Any) -> Any:
        return _wrap(self._u.accumulate(_strict(a), *args, **self._kwargs(kwargs)))

    def at(self, a: Any, indices: Any, b: Any = None) -> None:
        target = _strict(a)
        if b is None:
            self._u.at(target, _index(indices))
        else:
            self._u.at(target, _index(indices), _strict(b))


def _function(fn: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        return _wrap(fn(*_strict(args), **{k: _strict(v) for k, v in kwargs.items()}))

    wrapper.__name__ = getattr(fn, "__name__", "function")
    return wrapper


class _FakeCupy(types.ModuleType):
    """The ``cupy`` module: the API the backend uses, plus numpy's namespace made strict."""

    ndarray = DeviceArray

    def __init__(self) -> None:
        super().__init__("cupy")
        self.cuda = types.SimpleNamespace(runtime=types.SimpleNamespace(getDeviceCount=lambda: 1))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(np, name)  # AttributeError for names numpy lacks too
        if isinstance(attr, np.ufunc):
            return _Ufunc(attr)
        if isinstance(attr, (type, np.dtype, types.ModuleType)) or not callable(attr):
            return attr  # dtypes (cupy.float32 is numpy's), constants, errstate
        return _function(attr)

    @staticmethod
    def get_array_module(*args: Any) -> types.ModuleType:
        return module if builtins.any(isinstance(a, DeviceArray) for a in args) else np

    @staticmethod
    def asarray(a: Any, dtype: Any = None, order: Any = None) -> DeviceArray:
        """Host-to-device copy (or the same device array when nothing changes)."""
        if isinstance(a, DeviceArray):
            return a if dtype is None else DeviceArray(a._a.astype(dtype, copy=False))
        transfers["to_device"] += 1
        return DeviceArray(np.array(a, dtype=dtype, order=order or "K", copy=True))

    @staticmethod
    def array(a: Any, dtype: Any = None, copy: bool = True, order: Any = None) -> DeviceArray:
        if isinstance(a, DeviceArray):
            return DeviceArray(np.array(a._a, dtype=dtype, copy=copy))
        transfers["to_device"] += 1
        return DeviceArray(np.array(a, dtype=dtype, copy=True))

    @staticmethod
    def asnumpy(a: Any) -> np.ndarray:
        if isinstance(a, DeviceArray):
            return a.get()
        return np.asarray(a)


module = _FakeCupy()
