"""One process-wide random generator for the engine.

Parameter initialisation and dropout masks draw from this host generator and are then moved
to the device, so a seeded run gives the same numbers on the CPU and on a GPU.
"""

from __future__ import annotations

import numpy as np

_generator: np.random.Generator = np.random.default_rng()


def manual_seed(seed: int) -> np.random.Generator:
    """Reseed the shared generator (like ``torch.manual_seed``) and return it."""
    global _generator
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"manual_seed expects an int seed, got {type(seed).__name__}")
    _generator = np.random.default_rng(int(seed))
    return _generator


def default_rng() -> np.random.Generator:
    """Return the shared generator; read it at call time, since ``manual_seed`` replaces it."""
    return _generator
