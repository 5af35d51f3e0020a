"""Element-wise arithmetic that spells out a layer: GELU written as Erf or Tanh formulas.

Exporters without a ``Gelu`` operator (opsets before 20, and NeuroCanvas's own ONNX export)
write ``0.5 * x * (1 + erf(x / sqrt(2)))`` or the tanh approximation as a handful of ``Mul``,
``Div``, ``Add``, ``Erf``/``Tanh`` and ``Pow`` nodes, in whatever order their tracer met them.
Rather than match every ordering, the nodes computed from one value ``x`` (and constants) are
grouped and the group is *evaluated* on test points: if it equals GELU (exact or tanh) to
float32 precision, it becomes one GELU layer; otherwise the arithmetic is reported.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ._convert import Converter, Layer
from ._reader import OnnxNode

ARITH = ("Add", "Sub", "Mul", "Div", "Pow", "Erf", "Sqrt")
_OPS: dict[str, Callable[..., np.ndarray]] = {
    "Add": np.add,
    "Sub": np.subtract,
    "Mul": np.multiply,
    "Div": np.divide,
    "Pow": np.power,
    "Sqrt": np.sqrt,
    "Tanh": np.tanh,
    "Erf": np.vectorize(math.erf, otypes=[np.float64]),
}
_TEST_X = np.linspace(-5.0, 5.0, 201)


def _gelu(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + _OPS["Erf"](x / math.sqrt(2.0)))


def _gelu_tanh(x: np.ndarray) -> np.ndarray:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


FORMULAS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "none": _gelu,
    "tanh": _gelu_tanh,
}


def find_groups(c: Converter, nodes: list[OnnxNode]) -> dict[str, list[OnnxNode]]:
    """Root value -> the arithmetic nodes computed from it alone (with constants).

    ``Add(a, b)`` of two different computed values is a join, not part of a group; a
    ``Tanh`` straight on a layer's output is the Tanh activation, not part of a group.
    """
    root: dict[str, str] = {}
    groups: dict[str, list[OnnxNode]] = {}
    for node in nodes:
        if node.index in c.skipped or len(node.outputs) != 1:
            continue
        in_group = node.op in ARITH or (node.op == "Tanh" and node.inputs[0] in root)
        if not in_group:
            continue
        dyn = c.dynamic_inputs(node)
        roots = {root.get(v, v) for v in dyn}
        if len(roots) != 1:
            continue
        r = roots.pop()
        root[node.outputs[0]] = r
        groups.setdefault(r, []).append(node)
    return groups


def _evaluate(c: Converter, x: str, group: list[OnnxNode]) -> dict[str, np.ndarray]:
    env: dict[str, np.ndarray] = {x: _TEST_X}
    with np.errstate(all="ignore"):
        for node in group:
            args = [
                env[v] if v in env else np.asarray(c.m.consts[v], np.float64)
                for v in node.inputs
                if v
            ]
            env[node.outputs[0]] = _OPS[node.op](*args)
    return env


def group_layer(c: Converter, x: str, group: list[OnnxNode]) -> Layer | str:
    """The GELU layer ``group`` computes, or a sentence saying why it is not one."""
    members = {n.index for n in group}
    outs = [
        n.outputs[0]
        for n in group
        if n.outputs[0] == c.m.output_name
        or any(u.index not in members for u in c.m.consumers.get(n.outputs[0], []))
    ]
    ops = ", ".join(dict.fromkeys(n.op for n in group))
    names = ", ".join(f"'{n.name}'" for n in group[:4]) + (" ..." if len(group) > 4 else "")
    what = f"{ops} ({names}) computed from '{x}'"
    if len(outs) == 1 and all(n.op in _OPS for n in group):
        y = _evaluate(c, x, group)[outs[0]]
        for approximate, formula in FORMULAS.items():
            expected = formula(_TEST_X)
            if np.shape(y) == expected.shape and np.allclose(y, expected, rtol=1e-5, atol=1e-5):
                last = next(n for n in group if n.outputs[0] == outs[0])
                return c.layer(last, "GELU", {"approximate": approximate}, [x], outs[0])
    return (
        f"{what}: this arithmetic is not a NeuroCanvas layer (of formulas, only GELU is recognised)"
    )


def polynomial_layers(
    c: Converter, nodes: list[OnnxNode], groups: dict[str, list[OnnxNode]]
) -> dict[int, Layer]:
    """``Concat(x, x*x, x*x*x)`` (NeuroCanvas's own export of PolynomialFeatures) -> one layer.

    Returns Concat index -> the PolynomialFeatures layer; the powers' nodes join ``c.skipped``
    and their group is removed from ``groups``.
    """
    found: dict[int, Layer] = {}
    for node in nodes:
        xs = c.dynamic_inputs(node)
        if node.op != "Concat" or len(xs) < 2 or xs[0] not in groups:
            continue
        group = groups[xs[0]]
        members = {n.index for n in group} | {node.index}
        if any(
            u.index not in members for n in group for u in c.m.consumers.get(n.outputs[0], [])
        ) or any(n.op != "Mul" for n in group):
            continue
        env = _evaluate(c, xs[0], group)
        powers = [env.get(v) for v in xs[1:]]
        if all(p is not None and np.allclose(p, _TEST_X ** (i + 2)) for i, p in enumerate(powers)):
            found[node.index] = c.layer(node, "PolynomialFeatures", {"degree": len(xs)}, [xs[0]])
            c.skipped.update(n.index for n in group)
            del groups[xs[0]]
    return found
