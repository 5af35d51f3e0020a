"""Read an ONNX file into a plain view: nodes, constants, value shapes, the one input and output.

The ``onnx`` package does the parsing, checking and shape inference (the reference
implementation of the format, so we follow its reading of every opset); this module only
flattens the protobuf into Python values and folds the little shape computations exporters
write around a ``Reshape`` (``Shape -> Gather -> Unsqueeze -> Concat``), so that the
converters see constants instead of graphs of integers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.io.export.onnx_export import strip_preprocessing

#: Stands for the batch size inside folded shape values (``Shape(x)[0]``); no real size is
#: this large, so a Reshape target holding it means "keep the batch dimension".
BATCH = -(2**40)

FullShape = tuple[int | None, ...]


class OnnxImportError(ValueError):
    """The ONNX model cannot become a NeuroCanvas graph; nothing was imported.

    The message names every problem at once (operator, node name, where it sits in the
    graph); ``problems`` holds the same lines one by one.
    """

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems: list[str] = list(problems or [])


class Unsupported(Exception):
    """Raised by a converter: the phrase reads after the node's description."""


@dataclass
class OnnxNode:
    """One ONNX node with its attributes decoded to Python values and numpy arrays."""

    index: int
    op: str
    name: str
    domain: str
    inputs: list[str]
    outputs: list[str]
    attrs: dict[str, Any]


@dataclass
class OnnxModel:
    """The parts of an ONNX model the converters read."""

    file_name: str
    graph_name: str
    opset: int
    nodes: list[OnnxNode]
    consts: dict[str, np.ndarray]
    shapes: dict[str, FullShape]
    input_name: str
    output_name: str
    input_shape: tuple[int, ...]  # one sample's shape, without the batch dimension
    batch: int | None  # the batch size when the file fixes it, else None
    initializer_names: set[str] = field(default_factory=set)
    # a NeuroCanvas export's input/output maps (taken out of the graph), as to_dict()
    preprocessing: dict[str, Any] | None = None
    producer: dict[str, OnnxNode] = field(default_factory=dict)
    consumers: dict[str, list[OnnxNode]] = field(default_factory=dict)

    def sample_shape(self, value: str) -> tuple[int, ...] | None:
        """``value``'s shape without the batch dimension, or None when not fully known."""
        full = self.shapes.get(value)
        if full is None or len(full) == 0 or any(d is None for d in full[1:]):
            return None
        return tuple(int(d) for d in full[1:] if d is not None)

    def rank(self, value: str) -> int | None:
        full = self.shapes.get(value)
        return None if full is None else len(full)

    def describe(self, node: OnnxNode) -> str:
        """``Conv '/c/Conv' (node 3 of 9, after Relu '/r/Relu')``: what and where."""
        fed = []
        for v in node.inputs:
            if not v or v in self.consts:
                continue
            if v == self.input_name:
                fed.append(f"the input '{v}'")
            elif v in self.producer:
                p = self.producer[v]
                fed.append(f"{p.op} '{p.name}'")
        after = f", after {' and '.join(dict.fromkeys(fed))}" if fed else ""
        return f"{node.op} '{node.name}' (node {node.index + 1} of {len(self.nodes)}{after})"


def _attr_value(attr: Any) -> Any:
    from onnx import helper, numpy_helper

    value = helper.get_attribute_value(attr)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8", "replace") for v in value]
    if hasattr(value, "dims") and hasattr(value, "data_type"):  # a TensorProto
        return numpy_helper.to_array(value)
    return value


def _full_shape(value_info: Any) -> FullShape | None:
    tensor = value_info.type.tensor_type
    if not tensor.HasField("shape"):
        return None
    return tuple(d.dim_value if d.HasField("dim_value") else None for d in tensor.shape.dim)


