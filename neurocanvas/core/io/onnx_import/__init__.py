"""Open an ONNX model on the canvas: a Graph of catalogue layers with the model's weights.

Supported operators (everything the catalogue has a layer for): Gemm, MatMul (+ a constant
Add as its bias), Conv, MaxPool, AveragePool, GlobalAveragePool and ReduceMean over height and
width, Relu, LeakyRelu, Sigmoid, Tanh, Gelu and the Erf/Tanh formulas exporters write for it,
Softmax, Flatten, Reshape/Squeeze/Unsqueeze that keep the batch, BatchNormalization, Dropout,
Identity, Add/Sum and Concat. The little integer graphs exporters build for a ``Reshape``
target (``Shape -> Gather -> Concat``) are folded to constants first.

Import is all or nothing: every operator we cannot represent is collected, and one
:class:`OnnxImportError` names each (operator, node name, what feeds it) before anything is
built. ``onnx`` (the format's reference package, already a dependency for export) parses,
checks and shape-infers the file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from neurocanvas.core.datasets.preprocessing import Preprocessing
from neurocanvas.core.io.export import WeightsError, check_weights_fit
from neurocanvas.core.io.project import Project
from neurocanvas.core.network.catalogue import fmt_shape
from neurocanvas.core.network.compiler import compile_graph
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import analyse

from ._arith import find_groups, group_layer, polynomial_layers
from ._build import build_graph
from ._convert import Converter, Layer
from ._ops import CONVERTERS
from ._reader import OnnxImportError, Unsupported, fold_constants, needed_nodes, read_model

__all__ = [
    "DataChoice",
    "ImportedModel",
    "OnnxImportError",
    "OnnxProject",
    "import_onnx",
    "project_from_onnx",
    "suggest_dataset",
]


@dataclass
class ImportedModel:
    """An ONNX model as a graph: ``weights`` are keyed like the compiled model's state_dict."""

    graph: Graph
    weights: dict[str, np.ndarray]
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    name: str
    # the input/output maps of a NeuroCanvas export (Preprocessing.to_dict()), else None
    preprocessing: dict[str, Any] | None = None


def _refuse(file_name: str, problems: list[str]) -> OnnxImportError:
    what = (
        "one part of the model has"
        if len(problems) == 1
        else f"{len(problems)} parts of the model have"
    )
    return OnnxImportError(
        f"cannot open {file_name}: {what} no NeuroCanvas layer, so nothing "
        f"was imported: {'; '.join(problems)}",
        problems,
    )


def _layers(source: Any) -> tuple[Any, list[Layer], dict[str, str]]:
    m = read_model(source)
    folded = fold_constants(m)
    needed = needed_nodes(m)
    nodes = [n for n in m.nodes if n.index in needed and n.index not in folded]
    c = Converter(m)
    c.find_bias_adds(nodes)
    groups = find_groups(c, nodes)
    polynomials = polynomial_layers(c, nodes, groups)
    last_of_group = {g[-1].index: (root, g) for root, g in groups.items()}  # after polynomials
    in_group = {n.index for g in groups.values() for n in g}
    problems: list[str] = []
    layers: list[Layer] = []
    aliases: dict[str, str] = {}
    for node in nodes:
        if node.index in polynomials:
            layers.append(polynomials[node.index])
            continue
        if node.index in c.skipped:
            continue
        if node.index in in_group:
            if node.index in last_of_group:
                root, group = last_of_group[node.index]
                made = group_layer(c, root, group)
                if isinstance(made, str):
                    problems.append(f"{m.describe(group[0])}: {made}")
                else:
                    layers.append(made)
            continue
        if node.domain not in ("", "ai.onnx"):
            problems.append(
                f"{m.describe(node)} is from the '{node.domain}' operator set, "
                "which NeuroCanvas does not read"
            )
            continue
        convert = CONVERTERS.get(node.op)
        if convert is None:
            problems.append(f"{m.describe(node)}: {node.op} is not a NeuroCanvas layer")
            continue
        try:
            made = convert(c, node)
        except Unsupported as exc:
            problems.append(f"{m.describe(node)} {exc}")
            continue
        if made is None:
            aliases[node.outputs[0]] = node.inputs[0]
        else:
            layers.extend(made if isinstance(made, list) else [made])
    if problems:
        raise _refuse(m.file_name, problems)
    return m, _canonical_order(layers, aliases, m.output_name), aliases


