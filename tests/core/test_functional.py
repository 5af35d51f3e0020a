"""F.* against finite differences (float64) and, where installed, against PyTorch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed
from neurocanvas.core import functional as F
from tests.core.gradcheck import check_grad

RNG = np.random.default_rng(99)


def leaf(*shape: int, scale: float = 1.0) -> Tensor:
    return Tensor(RNG.standard_normal(shape) * scale, requires_grad=True)


def classes(n: int, c: int, *extra: int) -> Tensor:
    return Tensor(RNG.integers(0, c, size=(n, *extra)))


# ---------------------------------------------------------------------------- erf


def test_erf_matches_math_erf_to_double_precision() -> None:
    x = np.concatenate([np.linspace(-7, 7, 20001), [0.0, 1.0, -1.0, 30.0, -30.0]])
    expected = np.array([math.erf(v) for v in x])
    assert np.abs(F.erf(x) - expected).max() < 1e-14


# ---------------------------------------------------------------------------- gradients

# fixed targets: a gradient check calls the function many times and needs the same target
CE_TARGET = classes(5, 4)
CE_SPATIAL_TARGET = classes(2, 3, 2, 2)
BCE_TARGET = Tensor(RNG.random((4, 3)))
BCE_WEIGHT = Tensor(RNG.random((4, 3)))

GRAD_CASES: dict[str, tuple[Callable[..., Tensor], list[Tensor]]] = {
    "linear": (lambda x, w, b: F.linear(x, w, b), [leaf(4, 3), leaf(5, 3), leaf(5)]),
    "linear_3d_no_bias": (lambda x, w: F.linear(x, w), [leaf(2, 4, 3), leaf(5, 3)]),
    "relu": (F.relu, [leaf(3, 4)]),
    "leaky_relu": (lambda x: F.leaky_relu(x, 0.2), [leaf(3, 4)]),
    "gelu": (F.gelu, [leaf(3, 4, scale=2)]),
    "gelu_tanh": (lambda x: F.gelu(x, approximate="tanh"), [leaf(3, 4, scale=2)]),
    "sigmoid": (F.sigmoid, [leaf(3, 4)]),
    "tanh": (F.tanh, [leaf(3, 4)]),
    "softmax": (lambda x: F.softmax(x, dim=1), [leaf(3, 4)]),
    "softmax_dim0_3d": (lambda x: F.softmax(x, dim=0), [leaf(3, 2, 2)]),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), [leaf(3, 4)]),
    "mse": (F.mse_loss, [leaf(3, 2), leaf(3, 2)]),
    "mse_none": (lambda a, b: F.mse_loss(a, b, reduction="none"), [leaf(3, 2), leaf(3, 2)]),
    "l1_sum": (lambda a, b: F.l1_loss(a, b, reduction="sum"), [leaf(3, 2), leaf(3, 2)]),
    "huber": (lambda a, b: F.huber_loss(a, b, delta=0.7), [leaf(4, 3, scale=2), leaf(4, 3)]),
    "ce": (lambda x: F.cross_entropy(x, CE_TARGET), [leaf(5, 4)]),
    "ce_none_spatial": (
        lambda x: F.cross_entropy(x, CE_SPATIAL_TARGET, reduction="none"),
        [leaf(2, 3, 2, 2)],
    ),
    "ce_weight_smooth_ignore": (
        lambda x: F.cross_entropy(
            x,
            Tensor(np.array([0, 3, -100, 1, 2])),
            weight=Tensor(np.array([0.5, 1.0, 2.0, 1.5])),
            label_smoothing=0.1,
        ),
        [leaf(5, 4)],
    ),
    "ce_prob_targets": (
        lambda x, t: F.cross_entropy(x, F.softmax(t, dim=1), label_smoothing=0.2),
        [leaf(3, 4), leaf(3, 4)],
    ),
    "bce_logits": (
        lambda x, t: F.binary_cross_entropy_with_logits(x, F.sigmoid(t)),
        [leaf(4, 3, scale=3), leaf(4, 3)],
    ),
    "bce_logits_weights": (
        lambda x: F.binary_cross_entropy_with_logits(
            x,
            BCE_TARGET,
            weight=BCE_WEIGHT,
            pos_weight=Tensor(np.array([1.0, 2.0, 3.0])),
            reduction="sum",
        ),
        [leaf(4, 3, scale=3)],
    ),
    "batch_norm_train_2d": (
        lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
        [leaf(6, 3), leaf(3), leaf(3)],
    ),
    "batch_norm_train_4d": (
        lambda x, w, b: F.batch_norm(
            x, Tensor(np.zeros(2)), Tensor(np.ones(2)), w, b, training=True
        ),
        [leaf(3, 2, 2, 2), leaf(2), leaf(2)],
    ),
    "batch_norm_eval": (
        lambda x, w: F.batch_norm(
            x, Tensor(np.array([0.1, -0.2])), Tensor(np.array([1.5, 0.7])), w, training=False
        ),
        [leaf(4, 2), leaf(2)],
    ),
    "dropout_seeded": (
        lambda x: (manual_seed(3), F.dropout(x, 0.4))[1],
        [leaf(4, 5)],
    ),
}


@pytest.mark.parametrize("name", list(GRAD_CASES))
def test_functional_gradients_match_finite_differences(name: str) -> None:
    fn, inputs = GRAD_CASES[name]
    check_grad(fn, *inputs)


# ---------------------------------------------------------------------------- behaviour


def test_softmax_is_stable_for_huge_logits() -> None:
    x = Tensor(np.array([[1000.0, 0.0, -1000.0]]))
    p = F.softmax(x, dim=1).detach().numpy()
    np.testing.assert_allclose(p, [[1.0, 0.0, 0.0]])
    lp = F.log_softmax(x, dim=1).detach().numpy()
    assert np.isfinite(lp).all() and lp[0, 2] == -2000.0


def test_bce_with_logits_is_stable_for_huge_logits() -> None:
    x = Tensor(np.array([1000.0, -1000.0]), requires_grad=True)
    loss = F.binary_cross_entropy_with_logits(x, Tensor(np.array([0.0, 1.0])))
    loss.backward()
    assert loss.item() == pytest.approx(1000.0)
    np.testing.assert_allclose(x.grad.numpy(), [0.5, -0.5])


def test_sigmoid_is_accurate_for_very_negative_inputs() -> None:
    out = F.sigmoid(Tensor(np.array([-800.0, -40.0, 40.0]))).detach().numpy()
    np.testing.assert_allclose(out, [0.0, math.exp(-40) / (1 + math.exp(-40)), 1.0], rtol=1e-12)


def test_dropout_drops_about_p_and_rescales() -> None:
    manual_seed(0)
    x = Tensor(np.ones((200, 200)))
    y = F.dropout(x, p=0.3).detach().numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(y[kept], 1 / 0.7)


def test_dropout_is_reproducible_with_manual_seed() -> None:
    x = Tensor(np.ones(50))
    manual_seed(5)
    a = F.dropout(x, 0.5).detach().numpy()
    manual_seed(5)
    b = F.dropout(x, 0.5).detach().numpy()
    np.testing.assert_array_equal(a, b)


def test_dropout_in_eval_returns_the_input() -> None:
    x = leaf(3)
    assert F.dropout(x, 0.5, training=False) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        F.dropout(x, 1.5)


def test_batch_norm_updates_running_stats_with_unbiased_variance() -> None:
    x = RNG.standard_normal((8, 3)) * 2 + 1
    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    F.batch_norm(Tensor(x), rm, rv, training=True, momentum=0.1)
    np.testing.assert_allclose(rm.detach().numpy(), 0.1 * x.mean(0))
    np.testing.assert_allclose(rv.detach().numpy(), 0.9 + 0.1 * x.var(0, ddof=1))


def test_batch_norm_eval_uses_running_stats() -> None:
    x = Tensor(np.array([[1.0], [3.0]]))
    out = F.batch_norm(x, Tensor(np.array([1.0])), Tensor(np.array([4.0])), eps=0.0)
    np.testing.assert_allclose(out.detach().numpy(), [[0.0], [1.0]])


def test_batch_norm_names_a_channel_mismatch() -> None:
    with pytest.raises(ValueError, match="running_mean must have shape \\(3,\\)"):
        F.batch_norm(leaf(4, 3), Tensor(np.zeros(2)), Tensor(np.ones(2)))


def test_linear_names_a_feature_mismatch() -> None:
    with pytest.raises(ValueError, match="3 features"):
        F.linear(leaf(2, 3), leaf(4, 5))


def test_cross_entropy_checks_targets() -> None:
    with pytest.raises(IndexError, match="out of range for 4 classes"):
        F.cross_entropy(leaf(2, 4), Tensor(np.array([0, 4])))
    with pytest.raises(ValueError, match="need shape \\(2,\\)"):
        F.cross_entropy(leaf(2, 4), Tensor(np.array([0, 1, 2])))
    with pytest.raises(ValueError, match="reduction"):
        F.cross_entropy(leaf(2, 4), Tensor(np.array([0, 1])), reduction="avg")


def test_cross_entropy_of_an_unbatched_input() -> None:
    x = leaf(4)
    loss = F.cross_entropy(x, Tensor(np.array(2)))
    expected = -F.log_softmax(x, 0).detach().numpy()[2]
    assert loss.item() == pytest.approx(expected)


def test_mse_loss_warns_on_shape_mismatch_like_torch() -> None:
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(leaf(3, 1), leaf(3))


def test_float32_stays_float32_through_the_fused_ops() -> None:
    x = Tensor(RNG.standard_normal((4, 3)).astype(np.float32), requires_grad=True)
    w = Tensor(RNG.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    h = F.gelu(F.linear(x, w))
    loss = F.cross_entropy(h, Tensor(np.array([0, 1, 1, 0])))
    assert loss.dtype == np.float32
    loss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


# ---------------------------------------------------------------------------- torch parity


def _torch_case(torch: Any, tf: Any, name: str) -> tuple[Callable, Callable, list[np.ndarray]]:
    """(our fn, torch fn, float64 inputs) for one parity case."""
    r = np.random.default_rng(abs(hash(name)) % 2**32)
    tgt = r.integers(0, 4, 6)
    tgt_ign = tgt.copy()
    tgt_ign[2] = -100
    cw = r.random(4) + 0.5
    pw = np.array([0.5, 2.0, 3.0])
    bt = r.random((6, 3))

    def T(a: np.ndarray) -> Any:  # noqa: N802
        return torch.tensor(a)

    cases: dict[str, tuple[Callable, Callable, list[np.ndarray]]] = {
        "linear": (F.linear, tf.linear, [r.standard_normal(s) for s in ((6, 3), (4, 3), (4,))]),
        "gelu": (F.gelu, tf.gelu, [r.standard_normal((6, 4)) * 3]),
        "gelu_tanh": (
            lambda x: F.gelu(x, approximate="tanh"),
            lambda x: tf.gelu(x, approximate="tanh"),
            [r.standard_normal((6, 4)) * 3],
        ),
        "leaky_relu": (
            lambda x: F.leaky_relu(x, 0.1),
            lambda x: tf.leaky_relu(x, 0.1),
            [r.standard_normal((6, 4))],
        ),
        "relu": (F.relu, tf.relu, [r.standard_normal((6, 4))]),
        "sigmoid": (F.sigmoid, torch.sigmoid, [r.standard_normal((6, 4)) * 5]),
        "tanh": (F.tanh, torch.tanh, [r.standard_normal((6, 4))]),
        "softmax": (
            lambda x: F.softmax(x, 1),
            lambda x: tf.softmax(x, 1),
            [r.standard_normal((6, 4))],
        ),
        "log_softmax": (
            lambda x: F.log_softmax(x, 0),
            lambda x: tf.log_softmax(x, 0),
            [r.standard_normal((6, 4))],
        ),
        "mse_sum": (
            lambda a, b: F.mse_loss(a, b, reduction="sum"),
            lambda a, b: tf.mse_loss(a, b, reduction="sum"),
            [r.standard_normal((6, 2)), r.standard_normal((6, 2))],
        ),
        "l1": (F.l1_loss, tf.l1_loss, [r.standard_normal((6, 2)), r.standard_normal((6, 2))]),
        "huber": (
            lambda a, b: F.huber_loss(a, b, delta=0.5),
            lambda a, b: tf.huber_loss(a, b, delta=0.5),
            [r.standard_normal((6, 2)) * 2, r.standard_normal((6, 2))],
        ),
        "ce": (
            lambda x: F.cross_entropy(x, Tensor(tgt)),
            lambda x: tf.cross_entropy(x, T(tgt)),
            [r.standard_normal((6, 4))],
        ),
        "ce_all_options": (
            lambda x: F.cross_entropy(x, Tensor(tgt_ign), weight=Tensor(cw), label_smoothing=0.15),
            lambda x: tf.cross_entropy(x, T(tgt_ign), weight=T(cw), label_smoothing=0.15),
            [r.standard_normal((6, 4))],
        ),
        "ce_sum_ignore": (
            lambda x: F.cross_entropy(x, Tensor(tgt_ign), reduction="sum", ignore_index=-100),
            lambda x: tf.cross_entropy(x, T(tgt_ign), reduction="sum"),
            [r.standard_normal((6, 4))],
        ),
        "ce_probs": (
            lambda x, t: F.cross_entropy(x, F.softmax(t, 1), weight=Tensor(cw)),
            lambda x, t: tf.cross_entropy(x, tf.softmax(t, 1), weight=T(cw)),
            [r.standard_normal((6, 4)), r.standard_normal((6, 4))],
        ),
        "ce_spatial_none": (
            lambda x: F.cross_entropy(
                x, Tensor(tgt.reshape(3, 2)[:, None, :].repeat(2, 1)), reduction="none"
            ),
            lambda x: tf.cross_entropy(
                x, T(tgt.reshape(3, 2)[:, None, :].repeat(2, 1)), reduction="none"
            ),
            [r.standard_normal((3, 4, 2, 2))],
        ),
        "bce_logits": (
            lambda x, t: F.binary_cross_entropy_with_logits(
                x, t.sigmoid(), weight=Tensor(bt), pos_weight=Tensor(pw)
            ),
            lambda x, t: tf.binary_cross_entropy_with_logits(
                x, t.sigmoid(), weight=T(bt), pos_weight=T(pw)
            ),
            [r.standard_normal((6, 3)) * 4, r.standard_normal((6, 3))],
        ),
        "batch_norm_train": (
            lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
            lambda x, w, b: tf.batch_norm(x, None, None, w, b, training=True),
            [r.standard_normal((4, 3, 2, 2)), r.standard_normal(3), r.standard_normal(3)],
        ),
    }
    return cases[name]


PARITY = [
    "linear", "gelu", "gelu_tanh", "leaky_relu", "relu", "sigmoid", "tanh", "softmax",
    "log_softmax", "mse_sum", "l1", "huber", "ce", "ce_all_options", "ce_sum_ignore",
    "ce_probs", "ce_spatial_none", "bce_logits", "batch_norm_train",
]  # fmt: skip


@pytest.mark.torch
@pytest.mark.parametrize("name", PARITY)
def test_functional_matches_torch(name: str) -> None:
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    ours_fn, theirs_fn, arrays = _torch_case(torch, tf, name)
    ours = [Tensor(a.copy(), requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out = ours_fn(*ours)
    ref = theirs_fn(*theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    v = np.random.default_rng(0).standard_normal(out.shape)
    out.backward(Tensor(v))
    ref.backward(torch.tensor(v))
    for mine, theirs_t in zip(ours, theirs):
        expected = theirs_t.grad.numpy() if theirs_t.grad is not None else 0 * mine.array
        got = mine.grad.numpy() if mine.grad is not None else 0 * mine.array
        np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-11)


@pytest.mark.torch
def test_batch_norm_running_stats_match_torch() -> None:
    torch = pytest.importorskip("torch")
    x = RNG.standard_normal((5, 3, 2))
    rm, rv = Tensor(np.zeros(3)), Tensor(np.ones(3))
    trm, trv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    for _ in range(3):
        F.batch_norm(Tensor(x), rm, rv, training=True, momentum=0.2)
        torch.nn.functional.batch_norm(torch.tensor(x), trm, trv, training=True, momentum=0.2)
    np.testing.assert_allclose(rm.detach().numpy(), trm.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(rv.detach().numpy(), trv.detach().numpy(), rtol=1e-12)
