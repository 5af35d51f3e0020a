"""The engine: tensors with autograd, functional ops, nn modules and optimizers.

Laid out like PyTorch so that ``import neurocanvas.core as torch`` runs PyTorch tutorial code:
``torch.tensor``/``zeros``/``rand``/..., ``torch.max``/``where``/..., dtypes
(``torch.float32``), ``torch.device``, ``torch.cuda``, ``torch.autograd``, ``torch.nn``
(with ``nn.functional``), ``torch.optim``, ``torch.utils.data``, ``torch.save``/``load``.
Needs only numpy (CuPy when ``"cuda"`` is asked for); never Qt.
"""

import numpy as np

from neurocanvas.core import autograd, cuda, functional, nn, optim, utils
from neurocanvas.core._creation import (
    arange,
    as_tensor,
    cat,
    concat,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    normal,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    stack,
    tensor,
    zeros,
    zeros_like,
)
from neurocanvas.core._functions import *  # noqa: F403 - the torch.* function forms
from neurocanvas.core._functions import __all__ as _function_names
from neurocanvas.core._printing import get_printoptions, set_printoptions
from neurocanvas.core._types import Size, device
from neurocanvas.core.autograd import (
    Function,
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from neurocanvas.core.random import manual_seed
from neurocanvas.core.serialization import load, save
from neurocanvas.core.tensor import Tensor

# dtypes as PyTorch names them (numpy's types: x.dtype == torch.float32 == np.float32)
float32 = float = np.float32  # noqa: A001
float64 = double = np.float64
float16 = half = np.float16
int64 = long = np.int64
int32 = int = np.int32  # noqa: A001
int16 = short = np.int16
int8 = np.int8
uint8 = np.uint8
bool = np.bool_  # noqa: A001
dtype = np.dtype

__all__ = [
    "Function",
    "Size",
    "Tensor",
    "arange",
    "as_tensor",
    "autograd",
    "cat",
    "concat",
    "cuda",
    "device",
    "empty",
    "empty_like",
    "enable_grad",
    "eye",
    "from_numpy",
    "full",
    "full_like",
    "functional",
    "get_printoptions",
    "is_grad_enabled",
    "linspace",
    "load",
    "manual_seed",
    "nn",
    "no_grad",
    "normal",
    "ones",
    "ones_like",
    "optim",
    "rand",
    "rand_like",
    "randint",
    "randn",
    "randn_like",
    "randperm",
    "save",
    "set_grad_enabled",
    "set_printoptions",
    "stack",
    "tensor",
    "utils",
    "zeros",
    "zeros_like",
    *_function_names,
]
