"""Loss modules: each stores its options and calls the matching ``functional`` loss."""

from __future__ import annotations

from typing import Any

from neurocanvas.core import functional as F
from neurocanvas.core.nn.module import Module
from neurocanvas.core.tensor import Tensor

__all__ = ["BCEWithLogitsLoss", "CrossEntropyLoss", "HuberLoss", "L1Loss", "MSELoss"]

_REDUCTIONS = ("mean", "sum", "none")


class _Loss(Module):
    def __init__(self, reduction: str = "mean") -> None:
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"{type(self).__name__}: reduction must be one of {_REDUCTIONS}, got {reduction!r}"
            )
        self.reduction = reduction

    def extra_repr(self) -> str:
        return "" if self.reduction == "mean" else f"reduction={self.reduction!r}"


class MSELoss(_Loss):
    """Mean squared error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Squared error below ``delta``, absolute error above: robust to outliers."""

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction)
        if delta <= 0:
            raise ValueError(f"HuberLoss: delta must be positive, got {delta}")
        self.delta = float(delta)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class CrossEntropyLoss(_Loss):
    """Softmax cross entropy between logits (N, C) and integer class ids (N,) or probabilities.

    PyTorch's arguments: ``weight`` (C,) per class (a buffer, moved by ``.to``),
    ``ignore_index`` (targets equal to it add nothing), ``reduction``, ``label_smoothing`` in
    [0, 1] (Szegedy et al. 2016, as ``torch.nn.CrossEntropyLoss``). ``size_average`` and
    ``reduce`` are PyTorch's deprecated spellings and are refused when given.
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: Any = None,
        ignore_index: int = -100,
        reduce: Any = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        if size_average is not None or reduce is not None:
            raise ValueError(
                "CrossEntropyLoss: size_average and reduce are deprecated in PyTorch; use "
                "reduction='mean', 'sum' or 'none'"
            )
        super().__init__(reduction)
        self.weight: Tensor | None
        self.register_buffer("weight", weight)
        self.ignore_index = int(ignore_index)
        self.label_smoothing = float(label_smoothing)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class BCEWithLogitsLoss(_Loss):
    """Binary cross entropy on logits (numerically stable sigmoid + BCE)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(input, target, reduction=self.reduction)
