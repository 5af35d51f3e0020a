"""The one array-module switch: ``"cpu"`` is numpy, ``"cuda"`` is CuPy.

Every other part of the engine asks this module for the array module (``xp``) instead of
importing CuPy itself, so that a machine without CuPy or a GPU only fails when a person
actually asks for ``"cuda"``, with a message that says what to install.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

import numpy as np

DEVICES: tuple[str, ...] = ("cpu", "cuda")

_cupy: ModuleType | None = None


def normalize_device(device: str | None) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for a device name (``"cuda:0"`` counts as ``"cuda"``).

    Raises
    ------
    ValueError
        For any other name, so that a typo does not silently train on the CPU.
    """
    if device is None:
        return "cpu"
    name = str(device).lower()
    if name == "cpu":
        return "cpu"
    if name == "cuda" or name.startswith("cuda:") or name == "gpu":
        return "cuda"
    raise ValueError(f"unknown device {device!r}: expected 'cpu' or 'cuda'")


def _load_cupy() -> ModuleType:
    """Import CuPy once and check that a CUDA GPU is visible."""
    global _cupy
    if _cupy is not None:
        return _cupy
    try:
        import cupy  # noqa: PLC0415 - optional dependency, imported only when asked for
    except ImportError as exc:
        raise RuntimeError(
            'device "cuda" needs CuPy for CUDA 12, which is not installed: '
            'pip install "neurocanvas[gpu]"'
        ) from exc
    try:
        count = int(cupy.cuda.runtime.getDeviceCount())
    except Exception:  # CuPy raises its own CUDARuntimeError when no driver is present
        count = 0
    if count < 1:
        raise RuntimeError(
            'device "cuda" was asked for, but no CUDA GPU was found '
            "(CuPy is installed; check the NVIDIA driver). Use device 'cpu' instead."
        )
    _cupy = cupy
    return cupy


def get_xp(device: str | None) -> ModuleType:
    """Return the array module for ``device``: numpy for ``"cpu"``, CuPy for ``"cuda"``."""
    if normalize_device(device) == "cpu":
        return np
    return _load_cupy()


def cuda_available() -> bool:
    """True when CuPy imports and sees at least one GPU; never raises."""
    try:
        _load_cupy()
    except RuntimeError:
        return False
    return True


def array_module(arr: Any) -> ModuleType:
    """Return the module that owns ``arr`` (numpy for host arrays and scalars)."""
    if type(arr) is np.ndarray or _cupy is None:
        return np
    return _cupy.get_array_module(arr)


def device_of(arr: Any) -> str:
    """Return ``"cpu"`` or ``"cuda"`` for an array."""
    if type(arr) is np.ndarray or _cupy is None:
        return "cpu"
    return "cuda" if isinstance(arr, _cupy.ndarray) else "cpu"


def to_device(arr: Any, device: str | None) -> Any:
    """Move ``arr`` to ``device``; returns ``arr`` itself when it is already there."""
    if normalize_device(device) == "cpu":
        return to_numpy(arr)
    cupy = _load_cupy()
    if isinstance(arr, cupy.ndarray):
        return arr
    return cupy.asarray(arr)


def to_numpy(arr: Any, copy: bool = False) -> np.ndarray:
    """Return ``arr`` as a host numpy array, copying from the GPU when needed.

    ``copy=True`` also copies host arrays, for callers that hand the result to another
    thread while training keeps updating the original in place.
    """
    if _cupy is not None and isinstance(arr, _cupy.ndarray):
        return _cupy.asnumpy(arr)
    if copy:
        return np.array(arr, copy=True)
    return np.asarray(arr)
