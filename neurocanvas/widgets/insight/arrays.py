"""Qt-free helpers that turn probe arrays into what the panels and the trace cards draw.

Kept apart from the widgets so the encodings (channel grids, short numbers) are plain
functions with plain tests. The gradient-size scale of the canvas is in
``widgets/canvas/gradient_scale.py``.
"""

from __future__ import annotations

import math

import numpy as np


def channel_grid(arr: np.ndarray, gap: int = 1) -> np.ndarray:
    """One 2-D image of an output: channels of a (C, H, W) map tiled in a near-square grid
    (NaN between tiles), an (H, W) map as is, a vector as one row."""
    a = np.asarray(arr, dtype=np.float64)
    if a.ndim == 3:
        c, h, w = a.shape
        cols = int(math.ceil(math.sqrt(c)))
        rows = int(math.ceil(c / cols))
        out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
        for k in range(c):
            r, q = divmod(k, cols)
            out[r * (h + gap) : r * (h + gap) + h, q * (w + gap) : q * (w + gap) + w] = a[k]
        return out
    if a.ndim == 2:
        return a
    return a.reshape(1, -1)


def format_values(arr: np.ndarray | None, limit: int = 8) -> str | None:
    """The values as short numbers when there are at most ``limit``, else None."""
    if arr is None:
        return None
    a = np.asarray(arr).ravel()
    if a.size > limit:
        return None
    return "  ".join(f"{v:.3g}" for v in a.tolist())


def to_unit(img: np.ndarray, symmetric: bool = False) -> np.ndarray:
    """Scale finite values to [0, 1] (NaN stays NaN); ``symmetric`` maps 0 to 0.5."""
    img = np.asarray(img, dtype=np.float64)
    finite = img[np.isfinite(img)]
    if finite.size == 0:
        return np.full(img.shape, np.nan)
    if symmetric:
        m = float(np.abs(finite).max()) or 1.0
        return 0.5 + 0.5 * img / m
    lo, hi = float(finite.min()), float(finite.max())
    return (img - lo) / (hi - lo) if hi > lo else np.where(np.isfinite(img), 0.5, np.nan)
