"""dtypes, devices and sizes spelled as PyTorch spells them.

dtypes are numpy's (``torch.float32`` is ``numpy.float32`` here), so ``x.dtype == torch.float32``
and ``x.dtype == np.float32`` both hold and arrays never need converting. A ``device`` is a
``str`` ("cpu"/"cuda") with PyTorch's ``type``/``index`` and repr, so code that compares
``t.device == "cpu"`` keeps working. ``Size`` is a tuple that prints as ``torch.Size([2, 3])``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = [
    "DTYPE_NAMES",
    "EngineError",
    "Size",
    "as_dtype",
    "device",
    "dtype_name",
    "float_dtype_for",
    "is_floating",
]

# PyTorch's default dtype for floating values (torch.get_default_dtype()).
DEFAULT_FLOAT = np.dtype(np.float32)

# torch.<name> -> numpy scalar type; PyTorch's aliases included (float = float32, long = int64).
DTYPE_NAMES: dict[str, type] = {
    "float32": np.float32,
    "float": np.float32,
    "float64": np.float64,
    "double": np.float64,
    "float16": np.float16,
    "half": np.float16,
    "int64": np.int64,
    "long": np.int64,
    "int32": np.int32,
    "int": np.int32,
    "int16": np.int16,
    "short": np.int16,
    "int8": np.int8,
    "uint8": np.uint8,
    "bool": np.bool_,
}

_TORCH_NAME = {
    np.dtype(np.float32): "float32",
    np.dtype(np.float64): "float64",
    np.dtype(np.float16): "float16",
    np.dtype(np.int64): "int64",
    np.dtype(np.int32): "int32",
    np.dtype(np.int16): "int16",
    np.dtype(np.int8): "int8",
    np.dtype(np.uint8): "uint8",
    np.dtype(np.bool_): "bool",
}


def as_dtype(value: Any) -> np.dtype:
    """A numpy dtype from a dtype, a numpy type, ``float``/``int``/``bool`` or a torch name.

    Python's ``float`` means float32 and ``int`` int64, as in ``torch.tensor(..., dtype=float)``.
    """
    if value is float:
        return DEFAULT_FLOAT
    if value is int:
        return np.dtype(np.int64)
    if isinstance(value, str) and value.removeprefix("torch.") in DTYPE_NAMES:
        return np.dtype(DTYPE_NAMES[value.removeprefix("torch.")])
    try:
        return np.dtype(value)
    except TypeError:
        raise TypeError(f"{value!r} is not a dtype (use e.g. torch.float32)") from None


def dtype_name(dt: np.dtype) -> str:
    """``torch.float32`` style name of a dtype (numpy's name for those PyTorch lacks)."""
    return "torch." + _TORCH_NAME.get(np.dtype(dt), np.dtype(dt).name)


def is_floating(dt: np.dtype) -> bool:
    return dt.kind in "fc"


def float_dtype_for(dt: np.dtype) -> np.dtype:
    """The dtype of a float result from ``dt``: floats keep theirs, integers give float32.

    PyTorch's rule: ``int_tensor / 2`` and ``uint8_tensor / 255.`` are float32, not float64.
    """
    return dt if dt.kind in "fc" else DEFAULT_FLOAT


class EngineError(RuntimeError, ValueError):
    """PyTorch raises RuntimeError where the engine used to raise ValueError: both catch it."""


class Size(tuple):  # type: ignore[type-arg]
    """A tensor's shape: a tuple of ints that prints as ``torch.Size([2, 3])``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def numel(self) -> int:
        n = 1
        for d in self:
            n *= d
        return n


class device(str):  # noqa: N801 - PyTorch's name
    """Where a tensor lives: ``device("cpu")``, ``device("cuda")``, ``device("cuda:0")``.

    A ``str`` of the device type, so ``t.device == "cpu"`` holds; ``type`` and ``index`` as in
    PyTorch. Only one GPU is used, so an index other than 0 is refused.
    """

    index: int | None  # type: ignore[assignment]  # PyTorch's name, shadowing str.index

    def __new__(cls, spec: Any, index: int | None = None) -> device:
        if isinstance(spec, device):
            return spec
        text = str(spec)
        kind, _, idx = text.partition(":")
        if kind not in ("cpu", "cuda"):
            raise EngineError(
                f"unknown device {text!r}: expected one of cpu, cuda device type at start of "
                "device string"
            )
        if idx:
            if not idx.isdigit():
                raise EngineError(f"Invalid device string: '{text}'")
            index = int(idx)
        if index not in (None, 0):
            raise RuntimeError(f"device {text!r}: only one GPU (index 0) is supported")
        obj = super().__new__(cls, kind)
        obj.index = index
        return obj

    @property
    def type(self) -> str:
        return str.__str__(self)

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            return str.__eq__(self, other.partition(":")[0])
        return NotImplemented

    def __hash__(self) -> int:
        return str.__hash__(self)


CPU = device("cpu")
CUDA = device("cuda", 0)
