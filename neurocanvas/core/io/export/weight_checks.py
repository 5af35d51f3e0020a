"""What a weight tensor must be before it enters a model or leaves one in a file.

A weights file can come from anywhere, and a model that diverged holds infinities; either way
one bad tensor makes every prediction NaN without saying why. So imports and exports both
refuse, naming each tensor:

- a dtype that is not a number (strings, structured records, objects, dates), and bool and
  complex numbers: ``load_state_dict`` would cast them without a word (``True`` -> 1.0,
  ``1+2j`` -> 1.0);
- a whole-number tensor where the model keeps floats, and the reverse (no silent casts);
- NaN or infinity;
- values that do not fit the model's dtype (``1e300`` in float64 becomes ``inf`` in float32);
- impossible statistics: a negative BatchNorm ``running_var`` (its square root would be NaN)
  or a negative ``num_batches_tracked``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MAX_WEIGHT_BYTES", "weight_problems"]

MAX_WEIGHT_BYTES = 2 * 1024**3  # 2 GiB: ten times the largest model the app builds unasked

_KIND_NAMES = {
    "b": "true/false values",
    "c": "complex numbers",
    "U": "text",
    "S": "bytes",
    "O": "Python objects",
    "V": "raw records",
    "M": "dates",
    "m": "time spans",
}
_MAX_LISTED = 8


def dtype_problem(dtype: np.dtype[Any], want: np.dtype[Any] | None = None) -> str | None:
    """Why a tensor of ``dtype`` cannot become one of ``want`` (None: any number will do)."""
    if dtype.names is not None or dtype.subdtype is not None:
        return f"has a structured dtype ({dtype}), not numbers"
    if dtype.kind not in "fiu":
        return f"holds {_KIND_NAMES.get(dtype.kind, str(dtype))} (dtype {dtype}), not real numbers"
    if dtype.kind == "f" and dtype.itemsize > 8:
        return f"has dtype {dtype}, wider than float64"
    if want is not None and (dtype.kind == "f") != (want.kind == "f"):
        return (
            f"has dtype {dtype} but the model keeps {want} there; "
            "convert it deliberately rather than have it cast silently"
        )
    return None


def _value_problem(key: str, arr: np.ndarray, want: np.dtype[Any] | None) -> str | None:
    if arr.size == 0:
        return None
    if arr.dtype.kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(arr.size - np.count_nonzero(finite))
            return f"holds {bad:,} NaN or infinite value(s) out of {arr.size:,}"
        if want is not None and want.kind == "f" and want.itemsize < arr.dtype.itemsize:
            big = float(np.abs(arr).max())
            limit = float(np.finfo(want).max)
            if big > limit:
                return f"holds {big:g}, beyond what {want} holds (±{limit:g})"
    elif want is not None and want.kind in "iu":
        info = np.iinfo(want)
        low, high = int(arr.min()), int(arr.max())
        if low < info.min or high > info.max:
            return f"holds {low if low < info.min else high}, beyond what {want} holds"
    if key.endswith("running_var") and float(arr.min()) < 0:
        return f"holds a negative variance ({float(arr.min()):g}); a variance is never negative"
    if key.endswith("num_batches_tracked") and float(arr.min()) < 0:
        return f"holds a negative count ({float(arr.min()):g})"
    return None


def weight_problems(
    given: Mapping[str, Any], expected: Mapping[str, Any] | None = None
) -> list[str]:
    """One line per tensor of ``given`` that must not be used, naming it.

    ``expected`` (the model's ``state_dict()``) adds the checks against the model's dtypes;
    without it (saving, or reading a project's weights before any model exists) any real
    number type is accepted.
    """
    problems: list[str] = []
    for key, value in given.items():
        arr = np.asarray(value)
        ref = None if expected is None else expected.get(key)
        want = None if ref is None else np.asarray(ref).dtype
        problem = dtype_problem(arr.dtype, want) or _value_problem(key, arr, want)
        if problem is not None:
            problems.append(f"{key} {problem}")
    if len(problems) > _MAX_LISTED:
        problems[_MAX_LISTED:] = [f"and {len(problems) - _MAX_LISTED} more tensors"]
    return problems
