"""Intra-op threads for the CPU convolution kernels: a batch's chunks split over the cores.

Why our own threads and not BLAS's: a convolution is cut into cache-sized chunks of images
(``_kernels``, ``_thin_conv``, ``_winograd``), each a few small matrix products plus copies
or tile transforms.
BLAS can only thread the products, and a small product shares badly between two threads;
giving each core its own chunks runs the copies and transforms in parallel too (the numba
kernels and BLAS release the GIL). BLAS runs single-threaded meanwhile.

Why BLAS stays single-threaded for *every* CPU convolution, not only the threaded ones:
OpenBLAS's worker threads spin for ~2^28 cycles (~0.1 s, its ``THREAD_TIMEOUT``) after each
threaded call before they sleep. A threaded product just before a convolution (the first
layer's GEMM in a CNN, say) leaves a worker spinning on the core that the convolution's second
thread needs: measured on the 2-core EPYC, a 0.4 ms two-thread GEMM made the next 64->64
Winograd forward 17.3 ms instead of 11.1, and the benchmark CNN's step ran 73 ms instead of
52 ms until the first layer's products ran single-threaded as well.

The thread count follows BLAS's: ``threadpoolctl.threadpool_limits(1)`` (or
``OPENBLAS_NUM_THREADS=1``) makes every convolution single-threaded, the way PyTorch's
``torch.set_num_threads`` governs its intra-op threads. Large elementwise passes (``ReLU``
over a CNN's activations) are shared the same way (``elementwise``).
"""

from __future__ import annotations

import ctypes
import itertools
import os
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, cast

#: Worker threads (the caller included). Two: the machines we measure on have two cores, and
#: a chunked convolution of the sizes the app trains has rarely more than a few chunks.
THREADS = max(1, min(2, os.cpu_count() or 1))

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
_blas: Any = None  # threadpoolctl's controller, made on first use (it scans loaded libraries)
_setters: list[Callable[[int], int]] = []  # per BLAS library: set a count, return the old one


def _controller() -> Any:
    global _blas, _setters
    if _blas is None:
        try:
            from threadpoolctl import ThreadpoolController  # noqa: PLC0415 - see _blas

            _blas = ThreadpoolController()
        except ImportError:  # optional: BLAS then keeps its own thread count
            _blas = False
        _setters = (
            [_setter(lib) for lib in _blas.lib_controllers if lib.user_api == "blas"]
            if _blas
            else []
        )
    return _blas


def _setter(lib: Any) -> Callable[[int], int]:
    """A function that sets ``lib``'s thread count and returns the one it had.

    Every BLAS library loaded gets one: scikit-learn loads SciPy's own OpenBLAS next to
    numpy's, threadpoolctl lists the two in no fixed order, and setting only the first one
    left numpy's BLAS threaded in some processes (same seed, different results: found by a
    fresh tester). For OpenBLAS it is ``openblas_set_num_threads_local`` (OpenBLAS >= 0.3.27;
    process-wide despite its name): measured with numpy's OpenBLAS 0.3.31, once the main thread
    has set a count (``threadpool_limits(2)``, as a benchmark does) the usual setter called
    from another thread (the app trains in a worker thread) changes nothing, this one does.
    """
    if lib.internal_api == "openblas":
        try:
            local = getattr(ctypes.CDLL(lib.filepath), "openblas_set_num_threads_local", None)
        except OSError:
            local = None
        if local is not None:
            local.argtypes, local.restype = (ctypes.c_int,), ctypes.c_int
            return cast(Callable[[int], int], local)

    def via_threadpoolctl(count: int) -> int:
        before = int(lib.num_threads)
        lib.set_num_threads(count)
        return before

    return via_threadpoolctl


def blas_threads() -> int:
    """BLAS's current thread count, the lowest of the libraries loaded (``THREADS`` without
    threadpoolctl)."""
    blas = _controller()
    if not blas:
        return THREADS
    counts = [lib.num_threads for lib in blas.lib_controllers if lib.user_api == "blas"]
    return min(counts, default=THREADS)


_limit_lock = threading.Lock()
_limit_depth = 0
_limit_restore: list[int] = []  # each library's count before the first thread went single


@contextmanager
def blas_single_thread() -> Iterator[None]:
    """BLAS at one thread for the duration (the module docstring says why).

    BLAS's thread count is one setting for the whole process, and the app's training thread
    and GUI thread may both convolve at once: the first thread in sets 1 and the last one out
    restores the count found before (set and restored per call, the second thread would save
    the first's 1 and leave BLAS at one thread for good).
    """
    global _limit_depth, _limit_restore
    if not _controller():
        yield
        return
    with _limit_lock:
        if _limit_depth == 0:
            _limit_restore = [set_count(1) for set_count in _setters]
        _limit_depth += 1
    try:
        yield
    finally:
        with _limit_lock:
            _limit_depth -= 1
            if _limit_depth == 0:
                for set_count, count in zip(_setters, _limit_restore):
                    set_count(count)
                _limit_restore = []


