"""One converter per ONNX operator, and the table the importer looks them up in."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ._convert import Converter, Layer, clean_float
from ._reader import BATCH, OnnxNode, Unsupported, node_axes


# ---------------------------------------------------------------------------- window helpers
def _square(node: OnnxNode, key: str, default: int, what: str) -> int:
    values = list(node.attrs.get(key, [default, default]))
    if len(values) != 2:
        raise Unsupported(
            f"is not 2-D ({key} {values}); NeuroCanvas has 2-D convolutions and pools"
        )
    if values[0] != values[1]:
        raise Unsupported(f"has {what} {values[0]}x{values[1]}; NeuroCanvas's are square")
    return int(values[0])


def _padding(node: OnnxNode, kernel: int, dilation: int = 1) -> int:
    auto = node.attrs.get("auto_pad", "NOTSET")
    if auto == "VALID":
        return 0
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        span = dilation * (kernel - 1)
        strides = list(node.attrs.get("strides", [1, 1]))
        if span % 2 or any(s != 1 for s in strides):
            raise Unsupported(f"pads unevenly ({auto}); NeuroCanvas pads every side alike")
        return span // 2
    pads = list(node.attrs.get("pads", [0, 0, 0, 0]))
    if len(set(pads)) > 1:
        raise Unsupported(f"pads unevenly ({pads}); NeuroCanvas pads every side alike")
    return int(pads[0]) if pads else 0


def _name_of(value: str) -> str | None:
    """'fc1.weight' -> 'fc1': a weight's PyTorch name says which module it belongs to."""
    for suffix in (".weight", ".bias", ".running_mean", ".running_var"):
        if value.endswith(suffix):
            return value[: -len(suffix)]
    return None


def _hint(c: Converter, node: OnnxNode, *values: str) -> str | None:
    for v in values:
        if v and v in c.m.initializer_names and _name_of(v):
            return _name_of(v)
    # the TorchScript exporter names nodes after the module path: "/layers/layers.0/Gemm"
    parts = [p for p in node.name.split("/") if p]
    return parts[-2] if len(parts) >= 2 and node.name.startswith("/") else None


# ---------------------------------------------------------------------------- converters
def _gemm(c: Converter, node: OnnxNode) -> Layer:
    if node.attrs.get("transA", 0):
        raise Unsupported("transposes its input (transA=1)")
    w = c.weight(node.inputs[1], "weight")
    if w.ndim != 2:
        raise Unsupported(f"has a weight of shape {w.shape}, not a matrix")
    w = w if node.attrs.get("transB", 0) else w.T
    w = np.ascontiguousarray(w * np.float32(node.attrs.get("alpha", 1.0)))
    out = w.shape[0]
    bias = None
    if len(node.inputs) > 2 and node.inputs[2]:
        b = c.weight(node.inputs[2], "bias")
        if b.size not in (1, out) or (b.ndim == 2 and b.shape[0] != 1):
            raise Unsupported(f"has a bias of shape {b.shape}; a Linear's bias is ({out},)")
        bias = np.broadcast_to(b.reshape(-1), (out,)) * np.float32(node.attrs.get("beta", 1.0))
    fused, output = c.fused_bias(node, out)
    bias = fused if bias is None else bias
    weights = {"weight": w} if bias is None else {"weight": w, "bias": np.ascontiguousarray(bias)}
    params = {"out_features": out, "bias": bias is not None}
    return c.layer(
        node, "Linear", params, [node.inputs[0]], output, weights, _hint(c, node, node.inputs[1])
    )


