"""``torch.cuda``: whether a GPU can be used (through CuPy) and its count.

The engine runs CUDA through CuPy; ``is_available()`` is True only when CuPy imports and sees
a GPU, so ``device = "cuda" if torch.cuda.is_available() else "cpu"`` works unchanged.
"""

from __future__ import annotations

from neurocanvas.core import backend

__all__ = ["device_count", "is_available", "manual_seed", "manual_seed_all"]


def is_available() -> bool:
    """True when CuPy and a CUDA GPU are there; never raises."""
    return backend.cuda_available()


def device_count() -> int:
    """1 with a usable GPU (the engine uses one), else 0."""
    return 1 if is_available() else 0


def manual_seed(seed: int) -> None:
    """Nothing to do: random draws happen on the host (see ``neurocanvas.core.manual_seed``)."""


manual_seed_all = manual_seed
