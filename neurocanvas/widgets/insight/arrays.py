"""Qt-free helpers that turn probe arrays into what the panels and the canvas draw.

Kept apart from the widgets so the encodings (log scale of gradient norms, channel grids)
are plain functions with plain tests.
"""

from __future__ import annotations

import math

import numpy as np

# Gradient norms are drawn on a log10 scale over this range (mean losses over a batch give
# per-layer output-gradient norms of roughly 1e-4 .. 1e0 in a network that learns).
LOG_MIN, LOG_MAX = -8.0, 2.0
WIDTH_MIN, WIDTH_MAX = 2.0, 11.0
# colour stops on that scale: blue below 1e-5 (vanishing), green 1e-5 .. 0.3, yellow
# around 3, red from 1e2 (exploding)
STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (49, 54, 149)),
    (0.3, (26, 152, 80)),
    (0.75, (26, 152, 80)),
    (0.87, (240, 190, 40)),
    (1.0, (215, 48, 39)),
)


def grad_level(norm: float | None) -> float | None:
    """Where ``norm`` sits on the log scale: 0 at 1e-7 or less, 1 at 1e2 or more.

    None for no gradient; a non-finite norm counts as the top of the scale.
    """
    if norm is None:
        return None
    if not math.isfinite(norm):
        return 1.0
    if norm <= 0:
        return 0.0
    return min(max((math.log10(norm) - LOG_MIN) / (LOG_MAX - LOG_MIN), 0.0), 1.0)


def grad_width(norm: float | None) -> float:
    """Pen width (pixels at zoom 1) of a wire carrying a gradient of size ``norm``."""
    level = grad_level(norm)
    return WIDTH_MIN if level is None else WIDTH_MIN + level * (WIDTH_MAX - WIDTH_MIN)


def grad_rgb(norm: float | None) -> tuple[int, int, int] | None:
    """Colour of a gradient's size: blue (vanishing) .. green (healthy) .. red (exploding)."""
    level = grad_level(norm)
    if level is None:
        return None
    for (t0, c0), (t1, c1) in zip(STOPS, STOPS[1:], strict=False):
        if level <= t1:
            f = (level - t0) / (t1 - t0)
            return tuple(int(round(a + f * (b - a))) for a, b in zip(c0, c1, strict=True))  # type: ignore[return-value]
    return STOPS[-1][1]


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
