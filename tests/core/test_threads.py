"""The CPU convolutions' intra-op threads (core/_threads.py): sharing chunks, same bits, BLAS."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from neurocanvas.core import _kernels, _threads

threadpoolctl = pytest.importorskip("threadpoolctl")


@pytest.fixture
def two_threads(monkeypatch):
    monkeypatch.setattr(_threads, "THREADS", 2)
    monkeypatch.setattr(_threads, "blas_threads", lambda: 2)


def test_threads_iterating_the_same_chunks_take_every_task_exactly_once():
    chunks = _threads.Chunks(103, 4)
    taken: list[list[tuple[int, int, int]]] = [[], [], []]
    barrier = threading.Barrier(3)

    def take(i: int) -> None:
        barrier.wait()
        taken[i].extend(chunks)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    every = sorted(t for part in taken for t in part)
    assert [index for index, _, _ in every] == list(range(26))
    assert [(start, stop) for _, start, stop in every] == [
        (s, min(103, s + 4)) for s in range(0, 103, 4)
    ]


def test_tasks_group_consecutive_chunks_and_pieces_give_the_chunks():
    chunks = _threads.Chunks(10, 3, tasks=2)  # 4 chunks of 3 -> 2 tasks of 2 chunks
    tasks = list(chunks)
    assert tasks == [(0, 0, 6), (1, 6, 10)]
    assert list(chunks.pieces(6, 10)) == [(6, 3), (9, 1)]


def test_chunk_for_gives_each_thread_as_many_equal_chunks(two_threads):
    assert _threads.chunk_for(32, 5) == 4  # 7 chunks of 5 would leave one thread a chunk more
    assert _threads.chunk_for(32, 32) == 16  # one chunk would leave a thread idle
    assert _threads.chunk_for(1, 8) == 1


def test_run_shares_the_chunks_between_two_threads_and_raises_a_workers_error(two_threads):
    seen: set[str] = set()
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=10)

    def job(chunks: _threads.Chunks) -> None:
        barrier.wait()  # both threads are running at once
        with lock:
            seen.add(threading.current_thread().name)
        for _ in chunks:
            pass

    _threads.run(job, _threads.Chunks(8, 1))
    assert len(seen) == 2

    both = threading.Barrier(2, timeout=10)

    def failing(chunks: _threads.Chunks) -> None:
        both.wait()  # the helper thread has started: it is waited for, not cancelled
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("worker failed")
        for _ in chunks:
            pass

    with pytest.raises(RuntimeError, match="worker failed"):
        _threads.run(failing, _threads.Chunks(8, 1))


def test_blas_runs_single_threaded_inside_a_job_and_gets_its_setting_back():
    controller = threadpoolctl.ThreadpoolController()
    if not controller.select(user_api="blas").lib_controllers:
        pytest.skip("no BLAS library found by threadpoolctl")
    inside: list[int] = []

    def job(chunks: _threads.Chunks) -> None:
        inside.append(_threads.blas_threads())
        for _ in chunks:
            pass

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _threads.blas_threads()
        _threads.run(job, _threads.Chunks(4, 1))
        assert _threads.blas_threads() == before
    assert inside and set(inside) == {1}


def _im2col_backward(g, x, weight):
    return _kernels.conv2d_backward(
        g, x, weight, x.shape, weight.shape, (1, 1), (1, 1, 1, 1), (1, 1), (True,) * 3
    )


def _winograd_backward(g, x, weight):
    _winograd = pytest.importorskip("neurocanvas.core._winograd")
    return _winograd.conv2d_backward(g, x, weight, x.shape, weight.shape, (1,) * 4, (True,) * 3)


@pytest.mark.parametrize("backward", [_im2col_backward, _winograd_backward])
@pytest.mark.parametrize("shape", [(6, 3, 9, 8), (5, 8, 10, 7)])
def test_convolution_gradients_are_the_same_bits_with_one_thread_or_two(
    monkeypatch, shape, backward
):
    """The weight gradient is summed per task in task order, whoever took which task."""
    rng = np.random.default_rng(0)
    n, c, h, w = shape
    x = rng.standard_normal(shape).astype(np.float32)
    weight = rng.standard_normal((4, c, 3, 3)).astype(np.float32)
    g = rng.standard_normal((n, 4, h, w)).astype(np.float32)
    monkeypatch.setattr(_kernels, "chunk_size", lambda batch, bytes_per_image: 1)
    if backward is _winograd_backward:
        monkeypatch.setattr(pytest.importorskip("neurocanvas.core._winograd"), "CHUNK_BYTES", 1)
    results = []
    for threads in (1, 2):
        monkeypatch.setattr(_threads, "THREADS", threads)
        monkeypatch.setattr(_threads, "blas_threads", lambda threads=threads: threads)
        results.append(backward(g, x, weight))
    for one, two in zip(*results):
        np.testing.assert_array_equal(one, two)


def test_overlapping_convolutions_in_two_threads_give_blas_its_thread_count_back():
    """Training thread and GUI thread convolving at once: the last one out restores BLAS."""
    controller = threadpoolctl.ThreadpoolController()
    if not controller.select(user_api="blas").lib_controllers:
        pytest.skip("no BLAS library found by threadpoolctl")
    first_in, second_in, first_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, int] = {}

    def first() -> None:
        with _threads.blas_single_thread():
            first_in.set()
            second_in.wait(5)
        first_out.set()

    def second() -> None:
        first_in.wait(5)
        with _threads.blas_single_thread():
            second_in.set()
            first_out.wait(5)
            seen["after the first left"] = _threads.blas_threads()

    with threadpoolctl.threadpool_limits(limits=2, user_api="blas"):
        before = _threads.blas_threads()
        threads = [threading.Thread(target=first), threading.Thread(target=second)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert seen == {"after the first left": 1}
        assert _threads.blas_threads() == before


def test_a_second_caller_does_not_wait_for_the_pool_busy_with_the_first(two_threads):
    """The GUI thread's small convolution must not wait for the training thread's big one."""
    release, busy = threading.Event(), threading.Event()
    first_done: list[bool] = []

    def slow(chunks: _threads.Chunks) -> None:
        for _ in chunks:
            busy.set()
            release.wait(10)

    first = threading.Thread(
        target=lambda: (_threads.run(slow, _threads.Chunks(2, 1)), first_done.append(True))
    )
    first.start()
    busy.wait(10)  # one of its tasks is running; with two tasks, the pool worker holds one
    seen: list[int] = []

    def quick(chunks: _threads.Chunks) -> None:
        seen.extend(start for _, start, _ in chunks)

    _threads.run(quick, _threads.Chunks(4, 1))  # returns while the first still runs
    assert sorted(seen) == [0, 1, 2, 3] and not first_done
    release.set()
    first.join(10)
    assert first_done == [True]


SEEDED_CNN = """
import hashlib, sys
import scipy.linalg  # loads SciPy's own OpenBLAS next to numpy's, as scikit-learn does
import numpy as np
import neurocanvas.core as torch
from neurocanvas.core import nn

