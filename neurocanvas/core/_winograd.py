"""Winograd convolution: the CPU path for 3x3, stride-1, dilation-1 convolutions.

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (2015, arXiv:1509.09308),
section 4: every m x m block of outputs comes from an (m+2) x (m+2) input tile ``d`` as

    Y = A^T [ (G g G^T) * (B^T d B) ] A          (* elementwise, summed over input channels)

Written per tile element ``k``, the channel sum is a matrix product ``M[k] = U[k] @ V[k]`` of
``(OC, C) x (C, tiles)``; the forward pass and both gradients are ``(m+2)^2`` such products
each. F(2x2, 3x3) (``_winograd_f2``) does 16 multiplies per 2x2 block where a direct 3x3
convolution does 36 (2.25x fewer). F(4x4, 3x3) was measured too (36 per 4x4 block, 4x fewer)
and dropped: its larger transforms cost as much time as the products it saved and its
float32 error was ~10x larger (benchmarks/README.md).

The backward pass is the exact adjoint of this forward (``dM = A dY A^T``; ``dU[k] = dM[k] @
V[k]^T``, ``dg = G^T dU G``; ``dV[k] = U[k]^T @ dM[k]``, ``dx`` = the tiles ``B dV B^T``
added back where they overlap), which in exact arithmetic is the convolution's gradient.

The tile transforms are numba kernels (each reads and writes its arrays once; in numpy they
were ~20 elementwise passes with stride-2 views, slower than the multiplies they save). This
module imports numba, so ``_conv`` imports it only when such a convolution first runs; without
numba the im2col kernels of ``_kernels`` are used. The batch is cut into chunks whose
transformed tiles stay in the CPU cache between the transform and the products, as in
``_kernels`` (scratch arrays come from ``_kernels.workspace``), and the chunks are shared
between two threads (the kernels and BLAS release the GIL).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import Any

import numpy as np

from neurocanvas.core import _winograd_f2
from neurocanvas.core._kernels import workspace

#: Target bytes of one chunk's transformed tiles, ``(m+2)^2 * C * tiles * itemsize``. Measured
#: on the 2-core EPYC (1 MB L2 per core, 32 MB L3), C=OC=64 on 28x28, conv forward + backward
#: interleaved at load ~5 (03:00 UTC, two probes of 9): 3-4 MB chunks (4-5 images) ran 15-25 %
#: faster than 6 MB (median 88-100 vs 116-119 ms at 1 thread); the whole batch at once ran the
#: transforms 4-8x slower than in chunks.
CHUNK_BYTES = 4 << 20


Pads = tuple[int, int, int, int]

#: The tile transforms in use (F(2x2, 3x3)); a module with the same kernels and constants
#: (``M``, ``ALPHA``, ``G``) could replace it.
VARIANT: Any = _winograd_f2

#: Worker threads (the caller included): the chunks are split between the cores. Never more
#: than BLAS's own thread count, so ``threadpool_limits(1)`` makes the whole convolution
#: single-threaded (on a busy machine a second thread mostly waits for a core).
THREADS = max(1, min(2, os.cpu_count() or 1))
_pool: ThreadPoolExecutor | None = None

try:
    from threadpoolctl import ThreadpoolController

    _blas = ThreadpoolController()
except ImportError:  # threadpoolctl is optional: BLAS then keeps its own thread count
    _blas = None


def _blas_threads() -> int:
    """BLAS's current thread count: a limit set with threadpoolctl limits the workers too."""
    if _blas is None:
        return THREADS
    counts = [lib.num_threads for lib in _blas.lib_controllers if lib.user_api == "blas"]
    return min(counts, default=THREADS)


@contextmanager
def _blas_single_thread() -> Iterator[None]:
    if _blas is None:
        yield
        return
    with _blas.limit(limits=1, user_api="blas"):
        yield


# --------------------------------------------------------------------------- drivers