def _matmul(c: Converter, node: OnnxNode) -> Layer:
    if node.inputs[0] in c.m.consts:
        raise Unsupported(
            "multiplies a stored matrix by the data (W @ x); NeuroCanvas's Linear computes x @ Wᵀ"
        )
    w = c.weight(node.inputs[1], "weight")
    if w.ndim != 2:
        raise Unsupported(f"multiplies by a stored array of shape {w.shape}, not a matrix")
    rank = c.m.rank(node.inputs[0])
    if rank is not None and rank != 2:
        raise Unsupported(
            f"multiplies a rank-{rank} value; NeuroCanvas's Linear takes (N, features)"
        )
    w = np.ascontiguousarray(w.T)
    bias, output = c.fused_bias(node, w.shape[0])
    weights = {"weight": w} if bias is None else {"weight": w, "bias": bias}
    params = {"out_features": w.shape[0], "bias": bias is not None}
    return c.layer(
        node, "Linear", params, [node.inputs[0]], output, weights, _hint(c, node, node.inputs[1])
    )


def _conv(c: Converter, node: OnnxNode) -> Layer:
    w = c.weight(node.inputs[1], "weight")
    if w.ndim != 4:
        raise Unsupported(f"is a {w.ndim - 2}-D convolution; NeuroCanvas has Conv2d")
    if node.attrs.get("group", 1) != 1:
        raise Unsupported(
            f"is a grouped convolution (group={node.attrs['group']}); "
            "NeuroCanvas's Conv2d has no groups"
        )
    if w.shape[2] != w.shape[3]:
        raise Unsupported(f"has a {w.shape[2]}x{w.shape[3]} kernel; NeuroCanvas's are square")
    k = int(w.shape[2])
    d = _square(node, "dilations", 1, "dilation")
    bias = None
    if len(node.inputs) > 2 and node.inputs[2]:
        bias = c.weight(node.inputs[2], "bias").reshape(-1)
        output = node.outputs[0]
    else:
        bias, output = c.fused_bias(node, w.shape[0])
    params = {
        "out_channels": int(w.shape[0]),
        "kernel_size": k,
        "stride": _square(node, "strides", 1, "stride"),
        "padding": _padding(node, k, d),
        "dilation": d,
        "bias": bias is not None,
    }
    weights = {"weight": w} if bias is None else {"weight": w, "bias": bias}
    return c.layer(
        node, "Conv2d", params, [node.inputs[0]], output, weights, _hint(c, node, node.inputs[1])
    )


def _pool(type_: str) -> Callable[[Converter, OnnxNode], Layer]:
    def convert(c: Converter, node: OnnxNode) -> Layer:
        c.only_first_output(node, "indices")
        if node.attrs.get("ceil_mode", 0):
            raise Unsupported("rounds its output size up (ceil_mode=1); NeuroCanvas rounds down")
        if _square(node, "dilations", 1, "dilation") != 1:
            raise Unsupported("has a dilated window; NeuroCanvas's pools do not")
        k = _square(node, "kernel_shape", 1, "window")
        s = _square(node, "strides", 1, "stride")  # ONNX's default stride is 1, not the kernel
        p = _padding(node, k)
        if type_ == "AvgPool2d" and p and not node.attrs.get("count_include_pad", 0):
            raise Unsupported(
                "leaves padding out of its averages (count_include_pad=0); "
                "NeuroCanvas counts it, as PyTorch does by default"
            )
        params = {"kernel_size": k, "stride": 0 if s == k else s, "padding": p}
        return c.layer(node, type_, params)

    return convert


def _flattens_channels(c: Converter, node: OnnxNode) -> OnnxNode | None:
    """The Flatten/Reshape/Squeeze after a global pool that drops its two 1-sized dims."""
    nxt = c.single_consumer(node.outputs[0])
    if nxt is None or nxt.op not in ("Flatten", "Reshape", "Squeeze"):
        return None
    before, after = c.m.sample_shape(node.outputs[0]), c.m.sample_shape(nxt.outputs[0])
    if before is None or after != before[:1]:
        return None
    return nxt


