"""Health signals against cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocanvas.core import manual_seed, nn
from neurocanvas.core.tensor import Tensor
from neurocanvas.core.training.probes.capture import Capture, model_layers
from neurocanvas.core.training.probes.health import (
    HealthProbe,
    dead_fraction,
    grad_ratio,
    saturated_fraction,
)
from tests.core.probes.helpers import probed_step


def set_linear(layer: nn.Linear, weight: list, bias: list) -> None:
    layer.load_state_dict(
        {"weight": np.array(weight, np.float32), "bias": np.array(bias, np.float32)}
    )


def test_relu_with_two_dead_units_reports_half_dead_and_a_badge() -> None:
    lin = nn.Linear(2, 4)
    # units 1 and 3 get a bias of -100: negative for every input in [0, 1]^2 -> dead
    set_linear(lin, [[1, 1], [1, 1], [1, -1], [-1, 1]], [0.5, -100, 2, -100])
    model = nn.Sequential(lin, nn.ReLU(), nn.Linear(4, 1))
    x = np.random.default_rng(0).uniform(0, 1, (16, 2)).astype(np.float32)
    y = np.zeros((16, 1), np.float32)
    _, out = probed_step(model, x, y, [HealthProbe(every=1, min_interval_s=0)])
    relu = out["health"]["layers"]["1"]
    assert relu["dead_fraction"] == 0.5
    assert [b["kind"] for b in out["health"]["badges"]["1"]] == ["dead"]
    assert "50 %" in out["health"]["badges"]["1"][0]["text"]


def test_dead_fraction_counts_channels_of_feature_maps() -> None:
    out = np.zeros((3, 4, 2, 2), np.float32)
    out[1, 0, 1, 1] = 2.0  # channel 0 alive at one position of one sample
    out[:, 2] = 1.0  # channel 2 alive everywhere
    assert dead_fraction(out) == 0.5


def test_tanh_driven_into_saturation_reports_the_hand_counted_share() -> None:
    lin = nn.Linear(1, 2)
    set_linear(lin, [[10.0], [0.1]], [0.0, 0.0])
    model = nn.Sequential(lin, nn.Tanh())
    x = np.array([[1.0], [-1.0], [0.05], [0.5]], np.float32)
    # unit 0 sees 10, -10, 0.5, 5 -> tanh beyond 0.99 for 10, -10 and 5; unit 1 never: 3 of 8
    _, out = probed_step(model, x, np.zeros((4, 2), np.float32), [HealthProbe(1, 0)])
    assert out["health"]["layers"]["1"]["saturated_fraction"] == pytest.approx(3 / 8)
    assert "1" not in out["health"]["badges"]  # under half: no badge, the number is there


def test_sigmoid_saturation_uses_both_tails() -> None:
    s = 1 / (1 + np.exp(-np.array([-6.0, -4.0, 0.0, 4.0, 6.0])))  # tails beyond +-4.6
    assert saturated_fraction(s, "sigmoid") == pytest.approx(2 / 5)


def test_output_gradient_norm_matches_the_mse_gradient_by_hand() -> None:
    manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    x = np.random.default_rng(1).standard_normal((5, 3)).astype(np.float32)
    y = np.random.default_rng(2).standard_normal((5, 2)).astype(np.float32)
    pred = model(Tensor(x)).detach().numpy()
    _, out = probed_step(model, x, y, [HealthProbe(1, 0)])
    expected = np.linalg.norm(2 * (pred - y) / pred.size)  # d mean((p - y)^2) / d p
    assert out["health"]["layers"]["0"]["grad_norm"] == pytest.approx(expected, rel=1e-5)


def deep_chain(activation: type[nn.Module], depth: int = 12, width: int = 8) -> nn.Sequential:
    layers: list[nn.Module] = []
    for _ in range(depth):
        layers += [nn.Linear(width, width), activation()]
    return nn.Sequential(*layers, nn.Linear(width, 1))


def test_deep_sigmoid_chain_shows_vanishing_gradients_and_relu_chain_does_not() -> None:
    manual_seed(0)
    x = np.random.default_rng(0).standard_normal((32, 8)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((32, 1)).astype(np.float32)
    sig = deep_chain(nn.Sigmoid)
    _, out = probed_step(sig, x, y, [HealthProbe(1, 0)])
    health = out["health"]
    first, last = sig[0].weight.grad.numpy(), sig[24].weight.grad.numpy()
    by_hand = (np.linalg.norm(first) / 8) / (np.linalg.norm(last) / math.sqrt(8))
    assert health["grad_ratio"] == pytest.approx(by_hand, rel=1e-4)
    assert health["grad_ratio"] < 1e-3
    assert health["first_layer"] == "0" and health["last_layer"] == "24"
    assert [b["kind"] for b in health["badges"]["0"]] == ["vanishing"]

    manual_seed(0)
    relu = deep_chain(nn.ReLU, depth=4)
    _, out = probed_step(relu, x, y, [HealthProbe(1, 0)])
    assert out["health"]["grad_ratio"] > 1e-2
    assert not any(b["kind"] == "vanishing" for bs in out["health"]["badges"].values() for b in bs)


def test_gradients_that_grow_a_thousandfold_are_called_exploding() -> None:
    model = nn.Sequential(nn.Linear(1, 1))
    set_linear(model[0], [[1.0]], [0.0])
    probe = HealthProbe(1, 0)
    x = np.ones((1, 1), np.float32)
    probed_step(model, x, np.zeros((1, 1), np.float32), [probe], step=1)
    set_linear(model[0], [[1e4]], [0.0])
    _, out = probed_step(model, x, np.zeros((1, 1), np.float32), [probe], step=2)
    assert out["health"]["layers"]["0"]["growth"] == pytest.approx(1e4, rel=1e-3)
    assert [b["kind"] for b in out["health"]["badges"]["0"]] == ["exploding"]


def test_grad_ratio_needs_two_layers() -> None:
    assert grad_ratio([np.ones(3)]) is None


def test_probed_step_trains_exactly_like_an_unprobed_one() -> None:
    x = np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((8, 1)).astype(np.float32)
    states = []
    for probes in ([], [HealthProbe(1, 0)]):
        manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 1))
        probed_step(model, x, y, probes)
        states.append(model.state_dict())
    for key in states[0]:
        np.testing.assert_array_equal(states[0][key], states[1][key])


def test_probe_skips_steps_it_does_not_want_and_leaves_no_hooks() -> None:
    model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
    probe = HealthProbe(every=3, min_interval_s=0, burst=2)
    x, y = np.ones((2, 2), np.float32), np.zeros((2, 2), np.float32)
    taken = [bool(probed_step(model, x, y, [probe], step=s)[1]) for s in range(1, 9)]
    # steps 1 and 2 closely (the start of a run), then every 3rd
    assert taken == [True, True, False, False, True, False, False, True]
    probe.watch_closely()  # e.g. the learning rate just changed
    taken = [bool(probed_step(model, x, y, [probe], step=s)[1]) for s in range(9, 14)]
    assert taken == [True, True, False, False, True]  # then every 3rd from step 10 again
    assert all(not getattr(m, "_forward_hooks", None) for _, m in model_layers(model))


def test_capture_sums_gradients_of_an_output_used_twice() -> None:
    lin = nn.Linear(1, 1)
    set_linear(lin, [[2.0]], [0.0])
    with Capture([("lin", lin)], grads=True) as cap:
        h = lin(Tensor(np.array([[3.0]], np.float32)))
        (h * 2 + h * 5).sum().backward()
    assert cap.grads["lin"].item() == pytest.approx(7.0)
