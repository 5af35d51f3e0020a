"""Validation and shape inference: what each node outputs, and what is wrong, in plain words.

Runs on every edit, so it never raises for a broken graph: it returns a
:class:`GraphReport` whose problems are attached to the nodes (and wires) they concern.
A node downstream of a broken one simply gets ``out_shape=None``, without a message of its
own, so a person sees the cause rather than a cascade of symptoms.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from neurocanvas.core.network.catalogue import (
    CLASSIFICATION_LOSSES,
    REGRESSION_LOSSES,
    Shape,
    ShapeError,
    fmt_shape,
)
from neurocanvas.core.network.graph import Edge, Graph, Node

__all__ = [
    "PARAMETER_BUDGET",
    "DataSpec",
    "GraphReport",
    "NodeInfo",
    "Problem",
    "Shape",
    "ShapeError",
    "analyse",
    "over_budget",
]

#: Parameters a model may have before building it needs the person's yes: 50 M float32
#: weights are 200 MB, and with gradients and Adam's two moments 800 MB, and initialising them
#: takes seconds. Shapes and counts never need the model: ``analyse`` computes them.
PARAMETER_BUDGET = 50_000_000


@dataclass(frozen=True)
class Problem:
    """Something wrong with the graph; ``node_id`` None means the whole graph.

    ``severity`` "error" stops the graph from compiling; "warning" trains but badly (a
    Softmax before cross_entropy). ``fix`` names a one-click repair the app offers:
    "remove" = delete the node and wire its input straight to what it fed.
    """

    node_id: str | None
    message: str
    edge: Edge | None = None
    severity: str = "error"
    fix: str | None = None

    @property
    def is_warning(self) -> bool:
        return self.severity == "warning"


@dataclass
class NodeInfo:
    """Per-sample figures for one node (``params`` and ``macs`` are 0 when unknown)."""

    out_shape: Shape | None
    params: int = 0
    macs: int = 0


@dataclass
class GraphReport:
    nodes: dict[str, NodeInfo]
    problems: list[Problem] = field(default_factory=list)
    total_params: int = 0
    total_macs: int = 0

    @property
    def ok(self) -> bool:
        """No errors (warnings do not stop training)."""
        return not self.errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_warning]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.is_warning]

    def problems_for(self, node_id: str) -> list[Problem]:
        return [p for p in self.problems if p.node_id == node_id]

    def summary(self) -> str:
        """Every error on its own line (for CLI output and exception messages)."""
        return "\n".join(p.message for p in self.errors) or "no problems"


@dataclass(frozen=True)
class DataSpec:
    """What the graph must fit. ``n_outputs``: regression target width, or class count."""

    input_shape: Shape
    target_kind: str  # "regression" | "classification"
    n_outputs: int
    batch_size: int | None = None  # the training batch size, when known (BatchNorm needs 2+)


def over_budget(report: GraphReport, budget: int = PARAMETER_BUDGET) -> str | None:
    """A sentence to ask with before building a model above ``budget`` parameters, else None."""
    if report.total_params <= budget:
        return None
    return (
        f"This network has {report.total_params:,} parameters, above the budget of "
        f"{budget:,}. Building it needs about {4 * report.total_params / 1e9:.1f} GB for "
        "the weights alone (four times that while training with Adam) and may take a while."
    )


def analyse(graph: Graph, data: DataSpec | None = None) -> GraphReport:
    """Infer every node's output shape, size and cost, and list what is wrong."""
    return _Analysis(graph, data).run()


