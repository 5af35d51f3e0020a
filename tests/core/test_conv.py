"""Convolution and pooling: values against naive loops, gradients against finite differences,
and (when PyTorch is installed) both against torch."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import numpy as np
import pytest

from neurocanvas.core import _conv, backend
from neurocanvas.core._conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from neurocanvas.core.tensor import Tensor
from tests.core.gradcheck import check_grad


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


# --------------------------------------------------------------------------- references


def naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """Direct definition: one dot product per output position (slow, obviously right)."""
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    n, c, h, wd = x.shape
    oc, cg, kh, kw = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((n, oc, oh, ow), dtype=x.dtype)
    ocg = oc // groups
    for o in range(oc):
        g = o // ocg
        for i in range(oh):
            for j in range(ow):
                patch = xp[
                    :,
                    g * cg : (g + 1) * cg,
                    i * sh : i * sh + dh * (kh - 1) + 1 : dh,
                    j * sw : j * sw + dw * (kw - 1) + 1 : dw,
                ]
                out[:, o, i, j] = (patch * w[o]).sum(axis=(1, 2, 3))
        if b is not None:
            out[:, o] += b[o]
    return out


def _pool_len(size, k, s, p, d, ceil_mode):
    span = size + 2 * p - d * (k - 1) - 1
    o = (math.ceil(span / s) if ceil_mode else span // s) + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def naive_max_pool2d(x, k, s, p, d, ceil_mode):
    n, c, h, w = x.shape
    oh, ow = (_pool_len(sz, k[a], s[a], p[a], d[a], ceil_mode) for a, sz in enumerate((h, w)))
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    idx = np.empty((n, c, oh, ow), dtype=np.int64)
    for i in range(oh):
        for j in range(ow):
            best = np.full((n, c), -np.inf)
            where = np.zeros((n, c), dtype=np.int64)
            for a in range(k[0]):
                for bb in range(k[1]):
                    r, q = i * s[0] - p[0] + a * d[0], j * s[1] - p[1] + bb * d[1]
                    if 0 <= r < h and 0 <= q < w:
                        v = x[:, :, r, q]
                        better = v > best
                        best = np.where(better, v, best)
                        where = np.where(better, r * w + q, where)
            out[:, :, i, j], idx[:, :, i, j] = best, where
    return out, idx


def naive_avg_pool2d(x, k, s, p, ceil_mode, count_include_pad):
    """PyTorch's CPU algorithm, written out position by position."""
    n, c, h, w = x.shape
    oh, ow = (_pool_len(sz, k[a], s[a], p[a], 1, ceil_mode) for a, sz in enumerate((h, w)))
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            h0, w0 = i * s[0] - p[0], j * s[1] - p[1]
            h1, w1 = min(h0 + k[0], h + p[0]), min(w0 + k[1], w + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            if not count_include_pad:
                size = (h1 - h0) * (w1 - w0)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3)) / size
    return out


