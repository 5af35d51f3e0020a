"""Tile transforms of Winograd F(4x4, 3x3) for ``_winograd`` (numba kernels).

Lavin & Gray (2015, arXiv:1509.09308), section 4.2: 6x6 input tiles give 4x4 output blocks
with 36 multiplies per block and channel instead of 144 (4x fewer; F(2x2, 3x3) saves 2.25x).
The matrices (B^T, G, A^T below) are the paper's; the kernels apply them as 1-D transforms
along the rows and then the columns of each tile. Intermediates are float64 (numba types an
integer coefficient times a float32 as float64), which also keeps the larger coefficients'
rounding out of float32 results.
"""

from __future__ import annotations

from typing import Any

import numba  # type: ignore[import-untyped]
import numpy as np

#: F(4x4, 3x3) filter transform G (6x3).
G = np.array(
    [
        [1 / 4, 0.0, 0.0],
        [-1 / 6, -1 / 6, -1 / 6],
        [-1 / 6, 1 / 6, -1 / 6],
        [1 / 24, 1 / 12, 1 / 6],
        [1 / 24, -1 / 12, 1 / 6],
        [0.0, 0.0, 1.0],
    ]
)
#: Input transform B^T (6x6) and output transform A^T (4x6), as applied by the kernels.
BT = np.array(
    [
        [4, 0, -5, 0, 1, 0],
        [0, -4, -4, 1, 1, 0],
        [0, 4, -4, -1, 1, 0],
        [0, -2, -1, 2, 1, 0],
        [0, 2, -1, -2, 1, 0],
        [0, 4, 0, -5, 0, 1],
    ],
    dtype=float,
)
AT = np.array(
    [[1, 1, 1, 1, 1, 0], [0, 1, -1, 2, -2, 0], [0, 1, 1, 4, 4, 0], [0, 1, -1, 8, -8, 1]],
    dtype=float,
)

M, ALPHA = 4, 6  # output block and tile sizes


@numba.njit(cache=True, nogil=True)
def _bt(d0: Any, d1: Any, d2: Any, d3: Any, d4: Any, d5: Any) -> Any:
    """``B^T d`` for a 6-vector."""
    return (
        4.0 * d0 - 5.0 * d2 + d4,
        d3 + d4 - 4.0 * (d1 + d2),
        d4 - d3 + 4.0 * (d1 - d2),
        d4 - d2 + 2.0 * (d3 - d1),
        d4 - d2 + 2.0 * (d1 - d3),
        4.0 * d1 - 5.0 * d3 + d5,
    )


@numba.njit(cache=True, nogil=True)
def _b(v0: Any, v1: Any, v2: Any, v3: Any, v4: Any, v5: Any) -> Any:
    """``B v``, the adjoint of ``_bt``."""
    return (
        4.0 * v0,
        4.0 * (v2 - v1 + v5) + 2.0 * (v4 - v3),
        -5.0 * v0 - 4.0 * (v1 + v2) - v3 - v4,
        v1 - v2 + 2.0 * (v3 - v4) - 5.0 * v5,
        v0 + v1 + v2 + v3 + v4,
        v5,
    )


@numba.njit(cache=True, nogil=True)
def _at(m0: Any, m1: Any, m2: Any, m3: Any, m4: Any, m5: Any) -> Any:
    """``A^T m`` for a 6-vector: 4 outputs."""
    s, d = m1 + m2, m1 - m2
    s2, d2 = m3 + m4, m3 - m4
    return m0 + s + s2, d + 2.0 * d2, s + 4.0 * s2, d + 8.0 * d2 + m5


