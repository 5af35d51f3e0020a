"""1-D regression data sets: y = f(x) + noise, with f known so the plot can show it.

Each builder takes complete, validated parameters and a seeded generator and returns
:class:`RawData` with x and y of shape (n, 1) float32, ``true_fn`` (noiseless f) and
``x_range`` (the sampled interval, for the fit plot).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._base import DatasetError, RawData
from .formula import Formula, FormulaError

__all__ = [
    "linear_fn",
    "polynomial_fn",
    "make_linear",
    "make_polynomial",
    "make_sine",
    "make_step",
    "make_formula",
]

Fn = Callable[[np.ndarray], np.ndarray]


def linear_fn(x: np.ndarray) -> np.ndarray:
    """The tutorial's line, y = 2x + 1."""
    return 2.0 * x + 1.0


def polynomial_fn(x: np.ndarray) -> np.ndarray:
    """y = 3x^2 + 2x + 1."""
    return 3.0 * x**2 + 2.0 * x + 1.0


def step_fn(x: np.ndarray) -> np.ndarray:
    """0 left of zero, 1 from zero on: a discontinuity a smooth network can only approximate."""
    return np.where(x >= 0, 1.0, 0.0)


def _as_float32_fn(fn: Fn) -> Fn:
    """Wrap f so plots get float32 in the shape they passed, whatever f computes in."""

    def true_fn(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.asarray(fn(x), dtype=np.float64).astype(np.float32)

    return true_fn


def _sample_x(params: dict[str, Any], rng: np.random.Generator) -> np.ndarray:
    lo, hi = float(params["x_min"]), float(params["x_max"])
    if not lo < hi:
        raise DatasetError(f"x_min ({lo:g}) must be less than x_max ({hi:g})", "x_min")
    return np.sort(rng.uniform(lo, hi, size=int(params["n_samples"])))


def _finish(x: np.ndarray, y: np.ndarray, fn: Fn, params: dict[str, Any]) -> RawData:
    return RawData(
        kind="regression",
        x=x.reshape(-1, 1).astype(np.float32),
        y=y.reshape(-1, 1).astype(np.float32),
        input_shape=(1,),
        n_outputs=1,
        true_fn=_as_float32_fn(fn),
        x_range=(float(params["x_min"]), float(params["x_max"])),
    )


def _with_constant_noise(fn: Fn, params: dict[str, Any], rng: np.random.Generator) -> RawData:
    x = _sample_x(params, rng)
    y = fn(x) + rng.normal(0.0, 1.0, size=x.shape) * float(params["noise"])
    return _finish(x, y, fn, params)


def make_linear(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """y = 2x + 1 plus noise whose standard deviation is ``noise * |x|``.

    Noise that grows with |x| (as in the tutorial) shows that a least-squares line still finds
    the centre of a spread that is not uniform.
    """
    x = _sample_x(params, rng)
    y = linear_fn(x) + rng.normal(0.0, 1.0, size=x.shape) * float(params["noise"]) * np.abs(x)
    return _finish(x, y, linear_fn, params)


def make_polynomial(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """y = 3x^2 + 2x + 1 plus Gaussian noise."""
    return _with_constant_noise(polynomial_fn, params, rng)


def make_sine(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """y = sin(frequency * x) plus Gaussian noise."""
    freq = float(params["frequency"])

    def sine_fn(x: np.ndarray) -> np.ndarray:
        return np.sin(freq * x)

    return _with_constant_noise(sine_fn, params, rng)


def make_step(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """A unit step at x = 0 plus Gaussian noise."""
    return _with_constant_noise(step_fn, params, rng)


def make_formula(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """y = the person's formula over x plus Gaussian noise.

    The formula must be finite at every sample point; where it is not (log of a negative x,
    division by zero) the error names the first such x so the range or formula can be fixed.
    """
    text = str(params["formula"])
    try:
        formula = Formula(text)
    except FormulaError as exc:
        raise DatasetError(f"formula: {exc.message}", "formula") from exc
    x = _sample_x(params, rng)
    clean = formula(x)
    bad = ~np.isfinite(clean)
    if bad.any():
        what = "NaN" if np.isnan(clean[bad][0]) else "infinite"
        raise DatasetError(
            f"formula '{text}' is {what} at x = {x[bad][0]:.4g} "
            f"({int(bad.sum())} of {len(x)} sample points); change the formula or the x range",
            "formula",
        )
    if np.abs(clean).max() > 1e15:
        raise DatasetError(
            f"formula '{text}' reaches {np.abs(clean).max():.3g}, too large to train on",
            "formula",
        )
    y = clean + rng.normal(0.0, 1.0, size=x.shape) * float(params["noise"])
    return _finish(x, y, formula, params)
