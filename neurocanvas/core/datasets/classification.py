"""2-D classification data sets: moons, circles, spirals, XOR and Gaussian blobs.

Every class gets the same number of samples (the first classes one more when n does not
divide), features are standardised to unit scale so the default learning rate works, and
``x_range`` is one square extent covering both features with a margin, for the decision plot.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._base import RawData, standardize

__all__ = [
    "class_sizes",
    "make_moons",
    "make_circles",
    "make_spirals",
    "make_xor",
    "make_blobs",
]

#: Fraction of the data's span added on each side of the plotting extent.
MARGIN = 0.1


def class_sizes(n: int, k: int) -> list[int]:
    """Split n samples into k classes as evenly as possible."""
    return [n // k + (1 if c < n % k else 0) for c in range(k)]


def _finish(xs: list[np.ndarray], k: int) -> RawData:
    """Stack per-class points, standardise them and attach labels and the plotting extent."""
    x = standardize(np.concatenate(xs))
    y = np.concatenate([np.full(len(p), c, dtype=np.int64) for c, p in enumerate(xs)])
    lo, hi = float(x.min()), float(x.max())
    pad = MARGIN * (hi - lo)
    return RawData(
        kind="classification",
        x=x,
        y=y,
        input_shape=(2,),
        n_outputs=k,
        class_names=[str(c) for c in range(k)],
        x_range=(lo - pad, hi + pad),
    )


def _jitter(points: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    return points + rng.normal(0.0, 1.0, size=points.shape) * noise


def make_moons(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """Two interleaving half circles (the shape of scikit-learn's make_moons)."""
    n0, n1 = class_sizes(int(params["n_samples"]), 2)
    noise = float(params["noise"])
    t0 = rng.uniform(0.0, np.pi, n0)
    t1 = rng.uniform(0.0, np.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    return _finish([_jitter(upper, noise, rng), _jitter(lower, noise, rng)], 2)


def make_circles(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """A ring (class 0) around a smaller ring (class 1) of ``factor`` times its radius."""
    n0, n1 = class_sizes(int(params["n_samples"]), 2)
    noise, factor = float(params["noise"]), float(params["factor"])
    xs = []
    for n, radius in ((n0, 1.0), (n1, factor)):
        t = rng.uniform(0.0, 2 * np.pi, n)
        xs.append(_jitter(radius * np.stack([np.cos(t), np.sin(t)], axis=1), noise, rng))
    return _finish(xs, 2)


def make_spirals(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """``classes`` arms winding out from the centre, each turned by 2*pi/classes."""
    k = int(params["classes"])
    noise = float(params["noise"])
    xs = []
    for c, n in enumerate(class_sizes(int(params["n_samples"]), k)):
        r = rng.uniform(0.05, 1.0, n)
        theta = 2 * np.pi * c / k + 1.75 * np.pi * r  # almost a full turn over the radius
        xs.append(_jitter(r[:, None] * np.stack([np.cos(theta), np.sin(theta)], 1), noise, rng))
    return _finish(xs, k)


def make_xor(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """Class 1 where the two coordinates have opposite signs: not linearly separable."""
    noise = float(params["noise"])
    xs = []
    for c, n in enumerate(class_sizes(int(params["n_samples"]), 2)):
        mag = rng.uniform(0.05, 1.0, size=(n, 2))  # keep points off the axes before the noise
        s0 = rng.choice([-1.0, 1.0], size=n)
        s1 = s0 if c == 0 else -s0
        xs.append(_jitter(mag * np.stack([s0, s1], axis=1), noise, rng))
    return _finish(xs, 2)


def make_blobs(params: dict[str, Any], rng: np.random.Generator) -> RawData:
    """``classes`` Gaussian clusters with spread ``noise``, centres evenly on a circle.

    Centres on a circle (radius 2, random rotation) never coincide, so the classes stay
    separable at the default spread however many there are.
    """
    k = int(params["classes"])
    noise = float(params["noise"])
    phase = rng.uniform(0.0, 2 * np.pi)
    xs = []
    for c, n in enumerate(class_sizes(int(params["n_samples"]), k)):
        angle = phase + 2 * np.pi * c / k
        centre = 2.0 * np.array([np.cos(angle), np.sin(angle)])
        xs.append(_jitter(np.tile(centre, (n, 1)), noise, rng))
    return _finish(xs, k)
