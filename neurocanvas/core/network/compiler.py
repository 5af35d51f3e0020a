"""Turn a drawn graph into an ``nn.Module`` that runs it, keeping weights across edits.

Each layer node becomes a child module registered under the node's name, so the model's
``state_dict`` keys read like the canvas (``conv1.weight``) and carry over to PyTorch.
The small modules the catalogue needs beyond ``nn`` (Add, Concat, Reshape, GlobalAvgPool,
PolynomialFeatures) live in ``network/modules.py``; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from neurocanvas.core import nn
from neurocanvas.core.network.catalogue import LOSSES, Shape, get_layer
from neurocanvas.core.network.graph import Graph
from neurocanvas.core.network.modules import Add, Concat, GlobalAvgPool, PolynomialFeatures, Reshape
from neurocanvas.core.network.shapes import DataSpec, GraphReport, analyse
from neurocanvas.core.tensor import Tensor

__all__ = [
    "Add",
    "CompileError",
    "Concat",
    "GlobalAvgPool",
    "GraphModule",
    "PolynomialFeatures",
    "Reshape",
    "compile_graph",
    "loss_targets",
    "make_loss",
]


class CompileError(ValueError):
    """The graph has problems; ``report`` holds them, attached to their nodes."""

    def __init__(self, report: GraphReport) -> None:
        super().__init__("the network cannot be built:\n" + report.summary())
        self.report = report


# --------------------------------------------------------------------------------------
# The graph as a module
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """Run node ``node_id`` (module attribute ``name``) on the values of ``inputs``."""

    node_id: str
    name: str
    type: str
    inputs: tuple[str, ...]


class GraphModule(nn.Module):
    """Runs the graph's layers in topological order.

    Only nodes on a path to the Output run: a branch that leads nowhere adds nothing to the
    prediction, so it is neither built nor trained.
    """

    def __init__(self, graph: Graph, report: GraphReport) -> None:
        super().__init__()
        inputs = [n for n in graph.nodes.values() if n.type == "Input"]
        outputs = [n for n in graph.nodes.values() if n.type == "Output"]
        self.input_node: str = inputs[0].id
        self.output_node: str = outputs[0].id
        self.loss_kind: str = outputs[0].params["loss"]
        self.input_shape: Shape = report.nodes[self.input_node].out_shape or ()
        self.output_shape: Shape = report.nodes[self.output_node].out_shape or ()
        self.node_names: dict[str, str] = {}
        self.reused: tuple[str, ...] = ()
        # Trained values of layers that were built before but do not run now (a branch cut
        # off from the Output for a few edits, a deleted node): node id -> (module type,
        # state). Undoing back to them brings their weights back, not fresh ones.
        self._remembered: dict[str, tuple[type, dict[str, Any]]] = {}
        needed = _ancestors(graph, self.output_node)
        plan: list[Step] = []
        for nid in graph.topological_order():
            node = graph.nodes[nid]
            if nid not in needed or node.type in ("Input", "Output"):
                continue
            wires = graph.edges_into(nid)
            build = get_layer(node.type).build
            assert build is not None  # only Input and Output have none
            # compile_graph builds only from a report without errors: every shape is known
            in_shapes = [cast(Shape, report.nodes[e.src].out_shape) for e in wires]
            self.add_module(node.name, build(node.params, in_shapes))
            self.node_names[nid] = node.name
            plan.append(Step(nid, node.name, node.type, tuple(e.src for e in wires)))
        self.plan: tuple[Step, ...] = tuple(plan)
        self.result_of: str = graph.edges_into(self.output_node)[0].src

    def forward(self, x: Tensor) -> Tensor:
        values: dict[str, Tensor] = {self.input_node: x}
        for step in self.plan:
            module = getattr(self, step.name)
            values[step.node_id] = module(*(values[src] for src in step.inputs))
        return values[self.result_of]

    def layer(self, node_id: str) -> nn.Module:
        """The module built for ``node_id`` (KeyError if it does not run)."""
        return getattr(self, self.node_names[node_id])

    def layers(self) -> Iterator[tuple[str, nn.Module]]:
        """(node id, module) in the order they run."""
        for step in self.plan:
            yield step.node_id, getattr(self, step.name)


def _ancestors(graph: Graph, node_id: str) -> set[str]:
    seen, stack = {node_id}, [node_id]
    while stack:
        for e in graph.edges_into(stack.pop()):
            if e.src not in seen:
                seen.add(e.src)
                stack.append(e.src)
    return seen


def compile_graph(
    graph: Graph, data: DataSpec | None = None, previous: GraphModule | None = None
) -> GraphModule:
    """Build the model for ``graph``; ``CompileError`` carries the problems if it cannot.

    With ``previous`` (the model before an edit), every node whose parameter and buffer
    shapes are unchanged keeps its trained values, so editing one layer does not throw
    away what the others learned. ``module.reused`` lists those node ids. Layers that
    ``previous`` remembered (built in an earlier model, then left out because their path
    to the Output was cut or the node was deleted) are restored the same way, so a few
    edits and as many undos give back the trained model.
    """
    report = analyse(graph, data)
    if not report.ok:
        raise CompileError(report)
    module = GraphModule(graph, report)
    if previous is not None:
        module.reused = _copy_weights(previous, module)
    return module


def _copy_weights(previous: GraphModule, module: GraphModule) -> tuple[str, ...]:
    known: dict[str, tuple[type, dict[str, Any]]] = dict(previous._remembered)
    for nid, old in previous.layers():
        known[nid] = (type(old), dict(old.state_dict()))  # state_dict returns copies
    kept: list[str] = []
    for nid, new in module.layers():
        if nid not in known:
            continue
        old_type, old_state = known[nid]
        if old_type is not type(new):
            continue
        new_state = new.state_dict()
        if not old_state or old_state.keys() != new_state.keys():
            continue
        if all(old_state[k].shape == new_state[k].shape for k in old_state):
            new.load_state_dict(old_state)
            kept.append(nid)
    built = set(module.node_names)
    module._remembered = {nid: v for nid, v in known.items() if nid not in built}
    return tuple(kept)


# --------------------------------------------------------------------------------------
# Losses
# --------------------------------------------------------------------------------------


def make_loss(loss_kind: str) -> nn.Module:
    """The loss module for an Output's ``loss`` choice (bce works on logits)."""
    factories: dict[str, Any] = {
        "mse": nn.MSELoss,
        "l1": nn.L1Loss,
        "huber": nn.HuberLoss,
        "cross_entropy": nn.CrossEntropyLoss,
        "bce": nn.BCEWithLogitsLoss,
    }
    if loss_kind not in factories:
        raise ValueError(f"unknown loss {loss_kind!r}: choose one of {', '.join(LOSSES)}")
    return factories[loss_kind]()


def loss_targets(loss_kind: str, y: np.ndarray) -> np.ndarray:
    """Targets in the form ``make_loss(loss_kind)`` expects.

    cross_entropy takes int64 class ids (N,); bce takes float 0/1 of shape (N, 1), the
    same shape as the single logit; regression losses take float (N, k).
    """
    y = np.asarray(y)
    if loss_kind == "cross_entropy":
        return y.reshape(-1).astype(np.int64)
    if loss_kind == "bce":
        return y.reshape(-1, 1).astype(np.float32)
    if loss_kind in ("mse", "l1", "huber"):
        out = y.astype(np.float32) if y.dtype != np.float64 else y
        return out.reshape(len(out), -1)
    raise ValueError(f"unknown loss {loss_kind!r}: choose one of {', '.join(LOSSES)}")
