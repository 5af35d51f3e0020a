"""Functional ops built from tensor ops (their gradients come from those ops' nodes):
``one_hot``, ``nll_loss``, ``binary_cross_entropy``, ``elu``, ``layer_norm``, ``embedding``.

They are re-exported by ``functional`` (and so by ``nn.functional``) with PyTorch's names,
arguments and defaults. None of them is on the hot path of the app's models, so clarity wins
over a fused node.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from neurocanvas.core.autograd import TensorBase, wrap
from neurocanvas.core.tensor import Tensor

__all__ = ["binary_cross_entropy", "elu", "embedding", "layer_norm", "nll_loss", "one_hot"]

_REDUCTIONS = ("none", "mean", "sum")


def _reduce(loss: Tensor, reduction: str, where: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{where}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 tensor with a trailing dimension of ``num_classes`` (max + 1 when -1)."""
    idx = tensor.array
    if idx.dtype.kind not in "iu":
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if idx.size and idx.min() < 0:
        raise RuntimeError("Class values must be non-negative.")
    n = int(idx.max()) + 1 if num_classes == -1 else num_classes
    if idx.size and idx.max() >= n:
        raise RuntimeError("Class values must be smaller than num_classes.")
    return wrap((idx[..., None] == np.arange(n)).astype(np.int64))  # type: ignore[no-any-return]


def nll_loss(
    input: Tensor,  # noqa: A002 - PyTorch's names
    target: Tensor,
    weight: Tensor | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> Tensor:
    """Negative log likelihood of ``target`` classes from log-probabilities ``input`` (N, C).

    With ``weight`` the mean divides by the summed weights of the counted targets, as PyTorch.
    """
    tgt = target.array.astype(np.int64)
    keep = tgt != ignore_index
    safe = np.where(keep, tgt, 0)
    picked = -input.gather(1, wrap(safe[:, None])).squeeze(1)
    w = np.ones(tgt.shape, dtype=input.array.dtype) if weight is None else weight.array[safe]
    w = (w * keep).astype(input.array.dtype)
    losses = picked * wrap(w)
    if reduction == "mean":
        return losses.sum() / float(w.sum())  # type: ignore[no-any-return]
    return _reduce(losses, reduction, "nll_loss")


def binary_cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    reduction: str = "mean",
) -> Tensor:
    """``-(t log p + (1 - t) log(1 - p))`` for probabilities ``p``; logs clamped at -100 as
    PyTorch does, so a saturated probability gives a large finite loss, not inf."""
    p = input.array
    if p.size and (p.min() < 0 or p.max() > 1):
        raise RuntimeError("all elements of input should be between 0 and 1")
    t = target if isinstance(target, TensorBase) else wrap(np.asarray(target, p.dtype))
    log_p = input.log().clamp(min=-100)
    log_q = (1 - input).log().clamp(min=-100)
    loss = -(t * log_p + (1 - t) * log_q)
    if weight is not None:
        loss = loss * weight
    return _reduce(loss, reduction, "binary_cross_entropy")


def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """``x`` for x > 0, ``alpha (e^x - 1)`` otherwise."""
    neg = (input.clamp(max=0).exp() - 1) * alpha
    return input.where(input.array > 0, neg)  # type: ignore[no-any-return]


def layer_norm(
    input: Tensor,  # noqa: A002
    normalized_shape: Sequence[int],
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    eps: float = 1e-5,
) -> Tensor:
    """Normalise over the last ``len(normalized_shape)`` dimensions (biased variance)."""
    shape = tuple(normalized_shape)
    if tuple(input.array.shape[-len(shape) :]) != shape:
        raise RuntimeError(
            f"Given normalized_shape={list(shape)}, expected input with shape [*, "
            f"{', '.join(map(str, shape))}], but got input of size {list(input.array.shape)}"
        )
    dims = tuple(range(input.array.ndim - len(shape), input.array.ndim))
    mean = input.mean(dim=dims, keepdim=True)
    centered = input - mean
    var = (centered * centered).mean(dim=dims, keepdim=True)
    out = centered / (var + eps).sqrt()
    if weight is not None:
        out = out * weight
    if bias is not None:
        out = out + bias
    return out


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:  # noqa: A002
    """Rows of ``weight`` at the indices in ``input``; the gradient adds up repeated rows.

    ``padding_idx``'s row gets no gradient, as in PyTorch.
    """
    idx = input.array if isinstance(input, TensorBase) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError("Expected tensor for argument #1 'indices' to have an integer dtype")
    out = weight[wrap(idx)]
    if padding_idx is not None and weight.requires_grad:
        mask = (idx != padding_idx)[..., None].astype(weight.array.dtype)
        out = out * wrap(mask) + (out * wrap(1 - mask)).detach()
    return out  # type: ignore[no-any-return]
