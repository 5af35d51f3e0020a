"""The seed experiments: small end-to-end trainings that must reach a stated result.

Each one uses only the public engine API (``nn``, ``optim``, ``Tensor``), a fixed seed, and a
threshold set with margin below what was measured (the measured figures are in the comments).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from neurocanvas.core import Tensor, manual_seed, nn, no_grad, optim

pytestmark = pytest.mark.slow


def train(
    model: nn.Module,
    loss_fn: nn.Module,
    x: np.ndarray,
    y: np.ndarray,
    opt: optim.Optimizer,
    epochs: int,
    batch_size: int,
    seed: int = 0,
) -> float:
    """Mini-batch training with reshuffling each epoch; returns the final full-data loss."""
    rng = np.random.default_rng(seed)
    n = len(x)
    for _ in range(epochs):
        order = rng.permutation(n)
        for start in range(0, n, batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            loss = loss_fn(model(Tensor(x[idx])), Tensor(y[idx]))
            loss.backward()
            opt.step()
    with no_grad():
        return float(loss_fn(model(Tensor(x)), Tensor(y)).item())


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    model.eval()
    with no_grad():
        pred = model(Tensor(x)).array.argmax(axis=1)
    model.train()
    return float((pred == y).mean())


def test_linear_regression_recovers_slope_and_intercept_despite_growing_noise():
    manual_seed(0)
    rng = np.random.default_rng(0)
    x = rng.uniform(0.0, 2.0, size=(10_000, 1)).astype(np.float32)
    noise = rng.normal(size=x.shape) * (0.05 + 0.5 * x)  # heteroscedastic: grows with x
    y = (2.0 * x + 1.0 + noise).astype(np.float32)
    model = nn.Linear(1, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    train(model, nn.MSELoss(), x, y, opt, epochs=20, batch_size=256)
    # lr 0.05 drives the fit; a few epochs at a smaller lr let Adam's jitter settle.
    opt.param_groups[0]["lr"] = 0.005
    train(model, nn.MSELoss(), x, y, opt, epochs=10, batch_size=256, seed=1)
    w, b = float(model.weight.array[0, 0]), float(model.bias.array[0])
    print(f"linear regression: w={w:.4f} b={b:.4f}")
    # Measured w=2.0000, b=1.0005; least squares itself is only good to about 0.01 here
    # (standard error of the slope under this noise), so 0.03 is the honest bar.
    assert w == pytest.approx(2.0, abs=0.03)
    assert b == pytest.approx(1.0, abs=0.03)


def test_polynomial_regression_recovers_coefficients():
    manual_seed(0)
    rng = np.random.default_rng(1)
    x = rng.uniform(-2.0, 2.0, size=(4_000, 1))
    features = np.hstack([x, x**2]).astype(np.float32)
    y = (3 * x**2 + 2 * x + 1 + 0.1 * rng.normal(size=x.shape)).astype(np.float32)
    model = nn.Linear(2, 1)
    opt = optim.Adam(model.parameters(), lr=0.05)
    train(model, nn.MSELoss(), features, y, opt, epochs=40, batch_size=128)
    opt.param_groups[0]["lr"] = 0.005
    train(model, nn.MSELoss(), features, y, opt, epochs=10, batch_size=128, seed=1)
    (a1, a2), c = model.weight.array[0], float(model.bias.array[0])
    print(f"polynomial regression: x^2={a2:.4f} x={a1:.4f} 1={c:.4f}")
    # Measured 2.9983, 2.0013, 1.0005.
    np.testing.assert_allclose([a2, a1, c], [3.0, 2.0, 1.0], atol=0.02)


def _curve_mlp() -> nn.Module:
    return nn.Sequential(
        nn.Linear(1, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 1)
    )


def test_mlp_fits_a_curve_at_lr_0_01_and_fails_at_lr_1():
    rng = np.random.default_rng(2)
    x = rng.uniform(-3.0, 3.0, size=(1_000, 1)).astype(np.float32)
    y = (np.sin(2 * x) + 0.3 * x).astype(np.float32)
    losses = {}
    for lr in (0.01, 1.0):
        manual_seed(0)
        model = _curve_mlp()
        opt = optim.Adam(model.parameters(), lr=lr)
        losses[lr] = train(model, nn.MSELoss(), x, y, opt, epochs=60, batch_size=64)
    print(f"curve fit final MSE: lr=0.01 -> {losses[0.01]:.5f}, lr=1 -> {losses[1.0]:.5f}")
    # Measured 0.00037 at lr 0.01 and 0.139 at lr 1 (Adam's steps overshoot every minimum).
    assert losses[0.01] < 0.005  # the target's variance is about 0.8
    assert not math.isfinite(losses[1.0]) or losses[1.0] > 10 * losses[0.01]


def make_spirals(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaved spirals of 1.5 turns each, with a little noise."""
    t = np.sqrt(rng.uniform(0, 1, size=n_per_class)) * 3 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (3 * np.pi)
    x = np.concatenate([arm, -arm]) + rng.normal(scale=0.02, size=(2 * n_per_class, 2))
    y = np.repeat([0, 1], n_per_class)
    return x.astype(np.float32), y.astype(np.int64)


def test_spiral_classifier_reaches_97_percent():
    manual_seed(0)
    rng = np.random.default_rng(3)
    x, y = make_spirals(500, rng)
    x_test, y_test = make_spirals(500, np.random.default_rng(4))
    model = nn.Sequential(
        nn.Linear(2, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2)
    )
    opt = optim.Adam(model.parameters(), lr=0.01)
    train(model, nn.CrossEntropyLoss(), x, y, opt, epochs=80, batch_size=64)
    acc = accuracy(model, x_test, y_test)
    print(f"spirals test accuracy: {acc:.4f}")  # measured 1.0000
    assert acc >= 0.97


def test_mlp_on_sklearn_digits_reaches_95_percent():
    datasets = pytest.importorskip("sklearn.datasets")
    manual_seed(0)
    digits = datasets.load_digits()
    x = (digits.data / 16.0).astype(np.float32)
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    train_idx, test_idx = order[:1400], order[1400:]
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
    opt = optim.Adam(model.parameters(), lr=5e-3)
    train(model, nn.CrossEntropyLoss(), x[train_idx], y[train_idx], opt, epochs=30, batch_size=64)
    acc = accuracy(model, x[test_idx], y[test_idx])
    print(f"digits test accuracy ({len(test_idx)} images): {acc:.4f}")
    # Measured 0.985 on this split (0.975-0.985 over four other splits).
    assert acc >= 0.95