def _global_pool(c: Converter, node: OnnxNode) -> list[Layer]:
    x = c.one_input(node)
    shape = c.sample_shape(x)
    if len(shape) != 3:
        raise Unsupported(f"averages a {len(shape) + 1}-D value; NeuroCanvas pools images")
    if node.op == "ReduceMean":
        axes = node.attrs.get("axes")
        if axes is None and len(node.inputs) > 1 and node.inputs[1]:
            axes = [int(a) for a in c.const(node.inputs[1], "axes").reshape(-1)]
        if axes is None or sorted(a % 4 for a in axes) != [2, 3]:
            raise Unsupported(
                f"averages over axes {axes}; NeuroCanvas averages over height "
                "and width only (global average pool)"
            )
        if not node.attrs.get("keepdims", 1):
            return [c.layer(node, "GlobalAvgPool", {}, [x])]
    flat = _flattens_channels(c, node)
    if flat is not None:
        c.skipped.add(flat.index)
        return [c.layer(node, "GlobalAvgPool", {}, [x], flat.outputs[0])]
    pooled = f"{node.outputs[0]}::flat"
    return [
        c.layer(node, "GlobalAvgPool", {}, [x], pooled),
        c.layer(node, "Reshape", {"shape": (shape[0], 1, 1)}, [pooled]),
    ]


def _reshape_like(c: Converter, node: OnnxNode) -> Layer | None:
    """Flatten, Reshape, Squeeze, Unsqueeze: one sample's new shape, the batch kept."""
    x = node.inputs[0]
    before = c.sample_shape(x)
    if node.op == "Flatten" and c.axis(node, x, 1) != 1:
        raise Unsupported(
            f"flattens from axis {node.attrs.get('axis')}; NeuroCanvas's Flatten "
            "keeps the batch (axis 1)"
        )
    if node.op in ("Squeeze", "Unsqueeze"):
        axes = node_axes(node, c.m.consts)
        if axes is None or any(a == 0 or a == -(len(before) + 1) for a in axes):
            raise Unsupported("changes the batch dimension")
    if node.op == "Reshape":
        target = [int(v) for v in c.const(node.inputs[1], "target shape").reshape(-1)]
        first = target[0] if target else None
        keeps_batch = first in (0, BATCH) or (first is not None and first == c.m.batch)
        keeps_batch = keeps_batch or (first == -1 and all(v > 0 for v in target[1:]))
        if not keeps_batch or any(v == BATCH for v in target[1:]):
            raise Unsupported(f"reshapes to {target}, which does not keep the batch first")
        after = _reshaped(before, target)
    else:
        after = c.sample_shape(node.outputs[0])
    if math.prod(after) != math.prod(before):
        raise Unsupported(f"changes the number of values per sample ({before} -> {after})")
    if len(after) == 1:
        return c.layer(node, "Flatten", {}, [x])
    if after == before:
        return None  # nothing to do: the value passes through
    return c.layer(node, "Reshape", {"shape": after}, [x])


