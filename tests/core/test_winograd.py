"""Winograd 3x3 convolutions (core/_winograd.py): the direct definition, gradients, torch.

``conv2d`` takes this path for 3x3, stride-1, dilation-1, ungrouped convolutions with at least
8 channels in and out on the CPU when numba is installed; otherwise the im2col kernels.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

from neurocanvas.core import _conv, _threads
from neurocanvas.core._conv import conv2d
from neurocanvas.core.tensor import Tensor
from tests.core.gradcheck import check_grad
from tests.core.test_conv import naive_conv2d

pytest.importorskip("numba")
from neurocanvas.core import _winograd  # noqa: E402 - needs numba


@pytest.fixture
def tol():
    """float32 tolerance relative to the largest value."""
    return 1e-5


# (height, width, padding): odd outputs leave half-empty tiles at the bottom/right edge.
SHAPES = [(6, 6, 1), (7, 5, 1), (5, 9, 0), (8, 8, (2, 0)), (4, 3, 1)]


def _arrays(n, c, oc, h, w, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    weight = rng.standard_normal((oc, c, 3, 3)).astype(dtype)
    bias = rng.standard_normal(oc).astype(dtype)
    return x, weight, bias


def _pair(padding):
    return (padding, padding) if isinstance(padding, int) else padding


@pytest.fixture
def counted(monkeypatch):
    """Counts the Winograd forward calls that ``conv2d`` makes."""
    calls = []
    original = _winograd.conv2d_forward

    def spy(*args, **kwargs):
        calls.append(args[0].shape)
        return original(*args, **kwargs)

    monkeypatch.setattr(_winograd, "conv2d_forward", spy)
    return calls


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of one or two images and two threads: several chunks per thread, a short last."""
    monkeypatch.setattr(_winograd, "CHUNK_BYTES", 1)
    monkeypatch.setattr(_threads, "THREADS", 2)
    monkeypatch.setattr(_threads, "blas_threads", lambda: 2)


@pytest.mark.parametrize(("h", "w", "padding"), SHAPES)
def test_forward_matches_the_direct_definition(h, w, padding, counted):
    x, weight, bias = _arrays(3, 8, 9, h, w)
    ph, pw = _pair(padding)
    out = conv2d(Tensor(x), Tensor(weight), Tensor(bias), padding=padding)
    expected = naive_conv2d(x, weight, bias, (1, 1), (ph, pw), (1, 1), 1)
    assert counted == [x.shape]
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


def test_forward_without_bias_and_with_same_padding_matches_the_direct_definition():
    x, weight, _ = _arrays(2, 8, 8, 7, 6, seed=1)
    out = conv2d(Tensor(x), Tensor(weight), padding="same")
    expected = naive_conv2d(x, weight, None, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("h", "w", "padding"), SHAPES[:4])
def test_gradients_match_finite_differences(h, w, padding):
    x, weight, bias = (Tensor(a, requires_grad=True) for a in _arrays(2, 8, 8, h, w, seed=2))
    check_grad(lambda a, b, c: conv2d(a, b, c, padding=padding), x, weight, bias)


def test_chunks_and_threads_give_the_same_result_as_one_chunk(small_chunks):
    x, weight, bias = _arrays(5, 8, 8, 10, 7, seed=3)
    g = np.random.default_rng(4).standard_normal((5, 8, 10, 7))
    y, _ = _winograd.conv2d_forward(x, weight, bias, (1, 1, 1, 1))
    grads = _winograd.conv2d_backward(
        g, x, weight, x.shape, weight.shape, (1, 1, 1, 1), (True, True, True)
    )
    plan = _winograd._Plan(x.shape, 8, (1, 1, 1, 1), x.dtype)
    assert plan.chunk == 1 and _threads.Chunks(plan.n, plan.chunk).count == 5
    expected = naive_conv2d(x, weight, bias, (1, 1), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    # Reference gradients from the im2col kernels, one chunk, one thread.
    reference = _conv._kernels.conv2d_backward(
        g, x, weight, x.shape, weight.shape, (1, 1), (1, 1, 1, 1), (1, 1), (True, True, True)
    )
    for ours, ref in zip(grads, reference):
        np.testing.assert_allclose(ours, ref, rtol=1e-11, atol=1e-11)


def test_sizes_sharing_a_padded_buffer_do_not_see_each_others_data():
    # 8 and 7 rows (and 6 and 5 columns) both round up to the same padded workspace.
    for h, w in ((8, 6), (7, 5), (8, 6)):
        x, weight, bias = _arrays(2, 8, 8, h, w, seed=h)
        out, _ = _winograd.conv2d_forward(x, weight, bias, (1, 1, 1, 1))
        expected = naive_conv2d(x, weight, bias, (1, 1), (1, 1), (1, 1), 1)
        np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-12)


