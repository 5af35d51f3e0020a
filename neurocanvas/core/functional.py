"""Functional operations (imported as ``F``) with PyTorch's names, arguments and defaults.

The operations that dominate small-network training (``linear``, ``softmax``,
``log_softmax``, ``cross_entropy``, ``batch_norm``, the losses) are single fused
:class:`~neurocanvas.core.autograd.Function` nodes rather than chains of tiny ops, because on
small arrays the Python overhead per node costs more than the arithmetic.

Length: over ~400 lines because it is the whole ``F.`` namespace under PyTorch's names; each
function is short, and fused ops keep forward and backward side by side.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from neurocanvas.core import backend
from neurocanvas.core._composite import (
    binary_cross_entropy,
    elu,
    embedding,
    layer_norm,
    nll_loss,
    one_hot,
)
from neurocanvas.core._conv import adaptive_avg_pool2d, avg_pool2d, conv2d, max_pool2d
from neurocanvas.core._ops import (
    LogSoftmaxBackward0,
    ReluBackward0,
    SigmoidBackward0,
    SoftmaxBackward0,
    TanhBackward0,
    _log_softmax_array,
    _softmax_dim,
)
from neurocanvas.core.autograd import Function, unbroadcast
from neurocanvas.core.random import default_rng
from neurocanvas.core.tensor import Tensor

__all__ = [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv2d",
    "cross_entropy",
    "dropout",
    "elu",
    "embedding",
    "erf",
    "gelu",
    "huber_loss",
    "l1_loss",
    "layer_norm",
    "leaky_relu",
    "linear",
    "log_softmax",
    "max_pool2d",
    "mse_loss",
    "nll_loss",
    "one_hot",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]

_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(reduction: str, where: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{where}: reduction must be 'none', 'mean' or 'sum', got {reduction!r}")


def _as_tensor(value: Any, where: str, name: str) -> Tensor:
    if isinstance(value, Tensor):
        return value
    raise TypeError(f"{where}: {name} must be a Tensor, got {type(value).__name__}")


def _raw(value: Any, like: Any) -> Any:
    """Array of an optional Tensor/array argument on ``like``'s device (None stays None)."""
    if value is None:
        return None
    arr = value.array if isinstance(value, Tensor) else value
    if type(like) is not np.ndarray:
        arr = backend.array_module(like).asarray(arr)
    return arr


# ----------------------------------------------------------------------------------------
# erf: numpy has none. Cephes' rational approximations (S. L. Moshier, the same ones SciPy
# compiles), accurate to about 1e-15 in float64, evaluated branch-free on whole arrays.

_ERF_T = (
    9.60497373987051638749e0,
    9.00260197203842689217e1,
    2.23200534594684319226e3,
    7.00332514112805075473e3,
    5.55923013010394962768e4,
)
_ERF_U = (
    1.0,
    3.35617141647503099647e1,
    5.21357949780152679795e2,
    4.59432382970980127987e3,
    2.26290000613890934246e4,
    4.92673942608635921086e4,
)
_ERFC_P = (
    2.46196981473530512524e-10,
    5.64189564831068821977e-1,
    7.46321056442269912687e0,
    4.86371970985681366614e1,
    1.96520832956077098242e2,
    5.26445194995477358631e2,
    9.34528527171957607540e2,
    1.02755188689515710272e3,
    5.57535335369399327526e2,
)
_ERFC_Q = (
    1.0,
    1.32281951154744992508e1,
    8.67072140885989742329e1,
    3.54937778887819891062e2,
    9.75708501743205489753e2,
    1.82390916687909736289e3,
    2.24633760818710981792e3,
    1.65666309194161350182e3,
    5.57535340817727675546e2,
)


def _polyval(x: Any, coefs: tuple[float, ...]) -> Any:
    out = coefs[0] + 0 * x
    for c in coefs[1:]:
        out = out * x + c
    return out