def naive_adaptive_avg_pool2d(x, oh, ow):
    n, c, h, w = x.shape
    out = np.empty((n, c, oh, ow), dtype=x.dtype)
    for i in range(oh):
        for j in range(ow):
            rows = slice(i * h // oh, -(-(i + 1) * h // oh))
            cols = slice(j * w // ow, -(-(j + 1) * w // ow))
            out[:, :, i, j] = x[:, :, rows, cols].mean(axis=(2, 3))
    return out


# --------------------------------------------------------------------------- gradient checking


def check_grads(fn: Callable[..., Tensor], arrays: list[np.ndarray]) -> None:
    """Shared central finite differences (float64) on fresh leaf tensors of ``arrays``.

    Every element is perturbed (max_elements is raised) so that no window position escapes.
    """
    inputs = [Tensor(np.ascontiguousarray(a, dtype=np.float64), requires_grad=True) for a in arrays]
    assert check_grad(fn, *inputs, max_elements=10_000)


# --------------------------------------------------------------------------- raw kernels


@pytest.mark.parametrize(
    ("kernel", "stride", "pads", "dilation"),
    [((3, 3), (1, 1), (1, 1, 1, 1), (1, 1)), ((2, 3), (2, 1), (0, 1, 2, 0), (2, 1))],
)
def test_col2im_is_the_adjoint_of_im2col(kernel, stride, pads, dilation):
    # <im2col(x), c> == <x, col2im(c)> is what makes col2im the exact input gradient.
    rng = _rng()
    x = rng.standard_normal((2, 3, 7, 6))
    col = _conv.im2col(x, kernel, stride, pads, dilation)
    c = rng.standard_normal(col.shape)
    assert col.flags.c_contiguous
    back = _conv.col2im(c, x.shape, stride, pads, dilation)
    assert np.isclose((col * c).sum(), (x * back).sum())


def test_im2col_orders_columns_channel_kernel_batch_position():
    x = np.arange(2 * 1 * 3 * 3, dtype=np.float64).reshape(2, 1, 3, 3)
    col = _conv.im2col(x, (2, 2))
    assert col.shape == (1, 2, 2, 2, 2, 2)
    # Offset (0, 1) of sample 1 at output (1, 0) reads x[1, 0, 1, 1].
    assert col[0, 0, 1, 1, 1, 0] == x[1, 0, 1, 1]


# --------------------------------------------------------------------------- conv2d


CONV_CASES = [
    # x shape, w shape, stride, padding, dilation, groups, bias
    ((2, 3, 5, 5), (4, 3, 3, 3), 1, 0, 1, 1, True),
    ((1, 2, 6, 5), (3, 2, 2, 3), (2, 1), (1, 2), 1, 1, False),
    ((2, 2, 7, 6), (2, 2, 3, 2), 1, 1, (2, 1), 1, True),
    ((1, 4, 5, 6), (4, 2, 3, 3), 2, 1, 1, 2, True),
]


@pytest.mark.parametrize(
    ("xs", "ws", "stride", "padding", "dilation", "groups", "bias"), CONV_CASES
)
def test_conv2d_matches_the_naive_loop(xs, ws, stride, padding, dilation, groups, bias):
    rng = _rng()
    x, w = rng.standard_normal(xs), rng.standard_normal(ws)
    b = rng.standard_normal(ws[0]) if bias else None
    out = conv2d(
        Tensor(x), Tensor(w), None if b is None else Tensor(b), stride, padding, dilation, groups
    )
    pair = _conv._pair
    expected = naive_conv2d(
        x,
        w,
        b,
        pair(stride, "s", "t", 1),
        pair(padding, "p", "t", 0),
        pair(dilation, "d", "t", 1),
        groups,
    )
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    ("xs", "ws", "stride", "padding", "dilation", "groups", "bias"), CONV_CASES
)
def test_conv2d_gradients_match_finite_differences(xs, ws, stride, padding, dilation, groups, bias):
    rng = _rng(1)
    arrays = [rng.standard_normal(xs), rng.standard_normal(ws)]
    if bias:
        arrays.append(rng.standard_normal(ws[0]))

    def fn(x, w, b=None):
        return conv2d(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)

    check_grads(fn, arrays)


def test_conv2d_computes_only_the_gradients_that_are_needed():
    rng = _rng()
    x = Tensor(rng.standard_normal((1, 2, 4, 4)))
    w = Tensor(rng.standard_normal((3, 2, 3, 3)), requires_grad=True)
    conv2d(x, w, padding=1).sum().backward()
    assert x.grad is None
    assert w.grad.shape == (3, 2, 3, 3)


def test_conv2d_keeps_float32_end_to_end():
    rng = _rng()
    x = Tensor(rng.standard_normal((2, 3, 6, 6)).astype(np.float32), requires_grad=True)
    w = Tensor(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), requires_grad=True)
    b = Tensor(np.zeros(4, dtype=np.float32), requires_grad=True)
    out = conv2d(x, w, b, padding=1)
    out.sum().backward()
    assert out.dtype == np.float32
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == np.float32


