"""The engine: tensors with autograd, functional ops, nn modules and optimizers.

Needs only numpy (CuPy when ``"cuda"`` is asked for); never Qt.
"""

from neurocanvas.core import functional, nn, optim
from neurocanvas.core.random import manual_seed
from neurocanvas.core.tensor import (
    Function,
    Tensor,
    cat,
    enable_grad,
    is_grad_enabled,
    no_grad,
    ones,
    randn,
    stack,
    tensor,
    zeros,
)

__all__ = [
    "Function",
    "Tensor",
    "cat",
    "enable_grad",
    "functional",
    "is_grad_enabled",
    "manual_seed",
    "nn",
    "no_grad",
    "ones",
    "optim",
    "randn",
    "stack",
    "tensor",
    "zeros",
]