def erf(x: Any) -> Any:
    """The error function of an array (numpy or CuPy), computed in float64.

    ``|x| <= 1`` uses ``x T(x^2) / U(x^2)``; beyond that ``1 - erfc(|x|)`` with
    ``erfc(a) = exp(-a^2) P(a) / Q(a)``, which holds to ``a = 8``; past 6, erf is 1 in float64.
    """
    xp = backend.array_module(x)
    x64 = xp.asarray(x, dtype=np.float64)
    ax = xp.abs(x64)
    z = x64 * x64
    small = x64 * _polyval(z, _ERF_T) / _polyval(z, _ERF_U)
    a = xp.clip(ax, 1.0, 6.0)
    erfc = xp.exp(-a * a) * _polyval(a, _ERFC_P) / _polyval(a, _ERFC_Q)
    large = xp.sign(x64) * (1.0 - erfc)
    return xp.where(ax <= 1.0, small, large)


# ----------------------------------------------------------------------------------------
# Activations


def relu(input: Tensor, inplace: bool = False) -> Tensor:  # noqa: A002 - PyTorch's name
    """max(x, 0); ``inplace`` is accepted for PyTorch compatibility and ignored."""
    return ReluBackward0.apply(input)


def sigmoid(input: Tensor) -> Tensor:  # noqa: A002
    return SigmoidBackward0.apply(input)


def tanh(input: Tensor) -> Tensor:  # noqa: A002
    return TanhBackward0.apply(input)


class LeakyReluBackward0(Function):
    def forward(self, a: Any, slope: float) -> Any:
        mask = a > 0
        self.save_for_backward(mask)
        self.slope = slope
        return self.xp.where(mask, a, a * slope)

    def backward(self, g: Any) -> tuple[Any, ...]:
        (mask,) = self.saved  # type: ignore[misc]
        return (self.xp.where(mask, g, g * self.slope),)


def leaky_relu(
    input: Tensor,  # noqa: A002
    negative_slope: float = 0.01,
    inplace: bool = False,
) -> Tensor:
    """x where x > 0, else ``negative_slope * x``."""
    return LeakyReluBackward0.apply(input, slope=negative_slope)


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GeluBackward0(Function):
    def forward(self, a: Any, approximate: str) -> Any:
        xp = self.xp
        self.approximate = approximate
        if approximate == "tanh":
            inner = _SQRT_2_OVER_PI * (a + 0.044715 * a * a * a)
            t = xp.tanh(inner)
            self.save_for_backward(a, t)
            return 0.5 * a * (1 + t)
        cdf = (0.5 * (1.0 + erf(a * _INV_SQRT_2))).astype(a.dtype, copy=False)
        self.save_for_backward(a, cdf)
        return a * cdf

    def backward(self, g: Any) -> tuple[Any, ...]:
        a, s = self.saved  # type: ignore[misc]
        if self.approximate == "tanh":
            dinner = _SQRT_2_OVER_PI * (1 + 3 * 0.044715 * a * a)
            return (g * (0.5 * (1 + s) + 0.5 * a * (1 - s * s) * dinner),)
        pdf = self.xp.exp(-0.5 * a * a) * _INV_SQRT_2PI
        return (g * (s + a * pdf),)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:  # noqa: A002
    """x * Phi(x) (exact, with erf), or the tanh approximation with ``approximate='tanh'``."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GeluBackward0.apply(input, approximate=approximate)


# ----------------------------------------------------------------------------------------
# Softmax family


def _warn_implicit_dim(name: str) -> None:
    """PyTorch's warning: the dimension a softmax without ``dim`` picks is a legacy guess."""
    warnings.warn(
        f"Implicit dimension choice for {name} has been deprecated. Change the call to include "
        "dim=X as an argument.",
        UserWarning,
        stacklevel=3,
    )


def softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """exp(x) / sum(exp(x)) along ``dim``, shifted by the maximum so it never overflows."""
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        _warn_implicit_dim("softmax")
    return SoftmaxBackward0.apply(input, axis=_softmax_dim(input.array.ndim, dim, "softmax"))


def log_softmax(input: Tensor, dim: int | None = None, dtype: Any = None) -> Tensor:  # noqa: A002
    """log(softmax(x)) computed as x - logsumexp(x), stable for large logits."""
    if dtype is not None:
        input = input.type(dtype)
    if dim is None:
        _warn_implicit_dim("log_softmax")
    return LogSoftmaxBackward0.apply(input, axis=_softmax_dim(input.array.ndim, dim, "log_softmax"))


# ----------------------------------------------------------------------------------------
# Linear


