"""Tile transforms of Winograd F(2x2, 3x3) for ``_winograd`` (numba kernels).

Lavin & Gray (2015, arXiv:1509.09308), section 4.1: 4x4 input tiles give 2x2 output blocks
with 16 multiplies per block and channel instead of 36. The matrices hold only 0, +-1 and
+-1/2, so the float32 results stay within a few ulps of a direct convolution. Scalar code on
purpose: each tile is 16 loads, ~32 adds and 16 stores, all in registers.
"""

from __future__ import annotations

from typing import Any

import numba  # type: ignore[import-untyped]
import numpy as np

#: The filter transform G (4x3) (Lavin & Gray, section 4.1).
G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])

M, ALPHA = 2, 4  # output block and tile sizes


@numba.njit(cache=True, nogil=True)
def _bt(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    """``B^T v`` for a 4-vector (rows of B^T: 1 0 -1 0 / 0 1 1 0 / 0 -1 1 0 / 0 1 0 -1)."""
    return v0 - v2, v1 + v2, v2 - v1, v1 - v3


@numba.njit(cache=True, nogil=True)
def _b(v0: Any, v1: Any, v2: Any, v3: Any) -> Any:
    """``B v``, the adjoint of ``_bt``."""
    return v0, v1 - v2 + v3, v1 + v2 - v0, -v3


@numba.njit(cache=True, nogil=True)
def input_tiles(pad: Any, out: Any, th: int, tw: int) -> None:
    """``V = B^T d B`` of every tile: ``pad`` (n, C, 2*th+2, 2*tw+2) -> ``out`` (16, C, n*th*tw)."""
    n, channels = pad.shape[0], pad.shape[1]
    for c in range(channels):
        for i in range(n):
            img = pad[i, c]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # B^T along the rows of the tile, for each of its 4 columns...
                    a0, a1, a2, a3 = _bt(img[r, q], img[r + 1, q], img[r + 2, q], img[r + 3, q])
                    b0, b1, b2, b3 = _bt(
                        img[r, q + 1], img[r + 1, q + 1], img[r + 2, q + 1], img[r + 3, q + 1]
                    )
                    c0, c1, c2, c3 = _bt(
                        img[r, q + 2], img[r + 1, q + 2], img[r + 2, q + 2], img[r + 3, q + 2]
                    )
                    d0, d1, d2, d3 = _bt(
                        img[r, q + 3], img[r + 1, q + 3], img[r + 2, q + 3], img[r + 3, q + 3]
                    )
                    # ...then along the columns: row k of the result is (ak, bk, ck, dk) @ B.
                    out[0, c, p], out[1, c, p], out[2, c, p], out[3, c, p] = _bt(a0, b0, c0, d0)
                    out[4, c, p], out[5, c, p], out[6, c, p], out[7, c, p] = _bt(a1, b1, c1, d1)
                    out[8, c, p], out[9, c, p], out[10, c, p], out[11, c, p] = _bt(a2, b2, c2, d2)
                    out[12, c, p], out[13, c, p], out[14, c, p], out[15, c, p] = _bt(a3, b3, c3, d3)


@numba.njit(cache=True, nogil=True)
def output_tiles(m: Any, y: Any, start: int, bias: Any, th: int, tw: int) -> None:
    """``Y = A^T M A`` (+ bias): ``m`` (16, OC, n*th*tw) -> ``y[start:start+n]`` (N, OC, OH, OW)."""
    oc_count = m.shape[1]
    n = m.shape[2] // (th * tw)
    oh, ow = y.shape[2], y.shape[3]
    for o in range(oc_count):
        bo = bias[o]
        for i in range(n):
            plane = y[start + i, o]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # A^T = (1 1 1 0 / 0 1 -1 -1), first along each row k of the 4x4 tile.
                    u0 = m[0, o, p] + m[1, o, p] + m[2, o, p]
                    v0 = m[1, o, p] - m[2, o, p] - m[3, o, p]
                    u1 = m[4, o, p] + m[5, o, p] + m[6, o, p]
                    v1 = m[5, o, p] - m[6, o, p] - m[7, o, p]
                    u2 = m[8, o, p] + m[9, o, p] + m[10, o, p]
                    v2 = m[9, o, p] - m[10, o, p] - m[11, o, p]
                    u3 = m[12, o, p] + m[13, o, p] + m[14, o, p]
                    v3 = m[13, o, p] - m[14, o, p] - m[15, o, p]
                    plane[r, q] = u0 + u1 + u2 + bo
                    if q + 1 < ow:
                        plane[r, q + 1] = v0 + v1 + v2 + bo
                    if r + 1 < oh:
                        plane[r + 1, q] = u1 - u2 - u3 + bo
                        if q + 1 < ow:
                            plane[r + 1, q + 1] = v1 - v2 - v3 + bo


@numba.njit(cache=True, nogil=True)
def grad_tiles(
    grad: Any, start: int, n: int, dm: Any, th: int, tw: int, zero: Any, bias_sum: Any
) -> None:
    """``dM = A dY A^T`` of every 2x2 output block of ``grad[start:start+n]`` -> ``dm``.

    Adds each output channel's gradient sum (the bias gradient) into the float64 ``bias_sum``
    (OC,) on the way: the kernel reads every value anyway.
    """
    oc_count = grad.shape[1]
    oh, ow = grad.shape[2], grad.shape[3]
    for o in range(oc_count):
        total = 0.0
        for i in range(n):
            plane = grad[start + i, o]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    g00 = plane[r, q]
                    g01 = plane[r, q + 1] if q + 1 < ow else zero
                    g10 = plane[r + 1, q] if r + 1 < oh else zero
                    g11 = plane[r + 1, q + 1] if (r + 1 < oh and q + 1 < ow) else zero
                    total += (g00 + g01) + (g10 + g11)
                    # A = (A^T)^T maps (g0, g1) to (g0, g0 + g1, g0 - g1, -g1): rows, then columns.
                    s0, s1, s2, s3 = g00, g00 + g01, g00 - g01, -g01
                    t0, t1, t2, t3 = g10, g10 + g11, g10 - g11, -g11
                    dm[0, o, p], dm[1, o, p], dm[2, o, p], dm[3, o, p] = s0, s1, s2, s3
                    dm[4, o, p], dm[5, o, p] = s0 + t0, s1 + t1
                    dm[6, o, p], dm[7, o, p] = s2 + t2, s3 + t3
                    dm[8, o, p], dm[9, o, p] = s0 - t0, s1 - t1
                    dm[10, o, p], dm[11, o, p] = s2 - t2, s3 - t3
                    dm[12, o, p], dm[13, o, p], dm[14, o, p], dm[15, o, p] = -t0, -t1, -t2, -t3
        bias_sum[o] += total


@numba.njit(cache=True, nogil=True)
def scatter_tiles(dv: Any, gpad: Any, th: int, tw: int) -> None:
    """Add ``B dV B^T`` of every tile into ``gpad`` (n, C, 2*th+2, 2*tw+2) where tiles overlap."""
    n, channels = gpad.shape[0], gpad.shape[1]
    for c in range(channels):
        for i in range(n):
            img = gpad[i, c]
            for ti in range(th):
                r = 2 * ti
                p0 = (i * th + ti) * tw
                for tj in range(tw):
                    q = 2 * tj
                    p = p0 + tj
                    # B along each row k of dV (giving columns 0..3 of the tile)...
                    a0, a1, a2, a3 = _b(dv[0, c, p], dv[1, c, p], dv[2, c, p], dv[3, c, p])
                    b0, b1, b2, b3 = _b(dv[4, c, p], dv[5, c, p], dv[6, c, p], dv[7, c, p])
                    c0, c1, c2, c3 = _b(dv[8, c, p], dv[9, c, p], dv[10, c, p], dv[11, c, p])
                    d0, d1, d2, d3 = _b(dv[12, c, p], dv[13, c, p], dv[14, c, p], dv[15, c, p])
                    # ...then along each column j: rows 0..3 of the tile.
                    e0, e1, e2, e3 = _b(a0, b0, c0, d0)
                    img[r, q] += e0
                    img[r + 1, q] += e1
                    img[r + 2, q] += e2
                    img[r + 3, q] += e3
                    e0, e1, e2, e3 = _b(a1, b1, c1, d1)
                    img[r, q + 1] += e0
                    img[r + 1, q + 1] += e1
                    img[r + 2, q + 1] += e2
                    img[r + 3, q + 1] += e3
                    e0, e1, e2, e3 = _b(a2, b2, c2, d2)
                    img[r, q + 2] += e0
                    img[r + 1, q + 2] += e1
                    img[r + 2, q + 2] += e2
                    img[r + 3, q + 2] += e3
                    e0, e1, e2, e3 = _b(a3, b3, c3, d3)
                    img[r, q + 3] += e0
                    img[r + 1, q + 3] += e1
                    img[r + 2, q + 3] += e2
                    img[r + 3, q + 3] += e3
