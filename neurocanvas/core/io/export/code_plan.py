"""What the PyTorch code generator needs from a graph, without building the model.

The code view refreshes on every edit. Building the model to write its code allocated and
initialised every weight: a legal Linear 8192 -> 65536 took seconds and gigabytes just to print
one line. A :class:`CodePlan` has what :func:`torch_code` reads from a compiled model (the run
order, each layer's constructor arguments, the input shape) and no weights: layers that hold
no parameters are built as usual (they are cheap), and layers that do (Linear, Conv2d,
BatchNorm) are described by stand-ins carrying the same attributes as the engine's modules,
computed from the node's parameters and input shape.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from neurocanvas.core.network.catalogue import Shape, get_layer
from neurocanvas.core.network.compiler import Step
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.shapes import GraphReport

__all__ = ["CodePlan", "code_plan"]


@dataclass(frozen=True)
class LinearArgs:
    """``nn.Linear``'s constructor arguments (``bias`` is None without one, as on a module)."""

    in_features: int
    out_features: int
    bias: object | None


@dataclass(frozen=True)
class Conv2dArgs:
    in_channels: int
    out_channels: int
    kernel_size: tuple[int, int]
    stride: tuple[int, int]
    padding: tuple[int, int]
    dilation: tuple[int, int]
    groups: int
    bias: object | None


@dataclass(frozen=True)
class BatchNorm1d:
    """Named like the module class: the generated code uses the class name."""

    num_features: int
    eps: float
    momentum: float


@dataclass(frozen=True)
class BatchNorm2d(BatchNorm1d):
    pass


def _describe(node_type: str, params: dict[str, Any], in_shapes: list[Shape]) -> Any:
    """A stand-in for a layer with parameters, or None for one that has none."""
    shape = in_shapes[0] if in_shapes else ()
    if node_type == "Linear":
        return LinearArgs(shape[0], params["out_features"], True if params["bias"] else None)
    if node_type == "Conv2d":
        k, s, p, d = (params[n] for n in ("kernel_size", "stride", "padding", "dilation"))
        bias = True if params["bias"] else None
        return Conv2dArgs(shape[0], params["out_channels"], (k, k), (s, s), (p, p), (d, d), 1, bias)
    if node_type == "BatchNorm":
        cls = BatchNorm2d if len(shape) == 3 else BatchNorm1d
        return cls(shape[0], params["eps"], params["momentum"])
    return None


@dataclass
class CodePlan:
    """The parts of a compiled ``GraphModule`` that :func:`torch_code` reads."""

    input_node: str
    input_shape: Shape
    plan: tuple[Step, ...]
    result_of: str
    modules: dict[str, Any]

    def layer(self, node_id: str) -> Any:
        return self.modules[node_id]

    def layers(self) -> Iterator[tuple[str, Any]]:
        for step in self.plan:
            yield step.node_id, self.modules[step.node_id]


def code_plan(graph: Graph, report: GraphReport) -> CodePlan:
    """The plan for a graph that validated (``report.ok``), in the compiler's run order:
    only nodes on a path to the Output, Input and Output themselves excluded."""
    if not report.ok:
        raise ValueError("code_plan needs a graph without problems")
    output = next(n for n in graph.nodes.values() if n.type == "Output")
    needed, stack = {output.id}, [output.id]
    while stack:
        for edge in graph.edges_into(stack.pop()):
            if edge.src not in needed:
                needed.add(edge.src)
                stack.append(edge.src)
    input_node = next(n for n in graph.nodes.values() if n.type == "Input")
    steps: list[Step] = []
    modules: dict[str, Any] = {}
    for nid in graph.topological_order():
        node = graph.nodes[nid]
        if nid not in needed or node.type in ("Input", "Output"):
            continue
        wires = graph.edges_into(nid)
        in_shapes = [s for s in (report.nodes[e.src].out_shape for e in wires) if s is not None]
        module = _describe(node.type, node.params, in_shapes)
        if module is None:
            build = get_layer(node.type).build
            assert build is not None  # only Input and Output have none
            module = build(node.params, in_shapes)  # no parameters: nothing to allocate
        modules[nid] = module
        steps.append(Step(nid, node.name, node.type, tuple(e.src for e in wires)))
    return CodePlan(
        input_node=input_node.id,
        input_shape=report.nodes[input_node.id].out_shape or (),
        plan=tuple(steps),
        result_of=graph.edges_into(output.id)[0].src,
        modules=modules,
    )