def read_model(source: str | os.PathLike[str] | Any) -> OnnxModel:
    """Parse, check and shape-infer an ONNX file (or an ``onnx.ModelProto``).

    Raises ``OnnxImportError`` for a file that is not ONNX, fails the checker, or does not
    have exactly one float input with known sizes (besides the batch) and one output.
    """
    import onnx
    from onnx import numpy_helper

    if isinstance(source, onnx.ModelProto):
        proto, file_name = source, source.graph.name or "model"
    else:
        path = Path(source)
        file_name = path.name
        if not path.is_file():
            raise OnnxImportError(f"ONNX file not found: {path}")
        try:
            proto = onnx.load(str(path))
        except Exception as exc:  # protobuf's DecodeError, missing external data files...
            raise OnnxImportError(f"{file_name} is not a readable ONNX file ({exc})") from exc
    # a NeuroCanvas export maps raw inputs and outputs around the network: take the network
    proto, preprocessing = strip_preprocessing(proto)
    try:
        onnx.checker.check_model(proto)
    except Exception as exc:  # onnx.checker.ValidationError and friends
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise OnnxImportError(f"{file_name} is not a valid ONNX model: {first}") from exc
    try:
        proto = onnx.shape_inference.infer_shapes(proto, data_prop=True)
    except Exception:  # inference is a help, not a requirement: missing shapes are reported
        pass
    opset = next((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), 0) or 1
    g = proto.graph
    consts = {init.name: numpy_helper.to_array(init) for init in g.initializer}
    shapes: dict[str, FullShape] = {}
    for vi in [*g.input, *g.value_info, *g.output]:
        shape = _full_shape(vi)
        if shape is not None:
            shapes[vi.name] = shape
    inputs = [vi for vi in g.input if vi.name not in consts]
    if len(inputs) != 1:
        names = ", ".join(f"'{vi.name}'" for vi in inputs) or "none"
        raise OnnxImportError(
            f"{file_name} has {len(inputs)} inputs ({names}); a NeuroCanvas network has exactly one"
        )
    if len(g.output) != 1:
        names = ", ".join(f"'{vi.name}'" for vi in g.output)
        raise OnnxImportError(
            f"{file_name} has {len(g.output)} outputs ({names}); "
            "a NeuroCanvas network has exactly one"
        )
    inp = inputs[0]
    if inp.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
        kind = onnx.TensorProto.DataType.Name(inp.type.tensor_type.elem_type)
        raise OnnxImportError(
            f"{file_name}: the input '{inp.name}' holds {kind} values; "
            "NeuroCanvas networks take float32"
        )
    full = shapes.get(inp.name)
    if full is None or len(full) < 2:
        raise OnnxImportError(
            f"{file_name}: the input '{inp.name}' has no shape (batch, ...) that says one "
            "sample's size"
        )
    if any(d is None or d < 1 for d in full[1:]):
        shown = ", ".join("?" if d is None else str(d) for d in full)
        raise OnnxImportError(
            f"{file_name}: the input '{inp.name}' has shape ({shown}); every size but the "
            "batch (the first) must be fixed"
        )
    nodes = [
        OnnxNode(
            i,
            n.op_type,
            n.name or (n.output[0] if n.output else f"node{i + 1}"),
            n.domain,
            list(n.input),
            list(n.output),
            {a.name: _attr_value(a) for a in n.attribute},
        )
        for i, n in enumerate(g.node)
    ]
    model = OnnxModel(
        file_name=file_name,
        graph_name=g.name,
        opset=opset,
        nodes=nodes,
        consts=consts,
        shapes=shapes,
        input_name=inp.name,
        output_name=g.output[0].name,
        input_shape=tuple(int(d) for d in full[1:] if d is not None),
        batch=full[0],
        initializer_names=set(consts),
        preprocessing=None if preprocessing is None else preprocessing.to_dict(),
    )
    _index(model)
    return model


def _index(model: OnnxModel) -> None:
    model.producer = {v: n for n in model.nodes for v in n.outputs if v}
    model.consumers = {}
    for n in model.nodes:
        for v in n.inputs:
            if v:
                model.consumers.setdefault(v, []).append(n)


# ------------------------------------------------------------------------ constant folding
def _ints(a: np.ndarray) -> list[int]:
    return [int(v) for v in np.asarray(a).reshape(-1)]


def node_axes(node: OnnxNode, consts: dict[str, np.ndarray]) -> list[int] | None:
    if "axes" in node.attrs:
        return list(node.attrs["axes"])
    if len(node.inputs) > 1 and node.inputs[1]:
        return _ints(consts[node.inputs[1]])
    return None


def _fold_shape(node: OnnxNode, model: OnnxModel, xs: list[Any]) -> np.ndarray:
    full = model.shapes.get(node.inputs[0])
    if node.inputs[0] in model.consts:
        dims = list(np.shape(model.consts[node.inputs[0]]))
    elif full is None or any(d is None for d in full[1:]):
        raise KeyError(node.inputs[0])
    else:
        dims = [BATCH, *full[1:]]
    start, end = node.attrs.get("start", 0), node.attrs.get("end")
    return np.array(dims[start:end], dtype=np.int64)


def _fold_slice(node: OnnxNode, model: OnnxModel, xs: list[Any]) -> np.ndarray:
    data = xs[0]
    if "starts" in node.attrs:  # opset < 10
        starts, ends = node.attrs["starts"], node.attrs["ends"]
        axes = node.attrs.get("axes", list(range(len(starts))))
        steps = [1] * len(starts)
    else:
        starts, ends = _ints(xs[1]), _ints(xs[2])
        axes = _ints(xs[3]) if len(xs) > 3 and xs[3] is not None else list(range(len(starts)))
        steps = _ints(xs[4]) if len(xs) > 4 and xs[4] is not None else [1] * len(starts)
    index = [slice(None)] * data.ndim
    for s, e, a, st in zip(starts, ends, axes, steps):
        index[a] = slice(s, e, st)
    return data[tuple(index)]


