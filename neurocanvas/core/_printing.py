"""Tensor printing that reads like PyTorch's (``tensor([[1., 2.]])``), and ``set_printoptions``.

The number format follows ``torch/_tensor_str.py``: one format for the whole tensor, chosen
from its finite values; integral floats print as ``1.``; scientific notation when the values
span more than 1000x, exceed 1e8 or fall under 1e-4 (unless ``sci_mode`` says otherwise);
long tensors are summarised with ``...`` past ``threshold`` elements; rows wrap at
``linewidth``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["PrintOptions", "format_array", "get_printoptions", "set_printoptions"]


@dataclass
class PrintOptions:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_OPTIONS = PrintOptions()
_PROFILES = {
    "default": PrintOptions(),
    "short": PrintOptions(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": PrintOptions(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """Set how tensors print (``torch.set_printoptions``); ``sci_mode=None`` chooses per tensor."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"profile must be one of {sorted(_PROFILES)}, got {profile!r}")
        base = _PROFILES[profile]
        _OPTIONS.precision, _OPTIONS.threshold = base.precision, base.threshold
        _OPTIONS.edgeitems, _OPTIONS.linewidth = base.edgeitems, base.linewidth
    if precision is not None:
        _OPTIONS.precision = int(precision)
    if threshold is not None:
        _OPTIONS.threshold = threshold
    if edgeitems is not None:
        _OPTIONS.edgeitems = int(edgeitems)
    if linewidth is not None:
        _OPTIONS.linewidth = int(linewidth)
    _OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict[str, Any]:
    return dict(vars(_OPTIONS))


def _summary(arr: np.ndarray, edge: int) -> np.ndarray:
    """The elements that will be shown when summarising (to choose the number format)."""
    if arr.ndim == 0:
        return arr.reshape(1)
    if arr.shape[0] > 2 * edge:
        arr = np.concatenate([arr[:edge], arr[-edge:]])
    return np.concatenate([_summary(a, edge).reshape(-1) for a in arr]) if arr.size else arr


def _float_formatter(values: np.ndarray, opts: PrintOptions) -> Callable[[Any], str]:
    finite = values[np.isfinite(values)].astype(np.float64)
    p = opts.precision
    if finite.size == 0:
        return lambda v: _special(v) or f"{v:.{p}f}"
    nonzero = np.abs(finite[finite != 0])
    integral = bool(np.all(finite == np.ceil(finite)))
    hi = float(nonzero.max()) if nonzero.size else 0.0
    lo = float(nonzero.min()) if nonzero.size else 0.0
    if integral:
        sci = bool(nonzero.size) and (hi / lo > 1000.0 or hi > 1e8)
    else:
        sci = bool(nonzero.size) and (hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4)
    if opts.sci_mode is not None:
        sci = opts.sci_mode
    if sci:
        return lambda v: _special(v) or f"{v:.{p}e}"
    if integral:
        return lambda v: _special(v) or f"{v:.0f}."
    return lambda v: _special(v) or f"{v:.{p}f}"


def _special(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return ""


def _formatter(arr: np.ndarray, opts: PrintOptions, summarize: bool) -> Callable[[Any], str]:
    shown = _summary(arr, opts.edgeitems) if summarize else arr.reshape(-1)
    if arr.dtype.kind == "b":
        return lambda v: str(bool(v))
    if arr.dtype.kind in "iu":
        return lambda v: str(int(v))
    if arr.dtype.kind == "c":
        return lambda v: f"{complex(v)}"
    return _float_formatter(shown, opts)


def _rows(
    arr: np.ndarray,
    fmt: Callable[[Any], str],
    width: int,
    indent: int,
    opts: PrintOptions,
    summarize: bool,
) -> str:
    edge = opts.edgeitems
    if arr.ndim == 1:
        items = [fmt(v).rjust(width) for v in arr.tolist()]
        if summarize and len(items) > 2 * edge:
            items = items[:edge] + ["..."] + items[-edge:]
        per_line = max(1, (opts.linewidth - indent) // (width + 2))
        lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
        return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"
    parts = [
        _rows(a, fmt, width, indent + 1, opts, summarize) for a in _edges(arr, edge, summarize)
    ]
    if summarize and arr.shape[0] > 2 * edge:
        parts = parts[:edge] + ["..."] + parts[edge:]
    sep = "," + "\n" * (arr.ndim - 1) + " " * (indent + 1)
    return "[" + sep.join(parts) + "]"


def _edges(arr: np.ndarray, edge: int, summarize: bool) -> list[np.ndarray]:
    if summarize and arr.shape[0] > 2 * edge:
        return [*arr[:edge], *arr[-edge:]]
    return list(arr)


def format_array(arr: np.ndarray, indent: int = 7) -> str:
    """The body of a tensor's repr (what goes between ``tensor(`` and the suffixes)."""
    opts = _OPTIONS
    if arr.size == 0:
        return "[]"
    summarize = arr.size > opts.threshold
    fmt = _formatter(arr, opts, summarize)
    if arr.ndim == 0:
        return fmt(arr.item())
    shown = _summary(arr, opts.edgeitems) if summarize else arr.reshape(-1)
    width = max(len(fmt(v)) for v in shown.tolist())
    return _rows(arr, fmt, width, indent, opts, summarize)