def test_an_empty_batch_gives_empty_outputs_and_zero_weight_gradients():
    x = Tensor(np.zeros((0, 8, 6, 6)), requires_grad=True)
    w = Tensor(np.ones((8, 8, 3, 3)), requires_grad=True)
    out = conv2d(x, w, padding=1)
    out.sum().backward()
    assert out.shape == (0, 8, 6, 6) and x.grad.shape == (0, 8, 6, 6)
    np.testing.assert_array_equal(w.grad.numpy(), np.zeros((8, 8, 3, 3)))


def test_float16_keeps_the_im2col_kernels(counted):
    x, weight, bias = (a.astype(np.float16) for a in _arrays(2, 8, 8, 6, 6, seed=12))
    out = conv2d(Tensor(x), Tensor(weight), Tensor(bias), padding=1)
    expected = naive_conv2d(
        *(a.astype(np.float64) for a in (x, weight, bias)), (1, 1), (1, 1), (1, 1), 1
    )
    assert counted == [] and out.dtype == np.float16
    np.testing.assert_allclose(out.numpy(), expected, rtol=0, atol=0.05)


def test_two_threads_convolving_at_once_get_their_own_results(small_chunks):
    """The app's training thread and GUI thread may convolve at once: shared pool, own scratch."""
    arrays = [_arrays(4, 8, 8, 9, 7, seed=20 + i) for i in range(2)]
    expected = [naive_conv2d(x, w, b, (1, 1), (1, 1), (1, 1), 1) for x, w, b in arrays]
    results: dict[int, list[np.ndarray]] = {0: [], 1: []}

    def work(i: int) -> None:
        x, w, b = arrays[i]
        for _ in range(5):
            results[i].append(_winograd.conv2d_forward(x, w, b, (1, 1, 1, 1))[0])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for i in range(2):
        assert len(results[i]) == 5
        for out in results[i]:
            np.testing.assert_allclose(out, expected[i], rtol=1e-12, atol=1e-12)


def test_only_the_asked_gradients_are_computed():
    x, weight, _ = _arrays(2, 8, 8, 6, 6, seed=5)
    g = np.ones((2, 8, 6, 6))
    gx, gw, gb = _winograd.conv2d_backward(
        g, x, None, x.shape, weight.shape, (1, 1, 1, 1), (False, True, False)
    )
    assert gx is None and gb is None and gw.shape == weight.shape
    gx, gw, gb = _winograd.conv2d_backward(
        g, None, weight, x.shape, weight.shape, (1, 1, 1, 1), (True, False, True)
    )
    assert gw is None and gx.shape == x.shape and gb.shape == (8,)


def test_a_data_input_gets_no_gradient_and_the_weights_do():
    x, weight, bias = _arrays(2, 8, 8, 6, 6, seed=6)
    w = Tensor(weight, requires_grad=True)
    out = conv2d(Tensor(x), w, Tensor(bias), padding=1)
    out.sum().backward()
    expected = _winograd.conv2d_backward(
        np.ones(out.shape), x, weight, x.shape, weight.shape, (1, 1, 1, 1), (False, True, False)
    )[1]
    np.testing.assert_allclose(w.grad.numpy(), expected, rtol=1e-12)


def test_few_channels_strides_and_big_kernels_keep_the_im2col_kernels(counted):
    rng = np.random.default_rng(7)
    conv2d(Tensor(rng.standard_normal((2, 1, 6, 6))), Tensor(rng.standard_normal((8, 1, 3, 3))))
    x = Tensor(rng.standard_normal((2, 8, 6, 6)))
    conv2d(x, Tensor(rng.standard_normal((8, 8, 3, 3))), stride=2)
    conv2d(x, Tensor(rng.standard_normal((8, 8, 3, 3))), dilation=2)
    conv2d(x, Tensor(rng.standard_normal((8, 8, 5, 5))))
    conv2d(x, Tensor(rng.standard_normal((8, 4, 3, 3))), groups=2)
    assert counted == []