class _Analysis:
    def __init__(self, graph: Graph, data: DataSpec | None) -> None:
        self.graph = graph
        self.data = data
        self.problems: list[Problem] = []
        self.infos: dict[str, NodeInfo] = {nid: NodeInfo(None) for nid in graph.nodes}

    def add(self, node: Node | None, message: str, edge: Edge | None = None) -> None:
        self.problems.append(Problem(node.id if node else None, message, edge))

    def warn(self, node: Node, message: str, fix: str | None = None) -> None:
        self.problems.append(Problem(node.id, message, severity="warning", fix=fix))

    def run(self) -> GraphReport:
        self._check_ends()
        blocked = self._check_wires()
        order, cyclic = self._order()
        for nid in cyclic:
            node = self.graph.nodes[nid]
            self.add(node, f"{node.label} is part of a cycle: its output feeds back into itself")
        for nid in order:
            self._infer(self.graph.nodes[nid], blocked)
        self._check_batch_size()
        self._check_activation_before_loss()
        self._check_dead_ends()
        params = sum(i.params for i in self.infos.values())
        macs = sum(i.macs for i in self.infos.values())
        return GraphReport(self.infos, self.problems, params, macs)

    # -------------------------------------------------------------- structure

    def _check_dead_ends(self) -> None:
        """A wired layer whose output goes nowhere is a branch the Output never sees: it is
        neither built nor trained (see compiler.GraphModule), which is rarely what was meant."""
        failed = {p.node_id for p in self.problems if not p.is_warning}
        for node in self.graph.nodes.values():
            if node.type == "Output" or node.id in failed or not self.graph.edges_into(node.id):
                continue  # an unwired or broken node already has its own message
            if not self.graph.edges_out_of(node.id):
                self.warn(
                    node,
                    f"{node.label}'s output goes nowhere: it adds nothing to the prediction "
                    "and is not trained (connect it to the next layer, or delete it)",
                )

    def _check_ends(self) -> None:
        for type_ in ("Input", "Output"):
            found = [n for n in self.graph.nodes.values() if n.type == type_]
            if not found:
                self.add(None, f"The network has no {type_} node: add one from the palette")
            for extra in found[1:]:
                self.add(
                    extra,
                    f"{extra.label} is a second {type_}: a network has exactly one "
                    f"(the first is '{found[0].name}')",
                )

    def _check_wires(self) -> set[str]:
        """Report doubled wires into single inputs (only a hand-edited file has them)."""
        blocked: set[str] = set()
        for node in self.graph.nodes.values():
            for port in node.spec.inputs:
                wires = [e for e in self.graph.edges_into(node.id) if e.dst_port == port.name]
                if port.multi or len(wires) < 2:
                    continue
                blocked.add(node.id)
                for extra in wires[1:]:
                    self.add(
                        node,
                        f"{node.label} has {len(wires)} wires into its single input: "
                        "remove all but one, or join them with Add or Concat",
                        extra,
                    )
        return blocked

    def _order(self) -> tuple[list[str], list[str]]:
        """Kahn's order over the acyclic part, and the stuck nodes that sit on a loop."""
        order, stuck = self.graph.partial_order()
        on_cycle = _on_cycles(self.graph, stuck) if stuck else set()
        return order, [nid for nid in stuck if nid in on_cycle]

    # -------------------------------------------------------------- shapes

    def _infer(self, node: Node, blocked: set[str]) -> None:
        spec = node.spec
        wires = self.graph.edges_into(node.id)
        if spec.inputs and not wires:
            self.add(node, f"{node.label} has nothing connected to its input")
            return
        if node.id in blocked:
            return
        in_shapes = [self.infos[e.src].out_shape for e in wires]
        if any(s is None for s in in_shapes):
            return  # the cause upstream already has its message
        shapes: list[Shape] = [s for s in in_shapes if s is not None]
        try:
            out = spec.infer(node.params, shapes)
        except ShapeError as exc:
            self.add(node, f"{node.label} {exc}")
            return
        if node.type == "Input":
            self._check_input(node, out)
        if node.type == "Output":
            self._check_output(node, out)
        n_params, macs = spec.cost(node.params, shapes, out)
        self.infos[node.id] = NodeInfo(out, n_params, macs)

    def _check_input(self, node: Node, shape: Shape) -> None:
        if self.data is not None and tuple(self.data.input_shape) != shape:
            self.add(
                node,
                f"{node.label} has shape {fmt_shape(shape)} but the data set gives "
                f"{fmt_shape(tuple(self.data.input_shape))}",
            )

    def _check_output(self, node: Node, shape: Shape) -> None:
        data = self.data
        if data is None:
            return
        loss, width = node.params["loss"], shape[0]
        if data.target_kind == "regression":
            if loss not in REGRESSION_LOSSES:
                self.add(
                    node,
                    f"{node.label} uses {loss}, a classification loss, but the data set is a "
                    f"regression task: choose {', '.join(REGRESSION_LOSSES)}",
                )
            elif width != data.n_outputs:
                self.add(
                    node,
                    f"{node.label} receives {width} output(s) per sample but the data set "
                    f"has {data.n_outputs} target column(s): make the last layer output "
                    f"{data.n_outputs}",
                )
            return
        classes = data.n_outputs
        if loss not in CLASSIFICATION_LOSSES:
            self.add(
                node,
                f"{node.label} uses {loss}, a regression loss, but the data set is a "
                "classification task: choose cross_entropy (or bce for two classes)",
            )
        elif loss == "bce" and classes != 2:
            self.add(
                node,
                f"{node.label} uses bce, which fits two classes, but the data set has "
                f"{classes}: choose cross_entropy",
            )
        elif loss == "cross_entropy" and width != classes:
            self.add(
                node,
                f"{node.label} receives {width} output(s) per sample but the data set has "
                f"{classes} classes: cross_entropy needs one output per class",
            )

    # -------------------------------------------------------------- training fit

    def _check_batch_size(self) -> None:
        if self.data is None or self.data.batch_size != 1:
            return
        for node in self.graph.nodes.values():
            if node.type == "BatchNorm":
                self.add(
                    node,
                    f"{node.label} needs at least 2 samples per batch to compute its batch "
                    "statistics while training, but the batch size is 1: choose a batch size "
                    "of 2 or more, or remove the BatchNorm",
                )

    def _check_activation_before_loss(self) -> None:
        """A Softmax before cross_entropy or a Sigmoid before bce: the loss applies it again."""
        for out in self.graph.nodes.values():
            if out.type != "Output":
                continue
            wires = self.graph.edges_into(out.id)
            if not wires:
                continue
            feeder = self.graph.nodes[wires[0].src]
            loss = out.params["loss"]
            if feeder.type == "Softmax" and loss == "cross_entropy":
                self.warn(
                    feeder,
                    f"{feeder.label} feeds cross_entropy, which applies a softmax itself: the "
                    "loss cannot fall below a floor and learning slows. Remove the Softmax "
                    "(the predicted classes stay the same)",
                    fix="remove",
                )
            elif feeder.type == "Sigmoid" and loss == "bce":
                self.warn(
                    feeder,
                    f"{feeder.label} feeds bce, which applies a sigmoid itself "
                    "(BCEWithLogitsLoss): the loss cannot fall below a floor. Remove the "
                    "Sigmoid (the predicted classes stay the same)",
                    fix="remove",
                )


def _on_cycles(graph: Graph, among: list[str]) -> set[str]:
    """The nodes of ``among`` that lie on a loop: members of a strongly connected component
    with more than one node, or wired to themselves (Tarjan's algorithm, iterative, linear in
    nodes and wires).

    Nodes merely downstream of a loop are stuck too but are not on it; one search per stuck
    node would be quadratic on a large broken graph.
    """
    inside = set(among)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    result: set[str] = set()
    counter = 0
    for root in among:
        if root in index:
            continue
        work = [(root, iter([e.dst for e in graph.edges_out_of(root) if e.dst in inside]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    outs = [e.dst for e in graph.edges_out_of(child) if e.dst in inside]
                    work.append((child, iter(outs)))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or any(e.dst == node for e in graph.edges_out_of(node)):
                    result.update(component)  # a wire from a node to itself is a loop too
    return result
