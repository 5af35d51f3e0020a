"""The canvas's encoding of gradient size: a log scale, blue through green to red.

Qt-free, so the encoding is a plain function with plain tests; the health overlay draws
with it and its legend shows it.
"""

from __future__ import annotations

import math

# Gradient norms are drawn on a log10 scale over this range (mean losses over a batch give
# per-layer output-gradient norms of roughly 1e-4 .. 1e0 in a network that learns).
LOG_MIN, LOG_MAX = -8.0, 2.0
WIDTH_MIN, WIDTH_MAX = 2.0, 11.0
# colour stops on that scale: blue up to 1e-6 (vanishing), blue to green up to 1e-3, green
# 1e-3 .. 0.3, yellow around 3, red from 1e2 (exploding)
STOPS: tuple[tuple[float, tuple[int, int, int]], ...] = (
    (0.0, (40, 40, 120)),
    (0.2, (49, 54, 149)),
    (0.5, (26, 152, 80)),
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