def _fold_unsqueeze(node: OnnxNode, model: OnnxModel, xs: list[Any]) -> np.ndarray:
    axes = node_axes(node, model.consts) or []
    out = np.asarray(xs[0])
    rank = out.ndim + len(axes)
    for a in sorted(a % rank for a in axes):
        out = np.expand_dims(out, a)
    return out


def _fold_squeeze(node: OnnxNode, model: OnnxModel, xs: list[Any]) -> np.ndarray:
    axes = node_axes(node, model.consts)
    return np.squeeze(xs[0], None if axes is None else tuple(axes))


def _dtype(to: int) -> Any:
    from onnx import helper

    return helper.tensor_dtype_to_np_dtype(to)


_FOLDERS: dict[str, Callable[[OnnxNode, OnnxModel, list[Any]], np.ndarray]] = {
    "Shape": _fold_shape,
    "Gather": lambda n, m, xs: np.take(xs[0], xs[1], axis=n.attrs.get("axis", 0)),
    "Unsqueeze": lambda n, m, xs: _fold_unsqueeze(n, m, xs),
    "Squeeze": lambda n, m, xs: _fold_squeeze(n, m, xs),
    "Concat": lambda n, m, xs: np.concatenate(
        [np.atleast_1d(x) for x in xs], axis=n.attrs.get("axis", 0)
    ),
    "Cast": lambda n, m, xs: np.asarray(xs[0]).astype(_dtype(n.attrs["to"])),
    "Slice": _fold_slice,
    "Identity": lambda n, m, xs: xs[0],
    "Reshape": lambda n, m, xs: np.reshape(xs[0], _ints(xs[1])),
    "Mul": lambda n, m, xs: np.multiply(xs[0], xs[1]),
    "Div": lambda n, m, xs: (
        np.divide(xs[0], xs[1])
        if np.asarray(xs[0]).dtype.kind == "f"
        else np.floor_divide(xs[0], xs[1])
    ),
    "Add": lambda n, m, xs: np.add(xs[0], xs[1]),
    "Sub": lambda n, m, xs: np.subtract(xs[0], xs[1]),
    "Sqrt": lambda n, m, xs: np.sqrt(xs[0]),
}


def _constant(node: OnnxNode) -> np.ndarray:
    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in node.attrs:
            value = node.attrs[key]
            if key.startswith("value_float"):
                return np.asarray(value, dtype=np.float32)
            if key.startswith("value_int"):
                return np.asarray(value, dtype=np.int64)
            return np.asarray(value)
    raise Unsupported("holds a kind of constant NeuroCanvas cannot read")


def fold_constants(model: OnnxModel) -> set[int]:
    """Evaluate nodes whose inputs are all constants; returns the indices folded away.

    A ``Shape`` of a computed value folds too, with :data:`BATCH` for its first size.
    Arithmetic on the batch sentinel is not folded (it would give a meaningless number).
    """
    folded: set[int] = set()
    for node in model.nodes:
        if node.op == "Constant":
            model.consts[node.outputs[0]] = _constant(node)
            folded.add(node.index)
            continue
        fold = _FOLDERS.get(node.op)
        if fold is None or len(node.outputs) != 1 or node.domain not in ("", "ai.onnx"):
            continue
        present = [v for v in node.inputs if v]
        if node.op != "Shape" and not all(v in model.consts for v in present):
            continue
        xs = [model.consts.get(v) if v else None for v in node.inputs]
        if node.op in ("Mul", "Div", "Add", "Sub") and any(
            x is not None and np.asarray(x).dtype.kind == "i" and (np.asarray(x) == BATCH).any()
            for x in xs
        ):
            continue
        try:
            model.consts[node.outputs[0]] = np.asarray(fold(node, model, xs))
        except (KeyError, ValueError, IndexError, TypeError):
            continue
        folded.add(node.index)
    return folded


def needed_nodes(model: OnnxModel) -> set[int]:
    """Indices of the nodes the output depends on (dead branches are not imported)."""
    needed: set[int] = set()
    stack = [model.output_name]
    seen: set[str] = set()
    while stack:
        v = stack.pop()
        if v in seen or v in model.consts:
            continue
        seen.add(v)
        node = model.producer.get(v)
        if node is None or node.index in needed:
            continue
        needed.add(node.index)
        stack.extend(i for i in node.inputs if i)
    return needed