torch.manual_seed(0)
# 64 channels: products big enough that OpenBLAS would thread them (and round differently)
model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 64, 3, padding=1),
                      nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.AvgPool2d(2),
                      nn.Flatten(), nn.Linear(64 * 49, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-2)
rng = np.random.default_rng(0)
x = torch.tensor(rng.standard_normal((32, 1, 14, 14)).astype(np.float32))
y = torch.tensor(rng.integers(0, 10, 32))
for _ in range(6):
    opt.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), y)
    loss.backward()
    opt.step()
state = b"".join(v.tobytes() for v in model.state_dict().values())
print(hashlib.sha256(state).hexdigest())
"""


def test_the_same_seed_trains_the_same_bits_in_processes_with_different_hash_seeds():
    """threadpoolctl lists numpy's and SciPy's BLAS in an order that follows the hash seed:
    every library is held at one thread, so no process runs a product threaded."""
    pytest.importorskip("scipy")
    pytest.importorskip("numba")
    digests = set()
    for hash_seed in ("1", "2", "3", "5"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        done = subprocess.run(
            [sys.executable, "-c", SEEDED_CNN], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1


def test_a_library_without_a_per_thread_setter_is_set_through_threadpoolctl():
    class FakeLib:
        internal_api, filepath, num_threads = "mkl", "/nonexistent", 4

        def set_num_threads(self, count: int) -> None:
            self.num_threads = count

    lib = FakeLib()
    set_count = _threads._setter(lib)
    assert set_count(1) == 4 and lib.num_threads == 1
    assert set_count(4) == 1 and lib.num_threads == 4


def test_the_chunks_do_not_depend_on_blass_thread_count(two_threads, monkeypatch):
    """The same chunks at 1 and 2 BLAS threads: sums over them round the same way."""
    sizes = [_threads.chunk_for(32, 5), _threads.chunk_for(7, 3)]
    monkeypatch.setattr(_threads, "blas_threads", lambda: 1)
    assert [_threads.chunk_for(32, 5), _threads.chunk_for(7, 3)] == sizes == [4, 2]
