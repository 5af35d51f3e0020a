"""Modules the catalogue builds that ``nn`` does not have: graph joins and small reshapes.

Add and Concat exist only because a drawn graph can join wires; Reshape, GlobalAvgPool and
PolynomialFeatures are fixed-parameter helpers. Each is built from engine ops, so autograd
flows through them and the exporters map them by type.
"""

from __future__ import annotations

from neurocanvas.core import nn
from neurocanvas.core._creation import cat
from neurocanvas.core.tensor import Tensor

Shape = tuple[int, ...]


class Add(nn.Module):
    """Sum of all inputs: the join of a skip connection."""

    def forward(self, *inputs: Tensor) -> Tensor:
        out = inputs[0]
        for x in inputs[1:]:
            out = out + x
        return out


class Concat(nn.Module):
    """Inputs side by side along dim 1 (features for vectors, channels for images)."""

    def forward(self, *inputs: Tensor) -> Tensor:
        return inputs[0] if len(inputs) == 1 else cat(inputs, dim=1)


class Reshape(nn.Module):
    """Gives each sample ``shape`` (already resolved: no -1), keeping the batch size."""

    def __init__(self, shape: Shape) -> None:
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x: Tensor) -> Tensor:
        return x.reshape(x.shape[0], *self.shape)

    def extra_repr(self) -> str:
        return f"shape={self.shape}"


class GlobalAvgPool(nn.Module):
    """(N, C, H, W) -> (N, C): AdaptiveAvgPool2d(1) followed by Flatten, in one step."""

    def forward(self, x: Tensor) -> Tensor:
        return x.mean(dim=(2, 3))


class PolynomialFeatures(nn.Module):
    """(N, F) -> (N, F * degree): ``[x, x^2, ..., x^degree]`` side by side.

    Powers are built by repeated multiplication so the gradient needs only ``*`` and ``cat``.
    """

    def __init__(self, degree: int) -> None:
        super().__init__()
        self.degree = int(degree)

    def forward(self, x: Tensor) -> Tensor:
        powers = [x]
        for _ in range(self.degree - 1):
            powers.append(powers[-1] * x)
        return powers[0] if self.degree == 1 else cat(powers, dim=1)

    def extra_repr(self) -> str:
        return f"degree={self.degree}"