def test_without_numba_the_im2col_kernels_give_the_same_result(monkeypatch, counted, tol):
    x, weight, bias = _arrays(2, 8, 8, 7, 7, seed=8, dtype=np.float32)
    fast = conv2d(Tensor(x), Tensor(weight), Tensor(bias), padding=1).numpy()
    monkeypatch.setattr(_conv, "_winograd", False)  # as if ``import numba`` had failed
    slow = conv2d(Tensor(x), Tensor(weight), Tensor(bias), padding=1).numpy()
    assert len(counted) == 1
    np.testing.assert_allclose(fast, slow, rtol=0, atol=tol * np.abs(slow).max())


def test_float32_error_is_close_to_the_im2col_kernels(monkeypatch):
    """The transforms add rounding: F(2x2) a few ulps."""
    x, weight, bias = _arrays(4, 64, 64, 14, 14, seed=9)
    exact = naive_conv2d(x, weight, bias, (1, 1), (1, 1), (1, 1), 1)
    args = [Tensor(a.astype(np.float32)) for a in (x, weight, bias)]
    wino = conv2d(*args, padding=1).numpy()
    monkeypatch.setattr(_conv, "WINOGRAD", False)
    im2col = conv2d(*args, padding=1).numpy()
    err_wino = np.abs(wino - exact).max()
    err_im2col = np.abs(im2col - exact).max()
    assert err_wino < 4 * err_im2col
    assert err_wino < 1e-4 * np.abs(exact).max()


@pytest.mark.torch
def test_layer_matches_pytorch_in_float32(tol):
    torch = pytest.importorskip("torch")
    x, weight, bias = _arrays(8, 16, 32, 28, 28, seed=10, dtype=np.float32)
    g = np.random.default_rng(11).standard_normal((8, 32, 28, 28)).astype(np.float32)
    ours = [Tensor(a, requires_grad=True) for a in (x, weight, bias)]
    out = conv2d(*ours, padding=1)
    out.backward(Tensor(g))
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, weight, bias)]
    ref = torch.nn.functional.conv2d(*theirs, padding=1)
    ref.backward(torch.tensor(g))
    pairs = [(out.numpy(), ref.detach().numpy())]
    pairs += [(o.grad.numpy(), t.grad.numpy()) for o, t in zip(ours, theirs)]
    for mine, expected in pairs:
        np.testing.assert_allclose(mine, expected, rtol=0, atol=tol * np.abs(expected).max())


def test_backward_from_kept_input_tiles_gives_the_same_bits_as_recomputing_them(small_chunks):
    x, weight, bias = (a.astype(np.float32) for a in _arrays(5, 8, 8, 10, 7, seed=30))
    g = np.random.default_rng(31).standard_normal((5, 8, 10, 7)).astype(np.float32)
    y, kept = _winograd.conv2d_forward(x, weight, bias, (1, 1, 1, 1), keep=True)
    y2, none = _winograd.conv2d_forward(x, weight, bias, (1, 1, 1, 1))
    assert kept is not None and none is None and len(kept.tiles) == 5
    np.testing.assert_array_equal(y, y2)
    need = (True, True, True)
    from_kept = _winograd.conv2d_backward(
        g, None, weight, x.shape, weight.shape, (1,) * 4, need, kept
    )
    recomputed = _winograd.conv2d_backward(g, x, weight, x.shape, weight.shape, (1,) * 4, need)
    for a, b in zip(from_kept, recomputed):
        np.testing.assert_array_equal(a, b)


def test_input_tiles_over_the_memory_cap_are_recomputed_not_kept(monkeypatch):
    x, weight, bias = _arrays(2, 8, 8, 6, 6, seed=32)
    monkeypatch.setattr(_winograd, "KEEP_BYTES", 10)
    _, kept = _winograd.conv2d_forward(x, weight, bias, (1, 1, 1, 1), keep=True)
    assert kept is None
    xt, wt = Tensor(x, requires_grad=True), Tensor(weight, requires_grad=True)
    check_grad(lambda a, b: conv2d(a, b, padding=1), xt, wt)