def _reshaped(before: tuple[int, ...], target: list[int]) -> tuple[int, ...]:
    """One sample's shape after ONNX Reshape: 0 copies the input's size, -1 takes the rest."""
    rest = [before[i] if v == 0 and i < len(before) else v for i, v in enumerate(target[1:])]
    if -1 in rest:
        known = math.prod(v for v in rest if v != -1)
        if known == 0 or math.prod(before) % known:
            raise Unsupported(f"cannot reshape {before} to {target}")
        rest = [math.prod(before) // known if v == -1 else v for v in rest]
    if any(v < 1 for v in rest):
        raise Unsupported(f"reshapes to {target}, which NeuroCanvas cannot read")
    return tuple(rest)


def _batchnorm(c: Converter, node: OnnxNode) -> Layer:
    c.only_first_output(node, "running statistics")
    if node.attrs.get("training_mode", 0):
        raise Unsupported("is in training mode; export the model in eval mode")
    names = ("weight", "bias", "running_mean", "running_var")
    weights = {
        k: c.weight(v, k.replace("_", " ")).reshape(-1) for k, v in zip(names, node.inputs[1:5])
    }
    params = {
        "eps": clean_float(node.attrs.get("epsilon", 1e-5)),
        # ONNX's momentum weighs the old statistics, PyTorch's the new batch
        "momentum": float(f"{1.0 - float(np.float32(node.attrs.get('momentum', 0.9))):.6g}"),
    }
    return c.layer(
        node,
        "BatchNorm",
        params,
        [node.inputs[0]],
        weights=weights,
        hint=_hint(c, node, *node.inputs[1:5]),
    )


def _dropout(c: Converter, node: OnnxNode) -> Layer:
    c.only_first_output(node, "mask")
    if len(node.inputs) > 2 and node.inputs[2]:
        mode = c.const(node.inputs[2], "training mode")
        if bool(np.asarray(mode).reshape(-1)[0]):
            raise Unsupported("is in training mode; export the model in eval mode")
    if len(node.inputs) > 1 and node.inputs[1]:
        ratio = float(c.const(node.inputs[1], "ratio").reshape(-1)[0])
    else:
        ratio = float(node.attrs.get("ratio", 0.5))
    return c.layer(node, "Dropout", {"p": clean_float(ratio)}, [node.inputs[0]])


def _softmax(c: Converter, node: OnnxNode) -> Layer:
    x = node.inputs[0]
    default = 1 if c.m.opset < 13 else -1
    axis = c.axis(node, x, default)
    if axis != 1 or (c.m.opset < 13 and c.m.rank(x) != 2):
        raise Unsupported(
            f"works over axis {node.attrs.get('axis', default)}; NeuroCanvas's "
            "Softmax works over dim 1 (features, or channels)"
        )
    return c.layer(node, "Softmax", {}, [x])


def _join(type_: str) -> Callable[[Converter, OnnxNode], Layer]:
    def convert(c: Converter, node: OnnxNode) -> Layer:
        xs = c.dynamic_inputs(node)
        if len(xs) != len([v for v in node.inputs if v]):
            raise Unsupported(
                f"{'adds' if type_ == 'Add' else 'joins'} a stored constant; "
                f"NeuroCanvas's {type_} joins computed values only"
            )
        if type_ == "Concat" and c.axis(node, xs[0], 0) != 1:
            raise Unsupported(
                f"joins along axis {node.attrs.get('axis')}; NeuroCanvas's Concat "
                "joins along dim 1 (features, or channels)"
            )
        return c.layer(node, type_, {}, xs)

    return convert


def _simple(type_: str, **attr_params: tuple[str, Any]) -> Callable[[Converter, OnnxNode], Layer]:
    def convert(c: Converter, node: OnnxNode) -> Layer:
        params = {}
        for param, (attr, default) in attr_params.items():
            value = node.attrs.get(attr, default)
            params[param] = clean_float(value) if isinstance(value, float) else value
        return c.layer(node, type_, params)

    return convert


CONVERTERS: dict[str, Callable[[Converter, OnnxNode], Any]] = {
    "Gemm": _gemm,
    "MatMul": _matmul,
    "Conv": _conv,
    "MaxPool": _pool("MaxPool2d"),
    "AveragePool": _pool("AvgPool2d"),
    "GlobalAveragePool": _global_pool,
    "ReduceMean": _global_pool,
    "Flatten": _reshape_like,
    "Reshape": _reshape_like,
    "Squeeze": _reshape_like,
    "Unsqueeze": _reshape_like,
    "BatchNormalization": _batchnorm,
    "Dropout": _dropout,
    "Softmax": _softmax,
    "Add": _join("Add"),
    "Sum": _join("Add"),
    "Concat": _join("Concat"),
    "Relu": _simple("ReLU"),
    "Sigmoid": _simple("Sigmoid"),
    "Tanh": _simple("Tanh"),
    "LeakyRelu": _simple("LeakyReLU", negative_slope=("alpha", 0.01)),
    "Gelu": _simple("GELU", approximate=("approximate", "none")),
    "Identity": lambda c, node: None,
}