class _Plan:
    """Sizes of one call: tiles, padded planes, chunking."""

    def __init__(self, x_shape: tuple[int, ...], oc: int, pads: Pads, dtype: Any) -> None:
        self.n, self.c, self.h, self.w = x_shape
        self.oc, self.pads = oc, pads
        top, bottom, left, right = pads
        self.oh, self.ow = self.h + top + bottom - 2, self.w + left + right - 2
        f = self.f = VARIANT
        self.th, self.tw = -(-self.oh // f.M), -(-self.ow // f.M)
        self.a2 = f.ALPHA * f.ALPHA
        # Tiles read 2*t+2 rows/columns: one more than the padding gives when OH/OW is odd.
        self.hp, self.wp = f.M * self.th + 2, f.M * self.tw + 2
        self.dtype = np.dtype(dtype)
        per_image = self.a2 * max(self.c, self.oc) * self.th * self.tw * self.dtype.itemsize
        self.chunk = max(1, min(self.n, CHUNK_BYTES // per_image))

    def tiles(self, count: int) -> int:
        return count * self.th * self.tw

    def buffer(self, role: str, rows: int, count: int) -> Any:
        """``(a2, rows, tiles)`` scratch for ``count`` images (a view of a reused workspace)."""
        size = self.a2 * rows * self.tiles(self.chunk)
        ws = workspace(role, (size,), self.dtype, np, "wino")
        return ws[: self.a2 * rows * self.tiles(count)].reshape(self.a2, rows, self.tiles(count))

    def padded(self, role: str, count: int) -> Any:
        # Keyed by the interior too: two sizes may share a padded shape but not its zero border.
        shape = (self.chunk, self.c, self.hp, self.wp)
        ws = workspace(role, shape, self.dtype, np, self.pads, self.h, self.w)
        return ws[:count]

    def interior(self, grid: Any) -> Any:
        top, _, left, _ = self.pads
        return grid[:, :, top : top + self.h, left : left + self.w]

    def input_tiles(self, x: Any, start: int, count: int) -> Any:
        pad = self.padded("wpad", count)
        # Everything outside the interior is zero: written once when the workspace was made.
        self.interior(pad)[...] = x[start : start + count]
        v = self.buffer("wv", self.c, count)
        self.f.input_tiles(pad, v, self.th, self.tw)
        return v


def filter_tiles(weight: Any, f: Any) -> Any:
    """``U = G g G^T`` of every (OC, C) filter as ``(a2, OC, C)``, contiguous per tile element."""
    g = f.G.astype(weight.dtype)
    u = np.einsum("ai,ocij,bj->aboc", g, weight, g, optimize=True)
    return np.ascontiguousarray(u.reshape(f.ALPHA**2, weight.shape[0], weight.shape[1]))


def _split(p: _Plan) -> list[tuple[int, int]]:
    """Image ranges for the worker threads: whole chunks, as even as the chunking allows."""
    chunks = -(-p.n // p.chunk)
    parts = max(1, min(THREADS, _blas_threads(), chunks))
    bounds = [min(p.n, (chunks * j // parts) * p.chunk) for j in range(parts + 1)]
    return [(lo, hi) for lo, hi in zip(bounds, bounds[1:]) if hi > lo]


def _run(job: Callable[[int, int], Any], ranges: list[tuple[int, int]]) -> list[Any]:
    """``job(lo, hi)`` for each range: the first in this thread, the others on the pool.

    The kernels and BLAS release the GIL, so the ranges run on separate cores. BLAS runs
    single-threaded meanwhile (one call per core already; two threaded calls at once fight
    for the same cores). Each thread has its own workspaces (``_kernels.workspace``).
    """
    if len(ranges) <= 1:
        return [job(*r) for r in ranges]
    global _pool
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="winograd")
    with _blas_single_thread():
        futures = [_pool.submit(job, lo, hi) for lo, hi in ranges[1:]]
        first = job(*ranges[0])
        return [first, *(f.result() for f in futures)]


def conv2d_forward(x: Any, weight: Any, bias: Any | None, pads: Pads) -> Any:
    """3x3 stride-1 convolution of NCHW ``x``; returns ``y`` (N, OC, OH, OW). Numpy arrays only."""
    x = np.ascontiguousarray(x)
    p = _Plan(x.shape, weight.shape[0], pads, x.dtype)
    u = filter_tiles(weight, p.f)
    b = np.zeros(p.oc, x.dtype) if bias is None else np.ascontiguousarray(bias)
    y = np.empty((p.n, p.oc, p.oh, p.ow), dtype=x.dtype)

    def job(lo: int, hi: int) -> None:
        for start in range(lo, hi, p.chunk):
            count = min(p.chunk, hi - start)
            v = p.input_tiles(x, start, count)
            m = p.buffer("wm", p.oc, count)
            for k in range(p.a2):
                np.matmul(u[k], v[k], out=m[k])
            p.f.output_tiles(m, y, start, b, p.th, p.tw)

    _run(job, _split(p))
    return y


def conv2d_backward(
    grad: Any,
    x: Any | None,
    weight: Any | None,
    x_shape: tuple[int, int, int, int],
    w_shape: tuple[int, int, int, int],
    pads: Pads,
    need: tuple[bool, bool, bool],
) -> tuple[Any | None, Any | None, Any | None]:
    """Gradients for (input, weight, bias) of ``conv2d_forward``, each only if ``need`` asks.

    ``x`` is read only for the weight gradient (its tiles are transformed again per chunk)
    and ``weight`` only for the input gradient; either may be None when not asked.
    """
    grad = np.ascontiguousarray(grad)
    p = _Plan(x_shape, w_shape[0], pads, grad.dtype)
    gb = grad.sum(axis=(0, 2, 3)) if need[2] else None
    if not (need[0] or need[1]):
        return None, None, gb
    u_t = np.ascontiguousarray(filter_tiles(weight, p.f).transpose(0, 2, 1)) if need[0] else None
    gx = np.empty(x_shape, dtype=grad.dtype) if need[0] else None
    xc = np.ascontiguousarray(x) if need[1] else None
    zero = grad.dtype.type(0)

    def job(lo: int, hi: int) -> Any:
        du = np.zeros((p.a2, p.oc, p.c), dtype=grad.dtype) if xc is not None else None
        part = np.empty((p.oc, p.c), dtype=grad.dtype)
        for start in range(lo, hi, p.chunk):
            count = min(p.chunk, hi - start)
            dm = p.buffer("wdm", p.oc, count)
            p.f.grad_tiles(grad, start, count, dm, p.th, p.tw, zero)
            if du is not None:
                v = p.input_tiles(xc, start, count)
                for k in range(p.a2):
                    np.matmul(dm[k], v[k].T, out=part)
                    du[k] += part
            if gx is not None and u_t is not None:
                dv = p.buffer("wdv", p.c, count)
                for k in range(p.a2):
                    np.matmul(u_t[k], dm[k], out=dv[k])
                gpad = p.padded("wgpad", count)
                gpad[...] = 0
                p.f.scatter_tiles(dv, gpad, p.th, p.tw)
                gx[start : start + count] = p.interior(gpad)
        return du

    parts = _run(job, _split(p))
    gw = None
    if xc is not None:
        du = sum(parts[1:], parts[0]) if parts else np.zeros((p.a2, p.oc, p.c), grad.dtype)
        g, a = p.f.G.astype(grad.dtype), p.f.ALPHA
        gw = np.einsum("ai,abxy,bj->xyij", g, du.reshape(a, a, p.oc, p.c), g, optimize=True)
        gw = np.ascontiguousarray(gw)
    return gx, gw, gb