#: Memory allowed for per-task partial sums (a convolution's weight gradient per task).
PARTIALS_BYTES = 32 << 20


class Chunks:
    """A batch of ``n`` images cut into chunks of ``chunk``, handed out to whichever thread is free.

    The unit handed out is a task: one chunk, or with ``tasks`` a block of consecutive chunks
    (fewer, larger units, each with one partial sum). Iterating yields ``(index, start, stop)``
    for the tasks this thread takes; ``pieces(start, stop)`` yields its chunks. Several
    threads iterating the same ``Chunks`` share the tasks between them (dynamic scheduling: a
    thread slowed by other work on the machine simply takes fewer). Sums over the batch are
    kept per task ``index`` and added in index order, so they do not depend on which thread
    took which task: the same bits with one thread or two.
    """

    def __init__(self, n: int, chunk: int, tasks: int | None = None) -> None:
        self.n, self.chunk = n, max(1, chunk)
        chunks = -(-n // self.chunk)
        per_task = 1 if tasks is None else max(1, -(-chunks // max(1, tasks)))
        self.step = per_task * self.chunk
        self.count = -(-n // self.step)
        self._next = itertools.count()  # its __next__ is atomic under the GIL

    def __iter__(self) -> Iterator[tuple[int, int, int]]:
        for index in self._next:
            start = index * self.step
            if start >= self.n:
                return
            yield index, start, min(self.n, start + self.step)

    def pieces(self, start: int, stop: int) -> Iterator[tuple[int, int]]:
        """``(start, count)`` of each chunk of the task ``start:stop``."""
        for lo in range(start, stop, self.chunk):
            yield lo, min(self.chunk, stop - lo)

    @staticmethod
    def tasks_for(partial_bytes: int) -> int:
        """How many tasks may keep a partial sum of ``partial_bytes`` each (at least THREADS)."""
        return max(THREADS, PARTIALS_BYTES // max(1, partial_bytes))


def chunk_for(n: int, chunk: int) -> int:
    """``chunk`` lowered so that ``n`` images make a multiple of ``THREADS`` in chunks.

    Equal chunks, as many per thread (7 chunks of 5 for 32 images become 8 of 4), so that no
    thread is left with one more chunk than the other while it waits. ``THREADS``, not BLAS's
    current count: the chunks, and so the rounding of every sum over them, are the same
    whether BLAS is limited to one thread or not.
    """
    if n <= 0:
        return max(1, chunk)
    chunks = -(-n // max(1, chunk))
    chunks = -(-chunks // THREADS) * THREADS
    return max(1, -(-n // chunks))


def run(job: Callable[[Chunks], None], chunks: Chunks) -> None:
    """``job(chunks)`` in up to ``THREADS`` threads at once (this one included), BLAS at one thread.

    Every thread runs the same ``job`` over the shared ``chunks``. The kernels and BLAS release
    the GIL, so the threads run on separate cores. Each thread has its own workspaces
    (``_kernels.workspace`` is thread-local), so jobs may reuse scratch arrays freely. An
    exception in any thread is raised here.
    """
    global _pool
    threads = max(1, min(THREADS, blas_threads(), chunks.count))

    def single(chunks: Chunks) -> None:
        with blas_single_thread():
            job(chunks)

    if threads == 1:
        single(chunks)
        return
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS - 1, thread_name_prefix="conv")
    futures = [_pool.submit(single, chunks) for _ in range(threads - 1)]
    try:
        single(chunks)
    finally:
        # This thread only stops once every task is taken. A helper that has not started
        # (the pool busy with another thread's convolution, e.g. the training thread's while
        # the GUI thread previews) has nothing left to do: cancelled, not waited for. One that
        # runs is waited for: never return while another thread still writes the outputs.
        started = [f for f in futures if not f.cancel()]
        wait(started)
    for future in started:
        future.result()  # re-raises a worker's exception


#: Fewest elements for which an elementwise operation is shared between the threads: below
#: ~1M float32 values (4 MB) waking the second thread costs about what it saves.
ELEMENTWISE_MIN = 1 << 20


def elementwise(op: Callable[[slice], None], size: int, rows: int) -> None:
    """``op(s)`` for slices ``s`` of the leading axis (``rows`` long), split between the threads.

    For numpy ufuncs writing with ``out=`` (they release the GIL): a ReLU over a CNN's
    activations (1.6M values for 32 x 64 x 28 x 28) took ~1.2 ms per pass on one core.
    Arrays under ``ELEMENTWISE_MIN`` elements, or with one row, run in this thread.
    """
    if size < ELEMENTWISE_MIN or rows < 2:
        op(slice(0, rows))
        return
    chunks = Chunks(rows, chunk_for(rows, rows))

    def job(chunks: Chunks) -> None:
        for _, start, stop in chunks:
            op(slice(start, stop))

    run(job, chunks)
