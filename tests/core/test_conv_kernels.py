"""The chunked convolution kernels (core/_kernels.py): chunk edges, workspace reuse, parity.

The tests in test_conv.py run on batches that fit one chunk; here ``CHUNK_BYTES`` is made
tiny so that every batch is cut into several chunks with a short last one.
"""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest

from neurocanvas.core import _conv, _kernels
from neurocanvas.core._conv import conv2d
from neurocanvas.core.tensor import Tensor
from tests.core.gradcheck import check_grad
from tests.core.test_conv import naive_conv2d

# (stride, padding, dilation): stride 1 takes the shifted-columns path, the others the
# strided-window path; asymmetric "same" padding and dilation move the shift offsets.
GEOMETRIES = [
    ((1, 1), 1, (1, 1)),
    ((1, 1), 0, (1, 1)),
    ((1, 1), "same", (2, 1)),
    ((1, 1), (2, 0), (1, 2)),
    ((2, 2), 1, (1, 1)),
    ((2, 1), (1, 2), (2, 1)),
]


@pytest.fixture
def small_chunks(monkeypatch) -> None:
    """Chunks of two images: a batch of 5 is cut 2 + 2 + 1 (a short last chunk)."""
    monkeypatch.setattr(_kernels, "chunk_size", lambda batch, bytes_per_image: min(batch, 2))


