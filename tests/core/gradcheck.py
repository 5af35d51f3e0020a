"""Float64 central finite-difference gradient checker, shared by the engine's tests.

The output is reduced with a random weighting ``v`` (so every output element matters and
sign errors cannot cancel), the analytic gradient comes from ``backward(gradient=v)``, and
each input element is perturbed by ``±eps`` for the numeric one. Inputs larger than
``max_elements`` are checked along a few random directions instead of element by element.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from neurocanvas.core import Tensor, no_grad


def _weighted(out: Tensor, v: np.ndarray) -> float:
    return float(np.sum(out.detach().numpy() * v))


def check_grad(
    fn: Callable[..., Tensor],
    *inputs: Tensor,
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-4,
    seed: int = 0,
    max_elements: int = 400,
) -> bool:
    """Assert that backward's gradients of ``fn(*inputs)`` match finite differences.

    Parameters
    ----------
    fn
        Maps the input tensors to one output tensor of any shape.
    inputs
        float64 tensors; those with ``requires_grad`` are checked.

    Returns
    -------
    bool
        True; a mismatch raises ``AssertionError`` naming the input and element.
    """
    rng = np.random.default_rng(seed)
    checked = [t for t in inputs if t.requires_grad]
    if not checked:
        raise ValueError("check_grad: no input has requires_grad=True")
    for i, t in enumerate(inputs):
        if t.requires_grad and t.dtype != np.float64:
            raise TypeError(f"check_grad: input {i} must be float64, got {t.dtype}")
    for t in checked:
        t.grad = None
    out = fn(*inputs)
    if not isinstance(out, Tensor):
        raise TypeError(f"check_grad: fn must return a Tensor, got {type(out).__name__}")
    v = rng.standard_normal(out.shape)
    out.backward(Tensor(v))

    for i, t in enumerate(inputs):
        if not t.requires_grad:
            continue
        analytic = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        if analytic.shape != t.shape:
            raise AssertionError(
                f"input {i}: gradient shape {analytic.shape} != input shape {t.shape}"
            )
        data = t.array
        if data.size <= max_elements:
            numeric = np.zeros(t.shape)
            flat = data.reshape(-1)  # a view: perturbing it perturbs the input
            if not np.shares_memory(flat, data):
                raise ValueError(f"check_grad: input {i} must be a contiguous array")
            for k in range(flat.size):
                orig = flat[k]
                with no_grad():
                    flat[k] = orig + eps
                    plus = _weighted(fn(*inputs), v)
                    flat[k] = orig - eps
                    minus = _weighted(fn(*inputs), v)
                flat[k] = orig
                numeric.reshape(-1)[k] = (plus - minus) / (2 * eps)
            bad = ~np.isclose(analytic, numeric, atol=atol, rtol=rtol)
            if bad.any():
                idx = tuple(int(j) for j in np.argwhere(bad)[0])
                raise AssertionError(
                    f"input {i}: gradient mismatch at {idx}: analytic {analytic[idx]!r} vs "
                    f"numeric {numeric[idx]!r} (max abs error "
                    f"{np.abs(analytic - numeric).max():.3g})"
                )
        else:
            orig = data.copy()
            for _ in range(3):
                u = rng.standard_normal(t.shape)
                with no_grad():
                    data[...] = orig + eps * u
                    plus = _weighted(fn(*inputs), v)
                    data[...] = orig - eps * u
                    minus = _weighted(fn(*inputs), v)
                data[...] = orig
                numeric_dir = (plus - minus) / (2 * eps)
                analytic_dir = float(np.sum(analytic * u))
                if not np.isclose(analytic_dir, numeric_dir, atol=atol, rtol=rtol):
                    raise AssertionError(
                        f"input {i}: directional derivative mismatch: analytic "
                        f"{analytic_dir!r} vs numeric {numeric_dir!r}"
                    )
    return True
