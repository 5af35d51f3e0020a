"""What the exporters share: their error and the names of the values a graph computes."""

from __future__ import annotations

from neurocanvas.core.network.compiler import GraphModule

from .code_plan import CodePlan


class ExportError(ValueError):
    """The model cannot be written in the asked format; the message says which layer."""


def value_names(model: GraphModule | CodePlan) -> dict[str, str]:
    """node id -> a readable variable name for its output (``x`` for the input)."""
    names = {model.input_node: "x"}
    for step in model.plan:
        names[step.node_id] = step.name
    return names
