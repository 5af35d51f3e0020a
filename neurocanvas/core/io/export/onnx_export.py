"""The compiled model as an ONNX graph (opset 17), checked with ``onnx.checker``.

Like the PyTorch code generator, this maps each engine module to ONNX nodes, so every layer
the catalogue builds is covered by the module it builds. Weights become initializers under
their ``state_dict`` names, in float32, the precision ONNX runtimes run fastest.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.datasets.preprocessing import METADATA_KEY, Preprocessing
from neurocanvas.core.io.atomic import atomic_write
from neurocanvas.core.network import compiler
from neurocanvas.core.tensor import Tensor

from ._common import ExportError

OPSET = 17


class _Builder:
    """Collects nodes and initializers with unique value names."""

    def __init__(self) -> None:
        from onnx import helper, numpy_helper

        self.helper, self.numpy_helper = helper, numpy_helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._count = 0

    def fresh(self, base: str) -> str:
        self._count += 1
        return f"{base}_{self._count}"

    def const(self, name: str, array: np.ndarray) -> str:
        self.initializers.append(self.numpy_helper.from_array(np.asarray(array), name))
        return name

    def op(self, op_type: str, inputs: list[str], base: str, **attrs: Any) -> str:
        out = self.fresh(base)
        self.nodes.append(self.helper.make_node(op_type, inputs, [out], name=out, **attrs))
        return out


def _f32(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy(), dtype=np.float32)


def _pair(v: int | tuple[int, ...] | list[int]) -> list[int]:
    return list(v) if isinstance(v, (tuple, list)) else [int(v), int(v)]


# Each emitter reads the attributes of the one module type EMITTERS files it under.
Emitter = Callable[[_Builder, Any, str, list[str]], str]


def _linear(b: _Builder, m: nn.Linear, name: str, xs: list[str]) -> str:
    inputs = [xs[0], b.const(f"{name}.weight", _f32(m.weight))]
    if m.bias is not None:
        inputs.append(b.const(f"{name}.bias", _f32(m.bias)))
    return b.op("Gemm", inputs, name, transB=1)


def _conv(b: _Builder, m: nn.Conv2d, name: str, xs: list[str]) -> str:
    inputs = [xs[0], b.const(f"{name}.weight", _f32(m.weight))]
    if m.bias is not None:
        inputs.append(b.const(f"{name}.bias", _f32(m.bias)))
    return b.op(
        "Conv",
        inputs,
        name,
        kernel_shape=_pair(m.kernel_size),
        strides=_pair(m.stride),
        pads=_conv_pads(m),
        dilations=_pair(m.dilation),
        group=int(getattr(m, "groups", 1)),
    )


def _conv_pads(m: nn.Conv2d) -> list[int]:
    """ONNX ``pads`` (top, left, bottom, right) of a convolution, its string paddings too.

    ``"same"`` pads ``dilation * (kernel - 1)`` per axis, the odd cell at the bottom/right,
    as PyTorch does (``F.conv2d``'s ``"same"``).
    """
    if isinstance(m.padding, str):
        if m.padding == "valid":
            return [0, 0, 0, 0]
        total = [d * (k - 1) for d, k in zip(_pair(m.dilation), _pair(m.kernel_size))]
        return [total[0] // 2, total[1] // 2, total[0] - total[0] // 2, total[1] - total[1] // 2]
    pad = _pair(m.padding)
    return pad + pad


def _pool(op_type: str, **extra: Any) -> Emitter:
    def emit(b: _Builder, m: nn.MaxPool2d | nn.AvgPool2d, name: str, xs: list[str]) -> str:
        pad = _pair(m.padding)
        return b.op(
            op_type,
            xs,
            name,
            kernel_shape=_pair(m.kernel_size),
            strides=_pair(m.stride),
            pads=pad + pad,
            **extra,
        )

    return emit


def _adaptive(b: _Builder, m: nn.AdaptiveAvgPool2d, name: str, xs: list[str]) -> str:
    if _pair(m.output_size) != [1, 1]:
        raise ExportError(f"ONNX export supports AdaptiveAvgPool2d(1) only ({name})")
    return b.op("GlobalAveragePool", xs, name)


def _global_avg(b: _Builder, m: compiler.GlobalAvgPool, name: str, xs: list[str]) -> str:
    return b.op("Flatten", [b.op("GlobalAveragePool", xs, name)], name, axis=1)


def _flatten(b: _Builder, m: nn.Flatten, name: str, xs: list[str]) -> str:
    if m.start_dim != 1 or m.end_dim != -1:
        raise ExportError(f"ONNX export supports Flatten(1, -1) only ({name})")
    return b.op("Flatten", xs, name, axis=1)


def _reshape(b: _Builder, m: compiler.Reshape, name: str, xs: list[str]) -> str:
    target = b.const(b.fresh(f"{name}.shape"), np.array([0, *m.shape], dtype=np.int64))
    return b.op("Reshape", [xs[0], target], name)


def _batchnorm(b: _Builder, m: Any, name: str, xs: list[str]) -> str:
    # m: BatchNorm1d/2d, Any because its running_* buffers are registered by name
    n = m.num_features
    scale = _f32(m.weight) if m.weight is not None else np.ones(n, np.float32)
    shift = _f32(m.bias) if m.bias is not None else np.zeros(n, np.float32)
    inputs = [
        xs[0],
        b.const(f"{name}.weight", scale),
        b.const(f"{name}.bias", shift),
        b.const(f"{name}.running_mean", _f32(m.running_mean)),
        b.const(f"{name}.running_var", _f32(m.running_var)),
    ]
    # ONNX's momentum weighs the running statistic, PyTorch's the new batch
    extra = {} if m.momentum is None else {"momentum": 1.0 - float(m.momentum)}
    return b.op("BatchNormalization", inputs, name, epsilon=float(m.eps), **extra)


def _dropout(b: _Builder, m: nn.Dropout, name: str, xs: list[str]) -> str:
    # Inference runs it as identity; writing the Dropout (not Identity) keeps p for a re-import.
    ratio = b.const(b.fresh(f"{name}.ratio"), np.array(m.p, np.float32))
    return b.op("Dropout", [xs[0], ratio], name)


def _gelu(b: _Builder, m: nn.GELU, name: str, xs: list[str]) -> str:
    # Gelu is an ONNX op only from opset 20; opset 17 spells it out.
    x = xs[0]
    half = b.const(b.fresh(f"{name}.half"), np.array(0.5, np.float32))
    one = b.const(b.fresh(f"{name}.one"), np.array(1.0, np.float32))
    if m.approximate == "tanh":
        c = b.const(b.fresh(f"{name}.c"), np.array(math.sqrt(2 / math.pi), np.float32))
        k = b.const(b.fresh(f"{name}.k"), np.array(0.044715, np.float32))
        cube = b.op("Mul", [b.op("Mul", [x, x], name), x], name)
        inner = b.op("Mul", [c, b.op("Add", [x, b.op("Mul", [k, cube], name)], name)], name)
        gate = b.op("Add", [one, b.op("Tanh", [inner], name)], name)
    else:
        r = b.const(b.fresh(f"{name}.rsqrt2"), np.array(1 / math.sqrt(2), np.float32))
        gate = b.op("Add", [one, b.op("Erf", [b.op("Mul", [x, r], name)], name)], name)
    return b.op("Mul", [b.op("Mul", [half, x], name), gate], name)


def _poly(b: _Builder, m: compiler.PolynomialFeatures, name: str, xs: list[str]) -> str:
    powers = [xs[0]]
    for _ in range(m.degree - 1):
        powers.append(b.op("Mul", [powers[-1], xs[0]], name))
    return powers[0] if m.degree == 1 else b.op("Concat", powers, name, axis=1)


def _simple(op_type: str, **attrs: Any) -> Emitter:
    return lambda b, m, name, xs: b.op(op_type, xs, name, **attrs)


EMITTERS: dict[type, Emitter] = {
    nn.Linear: _linear,
    nn.Conv2d: _conv,
    nn.MaxPool2d: _pool("MaxPool"),
    nn.AvgPool2d: _pool("AveragePool", count_include_pad=1),
    nn.AdaptiveAvgPool2d: _adaptive,
    nn.Flatten: _flatten,
    nn.Dropout: _dropout,
    nn.Identity: _simple("Identity"),
    nn.BatchNorm1d: _batchnorm,
    nn.BatchNorm2d: _batchnorm,
    nn.ReLU: _simple("Relu"),
    nn.Sigmoid: _simple("Sigmoid"),
    nn.Tanh: _simple("Tanh"),
    nn.GELU: _gelu,
    compiler.Add: lambda b, m, name, xs: xs[0] if len(xs) == 1 else b.op("Sum", xs, name),
    compiler.Concat: lambda b, m, name, xs: b.op("Concat", xs, name, axis=1),
    compiler.GlobalAvgPool: _global_avg,
    compiler.Reshape: _reshape,
    compiler.PolynomialFeatures: _poly,
}
EMITTERS[nn.LeakyReLU] = lambda b, m, name, xs: b.op(
    "LeakyRelu", xs, name, alpha=float(m.negative_slope)
)
EMITTERS[nn.Softmax] = lambda b, m, name, xs: b.op("Softmax", xs, name, axis=int(m.dim))
EMITTERS[nn.LogSoftmax] = lambda b, m, name, xs: b.op("LogSoftmax", xs, name, axis=int(m.dim))


def _preprocess_input(b: _Builder, pre: Preprocessing | None) -> str:
    """``(input - shift) / scale``: the data set's preprocessing as the graph's first nodes."""
    x = "input"
    if pre is None:
        return x
    if pre.input_shift is not None:
        x = b.op(
            "Sub",
            [x, b.const("preprocess.input_shift", pre.input_shift.astype(np.float32))],
            "preprocess",
        )
    if pre.input_scale is not None:
        x = b.op(
            "Div",
            [x, b.const("preprocess.input_scale", pre.input_scale.astype(np.float32))],
            "preprocess",
        )
    return x


def _postprocess_output(b: _Builder, y: str, pre: Preprocessing | None) -> str:
    """``y * scale + shift``: network outputs back in the target's units."""
    if pre is None:
        return y
    if pre.output_scale is not None:
        y = b.op(
            "Mul",
            [y, b.const("postprocess.output_scale", pre.output_scale.astype(np.float32))],
            "postprocess",
        )
    if pre.output_shift is not None:
        y = b.op(
            "Add",
            [y, b.const("postprocess.output_shift", pre.output_shift.astype(np.float32))],
            "postprocess",
        )
    return y


def strip_preprocessing(proto: Any) -> tuple[Any, Preprocessing | None]:
    """``proto`` without the preprocessing nodes :func:`to_onnx` adds, and what they did.

    An importer gets the network itself (taking the network's inputs, giving its outputs),
    as the app trains it; the maps come back from the model's metadata. A model without them
    is returned unchanged (a copy either way).
    """
    import onnx

    out = onnx.ModelProto()
    out.CopyFrom(proto)
    g = out.graph
    ours = [n for n in g.node if n.name.startswith(("preprocess_", "postprocess_"))]
    if not ours:
        return out, None
    rename: dict[str, str] = {}
    for node in ours:  # each map node has one value input (the first) and one output
        src = node.input[0]
        rename[node.output[0]] = rename.get(src, src)
    keep = [n for n in g.node if n not in ours]
    for node in keep:
        for i, name in enumerate(node.input):
            if name in rename:
                node.input[i] = rename[name]
    used = {name for n in ours for name in n.input[1:]}
    inits = [t for t in g.initializer if t.name not in used]
    del g.node[:]
    g.node.extend(keep)
    del g.initializer[:]
    g.initializer.extend(inits)
    props = {p.key: p.value for p in out.metadata_props}
    text = props.get(METADATA_KEY)
    pre = None
    if text is not None:
        try:
            pre = Preprocessing.from_json(text)
        except ValueError:
            pre = None  # a damaged record: the graph is still the network
    return out, pre


def to_onnx(
    model: compiler.GraphModule,
    title: str = "neurocanvas",
    preprocessing: Preprocessing | None = None,
) -> Any:
    """An ``onnx.ModelProto`` computing ``model``'s output (inference mode) from ``input``.

    With ``preprocessing`` the model takes raw inputs in the user's units and gives outputs in
    the target's units: its maps are the first and last nodes, and the model's metadata
    (``neurocanvas.preprocessing``) holds them as JSON.
    """
    import onnx
    from onnx import TensorProto, helper

    b = _Builder()
    values = {model.input_node: _preprocess_input(b, preprocessing)}
    for step in model.plan:
        module = model.layer(step.node_id)
        emit = EMITTERS.get(type(module))
        if emit is None:
            raise ExportError(
                f"ONNX export does not know the layer {type(module).__name__} ('{step.name}')"
            )
        values[step.node_id] = emit(b, module, step.name, [values[s] for s in step.inputs])
    result = _postprocess_output(b, values[model.result_of], preprocessing)
    b.nodes.append(helper.make_node("Identity", [result], ["output"], name="output"))
    graph = helper.make_graph(
        b.nodes,
        title,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", *model.input_shape])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["N", *model.output_shape])],
        b.initializers,
    )
    proto = helper.make_model(
        graph, producer_name="neurocanvas", opset_imports=[helper.make_opsetid("", OPSET)]
    )
    proto.ir_version = 8  # the newest IR that ONNX Runtime releases of the last years all read
    if preprocessing is not None and not preprocessing.is_identity:
        helper.set_model_props(proto, {METADATA_KEY: preprocessing.to_json()})
    onnx.checker.check_model(proto, full_check=True)
    return proto


def export_onnx(
    model: compiler.GraphModule,
    path: str | os.PathLike,
    title: str = "neurocanvas",
    preprocessing: Preprocessing | None = None,
) -> Path:
    """Write ``model`` to ``path`` as ONNX (atomically: a failed export leaves no file)."""
    import onnx

    proto = to_onnx(model, title, preprocessing)
    path = Path(path)
    atomic_write(path, lambda tmp: onnx.save(proto, tmp))
    return path