def _canonical_order(layers: list[Layer], aliases: dict[str, str], output: str) -> list[Layer]:
    """Layers in depth-first order from the output, inputs in port order.

    The order depends only on the network, not on how the file lists its nodes, so default
    names (relu1, relu2...) and ids come out the same for every file of the same network,
    which makes import -> export -> import give an identical graph.
    """
    by_output = {layer.output: layer for layer in layers}
    ordered: list[Layer] = []
    done: set[int] = set()
    stack: list[tuple[str, bool]] = [(_resolve(aliases, output), False)]
    while stack:
        value, expanded = stack.pop()
        layer = by_output.get(value)
        if layer is None or id(layer) in done:
            continue
        if expanded:
            done.add(id(layer))
            ordered.append(layer)
            continue
        stack.append((value, True))
        stack.extend((_resolve(aliases, v), False) for v in reversed(layer.inputs))
    return ordered


def import_onnx(source: str | os.PathLike[str] | Any, loss: str | None = None) -> ImportedModel:
    """Read an ONNX file (or ``onnx.ModelProto``) into a graph with weights.

    ``loss`` is the Output node's loss; by default ``mse`` for one output and
    ``cross_entropy`` for several (an ONNX file says nothing about how it was trained).

    Raises
    ------
    OnnxImportError
        The file is not readable ONNX, or some operator has no NeuroCanvas layer; the message
        names every such node. Nothing is returned half-built.
    """
    m, layers, aliases = _layers(source)
    if m.output_name == m.input_name or (
        not layers and _resolve(aliases, m.output_name) == m.input_name
    ):
        raise OnnxImportError(f"cannot open {m.file_name}: the model computes nothing")
    graph, weights, origin = build_graph(
        m.input_shape, m.input_name, m.output_name, layers, aliases, "mse"
    )
    report = analyse(graph)
    if not report.ok:
        problems = []
        for p in report.problems:
            layer = origin.get(p.node_id or "")
            where = m.describe(layer.source) if layer else "the model's output"
            problems.append(f"{where}: {p.message}")
        raise _refuse(m.file_name, problems)
    output = graph.node_by_name("output")
    assert output is not None
    out_shape = report.nodes[output.id].out_shape or ()
    chosen = loss or ("mse" if out_shape == (1,) else "cross_entropy")
    graph.set_param(output.id, "loss", chosen)
    weights = _complete_weights(graph, weights)
    name = Path(m.file_name).stem if m.file_name.endswith(".onnx") else m.graph_name
    return ImportedModel(
        graph, weights, tuple(m.input_shape), tuple(out_shape), name or "model", m.preprocessing
    )


def _resolve(aliases: dict[str, str], value: str) -> str:
    while value in aliases:
        value = aliases[value]
    return value