@numba.njit(cache=True, nogil=True)
def _a(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    """``A v``, the adjoint of ``_at``: 4 values to 6."""
    return (
        v0,
        v0 + v1 + v2 + v3,
        v0 - v1 + v2 - v3,
        v0 + 2.0 * v1 + 4.0 * v2 + 8.0 * v3,
        v0 - 2.0 * v1 + 4.0 * v2 - 8.0 * v3,
        v3,
    )


@numba.njit(cache=True, nogil=True)
def input_tiles(pad: Any, out: Any, th: int, tw: int) -> None:
    """``V = B^T d B`` of every tile: ``pad`` (n, C, 4*th+2, 4*tw+2) -> ``out`` (36, C, n*th*tw)."""
    n, channels = pad.shape[0], pad.shape[1]
    t = np.empty((6, 6))
    for c in range(channels):
        for i in range(n):
            img = pad[i, c]
            for ti in range(th):
                r = 4 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 4 * tj
                    p = p0 + tj
                    for j in range(6):
                        t[0, j], t[1, j], t[2, j], t[3, j], t[4, j], t[5, j] = _bt(
                            img[r, q + j],
                            img[r + 1, q + j],
                            img[r + 2, q + j],
                            img[r + 3, q + j],
                            img[r + 4, q + j],
                            img[r + 5, q + j],
                        )
                    for a in range(6):
                        k = 6 * a
                        (
                            out[k, c, p],
                            out[k + 1, c, p],
                            out[k + 2, c, p],
                            out[k + 3, c, p],
                            out[k + 4, c, p],
                            out[k + 5, c, p],
                        ) = _bt(t[a, 0], t[a, 1], t[a, 2], t[a, 3], t[a, 4], t[a, 5])


@numba.njit(cache=True, nogil=True)
def output_tiles(m: Any, y: Any, start: int, bias: Any, th: int, tw: int) -> None:
    """``Y = A^T M A`` (+ bias): ``m`` (36, OC, n*th*tw) -> ``y[start:start+n]``."""
    oc_count = m.shape[1]
    n = m.shape[2] // (th * tw)
    oh, ow = y.shape[2], y.shape[3]
    s = np.empty((6, 4))
    for o in range(oc_count):
        bo = bias[o]
        for i in range(n):
            plane = y[start + i, o]
            for ti in range(th):
                r = 4 * ti
                p0 = (i * th + ti) * tw
                rows = min(4, oh - r)
                for tj in range(tw):
                    q = 4 * tj
                    p = p0 + tj
                    cols = min(4, ow - q)
                    for a in range(6):
                        k = 6 * a
                        s[a, 0], s[a, 1], s[a, 2], s[a, 3] = _at(
                            m[k, o, p],
                            m[k + 1, o, p],
                            m[k + 2, o, p],
                            m[k + 3, o, p],
                            m[k + 4, o, p],
                            m[k + 5, o, p],
                        )
                    for j in range(cols):
                        y0, y1, y2, y3 = _at(s[0, j], s[1, j], s[2, j], s[3, j], s[4, j], s[5, j])
                        plane[r, q + j] = y0 + bo
                        if rows > 1:
                            plane[r + 1, q + j] = y1 + bo
                        if rows > 2:
                            plane[r + 2, q + j] = y2 + bo
                        if rows > 3:
                            plane[r + 3, q + j] = y3 + bo


@numba.njit(cache=True, nogil=True)
def grad_tiles(grad: Any, start: int, n: int, dm: Any, th: int, tw: int, zero: Any) -> None:
    """``dM = A dY A^T`` of every 4x4 output block of ``grad[start:start+n]`` -> ``dm``."""
    oc_count = grad.shape[1]
    oh, ow = grad.shape[2], grad.shape[3]
    g = np.zeros((4, 4))
    s = np.empty((4, 6))
    for o in range(oc_count):
        for i in range(n):
            plane = grad[start + i, o]
            for ti in range(th):
                r = 4 * ti
                p0 = (i * th + ti) * tw
                rows = min(4, oh - r)
                for tj in range(tw):
                    q = 4 * tj
                    p = p0 + tj
                    cols = min(4, ow - q)
                    for a in range(4):
                        for b in range(4):
                            g[a, b] = plane[r + a, q + b] if (a < rows and b < cols) else zero
                    for a in range(4):
                        s[a, 0], s[a, 1], s[a, 2], s[a, 3], s[a, 4], s[a, 5] = _a(
                            g[a, 0], g[a, 1], g[a, 2], g[a, 3]
                        )
                    for b in range(6):
                        (
                            dm[b, o, p],
                            dm[6 + b, o, p],
                            dm[12 + b, o, p],
                            dm[18 + b, o, p],
                            dm[24 + b, o, p],
                            dm[30 + b, o, p],
                        ) = _a(s[0, b], s[1, b], s[2, b], s[3, b])


@numba.njit(cache=True, nogil=True)
def scatter_tiles(dv: Any, gpad: Any, th: int, tw: int) -> None:
    """Add ``B dV B^T`` of every tile into ``gpad`` (n, C, 4*th+2, 4*tw+2) where tiles overlap."""
    n, channels = gpad.shape[0], gpad.shape[1]
    s = np.empty((6, 6))
    for c in range(channels):
        for i in range(n):
            img = gpad[i, c]
            for ti in range(th):
                r = 4 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 4 * tj
                    p = p0 + tj
                    for a in range(6):
                        k = 6 * a
                        s[a, 0], s[a, 1], s[a, 2], s[a, 3], s[a, 4], s[a, 5] = _b(
                            dv[k, c, p],
                            dv[k + 1, c, p],
                            dv[k + 2, c, p],
                            dv[k + 3, c, p],
                            dv[k + 4, c, p],
                            dv[k + 5, c, p],
                        )
                    for j in range(6):
                        e0, e1, e2, e3, e4, e5 = _b(
                            s[0, j], s[1, j], s[2, j], s[3, j], s[4, j], s[5, j]
                        )
                        img[r, q + j] += e0
                        img[r + 1, q + j] += e1
                        img[r + 2, q + j] += e2
                        img[r + 3, q + j] += e3
                        img[r + 4, q + j] += e4
                        img[r + 5, q + j] += e5
