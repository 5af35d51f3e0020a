"""What every ONNX operator converter shares: the Layer it makes and the Converter context.

Each converter (in ``_ops.py``) reads one ONNX node (plus, for a bias, the ``Add`` right
after a ``MatMul`` or a bias-free ``Conv``) and returns a :class:`Layer`: a catalogue type,
its parameters, the weights under the layer's PyTorch names (``weight``, ``bias``,
``running_mean``...), and the values it reads. A converter that meets something the
catalogue cannot express raises :class:`Unsupported` with a phrase saying what, which the
importer gathers into one message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neurocanvas.core.network.catalogue import get_layer

from ._reader import OnnxModel, OnnxNode, Unsupported


@dataclass
class Layer:
    """One catalogue node to be: ``type(params)`` reading ``inputs``, producing ``output``."""

    type: str
    params: dict[str, Any]
    inputs: list[str]
    output: str
    source: OnnxNode
    weights: dict[str, np.ndarray] = field(default_factory=dict)
    name_hint: str | None = None  # where a readable node name can come from (weight names)


def clean_float(value: float) -> float:
    """A float32 attribute as the decimal a person wrote: float32(1e-5) -> 1e-05, not 1e-05 +
    2.5e-13, so parameters read as they were set and survive export and import unchanged."""
    return float(str(np.float32(value)))


class Converter:
    """Converts the nodes of one model; ``bias_of`` maps a fused bias Add to its layer node."""

    def __init__(self, model: OnnxModel) -> None:
        self.m = model
        self.bias_add: dict[int, OnnxNode] = {}  # MatMul/Conv index -> the Add that is its bias
        self.skipped: set[int] = set()  # Adds (and flattens) fused into the layer before them

    # ------------------------------------------------------------------ helpers
    def const(self, value: str, what: str) -> np.ndarray:
        if value not in self.m.consts:
            raise Unsupported(f"has a computed {what}; NeuroCanvas needs it stored in the file")
        return self.m.consts[value]

    def weight(self, value: str, what: str) -> np.ndarray:
        arr = self.const(value, what)
        if arr.dtype.kind != "f":
            raise Unsupported(f"has a {what} of {arr.dtype} values, not floats")
        return np.ascontiguousarray(arr, dtype=np.float32)

    def sample_shape(self, value: str) -> tuple[int, ...]:
        shape = self.m.sample_shape(value)
        if shape is None:
            raise Unsupported(f"works on '{value}', whose shape the file does not say")
        return shape

    def single_consumer(self, value: str) -> OnnxNode | None:
        users = self.m.consumers.get(value, [])
        if len(users) != 1 or value == self.m.output_name:
            return None
        return users[0]

    def find_bias_adds(self, nodes: list[OnnxNode]) -> None:
        """A bias-free MatMul or Conv followed by ``Add(·, constant)`` is one layer with a bias."""
        for node in nodes:
            if node.op not in ("MatMul", "Conv", "Gemm") or len(node.outputs) != 1:
                continue
            if node.op in ("Conv", "Gemm") and len(node.inputs) > 2 and node.inputs[2]:
                continue
            add = self.single_consumer(node.outputs[0])
            if add is None or add.op != "Add":
                continue
            other = [v for v in add.inputs if v != node.outputs[0]]
            if len(other) == 1 and other[0] in self.m.consts:
                self.bias_add[node.index] = add
                self.skipped.add(add.index)

    def fused_bias(self, node: OnnxNode, width: int) -> tuple[np.ndarray | None, str]:
        """The bias an Add after ``node`` contributes, as (width,), and the layer's output."""
        add = self.bias_add.get(node.index)
        if add is None:
            return None, node.outputs[0]
        other = next(v for v in add.inputs if v != node.outputs[0])
        b = self.weight(other, "bias")
        flat = b.reshape(-1)
        if flat.size == 1:
            flat = np.full(width, flat[0], np.float32)
        elif flat.size != width or b.shape[-1 if node.op != "Conv" else 0] not in (width, 1):
            raise Unsupported(f"is followed by an Add of shape {b.shape} that is not a bias")
        return np.ascontiguousarray(flat), add.outputs[0]

    def dynamic_inputs(self, node: OnnxNode) -> list[str]:
        return [v for v in node.inputs if v and v not in self.m.consts]

    def one_input(self, node: OnnxNode) -> str:
        xs = self.dynamic_inputs(node)
        if len(xs) != 1:
            raise Unsupported(f"takes {len(xs)} computed inputs where NeuroCanvas takes one")
        return xs[0]

    def axis(self, node: OnnxNode, value: str, default: int) -> int:
        rank = self.m.rank(value)
        axis = int(node.attrs.get("axis", default))
        if axis < 0:
            if rank is None:
                raise Unsupported(
                    f"counts its axis from the end of '{value}', whose rank is unknown"
                )
            axis += rank
        return axis

    def check_params(self, type_: str, params: dict[str, Any]) -> dict[str, Any]:
        spec = get_layer(type_)
        out = {}
        for key, value in params.items():
            try:
                out[key] = spec.param(key).validate(value)
            except ValueError as exc:
                raise Unsupported(f"needs {exc} in NeuroCanvas's {type_}") from None
        return out

    def layer(
        self,
        node: OnnxNode,
        type_: str,
        params: dict[str, Any] | None = None,
        inputs: list[str] | None = None,
        output: str | None = None,
        weights: dict[str, np.ndarray] | None = None,
        hint: str | None = None,
    ) -> Layer:
        return Layer(
            type_,
            self.check_params(type_, params or {}),
            inputs if inputs is not None else [self.one_input(node)],
            output or node.outputs[0],
            node,
            weights or {},
            hint,
        )

    def only_first_output(self, node: OnnxNode, what: str) -> None:
        for extra in node.outputs[1:]:
            if extra and self.m.consumers.get(extra) or extra == self.m.output_name:
                raise Unsupported(
                    f"has its {what} output '{extra}' used; NeuroCanvas has no such layer"
                )