def test_chunks_hold_about_chunk_bytes_of_columns():
    assert _kernels.chunk_size(32, _kernels.CHUNK_BYTES // 4) == 4
    assert _kernels.chunk_size(3, 1) == 3  # never more than the batch
    assert _kernels.chunk_size(32, 10 * _kernels.CHUNK_BYTES) == 1  # never less than one


def _arrays(seed: int, dtype: type = np.float64) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((5, 3, 9, 8)).astype(dtype)
    w = rng.standard_normal((4, 3, 3, 3)).astype(dtype)
    b = rng.standard_normal(4).astype(dtype)
    return [x, w, b]


def _explicit(padding, w_shape, dilation):
    """The padding as the naive reference takes it (symmetric pair; "same" is resolved)."""
    if padding == "same":
        return None
    return (padding, padding) if isinstance(padding, int) else padding


@pytest.mark.parametrize(("stride", "padding", "dilation"), GEOMETRIES)
def test_chunked_convolution_matches_the_naive_loop(small_chunks, stride, padding, dilation):
    x, w, b = _arrays(0)
    assert _kernels._Geometry(x.shape, w.shape, stride, (1,) * 4, (1, 1), x.dtype, np).chunk == 2
    y = conv2d(Tensor(x), Tensor(w), Tensor(b), stride=stride, padding=padding, dilation=dilation)
    pad = _explicit(padding, w.shape, dilation)
    if pad is None:  # "same" with an even span: compare with torch-free explicit padding
        total = [d * (k - 1) for k, d in zip(w.shape[2:], dilation)]
        xp = np.pad(x, ((0, 0), (0, 0), (total[0] // 2, total[0] - total[0] // 2), (0, 0)))
        xp = np.pad(xp, ((0, 0), (0, 0), (0, 0), (total[1] // 2, total[1] - total[1] // 2)))
        ref = naive_conv2d(xp, w, b, stride, (0, 0), dilation, 1)
    else:
        ref = naive_conv2d(x, w, b, stride, pad, dilation, 1)
    np.testing.assert_allclose(y.detach().numpy(), ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("stride", "padding", "dilation"), GEOMETRIES)
def test_chunked_convolution_gradients_match_finite_differences(
    small_chunks, stride, padding, dilation
):
    x, w, b = _arrays(1)
    inputs = [Tensor(a, requires_grad=True) for a in (x[:3], w, b)]
    assert check_grad(
        lambda x, w, b: conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation),
        *inputs,
        max_elements=10_000,
    )


@pytest.mark.parametrize(("stride", "padding", "dilation"), GEOMETRIES)
def test_chunked_kernels_agree_with_the_one_gemm_kernel(small_chunks, stride, padding, dilation):
    """Forward and all three gradients against _conv's whole-batch im2col kernel."""
    x, w, b = _arrays(2)
    pads = _conv._conv_pads(padding, (3, 3), stride, dilation, "test")
    y = _kernels.conv2d_forward(x, w, b, stride, pads, dilation)
    ref, col = _conv.conv2d_forward(x, w, b, stride, pads, dilation, 1)
    np.testing.assert_allclose(y, ref, rtol=1e-12, atol=1e-12)
    grad = np.random.default_rng(3).standard_normal(y.shape)
    ours = _kernels.conv2d_backward(
        grad, x, w, x.shape, w.shape, stride, pads, dilation, (True, True, True)
    )
    theirs = _conv.conv2d_backward(
        grad, x.shape, w.shape, w, col, stride, pads, dilation, 1, (True, True, True)
    )
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(mine, other, rtol=1e-11, atol=1e-11)


def test_reused_workspaces_carry_nothing_from_one_call_to_the_next(small_chunks):
    x, w, b = _arrays(4)
    first = _kernels.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1))
    grads = _kernels.conv2d_backward(
        np.ones_like(first), x, w, x.shape, w.shape, (1, 1), (1, 1, 1, 1), (1, 1), (True,) * 3
    )
    other = np.random.default_rng(9).standard_normal((6, 3, 9, 8)) * 1e6
    _kernels.conv2d_forward(other, w, b, (1, 1), (1, 1, 1, 1), (1, 1))
    again = _kernels.conv2d_forward(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1))
    np.testing.assert_array_equal(again, first)
    grads_again = _kernels.conv2d_backward(
        np.ones_like(first), x, w, x.shape, w.shape, (1, 1), (1, 1, 1, 1), (1, 1), (True,) * 3
    )
    for g1, g2 in zip(grads, grads_again):
        np.testing.assert_array_equal(g1, g2)


def test_workspace_is_reused_per_thread_and_bounded():
    a = _kernels.workspace("test-role", (4, 5), np.float32, np)
    assert _kernels.workspace("test-role", (4, 5), np.float32, np) is a
    assert _kernels.workspace("test-role", (4, 5), np.float64, np) is not a
    other: list[np.ndarray] = []
    thread = threading.Thread(
        target=lambda: other.append(_kernels.workspace("test-role", (4, 5), np.float32, np))
    )
    thread.start()
    thread.join()
    assert other[0] is not a  # the training thread and the GUI thread never share scratch
    for i in range(_kernels._WORKSPACE_SLOTS + 1):
        _kernels.workspace("fill", (i + 1,), np.float32, np)
    assert len(_kernels._local.cache) == _kernels._WORKSPACE_SLOTS


def test_float32_stays_float32_through_the_chunks(small_chunks):
    x, w, b = (a.astype(np.float32) for a in _arrays(5))
    ts = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    y = conv2d(*ts, padding=1)
    y.sum().backward()
    assert y.dtype == np.float32
    assert all(t.grad.dtype == np.float32 for t in ts)


@pytest.mark.torch
@pytest.mark.parametrize(("stride", "padding", "dilation"), GEOMETRIES)
def test_chunked_convolution_matches_torch(small_chunks, stride, padding, dilation):
    torch = pytest.importorskip("torch")
    x, w, b = _arrays(6)
    ours = [Tensor(a, requires_grad=True) for a in (x, w, b)]
    theirs = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    args = {"stride": stride, "padding": padding, "dilation": dilation}
    out = conv2d(*ours, **args)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch: "same" with even span copies
        ref = torch.nn.functional.conv2d(*theirs, **args)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(8).standard_normal(tuple(ref.shape))
    (out * Tensor(v)).sum().backward()
    (ref * torch.tensor(v)).sum().backward()
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=1e-10, atol=1e-12)