def _complete_weights(graph: Graph, weights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The full state_dict: imported tensors, plus buffers ONNX does not carry
    (``num_batches_tracked``) at their initial values. Shapes are checked here once more."""
    model = compile_graph(graph)
    expected = model.state_dict()
    full = {k: np.array(v, copy=True) for k, v in expected.items()}
    for key, value in weights.items():
        if key in full:
            full[key] = np.asarray(value, dtype=full[key].dtype).reshape(full[key].shape)
    try:
        check_weights_fit(expected, full, source="the ONNX file")
        missing = [k for k in weights if k not in expected]
        if missing:
            raise WeightsError(f"not in the model: {', '.join(missing)}")
    except WeightsError as exc:  # a converter bug, not the person's: say so plainly
        raise OnnxImportError(f"the ONNX weights do not fit the imported graph: {exc}") from exc
    return full


@dataclass(frozen=True)
class DataChoice:
    """A data set for an imported model: registry key, parameters, Output loss, and why."""

    key: str
    params: dict[str, Any]
    loss: str
    note: str


def suggest_dataset(input_shape: tuple[int, ...], outputs: int) -> DataChoice:
    """The built-in data set whose samples fit ``input_shape`` and ``outputs``, if one does.

    An ONNX file carries no data. When a generated data set fits exactly (1 input -> 1 output:
    a curve; 2 inputs -> k classes: spirals or blobs; 8x8 images -> 10 digits) the model can
    train at once. Otherwise the project names the closest kind of data (MNIST files for
    28x28 images, a CSV file for flat inputs) with the path left empty, so the Data set tab
    asks the person for their own file instead of silently changing the network to fit
    generated data.
    """
    shape = tuple(input_shape)
    what = f"inputs {fmt_shape(shape)} and {outputs} output{'s' if outputs != 1 else ''}"
    if shape == (1,) and outputs == 1:
        return DataChoice("sine", {}, "mse", f"the sine curve fits {what}")
    if shape == (2,) and outputs == 1:
        return DataChoice("moons", {}, "bce", f"two moons (one logit, bce) fits {what}")
    if shape == (2,) and 2 <= outputs <= 5:
        return DataChoice(
            "spirals", {"classes": outputs}, "cross_entropy", f"{outputs} spirals fit {what}"
        )
    if shape == (2,) and 6 <= outputs <= 10:
        return DataChoice(
            "blobs", {"classes": outputs}, "cross_entropy", f"{outputs} blobs fit {what}"
        )
    if shape == (1, 8, 8) and outputs == 10:
        return DataChoice("digits", {}, "cross_entropy", f"the 8x8 digits fit {what}")
    loss = "mse" if outputs == 1 else "cross_entropy"
    if shape == (1, 28, 28) and outputs == 10:
        return DataChoice(
            "mnist", {}, loss, f"choose MNIST IDX files in the Data set tab: they fit {what}"
        )
    task = "regression" if outputs == 1 else "classification"
    return DataChoice(
        "csv",
        {"task": task},
        loss,
        f"no built-in data set has {what}: open it in NeuroCanvas and choose your data in the "
        "Data set tab",
    )


@dataclass
class OnnxProject:
    """An ONNX file opened as a new, unsaved project, with words for the person."""

    project: Project
    weights: dict[str, np.ndarray]
    summary: str  # "Opened net.onnx: 3 layers, 51 weights, input (N, 2)"
    data_note: str  # which data set was chosen and why, or what to choose

    @property
    def message(self) -> str:
        return f"{self.summary}; data set: {self.data_note}"


AS_IN_FILE = Preprocessing(
    input_note="none: the imported model's inputs as they are",
    output_note="none: the imported model's outputs as they are",
)


def project_from_onnx(path: str | os.PathLike[str]) -> OnnxProject:
    """A new project holding the ONNX model, its weights and the suggested data set.

    The data set is :func:`suggest_dataset`'s choice, and the Output's loss follows it.
    Raises ``OnnxImportError`` as :func:`import_onnx` does.
    """
    imported = import_onnx(path)
    width = imported.output_shape[0] if len(imported.output_shape) == 1 else 1
    choice = suggest_dataset(imported.input_shape, width)
    graph = imported.graph
    output = graph.node_by_name("output")
    assert output is not None
    graph.set_param(output.id, "loss", choice.loss)
    project = Project(
        graph=graph,
        dataset_key=choice.key,
        dataset_params=dict(choice.params),
        name=imported.name,
        # What the weights expect: the file's record, else the file's inputs as they are, so
        # that export -> import -> export computes the same function (no scaling of the
        # suggested data set is slipped in front of weights that never saw it).
        preprocessing=imported.preprocessing or AS_IN_FILE.to_dict(),
    )
    layers = len(graph.nodes) - 2
    count = sum(int(np.size(v)) for v in imported.weights.values() if v.dtype.kind == "f")
    summary = (
        f"Opened {Path(path).name}: {layers} layers, {count:,} weights, "
        f"input {fmt_shape(imported.input_shape)}"
    )
    return OnnxProject(project, imported.weights, summary, choice.note)
