"""Functional operations (``neurocanvas.core.functional`` is ``F``), PyTorch's names."""

from __future__ import annotations

from neurocanvas.core.tensor import Tensor


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002
    return input.relu()
