"""Optimizers and schedulers follow PyTorch's update rules step by step."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocanvas.core import Tensor, nn, optim
from neurocanvas.core.optim import lr_scheduler


def make_param(values) -> nn.Parameter:
    return nn.Parameter(np.array(values, dtype=np.float64))


def set_grad(p: nn.Parameter, values) -> None:
    p.grad = Tensor(np.array(values, dtype=np.float64))


def run_steps(opt, p, grads):
    """Apply the given gradients one per step; return the parameter after each step."""
    out = []
    for g in grads:
        set_grad(p, g)
        opt.step()
        out.append(p.array.copy())
    return out


P0 = np.array([1.0, -2.0, 0.5])
GRADS = [np.array([0.1, -0.3, 0.2]), np.array([0.4, 0.1, -0.5]), np.array([-0.2, 0.3, 0.05])]


# ---------------------------------------------------------------------------- SGD
def test_sgd_plain_step_is_lr_times_grad():
    p = make_param(P0)
    opt = optim.SGD([p], lr=0.1)
    got = run_steps(opt, p, GRADS[:1])[0]
    np.testing.assert_allclose(got, P0 - 0.1 * GRADS[0], rtol=0, atol=1e-15)


@pytest.mark.parametrize("dampening", [0.0, 0.3])
def test_sgd_momentum_buffer_starts_at_grad_and_dampening_applies_later(dampening):
    p = make_param(P0)
    opt = optim.SGD([p], lr=0.1, momentum=0.9, dampening=dampening)
    got = run_steps(opt, p, GRADS)
    expected, x, buf = [], P0.copy(), None
    for g in GRADS:
        buf = g.copy() if buf is None else 0.9 * buf + (1 - dampening) * g
        x = x - 0.1 * buf
        expected.append(x)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_sgd_nesterov_and_weight_decay():
    p = make_param(P0)
    opt = optim.SGD([p], lr=0.05, momentum=0.8, weight_decay=0.1, nesterov=True)
    got = run_steps(opt, p, GRADS)
    x, buf = P0.copy(), None
    for g, step in zip(GRADS, got):
        g = g + 0.1 * x
        buf = g.copy() if buf is None else 0.8 * buf + g
        x = x - 0.05 * (g + 0.8 * buf)
        np.testing.assert_allclose(step, x, rtol=1e-12)


def test_sgd_rejects_nesterov_without_momentum():
    with pytest.raises(ValueError, match="Nesterov"):
        optim.SGD([make_param(P0)], lr=0.1, nesterov=True)


def test_sgd_rejects_negative_lr_and_empty_params():
    with pytest.raises(ValueError, match="learning rate"):
        optim.SGD([make_param(P0)], lr=-1.0)
    with pytest.raises(ValueError, match="empty"):
        optim.SGD([], lr=0.1)


# ---------------------------------------------------------------------------- Adam
def adam_reference(grads, lr, b1, b2, eps, wd, amsgrad=False, decoupled=False):
    x = P0.copy()
    m = np.zeros(3)
    v = np.zeros(3)
    vmax = np.zeros(3)
    out = []
    for t, g in enumerate(grads, start=1):
        if decoupled:
            x = x * (1 - lr * wd)
        else:
            g = g + wd * x
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        vmax = np.maximum(vmax, v)
        vv = vmax if amsgrad else v
        denom = np.sqrt(vv) / math.sqrt(1 - b2**t) + eps
        x = x - lr / (1 - b1**t) * m / denom
        out.append(x)
    return out


def test_adam_first_step_moves_each_weight_by_about_lr():
    p = make_param(P0)
    opt = optim.Adam([p], lr=0.01)
    got = run_steps(opt, p, GRADS[:1])[0]
    # After bias correction m/sqrt(v) = sign(g) on the first step.
    np.testing.assert_allclose(got, P0 - 0.01 * np.sign(GRADS[0]), rtol=1e-6)


@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("wd", [0.0, 0.1])
def test_adam_matches_formula(amsgrad, wd):
    p = make_param(P0)
    opt = optim.Adam([p], lr=0.02, betas=(0.8, 0.9), eps=1e-6, weight_decay=wd, amsgrad=amsgrad)
    got = run_steps(opt, p, GRADS)
    expected = adam_reference(GRADS, 0.02, 0.8, 0.9, 1e-6, wd, amsgrad=amsgrad)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_adamw_decays_weights_decoupled_with_default_1e_2():
    p = make_param(P0)
    opt = optim.AdamW([p], lr=0.1)
    assert opt.param_groups[0]["weight_decay"] == 1e-2
    got = run_steps(opt, p, GRADS)
    expected = adam_reference(GRADS, 0.1, 0.9, 0.999, 1e-8, 1e-2, decoupled=True)
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_adam_rejects_bad_beta():
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        optim.Adam([make_param(P0)], betas=(0.9, 1.0))


# ---------------------------------------------------------------------------- RMSprop
@pytest.mark.parametrize("momentum", [0.0, 0.5])
@pytest.mark.parametrize("centered", [False, True])
def test_rmsprop_matches_formula(momentum, centered):
    p = make_param(P0)
    opt = optim.RMSprop(
        [p], lr=0.01, alpha=0.9, eps=1e-8, weight_decay=0.05, momentum=momentum, centered=centered
    )
    got = run_steps(opt, p, GRADS)
    x, sq, ga, buf = P0.copy(), np.zeros(3), np.zeros(3), np.zeros(3)
    for g, step in zip(GRADS, got):
        g = g + 0.05 * x
        sq = 0.9 * sq + 0.1 * g * g
        if centered:
            ga = 0.9 * ga + 0.1 * g
            avg = np.sqrt(sq - ga * ga) + 1e-8
        else:
            avg = np.sqrt(sq) + 1e-8
        if momentum:
            buf = momentum * buf + g / avg
            x = x - 0.01 * buf
        else:
            x = x - 0.01 * g / avg
        np.testing.assert_allclose(step, x, rtol=1e-12)


def test_rmsprop_default_lr_is_1e_2():
    assert optim.RMSprop([make_param(P0)]).param_groups[0]["lr"] == 1e-2


# ---------------------------------------------------------------------------- shared behaviour
@pytest.mark.parametrize(
    "make",
    [
        lambda ps: optim.SGD(ps, lr=0.1, momentum=0.9),
        lambda ps: optim.Adam(ps, lr=0.1),
        lambda ps: optim.RMSprop(ps, lr=0.1),
    ],
)
def test_lr_written_into_param_group_takes_effect_on_next_step(make):
    a, b = make_param(P0), make_param(P0)
    opt_a, opt_b = make([a]), make([b])
    run_steps(opt_a, a, GRADS[:2])
    run_steps(opt_b, b, GRADS[:2])
    opt_b.param_groups[0]["lr"] = 0.0
    before = b.array.copy()
    run_steps(opt_a, a, GRADS[2:])
    run_steps(opt_b, b, GRADS[2:])
    np.testing.assert_array_equal(b.array, before)
    assert not np.allclose(a.array, before)


def test_sgd_momentum_written_live_is_used():
    p = make_param([0.0])
    opt = optim.SGD([p], lr=1.0, momentum=0.9)
    run_steps(opt, p, [[1.0]])
    opt.param_groups[0]["momentum"] = 0.5
    run_steps(opt, p, [[1.0]])
    # buf = 0.5 * 1 + 1 = 1.5, so p = -1 - 1.5
    np.testing.assert_allclose(p.array, [-2.5])


def test_parameters_without_grad_are_skipped():
    a, b = make_param(P0), make_param(P0)
    opt = optim.Adam([a, b], lr=0.1)
    set_grad(a, GRADS[0])
    opt.step()
    np.testing.assert_array_equal(b.array, P0)
    assert b not in opt.state and a in opt.state


def test_param_groups_from_dicts_take_defaults_and_own_options():
    a, b = make_param(P0), make_param(P0)
    opt = optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.5}], lr=0.1, momentum=0.2)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert opt.param_groups[1]["momentum"] == 0.2
    set_grad(a, [1.0, 1.0, 1.0])
    set_grad(b, [1.0, 1.0, 1.0])
    opt.step()
    np.testing.assert_allclose(a.array, P0 - 0.1)
    np.testing.assert_allclose(b.array, P0 - 0.5)


def test_same_parameter_in_two_groups_is_refused():
    a = make_param(P0)
    with pytest.raises(ValueError, match="more than one"):
        optim.SGD([{"params": [a]}, {"params": [a]}], lr=0.1)


def test_zero_grad_sets_none_or_zeros():
    a = make_param(P0)
    opt = optim.SGD([a], lr=0.1)
    set_grad(a, GRADS[0])
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(a.grad.array, np.zeros(3))
    opt.zero_grad()
    assert a.grad is None


def test_state_follows_parameter_dtype_change():
    p = make_param(P0)
    opt = optim.Adam([p], lr=0.1)
    run_steps(opt, p, GRADS[:1])
    p.array = p.array.astype(np.float32)
    p.grad = Tensor(GRADS[1].astype(np.float32))
    opt.step()
    assert opt.state[p]["exp_avg"].dtype == np.float32
    assert p.array.dtype == np.float32


def test_optimizer_state_dict_round_trip_continues_identically():
    a, b = make_param(P0), make_param(P0)
    opt_a = optim.Adam([a], lr=0.05)
    run_steps(opt_a, a, GRADS[:2])
    b.array[...] = a.array
    opt_b = optim.Adam([b], lr=0.5)
    opt_b.load_state_dict(opt_a.state_dict())
    assert opt_b.param_groups[0]["lr"] == 0.05
    run_steps(opt_a, a, GRADS[2:])
    run_steps(opt_b, b, GRADS[2:])
    np.testing.assert_array_equal(a.array, b.array)


# ---------------------------------------------------------------------------- schedulers
def lrs_over(scheduler_factory, n=8, lr=1.0):
    opt = optim.SGD([make_param(P0)], lr=lr)
    sched = scheduler_factory(opt)
    seen = [opt.param_groups[0]["lr"]]
    for _ in range(n):
        opt.step()
        sched.step()
        seen.append(sched.get_last_lr()[0])
        assert seen[-1] == opt.param_groups[0]["lr"]
    return seen, sched


def test_step_lr_sequence():
    seen, sched = lrs_over(lambda o: lr_scheduler.StepLR(o, step_size=3, gamma=0.5))
    np.testing.assert_allclose(seen, [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25])
    assert sched.last_epoch == 8


def test_exponential_lr_sequence():
    seen, _ = lrs_over(lambda o: lr_scheduler.ExponentialLR(o, gamma=0.9), lr=0.1)
    np.testing.assert_allclose(seen, [0.1 * 0.9**k for k in range(9)], rtol=1e-12)


def test_cosine_lr_follows_closed_form_and_returns_after_t_max():
    seen, _ = lrs_over(lambda o: lr_scheduler.CosineAnnealingLR(o, T_max=4, eta_min=0.1), n=8)
    closed = [0.1 + 0.9 * (1 + math.cos(math.pi * t / 4)) / 2 for t in range(9)]
    np.testing.assert_allclose(seen, closed, rtol=1e-9, atol=1e-12)


def test_scheduler_continues_from_a_live_lr_change():
    opt = optim.SGD([make_param(P0)], lr=1.0)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    sched.step()
    opt.param_groups[0]["lr"] = 4.0  # the slider
    sched.step()
    assert sched.get_last_lr() == [2.0]


# ---------------------------------------------------------------------------- torch parity
def _grad_fn(x: np.ndarray) -> np.ndarray:
    """A smooth, non-quadratic gradient so that the trajectories really differ per rule."""
    return 2 * (x - 0.3) + np.sin(3 * x)


TORCH_CASES = [
    ("SGD", dict(lr=0.05)),
    ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5, centered=True, weight_decay=0.05)),
]


@pytest.mark.torch
@pytest.mark.parametrize("name, kwargs", TORCH_CASES)
def test_trajectory_matches_torch_for_20_steps(name, kwargs):
    torch = pytest.importorskip("torch")
    start = np.linspace(-1.5, 2.0, 7)
    ours = make_param(start)
    theirs = torch.tensor(start.copy(), dtype=torch.float64, requires_grad=True)
    opt_ours = getattr(optim, name)([ours], **kwargs)
    opt_theirs = getattr(torch.optim, name)([theirs], **kwargs)
    for step in range(20):
        if step == 10:  # a live lr change half-way, as the slider does
            opt_ours.param_groups[0]["lr"] *= 0.5
            opt_theirs.param_groups[0]["lr"] *= 0.5
        set_grad(ours, _grad_fn(ours.array))
        theirs.grad = torch.from_numpy(_grad_fn(theirs.detach().numpy()))
        opt_ours.step()
        opt_theirs.step()
        np.testing.assert_allclose(ours.array, theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.torch
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("Adam", dict(lr=0.05)),
        ("Adam", dict(lr=0.05, amsgrad=True)),
        ("Adam", dict(lr=0.05, weight_decay=0.1)),
        ("AdamW", dict(lr=0.05, weight_decay=0.2)),
        ("SGD", dict(lr=0.05, momentum=0.9)),
    ],
)
def test_several_parameters_with_a_skipped_grad_and_a_dtype_change_match_torch(name, kwargs):
    """Groups of small parameters take Adam's fused path; it must match the per-tensor rule."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=s) for s in [(4, 3), (4,), (2, 4), (2,)]]
    ours = [make_param(s) for s in starts]
    theirs = [torch.tensor(s.copy(), requires_grad=True) for s in starts]
    opt_ours = getattr(optim, name)(ours, **kwargs)
    opt_theirs = getattr(torch.optim, name)(theirs, **kwargs)
    for step in range(12):
        for i, (a, b) in enumerate(zip(ours, theirs)):
            if step in (4, 5) and i == 1:  # this parameter gets no gradient for two steps
                a.grad = b.grad = None
                continue
            set_grad(a, _grad_fn(a.array))
            b.grad = torch.from_numpy(_grad_fn(b.detach().numpy()))
        opt_ours.step()
        opt_theirs.step()
        fused = name == "AdamW" or (name == "Adam" and "weight_decay" not in kwargs)
        if step == 2 and fused:
            assert opt_ours._flat, "the fused path was not taken"
        if step == 2:  # cast mid-way; the state must follow (compare in float32 from here)
            for a in ours:
                a.array = a.array.astype(np.float32)
        for a, b in zip(ours, theirs):
            tol = 1e-10 if step < 2 else 1e-5
            np.testing.assert_allclose(a.array, b.detach().numpy(), rtol=tol, atol=tol)
    assert all(
        opt_ours.state[a]["exp_avg" if "Adam" in name else "momentum_buffer"].dtype == np.float32
        for a in ours
    )


@pytest.mark.torch
@pytest.mark.parametrize(
    "name, kwargs",
    [
        ("StepLR", dict(step_size=3, gamma=0.3)),
        ("ExponentialLR", dict(gamma=0.8)),
        ("CosineAnnealingLR", dict(T_max=5, eta_min=0.01)),
    ],
)
def test_scheduler_sequence_matches_torch(name, kwargs):
    torch = pytest.importorskip("torch")
    ours = optim.SGD([make_param(P0)], lr=0.5)
    theirs = torch.optim.SGD([torch.zeros(3, requires_grad=True)], lr=0.5)
    s_ours = getattr(lr_scheduler, name)(ours, **kwargs)
    s_theirs = getattr(torch.optim.lr_scheduler, name)(theirs, **kwargs)
    for _ in range(15):
        ours.step()
        theirs.step()
        s_ours.step()
        s_theirs.step()
        np.testing.assert_allclose(s_ours.get_last_lr(), s_theirs.get_last_lr(), rtol=1e-12)
