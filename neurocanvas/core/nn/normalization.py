"""Batch normalisation with PyTorch's parameters, buffers and running-statistics update."""

from __future__ import annotations

from typing import Any, cast

import numpy as np

from neurocanvas.core import functional as F
from neurocanvas.core.backend import to_device
from neurocanvas.core.nn.module import Module, Parameter
from neurocanvas.core.tensor import Tensor

__all__ = ["BatchNorm1d", "BatchNorm2d"]


class _BatchNorm(Module):
    """Shared body of BatchNorm1d/2d; subclasses only say which input ranks they accept."""

    _ranks: tuple[int, ...] = ()
    # Buffers, registered by name in __init__ (None without track_running_stats).
    running_mean: Tensor | None
    running_var: Tensor | None
    num_batches_tracked: Tensor | None

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: str | None = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(num_features, bool) or not isinstance(num_features, (int, np.integer)):
            raise ValueError(f"{type(self).__name__}: num_features must be an int")
        if num_features <= 0:
            raise ValueError(f"{type(self).__name__}: num_features must be positive")
        self.num_features = int(num_features)
        self.eps = float(eps)
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dt = np.dtype(dtype) if dtype is not None else np.dtype(np.float32)
        dev = device or "cpu"

        def make(value: float) -> np.ndarray:
            return to_device(np.full(self.num_features, value, dtype=dt), dev)

        if affine:
            self.weight = Parameter(make(1.0))
            self.bias = Parameter(make(0.0))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", Tensor(make(0.0)))
            self.register_buffer("running_var", Tensor(make(1.0)))
            self.register_buffer(
                "num_batches_tracked", Tensor(to_device(np.array(0, dtype=np.int64), dev))
            )
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:  # __init__ registered the buffers as Tensors
            cast(Tensor, self.running_mean).array[...] = 0
            cast(Tensor, self.running_var).array[...] = 1
            cast(Tensor, self.num_batches_tracked).array[...] = 0

    def forward(self, input: Tensor) -> Tensor:
        shape = input.shape
        if len(shape) not in self._ranks or shape[1] != self.num_features:
            want = " or ".join(f"{r}-D" for r in self._ranks)
            raise ValueError(
                f"{type(self).__name__}({self.num_features}) expects a {want} input with "
                f"{self.num_features} channels in dimension 1, got shape {tuple(shape)}"
            )
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            tracked = cast(Tensor, self.num_batches_tracked)  # registered as a Tensor then
            tracked.array += 1
            if self.momentum is None:
                # Cumulative moving average, as PyTorch does for momentum=None.
                factor = 1.0 / float(tracked.array)
        use_batch_stats = self.training or not self.track_running_stats
        return F.batch_norm(
            input,
            self.running_mean if not self.training or self.track_running_stats else None,
            self.running_var if not self.training or self.track_running_stats else None,
            self.weight,
            self.bias,
            use_batch_stats,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Normalise (N, C) or (N, C, L) inputs per channel."""

    _ranks = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Normalise (N, C, H, W) inputs per channel."""

    _ranks = (4,)