@pytest.mark.parametrize(("kernel", "dilation"), [((3, 3), 1), ((2, 4), 1), ((3, 2), 2)])
def test_conv2d_same_padding_keeps_the_size_and_pads_the_end_for_even_kernels(kernel, dilation):
    rng = _rng()
    x, w = rng.standard_normal((1, 2, 5, 6)), rng.standard_normal((3, 2) + kernel)
    out = conv2d(Tensor(x), Tensor(w), padding="same", dilation=dilation).detach().numpy()
    assert out.shape == (1, 3, 5, 6)
    # Pad by hand (odd extra cell at bottom/right) and run a valid convolution.
    total = [dilation * (k - 1) for k in kernel]
    xpad = np.pad(
        x,
        (
            (0, 0),
            (0, 0),
            (total[0] // 2, total[0] - total[0] // 2),
            (total[1] // 2, total[1] - total[1] // 2),
        ),
    )
    expected = naive_conv2d(xpad, w, None, (1, 1), (0, 0), (dilation, dilation), 1)
    np.testing.assert_allclose(out, expected, atol=1e-12)
    valid = conv2d(Tensor(x), Tensor(w), padding="valid", dilation=dilation).detach().numpy()
    np.testing.assert_allclose(valid, naive_conv2d(x, w, None, (1, 1), (0, 0), (dilation,) * 2, 1))


def test_conv2d_accepts_unbatched_input():
    rng = _rng()
    x, w = rng.standard_normal((2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    out = conv2d(Tensor(x), Tensor(w))
    np.testing.assert_allclose(
        out.detach().numpy(), conv2d(Tensor(x[None]), Tensor(w)).detach().numpy()[0]
    )


@pytest.mark.parametrize(
    ("x_shape", "w_shape", "kwargs", "error", "message"),
    [
        ((1, 3, 5, 5), (4, 2, 3, 3), {}, ValueError, "expects 2 input channels"),
        ((1, 4, 5, 5), (3, 2, 3, 3), {"groups": 2}, ValueError, "not divisible by groups"),
        ((1, 2, 2, 2), (4, 2, 3, 3), {}, ValueError, "larger than the padded input height"),
        ((1, 2, 5, 5), (4, 2, 3, 3), {"stride": 2, "padding": "same"}, ValueError, "strided"),
        ((1, 2, 5, 5), (4, 2, 3, 3), {"padding": "full"}, ValueError, "'valid', 'same'"),
        ((1, 2, 5, 5), (4, 2, 3, 3), {"stride": 0}, ValueError, "stride must be >= 1"),
        ((2, 5, 5), (4, 2, 3), {}, ValueError, "weight must be a 4-D"),
    ],
)
def test_conv2d_rejects_bad_arguments_with_a_clear_message(
    x_shape, w_shape, kwargs, error, message
):
    x, w = Tensor(np.zeros(x_shape)), Tensor(np.zeros(w_shape))
    with pytest.raises(error, match=message):
        conv2d(x, w, **kwargs)


def test_conv2d_rejects_mixed_dtypes():
    x = Tensor(np.zeros((1, 2, 5, 5), dtype=np.float32))
    with pytest.raises(TypeError, match="input is float32 but weight is float64"):
        conv2d(x, Tensor(np.zeros((1, 2, 3, 3))))


# --------------------------------------------------------------------------- pooling

MAX_CASES = [
    # kernel, stride, padding, dilation, ceil_mode
    ((2, 2), None, 0, 1, False),
    ((3, 3), 2, 1, 1, False),
    ((3, 2), (1, 2), (1, 0), (1, 2), False),
    ((3, 3), 2, 1, 1, True),
    ((2, 2), 3, 0, 2, True),
]


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation", "ceil_mode"), MAX_CASES)
def test_max_pool2d_matches_the_naive_loop_values_and_indices(
    kernel, stride, padding, dilation, ceil_mode
):
    x = _rng().standard_normal((2, 3, 7, 8))
    out, idx = max_pool2d(Tensor(x), kernel, stride, padding, dilation, ceil_mode, True)
    pair = _conv._pair
    s = kernel if stride is None else pair(stride, "s", "t", 1)
    ref, ref_idx = naive_max_pool2d(
        x, kernel, s, pair(padding, "p", "t", 0), pair(dilation, "d", "t", 1), ceil_mode
    )
    np.testing.assert_array_equal(out.detach().numpy(), ref)
    np.testing.assert_array_equal(idx.detach().numpy(), ref_idx)


@pytest.mark.parametrize(("kernel", "stride", "padding", "dilation", "ceil_mode"), MAX_CASES)
def test_max_pool2d_gradient_matches_finite_differences(
    kernel, stride, padding, dilation, ceil_mode
):
    x = _rng(2).standard_normal((1, 2, 7, 6))
    check_grads(lambda t: max_pool2d(t, kernel, stride, padding, dilation, ceil_mode), [x])


def test_max_pool2d_sends_the_gradient_of_a_tie_to_the_first_maximum():
    x = Tensor(np.ones((1, 1, 2, 2)), requires_grad=True)
    max_pool2d(x, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[[[1.0, 0.0], [0.0, 0.0]]]])


AVG_CASES = [
    # kernel, stride, padding, ceil_mode, count_include_pad
    ((2, 2), None, 0, False, True),
    ((3, 3), 2, 1, False, True),
    ((3, 3), 2, 1, False, False),
    ((3, 2), (2, 1), (1, 1), True, True),
    ((3, 3), 2, 1, True, False),
]


@pytest.mark.parametrize(("kernel", "stride", "padding", "ceil_mode", "include"), AVG_CASES)
def test_avg_pool2d_matches_the_naive_loop(kernel, stride, padding, ceil_mode, include):
    x = _rng().standard_normal((2, 3, 7, 8))
    out = avg_pool2d(Tensor(x), kernel, stride, padding, ceil_mode, include)
    pair = _conv._pair
    s = kernel if stride is None else pair(stride, "s", "t", 1)
    ref = naive_avg_pool2d(x, kernel, s, pair(padding, "p", "t", 0), ceil_mode, include)
    np.testing.assert_allclose(out.detach().numpy(), ref, rtol=1e-12)


@pytest.mark.parametrize(("kernel", "stride", "padding", "ceil_mode", "include"), AVG_CASES)
def test_avg_pool2d_gradient_matches_finite_differences(
    kernel, stride, padding, ceil_mode, include
):
    x = _rng(3).standard_normal((1, 2, 7, 6))
    check_grads(lambda t: avg_pool2d(t, kernel, stride, padding, ceil_mode, include), [x])


def test_avg_pool2d_divisor_override_replaces_the_window_size():
    x = _rng().standard_normal((1, 1, 4, 4))
    out = avg_pool2d(Tensor(x), 2, divisor_override=3).detach().numpy()
    np.testing.assert_allclose(
        out, naive_avg_pool2d(x, (2, 2), (2, 2), (0, 0), False, True) * 4 / 3
    )


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda x: max_pool2d(x, 2, padding=2), "at most half the kernel size"),
        (lambda x: avg_pool2d(x, 9), "does not fit"),
        (lambda x: max_pool2d(x, (2, 2, 2)), "kernel_size must be an int or a pair"),
        (lambda x: adaptive_avg_pool2d(x, 0), "output_size must be positive"),
    ],
)
def test_pooling_rejects_bad_arguments_with_a_clear_message(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(Tensor(np.zeros((1, 1, 5, 5))))


def test_pooling_names_a_wrong_rank_input():
    with pytest.raises(
        ValueError, match=r"max_pool2d: input must be 3-D .* or 4-D .* got shape \(5, 5\)"
    ):
        max_pool2d(Tensor(np.zeros((5, 5))), 2)


@pytest.mark.parametrize("size", [1, (2, 3), (3, 4), (None, 2), 5])
def test_adaptive_avg_pool2d_matches_pytorch_bins_and_gradients(size):
    x = _rng(4).standard_normal((2, 2, 6, 7))
    out = adaptive_avg_pool2d(Tensor(x), size)
    oh, ow = (size, size) if isinstance(size, int) else (size[0] or 6, size[1])
    np.testing.assert_allclose(
        out.detach().numpy(), naive_adaptive_avg_pool2d(x, oh, ow), rtol=1e-12
    )
    check_grads(lambda t: adaptive_avg_pool2d(t, size), [x[:1, :1]])


def test_pooling_keeps_float32():
    x = Tensor(_rng().standard_normal((1, 2, 6, 6)).astype(np.float32), requires_grad=True)
    for out in (max_pool2d(x, 2), avg_pool2d(x, 3, 2, 1, count_include_pad=False)):
        out.sum().backward()
        assert out.dtype == np.float32
    for size in (1, 3, 4):
        assert adaptive_avg_pool2d(x, size).dtype == np.float32
    assert x.grad.dtype == np.float32


# --------------------------------------------------------------------------- parity with torch


def _torch_case(fn_ours, fn_torch, arrays, rtol=1e-10):
    torch = pytest.importorskip("torch")
    ours = [Tensor(a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn_ours(*ours), fn_torch(*theirs)
    weights = _rng(7).standard_normal(tuple(ref.shape))
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=rtol, atol=1e-12)
    (out * Tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for mine, other in zip(ours, theirs):
        np.testing.assert_allclose(mine.grad.numpy(), other.grad.numpy(), rtol=rtol, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    ("stride", "padding"),
    # padding="same" exists only for stride 1 (in torch and here).
    [(s, p) for s in (1, 2, (1, 3)) for p in (0, 1, (2, 1), "same") if p != "same" or s == 1],
)
@pytest.mark.parametrize("dilation", [1, (2, 1)])
@pytest.mark.parametrize("groups", [1, 2])
def test_conv2d_matches_torch(stride, padding, dilation, groups):
    torch = pytest.importorskip("torch")
    rng = _rng(5)
    arrays = [rng.standard_normal((2, 4, 9, 8)), rng.standard_normal((6, 4 // groups, 3, 2))]
    arrays.append(rng.standard_normal(6))
    args = {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups}
    with warnings.catch_warnings():
        # torch warns that even kernels with "same" padding copy the input; not our concern.
        warnings.simplefilter("ignore", UserWarning)
        _torch_case(
            lambda x, w, b: conv2d(x, w, b, **args),
            lambda x, w, b: torch.nn.functional.conv2d(x, w, b, **args),
            arrays,
        )


@pytest.mark.torch
@pytest.mark.parametrize("kernel", [2, 3, (3, 2)])
@pytest.mark.parametrize("stride", [None, 1, 2])
@pytest.mark.parametrize("padding", [0, 1])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_pooling_matches_torch(kernel, stride, padding, ceil_mode):
    torch = pytest.importorskip("torch")
    x = [_rng(6).standard_normal((2, 3, 9, 8))]
    tf = torch.nn.functional
    _torch_case(
        lambda t: max_pool2d(t, kernel, stride, padding, 1, ceil_mode),
        lambda t: tf.max_pool2d(t, kernel, stride, padding, 1, ceil_mode),
        x,
    )
    for include in (True, False):
        _torch_case(
            lambda t, inc=include: avg_pool2d(t, kernel, stride, padding, ceil_mode, inc),
            lambda t, inc=include: tf.avg_pool2d(t, kernel, stride, padding, ceil_mode, inc),
            x,
        )


@pytest.mark.torch
@pytest.mark.parametrize("size", [1, 3, (4, 2), (5, 7)])
def test_adaptive_avg_pool2d_matches_torch(size):
    torch = pytest.importorskip("torch")
    _torch_case(
        lambda t: adaptive_avg_pool2d(t, size),
        lambda t: torch.nn.functional.adaptive_avg_pool2d(t, size),
        [_rng(8).standard_normal((2, 3, 9, 8))],
    )


def test_global_pooling_over_the_whole_image_is_the_mean_and_the_max():
    x = _rng().standard_normal((2, 3, 28, 28)).astype(np.float32)
    np.testing.assert_allclose(
        avg_pool2d(Tensor(x), 28).detach().numpy(), x.mean(axis=(2, 3), keepdims=True), rtol=1e-5
    )
    np.testing.assert_array_equal(
        max_pool2d(Tensor(x), 28).detach().numpy(), x.max(axis=(2, 3), keepdims=True)
    )


@pytest.mark.gpu
@pytest.mark.parametrize(
    "op",
    [
        lambda x, w: conv2d(x, w, stride=2, padding=1),
        lambda x, w: max_pool2d(x, 3, 2, 1, ceil_mode=True) * w.sum(),
        lambda x, w: max_pool2d(x, 2) * w.sum(),
        lambda x, w: avg_pool2d(x, 3, 2, 1, count_include_pad=False) * w.sum(),
        lambda x, w: adaptive_avg_pool2d(x, (3, 4)) * w.sum(),
    ],
)
def test_conv_and_pooling_on_cuda_match_the_cpu(op):
    if not backend.cuda_available():
        pytest.skip("needs CuPy and a CUDA GPU")
    rng = _rng()
    arrays = [rng.standard_normal((2, 3, 9, 8)), rng.standard_normal((4, 3, 3, 3))]
    results = []
    for device in ("cpu", "cuda"):
        x, w = (Tensor(a, requires_grad=True, device=device) for a in arrays)
        out = op(x, w)
        out.sum().backward()
        assert out.device == device
        results.append([out.detach().numpy(), x.grad.numpy(), w.grad.numpy()])
    for cpu, gpu in zip(*results):
        np.testing.assert_allclose(gpu, cpu, rtol=1e-10, atol=1e-12)


def test_pooling_accepts_unbatched_input_and_returns_unbatched_indices():
    x = _rng().standard_normal((3, 6, 6))
    out, idx = max_pool2d(Tensor(x), 2, return_indices=True)
    ref, ref_idx = naive_max_pool2d(x[None], (2, 2), (2, 2), (0, 0), (1, 1), False)
    assert out.shape == idx.shape == (3, 3, 3)
    np.testing.assert_array_equal(out.detach().numpy(), ref[0])
    np.testing.assert_array_equal(idx.detach().numpy(), ref_idx[0])
    assert adaptive_avg_pool2d(Tensor(x), 2).shape == (3, 2, 2)