class AddmmBackward0(Function):
    """``x @ W.T + b`` as one node; ``x`` may have any number of leading dimensions."""

    def forward(self, x: Any, w: Any, b: Any = None) -> Any:
        self.save_for_backward(x, w)
        out = x @ w.T
        if b is not None:
            out += b
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        x, w = self.saved  # type: ignore[misc]
        needs = self.needs_input_grad
        gx = g @ w if needs[0] else None
        gw = gb = None
        if needs[1] or (len(needs) > 2 and needs[2]):
            g2 = g.reshape(-1, g.shape[-1]) if g.ndim != 2 else g
            if needs[1]:
                x2 = x.reshape(-1, x.shape[-1]) if x.ndim != 2 else x
                gw = g2.T @ x2
            if len(needs) > 2 and needs[2]:
                gb = g2.sum(axis=0)
        return (gx, gw, gb)


def linear(input: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:  # noqa: A002
    """Affine map ``input @ weight.T + bias`` with ``weight`` of shape (out, in) like PyTorch."""
    x, w = input.array, weight.array
    if w.ndim != 2 or x.ndim < 1 or x.shape[-1] != w.shape[1]:
        raise ValueError(
            f"linear: input with {x.shape[-1] if x.ndim else 0} features (shape {x.shape}) "
            f"does not fit weight of shape {w.shape} (out_features, in_features)"
        )
    if bias is None:
        return AddmmBackward0.apply(input, weight)
    if bias.array.shape != (w.shape[0],):
        raise ValueError(f"linear: bias must have shape ({w.shape[0]},), got {bias.array.shape}")
    return AddmmBackward0.apply(input, weight, bias)


# ----------------------------------------------------------------------------------------
# Dropout


class NativeDropoutBackward0(Function):
    def forward(self, a: Any, mask: Any) -> Any:
        self.save_for_backward(mask)
        return a * mask

    def backward(self, g: Any) -> tuple[Any, ...]:
        return (g * self.saved[0],)  # type: ignore[index]


def dropout(
    input: Tensor,  # noqa: A002
    p: float = 0.5,
    training: bool = True,
    inplace: bool = False,
) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``.

    The mask is drawn on the host from the shared generator, so a seeded run drops the same
    units on the CPU and on a GPU.
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    x = input.array
    if p == 1.0:
        mask = np.zeros(x.shape, dtype=x.dtype)
    else:
        keep = default_rng().random(x.shape) >= p
        mask = keep.astype(x.dtype) * np.asarray(1.0 / (1.0 - p), dtype=x.dtype)
    return NativeDropoutBackward0.apply(input, mask=_raw(mask, x))


# ----------------------------------------------------------------------------------------
# Batch normalisation


class NativeBatchNormBackward0(Function):
    """Normalise over every axis but the channel axis (1), then scale and shift.

    Inputs are ``(x, [weight], [bias])``; ``has_weight``/``has_bias`` say which are present.
    """

    def forward(
        self,
        x: Any,
        *params: Any,
        mean: Any,
        invstd: Any,
        has_weight: bool,
        has_bias: bool,
        batch_stats: bool,
    ) -> Any:
        shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.shape = shape
        self.has_weight, self.has_bias, self.batch_stats = has_weight, has_bias, batch_stats
        xhat = (x - mean.reshape(shape)) * invstd.reshape(shape)
        out = xhat
        w = params[0] if has_weight else None
        if w is not None:
            out = out * w.reshape(shape)
        if has_bias:
            out = out + params[-1].reshape(shape)
        self.save_for_backward(xhat, invstd, w)
        return out

    def backward(self, g: Any) -> tuple[Any, ...]:
        xhat, invstd, w = self.saved  # type: ignore[misc]
        axes, shape = self.axes, self.shape
        needs = self.needs_input_grad
        grads: list[Any] = []
        gx = None
        if needs[0]:
            gxhat = g * w.reshape(shape) if w is not None else g
            if self.batch_stats:
                n = g.size // g.shape[1]
                s1 = gxhat.sum(axis=axes, keepdims=True)
                s2 = (gxhat * xhat).sum(axis=axes, keepdims=True)
                gx = (gxhat - s1 / n - xhat * (s2 / n)) * invstd.reshape(shape)
            else:
                gx = gxhat * invstd.reshape(shape)
        grads.append(gx)
        if self.has_weight:
            grads.append((g * xhat).sum(axis=axes) if needs[1] else None)
        if self.has_bias:
            grads.append(g.sum(axis=axes) if needs[-1] else None)
        return tuple(grads)


def batch_norm(
    input: Tensor,  # noqa: A002
    running_mean: Tensor | None,
    running_var: Tensor | None,
    weight: Tensor | None = None,
    bias: Tensor | None = None,
    training: bool = False,
    momentum: float = 0.1,
    eps: float = 1e-5,
) -> Tensor:
    """Batch normalisation over the channel axis 1 of (N, C), (N, C, L) or (N, C, H, W).

    In training it uses the batch statistics and updates ``running_mean``/``running_var``
    in place (the running variance uses the unbiased batch variance, as PyTorch does);
    otherwise it uses the running statistics.
    """
    x = input.array
    if x.ndim < 2:
        raise ValueError(f"batch_norm: input needs shape (N, C, ...), got {x.shape}")
    c = x.shape[1]
    for name, t in (
        ("running_mean", running_mean),
        ("running_var", running_var),
        ("weight", weight),
        ("bias", bias),
    ):
        if t is not None and t.array.shape != (c,):
            raise ValueError(
                f"batch_norm: {name} must have shape ({c},) for {c} channels, got {t.array.shape}"
            )
    xp = input.xp
    axes = (0,) + tuple(range(2, x.ndim))
    batch_stats = training or running_mean is None or running_var is None
    if batch_stats:
        n = x.size // c
        if training and n <= 1:
            raise ValueError(
                f"batch_norm: expected more than 1 value per channel when training, "
                f"got input of shape {x.shape}"
            )
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        if training and running_mean is not None and running_var is not None:
            rm, rv = running_mean.array, running_var.array
            rm[...] = (1 - momentum) * rm + momentum * mean.astype(rm.dtype, copy=False)
            unbiased = var * (n / (n - 1))
            rv[...] = (1 - momentum) * rv + momentum * unbiased.astype(rv.dtype, copy=False)
    else:
        mean = running_mean.array.astype(x.dtype, copy=False)  # type: ignore[union-attr]
        var = running_var.array.astype(x.dtype, copy=False)  # type: ignore[union-attr]
    invstd = (1.0 / xp.sqrt(var + eps)).astype(x.dtype, copy=False)
    params = [t for t in (weight, bias) if t is not None]
    return NativeBatchNormBackward0.apply(
        input,
        *params,
        mean=mean,
        invstd=invstd,
        has_weight=weight is not None,
        has_bias=bias is not None,
        batch_stats=batch_stats,
    )


# ----------------------------------------------------------------------------------------
# Pointwise regression losses


class _PointwiseLoss(Function):
    """Loss ``f(input - target)`` reduced by none/mean/sum; subclasses give f and f'."""

    def value(self, d: Any) -> Any:
        raise NotImplementedError

    def deriv(self, d: Any) -> Any:
        raise NotImplementedError

    def forward(self, a: Any, b: Any, reduction: str, **kw: Any) -> Any:
        self.__dict__.update(kw)
        d = a - b
        self.save_for_backward(d)
        self.shapes = (a.shape, b.shape)
        self.reduction = reduction
        loss = self.value(d)
        if reduction == "mean":
            return loss.sum() / loss.size  # skips np.mean's Python-level bookkeeping
        if reduction == "sum":
            return loss.sum()
        return loss

    def backward(self, g: Any) -> tuple[Any, ...]:
        (d,) = self.saved  # type: ignore[misc]
        gd = self.deriv(d)
        if self.reduction == "mean":
            gd = gd * (g / d.size)
        else:
            gd = gd * g
        na, nb = self.needs_input_grad
        sa, sb = self.shapes
        return (unbroadcast(gd, sa) if na else None, unbroadcast(-gd, sb) if nb else None)


class MseLossBackward0(_PointwiseLoss):
    def value(self, d: Any) -> Any:
        return d * d

    def deriv(self, d: Any) -> Any:
        return 2 * d


class L1LossBackward0(_PointwiseLoss):
    def value(self, d: Any) -> Any:
        return self.xp.abs(d)

    def deriv(self, d: Any) -> Any:
        return self.xp.sign(d)


class HuberLossBackward0(_PointwiseLoss):
    delta: float

    def value(self, d: Any) -> Any:
        ad = self.xp.abs(d)
        delta = self.delta
        return self.xp.where(ad <= delta, 0.5 * d * d, delta * (ad - 0.5 * delta))

    def deriv(self, d: Any) -> Any:
        delta = self.delta
        return self.xp.clip(d, -delta, delta)


def _target_on_input_device(target: Tensor, like: Any) -> Tensor:
    """Move a constant target to the input's device, as ``cross_entropy`` does.

    A host target with a GPU input would otherwise fail inside CuPy with "Unsupported type".
    A target that needs a gradient is left alone: moving it would cut it from the graph.
    """
    if type(target.array) is type(like) or target.requires_grad:
        return target
    return Tensor._wrap(backend.to_device(target.array, backend.device_of(like)))


def _pointwise(
    fn: type[_PointwiseLoss], input: Tensor, target: Tensor, reduction: str, where: str, **kw: Any
) -> Tensor:  # noqa: A002
    _check_reduction(reduction, where)
    _as_tensor(input, where, "input")
    if not isinstance(target, Tensor):
        target = Tensor._wrap(_raw(np.asarray(target, dtype=input.array.dtype), input.array))
    target = _target_on_input_device(target, input.array)
    if input.array.shape != target.array.shape:
        # PyTorch broadcasts too, with the same warning: usually (N, 1) against (N,) by mistake
        warnings.warn(
            f"{where}: target shape {target.array.shape} differs from input shape "
            f"{input.array.shape}; they will be broadcast, which is often a mistake",
            UserWarning,
            stacklevel=3,
        )
    return fn.apply(input, target, reduction=reduction, **kw)


def mse_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean (or sum, or elementwise) squared error."""
    return _pointwise(MseLossBackward0, input, target, reduction, "mse_loss")


def l1_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
) -> Tensor:
    """Mean (or sum, or elementwise) absolute error."""
    return _pointwise(L1LossBackward0, input, target, reduction, "l1_loss")


def huber_loss(
    input: Tensor,  # noqa: A002
    target: Tensor,
    reduction: str = "mean",
    delta: float = 1.0,
) -> Tensor:
    """Squared error for ``|d| <= delta``, linear beyond: robust to outliers."""
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return _pointwise(HuberLossBackward0, input, target, reduction, "huber_loss", delta=delta)


# ----------------------------------------------------------------------------------------
# Cross-entropy


class NllLossBackward0(Function):
    """log_softmax + negative log-likelihood in one node, on (M, C) logits.

    Class-index targets (``probs=False``) honour ``weight``, ``ignore_index`` and
    ``label_smoothing`` exactly as PyTorch; probability targets honour ``weight`` and
    ``label_smoothing``.
    """

    def forward(
        self,
        x: Any,
        *maybe_target: Any,
        target: Any,
        weight: Any,
        ignore_index: int,
        reduction: str,
        smoothing: float,
        probs: bool,
        plain: bool = False,
    ) -> Any:
        xp = self.xp
        m, c = x.shape
        logp = _log_softmax_array(x, 1, xp)
        self.probs, self.reduction, self.smoothing = probs, reduction, smoothing
        self.plain = plain
        w = weight
        if plain:
            # -log p[i, t_i]; the gradient is softmax minus the one-hot target (below)
            loss = -logp[xp.arange(m), target]
            self.denom = m
            self.save_for_backward(logp, target)
        elif probs:
            t = maybe_target[0] if maybe_target else target
            tt = t * (1 - smoothing) + smoothing / c if smoothing else t
            wt = tt * w if w is not None else tt
            loss = -(wt * logp).sum(axis=1)
            self.denom = m
            self.save_for_backward(logp, wt, w)
        else:
            valid = target != ignore_index
            safe = xp.where(valid, target, 0)
            rows = xp.arange(m)
            picked = logp[rows, safe]
            wt = w[safe] * valid if w is not None else valid.astype(x.dtype)
            loss = -(1 - smoothing) * wt * picked
            if smoothing:
                smooth = -(logp * w).sum(axis=1) if w is not None else -logp.sum(axis=1)
                loss = loss + (smoothing / c) * smooth * valid
            self.denom = wt.sum()
            self.save_for_backward(logp, safe, valid, wt, w)
        if reduction == "mean":
            return loss.sum() / self.denom
        if reduction == "sum":
            return loss.sum()
        return loss

    def backward(self, g: Any) -> tuple[Any, ...]:
        xp = self.xp
        if self.reduction == "mean":
            coef = g / self.denom
        elif self.reduction == "sum":
            coef = g
        else:
            coef = g[:, None]
        eps = self.smoothing
        if self.plain:
            logp, target = self.saved  # type: ignore[misc]
            gx = xp.exp(logp)
            gx[xp.arange(logp.shape[0]), target] -= 1
            gx *= coef
            return (gx,)
        if self.probs:
            logp, wt, w = self.saved  # type: ignore[misc]
            p = xp.exp(logp)
            # d loss / d logp = -wt; through log_softmax: -wt + p * sum(wt)
            gx = (p * wt.sum(axis=1, keepdims=True) - wt) * coef
            gt = None
            if len(self.needs_input_grad) > 1 and self.needs_input_grad[1]:
                gt = -(1 - eps) * logp * coef
                if w is not None:
                    gt = gt * w
            return (gx, gt) if len(self.needs_input_grad) > 1 else (gx,)
        logp, safe, valid, wt, w = self.saved  # type: ignore[misc]
        m, c = logp.shape
        p = xp.exp(logp)
        # a[i, c] = d(-loss_i)/d logp[i, c]; the log_softmax step gives p * sum(a) - a
        a = xp.zeros_like(logp)
        a[xp.arange(m), safe] = (1 - eps) * wt
        if eps:
            per_class = w[None, :] if w is not None else xp.ones((1, c), dtype=logp.dtype)
            a = a + (eps / c) * per_class * valid[:, None]
        gx = (p * a.sum(axis=1, keepdims=True) - a) * coef
        return (gx,)


def cross_entropy(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    ignore_index: int = -100,
    reduce: Any = None,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> Tensor:
    """Cross-entropy of logits ``input`` (N, C) or (N, C, d...) or (C,) against ``target``.

    ``target`` holds class indices (integer dtype, shape (N,) / (N, d...) / ()) or class
    probabilities (float, same shape as ``input``).
    """
    where = "cross_entropy"
    _check_reduction(reduction, where)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{where}: label_smoothing must be in [0, 1], got {label_smoothing}")
    x = input.array
    tgt = target if isinstance(target, Tensor) else Tensor._wrap(np.asarray(target))
    t = _raw(tgt.array, x)
    if x.ndim == 0:
        raise ValueError(f"{where}: input must have a class dimension, got a 0-d tensor")
    unbatched = x.ndim == 1
    c = x.shape[0] if unbatched else x.shape[1]
    probs = t.dtype.kind == "f"
    w = _raw(weight, x)
    if w is not None:
        w = w.astype(x.dtype, copy=False)
        if w.shape != (c,):
            raise ValueError(f"{where}: weight must have shape ({c},), got {w.shape}")
    if probs:
        if t.shape != x.shape:
            raise ValueError(
                f"{where}: probability targets must have the input's shape {x.shape}, got {t.shape}"
            )
    else:
        if t.dtype.kind not in "iu":
            raise TypeError(f"{where}: class targets must be integers, got dtype {t.dtype}")
        want = () if unbatched else (x.shape[0],) + x.shape[2:]
        if t.shape != want:
            raise ValueError(
                f"{where}: for input of shape {x.shape} the class targets need shape {want}, "
                f"got {t.shape}"
            )
        # Two reductions in the usual case; the full test only when some target is outside
        # 0..C-1 (ignore_index, or an error).
        in_range = t.size == 0 or bool(t.min() >= 0) and bool(t.max() < c)
        if not in_range:
            bad = (t != ignore_index) & ((t < 0) | (t >= c))
            if bad.any():
                raise IndexError(
                    f"{where}: target {int(t[bad].ravel()[0])} is out of range for {c} classes"
                )

    # bring the classes to the last axis and flatten to (M, C)
    if unbatched:
        x2 = input.reshape(1, c)
    elif x.ndim == 2:
        x2 = input
    else:
        x2 = input.permute((0,) + tuple(range(2, x.ndim)) + (1,)).reshape(-1, c)
    kwargs = {
        "weight": w,
        "ignore_index": ignore_index,
        "reduction": reduction,
        "smoothing": float(label_smoothing),
        "probs": probs,
        # every target a class (none ignored), no weights, no smoothing: the plain formula
        "plain": not probs and in_range and w is None and not label_smoothing,
    }
    if probs:
        if unbatched:
            t2 = tgt.reshape(1, c)
        elif x.ndim == 2:
            t2 = tgt
        else:
            t2 = tgt.permute((0,) + tuple(range(2, x.ndim)) + (1,)).reshape(-1, c)
        if t2.requires_grad:
            out = NllLossBackward0.apply(x2, t2, target=None, **kwargs)
        else:
            out = NllLossBackward0.apply(x2, target=t2.array, **kwargs)
    else:
        out = NllLossBackward0.apply(x2, target=t.reshape(-1), **kwargs)
    if reduction == "none":
        shape = () if unbatched else (x.shape[0],) + x.shape[2:]
        out = out.reshape(shape)
    return out


# ----------------------------------------------------------------------------------------
# Binary cross-entropy on logits


class BinaryCrossEntropyWithLogitsBackward0(Function):
    """``(1 - t) x + (1 + (pw - 1) t) softplus(-x)``, times ``weight``: never overflows."""

    def forward(self, x: Any, t: Any, weight: Any, pos_weight: Any, reduction: str) -> Any:
        xp = self.xp
        sp_neg = xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))  # softplus(-x)
        lw = 1 + (pos_weight - 1) * t if pos_weight is not None else None
        loss = (1 - t) * x + (lw * sp_neg if lw is not None else sp_neg)
        if weight is not None:
            loss = loss * weight
        self.save_for_backward(x, t, sp_neg, lw, weight, pos_weight)
        self.shapes = (x.shape, t.shape)
        self.reduction = reduction
        self.size = loss.size
        if reduction == "mean":
            return loss.mean()
        if reduction == "sum":
            return loss.sum()
        return loss

    def backward(self, g: Any) -> tuple[Any, ...]:
        xp = self.xp
        x, t, sp_neg, lw, weight, pos_weight = self.saved  # type: ignore[misc]
        if self.reduction == "mean":
            g = g / self.size
        if weight is not None:
            g = g * weight
        na, nt = self.needs_input_grad
        gx = gt = None
        if na:
            sig_neg = xp.exp(-xp.logaddexp(0, x))  # sigmoid(-x) = 1 - sigmoid(x)
            dx = (1 - t) - (lw * sig_neg if lw is not None else sig_neg)
            gx = unbroadcast(g * dx, self.shapes[0])
        if nt:
            dt = -x + ((pos_weight - 1) * sp_neg if pos_weight is not None else 0)
            gt = unbroadcast(g * dt, self.shapes[1])
        return (gx, gt)


def binary_cross_entropy_with_logits(
    input: Tensor,  # noqa: A002
    target: Tensor,
    weight: Tensor | None = None,
    size_average: Any = None,
    reduce: Any = None,
    reduction: str = "mean",
    pos_weight: Tensor | None = None,
) -> Tensor:
    """Sigmoid + binary cross-entropy in one stable step (targets in [0, 1])."""
    where = "binary_cross_entropy_with_logits"
    _check_reduction(reduction, where)
    x = input.array
    if not isinstance(target, Tensor):
        target = Tensor._wrap(_raw(np.asarray(target, dtype=x.dtype), x))
    target = _target_on_input_device(target, x)
    if target.array.shape != x.shape:
        raise ValueError(
            f"{where}: target shape {target.array.shape} must equal input shape {x.shape}"
        )
    if target.array.dtype.kind != "f":
        target = target.type(x.dtype)
    w = _raw(weight, x)
    pw = _raw(pos_weight, x)
    return BinaryCrossEntropyWithLogitsBackward0.apply(
        input,
        target,
        weight=None if w is None else w.astype(x.dtype, copy=False),
        pos_weight=None if pw is None else pw.astype(x.dtype, copy=False),
        reduction=reduction,
    )
